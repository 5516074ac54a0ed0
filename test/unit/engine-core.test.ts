import { ALEX, engineHarness, MEGAN, story, type EngineHarness } from '../support/engine-harness';
import { PRODUCTION_ONLY } from '../support/environments';
import { fatal, transient } from '../support/engine-harness.clients';
import { VersionConflictError, type RunStore } from '../../services/workflow/run-store';

/** The engine's own rules (run-engine, run-step, tracker): advancing, conflicts, retry, cancel, the tracker pass. */
let h: EngineHarness;
afterEach(() => h.close());

describe('advance', () => {
  beforeEach(() => {
    h = engineHarness();
  });

  it('returns nothing for an unknown run and leaves a finished run alone', async () => {
    expect(await h.engine.advance('r-404')).toBeUndefined();
    const id = await h.train();
    h.world.builds.set(100, { state: 'completed', result: 'canceled' });
    await h.engine.advance(id);
    const calls = h.rec.calls.length;
    const done = await h.run(id);
    expect(await h.engine.advance(id)).toEqual(done);
    expect(h.rec.calls).toHaveLength(calls);
  });

  it('takes the steps that need no news in one advance and stops at the first that does', async () => {
    const id = await h.train();
    await story.ciPasses(h, id);
    // CI done → training started → its submit sent: then Databricks must report.
    expect(h.rec.ops()).toEqual(['devops.runPipeline', 'devops.getBuild', 'devops.getBuild', 'databricks.listSparkVersions', 'databricks.submit', 'databricks.getRun']);
    expect((await h.run(id)).stages[1]?.state).toBe('running');
  });

  it('fails a run whose stage step throws something that is not a service error', async () => {
    const id = await h.train();
    h.world.builds.set(100, { state: 'completed', result: 'succeeded' });
    h.rec.failNext('databricks.listSparkVersions', new RangeError('no runtime'));
    await h.engine.advance(id);
    expect((await h.run(id)).failure).toMatchObject({ stage: 'training', message: 'no runtime' });
    expect(h.logs.find((l) => l.msg === 'stage step failed')?.fields).toMatchObject({ runId: id });
  });
});

describe('a version conflict while saving a step', () => {
  it('reads the run again and takes the step from the new version', async () => {
    let conflicts = 1;
    const wrap = (inner: RunStore): RunStore =>
      Object.assign(Object.create(inner) as RunStore, {
        saveRun: async (...args: Parameters<RunStore['saveRun']>) => {
          if (conflicts-- > 0) throw new VersionConflictError(args[0].id, args[0].version);
          return inner.saveRun(...args);
        },
      });
    h = engineHarness({ wrap });
    const id = await h.train();
    // The first save met a conflict; the engine asked again and queued the pipeline once more.
    expect(h.rec.ops('devops.runPipeline')).toHaveLength(2);
    expect((await h.run(id)).ci?.devopsRunId).toBe(101);
  });

  it('gives up after three conflicts in a row, storing nothing', async () => {
    const wrap = (inner: RunStore): RunStore =>
      Object.assign(Object.create(inner) as RunStore, {
        saveRun: async (run: { id: string; version: number }) => {
          throw new VersionConflictError(run.id, run.version);
        },
      });
    h = engineHarness({ wrap });
    const res = await h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' });
    if (!res.ok) throw new Error('refused');
    const run = await h.settle(res.run.id);
    expect(run.ci).toBeUndefined();
    expect(run.version).toBe(res.run.version);
    // Three attempts per advance (the kick's and the settle's).
    expect(h.rec.ops('devops.runPipeline')).toHaveLength(6);
  });

  it('passes any other store error up', async () => {
    const wrap = (inner: RunStore): RunStore =>
      Object.assign(Object.create(inner) as RunStore, {
        saveRun: async () => {
          throw new Error('disk full');
        },
      });
    h = engineHarness({ wrap });
    const res = await h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' });
    if (!res.ok) throw new Error('refused');
    await expect(h.engine.advance(res.run.id)).rejects.toThrow('disk full');
  });
});

