import { SqliteStore } from '../../services/store/sqlite.store';
import { copyStoreFixture } from '../support/store-fixtures';
import { STAGING_THEN_PRODUCTION } from '../support/environments';
import { MEGAN, startWorkflowHarness } from '../support/workflow-harness';

// A file of its own: the workflow harness binds the managed-identity endpoint once per process.
/**
 * test/fixtures/stores/v2.sqlite was written by the store of commit f3982ad (schema version 8,
 * runs with the `ext` bag) from real runs against the sandbox with staging then production: see
 * test/fixtures/stores/README.md.
 */
describe('a store written before the typed per-stage records', () => {
  let fixture: ReturnType<typeof copyStoreFixture>;
  let store: SqliteStore;
  beforeEach(() => {
    fixture = copyStoreFixture('v2.sqlite');
    store = new SqliteStore(fixture.path);
  });
  afterEach(async () => {
    await store.close();
    fixture.remove();
  });

  it('moves every field of the old bag to its stage record, and keeps no bag', async () => {
    const runs = await store.runs.listRuns({});
    expect(runs.map((r) => `${r.id}:${r.kind}:${r.target}:${r.status}`)).toEqual([
      'r-6:relay:production:waiting_approval',
      'r-5:train:staging:running',
      'r-4:deploy:production:waiting_approval',
      'r-3:train:staging:succeeded',
      'r-2:deploy:production:succeeded',
      'r-1:train:staging:succeeded',
    ]);
    for (const r of runs) expect(r).not.toHaveProperty('ext');
    const byId = new Map(runs.map((r) => [r.id, r]));
    expect(byId.get('r-1')).toMatchObject({
      ci: { devopsRunId: 1, url: expect.stringContaining('_build/results?buildId=1') as string, commit: '8965af8f012047cd9163e39efae6a23300000000' },
      training: { databricksRunId: 455645008, runtime: '17.3.x-cpu-ml-scala2.13', lifeCycle: 'TERMINATING', mlflowRunId: '19d3c57a73ad0ee78ad863f8e9640d16', url: expect.stringContaining('/run/455645008') as string },
      registered: { version: '1', scoringImage: 'mlopsacr.azurecr.io/mlops-scoring:8965af8f012047cd9163e39efae6a23300000000' },
      deploy: { containerGroup: 'fashion-cnn-staging', requestedAt: '2026-11-29T11:44:17.928Z', sentAt: '2026-11-29T11:44:17.932Z', scoringUri: expect.stringMatching(/\/score$/) as string },
    });
    expect(byId.get('r-1')).not.toHaveProperty('relay');
    // A deploy run: no CI, the version's training run from the registry, what was live for the approval card.
    const r4 = byId.get('r-4');
    expect(r4).not.toHaveProperty('ci');
    expect(r4).not.toHaveProperty('deploy');
    expect(r4).toMatchObject({ training: { mlflowRunId: '8658dd00f4d85c43f5c5c51cec961706' }, registered: { version: '2', liveVersion: '1', liveMetrics: { val_accuracy: 0.4099 } } });
    expect(byId.get('r-5')).toMatchObject({ ci: { devopsRunId: 3 }, training: { databricksRunId: 455645300, lifeCycle: 'TERMINATING' } });
    // A relay run's pipeline run is the CD run it mirrors, not a CI run.
    expect(byId.get('r-6')).toMatchObject({ relay: { devopsRunId: 4 } });
    expect(byId.get('r-6')).not.toHaveProperty('ci');
    expect(await store.watch.isBotRun('azure-devops', 4)).toBe(true);
    expect(await store.watch.isBotRun('azure-devops', 1)).toBe(true);
    expect(await store.watch.isBotRun('databricks', 455645300)).toBe(true);
    expect(await store.watch.isBotRun('azure-devops', 99)).toBe(false);
  });

  it('fills the indexed target column from the stored runs, and finds runs of a target through its index', async () => {
    expect((await store.runs.listRuns({ model: 'fashion-cnn', target: 'production', status: 'succeeded' })).map((r) => r.id)).toEqual(['r-2']);
    expect((await store.runs.listRuns({ model: 'fashion-cnn', target: 'staging' })).map((r) => r.id)).toEqual(['r-5', 'r-3', 'r-1']);
    const db = (store as unknown as { db: { prepare(sql: string): { all(...a: unknown[]): Array<{ detail: string }> } } }).db;
    const plan = db.prepare('EXPLAIN QUERY PLAN SELECT body FROM runs WHERE model = ? AND status = ? AND target = ?').all('fashion-cnn', 'succeeded', 'staging');
    expect(plan.map((p) => p.detail).join(' ')).toContain('USING INDEX runs_model_status_target');
    // A new run's target is written when it is created; a save does not change it.
    const created = await store.runs.createRun({ ...(await store.runs.getRun('r-5'))!, status: 'running' }, { audit: [], outbox: [] });
    await store.runs.saveRun({ ...created, status: 'succeeded' });
    expect((await store.runs.listRuns({ model: 'fashion-cnn', target: 'staging', status: 'succeeded' })).map((r) => r.id)).toEqual([created.id, 'r-3', 'r-1']);
  });

  it('keeps the announcements, messages, subscriptions and schedules', async () => {
    expect((await store.runs.pendingOutbox(500)).length).toBe(50);
    expect(await store.runs.getMessage('r-1', 'runCard')).toEqual({ conversationId: 'conv-1', activityId: 'act-1' });
    expect(await store.runs.listSubscriptions('fashion-cnn')).toEqual([{ conversationId: 'conv-9', model: 'fashion-cnn', events: ['failed', 'approval'] }]);
    expect(store.schedules.list().map((s) => `${s.model} ${s.cron} ${s.owner.name}`)).toEqual(['fashion-cnn 0 3 * * 1 Alex Wilber']);
  });

  it('finishes an old run waiting for production approval with the current engine', async () => {
    await store.close();
    const h = await startWorkflowHarness({ storePath: fixture.path, yaml: STAGING_THEN_PRODUCTION });
    try {
      const old = await h.store.runs.getRun('r-4');
      h.sandbox.acr.push(old!.registered!.scoringImage!, h.sandbox.clock.now());
      // The workspace the old runs used holds versions 1 and 2; a new sandbox starts with an empty registry.
      const mlflow = h.sandbox.databricks.state.mlflow;
      const now = h.sandbox.clock.now();
      mlflow.createModel('main.mlops.fashion_cnn', now, 'unity-catalog');
      for (const runId of ['19d3c57a73ad0ee78ad863f8e9640d16', '8658dd00f4d85c43f5c5c51cec961706']) mlflow.createVersion('main.mlops.fashion_cnn', 'unity-catalog', { source: `runs:/${runId}/model`, runId, userId: 'alexw@example.com', now });
      mlflow.settle(now + 60_000, 0);
      expect((await h.engine.decide('r-4', MEGAN, 'approved', 'after the upgrade')).ok).toBe(true);
      const done = await h.until('r-4', ['succeeded', 'failed']);
      expect(done.failure).toBeUndefined();
      expect(done).toMatchObject({ status: 'succeeded', registered: { version: '2' }, deploy: { containerGroup: 'fashion-cnn-prod' } });
      expect(await h.clients.aci!.get('fashion-cnn-prod')).toMatchObject({ name: 'fashion-cnn-prod' });
      expect(mlflow.model('main.mlops.fashion_cnn', 'unity-catalog').aliases.get('production')).toBe('2');
    } finally {
      await h.close();
      store = new SqliteStore(fixture.path);
    }
  });
});
