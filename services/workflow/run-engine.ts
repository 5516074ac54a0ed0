import type { MlopsConfig, ModelConfig } from '../config/mlops-config.schema';
import { ServiceError } from '../http/errors';
import type { RolePolicy } from '../auth/roles';
import { principalKey } from '../auth/principal';
import { approvalCount, refusalFor, samePerson } from './approval-policy';
import { stepApproval, stepDeploy, stepSmoke } from './deploy-steps';
import { VersionConflictError, type RunStore } from './run-store';
import { FINAL_STATUSES, currentStage, stageOf, type Decision, type PersonRef, type RunRecord } from './run.types';
import { advanceTo, errorText, stepCi, stepRegistered, stepTraining, type StepDeps } from './stage-steps';
import { runsToAdvance } from './poll-plan';
import { newDeployRun, newTrainRun, type NewRun, type StartDeployRequest, type StartTrainRequest } from './run-factory';
import { confirmRelayRequest, findPendingApprovals, relayDecision, relayRunRecord, stepRelay, type RelayRequest } from './devops-relay';
import { begin, fail, finishStage, iso, startStage, touch, type Transition } from './transitions';

export type { StartTrainRequest } from './run-factory';

export type ActionResult = { ok: true; run: RunRecord; message: string } | { ok: false; message: string; run?: RunRecord };

export interface RunEngineDeps extends StepDeps {
  runs: RunStore;
  roles: RolePolicy;
  config: Pick<MlopsConfig, 'models'>;
  /** Called after any transition was persisted (the bot's dispatcher wakes up to announce it). */
  onPersisted?: (run: RunRecord) => void;
}

/**
 * The run state machine. Each `advance` reads the run, asks the system of the current stage for
 * the truth, and persists one transition with a version check before anything is announced.
 * Webhooks and polling both just call `advance`, so a duplicate or out-of-order event changes
 * nothing. Per run, calls are serialized in this process.
 */
export class RunEngine {
  private readonly locks = new Map<string, Promise<unknown>>();
  private passes = 0;

  constructor(private readonly deps: RunEngineDeps) {}

  private async exclusive<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(runId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(runId, settled);
    try {
      return await next;
    } finally {
      if (this.locks.get(runId) === settled) this.locks.delete(runId);
    }
  }

  private async persist(t: Transition): Promise<RunRecord> {
    const saved = await this.deps.runs.saveRun(t.run, t.effects);
    this.deps.onPersisted?.(saved);
    return saved;
  }

  /** Takes the run's next step now, in the background, rather than at the tracker's next pass. */
  private kick(runId: string): void {
    setImmediate(() => {
      this.advance(runId).catch((error: unknown) => this.deps.logger.warn('advance failed', { runId, error }));
    });
  }

  async startTrain(req: StartTrainRequest): Promise<RunRecord> {
    return this.create(newTrainRun(req, this.model(req.model), this.deps.now()));
  }

  /**
   * /deploy and /rollback: a run that starts at the registry stage with a chosen version (the latest
   * when none is given) and then goes through the same approval, deploy and smoke test.
   */
  async startDeploy(req: StartDeployRequest): Promise<RunRecord> {
    return this.create(newDeployRun(req, this.model(req.model), this.deps.now()));
  }

  private model(name: string): ModelConfig {
    const m = this.deps.config.models[name];
    if (!m) throw new Error(`unknown model ${name}`);
    return m;
  }

  private async create(fresh: NewRun): Promise<RunRecord> {
    const created = await this.deps.runs.createRun(fresh.run, fresh.effects);
    this.deps.onPersisted?.(created);
    this.kick(created.id);
    return created;
  }

