import type { WatchStore } from '../../services/watch/watch.store';
import { azureTableBackend, reportShape, runShape, sqliteBackend, type Backend, type SharedStore } from './store-backends';

/**
 * The watch store's contract (services/watch: one report per external run, announced once per
 * version, its messages, retries and poll points), on every backend: with Azure Tables all
 * instances share it, so a Retry click or a webhook on any instance finds the report.
 */
const backends: Backend[] = [sqliteBackend(), azureTableBackend()];

const report = reportShape;

describe.each(backends)('the watch store on $name', (backend) => {
  let store: SharedStore;
  let watch: WatchStore;
  beforeAll(() => backend.start(), 60_000);
  afterAll(() => backend.stop());
  beforeEach(async () => {
    store = await backend.fresh();
    watch = store.watch;
  });
  const now = '2026-11-29T10:00:00.000Z';

  it('keeps one report per run: a second insert (duplicate or late delivery) is refused and changes nothing', async () => {
    expect(await watch.insertReport(report(7), now)).toBe(true);
    expect(await watch.insertReport(report(7, { error: 'other' }), now)).toBe(false);
    expect(await watch.getReport('azure-devops:7')).toEqual({ report: report(7), version: 1, announcedVersion: 0 });
    expect(await watch.getReport('azure-devops:8')).toBeUndefined();
  });

  it('changes a report only from the version read, and announces each version once', async () => {
    await watch.insertReport(report(7), now);
    expect((await watch.unannounced()).map((s) => s.report.key)).toEqual(['azure-devops:7']);
    await watch.markAnnounced('azure-devops:7', 1);
    expect(await watch.unannounced()).toEqual([]);
    const retried = report(7, { retries: [{ runId: 9, by: 'Alex Wilber', at: now, state: 'running', url: undefined, error: undefined }] });
    const [a, b] = await Promise.all([watch.updateReport(retried, 1, now), watch.updateReport(retried, 1, now)]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(await watch.updateReport(retried, 1, now)).toBe(false);
    const stored = await watch.getReport('azure-devops:7');
    expect(stored).toMatchObject({ version: 2, announcedVersion: 1, report: { retries: [{ runId: 9 }] } });
    expect((await watch.unannounced()).map((s) => s.version)).toEqual([2]);
    await watch.markAnnounced('azure-devops:7', 1); // an older announcement finishing late does not hide version 2
    expect((await watch.unannounced()).map((s) => s.version)).toEqual([2]);
    await watch.markAnnounced('azure-devops:7', 2);
    expect(await watch.unannounced()).toEqual([]);
  });

  it('does not take an announcement being marked for a change of the report', async () => {
    await watch.insertReport(report(7), now);
    for (let v = 1; v <= 10; v++) {
      const [, changed] = await Promise.all([watch.markAnnounced('azure-devops:7', v), watch.updateReport(report(7, { error: `e${v}` }), v, now)]);
      expect([v, changed]).toEqual([v, true]);
    }
    expect(await watch.getReport('azure-devops:7')).toMatchObject({ version: 11, report: { error: 'e10' } });
  });

  it('lists reports newest first, and keeps messages, retries and poll points', async () => {
    await watch.insertReport(report(1), '2026-11-29T10:00:00.000Z');
    await watch.insertReport(report(2), '2026-11-29T11:00:00.000Z');
    await watch.insertReport(report(3), '2026-11-29T09:00:00.000Z');
    expect((await watch.listReports(2)).map((r) => r.runId)).toEqual([2, 1]);
    await watch.setMessage('azure-devops:1', 'conv-a', 'act-1', 1);
    await watch.setMessage('azure-devops:1', 'conv-b', 'act-2', 1);
    await watch.setMessage('azure-devops:1', 'conv-a', 'act-1', 2);
    expect((await watch.messages('azure-devops:1')).sort((x, y) => x.conversationId.localeCompare(y.conversationId))).toEqual([
      { conversationId: 'conv-a', activityId: 'act-1', version: 2 },
      { conversationId: 'conv-b', activityId: 'act-2', version: 1 },
    ]);
    expect(await watch.messages('azure-devops:2')).toEqual([]);
    await watch.addRetry('azure-devops', 9, 'azure-devops:1');
    expect(await watch.retryOf('azure-devops', 9)).toBe('azure-devops:1');
    expect(await watch.retryOf('databricks', 9)).toBeUndefined();
    expect(await watch.getCursor('devops')).toBeUndefined();
    await watch.setCursor('devops', '2026-11-29T10:00:00.000Z');
    await watch.setCursor('devops', '2026-11-29T11:00:00.000Z');
    expect(await watch.getCursor('devops')).toBe('2026-11-29T11:00:00.000Z');
  });

  it("knows the bot's own pipeline and job runs (CI, relayed CD, training) from the run records", async () => {
    const run = await store.runs.createRun(runShape());
    await store.runs.saveRun({ ...run, ci: { devopsRunId: 41 }, training: { databricksRunId: 9001 } });
    await store.runs.createRun({ ...runShape(), kind: 'relay', relay: { devopsRunId: 42 } });
    expect(await watch.isBotRun('azure-devops', 41)).toBe(true);
    expect(await watch.isBotRun('azure-devops', 42)).toBe(true);
    expect(await watch.isBotRun('databricks', 9001)).toBe(true);
    expect(await watch.isBotRun('azure-devops', 9001)).toBe(false);
    expect(await watch.isBotRun('databricks', 41)).toBe(false);
  });
});
