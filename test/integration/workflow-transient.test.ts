import { stageOf } from '../../services/workflow/run.types';
import { ALEX, startWorkflowHarness, started, type WorkflowHarness } from '../support/workflow-harness';

describe('a service still failing after the client retries', () => {
  let h: WorkflowHarness;
  beforeAll(async () => {
    h = await startWorkflowHarness();
  });
  afterAll(async () => h.close());

  it('makes a finished training wait for its output instead of failing the run', async () => {
    const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: { epochs: 1 }, requester: ALEX, conversationId: 'c' }));
    const training = await h.untilRun(run.id, 'MLflow run known', (r) => r.training?.mlflowRunId !== undefined);
    // runs/get-output answers 503 until the test lifts the fault: the tracker's own background
    // passes may ask too (they once used up a fixed count before the test's advance, under load).
    h.sandbox.faults.add({ service: 'databricks', operation: 'runs/get-output', kind: 'status', status: 503 });
    const terminal = async (): Promise<boolean> => {
      const dr = await h.clients.databricks!.getRun(training.training!.databricksRunId!);
      return dr.state.terminal;
    };
    while (!(await terminal())) await new Promise((r) => setTimeout(r, 20));
    const during = await h.engine.advance(run.id);
    expect({ status: during?.status, training: during && stageOf(during, 'training').state }).toEqual({ status: 'running', training: 'running' });
    expect(during?.failure).toBeUndefined();
    // The service recovers: the next pass reads the output and the run goes on.
    h.sandbox.faults.clear();
    // The shipped config's first environment, staging, needs no approval: the run goes on to its deploy.
    const done = await h.until(run.id, ['succeeded', 'waiting_approval', 'failed']);
    expect(done.failure).toBeUndefined();
    expect(done).toMatchObject({ status: 'succeeded', target: 'staging' });
  });
});
