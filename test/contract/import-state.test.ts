import { randomBytes } from 'node:crypto';
import { startAzuriteTable, type AzuriteTable } from '../../sandbox/azurite/azurite-table';
import { AzureTableStore } from '../../services/store/azure-table/azure-table.store';
import { importState } from '../../services/store/import-state';
import { SqliteStore } from '../../services/store/sqlite.store';
import { reportShape, runShape } from './store-backends';

const report = reportShape;

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

  it('copies the watch state, the reminder marks and parked announcements, so that nothing is announced again or lost', async () => {
    const from = new SqliteStore(':memory:');
    const w = from.watch;
    // A report announced at its version 2 (one card, updated once), with a retry the bot queued.
    await w.insertReport(report(41), '2026-11-29T09:00:00.000Z');
    await w.updateReport(report(41, { retries: [{ runId: 45, by: 'Megan Bowen', at: '2026-11-29T09:10:00.000Z', state: 'running', url: undefined, error: undefined }] }), 1, '2026-11-29T09:10:00.000Z');
    await w.setMessage('azure-devops:41', 'conv-1', 'act-41', 2);
    await w.markAnnounced('azure-devops:41', 2);
    await w.addRetry('azure-devops', 45, 'azure-devops:41');
    // A report whose newest version was not announced yet, and one never announced.
    await w.insertReport(report(42), '2026-11-29T09:20:00.000Z');
    await w.setMessage('azure-devops:42', 'conv-1', 'act-42', 1);
    await w.markAnnounced('azure-devops:42', 1);
    await w.updateReport(report(42, { result: 'canceled' }), 1, '2026-11-29T09:21:00.000Z');
    await w.insertReport(report(43, { source: 'databricks', key: 'databricks:43' }), '2026-11-29T09:30:00.000Z');
    await w.setCursor('azure-devops:1', '2026-11-29T09:30:00.000Z');
    from.markReminder('r-7', 'reminder', '2026-11-29T08:00:00.000Z');
    // A run with one parked announcement (its attempts spent) and one still to deliver, in that order.
    const run = await from.runs.createRun(runShape({ status: 'waiting_approval' }), { outbox: [{ kind: 'notice', payload: 'first' }, { kind: 'notice', payload: 'second' }] });
    const [first] = await from.runs.pendingOutbox();
    await from.runs.failOutbox([first?.id ?? 0], 'Forbidden: the bot was removed', { maxAttempts: 1, backoffMs: 1, maxBackoffMs: 1 }, Date.now());

    const to = await AzureTableStore.open({ target: { connectionString: az.connectionString, table: `imw${randomBytes(5).toString('hex')}` } });
    const n = await importState(from, to);
    expect(n).toMatchObject({ runs: 1, announcements: 1, parkedAnnouncements: 1, watchReports: 3, watchMessages: 2, watchRetries: 1, watchCursors: 1, reminders: 1 });

    for (const key of ['azure-devops:41', 'azure-devops:42', 'databricks:43']) expect([key, await to.watch.getReport(key)]).toEqual([key, await w.getReport(key)]);
    // Only what was not announced is announced by the new leader: 42 (its update) and 43 (its first card).
    expect((await to.watch.unannounced()).map((s) => [s.report.key, s.version, s.announcedVersion])).toEqual([['azure-devops:42', 2, 1], ['databricks:43', 1, 0]]);
    expect(await to.watch.messages('azure-devops:41')).toEqual([{ conversationId: 'conv-1', activityId: 'act-41', version: 2 }]);
    expect(await to.watch.messages('azure-devops:42')).toEqual([{ conversationId: 'conv-1', activityId: 'act-42', version: 1 }]);
    expect(await to.watch.retryOf('azure-devops', 45)).toBe('azure-devops:41');
    expect(await to.watch.getCursor('azure-devops:1')).toBe('2026-11-29T09:30:00.000Z');
    expect(await to.watch.listReports(10)).toEqual(await w.listReports(10));
    // The reminder was sent: not again.
    expect(await to.markReminder('r-7', 'reminder', '2026-11-29T10:00:00.000Z')).toBe(false);
    expect(await to.markReminder('r-7', 'expired', '2026-11-29T10:00:00.000Z')).toBe(true);
    // The parked announcement stays parked (listed for an operator, not sent); the other is due.
    expect((await to.runs.pendingOutbox()).map((o) => [o.runId, o.payload])).toEqual([[run.id, 'second']]);
    const parked = await to.runs.parkedOutbox();
    expect([parked.count, parked.items.map((o) => [o.runId, o.payload, o.attempts, o.lastError])]).toEqual([1, [[run.id, 'first', 1, 'Forbidden: the bot was removed']]]);

    // Again, after the table moved on: nothing copied twice, nothing of the table's overwritten.
    await to.watch.setCursor('azure-devops:1', '2026-11-29T11:00:00.000Z');
    await to.watch.markAnnounced('databricks:43', 1);
    expect(await importState(from, to)).toMatchObject({ runs: 0, watchReports: 0, watchMessages: 0, watchRetries: 0, watchCursors: 0, reminders: 0 });
    expect(await to.watch.getCursor('azure-devops:1')).toBe('2026-11-29T11:00:00.000Z');
    expect((await to.watch.getReport('databricks:43'))?.announcedVersion).toBe(1);
    await from.close();
  });
});
