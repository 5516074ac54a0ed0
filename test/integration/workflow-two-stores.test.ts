import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { ALEX, startWorkflowHarness, started, type WorkflowHarness } from '../support/workflow-harness';

/**
 * Two bot stores on one Databricks workspace (a staging bot beside the production one, or a store
 * started afresh): both have a run `r-1`. Databricks answers a runs/submit whose idempotency token
 * a run already has with that run (the sandbox does as the API reference says), so a token made
 * of the run id alone gave the second bot's r-1 the first bot's training run: its "training"
 * ended at once with the other run's model. Each store's run must get a training run of its own.
 */
describe('two bot stores on one workspace', () => {
  let sandbox: Sandbox;
  const harnesses: WorkflowHarness[] = [];
  beforeAll(async () => {
    sandbox = await startSandbox({ clock: new SandboxClock(200) });
  });
  afterAll(async () => {
    for (const h of harnesses) await h.close();
    await sandbox.close();
  });

  it('gives each store’s r-1 its own Databricks training run', async () => {
    const trainingOf = async (): Promise<number | undefined> => {
      const h = await startWorkflowHarness({ sandbox });
      harnesses.push(h);
      const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: { epochs: 1 }, requester: ALEX, conversationId: 'c' }));
      expect(run.id).toBe('r-1');
      const training = await h.untilRun(run.id, 'a training run (or a failure)', (r) => r.training?.databricksRunId !== undefined || r.status === 'failed');
      expect(training.failure).toBeUndefined();
      return training.training?.databricksRunId;
    };
    const first = await trainingOf();
    const second = await trainingOf();
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    // Two runs in the workspace, each named after its own bot run.
    const submitted = [first, second].map((id) => sandbox.databricks.state.workspace.runs.get(id!)?.runName);
    expect(submitted).toEqual(['fashion-cnn r-1', 'fashion-cnn r-1']);
  });
});
