import { ALEX, engineHarness, imageOf, story, type EngineHarness } from '../support/engine-harness';

/**
 * The edges of the CI, training and registry steps (services/workflow/stage-steps.ts) that the
 * stage suites (engine-ci, engine-training, engine-registry) left to the sandbox suites or to no
 * test: what a failure for a service that is not configured carries, the end of a run, a model
 * that left the configuration, the life-cycle detail, a result Databricks does not name, and the
 * registry stage's use of what training already found.
 */
let h: EngineHarness;
beforeEach(() => (h = engineHarness()));
afterEach(() => h.close());

const job = (state: Record<string, unknown>, output: Record<string, unknown> = {}): void => void h.world.jobs.set(500, { state, output });

describe('a service that is not configured', () => {
  it.each([
    ['devops', 'ci', 'Azure DevOps is not configured: set AZURE_DEVOPS_ORG_URL and AZURE_DEVOPS_PROJECT'],
    ['databricks', 'training', 'Databricks is not configured: set DATABRICKS_HOST'],
  ] as const)('without %s fails the %s stage with what to set and no log lines', async (without, stage, message) => {
    const bare = engineHarness({ without: [without] });
    try {
      const id = await bare.train();
      if (without === 'databricks') await story.ciPasses(bare, id);
      expect((await bare.run(id)).failure).toEqual({ stage, system: expect.any(String) as string, message, logTail: [] });
    } finally {
      await bare.close();
    }
  });

  it('without a registry fails a deploy run at the registry stage with what to set and no log lines', async () => {
    const bare = engineHarness({ without: ['registry'] });
    try {
      const res = await bare.engine.startDeploy({ model: 'fashion-cnn', version: '7', requester: ALEX, conversationId: 'c' });
      if (!res.ok) throw new Error(JSON.stringify(res.refusal));
      expect((await bare.settle(res.run.id)).failure).toEqual({ stage: 'registered', system: 'MLflow', message: 'The model registry is not configured: set MLFLOW_TRACKING_URI or DATABRICKS_HOST', logTail: [] });
    } finally {
      await bare.close();
    }
  });
});

describe('the end of a run', () => {
  it('audits the success with the version, the container group and where it answers', async () => {
    h.world.versions.set('7', { status: 'READY', scoringImage: imageOf('7') });
    const res = await h.engine.startDeploy({ model: 'fashion-cnn', version: '7', requester: ALEX, conversationId: 'c' });
    if (!res.ok) throw new Error(JSON.stringify(res.refusal));
    await h.settle(res.run.id);
    story.groupRuns(h, 'fashion-cnn-staging');
    expect((await h.engine.advance(res.run.id))?.status).toBe('succeeded');
    const done = (await h.audit(res.run.id)).filter((a) => a.action === 'run.succeeded');
    expect(done).toEqual([expect.objectContaining({ actor: 'system', outcome: 'ok', detail: { version: '7', containerGroup: 'fashion-cnn-staging', scoringUri: expect.stringContaining('fashion-cnn-staging') as string } })]);
  });
});

describe('a run whose model left mlops.config.yaml', () => {
  it('fails, naming the model', async () => {
    const id = await h.train();
    const run = await h.run(id);
    await h.runs.saveRun({ ...run, model: 'retired-model' });
    await h.engine.advance(id);
    expect((await h.run(id)).failure?.message).toContain('model retired-model is no longer in mlops.config.yaml');
  });
});

describe('training', () => {
  it('submits without notification destinations when none is set up, rather than made-up ones', async () => {
    const bare = engineHarness({ noWebhookDestinations: true });
    try {
      const id = await bare.train();
      await story.ciPasses(bare, id);
      const [[spec]] = bare.rec.argsOf('databricks.submit') as [[Record<string, unknown>]];
      expect(JSON.stringify(spec)).not.toContain('"id":');
    } finally {
      await bare.close();
    }
  });

  it('shows a life-cycle state in words and keeps the detail and the state it saw in step', async () => {
    const id = await h.train();
    await story.ciPasses(h, id);
    job({ phase: 'running', lifeCycleState: 'WAITING_FOR_RETRY', terminal: false });
    await h.engine.advance(id);
    let run = await h.run(id);
    expect(run.stages.find((s) => s.id === 'training')?.detail).toMatch(/ · waiting for retry$/);
    // A record with the state but an older detail is brought up to date...
    const stale = { ...run, stages: run.stages.map((s) => (s.id === 'training' ? { ...s, detail: 'runtime ?' } : s)) };
    await h.runs.saveRun(stale);
    await h.engine.advance(id);
    run = await h.run(id);
    expect(run.stages.find((s) => s.id === 'training')?.detail).toMatch(/ · waiting for retry$/);
    // ...and one with the detail but without the state (written before the state was kept) records it.
    await h.runs.saveRun({ ...run, training: { ...run.training, lifeCycle: undefined } });
    await h.engine.advance(id);
    expect((await h.run(id)).training?.lifeCycle).toBe('WAITING_FOR_RETRY');
  });

  it('fails a finished run that names no result as "failed"', async () => {
    const id = await h.train();
    await story.ciPasses(h, id);
    job({ phase: 'terminated', lifeCycleState: 'INTERNAL_ERROR', terminal: true, message: 'the cluster could not start' });
    await h.engine.advance(id);
    expect((await h.run(id)).failure?.message).toBe('Databricks run failed: the cluster could not start');
  });
});

describe('the registry stage after training', () => {
  it('keeps the MLflow run training named and reads no metrics the run already has', async () => {
    const id = await h.train();
    await story.ciPasses(h, id);
    h.world.versions.set('7', { status: 'PENDING_REGISTRATION', scoringImage: imageOf('7'), runId: 'mlf-other' });
    h.world.mlflowRuns.set('mlf-7', { metrics: { accuracy: 0.91 }, history: { accuracy: [{ step: 1, value: 0.91 }] } });
    job({ phase: 'terminated', lifeCycleState: 'TERMINATED', result: 'SUCCESS', terminal: true }, { training: { mlflowRunId: 'mlf-7', modelVersion: '7', experimentId: '1', modelName: undefined } });
    await h.engine.advance(id);
    const reads = h.rec.argsOf('registry.getRun').length;
    await h.engine.advance(id);
    const run = await h.run(id);
    expect(run.training?.mlflowRunId).toBe('mlf-7');
    expect(run.metrics).toEqual([{ name: 'accuracy', points: [{ step: 1, value: 0.91 }] }]);
    expect(h.rec.argsOf('registry.getRun').length).toBe(reads);
  });

  it.each([
    [{ status: 'FAILED_REGISTRATION' }, 'Registration of main.mlops.fashion_cnn version 7 failed'],
    [{ status: 'READY' }, 'Model version 7 has no scoring_image tag, so there is nothing to deploy'],
  ])('fails on %j with no log lines', async (version, message) => {
    h.world.versions.set('7', version);
    const res = await h.engine.startDeploy({ model: 'fashion-cnn', version: '7', requester: ALEX, conversationId: 'c' });
    if (!res.ok) throw new Error(JSON.stringify(res.refusal));
    expect((await h.settle(res.run.id)).failure).toEqual({ stage: 'registered', system: 'MLflow', message, logTail: [] });
  });
});
