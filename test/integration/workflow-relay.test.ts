import { stageOf } from '../../services/workflow/run.types';
import { approvalCard } from '../../cards/approval.card';
import { approvalCardView } from '../../bot/views/run-views';
import { relayRunRecord } from '../../services/workflow/devops-relay';
import type { RunRecord } from '../../services/workflow/run.types';
import { MEGAN, startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

const relayShape = (): RunRecord => ({
  ...relayRunRecord({ model: 'fashion-cnn', pipelineId: 2, devopsRunId: 5, approval: { id: 'a-1', minRequiredApprovers: 1 } as never }, { ci: { branch: 'main' }, environments: [{ name: 'production' }] } as never, 'conv', Date.parse('2026-11-29T12:00:00Z')),
  id: 'r-1',
  version: 1,
});

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
    const relays = (await h.store.runs.listRuns({ active: true })).filter((r) => r.kind === 'relay' && r.relay?.devopsRunId === devopsRunId);
    expect(relays).toHaveLength(1);
    const relay = relays[0]!;
    expect(relay).toMatchObject({ status: 'waiting_approval', conversationId: 'channel-ops' });
    // The CD run tags the version it registered; this sandbox's registry does not hold it, so the card shows the version without metrics.
    expect(relay.registered).toEqual({ version: '7' });
    expect(relay.metrics).toEqual([]);
    const outbox = (await h.store.runs.pendingOutbox()).filter((o) => o.runId === relay.id).map((o) => o.kind);
    expect(outbox).toContain('approvalRequested');

    const decided = await h.engine.decide(relay.id, MEGAN, 'approved', 'go');
    expect(decided).toMatchObject({ ok: true, message: expect.stringContaining('Sending it to Azure DevOps') as string });
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
    const relay = (await h.store.runs.listRuns({ active: true })).find((r) => r.kind === 'relay' && r.relay?.devopsRunId === devopsRunId)!;
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
    expect(relay).toMatchObject({ kind: 'relay', relay: { devopsRunId } });
    expect(relay?.approval?.required).toBe(Math.max(1, real!.minRequiredApprovers || 1));
  }, 60_000);

  it('shows on the relayed approval card the version the CD run tagged, its metrics, and what is live in production', async () => {
    // The registry as the CD pipeline left it: versions 1-7 registered, version 6 live in production.
    const mlflow = h.sandbox.databricks.state.mlflow;
    const now = h.sandbox.clock.now();
    const name = 'main.mlops.fashion_cnn';
    mlflow.createModel(name, now, 'unity-catalog');
    for (let v = 1; v <= 7; v++) {
      const run = mlflow.createRun({ runName: `cd ${v}`, userId: 'pipeline', startTime: now, params: {}, tags: {} });
      for (let step = 0; step < 3; step++) run.history.push({ key: 'val_accuracy', value: 0.5 + v / 100 + step / 1000, timestamp: now, step });
      mlflow.createVersion(name, 'unity-catalog', { source: `runs:/${run.runId}/model`, runId: run.runId, userId: 'pipeline', now, tags: { scoring_image: `mlopsacr.azurecr.io/mlops-scoring:v${v}` } });
    }
    mlflow.settle(now + 60_000, 0);
    mlflow.model(name, 'unity-catalog').aliases.set('production', '6');

    const devopsRunId = await cdRunWaitingForApproval();
    await h.tracker.tick();
    const relay = (await h.store.runs.listRuns({ active: true })).find((r) => r.kind === 'relay' && r.relay?.devopsRunId === devopsRunId)!;
    expect(relay.registered).toMatchObject({ version: '7', liveVersion: '6', liveMetrics: { val_accuracy: 0.5 + 6 / 100 + 2 / 1000 } });
    expect(relay.metrics).toEqual([{ name: 'val_accuracy', points: [0, 1, 2].map((step) => ({ step, value: 0.5 + 7 / 100 + step / 1000 })) }]);
    const card = JSON.stringify(approvalCard(approvalCardView(relay, { approvers: [], canAct: true })));
    expect(card).toContain('version 6');
    expect(card).not.toContain('nothing yet');
    expect(card).toContain('v7');
    expect(card).toContain('0.572');
  }, 60_000);

  it('says what is live is not known when the CD run names no version', () => {
    const view = approvalCardView({ ...relayShape(), kind: 'relay' }, { approvers: [], canAct: true });
    expect(JSON.stringify(approvalCard(view))).toContain('not known (the pipeline named no model version)');
  });
});
