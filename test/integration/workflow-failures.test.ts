import { stageOf } from '../../services/workflow/run.types';
import { PRODUCTION_ONLY } from '../support/environments';
import { ALEX, MEGAN, startWorkflowHarness, type WorkflowHarness, started } from '../support/workflow-harness';

describe('workflow failures against the sandbox', () => {
  let h: WorkflowHarness;
  beforeAll(async () => {
    // One environment (PRODUCTION_ONLY): each test is about one failing stage (or cancel, retry);
    // the rollback test needs a version live in production before the bad one.
    h = await startWorkflowHarness({ yaml: PRODUCTION_ONLY });
  });
  afterAll(async () => h.close());

  it('fails at the CI stage with the failed task, its error and its log tail', async () => {
    await fetch(`${h.sandbox.azureDevOps.url}/_control/azure-devops/fail-next-run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task: 'Run unit tests' }) });
    const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' }));
    const failed = await h.until(run.id, ['failed', 'waiting_approval']);
    expect(failed.status).toBe('failed');
    expect(failed.failure).toMatchObject({ stage: 'ci', system: 'Azure DevOps', message: expect.stringContaining('Run unit tests') as string });
    expect(failed.failure?.logTail.length).toBeGreaterThan(0);
    expect(stageOf(failed, 'training').state).toBe('pending');
    const outbox = (await h.store.runs.pendingOutbox()).filter((o) => o.runId === run.id).map((o) => o.kind);
    expect(outbox.filter((k) => k === 'failed')).toHaveLength(1);
  });

  it('fails at training with the Databricks error and the training output', async () => {
    h.sandbox.databricks.state.workspace.failNextRun('training');
    const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' }));
    const failed = await h.until(run.id, ['failed', 'waiting_approval']);
    expect(failed.failure).toMatchObject({ stage: 'training', system: 'Databricks' });
    expect(failed.failure?.message).toContain('loss is NaN');
    expect(failed.failure?.logTail.join('\n')).toContain('Traceback');
  });

  it('waits while the new version is PENDING_REGISTRATION and fails the registry stage when registration fails', async () => {
    await fetch(`${h.sandbox.databricks.url}/_control/mlflow/fail-next-registration`, { method: 'POST' });
    const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' }));
    const failed = await h.until(run.id, ['failed', 'waiting_approval']);
    expect(failed.failure).toMatchObject({ stage: 'registered', message: expect.stringMatching(/^Registration of main\.mlops\.fashion_cnn version \d+ failed: /) as string });
  });

  it('fails at the registry stage when the registered version has no scoring image', async () => {
    // A version registered without the tag the training script sets (MLflow refuses an empty tag value).
    h.sandbox.databricks.state.workspace.nextScoringImage('untagged');
    const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' }));
    const failed = await h.until(run.id, ['failed', 'waiting_approval']);
    expect(failed.failure).toMatchObject({ stage: 'registered', system: 'MLflow', message: `Model version ${failed.registered!.version!} has no scoring_image tag, so there is nothing to deploy` });
  });

  it('fails at deploy when the container crashes, with the container log', async () => {
    h.sandbox.databricks.state.workspace.nextScoringImage({ suffix: 'crash' });
    const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' }));
    await h.until(run.id, ['waiting_approval']);
    await h.engine.decide(run.id, MEGAN, 'approved', '');
    const failed = await h.until(run.id, ['failed', 'succeeded']);
    expect(failed.failure).toMatchObject({ stage: 'deploy', system: 'ACI' });
    expect(failed.failure?.logTail.join('\n')).toMatch(/Traceback|Error/);
  });

  it('rolls back to the production version when the smoke test fails', async () => {
    const good = await started(h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' }));
    await h.until(good.id, ['waiting_approval']);
    await h.engine.decide(good.id, MEGAN, 'approved', '');
    const live = await h.until(good.id, ['succeeded', 'failed']);
    expect(live.status).toBe('succeeded');

    h.sandbox.databricks.state.workspace.nextScoringImage({ suffix: 'score-500' });
    const bad = await started(h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' }));
    const waiting = await h.until(bad.id, ['waiting_approval']);
    expect(waiting.registered?.liveVersion).toBe(live.registered?.version);
    expect(Object.keys(waiting.registered?.liveMetrics ?? {})).toEqual(expect.arrayContaining(['val_accuracy']));
    await h.engine.decide(bad.id, MEGAN, 'approved', '');
    const failed = await h.until(bad.id, ['failed', 'succeeded']);
    expect(failed.failure?.stage).toBe('smoke');
    expect(failed.failure?.message).toContain(`Rolled back to version ${live.registered!.version!}`);
    expect(failed.rolledBackTo).toBe(live.registered?.version);
    const group = await h.clients.aci!.get('fashion-cnn-prod');
    expect(group.containers[0]?.image).toBe(live.registered?.scoringImage);
    const res = await fetch(`${group.scoringBaseUrl!}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [Array.from({ length: 784 }, () => 0.5)] }) });
    expect(res.status).toBe(200);
  });

  it('cancels a run in training and cancels the Databricks run too', async () => {
    const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' }));
    const training = await h.untilRun(run.id, 'training submitted', (r) => r.training?.databricksRunId !== undefined);
    const res = await h.engine.cancel(run.id, ALEX);
    expect(res.ok).toBe(true);
    expect(res.run?.status).toBe('canceled');
    const dr = await fetch(`${h.sandbox.databricks.url}/api/2.2/jobs/runs/get?run_id=${training.training!.databricksRunId!}`, { headers: { authorization: 'Bearer dapi-sandbox-token' } });
    const body = (await dr.json()) as { state: { life_cycle_state: string } };
    expect(['TERMINATING', 'TERMINATED']).toContain(body.state.life_cycle_state);
    const again = await h.engine.advance(run.id);
    expect(again?.status).toBe('canceled');
  });

  it('retries a failed run as a new run with the same parameters', async () => {
    h.sandbox.databricks.state.workspace.failNextRun('training');
    const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: { lr: 0.05 }, requester: ALEX, conversationId: 'c' }));
    await h.until(run.id, ['failed']);
    const retried = await h.engine.retry(run.id, MEGAN, 'c');
    expect(retried.ok).toBe(true);
    expect(retried.ok && retried.run.params).toEqual({ lr: 0.05 });
    expect(retried.ok && retried.run.retryOf).toBe(run.id);
    expect(retried.ok && retried.run.requester.id).toBe(MEGAN.id);
    const notFailed = await h.engine.retry(retried.ok ? retried.run.id : '', MEGAN, 'c');
    expect(notFailed).toMatchObject({ ok: false, refusal: { kind: 'state', message: expect.stringContaining('only a failed, canceled or expired run can be retried') as string } });
  });
});
