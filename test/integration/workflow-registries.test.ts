import { ALEX, MEGAN, startWorkflowHarness, started, type WorkflowHarness } from '../support/workflow-harness';

/**
 * /train on the legacy Workspace Model Registry (mlops.config.yaml rewritten to `registry: workspace`).
 * A good smoke test promotes the version the way that registry supports: the Production stage,
 * archiving the previous one; it has no aliases. (Unity Catalog's alias: workflow-happy.test.ts.)
 * Its own file: one sandbox per process, and runs/submit idempotency tokens are per bot store.
 */
async function trainAndApprove(h: WorkflowHarness): Promise<string> {
  const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: { epochs: 2 }, requester: ALEX, conversationId: 'c' }));
  await h.until(run.id, ['waiting_approval', 'failed']);
  await h.engine.decide(run.id, MEGAN, 'approved', '');
  const done = await h.until(run.id, ['succeeded', 'failed']);
  expect(done.failure).toBeUndefined();
  return done.registered!.version!;
}

describe('promotion after a good smoke test on the Workspace Model Registry', () => {
  let h: WorkflowHarness;
  beforeAll(async () => {
    h = await startWorkflowHarness({ yaml: (text) => text.replace('registry: unity-catalog', 'registry: workspace').replace('registeredModel: main.mlops.fashion_cnn', 'registeredModel: fashion-cnn') });
  });
  afterAll(async () => h.close());

  it('transitions the version to Production and archives the previous one; no alias call is made', async () => {
    const v1 = await trainAndApprove(h);
    const store = h.sandbox.databricks.state.mlflow;
    expect(store.version('fashion-cnn', v1, 'workspace').currentStage).toBe('Production');
    const v2 = await trainAndApprove(h);
    expect(store.version('fashion-cnn', v2, 'workspace').currentStage).toBe('Production');
    expect(store.version('fashion-cnn', v1, 'workspace').currentStage).toBe('Archived');
    expect(h.sandbox.databricks.server.calls.get('mlflow/registered-models/alias') ?? 0).toBe(0);
    expect(h.sandbox.databricks.server.calls.get('mlflow/model-versions/transition-stage')).toBe(2);
  });
});
