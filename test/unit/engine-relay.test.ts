import type { Approval } from '../../services/azure-devops/azure-devops.types';
import { engineHarness, imageOf, MEGAN, type EngineHarness } from '../support/engine-harness';

/**
 * Azure DevOps environment approvals relayed through the real engine and tracker (run-engine.relay,
 * run-step's relay branch); the relay's own rules are in workflow-devops-relay.test.ts.
 */
let h: EngineHarness;
const approval = (over: Partial<Approval> = {}): Approval => ({ id: 'ap-1', status: 'pending', createdAt: undefined, lastModifiedAt: undefined, instructions: undefined, minRequiredApprovers: 1, steps: [], runId: 42, pipelineId: 2, ...over });

beforeEach(async () => {
  h = engineHarness();
  await h.runs.putSubscription({ conversationId: 'conv-9', model: 'fashion-cnn', events: ['approval'] });
  h.world.inProgress.set(2, [42]);
  h.world.approvals.set('ap-1', approval());
  h.world.builds.set(42, { state: 'inProgress', tags: ['model-version-7'] });
  h.world.versions.set('7', { status: 'READY', scoringImage: imageOf('7') });
});
afterEach(() => h.close());

async function relayed(): Promise<string> {
  await h.tracker.tick();
  const [run] = await h.runs.listRuns({ model: 'fashion-cnn' });
  if (!run) throw new Error('no relay run');
  return run.id;
}

describe('an Azure DevOps approval found by the tracker', () => {
  it('opens one relay run, in the subscribed conversation, with the version the CD run registered', async () => {
    const id = await relayed();
    const run = await h.run(id);
    expect(run).toMatchObject({ kind: 'relay', conversationId: 'conv-9', status: 'waiting_approval', registered: { version: '7' }, approval: { devopsApprovalId: 'ap-1', state: 'pending' } });
    expect(h.persisted.map((r) => r.id)).toContain(id);
    expect((await h.audit(id)).map((a) => a.action)).toEqual(['devops.approval.pending']);
    await h.tracker.tick();
    expect(await h.runs.listRuns({ model: 'fashion-cnn' })).toHaveLength(1);
  });

  it('sends a Teams decision to Azure DevOps once, and says so to the approver', async () => {
    const id = await relayed();
    const res = await h.engine.decide(id, MEGAN, 'approved', 'go');
    expect(res).toMatchObject({ ok: true, message: 'Approved. Deploying version 7 of fashion-cnn to production. Sending it to Azure DevOps.' });
    const run = await h.settle(id);
    expect(h.rec.argsOf('devops.approve')).toEqual([['ap-1', 'approved by Megan Bowen in Teams: go']]);
    expect(run.relay?.relayedAt).toBeDefined();
    expect((await h.audit(id)).at(-1)).toMatchObject({ action: 'devops.approval.relay', outcome: 'ok', detail: { approvalId: 'ap-1', decision: 'approved', devopsRunId: 42 } });
    // The CD run deploys; the relay run follows it to the end.
    h.world.builds.set(42, { state: 'completed', result: 'succeeded' });
    await h.engine.advance(id);
    expect((await h.run(id)).status).toBe('succeeded');
    expect(h.rec.ops('devops.approve')).toHaveLength(1);
  });

  // Found by this harness: the rejection used to end the relay run at once (a final status), so
  // the step that sends it never ran while the answer said it was sent.
  it('sends a Teams rejection to Azure DevOps', async () => {
    const id = await relayed();
    expect(await h.engine.decide(id, MEGAN, 'rejected', '')).toMatchObject({ ok: true, message: 'Rejected. Version 7 of fashion-cnn will not be deployed. Sending it to Azure DevOps.' });
    await h.settle(id);
    expect(h.rec.argsOf('devops.reject')).toEqual([['ap-1', 'rejected by Megan Bowen in Teams']]);
    expect((await h.run(id)).status).toBe('canceled');
    expect((await h.audit(id)).at(-1)).toMatchObject({ action: 'devops.approval.relay', outcome: 'ok', detail: { decision: 'rejected' } });
  });

  it('opens nothing when no conversation subscribed to approvals, and logs it', async () => {
    await h.runs.removeSubscription('conv-9');
    await h.tracker.tick();
    expect(await h.runs.listRuns({ model: 'fashion-cnn' })).toEqual([]);
    expect(h.logs.map((l) => l.msg)).toContain('an Azure DevOps approval waits, but no conversation subscribed to approvals of this model');
  });

  it('opens the relay run of a webhook only once Azure DevOps confirms the approval', async () => {
    const forged = await h.engine.relayFromWebhook({ model: 'fashion-cnn', pipelineId: 2, devopsRunId: 42, approval: approval({ id: 'forged' }) });
    expect(forged).toBeUndefined();
    const run = await h.engine.relayFromWebhook({ model: 'fashion-cnn', pipelineId: 2, devopsRunId: 42, approval: approval() });
    expect(run).toMatchObject({ kind: 'relay', approval: { devopsApprovalId: 'ap-1' } });
    expect(await h.engine.relayFromWebhook({ model: 'fashion-cnn', pipelineId: 2, devopsRunId: 42, approval: approval() })).toEqual(run);
    expect(await h.runs.listRuns({ model: 'fashion-cnn' })).toHaveLength(1);
  });
});
