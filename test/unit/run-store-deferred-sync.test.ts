import { existsSync, mkdtempSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../services/store/sqlite.store';
import { newTrainRun } from '../../services/workflow/run-factory';
import { VersionConflictError } from '../../services/workflow/run-store';
import { sandboxConfig } from '../support/context';

const model = sandboxConfig().mlops.models['fashion-cnn']!;
const now = Date.parse('2026-11-26T10:00:00Z');
const fresh = () => newTrainRun({ model: 'fashion-cnn', params: {}, requester: { id: 'u', name: 'U' }, conversationId: 'c' }, model, now).run;

/** Engine steps saved with deferSync (run-store SaveOptions): in the file at once, fsynced together by flush. */
describe('deferred commits of the SQLite run store', () => {
  let path: string;
  let store: SqliteStore;
  beforeEach(() => {
    path = join(mkdtempSync(join(tmpdir(), 'mlops-deferred-')), 'state.db');
    store = new SqliteStore(path);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await store.close();
  });

  it('writes a deferred save to the database file before returning (another connection reads it, as after kill -9)', async () => {
    const created = await store.runs.createRun(fresh());
    await store.runs.saveRun({ ...created, status: 'failed' }, { outbox: [{ kind: 'failed' }] }, { deferSync: true });
    const other = new Database(path, { readonly: true });
    try {
      const row = other.prepare('SELECT status, version FROM runs WHERE id = ?').get(created.id) as { status: string; version: number };
      expect(row).toEqual({ status: 'failed', version: 2 });
      expect((other.prepare('SELECT COUNT(*) AS n FROM outbox WHERE run_id = ? AND done_at IS NULL').get(created.id) as { n: number }).n).toBe(1);
    } finally {
      other.close();
    }
  });

  it('fsyncs the write-ahead log once on flush after deferred saves, and not when nothing was deferred', async () => {
    const created = await store.runs.createRun(fresh());
    const sync = jest.spyOn(store as unknown as { syncWal(): Promise<void> }, 'syncWal');
    await store.runs.flush();
    expect(sync).not.toHaveBeenCalled();
    const v2 = await store.runs.saveRun(created, undefined, { deferSync: true });
    await store.runs.saveRun(v2, undefined, { deferSync: true });
    await store.runs.flush();
    expect(sync).toHaveBeenCalledTimes(1);
    await store.runs.flush();
    expect(sync).toHaveBeenCalledTimes(1);
  });

  it('shares one fsync between the callers that wait while it runs, and starts another for a commit made after it began', async () => {
    const created = await store.runs.createRun(fresh());
    const sync = jest.spyOn(store as unknown as { syncWal(): Promise<void> }, 'syncWal');
    const v2 = await store.runs.saveRun(created, undefined, { deferSync: true });
    const first = store.runs.flush();
    const second = store.runs.flush();
    // Made while the first fsync may already be under way: not covered by it.
    await store.runs.saveRun(v2, undefined, { deferSync: true });
    const third = store.runs.flush();
    await Promise.all([first, second, third]);
    expect(sync).toHaveBeenCalledTimes(2);
  });

  it('fails the flush when the fsync fails, and a later flush tries again', async () => {
    const created = await store.runs.createRun(fresh());
    const sync = jest.spyOn(store as unknown as { syncWal(): Promise<void> }, 'syncWal').mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    await store.runs.saveRun(created, undefined, { deferSync: true });
    await expect(store.runs.flush()).rejects.toThrow('EIO');
    await store.runs.flush();
    expect(sync).toHaveBeenCalledTimes(2);
  });

  it('goes back to synchronous=FULL after a deferred save, also when the save is refused', async () => {
    const created = await store.runs.createRun(fresh());
    const level = (): unknown => (store as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true });
    expect(level()).toBe(2);
    const v2 = await store.runs.saveRun(created, undefined, { deferSync: true });
    expect(level()).toBe(2);
    await expect(store.runs.saveRun(created, { outbox: [{ kind: 'progress' }] }, { deferSync: true })).rejects.toBeInstanceOf(VersionConflictError);
    expect(level()).toBe(2);
    expect((await store.runs.getRun(created.id))?.version).toBe(v2.version);
  });

  it('keeps one handle on the write-ahead log across flushes and closes it with the store', async () => {
    // Open descriptors of this process on the log file (Linux /proc; the project runs on Linux).
    const pointsAtWal = (fd: string): boolean => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === `${path}-wal`;
      } catch {
        return false; // closed between the listing and the read
      }
    };
    const walHandles = (): number => readdirSync('/proc/self/fd').filter(pointsAtWal).length;
    let run = await store.runs.createRun(fresh());
    for (let i = 0; i < 3; i++) {
      run = await store.runs.saveRun(run, undefined, { deferSync: true });
      await Promise.all([store.runs.flush(), store.runs.flush()]);
    }
    // SQLite's own connection holds the log open too; ours adds exactly one, however many flushes ran.
    expect(walHandles()).toBe(2);
    await store.close();
    expect(walHandles()).toBe(0);
    expect(existsSync(`${path}-wal`)).toBe(false);
    store = new SqliteStore(path);
    expect((await store.runs.getRun(run.id))?.version).toBe(run.version);
  });
});
