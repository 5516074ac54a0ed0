import type { Approval } from '../../services/azure-devops/azure-devops.types';
import { taggedModelVersion } from '../../services/workflow/relay-version';
import { engineHarness, imageOf, type EngineHarness } from '../support/engine-harness';

/**
 * What a relayed Azure DevOps approval shows of the version (services/workflow/relay-version.ts):
 * the version from the CD run's build tag, its metrics and what is live, best effort. The relay's
 * decisions are in engine-relay.test.ts.
 */
let h: EngineHarness;
const approval: Approval = { id: 'ap-1', status: 'pending', createdAt: undefined, lastModifiedAt: undefined, instructions: undefined, minRequiredApprovers: 1, steps: [], runId: 42, pipelineId: 2 };

beforeEach(async () => {
  h = engineHarness();
  await h.runs.putSubscription({ conversationId: 'conv-9', model: 'fashion-cnn', events: ['approval'] });
  h.world.inProgress.set(2, [42]);
  h.world.approvals.set('ap-1', approval);
  h.world.builds.set(42, { state: 'inProgress', tags: ['model-version-17'] });
  h.world.versions.set('17', { status: 'READY', scoringImage: imageOf('17'), runId: 'mlflow-17' });
  h.world.mlflowRuns.set('mlflow-17', { metrics: { accuracy: 0.91 }, history: { accuracy: [{ step: 1, value: 0.8 }, { step: 2, value: 0.91 }] } });
  h.world.deployed.set('production', '16');
  h.world.versions.set('16', { status: 'READY', scoringImage: imageOf('16'), runId: 'mlflow-16' });
  h.world.mlflowRuns.set('mlflow-16', { metrics: { accuracy: 0.88 } });
});
afterEach(() => h.close());

async function relayRun(): Promise<Awaited<ReturnType<EngineHarness['run']>>> {
  await h.tracker.tick();
  const [run] = await h.runs.listRuns({ model: 'fashion-cnn' });
  if (!run) throw new Error('no relay run');
  return h.run(run.id);
}

describe('the version a CD run names by its build tag', () => {
  it('is the number of a tag that is exactly model-version-<digits>', () => {
    expect(taggedModelVersion(['release', 'model-version-17'])).toBe('17');
    expect(taggedModelVersion(['old-model-version-5', 'model-version-5-rc', 'model-version-', 'model-version-x'])).toBeUndefined();
    expect(taggedModelVersion(undefined)).toBeUndefined();
    expect(taggedModelVersion([])).toBeUndefined();
  });
});

describe('a relayed approval describes its version', () => {
  it('with the registered stage, the training run, its metric histories and what is live in the environment', async () => {
    const run = await relayRun();
    expect(run.registered).toEqual({ version: '17', scoringImage: imageOf('17'), liveVersion: '16', liveMetrics: { accuracy: 0.88 } });
    expect(run.training).toEqual({ mlflowRunId: 'mlflow-17' });
    // The pipeline asked, not a person: its id carries the prefix that keeps it from being @mentioned.
    expect(run.requester).toEqual({ id: 'azure-devops:2', name: 'Azure DevOps pipeline 2' });
    expect(run.metrics).toEqual([{ name: 'accuracy', points: [{ step: 1, value: 0.8 }, { step: 2, value: 0.91 }] }]);
    expect(run.stages.find((s) => s.id === 'registered')?.detail).toBe('version 17, registered by the Azure DevOps pipeline');
    expect(run.stages.filter((s) => s.detail?.includes('registered by the Azure DevOps pipeline'))).toHaveLength(1);
  });

  it('without a training run when the registry names none', async () => {
    h.world.versions.set('17', { status: 'READY', scoringImage: imageOf('17') });
    const run = await relayRun();
    expect(run.registered?.version).toBe('17');
    expect(run.training).toBeUndefined();
    expect(run.metrics).toEqual([]);
  });

  it("names the relay by its Azure DevOps run in the log when the version's metrics cannot be read", async () => {
    h.world.mlflowRuns.delete('mlflow-17');
    const run = await relayRun();
    expect(run).toMatchObject({ registered: { version: '17', liveVersion: '16' }, metrics: [] });
    expect(h.logs.filter((l) => l.msg === 'metrics not available yet').map((l) => l.fields.runId)).toEqual(['relay of 42']);
  });

  it('as unknown when the build cannot be read, says why in the log, and still opens the approval', async () => {
    h.rec.failNext('devops.getBuild', new Error('devops is down'));
    const run = await relayRun();
    expect(run).toMatchObject({ kind: 'relay', status: 'waiting_approval', approval: { devopsApprovalId: 'ap-1' } });
    expect(run.registered).toBeUndefined();
    expect(h.logs.filter((l) => l.level === 'warn' && l.msg.startsWith('the tags of a relayed CD run could not be read'))).toEqual([
      expect.objectContaining({ fields: { devopsRunId: 42, error: expect.stringContaining('devops is down') as string } }),
    ]);
  });

  it('without metrics when the registry does not answer, saying so in the log', async () => {
    h.rec.failNext('registry.getVersion', new Error('registry is down'));
    const run = await relayRun();
    expect(run).toMatchObject({ kind: 'relay', status: 'waiting_approval', registered: { version: '17' } });
    expect(run.metrics).toEqual([]);
    expect(h.logs.filter((l) => l.level === 'warn' && l.msg.startsWith('the registry did not describe the version of a relayed approval'))).toEqual([
      expect.objectContaining({ fields: { devopsRunId: 42, version: '17', error: expect.stringContaining('registry is down') as string } }),
    ]);
  });
});
