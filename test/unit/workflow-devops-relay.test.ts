import type { AzureDevOpsClient } from '../../services/azure-devops/azure-devops.client';
import type { Approval, ApprovalStatus } from '../../services/azure-devops/azure-devops.types';
import { ServiceError } from '../../services/http/errors';
import { createLogger } from '../../services/logger';
import { confirmRelayRequest, confirmWebhookRelay, findPendingApprovals, openRelayRun, relayDecision, relayRunRecord, stepRelay, stepRelayRun, type RelayRequest } from '../../services/workflow/devops-relay';
import type { RunStore } from '../../services/workflow/run-store';
import { decisionTransition } from '../../services/workflow/approval-steps';
import { stageOf, type RunRecord } from '../../services/workflow/run.types';
import { sandboxConfig } from '../support/context';

/**
 * The relay of Azure DevOps environment approvals, step by step, against a recording stand-in
 * for the Azure DevOps client (the sandbox round trip is in test/integration/workflow-relay).
 */
const models = sandboxConfig().mlops.models;
const model = models['fashion-cnn']!;
const now = Date.parse('2026-11-26T10:00:00Z');
const approval = (over: Partial<Approval> = {}): Approval => ({ id: 'ap-1', status: 'pending', createdAt: undefined, lastModifiedAt: undefined, instructions: undefined, minRequiredApprovers: 1, steps: [], runId: 42, pipelineId: 2, ...over });
const req = (over: Partial<RelayRequest> = {}): RelayRequest => ({ model: 'fashion-cnn', pipelineId: 2, devopsRunId: 42, approval: approval(), ...over });
const relayRun = (over: Partial<RelayRequest> = {}): RunRecord => ({ ...relayRunRecord(req(over), model, 'conv', now), id: 'relay-1', version: 1 });

interface Calls { approve: string[][]; reject: string[][]; listRuns: number[]; listPending: number[] }
function devops(over: Record<string, unknown> = {}): { client: AzureDevOpsClient; calls: Calls } {
  const calls: Calls = { approve: [], reject: [], listRuns: [], listPending: [] };
  const client = {
    getRun: async (_p: number, id: number) => ({ id }),
    listPendingApprovals: async (runId: number) => {
      calls.listPending.push(runId);
      return [approval({ minRequiredApprovers: 2 })];
    },
    approve: async (id: string, comment: string) => void calls.approve.push([id, comment]),
    reject: async (id: string, comment: string) => void calls.reject.push([id, comment]),
    listRuns: (pipelineId: number) => {
      calls.listRuns.push(pipelineId);
      return {
        async *byPage() {
          yield [{ id: 42 }, { id: 43 }];
          yield [{ id: 99 }];
        },
      };
    },
    ...over,
  } as unknown as AzureDevOpsClient;
  return { client, calls };
}
const decided = (run: RunRecord, state: 'approved' | 'rejected', comment = ''): RunRecord => ({
  ...run,
  approval: { ...run.approval!, state, decisions: [{ by: { id: 'u2', name: 'Megan' }, decision: state, comment, at: '' }] },
});
const remote = (status: ApprovalStatus, steps: Approval['steps'] = []): Approval => approval({ status, steps });