describe('retry and cancel', () => {
  beforeEach(() => {
    h = engineHarness();
  });

  it('retries a failed run as a new run with the same parameters and branch', async () => {
    const id = await h.train({ epochs: 9 });
    h.world.builds.set(100, { state: 'completed', result: 'failed' });
    await h.engine.advance(id);
    const res = await h.engine.retry(id, ALEX, 'conv-2');
    if (!res.ok) throw new Error(JSON.stringify(res.refusal));
    expect(res.message).toBe(`Retrying ${id} as ${res.run.id} with the same parameters.`);
    const retried = await h.settle(res.run.id);
    expect(retried).toMatchObject({ retryOf: id, params: { epochs: 9 }, branch: 'main', conversationId: 'conv-2', status: 'running' });
    expect(h.rec.ops('devops.runPipeline')).toHaveLength(2);
  });

  it('refuses to retry a run that is still going', async () => {
    const id = await h.train();
    expect(await h.engine.retry(id, ALEX, 'c')).toMatchObject({ ok: false, refusal: { kind: 'state', message: `Run ${id} is running; only a failed, canceled or expired run can be retried.` } });
  });

  it('cancels the CI build first, then the run', async () => {
    const id = await h.train();
    const res = await h.engine.cancel(id, ALEX);
    expect(res).toMatchObject({ ok: true, message: `Run ${id} is canceled.` });
    expect(h.rec.argsOf('devops.cancelRun')).toEqual([[100]]);
    expect((await h.run(id)).stages[0]).toMatchObject({ state: 'canceled', detail: 'canceled by Alex Wilber' });
    // No approval card to update: only the run card.
    expect((await h.outbox(id)).slice(-1)).toEqual(['progress']);
    expect(await h.outbox(id)).not.toContain('approvalUpdated');
  });

  it('cancels the Databricks run of a run in training, and keeps the run when that fails', async () => {
    const id = await h.train();
    await story.ciPasses(h, id);
    h.rec.failNext('databricks.cancelRun', fatal('databricks', 'runs.cancel', 'denied'));
    expect(await h.engine.cancel(id, ALEX)).toMatchObject({ ok: false, refusal: { message: 'Could not cancel: databricks.runs.cancel HTTP 400 INVALID_PARAMETER_VALUE denied (request id req-400)' } });
    expect((await h.run(id)).status).toBe('running');
    expect(await h.engine.cancel(id, MEGAN)).toMatchObject({ ok: true });
    expect(h.rec.argsOf('databricks.cancelRun')).toEqual([[500], [500]]);
  });
});

describe('the tracker pass', () => {
  beforeEach(() => {
    h = engineHarness();
  });

  it('advances every unfinished run, oldest first, and leaves finished ones', async () => {
    const a = await h.train();
    const b = await h.train();
    h.world.builds.set(100, { state: 'completed', result: 'canceled' });
    await h.engine.advance(a);
    h.rec.calls.length = 0;
    await h.tracker.tick();
    expect(h.rec.argsOf('devops.getBuild')).toEqual([[101]]);
    expect((await h.run(b)).status).toBe('running');
  });

  it('logs a run whose advance fails and goes on with the others', async () => {
    await h.train();
    await h.train();
    const advance = h.engine.advance.bind(h.engine);
    let first = true;
    h.engine.advance = async (id: string) => {
      if (first) {
        first = false;
        throw new Error('boom');
      }
      return advance(id);
    };
    await h.tracker.tick();
    expect(h.logs.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['advance failed']);
    expect(h.rec.ops('devops.getBuild')).toHaveLength(3);
  });

  it('looks for Azure DevOps approvals to relay, and logs when it cannot', async () => {
    await h.tracker.tick();
    expect(h.rec.argsOf('devops.listRuns')).toEqual([[2, { state: 'inProgress', pageSize: 50 }]]);
    h.rec.failNext('devops.listRuns', transient('azure-devops', 'runs.list'));
    await h.tracker.tick();
    expect(h.logs.map((l) => l.msg)).toEqual(['could not look for Azure DevOps approvals']);
  });
});

