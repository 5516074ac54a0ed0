import type { AzureDevOpsClient } from '../../services/azure-devops/azure-devops.client';
import { silentLogger } from '../../services/logger';
import { SqliteStore } from '../../services/store/sqlite.store';
import { WatchService } from '../../services/watch/watch.service';
import { reportKey, type ExternalRunReport } from '../../services/watch/watch.types';
import type { Authorizer } from '../../services/auth/authorizer';

/**
 * Two bot instances on one store (two WatchService objects: each process has its own in-process
 * lock): Retry clicked on both at once starts one pipeline run, because the retry is claimed on
 * the report (version-checked) before Azure DevOps is called. A failed start releases the claim.
 */
describe('a Retry of an external run claimed on its report', () => {
  let store: SqliteStore;
  const key = reportKey('azure-devops', 7);
  const report: ExternalRunReport = {
    key, source: 'azure-devops', runId: 7, targetId: 1, targetName: 'mlops-ci', runName: '2026.7', outcome: 'failed', result: 'failed', failedStep: undefined, error: undefined,
    logLines: [], url: undefined, triggeredBy: undefined, reason: 'manual', branch: 'refs/heads/main', parameters: { modelName: 'fashion-cnn' }, finishedAt: undefined, model: 'fashion-cnn', retries: [],
  };
  const alex = { id: 'user-id-0', name: 'Alex Wilber' };
  let queued: number;
  let fail: boolean;
  const devops = {
    runPipeline: async () => {
      await new Promise((r) => setTimeout(r, 20));
      if (fail) throw new Error('HTTP 503');
      queued++;
      return { id: 100 + queued, webUrl: `https://dev.azure.com/x/_build/results?buildId=${100 + queued}` };
    },
  } as unknown as AzureDevOpsClient;
  const service = (now: () => number = Date.now): WatchService =>
    new WatchService({ store: store.watch, runs: store.runs, devops, databricks: undefined, config: { models: {}, watch: {} } as never, auth: { check: async () => undefined } as unknown as Authorizer, now, logger: silentLogger, onChange: () => undefined });

  beforeEach(async () => {
    store = new SqliteStore(':memory:');
    queued = 0;
    fail = false;
    await store.watch.insertReport(report, new Date().toISOString());
  });
  afterEach(async () => store.close());

  it('starts one run for two clicks on two instances at once, and tells the second one why', async () => {
    const [a, b] = await Promise.all([service().retry(key, alex), service().retry(key, alex)]);
    expect([a, b].filter((o) => o.ok)).toHaveLength(1);
    expect([a, b].find((o) => !o.ok)?.text).toMatch(/being started|changed while you clicked/);
    expect(queued).toBe(1);
    expect((await store.watch.getReport(key))?.report.retries.map((r) => `${r.runId}:${r.state}`)).toEqual(['101:running']);
    expect(await store.watch.retryOf('azure-devops', 101)).toBe(key);
  });

  it('releases the claim when the start fails, so the next click can retry', async () => {
    fail = true;
    await expect(service().retry(key, alex)).rejects.toThrow('HTTP 503');
    expect((await store.watch.getReport(key))?.report.retries).toEqual([]);
    fail = false;
    expect((await service().retry(key, alex)).ok).toBe(true);
    expect(queued).toBe(1);
  });

  it('lets a claim whose instance stopped before starting the run lapse after ten minutes', async () => {
    const stuck = { runId: 0, by: 'Megan Bowen', at: new Date(Date.now() - 60_000).toISOString(), state: 'running' as const, url: undefined, error: undefined };
    await store.watch.updateReport({ ...report, retries: [stuck] }, 1, new Date().toISOString());
    const refused = await service().retry(key, alex);
    expect(refused).toMatchObject({ ok: false, text: expect.stringContaining('being started by Megan Bowen') as string });
    expect(queued).toBe(0);
    const later = await service(() => Date.now() + 11 * 60_000).retry(key, alex);
    expect(later.ok).toBe(true);
    expect((await store.watch.getReport(key))?.report.retries.map((r) => r.runId)).toEqual([101]);
  });
});