describe('the relay run record', () => {
  it('waits on the approval with the stages Azure DevOps does skipped, and a day to decide', () => {
    const r = relayRunRecord(req(), model, 'conv', now);
    expect(r.stages.map((s) => `${s.id}:${s.state}`)).toEqual(['ci:succeeded', 'training:skipped', 'registered:skipped', 'approval:waiting', 'deploy:pending', 'smoke:skipped']);
    expect(r.stages.map((s) => s.detail)).toEqual(['Azure DevOps CD run 42', 'done by the Azure DevOps pipeline', 'done by the Azure DevOps pipeline', 'Azure DevOps approval ap-1', 'deployed by the Azure DevOps pipeline', 'done by the Azure DevOps pipeline']);
    expect(stageOf(r as RunRecord, 'approval').startedAt).toBe('2026-11-26T10:00:00.000Z');
    expect(r).toMatchObject({ kind: 'relay', status: 'waiting_approval', conversationId: 'conv', branch: 'main', target: model.target, relay: { devopsRunId: 42 }, requester: { id: 'azure-devops:2', name: 'Azure DevOps pipeline 2' } });
    expect(r.approval).toEqual({ required: 1, expiresAt: '2026-11-27T10:00:00.000Z', decisions: [], state: 'pending', devopsApprovalId: 'ap-1' });
  });

  it('is on main for a model without a CI pipeline', () => {
    const { ci: _ci, ...noCi } = model;
    expect(relayRunRecord(req(), noCi, 'conv', now).branch).toBe('main');
  });

  it("asks as many approvers as Azure DevOps does, at least one, and takes the model's CI branch", () => {
    expect(relayRunRecord(req({ approval: approval({ minRequiredApprovers: 3 }) }), model, 'c', now).approval?.required).toBe(3);
    expect(relayRunRecord(req({ approval: approval({ minRequiredApprovers: 0 }) }), model, 'c', now).approval?.required).toBe(1);
    expect(relayRunRecord(req({ approval: approval({ minRequiredApprovers: -1 }) }), model, 'c', now).approval?.required).toBe(1);
    expect(relayRunRecord(req(), { ...model, ci: { azureDevOpsPipelineId: 1, branch: 'release' } }, 'c', now).branch).toBe('release');
  });
});

describe("confirming a webhook's approval with Azure DevOps", () => {
  it("keeps Azure DevOps' version of a pending approval", async () => {
    expect(await confirmRelayRequest(devops().client, req())).toEqual({ ...req(), approval: approval({ minRequiredApprovers: 2 }) });
  });

  it('refuses a run Azure DevOps does not know and an approval not pending on it; other errors go up', async () => {
    const missing = devops({ getRun: async () => Promise.reject(new ServiceError({ service: 'azure-devops', operation: 'runs.get', status: 404, message: 'no' })) });
    expect(await confirmRelayRequest(missing.client, req())).toEqual({ refused: 'Azure DevOps has no run 42 of pipeline 2' });
    expect(await confirmRelayRequest(devops().client, req({ approval: approval({ id: 'forged' }) }))).toEqual({ refused: 'approval forged is not pending on run 42 in Azure DevOps' });
    const down = devops({ getRun: async () => Promise.reject(new ServiceError({ service: 'azure-devops', operation: 'runs.get', status: 503, message: 'down' })) });
    await expect(confirmRelayRequest(down.client, req())).rejects.toMatchObject({ status: 503 });
  });
});

describe("a webhook's approval that Azure DevOps does not confirm", () => {
  it('is audited as refused and logged, and opens nothing', async () => {
    const audit: unknown[] = [];
    const lines: Array<Record<string, unknown>> = [];
    const runs = { appendAudit: async (a: unknown) => void audit.push(a) } as unknown as RunStore;
    const logger = createLogger('warn', {}, (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    const forged = req({ approval: approval({ id: 'forged' }) });
    expect(await confirmWebhookRelay({ devops: devops().client, runs, logger, now }, forged)).toBeUndefined();
    const reason = 'approval forged is not pending on run 42 in Azure DevOps';
    expect(audit).toEqual([{ at: '2026-11-26T10:00:00.000Z', actor: 'webhook', action: 'devops.approval.pending', outcome: 'refused', detail: { approvalId: 'forged', devopsRunId: 42, pipelineId: 2, reason } }]);
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: 'a webhook named an approval that Azure DevOps does not confirm', approvalId: 'forged', reason })]);
  });

  it('is confirmed without an audit line when Azure DevOps has it pending, and ignored without Azure DevOps', async () => {
    const audit: unknown[] = [];
    const runs = { appendAudit: async (a: unknown) => void audit.push(a) } as unknown as RunStore;
    const logger = createLogger('warn', {}, () => undefined);
    expect(await confirmWebhookRelay({ devops: devops().client, runs, logger, now }, req())).toEqual({ ...req(), approval: approval({ minRequiredApprovers: 2 }) });
    expect(await confirmWebhookRelay({ devops: undefined, runs, logger, now }, req())).toBeUndefined();
    expect(audit).toEqual([]);
  });
});

