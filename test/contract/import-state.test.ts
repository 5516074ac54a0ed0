import { randomBytes } from 'node:crypto';
import { startAzuriteTable, type AzuriteTable } from '../../sandbox/azurite/azurite-table';
import { AzureTableStore } from '../../services/store/azure-table/azure-table.store';
import { importState } from '../../services/store/import-state';
import { SqliteStore } from '../../services/store/sqlite.store';
import { runShape } from './store-backends';

/** The switch from SQLite: what a SQLite store holds reads back the same from the table. */
describe('copying a SQLite state into an Azure table', () => {
  let az: AzuriteTable;
  beforeAll(async () => {
    az = await startAzuriteTable();
  }, 60_000);
  afterAll(() => az.stop());

  it('copies runs with their ids, versions, audit, card messages and undelivered announcements, then the rest, once', async () => {
    const from = new SqliteStore(':memory:');
    const audit = (action: string, runId?: string) => ({ at: new Date(Date.UTC(2026, 10, 1, 0, 0, action.length)).toISOString(), actor: 'user-1', action, outcome: 'ok' as const, detail: { a: action }, ...(runId ? { runId } : {}) });
    const done = await from.runs.createRun(runShape(), { audit: [audit('train')], outbox: [{ kind: 'progress' }] });
    const finished = await from.runs.saveRun({ ...done, status: 'succeeded' }, { audit: [audit('deploy!')], outbox: [{ kind: 'notice', payload: 'live' }] });
    await from.runs.completeOutbox((await from.runs.pendingOutbox()).map((o) => o.id));
    const waiting = await from.runs.createRun(runShape({ status: 'waiting_approval', approvalId: 'appr-1' }), { outbox: [{ kind: 'approvalRequested' }, { kind: 'notice', payload: 'asked' }] });
    await from.runs.setMessage(waiting.id, 'runCard', 'conv-1', 'act-9');
    await from.runs.appendAudit(audit('subscribe'));
    await from.runs.putSubscription({ conversationId: 'conv-2', model: '*', events: ['failed'] });
    await from.saveConversation({ conversationId: 'conv-1', conversationType: 'channel', reference: { a: 1 }, installedBy: 'user-1', updatedAt: '2026-11-01T00:00:00.000Z' });
    from.schedules.put({ model: 'fashion-cnn', cron: '0 2 * * *', timeZone: 'UTC', owner: { id: 'user-1', name: 'Megan Bowen' }, conversationId: 'conv-1', nextDue: '2026-11-02T02:00:00.000Z' }, '2026-11-01T00:00:00.000Z');
    from.schedules.fired('fashion-cnn', finished.id, '2026-11-01T02:00:01.000Z');

    const to = await AzureTableStore.open({ target: { connectionString: az.connectionString, table: `imp${randomBytes(5).toString('hex')}` } });
    const n = await importState(from, to);
    expect(n).toMatchObject({ runs: 2, skippedRuns: 0, announcements: 2, auditLines: 3, subscriptions: 1, conversations: 1, schedules: 1 });

    expect(await to.runs.listRuns({})).toEqual(await from.runs.listRuns({}));
    expect(await to.runs.listRuns({ active: true })).toEqual([waiting]);
    expect((await to.runs.pendingOutbox()).map((o) => [o.runId, o.kind, o.payload])).toEqual([[waiting.id, 'approvalRequested', undefined], [waiting.id, 'notice', 'asked']]);
    expect(await to.runs.listAudit({ runId: done.id })).toEqual(await from.runs.listAudit({ runId: done.id }));
    expect((await to.runs.listAudit({})).map((a) => a.action).sort()).toEqual(['deploy!', 'subscribe', 'train']);
    expect(await to.runs.getMessage(waiting.id, 'runCard')).toEqual({ conversationId: 'conv-1', activityId: 'act-9' });
    expect((await to.runs.findRunByDevOpsApproval('appr-1'))?.id).toBe(waiting.id);
    expect(await to.runs.listSubscriptions()).toEqual(await from.runs.listSubscriptions());
    expect(await to.listConversations()).toEqual(await from.listConversations());
    expect(await to.schedules.list()).toEqual(from.schedules.list());
    // New runs number after the copied ones; a transition of a copied run checks its copied version.
    expect((await to.runs.createRun(runShape())).id).toBe('r-3');
    expect((await to.runs.saveRun(waiting)).version).toBe(waiting.version + 1);

    // Again: nothing is copied twice.
    expect(await importState(from, to)).toMatchObject({ runs: 0, skippedRuns: 2, auditLines: 0 });
    expect((await to.runs.listAudit({})).map((a) => a.action).sort()).toEqual(['deploy!', 'subscribe', 'train']);
    expect(await to.runs.listSubscriptions()).toHaveLength(1);
    await from.close();
  });
});
