import { Authorizer } from '../../services/auth/authorizer';
import { CachedGroupDirectory, type GroupCheckClient, type GroupDirectory } from '../../services/auth/group-directory';
import type { Logger } from '../../services/logger';
import { RolePolicy } from '../../services/auth/roles';
import type { MlopsConfig } from '../../services/config/mlops-config.schema';

// Role entries that name Entra groups, and Microsoft Graph's answers behind them, without the
// sandbox: test/integration/graph-groups.test.ts runs the same path through the Graph stand-in.
const OPS = '0a0a0a0a-0000-0000-0000-00000000000a';
const SRE = '0b0b0b0b-0000-0000-0000-00000000000b';
const MEGAN = { id: 'teams-megan', name: 'Megan', aadObjectId: 'aaaaaaaa-1111-1111-1111-111111111111' };
const ALEX = { id: 'teams-alex', name: 'Alex', aadObjectId: 'bbbbbbbb-2222-2222-2222-222222222222' };

/**
 * Graph's checkMemberGroups as the service answers it: the requested groups the user is in, by
 * object id (GUIDs, compared without case), in Graph's own spelling (`spelling`, lower by default).
 */
function fakeGraph(members: Record<string, string[]>, spelling: (id: string) => string = (id) => id.toLowerCase()): GroupCheckClient & { calls: Array<{ objectId: string; ids: readonly string[] }> } {
  const calls: Array<{ objectId: string; ids: readonly string[] }> = [];
  return {
    calls,
    checkMemberGroups: async (objectId, ids) => {
      calls.push({ objectId, ids });
      const of = (members[objectId.toLowerCase()] ?? []).map((g) => g.toLowerCase());
      return ids.filter((g) => of.includes(g.toLowerCase())).map(spelling);
    },
  };
}

/** A directory that only counts the lookups the authorizer asks of it. */
function countingDirectory(groups: string[]): GroupDirectory & { asked: number } {
  const dir = {
    asked: 0,
    memberGroups: async (): Promise<ReadonlySet<string>> => {
      dir.asked += 1;
      return new Set(groups);
    },
  };
  return dir;
}

function policy(roles: { trainers?: string[]; approvers?: string[]; admins?: string[] }, envApprovers?: string[]): RolePolicy {
  return new RolePolicy({
    roles: { trainers: roles.trainers ?? [], approvers: roles.approvers ?? [], admins: roles.admins ?? [] },
    models: { m: { roles: {}, environments: envApprovers ? [{ name: 'production', roles: { approvers: envApprovers } }] : [] } },
  } as unknown as Pick<MlopsConfig, 'roles' | 'models'>);
}

describe('the authorizer with group entries', () => {
  it('grants a role through a group named in capitals, as Graph spells group ids in lower case', async () => {
    const auth = new Authorizer(policy({ approvers: [`GROUP:${OPS.toUpperCase()}`] }), new CachedGroupDirectory(fakeGraph({ [MEGAN.aadObjectId]: [OPS] })));
    expect(await auth.hasRole(MEGAN, 'approver', 'm')).toBe(true);
    expect(await auth.hasRole(ALEX, 'approver', 'm')).toBe(false);
  });

  it('grants the role when the person is in any one of the groups listed, not only in all of them', async () => {
    const auth = new Authorizer(policy({ approvers: [`group:${OPS}`, `group:${SRE}`] }), new CachedGroupDirectory(fakeGraph({ [MEGAN.aadObjectId]: [SRE] })));
    expect(await auth.check(MEGAN, 'decide', 'm')).toBeUndefined();
  });

  it('asks the directory nothing when no entry of the role names a group', async () => {
    const dir = countingDirectory([OPS]);
    const auth = new Authorizer(policy({ approvers: ['someone-else'] }), dir);
    expect(await auth.hasRole(MEGAN, 'approver', 'm')).toBe(false);
    expect(dir.asked).toBe(0);
    // The control: with a group entry, the same person is looked up once.
    const withGroup = new Authorizer(policy({ approvers: [`group:${OPS}`] }), dir);
    expect(await withGroup.hasRole(MEGAN, 'approver', 'm')).toBe(true);
    expect(dir.asked).toBe(1);
  });

  it("names the environment whose own list refused, and no environment when the model's list did", async () => {
    const auth = new Authorizer(policy({ approvers: ['teams-alex'] }, ['prod-only']), undefined);
    expect(await auth.check(ALEX, 'decide', 'm', 'production')).toEqual({ kind: 'forbidden', action: 'decide', model: 'm', needs: ['approver'], env: 'production' });
    expect(await auth.check(MEGAN, 'decide', 'm')).toEqual({ kind: 'forbidden', action: 'decide', model: 'm', needs: ['approver'] });
  });

  it("lists a person's roles: only those held, every one for an admin, directly or through a group", async () => {
    const graph = fakeGraph({ [MEGAN.aadObjectId]: [OPS] });
    const auth = new Authorizer(policy({ trainers: ['teams-alex'], approvers: [`group:${OPS}`], admins: ['root'] }), new CachedGroupDirectory(graph));
    expect(await auth.rolesOf(ALEX, 'm')).toEqual(['trainer']);
    expect(await auth.rolesOf(MEGAN, 'm')).toEqual(['approver']);
    expect(await auth.rolesOf({ id: 'root', name: 'Root' }, 'm')).toEqual(['trainer', 'approver', 'admin']);
    expect(await auth.rolesOf({ id: 'nobody', name: 'Nobody' }, 'm')).toEqual([]);
  });
});

