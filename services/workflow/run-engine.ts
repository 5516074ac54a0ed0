import type { MlopsConfig, ModelConfig } from '../config/mlops-config.schema';
import { rollbackTarget } from './rollback-target';
import { ServiceError } from '../http/errors';
import type { Authorizer } from '../auth/authorizer';
import { principalKey } from '../auth/principal';
import { refusalFor, samePerson } from './approval-policy';
import { refused, stateRefusal, type ActionResult } from './action-result';
import { cancelTransition, decisionTransition, openApprovalTransition, refusalAudit, supersedeTransition } from './approval-steps';
import { stepApproval, stepDeploy } from './deploy-steps';
import { stepSmoke } from './smoke-steps';
import { VersionConflictError, type RunStore } from './run-store';
import { FINAL_STATUSES, currentStage, type Decision, type PersonRef, type RunRecord } from './run.types';
import { errorText, stepCi, stepRegistered, stepTraining, type StepDeps } from './stage-steps';
import { newDeployRun, newTrainRun, type NewRun, type StartDeployRequest, type StartRollbackRequest, type StartTrainRequest } from './run-factory';
import { confirmRelayRequest, openRelayRun, stepRelayRun, type RelayRequest } from './devops-relay';
import { KeyedLock } from './keyed-lock';
import { begin, fail, iso, type Transition } from './transitions';

export type { StartRollbackRequest, StartTrainRequest } from './run-factory';
export type { ActionResult } from './action-result';

/** Steps one advance may take in a row without news from outside (a guard, never reached by a sane run). */
const MAX_STEPS_AT_ONCE = 12;


export interface RunEngineDeps extends StepDeps {
  runs: RunStore;
  /** The one authorization layer: every action below checks the principal's role for the run's model here. */
  auth: Authorizer;
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
  private readonly lock = new KeyedLock();

  constructor(private readonly deps: RunEngineDeps) {}

  private exclusive<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    return this.lock.run(runId, fn);
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

  async startTrain(req: StartTrainRequest): Promise<ActionResult> {
    const forbidden = await this.deps.auth.check(req.requester, 'train', req.model);
    if (forbidden) return this.refuse(req.requester, 'run.start', forbidden);
    const run = await this.create(newTrainRun(req, this.model(req.model), this.deps.now()));
    return { ok: true, run, message: `Run ${run.id} of ${req.model} started.` };
  }

  /**
   * /deploy: a run that starts at the registry stage with a chosen version (the latest when none is
   * given) and then goes through the same approval, deploy and smoke test.
   */
  async startDeploy(req: Omit<StartDeployRequest, 'reason'>): Promise<ActionResult> {
    const forbidden = await this.deps.auth.check(req.requester, 'deploy', req.model);
    if (forbidden) return this.refuse(req.requester, 'run.deploy', forbidden);
    const run = await this.create(newDeployRun({ ...req, reason: 'deploy' }, this.model(req.model), this.deps.now()));
    return { ok: true, run, message: `Deploy ${run.id} of ${req.model} started.` };
  }

  /** /rollback: redeploys the production version before the current one (from the history of successful runs). */
  async startRollback(req: StartRollbackRequest): Promise<ActionResult> {
    const forbidden = await this.deps.auth.check(req.requester, 'rollback', req.model);
    if (forbidden) return this.refuse(req.requester, 'run.rollback', forbidden);
    const previous = rollbackTarget(await this.deps.runs.listRuns({ model: req.model, limit: 200 }))?.previous;
    if (!previous) return stateRefusal(`There is no earlier production version of ${req.model} to roll back to. Nothing was changed.`);
    const run = await this.create(newDeployRun({ ...req, version: previous, reason: 'rollback' }, this.model(req.model), this.deps.now()));
    return { ok: true, run, message: `Rollback of ${req.model} to version ${previous} (${run.id}).` };
  }