  /** One step of a run. Safe to call any time, any number of times. */
  async advance(runId: string): Promise<RunRecord | undefined> {
    return this.exclusive(runId, async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const run = await this.deps.runs.getRun(runId);
        if (!run || FINAL_STATUSES.has(run.status)) return run;
        let t: Transition | undefined;
        try {
          t = await this.step(run);
        } catch (e) {
          // A throttled or unavailable service (after the client's own retries) is not the run's
          // fault: the run stays where it is and the next pass tries again.
          if (e instanceof ServiceError && e.retryable) {
            this.deps.logger.warn('service unavailable; the run waits for the next pass', { runId, error: e });
            return run;
          }
          // Any other failure ends the run with the error; it is recorded, not lost.
          this.deps.logger.warn('stage step failed', { runId, error: e });
          const stage = currentStage(run);
          if (!stage) return run;
          t = begin(run);
          fail(t, stage.id, errorText(e), [], this.deps.now());
        }
        if (!t) return run;
        try {
          return await this.persist(t);
        } catch (e) {
          if (e instanceof VersionConflictError) continue;
          throw e;
        }
      }
      return this.deps.runs.getRun(runId);
    });
  }

  private async step(run: RunRecord): Promise<Transition | undefined> {
    if (run.kind === 'relay') return this.stepRelayRun(run);
    const stage = currentStage(run);
    if (!stage) return undefined;
    switch (stage.id) {
      case 'ci':
        return stepCi(run, this.deps);
      case 'training':
        return stepTraining(run, this.deps);
      case 'registered':
        return stepRegistered(run, this.deps);
      case 'approval':
        return stage.state === 'running' ? this.openApproval(run) : stepApproval(run, this.deps);
      case 'deploy':
        return stepDeploy(run, this.deps, this.deps.runs);
      case 'smoke':
        return stepSmoke(run, this.deps);
    }
  }

  /** A relay run: send a decision taken in Teams to Azure DevOps once, then mirror Azure DevOps. */
  private async stepRelayRun(run: RunRecord): Promise<Transition | undefined> {
    const now = this.deps.now();
    const a = run.approval;
    if (a && (a.state === 'approved' || a.state === 'rejected') && !run.ext.relayedAt) {
      const problem = await relayDecision(run, this.deps.devops);
      const t = begin(run);
      if (problem) {
        t.effects.audit.push({ at: iso(now), actor: 'system', action: 'devops.approval.relay', outcome: 'failed', detail: { approvalId: a.devopsApprovalId, problem } });
        fail(t, 'approval', `The decision could not be sent to Azure DevOps: ${problem}`, [], now);
      } else {
        t.run.ext.relayedAt = iso(now);
        t.effects.audit.push({ at: iso(now), actor: 'system', action: 'devops.approval.relay', outcome: 'ok', detail: { approvalId: a.devopsApprovalId, decision: a.state, devopsRunId: run.ext.devopsRunId } });
      }
      touch(t, now);
      return t;
    }
    return stepRelay(run, this.deps.devops, now);
  }

  /**
   * An Azure DevOps environment approval of a configured CD pipeline, seen by webhook or polling:
   * open (once per approval id) a relay run whose approval card is posted to the conversations
   * subscribed to the model's approval events.
   */
  /** A relay named by a webhook: read back from Azure DevOps first; a refusal is audited and creates nothing. */
  async relayFromWebhook(req: RelayRequest): Promise<RunRecord | undefined> {
    if (!this.deps.devops) return undefined;
    const confirmed = await confirmRelayRequest(this.deps.devops, req);
    if ('refused' in confirmed) {
      await this.deps.runs.appendAudit({ at: iso(this.deps.now()), actor: 'webhook', action: 'devops.approval.pending', outcome: 'refused', detail: { approvalId: req.approval.id, devopsRunId: req.devopsRunId, pipelineId: req.pipelineId, reason: confirmed.refused } });
      this.deps.logger.warn('a webhook named an approval that Azure DevOps does not confirm', { approvalId: req.approval.id, reason: confirmed.refused });
      return undefined;
    }
    return this.relay(confirmed);
  }

  async relay(req: RelayRequest): Promise<RunRecord | undefined> {
    return this.exclusive(`relay:${req.approval.id}`, async () => {
      const known = await this.deps.runs.findRunByDevOpsApproval(req.approval.id);
      if (known) return known;
      const m = this.deps.config.models[req.model];
      if (!m) return undefined;
      const subs = (await this.deps.runs.listSubscriptions(req.model)).filter((s) => s.events.includes('approval'));
      const conversationId = subs[0]?.conversationId;
      const now = this.deps.now();
      if (!conversationId) {
        this.deps.logger.warn('an Azure DevOps approval waits, but no conversation subscribed to approvals of this model', { model: req.model, approvalId: req.approval.id });
        return undefined;
      }
      const created = await this.deps.runs.createRun(relayRunRecord(req, m, conversationId, now), {
        audit: [{ at: iso(now), actor: 'system', action: 'devops.approval.pending', outcome: 'ok', detail: { approvalId: req.approval.id, devopsRunId: req.devopsRunId, pipelineId: req.pipelineId } }],
        outbox: [{ kind: 'runCard' }, { kind: 'approvalCard' }],
      });
      this.deps.onPersisted?.(created);
      return created;
    });
  }

  /** Entering the approval stage: post the approval card; older pending approvals of the same target go stale. */
  private async openApproval(run: RunRecord): Promise<Transition> {
    const now = this.deps.now();
    const m = this.deps.config.models[run.model];
    const policy = m && m.approval !== 'none' ? m.approval : { required: 1, expiresAfter: 24 * 3_600_000 };
    const t = begin(run);
    t.run.approval = { required: policy.required, expiresAt: iso(now + policy.expiresAfter), decisions: [], state: 'pending' };
    t.run.status = 'waiting_approval';
    startStage(t, 'approval', now, `${policy.required} approval${policy.required > 1 ? 's' : ''} needed`, 'waiting');
    t.effects.outbox.push({ kind: 'approvalCard' });
    touch(t, now);
    for (const older of await this.deps.runs.listRuns({ model: run.model, active: true })) {
      if (older.id === run.id || older.target !== run.target || older.approval?.state !== 'pending') continue;
      await this.supersede(older.id, run);
    }
    return t;
  }

  private async supersede(olderId: string, newer: RunRecord): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const older = await this.deps.runs.getRun(olderId);
      if (!older?.approval || older.approval.state !== 'pending') return;
      const now = this.deps.now();
      const t = begin(older);
      if (t.run.approval) t.run.approval.state = 'stale';
      finishStage(t, 'approval', 'canceled', now, `superseded by run ${newer.id} (version ${newer.ext.modelVersion ?? '?'})`);
      t.run.status = 'canceled';
      t.effects.outbox.push({ kind: 'approvalCard' });
      t.effects.audit.push({ at: iso(now), actor: 'system', action: 'approval.stale', outcome: 'ok', detail: { supersededBy: newer.id } });
      touch(t, now);
      try {
        await this.persist(t);
        return;
      } catch (e) {
        if (!(e instanceof VersionConflictError)) throw e;
      }
    }
  }

  /** An Approve/Reject click. Exactly one decision wins; every other click gets an honest answer. */
  async decide(runId: string, user: PersonRef, decision: Decision['decision'], comment: string): Promise<ActionResult> {
    return this.exclusive(runId, async () => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const run = await this.deps.runs.getRun(runId);
        if (!run) return { ok: false, message: `There is no run ${runId}.` };
        const now = this.deps.now();
        const refusal = refusalFor(run, user, decision, this.deps.roles.has(user, 'approver', run.model), now);
        if (refusal) {
          await this.deps.runs.appendAudit({ at: iso(now), actor: principalKey(user), action: `approval.${decision}`, runId, outcome: 'refused', detail: { reason: refusal.kind, message: refusal.message } });
          return { ok: false, message: refusal.message, run };
        }
        const t = begin(run);
        const a = t.run.approval;
        if (!a) return { ok: false, message: 'no approval', run };
        a.decisions.push({ by: user, decision, comment: comment.slice(0, 500), at: iso(now) });
        t.effects.audit.push({ at: iso(now), actor: principalKey(user), action: `approval.${decision}`, outcome: 'ok', detail: { comment, version: run.ext.modelVersion } });
        t.effects.outbox.push({ kind: 'approvalCard' });
        let message: string;
        if (decision === 'rejected') {
          a.state = 'rejected';
          finishStage(t, 'approval', 'failed', now, `rejected by ${user.name}${comment ? `: ${comment}` : ''}`);
          t.run.status = 'canceled';
          message = `Rejected. Version ${run.ext.modelVersion ?? '?'} of ${run.model} will not be deployed.`;
        } else {
          const approvals = approvalCount(a.decisions);
          if (approvals >= a.required) {
            a.state = 'approved';
            finishStage(t, 'approval', 'succeeded', now, `approved by ${a.decisions.filter((d) => d.decision === 'approved').map((d) => d.by.name).join(', ')}`);
            t.run.status = 'running';
            advanceTo(t, 'approval', now);
            message = `Approved. Deploying version ${run.ext.modelVersion ?? '?'} of ${run.model}.`;
          } else {
            stageOf(t.run, 'approval').detail = `${approvals} of ${a.required} approvals`;
            message = `Your approval is recorded (${approvals} of ${a.required}).`;
          }
        }
        touch(t, now);
        try {
          const saved = await this.persist(t);
          // Deploy (or relay to Azure DevOps) right away, outside this lock; the tracker retries on failure.
          if (saved.approval?.state !== 'pending') this.kick(saved.id);
          if (saved.kind === 'relay' && saved.approval?.state !== 'pending') message += ' Sent to Azure DevOps.';
          return { ok: true, run: saved, message };
        } catch (e) {
          if (!(e instanceof VersionConflictError)) throw e;
        }
      }
      return { ok: false, message: 'The run is changing too fast right now; try again.' };
    });
  }

  async cancel(runId: string, user: PersonRef): Promise<ActionResult> {
    return this.exclusive(runId, async () => {
      const run = await this.deps.runs.getRun(runId);
      if (!run) return { ok: false, message: `There is no run ${runId}.` };
      const now = this.deps.now();
      const allowed = samePerson(run.requester, user) || this.deps.roles.has(user, 'trainer', run.model);
      if (!allowed) {
        await this.deps.runs.appendAudit({ at: iso(now), actor: principalKey(user), action: 'run.cancel', runId, outcome: 'refused', detail: { reason: 'not a trainer' } });
        return { ok: false, message: `You are not allowed to cancel runs of ${run.model}.`, run };
      }
      if (FINAL_STATUSES.has(run.status)) return { ok: false, message: `Run ${run.id} is already ${run.status}.`, run };
      const stage = currentStage(run);
      try {
        if (stage?.id === 'ci' && run.ext.devopsRunId !== undefined) await this.deps.devops?.cancelRun(run.ext.devopsRunId);
        if (stage?.id === 'training' && run.ext.databricksRunId !== undefined) await this.deps.databricks?.cancelRun(run.ext.databricksRunId);
      } catch (e) {
        return { ok: false, message: `Could not cancel: ${errorText(e)}`, run };
      }
      const t = begin(run);
      if (stage) finishStage(t, stage.id, 'canceled', now, `canceled by ${user.name}`);
      if (t.run.approval?.state === 'pending') t.run.approval.state = 'stale';
      t.run.status = 'canceled';
      t.effects.audit.push({ at: iso(now), actor: principalKey(user), action: 'run.cancel', outcome: 'ok', detail: { stage: stage?.id, devopsRunId: run.ext.devopsRunId, databricksRunId: run.ext.databricksRunId } });
      if (run.approval) t.effects.outbox.push({ kind: 'approvalCard' });
      touch(t, now);
      const saved = await this.persist(t);
      return { ok: true, run: saved, message: `Run ${run.id} is canceled.` };
    });
  }

  async retry(runId: string, user: PersonRef, conversationId: string): Promise<ActionResult> {
    const run = await this.deps.runs.getRun(runId);
    if (!run) return { ok: false, message: `There is no run ${runId}.` };
    if (!this.deps.roles.has(user, 'trainer', run.model)) {
      await this.deps.runs.appendAudit({ at: iso(this.deps.now()), actor: principalKey(user), action: 'run.retry', runId, outcome: 'refused', detail: { reason: 'not a trainer' } });
      return { ok: false, message: `You are not a trainer for ${run.model}, so you cannot retry its runs.`, run };
    }
    if (!['failed', 'canceled', 'expired'].includes(run.status)) return { ok: false, message: `Run ${run.id} is ${run.status.replace('_', ' ')}; only a failed, canceled or expired run can be retried.`, run };
    const created = await this.startTrain({ model: run.model, params: run.params, branch: run.branch, requester: user, conversationId, retryOf: run.id });
    return { ok: true, run: created, message: `Retrying ${run.id} as ${created.id} with the same parameters.` };
  }

  /** The tracker: one pass over every unfinished run (after a restart this resumes them all). */
  async tick(): Promise<void> {
    if (this.deps.devops && Object.values(this.deps.config.models).some((m) => m.cd)) {
      try {
        for (const req of await findPendingApprovals(this.deps.devops, this.deps.config.models)) await this.relay(req);
      } catch (e) {
        this.deps.logger.warn('could not look for Azure DevOps approvals', { error: e });
      }
    }
    const active = await this.deps.runs.listRuns({ active: true });
    const due = await runsToAdvance(active, { devops: this.deps.devops, databricks: this.deps.databricks, models: this.deps.config.models, logger: this.deps.logger }, this.passes++);
    for (const run of due.reverse()) {
      try {
        await this.advance(run.id);
      } catch (e) {
        this.deps.logger.error('advance failed', { runId: run.id, error: e });
      }
    }
  }
}