describe('a relay step', () => {
  it('does nothing without Azure DevOps, without a run id, or while the approval is pending there', async () => {
    expect(await stepRelay(relayRun(), undefined, now)).toBeUndefined();
    expect(await stepRelay((({ relay: _relay, ...r }) => r)(relayRun()), devops().client, now)).toBeUndefined();
    expect(await stepRelay(relayRun(), devops({ getApproval: async () => remote('pending') }).client, now)).toBeUndefined();
  });

  it('mirrors an approval given in Azure DevOps and starts following the deployment', async () => {
    const steps = [{ assignedApprover: { id: 'g', displayName: 'G' }, actualApprover: undefined, status: 'approved' as const, comment: undefined }, { assignedApprover: { id: 'g', displayName: 'G' }, actualApprover: { id: 'megan', displayName: 'Megan' }, status: 'approved' as const, comment: 'ship it' }];
    const t = await stepRelay(relayRun(), devops({ getApproval: async () => remote('approved', steps) }).client, now + 1000);
    expect(t?.run.approval).toMatchObject({ state: 'approved', decisions: [{ by: { id: 'megan', name: 'Megan (in Azure DevOps)' }, decision: 'approved', comment: 'ship it', at: '2026-11-26T10:00:01.000Z' }] });
    expect(t?.run.relay?.relayedAt).toBe('2026-11-26T10:00:01.000Z');
    expect(stageOf(t!.run, 'approval')).toMatchObject({ state: 'succeeded', detail: 'approved in Azure DevOps (approved)' });
    expect(stageOf(t!.run, 'deploy').state).toBe('running');
    expect(t?.run.status).toBe('waiting_approval');
    expect(t?.effects.outbox).toEqual([{ kind: 'approvalUpdated' }, { kind: 'progress' }]);
  });

  it('mirrors any other outcome as a rejection by someone unnamed, and cancels the run', async () => {
    const t = await stepRelay(relayRun(), devops({ getApproval: async () => remote('timedOut') }).client, now);
    expect(t?.run.approval?.decisions).toEqual([{ by: { id: 'azure-devops', name: 'someone (in Azure DevOps)' }, decision: 'rejected', comment: '', at: '2026-11-26T10:00:00.000Z' }]);
    expect(stageOf(t!.run, 'approval')).toMatchObject({ state: 'failed', detail: 'rejected in Azure DevOps (timedOut)' });
    expect(stageOf(t!.run, 'deploy').state).toBe('pending');
    expect(t?.run.status).toBe('canceled');
  });

  function deploying(): RunRecord {
    const r = relayRun();
    r.approval = { ...r.approval!, state: 'approved' };
    stageOf(r, 'approval').state = 'succeeded';
    stageOf(r, 'deploy').state = 'running';
    return r;
  }

  it('follows the CD run: nothing until it completes, then the deploy succeeds (partially too) and the run ends', async () => {
    const notDeploying = relayRun();
    notDeploying.approval = { ...notDeploying.approval!, state: 'approved' };
    expect(await stepRelay(notDeploying, devops({ getBuild: async () => ({ id: 42, state: 'completed', result: 'succeeded' }) }).client, now)).toBeUndefined();
    expect(await stepRelay(deploying(), devops({ getBuild: async () => ({ id: 42, state: 'inProgress' }) }).client, now)).toBeUndefined();
    for (const result of ['succeeded', 'partiallySucceeded']) {
      const t = await stepRelay(deploying(), devops({ getBuild: async () => ({ id: 42, state: 'completed', result }) }).client, now);
      expect(stageOf(t!.run, 'deploy')).toMatchObject({ state: 'succeeded', detail: `Azure DevOps run 42 ${result}` });
      expect(t?.run.status).toBe('succeeded');
      expect(t?.run.updatedAt).toBe('2026-11-26T10:00:00.000Z');
    }
  });

  it('fails the deploy with the failed task and its log, or without them when the log cannot be read', async () => {
    const withLog = devops({ getBuild: async () => ({ id: 42, state: 'completed', result: 'failed' }), getFailedTaskLog: async (_id: number, o: { lines: number }) => ({ task: { name: `Deploy (${o.lines})` }, lines: ['a', 'b'] }) });
    const t = await stepRelay(deploying(), withLog.client, now);
    expect(t?.run.failure).toEqual({ stage: 'deploy', system: 'ACI', message: 'The Azure DevOps CD run ended failed at "Deploy (200)"', logTail: ['a', 'b'] });
    const noLog = devops({ getBuild: async () => ({ id: 42, state: 'completed', result: undefined }), getFailedTaskLog: async () => Promise.reject(new Error('gone')) });
    const t2 = await stepRelay(deploying(), noLog.client, now);
    expect(t2?.run.failure).toMatchObject({ message: 'The Azure DevOps CD run ended unsuccessfully', logTail: [] });
  });
});

