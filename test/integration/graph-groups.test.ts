import { readFileSync } from 'node:fs';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { Authorizer } from '../../services/auth/authorizer';
import { CachedGroupDirectory } from '../../services/auth/group-directory';
import { RolePolicy } from '../../services/auth/roles';
import { createServiceClients, type ServiceClients } from '../../services/clients';
import { loadConfig } from '../../services/config/config';
import { ServiceError } from '../../services/http/errors';
import { silentLogger } from '../../services/logger';
import { REPO_ROOT } from '../support/context';

const APPROVERS = '11111111-1111-1111-1111-111111111111';
const NESTED = '22222222-2222-2222-2222-222222222222';
const MEGAN = { id: 'user-id-1', name: 'Megan Bowen', aadObjectId: '00000000-0000-0000-0000-0000000000021' };
const ADELE = { id: 'user-id-2', name: 'Adele Vance', aadObjectId: '00000000-0000-0000-0000-0000000000022' };
const ISAIAH = { id: 'user-id-3', name: 'Isaiah Langer', aadObjectId: '00000000-0000-0000-0000-0000000000023' };

describe('roles that name Entra groups, through Microsoft Graph (sandbox stand-in)', () => {
  let sandbox: Sandbox;
  let clients: ServiceClients;
  let auth: Authorizer;
  beforeAll(async () => {
    sandbox = await startSandbox();
    // Megan is in the approvers group; Adele through a nested group; Isaiah is in neither.
    sandbox.graph.state.addUser(MEGAN.aadObjectId).addUser(ADELE.aadObjectId).addUser(ISAIAH.aadObjectId);
    sandbox.graph.state.addMember(APPROVERS, MEGAN.aadObjectId).addMember(APPROVERS, NESTED).addMember(NESTED, ADELE.aadObjectId);
    const config = loadConfig({ ...sandbox.env, STATE_STORE: 'sqlite::memory:' }, (p) => readFileSync(p, 'utf8').replace('approvers: ["user-id-1", "meganb@example.com", "approver@contoso.com"]', `approvers: ["group:${APPROVERS}"]`).replace('admins: ["user-id-0", "alexw@example.com"]', 'admins: []'), REPO_ROOT);
    clients = createServiceClients(config, silentLogger, { retry: { baseDelayInMs: 5, maxDelayInMs: 20, maxRetries: 1 } });
    auth = new Authorizer(new RolePolicy(config.mlops), new CachedGroupDirectory(clients.graph));
  });
  afterAll(async () => sandbox.close());

  it('grants the role to direct and nested members, by Entra object id, and to nobody else', async () => {
    expect(await auth.check(MEGAN, 'decide', 'fashion-cnn')).toBeUndefined();
    expect(await auth.check(ADELE, 'decide', 'fashion-cnn')).toBeUndefined();
    expect(await auth.check(ISAIAH, 'decide', 'fashion-cnn')).toMatchObject({ kind: 'forbidden', needs: ['approver'] });
    // A Teams id alone (no Entra object id) cannot be looked up: no group role.
    expect(await auth.check({ id: MEGAN.id, name: MEGAN.name }, 'decide', 'fashion-cnn')).toMatchObject({ kind: 'forbidden' });
  });

  it('asks Graph once per user while the answer is fresh', async () => {
    const calls = (): number => sandbox.graph.server.calls.get('directoryObjects.checkMemberGroups') ?? 0;
    const fresh = new Authorizer(auth.policy, new CachedGroupDirectory(clients.graph));
    const before = calls();
    for (let i = 0; i < 5; i++) expect(await fresh.hasRole(MEGAN, 'approver', 'fashion-cnn')).toBe(true);
    expect(calls() - before).toBe(1);
  });

  it('splits more than 20 group ids into requests of 20, as Graph requires', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `33333333-3333-3333-3333-${String(i).padStart(12, '0')}`);
    sandbox.graph.state.addMember(ids[24]!, ISAIAH.aadObjectId);
    const before = sandbox.graph.server.calls.get('directoryObjects.checkMemberGroups') ?? 0;
    expect(await clients.graph.checkMemberGroups(ISAIAH.aadObjectId, ids)).toEqual([ids[24]]);
    expect((sandbox.graph.server.calls.get('directoryObjects.checkMemberGroups') ?? 0) - before).toBe(2);
  });

  it('answers an unknown user with a typed 404 error carrying the request id', async () => {
    const err = await clients.graph.checkMemberGroups('99999999-9999-9999-9999-999999999999', [APPROVERS]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ service: 'graph', status: 404, code: 'Request_ResourceNotFound', requestId: expect.any(String) as string });
  });

  it('grants nothing when Graph is unavailable (fail closed), and asks again next time', async () => {
    const down = new Authorizer(auth.policy, new CachedGroupDirectory(clients.graph));
    await fetch(`${sandbox.graph.url}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ service: 'graph', kind: 'status', status: 503, count: 2 }) });
    expect(await down.hasRole(MEGAN, 'approver', 'fashion-cnn')).toBe(false);
    expect(await down.hasRole(MEGAN, 'approver', 'fashion-cnn')).toBe(true);
  });
});
