import { ALEX, engineHarness, imageOf, story, T0, type EngineHarness } from '../support/engine-harness';
import { transient } from '../support/engine-harness.clients';
import { LIVE_SHARED_MS } from '../../services/workflow/training-metrics';

/** The registry stage (stage-steps.stepRegistered) through the real engine, for /train and /deploy runs. */
let h: EngineHarness;
beforeEach(() => {
  h = engineHarness();
});
afterEach(() => h.close());

async function deployRun(version?: string): Promise<string> {
  const res = await h.engine.startDeploy({ model: 'fashion-cnn', ...(version ? { version } : {}), requester: ALEX, conversationId: 'conv-1' });
  if (!res.ok) throw new Error(JSON.stringify(res.refusal));
  await h.settle(res.run.id);
  return res.run.id;
}

describe('the registry stage', () => {
  it("records the version, its image, what is live in the environment and that version's metrics, then deploys", async () => {
    h.world.versions.set('6', { status: 'READY', scoringImage: imageOf('6'), runId: 'mlf-6' });
    h.world.mlflowRuns.set('mlf-6', { metrics: { accuracy: 0.88 } });
    h.world.deployed.set('staging', '6');
    const id = await h.train();
    await story.ciPasses(h, id);
    h.clock.now += 1000;
    await story.trainingRegisters(h, id, '7');
    const run = await h.run(id);
    expect(run.registered).toEqual({ version: '7', scoringImage: imageOf('7'), liveVersion: '6', liveMetrics: { accuracy: 0.88 } });
    expect(run.stages[2]).toMatchObject({ state: 'succeeded', detail: 'version 7', link: 'https://adb.example/ml/models/main.mlops.fashion_cnn/versions/7', finishedAt: new Date(T0 + 1000).toISOString() });
    expect(h.rec.argsOf('registry.getVersion')[0]).toEqual(['unity-catalog', 'main.mlops.fashion_cnn', '7']);
    expect(h.rec.argsOf('registry.getDeployed')).toEqual([['unity-catalog', 'main.mlops.fashion_cnn', 'staging']]);
    // Staging needs no approval: the deploy starts in the same advance.
    expect(await h.stages(id)).toEqual(['ci:succeeded', 'training:succeeded', 'registered:succeeded', 'approval:skipped', 'deploy:running', 'smoke:pending']);
  });

  it('records no live version on a first deploy', async () => {
    h.world.versions.set('3', { status: 'READY', scoringImage: imageOf('3') });
    const id = await deployRun('3');
    expect((await h.run(id)).registered).toEqual({ version: '3', scoringImage: imageOf('3') });
  });

  it("keeps the live version without metrics when its training run can't be read", async () => {
    h.world.versions.set('3', { status: 'READY', scoringImage: imageOf('3') });
    h.world.versions.set('2', { status: 'READY', scoringImage: imageOf('2'), runId: 'gone' });
    h.world.deployed.set('staging', '2');
    const id = await deployRun('3');
    expect((await h.run(id)).registered).toEqual({ version: '3', scoringImage: imageOf('3'), liveVersion: '2' });
  });

  it("reads a /deploy run's metrics from the version's training run", async () => {
    h.world.versions.set('3', { status: 'READY', scoringImage: imageOf('3'), runId: 'mlf-3' });
    h.world.mlflowRuns.set('mlf-3', { metrics: { accuracy: 0.9 }, history: { accuracy: [{ step: 1, value: 0.9 }] } });
    const id = await deployRun('3');
    const run = await h.run(id);
    expect(run.training?.mlflowRunId).toBe('mlf-3');
    expect(run.metrics).toEqual([{ name: 'accuracy', points: [{ step: 1, value: 0.9 }] }]);
  });

  it('asks the registry for its latest version when /deploy names none', async () => {
    h.world.versions.set('9', { status: 'READY', scoringImage: imageOf('9') });
    h.world.versions.set('10', { status: 'READY', scoringImage: imageOf('10') });
    h.world.versions.set('11', { status: 'PENDING_REGISTRATION' });
    const id = await deployRun();
    expect((await h.run(id)).registered?.version).toBe('10');
  });

  it('fails a /deploy of a model with no version', async () => {
    const id = await deployRun();
    expect((await h.run(id)).failure).toEqual({ stage: 'registered', system: 'MLflow', message: 'main.mlops.fashion_cnn has no registered version to deploy', logTail: [] });
  });

  it('waits while the version is being registered, storing the news once', async () => {
    h.world.versions.set('4', { status: 'PENDING_REGISTRATION' });
    const id = await deployRun('4');
    const run = await h.run(id);
    expect(run.stages[2]).toMatchObject({ state: 'running', detail: 'version 4 is pending registration' });
    await h.engine.advance(id);
    expect((await h.run(id)).version).toBe(run.version);
    h.world.versions.set('4', { status: 'READY', scoringImage: imageOf('4') });
    await h.engine.advance(id);
    expect((await h.run(id)).stages[2]?.state).toBe('succeeded');
  });

  it('fails when registration failed, with the registry\'s message', async () => {
    h.world.versions.set('4', { status: 'FAILED_REGISTRATION', statusMessage: 'copy failed' });
    const id = await deployRun('4');
    expect((await h.run(id)).failure?.message).toBe('Registration of main.mlops.fashion_cnn version 4 failed: copy failed');
    h.world.versions.set('5', { status: 'FAILED_REGISTRATION' });
    const other = await deployRun('5');
    expect((await h.run(other)).failure?.message).toBe('Registration of main.mlops.fashion_cnn version 5 failed');
  });

  it('fails a version without a scoring image: there is nothing to deploy', async () => {
    h.world.versions.set('4', { status: 'READY' });
    const id = await deployRun('4');
    expect((await h.run(id)).failure).toMatchObject({ stage: 'registered', message: 'Model version 4 has no scoring_image tag, so there is nothing to deploy' });
    expect(h.rec.ops('aci.')).toEqual([]);
  });

  it('waits while the registry is unavailable', async () => {
    h.world.versions.set('4', { status: 'READY', scoringImage: imageOf('4') });
    h.rec.failNext('registry.getVersion', transient('mlflow', 'modelVersions.get'));
    const id = await deployRun('4');
    // The failed attempt left the run where it was; the settle's second advance went on.
    expect(h.rec.ops('registry.getVersion')).toHaveLength(2);
    expect((await h.run(id)).stages[2]?.state).toBe('succeeded');
  });

  it('fails at once when no registry is configured', async () => {
    const bare = engineHarness({ without: ['registry'] });
    try {
      const res = await bare.engine.startDeploy({ model: 'fashion-cnn', version: '3', requester: ALEX, conversationId: 'c' });
      if (!res.ok) throw new Error('refused');
      const run = await bare.settle(res.run.id);
      expect(run.failure?.message).toBe('The model registry is not configured: set MLFLOW_TRACKING_URI or DATABRICKS_HOST');
    } finally {
      await bare.close();
    }
  });
});

