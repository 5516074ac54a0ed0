import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { PRODUCTION_ONLY } from '../support/environments';
import { ALEX, MEGAN, startWorkflowHarness, started } from '../support/workflow-harness';

/**
 * Restarts, shared stores and outages mid-run. fashion-cnn is pinned to one environment
 * (PRODUCTION_ONLY): these runs stop at an approval (decided after a restart, or by two processes
 * at once) and the rollback needs a version live in production. The shipped staging → production
 * flow across a kill -9 is test/integration/bot-restart.test.ts.
 */
describe('durability', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ clock: new SandboxClock(200) });
  });
  afterAll(async () => sandbox.close());

  it('resumes an unfinished run after the bot restarts, from the state on disk', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'mlops-dur-')), 'state.db');
    const first = await startWorkflowHarness({ yaml: PRODUCTION_ONLY, sandbox, storePath: db });
    const run = await started(first.engine.startTrain({ model: 'fashion-cnn', params: { epochs: 2 }, requester: ALEX, conversationId: 'c' }));
    const mid = await first.untilRun(run.id, 'training submitted', (r) => r.training?.databricksRunId !== undefined);
    await first.close(); // the process is gone; only the database file remains

    const second = await startWorkflowHarness({ yaml: PRODUCTION_ONLY, sandbox, storePath: db });
    const resumed = await second.store.runs.getRun(run.id);
    expect(resumed?.training?.databricksRunId).toBe(mid.training?.databricksRunId);
    await second.tracker.tick();
    await second.until(run.id, ['waiting_approval']);
    await second.engine.decide(run.id, MEGAN, 'approved', '');
    const done = await second.until(run.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    // The training run was submitted once, not again after the restart.
    const submits = (await second.store.runs.listAudit({ runId: run.id })).filter((a) => a.action === 'databricks.submit');
    expect(submits).toHaveLength(1);
    await second.close();
  });

  it('keeps a rollback after a failed smoke test as persisted steps, which a restart finishes', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'mlops-dur-')), 'state.db');
    const first = await startWorkflowHarness({ yaml: PRODUCTION_ONLY, sandbox, storePath: db });
    const good = await started(first.engine.startTrain({ model: 'fashion-cnn', params: { epochs: 1 }, requester: ALEX, conversationId: 'c' }));
    await first.until(good.id, ['waiting_approval']);
    await first.engine.decide(good.id, MEGAN, 'approved', '');
    const live = await first.until(good.id, ['succeeded', 'failed']);
    expect(live.status).toBe('succeeded');
    sandbox.databricks.state.workspace.nextScoringImage({ suffix: 'score-500' });
    const bad = await started(first.engine.startTrain({ model: 'fashion-cnn', params: { epochs: 1 }, requester: ALEX, conversationId: 'c' }));
    await first.until(bad.id, ['waiting_approval']);
    // ARM takes the bad version's PUT, then refuses every PUT (503) until the restart: the first
    // process cannot finish the rollback, however fast it runs (one engine pass could otherwise
    // record the rollback, send it and see it done before the test looks).
    sandbox.faults.add({ service: 'arm', operation: 'containerGroups.createOrUpdate', kind: 'status', status: 503, after: 1 });
    try {
      await first.engine.decide(bad.id, MEGAN, 'approved', '');
      // The rollback is on disk as an intent while the smoke stage is still open.
      const rolling = await first.untilRun(bad.id, 'rollback recorded', (r) => r.rollback !== undefined);
      expect(rolling.status).toBe('running');
      expect(rolling.rollback).toMatchObject({ toVersion: live.registered?.version, problem: expect.stringContaining('HTTP 500') as string });
      expect(rolling.rollback?.sentAt).toBeUndefined();
      await first.close(); // the process is gone mid-rollback
    } finally {
      sandbox.faults.clear();
    }

    const second = await startWorkflowHarness({ yaml: PRODUCTION_ONLY, sandbox, storePath: db });
    const failed = await second.until(bad.id, ['failed', 'succeeded']);
    expect(failed.failure?.message).toContain(`Rolled back to version ${live.registered!.version!}`);
    expect(failed.rolledBackTo).toBe(live.registered?.version);
    const group = await second.clients.aci!.get('fashion-cnn-prod');
    expect(group.containers[0]?.image).toBe(live.registered?.scoringImage);
    const phases = (await second.store.runs.listAudit({ runId: bad.id })).filter((a) => a.action === 'aci.rollback').map((a) => a.detail.phase);
    expect(phases.sort()).toEqual(['requested', 'running']);
    await second.close();
  }, 60_000);

  it('lets exactly one of two bot processes record a decision (version check on the shared store)', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'mlops-dur-')), 'state.db');
    const a = await startWorkflowHarness({ yaml: PRODUCTION_ONLY, sandbox, storePath: db });
    const b = await startWorkflowHarness({ yaml: PRODUCTION_ONLY, sandbox, storePath: db });
    const run = await started(a.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' }));
    await a.until(run.id, ['waiting_approval']);
    const clicks = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).engine.decide(run.id, MEGAN, 'approved', `click ${i}`)));
    expect(clicks.filter((c) => c.ok)).toHaveLength(1);
    const final = await a.store.runs.getRun(run.id);
    expect(final?.approval?.decisions).toHaveLength(1);
    await a.engine.cancel(run.id, ALEX);
    await a.close();
    await b.close();
  });

  it('survives throttling and outages of the services mid-run', async () => {
    const h = await startWorkflowHarness({ yaml: PRODUCTION_ONLY, sandbox });
    sandbox.faults.add({ service: 'azure-devops', operation: '*', kind: 'status', status: 429, count: 2 });
    sandbox.faults.add({ service: 'databricks', operation: '*', kind: 'status', status: 503, count: 2 });
    sandbox.faults.add({ service: 'arm', operation: '*', kind: 'status', status: 429, retryAfterSeconds: 0, count: 2 });
    try {
      const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' }));
      await h.until(run.id, ['waiting_approval'], 30_000);
      await h.engine.decide(run.id, MEGAN, 'approved', '');
      const done = await h.until(run.id, ['succeeded', 'failed'], 30_000);
      expect(done.failure).toBeUndefined();
      expect(done.status).toBe('succeeded');
    } finally {
      sandbox.faults.clear();
      await h.close();
    }
  }, 60_000);
  // One ARM sandbox per file: the managed-identity endpoint is process-wide (see services/identity).
  it('leaves the run where it is while a service stays down, and carries on when it is back', async () => {
    const h = await startWorkflowHarness({ yaml: PRODUCTION_ONLY, sandbox });
    try {
      const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' }));
      await h.untilRun(run.id, 'CI queued', (r) => r.ci?.devopsRunId !== undefined);
      // Every Azure DevOps call fails with 503 for a while: more than the client's retries.
      sandbox.faults.add({ service: 'azure-devops', operation: '*', kind: 'status', status: 503, count: 40 });
      for (let i = 0; i < 4; i++) {
        const r = await h.engine.advance(run.id);
        expect(r?.status).toBe('running');
        expect(r?.failure).toBeUndefined();
      }
      sandbox.faults.clear();
      const waiting = await h.until(run.id, ['waiting_approval', 'failed'], 30_000);
      expect(waiting.status).toBe('waiting_approval');
      await h.engine.cancel(run.id, ALEX);
    } finally {
      sandbox.faults.clear();
      await h.close();
    }
  }, 60_000);
});