  private async refuse(user: PersonRef, action: string, forbidden: Exclude<Parameters<typeof refused>[0], { kind: 'no-run' } | { kind: 'state' }>, run?: RunRecord): Promise<ActionResult> {
    await this.deps.runs.appendAudit({ at: iso(this.deps.now()), actor: principalKey(user), action, runId: run?.id, outcome: 'refused', detail: { reason: 'forbidden', model: forbidden.model, needs: forbidden.needs } });
    return refused(forbidden, run);
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

  /**
   * Takes the run as far as it can go without news from outside: each step is persisted (with its
   * audit and outbox) before the next is taken, so a crash resumes from the last one. Safe to call
   * any time, any number of times.
   */
  async advance(runId: string): Promise<RunRecord | undefined> {
    return this.exclusive(runId, async () => {
      let last: RunRecord | undefined;
      for (let steps = 0, conflicts = 0; steps < MAX_STEPS_AT_ONCE && conflicts < 3; ) {
        const run = await this.deps.runs.getRun(runId);
        if (!run || FINAL_STATUSES.has(run.status)) return run;
        const t = await this.transitionOf(run);
        if (!t) return run;
        try {
          last = await this.persist(t);
        } catch (e) {
          if (!(e instanceof VersionConflictError)) throw e;
          conflicts++;
          continue;
        }
        steps++;
        if (t.next !== 'now') return last;
      }
      return last ?? this.deps.runs.getRun(runId);
    });
  }

  /** The run's next transition, or undefined when there is nothing new (or a service is unavailable). */
  private async transitionOf(run: RunRecord): Promise<Transition | undefined> {
    try {
      return await this.step(run);
    } catch (e) {
      // A throttled or unavailable service (after the client's own retries) is not the run's
      // fault: the run stays where it is and the next pass tries again.
      if (e instanceof ServiceError && e.retryable) {
        this.deps.logger.warn('service unavailable; the run waits for the next pass', { runId: run.id, error: e });
        return undefined;
      }
      // Any other failure ends the run with the error; it is recorded, not lost.
      this.deps.logger.warn('stage step failed', { runId: run.id, error: e });
      const stage = currentStage(run);
      if (!stage) return undefined;
      const t = begin(run);
      fail(t, stage.id, errorText(e), [], this.deps.now());
      return t;
    }
  }

  private async step(run: RunRecord): Promise<Transition | undefined> {
    if (run.kind === 'relay') return stepRelayRun(run, this.deps.devops, this.deps.now());
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
      const created = await openRelayRun(req, { runs: this.deps.runs, models: this.deps.config.models, logger: this.deps.logger, now: this.deps.now() });
      if (created) this.deps.onPersisted?.(created);
      return created;
    });
  }

  /** Entering the approval stage: post the approval card; older pending approvals of the same target go stale. */
  private async openApproval(run: RunRecord): Promise<Transition> {
    const t = openApprovalTransition(run, this.deps.config.models[run.model], this.deps.now());
    for (const older of await this.deps.runs.listRuns({ model: run.model, active: true })) {
      if (older.id === run.id || older.target !== run.target || older.approval?.state !== 'pending') continue;
      await this.retryOnConflict(older.id, (o) => (o.approval?.state === 'pending' ? supersedeTransition(o, run, this.deps.now()) : undefined));
    }
    return t;
  }

  /** Persists a transition of another run computed from its latest version, retrying on a version conflict. */
  private async retryOnConflict(runId: string, make: (run: RunRecord) => Transition | undefined): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const current = await this.deps.runs.getRun(runId);
      const t = current ? make(current) : undefined;
      if (!t) return;
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
        if (!run) return refused({ kind: 'no-run', runId });
        const now = this.deps.now();
        const forbidden = await this.deps.auth.check(user, 'decide', run.model);
        const refusal = refusalFor(run, user, decision, !forbidden, now);
        if (refusal) {
          await this.deps.runs.appendAudit(refusalAudit(run, user, decision, refusal, now));
          return refusal.kind === 'not-approver' && forbidden ? refused(forbidden, run) : stateRefusal(refusal.message, run);
        }
        const { t, message } = decisionTransition(run, user, decision, comment, now);
        try {
          const saved = await this.persist(t);
          // Deploy (or relay to Azure DevOps) right away, outside this lock; the tracker retries on failure.
          if (saved.approval?.state !== 'pending') this.kick(saved.id);
          const relayed = saved.kind === 'relay' && saved.approval?.state !== 'pending' ? ' Sent to Azure DevOps.' : '';
          return { ok: true, run: saved, message: message + relayed };
        } catch (e) {
          if (!(e instanceof VersionConflictError)) throw e;
        }
      }
      return stateRefusal('The run is changing too fast right now; try again.');
    });
  }

  /** Cancel: a trainer of the model, or the run's own requester. */
  async cancel(runId: string, user: PersonRef): Promise<ActionResult> {
    return this.exclusive(runId, async () => {
      const run = await this.deps.runs.getRun(runId);
      if (!run) return refused({ kind: 'no-run', runId });
      const now = this.deps.now();
      const forbidden = samePerson(run.requester, user) ? undefined : await this.deps.auth.check(user, 'cancel', run.model);
      if (forbidden) return this.refuse(user, 'run.cancel', forbidden, run);
      if (FINAL_STATUSES.has(run.status)) return stateRefusal(`Run ${run.id} is already ${run.status}.`, run);
      const stage = currentStage(run);
      try {
        if (stage?.id === 'ci' && run.ext.devopsRunId !== undefined) await this.deps.devops?.cancelRun(run.ext.devopsRunId);
        if (stage?.id === 'training' && run.ext.databricksRunId !== undefined) await this.deps.databricks?.cancelRun(run.ext.databricksRunId);
      } catch (e) {
        return stateRefusal(`Could not cancel: ${errorText(e)}`, run);
      }
      const t = cancelTransition(run, user, now);
      const saved = await this.persist(t);
      return { ok: true, run: saved, message: `Run ${run.id} is canceled.` };
    });
  }

  async retry(runId: string, user: PersonRef, conversationId: string): Promise<ActionResult> {
    const run = await this.deps.runs.getRun(runId);
    if (!run) return refused({ kind: 'no-run', runId });
    const forbidden = await this.deps.auth.check(user, 'retry', run.model);
    if (forbidden) return this.refuse(user, 'run.retry', forbidden, run);
    if (!['failed', 'canceled', 'expired'].includes(run.status)) return stateRefusal(`Run ${run.id} is ${run.status.replace('_', ' ')}; only a failed, canceled or expired run can be retried.`, run);
    const created = await this.create(newTrainRun({ model: run.model, params: run.params, branch: run.branch, requester: user, conversationId, retryOf: run.id }, this.model(run.model), this.deps.now()));
    return { ok: true, run: created, message: `Retrying ${run.id} as ${created.id} with the same parameters.` };
  }
}