describe('what is live in an environment, shared by the runs that ask (training-metrics.liveInEnvironment)', () => {
  beforeEach(() => {
    for (const v of ['2', '3', '4']) h.world.versions.set(v, { status: 'READY', scoringImage: imageOf(v), runId: `mlf-${v}` });
    h.world.mlflowRuns.set('mlf-2', { metrics: { accuracy: 0.8 } });
    h.world.mlflowRuns.set('mlf-3', { metrics: { accuracy: 0.9 } });
    h.world.deployed.set('staging', '2');
  });
  const asked = (): number => h.rec.ops('registry.getDeployed').length;

  it('asks the registry once for runs reaching the registry stage within LIVE_SHARED_MS, each run keeping its own copy', async () => {
    const first = await deployRun('3');
    h.clock.now += LIVE_SHARED_MS - 1;
    const second = await deployRun('4');
    expect(asked()).toBe(1);
    const [a, b] = [await h.run(first), await h.run(second)];
    expect([a.registered?.liveVersion, b.registered?.liveVersion]).toEqual(['2', '2']);
    expect(b.registered?.liveMetrics).toEqual({ accuracy: 0.8 });
    h.clock.now += 1;
    h.world.deployed.set('staging', '3'); // set by hand, outside the bot
    const third = await deployRun('4');
    expect(asked()).toBe(2);
    expect((await h.run(third)).registered).toMatchObject({ liveVersion: '3', liveMetrics: { accuracy: 0.9 } });
  });

  it("asks again at once after the bot's own promotion", async () => {
    const first = await deployRun('3');
    story.groupRuns(h, 'fashion-cnn-staging');
    await h.engine.advance(first);
    expect((await h.run(first)).status).toBe('succeeded');
    expect(h.world.deployed.get('staging')).toBe('3');
    const second = await deployRun('4');
    expect(asked()).toBe(2);
    expect((await h.run(second)).registered?.liveVersion).toBe('3');
  });

  it('does not keep a failed answer', async () => {
    h.rec.failNext('registry.getDeployed', transient('mlflow', 'ucModels.getByAlias'));
    // The run's first advance meets the failure and waits; the next one (same instant) asks again.
    const first = await deployRun('3');
    expect(asked()).toBe(2);
    expect((await h.run(first)).registered?.liveVersion).toBe('2');
    expect(h.logs.some((l) => l.msg === 'service unavailable; the run waits for the next pass')).toBe(true);
  });
});
