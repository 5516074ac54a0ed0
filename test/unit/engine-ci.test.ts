import { engineHarness, T0, type EngineHarness } from '../support/engine-harness';
import { fatal, transient } from '../support/engine-harness.clients';

/**
 * The CI stage (stage-steps.stepCi, run-step.nextTransition) through the real engine: what it
 * asks Azure DevOps, and what it stores for each answer.
 */
let h: EngineHarness;
beforeEach(() => {
  h = engineHarness();
});
afterEach(() => h.close());

describe('the CI stage', () => {
  it('queues the CI pipeline with the branch and the model name only, and records the run', async () => {
    const id = await h.train();
    expect(h.rec.argsOf('devops.runPipeline')).toEqual([[1, { branch: 'main', templateParameters: { modelName: 'fashion-cnn' } }]]);
    const run = await h.run(id);
    expect(run.ci).toEqual({ devopsRunId: 100, url: 'https://dev.azure.com/org/p/_build/results?buildId=100' });
    expect(run.stages[0]).toMatchObject({ id: 'ci', state: 'running', detail: 'pipeline run 20261126.100', link: 'https://dev.azure.com/org/p/_build/results?buildId=100', startedAt: new Date(T0).toISOString() });
    expect((await h.audit(id)).map((a) => a.action)).toEqual(['run.start', 'stage.skipped', 'devops.run']);
    expect((await h.audit(id))[2]).toMatchObject({ actor: 'system', outcome: 'ok', detail: { pipelineId: 1, devopsRunId: 100, branch: 'main' } });
    expect(await h.outbox(id)).toEqual(['progress', 'progress']);
    expect(h.persisted.map((r) => r.id)).toEqual([id, id]);
  });

  it('waits while the build runs: nothing stored, nothing announced', async () => {
    const id = await h.train();
    const before = await h.run(id);
    h.clock.now += 60_000;
    expect(await h.engine.advance(id)).toEqual(before);
    expect((await h.run(id)).version).toBe(before.version);
    expect(h.rec.ops('devops.')).toEqual(['devops.runPipeline', 'devops.getBuild', 'devops.getBuild']);
  });

  it.each(['succeeded', 'partiallySucceeded'])('moves on to training when the build %s, keeping the commit built', async (result) => {
    const id = await h.train();
    h.world.builds.set(100, { state: 'completed', result: result as 'succeeded', sourceVersion: 'abc123' });
    h.clock.now += 60_000;
    await h.engine.advance(id);
    const run = await h.run(id);
    expect(run.ci?.commit).toBe('abc123');
    expect(run.stages.slice(0, 2)).toMatchObject([{ id: 'ci', state: 'succeeded', finishedAt: new Date(T0 + 60_000).toISOString() }, { id: 'training', state: 'running' }]);
    // The new stage's first step (the submit) is taken in the same advance, not at the next poll.
    expect(h.rec.ops('databricks.submit')).toHaveLength(1);
    expect(run.status).toBe('running');
  });

  it('ends the run canceled when the build was canceled in Azure DevOps', async () => {
    const id = await h.train();
    h.world.builds.set(100, { state: 'completed', result: 'canceled' });
    await h.engine.advance(id);
    const run = await h.run(id);
    expect(run.status).toBe('canceled');
    expect(run.stages[0]).toMatchObject({ state: 'canceled', detail: 'canceled in Azure DevOps' });
    expect(h.rec.ops('databricks.')).toEqual([]);
  });

  it('fails the run with the failed task, its first issue and its log lines', async () => {
    const id = await h.train();
    h.world.builds.set(100, { state: 'completed', result: 'failed' });
    h.world.failedLog = { task: { name: 'pytest', issues: [{ message: '2 tests failed' }, { message: 'second' }] }, lines: ['collected 9 items', 'FAILED test_model.py'] };
    await h.engine.advance(id);
    const run = await h.run(id);
    expect(run.status).toBe('failed');
    expect(run.failure).toEqual({ stage: 'ci', system: 'Azure DevOps', message: 'Task "pytest" failed: 2 tests failed', logTail: ['collected 9 items', 'FAILED test_model.py'] });
    expect(h.rec.argsOf('devops.getFailedTaskLog')).toEqual([[100, { lines: 200 }]]);
    expect(await h.outbox(id)).toEqual(['progress', 'progress', 'progress', 'failed']);
    expect((await h.audit(id)).map((a) => `${a.action}:${a.outcome}`)).toEqual(['run.start:ok', 'stage.skipped:ok', 'devops.run:ok', 'run.failed:failed']);
  });

  it('fails the run with a plain sentence when the failed task cannot be read', async () => {
    const id = await h.train();
    h.world.builds.set(100, { state: 'completed', result: 'failed' });
    h.rec.failNext('devops.getFailedTaskLog', fatal('azure-devops', 'timeline.get'));
    await h.engine.advance(id);
    expect((await h.run(id)).failure).toMatchObject({ message: 'The pipeline failed', logTail: [] });
  });

  it('names the task without issues, and keeps no log when none came back', async () => {
    const id = await h.train();
    h.world.builds.set(100, { state: 'completed', result: 'failed' });
    h.world.failedLog = { task: { name: 'build' } };
    await h.engine.advance(id);
    expect((await h.run(id)).failure).toMatchObject({ message: 'Task "build" failed', logTail: [] });
  });

  it('leaves the run as it was when Azure DevOps is unavailable, and says so in the log', async () => {
    const id = await h.train();
    const before = await h.run(id);
    h.rec.failNext('devops.getBuild', transient('azure-devops', 'builds.get'));
    expect(await h.engine.advance(id)).toEqual(before);
    expect(await h.run(id)).toEqual(before);
    expect(h.logs.filter((l) => l.level === 'warn').map((l) => [l.msg, l.fields.runId])).toEqual([['service unavailable; the run waits for the next pass', id]]);
    // The next pass tries again and goes on.
    h.world.builds.set(100, { state: 'completed', result: 'succeeded' });
    await h.engine.advance(id);
    expect(await h.stages(id)).toEqual(['ci:succeeded', 'training:running', 'registered:pending', 'approval:skipped', 'deploy:pending', 'smoke:pending']);
  });

  it('fails the run with the error when Azure DevOps refuses, naming service, status and request id', async () => {
    const id = await h.train();
    h.rec.failNext('devops.getBuild', fatal('azure-devops', 'builds.get', 'TF401019: no access'));
    await h.engine.advance(id);
    const run = await h.run(id);
    expect(run.status).toBe('failed');
    expect(run.failure).toEqual({ stage: 'ci', system: 'Azure DevOps', message: 'azure-devops.builds.get HTTP 400 INVALID_PARAMETER_VALUE TF401019: no access (request id req-400)', logTail: [] });
    expect(h.logs.map((l) => l.msg)).toContain('stage step failed');
  });

  it('fails a run whose queueing throws a plain error with its message', async () => {
    h.rec.failNext('devops.runPipeline', new Error('socket hang up'));
    const id = await h.train();
    expect((await h.run(id)).failure).toMatchObject({ stage: 'ci', message: 'socket hang up' });
  });

  it('fails at once, naming the settings, when Azure DevOps is not configured', async () => {
    const bare = engineHarness({ without: ['devops'] });
    try {
      const id = await bare.train();
      expect((await bare.run(id)).failure).toMatchObject({ stage: 'ci', message: 'Azure DevOps is not configured: set AZURE_DEVOPS_ORG_URL and AZURE_DEVOPS_PROJECT' });
    } finally {
      await bare.close();
    }
  });
});
