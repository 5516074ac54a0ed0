import { engineHarness, story, T0, type EngineHarness } from '../support/engine-harness';
import { fatal, transient } from '../support/engine-harness.clients';
import { trainingRunToken } from '../../services/workflow/stage-steps';

/** The training stage (stage-steps.stepTraining) through the real engine, against a recording Databricks stand-in. */
let h: EngineHarness;
beforeEach(() => {
  h = engineHarness();
});
afterEach(() => h.close());

const RUNTIME = '15.4.x-cpu-ml-scala2.12';
async function inTraining(): Promise<string> {
  const id = await h.train();
  h.clock.now += 60_000;
  await story.ciPasses(h, id);
  return id;
}
const job = (state: Record<string, unknown>, output: Record<string, unknown> = {}) => h.world.jobs.set(500, { state, output });

describe('the training stage', () => {
  it('submits one run with the resolved runtime, the commit, an idempotency token and the webhook destinations', async () => {
    const id = await inTraining();
    const [[spec]] = h.rec.argsOf('databricks.submit') as [[Record<string, unknown>]];
    expect(spec).toMatchObject({ run_name: `fashion-cnn ${id}`, idempotency_token: `mlops-${id}-${T0.toString(36)}`, webhook_notifications: { on_start: [{ id: 'dest-1' }] } });
    expect(JSON.stringify(spec)).toContain(`"spark_version":"${RUNTIME}"`);
    expect(JSON.stringify(spec)).toContain(':abc123"');
    // Booleans go to Databricks as text; numbers stay numbers.
    expect(JSON.stringify(spec)).toContain('"--epochs","5"');
    const run = await h.run(id);
    expect(run.training).toEqual({ databricksRunId: 500, runtime: RUNTIME, url: 'https://adb.example/#job/runs/500' });
    expect(run.stages[1]).toMatchObject({ state: 'running', detail: `runtime ${RUNTIME}`, link: 'https://adb.example/#job/runs/500', startedAt: new Date(T0 + 60_000).toISOString() });
    expect((await h.audit(id)).at(-1)).toMatchObject({ action: 'databricks.submit', actor: 'system', outcome: 'ok', detail: { databricksRunId: 500, runtime: RUNTIME } });
  });

  it('resolves the runtime once per process, not per run', async () => {
    await inTraining();
    await inTraining();
    expect(h.rec.ops('databricks.listSparkVersions')).toHaveLength(1);
    expect(h.rec.ops('databricks.submit')).toHaveLength(2);
  });

  it('asks once for runs that start training together, and asks again after a failed answer', async () => {
    const ids = [await h.train(), await h.train(), await h.train()];
    for (const id of ids) h.world.builds.set((await h.run(id)).ci?.devopsRunId ?? -1, { state: 'completed', result: 'succeeded', sourceVersion: 'abc123' });
    h.rec.failNext('databricks.listSparkVersions', transient('databricks', 'clusters.sparkVersions'));
    await Promise.all(ids.map((id) => h.engine.advance(id)));
    // One request, shared by the three, failed: none of them has submitted.
    expect(h.rec.ops('databricks.listSparkVersions')).toHaveLength(1);
    expect(h.rec.ops('databricks.submit')).toHaveLength(0);
    await Promise.all(ids.map((id) => h.engine.advance(id)));
    expect(h.rec.ops('databricks.listSparkVersions')).toHaveLength(2);
    expect(h.rec.ops('databricks.submit')).toHaveLength(3);
    for (const id of ids) expect((await h.run(id)).training?.runtime).toBe(RUNTIME);
  });

  it('gives every run its own submit token, which a retried submit of the same run repeats', () => {
    const created = new Date(T0).toISOString();
    const token = trainingRunToken({ id: 'r-1', createdAt: created });
    expect(token).toBe(trainingRunToken({ id: 'r-1', createdAt: created }));
    // Another bot store's r-1 (run ids are per store) and this store's r-2 are other runs.
    expect(trainingRunToken({ id: 'r-1', createdAt: new Date(T0 + 1).toISOString() })).not.toBe(token);
    expect(trainingRunToken({ id: 'r-2', createdAt: created })).not.toBe(token);
    // Databricks takes at most 64 characters: the largest run id the commands accept fits.
    expect(trainingRunToken({ id: 'r-999999999999', createdAt: '2999-12-31T23:59:59.999Z' }).length).toBeLessThanOrEqual(64);
  });

  it('shows the life cycle while the run goes, stores nothing when nothing changed', async () => {
    const id = await inTraining();
    job({ phase: 'running', lifeCycleState: 'RUNNING' }, { training: { mlflowRunId: 'mlf-1' } });
    h.world.mlflowRuns.set('mlf-1', { metrics: { loss: 0.5 }, history: { loss: [{ step: 1, value: 0.9 }, { step: 2, value: 0.5 }] } });
    await h.engine.advance(id);
    let run = await h.run(id);
    expect(run.stages[1]?.detail).toBe(`runtime ${RUNTIME} · running`);
    expect(run.training).toMatchObject({ lifeCycle: 'RUNNING', mlflowRunId: 'mlf-1' });
    expect(run.metrics).toEqual([{ name: 'loss', points: [{ step: 1, value: 0.9 }, { step: 2, value: 0.5 }] }]);
    const version = run.version;
    await h.engine.advance(id);
    run = await h.run(id);
    expect(run.version).toBe(version);
    // The output is read until it names the MLflow run, then no more while the run goes on.
    expect(h.rec.ops('databricks.getRunOutput')).toHaveLength(1);
    // New metric points are news.
    h.world.mlflowRuns.set('mlf-1', { metrics: { loss: 0.4 }, history: { loss: [{ step: 1, value: 0.9 }, { step: 2, value: 0.5 }, { step: 3, value: 0.4 }] } });
    await h.engine.advance(id);
    expect((await h.run(id)).metrics[0]?.points).toHaveLength(3);
  });

  it('stores the life-cycle state it saw', async () => {
    const id = await inTraining();
    job({ phase: 'pending', lifeCycleState: 'PENDING' });
    await h.engine.advance(id);
    expect((await h.run(id)).training?.lifeCycle).toBe('PENDING');
  });

  it('goes on to the registry with the version training registered', async () => {
    const id = await inTraining();
    h.clock.now += 600_000;
    await story.trainingRegisters(h, id, '7');
    const run = await h.run(id);
    expect(run.registered).toMatchObject({ version: '7', scoringImage: 'acr.example/fashion-cnn:7' });
    expect(run.stages[1]).toMatchObject({ state: 'succeeded', detail: `runtime ${RUNTIME}`, finishedAt: new Date(T0 + 660_000).toISOString() });
    expect(run.stages[2]).toMatchObject({ state: 'succeeded', detail: 'version 7' });
  });

  it('fails a successful run that registered no version, with the end of its log', async () => {
    const id = await inTraining();
    job({ phase: 'terminated', lifeCycleState: 'TERMINATED', result: 'SUCCESS', terminal: true }, { logs: 'epoch 1\n\nepoch 2\n', training: { mlflowRunId: 'mlf-1' } });
    await h.engine.advance(id);
    expect((await h.run(id)).failure).toEqual({ stage: 'training', system: 'Databricks', message: 'Training finished but reported no registered model version (no MLOPS_RESULT line in its output)', logTail: ['epoch 1', 'epoch 2'] });
  });

  it('ends the run canceled when a user canceled it in Databricks', async () => {
    const id = await inTraining();
    job({ phase: 'terminated', lifeCycleState: 'TERMINATED', result: 'CANCELED', terminal: true, canceledBy: 'user' });
    await h.engine.advance(id);
    const run = await h.run(id);
    expect(run.status).toBe('canceled');
    expect(run.stages[1]).toMatchObject({ state: 'canceled', detail: 'canceled in Databricks' });
  });

  it('fails the run when the platform canceled it (a timeout), saying so', async () => {
    const id = await inTraining();
    job({ phase: 'terminated', lifeCycleState: 'TERMINATED', result: 'CANCELED', terminal: true, canceledBy: 'platform', message: 'Run timed out' });
    await h.engine.advance(id);
    const run = await h.run(id);
    expect(run.status).toBe('failed');
    expect(run.failure?.message).toBe('Databricks canceled the run (termination code CANCELED: the platform stopped it, e.g. it ran longer than timeout_seconds): Run timed out');
  });

  it('fails a failed run with its error, its log and its trace', async () => {
    const id = await inTraining();
    job({ phase: 'terminated', lifeCycleState: 'INTERNAL_ERROR', result: 'FAILED', terminal: true, message: 'Task failed' }, { error: 'ValueError: bad lr', logs: 'loading data', errorTrace: 'Traceback\n  line 3' });
    await h.engine.advance(id);
    expect((await h.run(id)).failure).toEqual({ stage: 'training', system: 'Databricks', message: 'Databricks run FAILED: ValueError: bad lr', logTail: ['loading data', 'Traceback', '  line 3'] });
  });

  it("uses Databricks' own message when the output has no error", async () => {
    const id = await inTraining();
    job({ phase: 'terminated', lifeCycleState: 'TERMINATED', result: 'TIMEDOUT', terminal: true, message: 'Cluster lost' });
    await h.engine.advance(id);
    expect((await h.run(id)).failure?.message).toBe('Databricks run TIMEDOUT: Cluster lost');
  });

  it('waits when the output of a finished run cannot be read yet (it decides the outcome)', async () => {
    const id = await inTraining();
    job({ phase: 'terminated', lifeCycleState: 'TERMINATED', result: 'SUCCESS', terminal: true }, { training: { mlflowRunId: 'm', modelVersion: '3' } });
    const before = await h.run(id);
    h.rec.failNext('databricks.getRunOutput', transient('databricks', 'runs.getOutput'));
    await h.engine.advance(id);
    expect(await h.run(id)).toEqual(before);
  });

  it('goes on without the output while the run is still going', async () => {
    const id = await inTraining();
    job({ phase: 'running', lifeCycleState: 'RUNNING' });
    h.rec.failNext('databricks.getRunOutput', transient('databricks', 'runs.getOutput'));
    await h.engine.advance(id);
    expect((await h.run(id)).training?.lifeCycle).toBe('RUNNING');
  });

  it('fails the run when Databricks refuses the submit', async () => {
    h.rec.failNext('databricks.submit', fatal('databricks', 'jobs.runsSubmit', 'Node type Standard_NOPE is not supported'));
    const id = await inTraining();
    expect((await h.run(id)).failure).toMatchObject({ stage: 'training', system: 'Databricks', message: 'databricks.jobs.runsSubmit HTTP 400 INVALID_PARAMETER_VALUE Node type Standard_NOPE is not supported (request id req-400)' });
  });

  it('fails at once when Databricks is not configured', async () => {
    const bare = engineHarness({ without: ['databricks'] });
    try {
      const id = await bare.train();
      await story.ciPasses(bare, id);
      expect((await bare.run(id)).failure).toMatchObject({ stage: 'training', message: 'Databricks is not configured: set DATABRICKS_HOST' });
    } finally {
      await bare.close();
    }
  });
});