describe('the cached group directory', () => {
  it('asks Graph nothing for no groups', async () => {
    const graph = fakeGraph({});
    expect([...(await new CachedGroupDirectory(graph).memberGroups(MEGAN.aadObjectId, []))]).toEqual([]);
    expect(graph.calls).toHaveLength(0);
  });

  it('answers the same question in another order or case from its cache', async () => {
    const graph = fakeGraph({ [MEGAN.aadObjectId]: [OPS] });
    const dir = new CachedGroupDirectory(graph);
    expect([...(await dir.memberGroups(MEGAN.aadObjectId, [SRE, OPS]))]).toEqual([OPS]);
    expect([...(await dir.memberGroups(MEGAN.aadObjectId.toUpperCase(), [OPS.toUpperCase(), SRE]))]).toEqual([OPS]);
    expect(graph.calls).toHaveLength(1);
  });

  it('keeps group lists apart that would read alike run together', async () => {
    const graph = fakeGraph({ [MEGAN.aadObjectId]: ['ab'] });
    const dir = new CachedGroupDirectory(graph);
    expect([...(await dir.memberGroups(MEGAN.aadObjectId, ['ab', 'c']))]).toEqual(['ab']);
    expect([...(await dir.memberGroups(MEGAN.aadObjectId, ['a', 'bc']))]).toEqual([]);
    expect(graph.calls).toHaveLength(2);
  });

  it("answers in lower case whatever Graph's spelling, so a role check finds the group", async () => {
    const dir = new CachedGroupDirectory(fakeGraph({ [MEGAN.aadObjectId]: [OPS] }, (id) => id.toUpperCase()));
    expect([...(await dir.memberGroups(MEGAN.aadObjectId, [OPS]))]).toEqual([OPS]);
  });

  it('asks again once an answer is as old as the time to live, not before', async () => {
    let now = 1_000;
    const graph = fakeGraph({ [MEGAN.aadObjectId]: [OPS] });
    const dir = new CachedGroupDirectory(graph, { ttlMs: 60_000, now: () => now });
    await dir.memberGroups(MEGAN.aadObjectId, [OPS]);
    now += 59_999;
    await dir.memberGroups(MEGAN.aadObjectId, [OPS]);
    expect(graph.calls).toHaveLength(1);
    now += 1;
    await dir.memberGroups(MEGAN.aadObjectId, [OPS]);
    expect(graph.calls).toHaveLength(2);
  });

  it('holds at most maxEntries answers: a full cache starts again, an unfull one keeps what it has', async () => {
    const graph = fakeGraph({});
    const dir = new CachedGroupDirectory(graph, { maxEntries: 2 });
    const ask = async (who: string): Promise<void> => void (await dir.memberGroups(who, [OPS]));
    await ask('a');
    await ask('b');
    await ask('a');
    expect(graph.calls.map((c) => c.objectId)).toEqual(['a', 'b']);
    await ask('c');
    await ask('a');
    expect(graph.calls.map((c) => c.objectId)).toEqual(['a', 'b', 'c', 'a']);
  });

  it('grants nothing when Graph fails, says so in the log, and asks again next time', async () => {
    const lines: Array<{ msg: string; fields: Record<string, unknown> }> = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (msg, fields = {}) => void lines.push({ msg, fields }), child: () => logger };
    let fail = true;
    const graph: GroupCheckClient = {
      checkMemberGroups: async (_objectId, ids) => {
        if (fail) throw new Error('graph is down');
        return [...ids];
      },
    };
    const dir = new CachedGroupDirectory(graph, { logger });
    expect([...(await dir.memberGroups(MEGAN.aadObjectId, [OPS]))]).toEqual([]);
    expect(lines).toEqual([{ msg: expect.stringContaining('group roles are not granted') as string, fields: { objectId: MEGAN.aadObjectId, error: expect.any(Error) as Error } }]);
    fail = false;
    expect([...(await dir.memberGroups(MEGAN.aadObjectId, [OPS]))]).toEqual([OPS]);
  });
});
