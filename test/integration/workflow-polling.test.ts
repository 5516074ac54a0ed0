import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { ALEX, startWorkflowHarness, type WorkflowHarness, started } from '../support/workflow-harness';

describe('polling every unfinished run', () => {
  let sandbox: Sandbox;
  let h: WorkflowHarness;
  beforeAll(async () => {
    // A slow clock: the CI runs stay in progress for the whole test.
    sandbox = await startSandbox({ clock: new SandboxClock(0.01) });
    h = await startWorkflowHarness({ sandbox });
  });
  afterAll(async () => {
    await h.close();
    await sandbox.close();
  });

  it('covers runs waiting on CI with one list call, not one call per run', async () => {
    const runs = await Promise.all(Array.from({ length: 6 }, () => started(h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' }))));
    for (const r of runs) await h.untilRun(r.id, 'CI queued', (x) => x.ci?.devopsRunId !== undefined);
    sandbox.azureDevOps.server.calls.clear();
    await h.tracker.tick();
    const calls = Object.fromEntries(sandbox.azureDevOps.server.calls);
    expect(calls['builds.get'] ?? 0).toBe(0);
    expect(calls['builds.list']).toBeGreaterThanOrEqual(1);
    expect(calls['builds.list']).toBeLessThanOrEqual(2); // the CI pipeline, and the CD pipeline's relay check
    // Once a build is no longer in progress, its run is looked at again.
    await h.engine.cancel(runs[0]!.id, ALEX);
    expect((await h.store.runs.getRun(runs[0]!.id))?.status).toBe('canceled');
    for (const r of runs.slice(1)) await h.engine.cancel(r.id, ALEX);
  }, 60_000);
});
