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
 * `roles`. A principal matches by Teams id, Entra object id or UPN, or "*", through the one
 * identity rule of ./principal.
 * Admins hold every role.
 */
export class RolePolicy {
  constructor(private readonly config: Pick<MlopsConfig, 'roles' | 'models'>) {}

  has(principal: Principal, role: Role, model?: string): boolean {
    if (this.matches(principal, this.config.roles.admins)) return true;
    if (role === 'admin') return false;
    const modelRoles = model ? this.config.models[model]?.roles : undefined;
    const list = role === 'trainer' ? (modelRoles?.trainers ?? this.config.roles.trainers) : (modelRoles?.approvers ?? this.config.roles.approvers);
    return this.matches(principal, list);
  }

  /** The configured principals of a role (a model's own list when it has one), for display. */
  principals(role: Exclude<Role, 'admin'>, model?: string): string[] {
    const modelRoles = model ? this.config.models[model]?.roles : undefined;
    return [...(role === 'trainer' ? (modelRoles?.trainers ?? this.config.roles.trainers) : (modelRoles?.approvers ?? this.config.roles.approvers))];
  }

  rolesOf(principal: Principal, model?: string): Role[] {
    return (['trainer', 'approver', 'admin'] as const).filter((r) => this.has(principal, r, model));
  }

  private matches(p: Principal, list: readonly string[]): boolean {
    return list.some((entry) => entryMatches(entry, p));
  }
}
