import { randomBytes } from 'node:crypto';
import { startAzuriteTable, type AzuriteTable } from '../../sandbox/azurite/azurite-table';
import { BodyTooLargeError } from '../../services/store/azure-table/body-codec';
import { AzureTableStore } from '../../services/store/azure-table/azure-table.store';
import { AzureOutbox } from '../../services/store/azure-table/azure-outbox';
import { TableLease } from '../../services/store/azure-table/table-lease';
import { VersionConflictError } from '../../services/workflow/run-store';
import { ServiceError } from '../../services/http/errors';
import type { RunRecord } from '../../services/workflow/run.types';
import { runShape } from './store-backends';

/** What only the Azure Table backend has: several instances on one table, body rows, markers, leases. */
describe('the Azure Table store on Azurite', () => {
  let az: AzuriteTable;
  beforeAll(async () => {
    az = await startAzuriteTable();
  }, 60_000);
  afterAll(() => az.stop());

  const open = (table: string, now?: () => number): Promise<AzureTableStore> => AzureTableStore.open({ target: { connectionString: az.connectionString, table }, ...(now ? { now } : {}) });
  const tableName = (): string => `t${randomBytes(6).toString('hex')}`;

  it('lets two instances race on one run: one transition wins, the other gets a version conflict', async () => {
    const name = tableName();
    const [a, b] = [await open(name), await open(name)];
    const run = await a.runs.createRun(runShape({ status: 'waiting_approval' }));
    const [ra, rb] = [(await a.runs.getRun(run.id)) as RunRecord, (await b.runs.getRun(run.id)) as RunRecord];
    const results = await Promise.allSettled([a.runs.saveRun({ ...ra, status: 'succeeded' }, { outbox: [{ kind: 'notice', payload: 'a' }] }), b.runs.saveRun({ ...rb, status: 'failed' }, { outbox: [{ kind: 'notice', payload: 'b' }] })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof VersionConflictError)).toHaveLength(1);
    // Both instances see the one outcome and its one announcement.
    const winner = (await b.runs.getRun(run.id))?.status === 'succeeded' ? 'a' : 'b';
    expect((await a.runs.pendingOutbox()).map((o) => o.payload)).toEqual([winner]);
    expect((await b.runs.pendingOutbox()).map((o) => o.payload)).toEqual([winner]);
  });

  it('spreads a body over a second row when one entity cannot hold it, removes that row when it shrinks, and refuses a body beyond two', async () => {
    const s = await open(tableName());
    const run = await s.runs.createRun(runShape({ extra: randomBytes(1_000_000).toString('hex') }));
    expect(await s.table.get(`run-${run.id}`, 'part-1')).toBeDefined();
    await s.runs.saveRun({ ...run, blob: 'small' } as RunRecord);
    expect(await s.table.get(`run-${run.id}`, 'part-1')).toBeUndefined();
    await expect(s.runs.createRun(runShape({ extra: randomBytes(3_000_000).toString('hex') }))).rejects.toBeInstanceOf(BodyTooLargeError);
  }, 60_000);

  it('keeps a young pending-outbox marker that has no items yet, and removes it once it is old and empty', async () => {
    const name = tableName();
    let now = Date.now();
    const s = await open(name, () => now);
    const outbox = new AzureOutbox(s.table, () => now);
    // A writer marked run r-1 and has not committed its items yet.
    await outbox.markPending('r-1');
    expect(await outbox.pending()).toEqual([]);
    expect(await s.table.get('obpending', 'r-1')).toBeDefined();
    now += 11 * 60_000;
    expect(await outbox.pending(100, now)).toEqual([]);
    expect(await s.table.get('obpending', 'r-1')).toBeUndefined();
  });

  it('fails a refused call as a typed error with service, status and code, and names no key', async () => {
    const wrongKey = az.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${Buffer.from('not the key').toString('base64')}`);
    const error = await AzureTableStore.open({ target: { connectionString: wrongKey, table: tableName() } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ service: 'azure-table', operation: 'createTable', status: 403 });
    expect((error as ServiceError).describe()).not.toContain('AccountKey');
  });

  it('gives a lease to one instance at a time, and to another once the holder stops renewing it', async () => {
    const s = await open(tableName());
    let now = 1_000_000;
    const a = new TableLease(s.table, 'leader', 'instance-a', 30_000, () => now);
    const b = new TableLease(s.table, 'leader', 'instance-b', 30_000, () => now);
    const both = await Promise.all([a.acquire(), b.acquire()]);
    expect(both.filter(Boolean)).toHaveLength(1);
    const [holder, other] = both[0] ? [a, b] : [b, a];
    expect([holder.held(), other.held()]).toEqual([true, false]);
    now += 10_000;
    expect(await holder.acquire()).toBe(true);
    now += 25_000;
    // Renewed 25 s ago with a 30 s term: still taken.
    expect(await other.acquire()).toBe(false);
    // Past the margin, the holder stops acting before the term ends; then the term ends and the other takes over.
    now += 1_000;
    expect(holder.held()).toBe(false);
    now += 5_000;
    expect(await other.acquire()).toBe(true);
    expect(other.held()).toBe(true);
    expect(await holder.acquire()).toBe(false);
    await other.release();
    expect(await holder.acquire()).toBe(true);
  });
});
