import type { GroupDirectory } from './group-directory';
import type { Principal, Role, RolePolicy } from './roles';

/** What a principal can ask the run engine to do. */
export type Action = 'train' | 'deploy' | 'rollback' | 'cancel' | 'retry' | 'decide';

/**
 * The one table of who may do what (docs/configuration.md shows it; a test compares the two).
 * Admins hold every role. Beyond roles: the requester of a run may cancel it, and nobody (an
 * admin neither) approves their own run — those rules live with the run (run-engine, approval-policy).
 */
export const ACTION_ROLES: Readonly<Record<Action, readonly Exclude<Role, 'admin'>[]>> = {
  train: ['trainer'],
  deploy: ['trainer'],
  rollback: ['approver'],
  cancel: ['trainer'],
  retry: ['trainer'],
  decide: ['approver'],
};

export interface Forbidden {
  kind: 'forbidden';
  action: Action;
  model: string;
  needs: readonly Role[];
  /** The environment whose own role list refused, when the action was about one. */
  env?: string;
}

const GROUP_PREFIX = 'group:';

/**
 * Role checks for one model: direct entries from the policy, and Entra groups through the
 * directory (Microsoft Graph, cached). Every side effect of the run engine goes through `check`.
 */
export class Authorizer {
  constructor(
    readonly policy: RolePolicy,
    private readonly groups: GroupDirectory | undefined,
  ) {}

  async hasRole(principal: Principal, role: Role, model?: string, env?: string): Promise<boolean> {
    if (this.policy.has(principal, role, model, env)) return true;
    const groupIds = this.policy
      .entries(role, model, env)
      .filter((e) => e.toLowerCase().startsWith(GROUP_PREFIX))
      .map((e) => e.slice(GROUP_PREFIX.length).toLowerCase());
    if (groupIds.length === 0 || !principal.aadObjectId || !this.groups) return false;
    const member = await this.groups.memberGroups(principal.aadObjectId, groupIds);
    return groupIds.some((g) => member.has(g));
  }

  /** Undefined when the principal may do `action` on `model` (in environment `env`, which may have its own lists); otherwise why not. */
  async check(principal: Principal, action: Action, model: string, env?: string): Promise<Forbidden | undefined> {
    const needs = ACTION_ROLES[action];
    for (const role of needs) if (await this.hasRole(principal, role, model, env)) return undefined;
    return { kind: 'forbidden', action, model, needs, ...(env ? { env } : {}) };
  }

  async rolesOf(principal: Principal, model?: string): Promise<Role[]> {
    const roles: Role[] = [];
    for (const r of ['trainer', 'approver', 'admin'] as const) if (await this.hasRole(principal, r, model)) roles.push(r);
    return roles;
  }
}
