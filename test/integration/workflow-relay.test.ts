import { stageOf } from '../../services/workflow/run.types';
import { MEGAN, startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

describe('Azure DevOps environment approvals relayed to Teams', () => {
  let h: WorkflowHarness;
  beforeAll(async () => {
    h = await startWorkflowHarness();
    await h.store.runs.putSubscription({ conversationId: 'channel-ops', model: 'fashion-cnn', events: ['approval', 'failed'] });
  });
  afterAll(async () => h.close());

  async function cdRunWaitingForApproval(): Promise<number> {
    const pr = await h.clients.devops!.runPipeline(2, { branch: 'main' });
    const deadline = Date.now() + 20_000;
    while ((await h.clients.devops!.listPendingApprovals(pr.id)).length === 0) {
      if (Date.now() > deadline) throw new Error('the CD run never reached its approval');
      await new Promise((r) => setTimeout(r, 50));
    }
    return pr.id;
  }

  it('opens one relay run per pending approval (polling), and sends the Teams decision to Azure DevOps', async () => {
    const devopsRunId = await cdRunWaitingForApproval();
    await h.tracker.tick();
    await h.tracker.tick(); // seen twice: still one relay run
    const relays = (await h.store.runs.listRuns({ active: true })).filter((r) => r.kind === 'relay' && r.ext.devopsRunId === devopsRunId);
    expect(relays).toHaveLength(1);
    const relay = relays[0]!;
    expect(relay).toMatchObject({ status: 'waiting_approval', conversationId: 'channel-ops' });
    const outbox = (await h.store.runs.pendingOutbox()).filter((o) => o.runId === relay.id).map((o) => o.kind);
    expect(outbox).toContain('approvalRequested');

    const decided = await h.engine.decide(relay.id, MEGAN, 'approved', 'go');
    expect(decided).toMatchObject({ ok: true, message: expect.stringContaining('Sent to Azure DevOps') as string });
    const done = await h.until(relay.id, ['succeeded', 'failed'], 30_000);
    expect(done.failure).toBeUndefined();
    expect(stageOf(done, 'deploy').state).toBe('succeeded');
    const remote = await h.clients.devops!.getBuild(devopsRunId);
    expect(remote).toMatchObject({ state: 'completed', result: 'succeeded' });
    const audit = (await h.store.runs.listAudit({ runId: relay.id })).map((a) => `${a.action}:${a.outcome}`);
    expect(audit).toEqual(expect.arrayContaining(['devops.approval.pending:ok', 'approval.approved:ok', 'devops.approval.relay:ok']));
  }, 60_000);

  it('mirrors a decision taken in Azure DevOps itself, and does not relay it back', async () => {
    const devopsRunId = await cdRunWaitingForApproval();
    await h.tracker.tick();
    const relay = (await h.store.runs.listRuns({ active: true })).find((r) => r.kind === 'relay' && r.ext.devopsRunId === devopsRunId)!;
    const [approval] = await h.clients.devops!.listPendingApprovals(devopsRunId);
    await h.clients.devops!.reject(approval!.id, 'not today');
    const after = await h.until(relay.id, ['canceled', 'failed'], 20_000);
    expect(after.approval?.state).toBe('rejected');
    expect(stageOf(after, 'approval').detail).toContain('in Azure DevOps');
    expect(await h.engine.decide(relay.id, MEGAN, 'approved', '')).toMatchObject({ ok: false, refusal: { kind: 'state', message: expect.stringMatching(/^Already rejected by /) as string } });
  }, 60_000);

  it('creates nothing for a webhook that names an approval Azure DevOps does not confirm, and relays one it does', async () => {
    const devopsRunId = await cdRunWaitingForApproval();
    const [real] = await h.clients.devops!.listPendingApprovals(devopsRunId);
    const forged = { ...real!, id: 'ffffffff-0000-4000-8000-000000000000' };
    const before = (await h.store.runs.listRuns({})).length;
    expect(await h.engine.relayFromWebhook({ model: 'fashion-cnn', pipelineId: 2, devopsRunId, approval: forged })).toBeUndefined();
    expect(await h.engine.relayFromWebhook({ model: 'fashion-cnn', pipelineId: 2, devopsRunId: 999_999, approval: real! })).toBeUndefined();
    expect(await h.engine.relayFromWebhook({ model: 'fashion-cnn', pipelineId: 1, devopsRunId, approval: real! })).toBeUndefined();
    expect((await h.store.runs.listRuns({})).length).toBe(before);
    const refused = (await h.store.runs.listAudit({ limit: 50 })).filter((a) => a.action === 'devops.approval.pending' && a.outcome === 'refused');
    expect(refused.map((a) => a.detail.reason)).toEqual(expect.arrayContaining([expect.stringContaining('is not pending'), expect.stringContaining('has no run 999999')]));
    // The payload may lie about the approval's details too: the run keeps what Azure DevOps says.
    const relay = await h.engine.relayFromWebhook({ model: 'fashion-cnn', pipelineId: 2, devopsRunId, approval: { ...real!, minRequiredApprovers: 99 } });
    expect(relay).toMatchObject({ kind: 'relay', ext: { devopsRunId } });
    expect(relay?.approval?.required).toBe(Math.max(1, real!.minRequiredApprovers || 1));
  }, 60_000);
});
