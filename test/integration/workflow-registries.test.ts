import { ALEX, MEGAN, startWorkflowHarness, started, type WorkflowHarness } from '../support/workflow-harness';

/**
 * /train on the legacy Workspace Model Registry (mlops.config.yaml rewritten to `registry: workspace`),
 * through the shipped environments: staging (no approval), then the card's Promote to production.
 * A good smoke test marks the version the way that registry supports: the environment's stage
 * (Staging, Production), archiving the version that held it; it has no aliases. (Unity Catalog's
 * alias: workflow-happy.test.ts.) Its own file: one sandbox per process.
 */
async function trainAndPromote(h: WorkflowHarness): Promise<string> {
  const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: { epochs: 2 }, requester: ALEX, conversationId: 'c' }));
  const staged = await h.until(run.id, ['succeeded', 'waiting_approval', 'failed']);
  expect(staged.failure).toBeUndefined();
  expect(staged).toMatchObject({ status: 'succeeded', target: 'staging' });
  const version = staged.registered!.version!;
  expect(h.sandbox.databricks.state.mlflow.version('fashion-cnn', version, 'workspace').currentStage).toBe('Staging');
  const promoted = await h.engine.promote(run.id, ALEX, 'c');
  if (!promoted.ok) throw new Error(`promotion refused: ${JSON.stringify(promoted.refusal)}`);
  await h.until(promoted.run.id, ['waiting_approval', 'failed']);
  await h.engine.decide(promoted.run.id, MEGAN, 'approved', '');
  const done = await h.until(promoted.run.id, ['succeeded', 'failed']);
  expect(done.failure).toBeUndefined();
  expect(done).toMatchObject({ status: 'succeeded', target: 'production', registered: { version } });
  return version;
}

describe('promotion after a good smoke test on the Workspace Model Registry', () => {
  let h: WorkflowHarness;
  beforeAll(async () => {
    h = await startWorkflowHarness({ yaml: (text) => text.replace('registry: unity-catalog', 'registry: workspace').replace('registeredModel: main.mlops.fashion_cnn', 'registeredModel: fashion-cnn') });
  });
  afterAll(async () => h.close());

  it('transitions the version to Staging, then Production, and archives the previous one; no alias call is made', async () => {
    expect(h.config.mlops.models['fashion-cnn']?.environments.map((e) => e.name)).toEqual(['staging', 'production']);
    const v1 = await trainAndPromote(h);
    const store = h.sandbox.databricks.state.mlflow;
    expect(store.version('fashion-cnn', v1, 'workspace').currentStage).toBe('Production');
    const v2 = await trainAndPromote(h);
    expect(store.version('fashion-cnn', v2, 'workspace').currentStage).toBe('Production');
    expect(store.version('fashion-cnn', v1, 'workspace').currentStage).toBe('Archived');
    expect(h.sandbox.databricks.server.calls.get('mlflow/registered-models/alias') ?? 0).toBe(0);
    // One transition per passing smoke test: each version to Staging, then to Production.
    expect(h.sandbox.databricks.server.calls.get('mlflow/model-versions/transition-stage')).toBe(4);
  });
});
