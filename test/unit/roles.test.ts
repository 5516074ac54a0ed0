import { RolePolicy } from '../../services/auth/roles';
import type { MlopsConfig } from '../../services/config/mlops-config.schema';

// Global lists, and a model that narrows approvers and opens training to everyone.
const config = {
  roles: { trainers: ['user-id-0', 'Trainer@Contoso.com'], approvers: ['user-id-1'], admins: ['admin-oid'] },
  models: {
    open: { roles: { trainers: ['*'], approvers: ['special-approver'] }, environments: [{ name: 'production', roles: { approvers: ['prod-approver'] } }] },
    plain: { roles: {}, environments: [] },
  },
} as unknown as Pick<MlopsConfig, 'roles' | 'models'>;
const policy = new RolePolicy(config);

const ALEX = { id: 'user-id-0', name: 'Alex' };
const MEGAN = { id: 'user-id-1', name: 'Megan' };
const ISAIAH = { id: 'user-id-3', name: 'Isaiah' };
const ADMIN = { id: 'teams-id-9', name: 'Root', aadObjectId: 'ADMIN-OID' };

describe('role policy', () => {
  it('takes the global lists when the model has none of its own', () => {
    expect(policy.has(ALEX, 'trainer', 'plain')).toBe(true);
    expect(policy.has(ALEX, 'approver', 'plain')).toBe(false);
    expect(policy.has(MEGAN, 'approver', 'plain')).toBe(true);
    expect(policy.has(MEGAN, 'trainer', 'plain')).toBe(false);
    expect(policy.has(MEGAN, 'approver')).toBe(true);
  });

  it("uses a model's own lists instead, with '*' for anyone", () => {
    expect(policy.has(ISAIAH, 'trainer', 'open')).toBe(true);
    expect(policy.has(ISAIAH, 'trainer', 'plain')).toBe(false);
    expect(policy.has(MEGAN, 'approver', 'open')).toBe(false);
    expect(policy.has({ id: 'special-approver', name: 'S' }, 'approver', 'open')).toBe(true);
    expect(policy.has({ id: 'special-approver', name: 'S' }, 'trainer', 'plain')).toBe(false);
  });

  it('lists the entries that grant a role: the admins, then the list in force, and nothing a model does not name', () => {
    expect(policy.entries('approver', 'plain')).toEqual(['admin-oid', 'user-id-1']);
    expect(policy.entries('admin', 'plain')).toEqual(['admin-oid']);
    expect(policy.entries('approver', 'open', 'production')).toEqual(['admin-oid', 'prod-approver']);
  });

  it('matches by Teams id, Entra object id or UPN, case-insensitively', () => {
    expect(policy.has({ id: 'x', name: 'T', upn: 'trainer@contoso.COM' }, 'trainer', 'plain')).toBe(true);
    expect(policy.has({ id: 'x', name: 'T', aadObjectId: 'user-id-1' }, 'approver')).toBe(true);
    expect(policy.has({ id: 'x', name: 'T', upn: '' }, 'trainer', 'plain')).toBe(false);
  });

  it('gives an admin every role, and the admin role to admins only', () => {
    for (const role of ['trainer', 'approver', 'admin'] as const) expect(policy.has(ADMIN, role, 'open')).toBe(true);
    expect(policy.has(MEGAN, 'admin')).toBe(false);
    expect(policy.has(ALEX, 'admin')).toBe(false);
    expect(policy.rolesOf(ADMIN)).toEqual(['trainer', 'approver', 'admin']);
    expect(policy.rolesOf(MEGAN, 'plain')).toEqual(['approver']);
    expect(policy.rolesOf(ISAIAH, 'plain')).toEqual([]);
  });

  it("lists a role's configured principals, the model's own when it has them", () => {
    expect(policy.principals('trainer')).toEqual(['user-id-0', 'Trainer@Contoso.com']);
    expect(policy.principals('approver', 'plain')).toEqual(['user-id-1']);
    expect(policy.principals('approver', 'open')).toEqual(['special-approver']);
    expect(policy.principals('trainer', 'open')).toEqual(['*']);
  });

  it("uses an environment's own list for actions in that environment, the model's elsewhere", () => {
    const prod = { id: 'prod-approver', name: 'Pat' };
    expect(policy.principals('approver', 'open', 'production')).toEqual(['prod-approver']);
    expect(policy.principals('trainer', 'open', 'production')).toEqual(['*']);
    expect(policy.has(prod, 'approver', 'open', 'production')).toBe(true);
    expect(policy.has(prod, 'approver', 'open', 'staging')).toBe(false);
    expect(policy.has({ id: 'special-approver', name: 'S' }, 'approver', 'open', 'production')).toBe(false);
    expect(policy.has(ADMIN, 'approver', 'open', 'production')).toBe(true);
  });
});
