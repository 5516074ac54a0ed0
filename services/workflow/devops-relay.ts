import type { AzureDevOpsClient } from '../azure-devops/azure-devops.client';
import type { Approval } from '../azure-devops/azure-devops.types';
import { isNotFound } from '../http/errors';
import type { MlopsConfig, ModelConfig } from '../config/mlops-config.schema';
import { PIPELINE_PRINCIPAL_PREFIX, STAGE_IDS, STAGE_SYSTEMS, stageOf, type RunRecord } from './run.types';
import { advanceTo, errorText } from './stage-steps';
import { begin, fail, finishStage, iso, touch, type Transition } from './transitions';
import { sendDone, takeSendTurn, type Sender } from './send-claim';
import type { Logger } from '../logger';
import type { RunStore } from './run-store';
import { lastEnvironment } from './environments';

/**
 * Azure DevOps environment approvals, relayed: a CD pipeline run that waits on an approval gets
 * the same approval card in Teams (a `relay` run), and the decision taken there is sent to the
 * approvals API. The Azure DevOps run then deploys; the relay run follows it to the end.
 */
export interface RelayRequest {
  model: string;
  pipelineId: number;
  devopsRunId: number;
  approval: Approval;
}

export function relayRunRecord(req: RelayRequest, m: ModelConfig, conversationId: string, now: number): Omit<RunRecord, 'id' | 'version'> {
  const skipped = (detail: string) => ({ state: 'skipped' as const, detail });
  const stages: RunRecord['stages'] = STAGE_IDS.map((id) => {
    if (id === 'ci') return { id, state: 'succeeded' as const, detail: `Azure DevOps CD run ${req.devopsRunId}` };
    if (id === 'approval') return { id, state: 'waiting' as const, startedAt: iso(now), detail: `Azure DevOps approval ${req.approval.id}` };
    if (id === 'deploy') return { id, state: 'pending' as const, detail: 'deployed by the Azure DevOps pipeline' };
    return { id, ...skipped('done by the Azure DevOps pipeline') };
  });
  return {
    model: req.model,
    target: lastEnvironment(m).name,
    kind: 'relay',
    params: {},
    branch: m.ci?.branch ?? 'main',
    requester: { id: `${PIPELINE_PRINCIPAL_PREFIX}${req.pipelineId}`, name: `Azure DevOps pipeline ${req.pipelineId}` },
    conversationId,
    status: 'waiting_approval',
    stages,
    relay: { devopsRunId: req.devopsRunId },
    metrics: [],
    approval: {
      required: Math.max(1, req.approval.minRequiredApprovers || 1),
      // Azure DevOps owns the timeout of its checks; the card shows a day unless the check expires first.
      expiresAt: iso(now + 24 * 3_600_000),
      decisions: [],
      state: 'pending',
      devopsApprovalId: req.approval.id,
    },
    createdAt: iso(now),
    updatedAt: iso(now),
  };
}

/**
 * A service hook's word is not trusted (anyone who learns the webhook secret could post one):
 * the run must belong to that pipeline and the approval must be pending on it, as Azure DevOps
 * itself answers. The relay then uses the service's approval, not the payload's.
 */
export async function confirmRelayRequest(devops: AzureDevOpsClient, req: RelayRequest): Promise<RelayRequest | { refused: string }> {
  let run;
  try {
    run = await devops.getRun(req.pipelineId, req.devopsRunId);
  } catch (e) {
    if (isNotFound(e)) return { refused: `Azure DevOps has no run ${req.devopsRunId} of pipeline ${req.pipelineId}` };
    throw e;
  }
  const approval = (await devops.listPendingApprovals(run.id)).find((a) => a.id === req.approval.id);
  if (!approval) return { refused: `approval ${req.approval.id} is not pending on run ${run.id} in Azure DevOps` };
  return { ...req, approval };
}

