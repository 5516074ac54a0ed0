import type { MlopsConfig } from '../config/mlops-config.schema';
import { entryMatches } from './principal';

export type Role = 'trainer' | 'approver' | 'admin';

/** Who is asking, as the chat channel tells us. UPN is filled where the bot could look it up. */
export interface Principal {
  id: string;
  name: string;
  aadObjectId?: string | undefined;
  upn?: string | undefined;
}

/**
 * Roles come from mlops.config.yaml: global lists, which a model may narrow or widen with its own
 * `roles`, and an environment of the model with its own trainers/approvers. A principal matches by Teams id, Entra object id or UPN, or "*", through the one
 * identity rule of ./principal. Admins (global, or of the model) hold every role. Entries
 * `group:<object id>` name Entra groups: the Authorizer resolves them through Microsoft Graph.
 */
export class RolePolicy {
  constructor(private readonly config: Pick<MlopsConfig, 'roles' | 'models'>) {}

  has(principal: Principal, role: Role, model?: string, env?: string): boolean {
    return this.matches(principal, this.entries(role, model, env));
  }

  /** Every configured entry that grants `role` for `model` (in environment `env`): the admins (global and the model's) and the role's own list. */
  entries(role: Role, model?: string, env?: string): string[] {
    const modelRoles = model ? this.config.models[model]?.roles : undefined;
    const admins = [...this.config.roles.admins, ...(modelRoles?.admins ?? [])];
    if (role === 'admin') return admins;
    return [...admins, ...this.principals(role, model, env)];
  }

  /**
   * The configured principals of a role, for display: an environment's own list when it has one,
   * else the model's, else the global list.
   */
  principals(role: Exclude<Role, 'admin'>, model?: string, env?: string): string[] {
    const m = model ? this.config.models[model] : undefined;
    const envRoles = env ? m?.environments.find((e) => e.name === env)?.roles : undefined;
    const key = role === 'trainer' ? 'trainers' : 'approvers';
    return [...(envRoles?.[key] ?? m?.roles[key] ?? this.config.roles[key])];
  }

  rolesOf(principal: Principal, model?: string, env?: string): Role[] {
    return (['trainer', 'approver', 'admin'] as const).filter((r) => this.has(principal, r, model, env));
  }

  private matches(p: Principal, list: readonly string[]): boolean {
    return list.some((entry) => entryMatches(entry, p));
  }
}
