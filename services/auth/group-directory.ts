import type { Logger } from '../logger';

/** Which of some Entra groups a user (by Entra object id) belongs to. */
export interface GroupDirectory {
  memberGroups(objectId: string, groupIds: readonly string[]): Promise<ReadonlySet<string>>;
}

export interface GroupCheckClient {
  checkMemberGroups(objectId: string, groupIds: readonly string[]): Promise<string[]>;
}

/**
 * Microsoft Graph's answers, cached per user and group list: a role check runs on every click,
 * and group membership changes rarely. A failed lookup is not cached and grants nothing (fail
 * closed), with a warning in the log.
 */
export class CachedGroupDirectory implements GroupDirectory {
  private readonly cache = new Map<string, { at: number; groups: ReadonlySet<string> }>();

  constructor(
    private readonly graph: GroupCheckClient,
    private readonly o: { ttlMs?: number; now?: () => number; logger?: Logger; maxEntries?: number } = {},
  ) {}

  async memberGroups(objectId: string, groupIds: readonly string[]): Promise<ReadonlySet<string>> {
    if (groupIds.length === 0) return new Set();
    const ids = [...new Set(groupIds.map((g) => g.toLowerCase()))].sort();
    const key = `${objectId.toLowerCase()}|${ids.join(',')}`;
    const now = (this.o.now ?? Date.now)();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < (this.o.ttlMs ?? 5 * 60_000)) return hit.groups;
    try {
      const groups = new Set((await this.graph.checkMemberGroups(objectId, ids)).map((g) => g.toLowerCase()));
      if (this.cache.size >= (this.o.maxEntries ?? 10_000)) this.cache.clear();
      this.cache.set(key, { at: now, groups });
      return groups;
    } catch (error) {
      this.o.logger?.warn('could not read group membership from Microsoft Graph; group roles are not granted', { objectId, error });
      return new Set();
    }
  }
}