describe('a decision taken in Teams, sent to Azure DevOps', () => {
  it('approves or rejects with a comment naming the person, once decided', async () => {
    const d = devops();
    expect(await relayDecision(decided(relayRun(), 'approved', 'go'), d.client)).toBeUndefined();
    expect(await relayDecision(decided(relayRun(), 'rejected'), d.client)).toBeUndefined();
    expect(d.calls.approve).toEqual([['ap-1', 'approved by Megan in Teams: go']]);
    expect(d.calls.reject).toEqual([['ap-1', 'rejected by Megan in Teams']]);
  });

  it('sends nothing for a run that is not a relay, has no approval id, no decision or is still pending, or without Azure DevOps', async () => {
    const d = devops();
    const r = decided(relayRun(), 'approved');
    expect(await relayDecision({ ...r, kind: 'train' }, d.client)).toBeUndefined();
    expect(await relayDecision({ ...r, approval: { ...r.approval!, devopsApprovalId: undefined } }, d.client)).toBeUndefined();
    expect(await relayDecision({ ...r, approval: { ...r.approval!, decisions: [] } }, d.client)).toBeUndefined();
    expect(await relayDecision({ ...r, approval: { ...r.approval!, state: 'expired' } }, d.client)).toBeUndefined();
    expect(await relayDecision({ ...r, approval: { ...r.approval!, state: 'pending' } }, d.client)).toBeUndefined();
    expect(await relayDecision(r, undefined)).toBeUndefined();
    expect(d.calls.approve).toEqual([]);
    expect(d.calls.reject).toEqual([]);
  });

  it('answers the problem when Azure DevOps refuses', async () => {
    const d = devops({ approve: async () => Promise.reject(new ServiceError({ service: 'azure-devops', operation: 'approvals.update', status: 403, message: 'not an approver' })) });
    expect(await relayDecision(decided(relayRun(), 'approved'), d.client)).toBe('azure-devops.approvals.update HTTP 403 not an approver');
  });

  it('records the relay once (audit), or fails the approval stage with the problem', async () => {
    const ok = await stepRelayRun(decided(relayRun(), 'approved'), devops().client, now);
    expect(ok?.run.relay?.relayedAt).toBe('2026-11-26T10:00:00.000Z');
    // Approved and sent: the run goes on, following the CD run (only a rejection ends it here).
    expect(ok?.run.status).toBe(relayRun().status);
    expect(ok?.effects.audit).toEqual([{ at: '2026-11-26T10:00:00.000Z', actor: 'system', action: 'devops.approval.relay', outcome: 'ok', detail: { approvalId: 'ap-1', decision: 'approved', devopsRunId: 42 } }]);
    expect(ok?.effects.outbox).toEqual([{ kind: 'progress' }]);
    const refusing = devops({ reject: async () => Promise.reject(new Error('nope')) });
    const failed = await stepRelayRun(decided(relayRun(), 'rejected'), refusing.client, now);
    expect(failed?.run.status).toBe('failed');
    expect(failed?.run.failure?.message).toBe('The decision could not be sent to Azure DevOps: nope');
    expect(failed?.run.relay?.relayedAt).toBeUndefined();
    expect(failed?.effects.audit[0]).toMatchObject({ actor: 'system', action: 'devops.approval.relay', outcome: 'failed', detail: { approvalId: 'ap-1', problem: 'nope' } });
    // Azure DevOps refused, not Teams: the failure names it (the approval stage's own system is Teams).
    expect(failed?.run.failure).toEqual({ stage: 'approval', system: 'Azure DevOps', message: 'The decision could not be sent to Azure DevOps: nope', logTail: [] });
  });

  it('keeps a relay run going after a Teams rejection until the rejection is sent, then ends it', async () => {
    const { t } = decisionTransition(relayRun(), { id: 'u2', name: 'Megan' }, 'rejected', 'not now', now);
    expect({ status: t.run.status, approval: t.run.approval?.state }).toEqual({ status: 'running', approval: 'rejected' });
    const d = devops();
    const sent = await stepRelayRun(t.run, d.client, now);
    expect(d.calls.reject).toEqual([['ap-1', 'rejected by Megan in Teams: not now']]);
    expect(sent?.run.status).toBe('canceled');
    expect(sent?.run.relay?.relayedAt).toBe('2026-11-26T10:00:00.000Z');
    // A run the bot started itself ends at once: there is nobody to tell.
    const own = decisionTransition({ ...relayRun(), kind: 'train' }, { id: 'u2', name: 'Megan' }, 'rejected', '', now);
    expect(own.t.run.status).toBe('canceled');
  });

  it('once relayed, or while pending, follows Azure DevOps instead of relaying again', async () => {
    const d = devops({ getApproval: async () => remote('pending') });
    const relayed = { ...decided(relayRun(), 'approved'), relay: { devopsRunId: 42, relayedAt: 'x' } };
    expect(await stepRelayRun(relayed, d.client, now)).toBeUndefined();
    expect(await stepRelayRun(relayRun(), d.client, now)).toBeUndefined();
    expect(d.calls.approve).toEqual([]);
  });
});