/** A relay named by a webhook, confirmed by Azure DevOps; a refusal is audited and logged, and creates nothing. */
export async function confirmWebhookRelay(deps: { devops: AzureDevOpsClient | undefined; runs: RunStore; logger: Logger; now: number }, req: RelayRequest): Promise<RelayRequest | undefined> {
  if (!deps.devops) return undefined;
  const confirmed = await confirmRelayRequest(deps.devops, req);
  if (!('refused' in confirmed)) return confirmed;
  await deps.runs.appendAudit({ at: iso(deps.now), actor: 'webhook', action: 'devops.approval.pending', outcome: 'refused', detail: { approvalId: req.approval.id, devopsRunId: req.devopsRunId, pipelineId: req.pipelineId, reason: confirmed.refused } });
  deps.logger.warn('a webhook named an approval that Azure DevOps does not confirm', { approvalId: req.approval.id, reason: confirmed.refused });
  return undefined;
}

/** One step of a relay run: mirror a decision taken in Azure DevOps itself, then follow the CD run. */
export async function stepRelay(run: RunRecord, devops: AzureDevOpsClient | undefined, now: number): Promise<Transition | undefined> {
  if (!devops || run.relay?.devopsRunId === undefined) return undefined;
  const t = begin(run);
  const a = run.approval;
  if (a?.state === 'pending' && a.devopsApprovalId) {
    const remote = await devops.getApproval(a.devopsApprovalId);
    if (remote.status === 'pending') return undefined;
    const by = remote.steps.find((s) => s.actualApprover)?.actualApprover;
    const decided = remote.status === 'approved' ? 'approved' : 'rejected';
    if (t.run.approval) {
      t.run.approval.state = decided;
      t.run.approval.decisions.push({ by: { id: by?.id ?? 'azure-devops', name: `${by?.displayName ?? 'someone'} (in Azure DevOps)` }, decision: decided, comment: remote.steps.find((s) => s.comment)?.comment ?? '', at: iso(now) });
    }
    // Decided in Azure DevOps itself: nothing to relay back.
    if (t.run.relay) t.run.relay.relayedAt = iso(now);
    finishStage(t, 'approval', decided === 'approved' ? 'succeeded' : 'failed', now, `${decided} in Azure DevOps (${remote.status})`);
    if (decided === 'approved') advanceTo(t, 'approval', now);
    else t.run.status = 'canceled';
    t.effects.outbox.push({ kind: 'approvalUpdated' });
    touch(t, now);
    return t;
  }
  if (stageOf(run, 'deploy').state !== 'running') return undefined;
  const pr = await devops.getBuild(run.relay.devopsRunId);
  if (pr.state !== 'completed') return undefined;
  if (pr.result === 'succeeded' || pr.result === 'partiallySucceeded') {
    finishStage(t, 'deploy', 'succeeded', now, `Azure DevOps run ${pr.id} ${pr.result}`);
    advanceTo(t, 'deploy', now);
  } else {
    const failed = await devops.getFailedTaskLog(run.relay.devopsRunId, { lines: 200 }).catch(() => undefined);
    fail(t, 'deploy', `The Azure DevOps CD run ended ${pr.result ?? 'unsuccessfully'}${failed?.task ? ` at "${failed.task.name}"` : ''}`, failed?.lines ?? [], now);
  }
  touch(t, now);
  return t;
}

/** Sends a decision taken in Teams to Azure DevOps. Called after the decision is persisted. */
export async function relayDecision(run: RunRecord, devops: AzureDevOpsClient | undefined): Promise<string | undefined> {
  const a = run.approval;
  if (run.kind !== 'relay' || !a?.devopsApprovalId || !devops) return undefined;
  const last = a.decisions.at(-1);
  if (!last || (a.state !== 'approved' && a.state !== 'rejected')) return undefined;
  const comment = `${last.decision} by ${last.by.name} in Teams${last.comment ? `: ${last.comment}` : ''}`;
  try {
    if (a.state === 'approved') await devops.approve(a.devopsApprovalId, comment);
    else await devops.reject(a.devopsApprovalId, comment);
    return undefined;
  } catch (e) {
    return errorText(e);
  }
}