describe('more engine rules', () => {
  it('advances runs oldest first on a tracker pass', async () => {
    h = engineHarness();
    await h.train();
    await h.train();
    await h.train();
    h.rec.calls.length = 0;
    await h.tracker.tick();
    expect(h.rec.argsOf('devops.getBuild')).toEqual([[100], [101], [102]]);
  });

  it('fails the run of a model that left mlops.config.yaml, naming it', async () => {
    h = engineHarness();
    const id = await h.train();
    const stored = await h.run(id);
    await h.runs.saveRun({ ...stored, model: 'gone-cnn' });
    await h.engine.advance(id);
    expect((await h.run(id)).failure).toMatchObject({ stage: 'ci', message: 'model gone-cnn is no longer in mlops.config.yaml' });
  });

  it('answers "changing too fast" when every decision meets a version conflict', async () => {
    let conflicts = 0;
    const wrap = (inner: RunStore): RunStore =>
      Object.assign(Object.create(inner) as RunStore, {
        saveRun: async (...args: Parameters<RunStore['saveRun']>) => {
          if (args[0].approval?.decisions.length) {
            conflicts++;
            throw new VersionConflictError(args[0].id, args[0].version);
          }
          return inner.saveRun(...args);
        },
      });
    h = engineHarness({ wrap });
    h.world.versions.set('7', { status: 'READY', scoringImage: 'img:7' });
    story.groupRuns(h, 'fashion-cnn-staging');
    const staging = await h.engine.startDeploy({ model: 'fashion-cnn', version: '7', requester: ALEX, conversationId: 'c' });
    if (!staging.ok) throw new Error('refused');
    await h.settle(staging.run.id);
    story.groupRuns(h, 'fashion-cnn-staging');
    await h.engine.advance(staging.run.id);
    const prod = await h.engine.promote(staging.run.id, ALEX, 'c');
    if (!prod.ok) throw new Error(JSON.stringify(prod.refusal));
    await h.settle(prod.run.id);
    expect(await h.engine.decide(prod.run.id, MEGAN, 'approved', '')).toMatchObject({ ok: false, refusal: { kind: 'state', message: 'The run is changing too fast right now; try again.' } });
    expect(conflicts).toBe(5);
  });

  it('cancels a run waiting for approval: the approval goes stale and its card is updated', async () => {
    h = engineHarness({ yaml: PRODUCTION_ONLY });
    const id = await h.train();
    await story.ciPasses(h, id);
    await story.trainingRegisters(h, id, '7');
    expect((await h.run(id)).status).toBe('waiting_approval');
    expect(await h.engine.cancel(id, MEGAN)).toMatchObject({ ok: true });
    const run = await h.run(id);
    expect(run.approval?.state).toBe('stale');
    expect(run.stages[3]).toMatchObject({ state: 'canceled', detail: 'canceled by Megan Bowen' });
    expect((await h.audit(id)).at(-1)).toMatchObject({ action: 'run.cancel', actor: 'teams:user-id-1', detail: { stage: 'approval', devopsRunId: 100, databricksRunId: 500 } });
    expect((await h.outbox(id)).slice(-2)).toEqual(['approvalUpdated', 'progress']);
    expect(h.rec.ops('devops.cancelRun')).toEqual([]);
    expect(await h.engine.cancel(id, MEGAN)).toMatchObject({ ok: false, refusal: { message: `Run ${id} is already canceled.` } });
  });

  it('keeps the first 500 characters of a decision comment, and the whole comment in the audit', async () => {
    h = engineHarness({ yaml: PRODUCTION_ONLY });
    const id = await h.train();
    await story.ciPasses(h, id);
    await story.trainingRegisters(h, id, '7');
    const comment = 'x'.repeat(600);
    await h.engine.decide(id, MEGAN, 'approved', comment);
    const run = await h.settle(id);
    expect(run.approval?.decisions[0]?.comment).toHaveLength(500);
    expect((await h.audit(id)).find((a) => a.action === 'approval.approved')).toMatchObject({ actor: 'teams:user-id-1', detail: { comment, version: '7' } });
  });
});
