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
 * identity rule of ./principal. Admins (global, or of the model) hold every role. Entries
 * `group:<object id>` name Entra groups: the Authorizer resolves them through Microsoft Graph.
 */
export class RolePolicy {
  constructor(private readonly config: Pick<MlopsConfig, 'roles' | 'models'>) {}

  has(principal: Principal, role: Role, model?: string): boolean {
    return this.matches(principal, this.entries(role, model));
  }

  /** Every configured entry that grants `role` for `model`: the admins (global and the model's) and the role's own list. */
  entries(role: Role, model?: string): string[] {
    const modelRoles = model ? this.config.models[model]?.roles : undefined;
    const admins = [...this.config.roles.admins, ...(modelRoles?.admins ?? [])];
    if (role === 'admin') return admins;
    return [...admins, ...this.principals(role, model)];
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