describe('finding and opening relay runs', () => {
  it('asks Azure DevOps for in-progress runs only, 50 to a page', async () => {
    const asked: unknown[] = [];
    const d = devops({
      listRuns: (pipelineId: number, options: unknown) => {
        asked.push([pipelineId, options]);
        return { byPage: async function* () { yield []; } };
      },
    });
    await findPendingApprovals(d.client, models);
    expect(asked).toEqual([[2, { state: 'inProgress', pageSize: 50 }]]);
  });

  it('lists the pending approvals of the newest in-progress runs of each CD pipeline', async () => {
    const d = devops();
    const found = await findPendingApprovals(d.client, { ...models, noCd: (({ cd: _cd, ...m }) => m)(model) });
    expect(d.calls.listRuns).toEqual([2]);
    expect(d.calls.listPending).toEqual([42, 43]);
    expect(found.map((f) => [f.model, f.pipelineId, f.devopsRunId, f.approval.id])).toEqual([['fashion-cnn', 2, 42, 'ap-1'], ['fashion-cnn', 2, 43, 'ap-1']]);
  });

  it('opens the run in the first conversation subscribed to approvals, audited; none without one', async () => {
    const created: Array<[Omit<RunRecord, 'id' | 'version'>, unknown]> = [];
    const warnings: string[] = [];
    const logger = createLogger('warn', {}, (line) => warnings.push(line));
    const store = (subs: Array<{ conversationId: string; events: string[] }>) =>
      ({ listSubscriptions: async () => subs, createRun: async (r: Omit<RunRecord, 'id' | 'version'>, effects: unknown) => (created.push([r, effects]), { ...r, id: 'new', version: 1 }) }) as unknown as RunStore;
    const opened = await openRelayRun(req(), { runs: store([{ conversationId: 'fails-only', events: ['failed'] }, { conversationId: 'ops', events: ['approval'] }, { conversationId: 'later', events: ['approval'] }]), models, logger, now });
    expect(opened).toMatchObject({ id: 'new', conversationId: 'ops', kind: 'relay' });
    expect(created[0]?.[1]).toEqual({ audit: [{ at: '2026-11-26T10:00:00.000Z', actor: 'system', action: 'devops.approval.pending', outcome: 'ok', detail: { approvalId: 'ap-1', devopsRunId: 42, pipelineId: 2 } }], outbox: [{ kind: 'progress' }, { kind: 'approvalRequested' }] });
    expect(await openRelayRun(req(), { runs: store([{ conversationId: 'fails-only', events: ['failed'] }]), models, logger, now })).toBeUndefined();
    expect(warnings.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([expect.objectContaining({ msg: 'an Azure DevOps approval waits, but no conversation subscribed to approvals of this model', model: 'fashion-cnn', approvalId: 'ap-1' })]);
    expect(await openRelayRun(req({ model: 'unknown' }), { runs: store([{ conversationId: 'ops', events: ['approval'] }]), models, logger, now })).toBeUndefined();
    expect(created).toHaveLength(1);
  });
});