/** Pending approvals of the configured CD pipelines, found by polling (the webhook's fallback). */
export async function findPendingApprovals(devops: AzureDevOpsClient, models: MlopsConfig['models']): Promise<RelayRequest[]> {
  const found: RelayRequest[] = [];
  for (const [model, m] of Object.entries(models)) {
    if (!m.cd) continue;
    for await (const page of devops.listRuns(m.cd.azureDevOpsPipelineId, { state: 'inProgress', pageSize: 50 }).byPage()) {
      for (const pr of page) {
        for (const approval of await devops.listPendingApprovals(pr.id)) found.push({ model, pipelineId: m.cd.azureDevOpsPipelineId, devopsRunId: pr.id, approval });
      }
      break; // the newest 50 in-progress runs are plenty for a relay
    }
  }
  return found;
}

/** A relay run: send a decision taken in Teams to Azure DevOps once, then mirror Azure DevOps. */
export async function stepRelayRun(run: RunRecord, devops: AzureDevOpsClient | undefined, now: number, sender?: Sender): Promise<Transition | undefined> {
  const a = run.approval;
  if (a && (a.state === 'approved' || a.state === 'rejected') && !run.relay?.relayedAt) {
    const t = begin(run);
    const turn = takeSendTurn(t, run, 'relay', sender, now);
    if (turn !== 'send') return turn === 'claimed' ? t : undefined;
    const problem = await relayDecision(run, devops);
    sendDone(t);
    if (problem) {
      t.effects.audit.push({ at: iso(now), actor: 'system', action: 'devops.approval.relay', outcome: 'failed', detail: { approvalId: a.devopsApprovalId, problem } });
      fail(t, 'approval', `The decision could not be sent to Azure DevOps: ${problem}`, [], now, STAGE_SYSTEMS.ci);
    } else {
      if (t.run.relay) t.run.relay.relayedAt = iso(now);
      // Rejected and said so to Azure DevOps: the run ends here (approved: it follows the CD run).
      if (a.state === 'rejected') t.run.status = 'canceled';
      t.effects.audit.push({ at: iso(now), actor: 'system', action: 'devops.approval.relay', outcome: 'ok', detail: { approvalId: a.devopsApprovalId, decision: a.state, devopsRunId: run.relay?.devopsRunId } });
    }
    touch(t, now);
    return t;
  }
  return stepRelay(run, devops, now);
}

/**
 * Opens the relay run of an Azure DevOps approval (the engine checks it is not open yet), in the first
 * conversation subscribed to the model's approval events; none without such a conversation.
 */
export async function openRelayRun(
  req: RelayRequest,
  deps: { runs: RunStore; models: MlopsConfig['models']; logger: Logger; now: number; describe?: (record: Omit<RunRecord, 'id' | 'version'>, m: ModelConfig) => Promise<Omit<RunRecord, 'id' | 'version'>> },
): Promise<RunRecord | undefined> {
  const m = deps.models[req.model];
  if (!m) return undefined;
  const subs = (await deps.runs.listSubscriptions(req.model)).filter((s) => s.events.includes('approval'));
  const conversationId = subs[0]?.conversationId;
  if (!conversationId) {
    deps.logger.warn('an Azure DevOps approval waits, but no conversation subscribed to approvals of this model', { model: req.model, approvalId: req.approval.id });
    return undefined;
  }
  const record = relayRunRecord(req, m, conversationId, deps.now);
  return deps.runs.createRun(deps.describe ? await deps.describe(record, m) : record, {
    audit: [{ at: iso(deps.now), actor: 'system', action: 'devops.approval.pending', outcome: 'ok', detail: { approvalId: req.approval.id, devopsRunId: req.devopsRunId, pipelineId: req.pipelineId } }],
    outbox: [{ kind: 'progress' }, { kind: 'approvalRequested' }],
  });
}
