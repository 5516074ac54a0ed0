import type { ModelConfig } from '../config/mlops-config.schema';
import { principalKey } from '../auth/principal';
import { approvalCount, type DecisionRefusal } from './approval-policy';
import { currentStage, stageOf, type Decision, type PersonRef, type RunRecord } from './run.types';
import { advanceTo } from './stage-steps';
import { environment } from './environments';
import { begin, finishStage, iso, startStage, touch, type Transition } from './transitions';

/** Entering the approval stage: the approval is opened and its card announced. */
export function openApprovalTransition(run: RunRecord, m: ModelConfig | undefined, now: number): Transition {
  // The policy of the run's environment; `none` never opens an approval (the stage is skipped), so 1 is only a guard.
  const configured = m ? environment(m, run.target)?.approval : undefined;
  const policy = configured && configured !== 'none' ? configured : { required: 1, expiresAfter: 24 * 3_600_000 };
  const t = begin(run);
  t.run.approval = { required: policy.required, expiresAt: iso(now + policy.expiresAfter), decisions: [], state: 'pending' };
  t.run.status = 'waiting_approval';
  startStage(t, 'approval', now, `${policy.required} approval${policy.required > 1 ? 's' : ''} needed`, 'waiting');
  t.effects.outbox.push({ kind: 'approvalRequested' });
  touch(t, now);
  return t;
}

/** A pending approval superseded by a newer run of the same target. */
export function supersedeTransition(older: RunRecord, newer: RunRecord, now: number): Transition {
  const t = begin(older);
  if (t.run.approval) t.run.approval.state = 'stale';
  finishStage(t, 'approval', 'canceled', now, `superseded by run ${newer.id} (version ${newer.registered?.version ?? '?'})`);
  t.run.status = 'canceled';
  t.effects.outbox.push({ kind: 'approvalUpdated' });
  t.effects.audit.push({ at: iso(now), actor: 'system', action: 'approval.stale', outcome: 'ok', detail: { supersededBy: newer.id } });
  touch(t, now);
  return t;
}

/** One accepted decision (the refusals were checked before): the transition and the answer to the clicker. */
export function decisionTransition(run: RunRecord, user: PersonRef, decision: Decision['decision'], comment: string, now: number): { t: Transition; message: string } {
  const t = begin(run);
  const a = t.run.approval;
  if (!a) throw new Error(`run ${run.id} has no approval`);
  a.decisions.push({ by: user, decision, comment: comment.slice(0, 500), at: iso(now) });
  t.effects.audit.push({ at: iso(now), actor: principalKey(user), action: `approval.${decision}`, outcome: 'ok', detail: { comment, version: run.registered?.version } });
  t.effects.outbox.push({ kind: 'approvalUpdated' });
  let message: string;
  if (decision === 'rejected') {
    a.state = 'rejected';
    finishStage(t, 'approval', 'failed', now, `rejected by ${user.name}${comment ? `: ${comment}` : ''}`);
    // A relay run ends only once the rejection is sent to Azure DevOps (stepRelayRun): a final
    // status here would stop the engine before that step, leaving the approval pending there.
    t.run.status = run.kind === 'relay' ? 'running' : 'canceled';
    message = `Rejected. Version ${run.registered?.version ?? '?'} of ${run.model} will not be deployed.`;
  } else {
    // Counted per person (the identity rule of auth/principal), not per click.
    const approvals = approvalCount(a.decisions);
    if (approvals >= a.required) {
      a.state = 'approved';
      finishStage(t, 'approval', 'succeeded', now, `approved by ${a.decisions.filter((d) => d.decision === 'approved').map((d) => d.by.name).join(', ')}`);
      t.run.status = 'running';
      advanceTo(t, 'approval', now);
      message = `Approved. Deploying version ${run.registered?.version ?? '?'} of ${run.model} to ${run.target}.`;
    } else {
      stageOf(t.run, 'approval').detail = `${approvals} of ${a.required} approvals`;
      message = `Your approval is recorded (${approvals} of ${a.required}).`;
    }
  }
  touch(t, now);
  return { t, message };
}

/** The audit line of a refused click. */
export function refusalAudit(run: RunRecord, user: PersonRef, decision: Decision['decision'], refusal: DecisionRefusal | { kind: 'forbidden'; message: string }, now: number) {
  return { at: iso(now), actor: principalKey(user), action: `approval.${decision}`, runId: run.id, outcome: 'refused' as const, detail: { reason: refusal.kind, message: refusal.message } };
}

/** A run canceled by a user: its current stage, and a pending approval, end here. */
export function cancelTransition(run: RunRecord, user: PersonRef, now: number): Transition {
  const stage = currentStage(run);
  const t = begin(run);
  if (stage) finishStage(t, stage.id, 'canceled', now, `canceled by ${user.name}`);
  if (t.run.approval?.state === 'pending') t.run.approval.state = 'stale';
  t.run.status = 'canceled';
  t.effects.audit.push({ at: iso(now), actor: principalKey(user), action: 'run.cancel', outcome: 'ok', detail: { stage: stage?.id, devopsRunId: run.ci?.devopsRunId, databricksRunId: run.training?.databricksRunId } });
  if (run.approval) t.effects.outbox.push({ kind: 'approvalUpdated' });
  touch(t, now);
  return t;
}
