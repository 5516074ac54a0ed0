import { randomBytes } from 'node:crypto';
import { VersionConflictError, type RunStore } from '../../services/workflow/run-store';
import type { RunRecord } from '../../services/workflow/run.types';
import { azureTableBackend, runShape, sqliteBackend, type Backend, type SharedStore } from './store-backends';

/**
 * The behaviour of the state store that the engine, the dispatcher and the bot rely on, run
 * against every backend: SQLite (one instance) and Azure Tables on Azurite (several instances).
 */
const backends: Backend[] = [sqliteBackend(), azureTableBackend()];

describe.each(backends)('the state store on $name', (backend) => {
  let store: SharedStore;
  let runs: RunStore;

  beforeAll(() => backend.start(), 60_000);
  afterAll(() => backend.stop());
  beforeEach(async () => {
    store = await backend.fresh();
    runs = store.runs;
  });

  const policy = { maxAttempts: 3, backoffMs: 60_000, maxBackoffMs: 120_000 };
  const audit = (action: string) => ({ at: new Date().toISOString(), actor: 'user-1', action, outcome: 'ok' as const, detail: { n: 1 } });

  it('numbers runs r-1, r-2, … at version 1 and reads them back whole', async () => {
    const a = await runs.createRun(runShape());
    const b = await runs.createRun(runShape({ model: 'other' }));
    expect([a.id, a.version, b.id]).toEqual(['r-1', 1, 'r-2']);
    expect(await runs.getRun('r-2')).toEqual(b);
    expect(await runs.getRun('r-99')).toBeUndefined();
    expect(await runs.getRun('not-a-run')).toBeUndefined();
  });

  it('refuses a transition from a version that is no longer current, and writes none of its effects', async () => {
    const run = await runs.createRun(runShape());
    const next = await runs.saveRun({ ...run, status: 'waiting_approval' }, { audit: [audit('first')], outbox: [{ kind: 'progress' }] });
    expect(next.version).toBe(2);
    await expect(runs.saveRun({ ...run, status: 'failed' }, { audit: [audit('stale')], outbox: [{ kind: 'failed' }] })).rejects.toBeInstanceOf(VersionConflictError);
    expect((await runs.getRun(run.id))?.status).toBe('waiting_approval');
    expect((await runs.listAudit({ runId: run.id })).map((a) => a.action)).toEqual(['first']);
    expect((await runs.pendingOutbox()).map((o) => o.kind)).toEqual(['progress']);
    await expect(runs.saveRun({ ...run, id: 'r-404' })).rejects.toBeInstanceOf(VersionConflictError);
  });

  it('lets exactly one of several concurrent transitions from the same version win', async () => {
    const run = await runs.createRun(runShape({ status: 'waiting_approval' }));
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => runs.saveRun({ ...run, status: 'succeeded', branch: `b${i}` }, { outbox: [{ kind: 'notice', payload: `winner ${i}` }] })));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof VersionConflictError)).toHaveLength(5);
    const stored = await runs.getRun(run.id);
    expect(stored?.version).toBe(2);
    // The one announcement is the winner's.
    expect((await runs.pendingOutbox()).map((o) => o.payload)).toEqual([`winner ${stored?.branch.slice(1)}`]);
  });

  it('hands out announcements in order, completes them, retries failures with back-off and parks them after the bound', async () => {
    const a = await runs.createRun(runShape(), { outbox: [{ kind: 'progress' }, { kind: 'notice', payload: 'started' }] });
    const b = await runs.createRun(runShape(), { outbox: [{ kind: 'approvalRequested' }] });
    const first = await runs.pendingOutbox(100, 0);
    expect(first.map((o) => [o.runId, o.kind, o.payload, o.attempts])).toEqual([[a.id, 'progress', undefined, 0], [a.id, 'notice', 'started', 0], [b.id, 'approvalRequested', undefined, 0]]);
    expect(new Set(first.map((o) => o.id)).size).toBe(3);
    expect(await runs.pendingOutbox(1, 0)).toHaveLength(1);

    await runs.completeOutbox([first[0]?.id ?? -1]);
    const t0 = 1_000_000;
    const notice = first[1]?.id ?? -1;
    expect(await runs.failOutbox([notice], 'conversation gone', policy, t0)).toEqual([]);
    // Backed off: not due before 60 s, due after.
    expect((await runs.pendingOutbox(100, t0 + 59_000)).map((o) => o.kind)).toEqual(['approvalRequested']);
    expect((await runs.pendingOutbox(100, t0 + 60_000)).find((o) => o.id === notice)?.attempts).toBe(1);
    await runs.failOutbox([notice], 'conversation gone', policy, t0 + 60_000);
    const parked = await runs.failOutbox([notice], 'conversation gone for good', policy, t0 + 200_000);
    expect(parked.map((p) => [p.id, p.attempts, p.lastError, p.payload])).toEqual([[notice, 3, 'conversation gone for good', 'started']]);
    expect((await runs.pendingOutbox(100, t0 + 10_000_000)).map((o) => o.kind)).toEqual(['approvalRequested']);
    const listed = await runs.parkedOutbox();
    expect([listed.count, listed.items.map((i) => i.id)]).toEqual([1, [notice]]);
    expect((await runs.parkedOutbox(0)).count).toBe(1);
    // A parked item is not failed again, and unknown ids change nothing.
    expect(await runs.failOutbox([notice, 987_654_321], 'x', policy, t0)).toEqual([]);
    await runs.completeOutbox([first[2]?.id ?? -1, 987_654_321]);
    expect(await runs.pendingOutbox(100, t0 + 10_000_000)).toEqual([]);
  });

  it('lists newest first, filters, and pages past one page with `before`', async () => {
    const made: RunRecord[] = [];
    for (let i = 0; i < 130; i++) {
      const r = await runs.createRun(runShape({ model: i % 3 === 0 ? 'm-a' : 'm-b', target: i % 7 === 0 ? 'production' : 'staging', status: 'running', requester: i % 5 === 0 ? { id: 'user-2', name: 'Alex Wilber', aadObjectId: 'BBBB-2' } : { id: 'user-1', name: 'Megan Bowen', aadObjectId: 'AAAA-1' } }));
      made.push(i % 4 === 0 ? await runs.saveRun({ ...r, status: 'succeeded' }) : r);
    }
    const ids = (list: RunRecord[]): string[] => list.map((r) => r.id);
    const expected = (keep: (i: number) => boolean): string[] => made.map((r, i) => ({ r, i })).filter(({ i }) => keep(i)).map(({ r }) => r.id).reverse();

    const pages: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await runs.listRuns({ limit: 50, ...(before ? { before } : {}) });
      if (page.length === 0) break;
      pages.push(...ids(page));
      before = page[page.length - 1]?.id;
    }
    expect(pages).toEqual(expected(() => true));
    expect(ids(await runs.listRuns({ model: 'm-a', limit: 1000 }))).toEqual(expected((i) => i % 3 === 0));
    expect(ids(await runs.listRuns({ active: true }))).toEqual(expected((i) => i % 4 !== 0));
    expect(ids(await runs.listRuns({ active: false, model: 'm-b' }))).toEqual(expected((i) => i % 4 === 0 && i % 3 !== 0));
    expect(ids(await runs.listRuns({ status: 'succeeded', limit: 5 }))).toEqual(expected((i) => i % 4 === 0).slice(0, 5));
    expect(ids(await runs.listRuns({ requesterId: 'user-2' }))).toEqual(expected((i) => i % 5 === 0));
    expect(ids(await runs.listRuns({ requesterObjectId: 'bbbb-2', active: true }))).toEqual(expected((i) => i % 5 === 0 && i % 4 !== 0));
    expect(ids(await runs.listRuns({ requesterName: 'alex WILBER', limit: 3, before: 'r-100' }))).toEqual(expected((i) => i % 5 === 0 && i < 99).slice(0, 3));
    expect(ids(await runs.listRuns({ target: 'production', model: 'm-a', limit: 1000 }))).toEqual(expected((i) => i % 7 === 0 && i % 3 === 0));
    expect(ids(await runs.listRuns({ target: 'production', limit: 4, before: 'r-100' }))).toEqual(expected((i) => i % 7 === 0 && i < 99).slice(0, 4));
    expect(await runs.listRuns({ before: 'r-9999' })).toEqual([]);
  }, 120_000);

  it('finds the relay run of an Azure DevOps approval', async () => {
    await runs.createRun(runShape());
    const relay = await runs.createRun(runShape({ approvalId: 'appr-7' }));
    expect((await runs.findRunByDevOpsApproval('appr-7'))?.id).toBe(relay.id);
    expect(await runs.findRunByDevOpsApproval('appr-8')).toBeUndefined();
  });

  it('keeps audit lines per run and account-wide, newest first', async () => {
    const run = await runs.createRun(runShape(), { audit: [audit('train')] });
    await runs.saveRun(run, { audit: [audit('approve'), audit('deploy')] });
    await runs.appendAudit({ ...audit('subscribe'), at: new Date(Date.now() + 1000).toISOString() });
    await runs.appendAudit({ ...audit('refused'), runId: run.id, outcome: 'refused', at: new Date(Date.now() + 2000).toISOString() });
    const mine = await runs.listAudit({ runId: run.id });
    expect(mine.map((a) => a.action)).toEqual(['refused', 'deploy', 'approve', 'train']);
    expect(mine[1]).toMatchObject({ runId: run.id, outcome: 'ok', detail: { n: 1 } });
    expect((await runs.listAudit({ limit: 2 })).map((a) => a.action)).toEqual(['refused', 'subscribe']);
  });

  it('remembers which Teams message shows a run card', async () => {
    const run = await runs.createRun(runShape());
    expect(await runs.getMessage(run.id, 'runCard')).toBeUndefined();
    await runs.setMessage(run.id, 'runCard', 'conv-1', 'act-1');
    await runs.setMessage(run.id, 'runCard', 'conv-1', 'act-2');
    expect(await runs.getMessage(run.id, 'runCard')).toEqual({ conversationId: 'conv-1', activityId: 'act-2' });
    expect(await runs.getMessage(run.id, 'approvalCard')).toBeUndefined();
  });

  it('keeps subscriptions per conversation and model, with * for every model', async () => {
    await runs.putSubscription({ conversationId: '19:abc/def?#x@thread.tacv2', model: 'fashion-cnn', events: ['failed'] });
    await runs.putSubscription({ conversationId: 'conv-2', model: '*', events: ['succeeded', 'approval'] });
    await runs.putSubscription({ conversationId: 'conv-2', model: 'other', events: ['failed'] });
    await runs.putSubscription({ conversationId: '19:abc/def?#x@thread.tacv2', model: 'fashion-cnn', events: ['failed', 'succeeded'] });
    const byConv = (list: Array<{ conversationId: string; model: string }>): string[] => list.map((s) => `${s.conversationId} ${s.model}`).sort();
    expect(byConv(await runs.listSubscriptions('fashion-cnn'))).toEqual(['19:abc/def?#x@thread.tacv2 fashion-cnn', 'conv-2 *']);
    expect((await runs.listSubscriptions('fashion-cnn')).find((s) => s.model === 'fashion-cnn')?.events).toEqual(['failed', 'succeeded']);
    expect(await runs.listSubscriptions()).toHaveLength(3);
    expect(await runs.removeSubscription('conv-2', 'other')).toBe(1);
    expect(await runs.removeSubscription('conv-2')).toBe(1);
    expect(await runs.removeSubscription('conv-2')).toBe(0);
    expect(byConv(await runs.listSubscriptions())).toEqual(['19:abc/def?#x@thread.tacv2 fashion-cnn']);
  });

  it('keeps conversation references, and who installed the bot when a later update does not say', async () => {
    const long = `19:${'x'.repeat(400)}@thread.tacv2`;
    const ref = { conversation: { id: long }, serviceUrl: 'https://smba.trafficmanager.net/emea/', bot: { id: '28:bot' } };
    await store.saveConversation({ conversationId: long, conversationType: 'channel', reference: ref, installedBy: 'user-1', updatedAt: '2026-11-01T00:00:00.000Z' });
    await store.saveConversation({ conversationId: 'a:1', conversationType: 'personal', reference: { x: 1 }, installedBy: undefined, updatedAt: '2026-11-02T00:00:00.000Z' });
    await store.saveConversation({ conversationId: long, conversationType: 'channel', reference: { ...ref, serviceUrl: 'https://smba.trafficmanager.net/amer/' }, installedBy: undefined, updatedAt: '2026-11-03T00:00:00.000Z' });
    expect(await store.getConversation(long)).toEqual({ conversationId: long, conversationType: 'channel', reference: { ...ref, serviceUrl: 'https://smba.trafficmanager.net/amer/' }, installedBy: 'user-1', updatedAt: '2026-11-03T00:00:00.000Z' });
    expect((await store.listConversations()).map((c) => c.conversationId)).toEqual(['a:1', long]);
    await store.removeConversation('a:1');
    expect(await store.getConversation('a:1')).toBeUndefined();
    expect(store.ready()).toBe(true);
  });

  it('records one reminder and one expiry notice per run, and forgets one whose sending failed', async () => {
    const at = new Date().toISOString();
    expect(await store.markReminder('r-1', 'reminder', at)).toBe(true);
    expect(await store.markReminder('r-1', 'reminder', at)).toBe(false);
    expect(await store.markReminder('r-1', 'expired', at)).toBe(true);
    expect(await store.markReminder('r-2', 'reminder', at)).toBe(true);
    await store.unmarkReminder('r-1', 'reminder');
    expect(await store.markReminder('r-1', 'reminder', at)).toBe(true);
  });

  it('keeps one schedule per model and lets exactly one of several claims of a due occurrence win', async () => {
    const s = store.schedules;
    const base = { model: 'fashion-cnn', cron: '0 2 * * *', timeZone: 'Europe/Paris', owner: { id: 'user-1', name: 'Megan Bowen' }, conversationId: 'conv-1', nextDue: '2026-11-02T01:00:00.000Z' };
    await s.put(base, '2026-11-01T00:00:00.000Z');
    await s.put({ ...base, model: 'a-model' }, '2026-11-01T00:00:00.000Z');
    expect((await s.list()).map((x) => x.model)).toEqual(['a-model', 'fashion-cnn']);
    const claims = await Promise.all([1, 2, 3].map(async () => s.claim('fashion-cnn', base.nextDue, '2026-11-03T01:00:00.000Z')));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await s.get('fashion-cnn')).toMatchObject({ nextDue: '2026-11-03T01:00:00.000Z', firingDue: base.nextDue });
    // A stale expected due time claims nothing.
    expect(await s.claim('fashion-cnn', base.nextDue, '2026-11-04T01:00:00.000Z')).toBe(false);
    await s.fired('fashion-cnn', 'r-7', '2026-11-02T01:00:05.000Z');
    expect(await s.get('fashion-cnn')).toEqual({ ...base, nextDue: '2026-11-03T01:00:00.000Z', firingDue: undefined, lastRunId: 'r-7', lastFiredAt: '2026-11-02T01:00:05.000Z' });
    // An edit keeps the last run and moves the next due time.
    await s.put({ ...base, cron: '0 3 * * *', nextDue: '2026-11-03T02:00:00.000Z' }, '2026-11-02T12:00:00.000Z');
    expect(await s.get('fashion-cnn')).toMatchObject({ cron: '0 3 * * *', nextDue: '2026-11-03T02:00:00.000Z', firingDue: undefined, lastRunId: 'r-7' });
    expect(await s.remove('fashion-cnn')).toBe(true);
    expect(await s.remove('fashion-cnn')).toBe(false);
    expect(await s.get('fashion-cnn')).toBeUndefined();
  });

  it('keeps runs larger than a table property (64 KiB) or entity (1 MiB) allows, and shrinks them again', async () => {
    // Random hex compresses to about half: ~400 KB and ~2 MB of JSON (~1.1 MB compressed, more than one entity holds).
    const mid = randomBytes(200_000).toString('hex');
    const big = randomBytes(1_000_000).toString('hex');
    const run = await runs.createRun(runShape({ extra: mid }), { outbox: [{ kind: 'progress' }] });
    expect(((await runs.getRun(run.id)) as unknown as { blob: string }).blob).toBe(mid);
    const grown = await runs.saveRun({ ...run, blob: big } as RunRecord);
    expect(((await runs.getRun(run.id)) as unknown as { blob: string }).blob).toBe(big);
    expect((await runs.listRuns({ limit: 1 }))[0]).toEqual(grown);
    const shrunk = await runs.saveRun({ ...grown, blob: 'small' } as RunRecord);
    expect(await runs.getRun(run.id)).toEqual(shrunk);
  }, 60_000);
});
