import type { MlopsConfig } from '../config/mlops-config.schema';
import type { Authorizer } from '../auth/authorizer';
import { refusalFor } from './approval-policy';
import { refused, stateRefusal, type ActionResult } from './action-result';
import { decisionTransition, openApprovalTransition, refusalAudit, supersedeTransition } from './approval-steps';
import { VersionConflictError, type RunStore, type SaveOptions } from './run-store';
import { FINAL_STATUSES, type Decision, type PersonRef, type RunRecord } from './run.types';
import { claimSend, sendClaim } from './send-claim';
import type { StepDeps } from './stage-steps';
import { nextTransition } from './run-step';
import type { NewRun, StartRollbackRequest, StartTrainRequest } from './run-factory';
import * as actions from './run-actions';
import type { ActionContext, DeployRequest } from './run-actions';
import { confirmWebhookRelay, openRelayRun, type RelayRequest } from './devops-relay';
import { describeRelayedVersion } from './relay-version';
import { KeyedLock } from './keyed-lock';
import type { Transition } from './transitions';

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

  /** `deferSync`: durable against power loss at the next flush (run-store SaveOptions). */
  private async persist(t: Transition, options?: SaveOptions): Promise<RunRecord> {
    const saved = await this.deps.runs.saveRun(t.run, t.effects, options);
    this.deps.onPersisted?.(saved);
    return saved;
  }

  /** Takes the run's next step now, in the background, rather than at the tracker's next pass. */
  private kick(runId: string): void {
    setImmediate(() => {
      this.advance(runId).catch((error: unknown) => this.deps.logger.warn('advance failed', { runId, error }));
    });
  }

  /** What the user actions (./run-actions) need of the engine. */
  private get actions(): ActionContext {
    return { ...this.deps, create: (fresh) => this.create(fresh), persist: (t) => this.persist(t), persisted: (run) => this.deps.onPersisted?.(run) };
  }

  startTrain(req: StartTrainRequest): Promise<ActionResult> {
    return actions.startTrain(this.actions, req);
  }

  /** /deploy [--env]: see run-actions.startDeploy (the promotion rule applies). */
  startDeploy(req: DeployRequest): Promise<ActionResult> {
    return actions.startDeploy(this.actions, req);
  }

  /** /rollback [--env]: the version live before the current one in that environment. */
  startRollback(req: StartRollbackRequest): Promise<ActionResult> {
    return actions.startRollback(this.actions, req);
  }

  /** The run card's "Promote vN to <next environment>" (exactly once per source run). */
  promote(runId: string, user: PersonRef, conversationId: string): Promise<ActionResult> {
    return this.exclusive(runId, () => actions.promote(this.actions, runId, user, conversationId));
  }

  retry(runId: string, user: PersonRef, conversationId: string): Promise<ActionResult> {
    return actions.retry(this.actions, runId, user, conversationId);
  }

  private async create(fresh: NewRun): Promise<RunRecord> {
    // A run whose first step queues its CI build is created with this instance's claim on that call
    // (./send-claim): the leader's pass, which sees the run too, leaves the call to this instance.
    const first = fresh.run.stages.find((s) => s.state === 'running');
    const claim = first?.id === 'ci' ? sendClaim('ci', this.deps.sender, this.deps.now()) : undefined;
    const run = claim ? { ...fresh.run, sending: claim } : fresh.run;
    // Answered to the user: durable first, by an fsync shared with other commits (group commit).
    const created = await this.deps.runs.createRun(run, fresh.effects, { deferSync: true });
    await this.deps.runs.flush?.();
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
      // The run as this loop saved it: the next step starts from it instead of reading it back (a
      // change made elsewhere meanwhile makes that step's save meet a version conflict and read again).
      let saved: RunRecord | undefined;
      for (let steps = 0, conflicts = 0; steps < MAX_STEPS_AT_ONCE && conflicts < 3; ) {
        const run = saved ?? (await this.deps.runs.getRun(runId));
        saved = undefined;
        if (!run || FINAL_STATUSES.has(run.status)) return run;
        // A step may call Azure: an external call tells the world as much as a card does, so the
        // intent before it must survive power loss too (nothing to sync: no fsync at all).
        await this.deps.runs.flush?.();
        const t = await this.transitionOf(run);
        if (!t) return run;
        try {
          // Nobody has been told of this step yet: its fsync is shared with the others' (flush before announcing).
          last = await this.persist(t, { deferSync: true });
        } catch (e) {
          if (!(e instanceof VersionConflictError)) throw e;
          conflicts++;
          continue;
        }
        steps++;
        if (t.next !== 'now') return last;
        saved = last;
      }
      return last ?? this.deps.runs.getRun(runId);
    });
  }

  /** The run's next transition, or undefined when there is nothing new (or a service is unavailable). */
  private transitionOf(run: RunRecord): Promise<Transition | undefined> {
    return nextTransition(run, this.deps, (r) => this.openApproval(r));
  }

  /**
   * An Azure DevOps environment approval of a configured CD pipeline, seen by webhook or polling:
   * open (once per approval id) a relay run whose approval card is posted to the conversations
   * subscribed to the model's approval events. A webhook's claim is read back first (devops-relay).
   */
  async relayFromWebhook(req: RelayRequest): Promise<RunRecord | undefined> {
    const confirmed = await confirmWebhookRelay({ devops: this.deps.devops, runs: this.deps.runs, logger: this.deps.logger, now: this.deps.now() }, req);
    return confirmed ? this.relay(confirmed) : undefined;
  }

  async relay(req: RelayRequest): Promise<RunRecord | undefined> {
    return this.exclusive(`relay:${req.approval.id}`, async () => {
      const known = await this.deps.runs.findRunByDevOpsApproval(req.approval.id);
      if (known) return known;
      const created = await openRelayRun(req, {
        runs: this.deps.runs,
        models: this.deps.config.models,
        logger: this.deps.logger,
        now: this.deps.now(),
        describe: (record, m) => describeRelayedVersion(record, req.devopsRunId, m, this.deps),
      });
      if (created) this.deps.onPersisted?.(created);
      return created;
    });
  }

  /** Entering the approval stage: post the approval card; older pending approvals of the same target go stale. */
  private async openApproval(run: RunRecord): Promise<Transition> {
    const t = openApprovalTransition(run, this.deps.config.models[run.model], this.deps.now());
    // Only the runs waiting for approval (indexed), not every active run of the model: no quadratic cost.
    for (const older of await this.deps.runs.listRuns({ model: run.model, status: 'waiting_approval' })) {
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
        // Part of an engine step (openApproval): announced, and so flushed, like the step itself.
        await this.persist(t, { deferSync: true });
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
        const forbidden = await this.deps.auth.check(user, 'decide', run.model, run.target);
        const refusal = refusalFor(run, user, decision, !forbidden, now);
        if (refusal) {
          await this.deps.runs.appendAudit(refusalAudit(run, user, decision, refusal, now));
          return refusal.kind === 'not-approver' && forbidden ? refused(forbidden, run) : stateRefusal(refusal.message, run);
        }
        const { t, message } = decisionTransition(run, user, decision, comment, now);
        // A relay run's next step sends the decision to Azure DevOps: this instance, which took it, does.
        if (run.kind === 'relay' && t.run.approval?.state !== 'pending') claimSend(t, 'relay', this.deps.sender, now);
        try {
          // One decision wins (version check in the transaction); answered once a shared fsync covers it.
          const saved = await this.persist(t, { deferSync: true });
          await this.deps.runs.flush?.();
          // Deploy (or relay to Azure DevOps) right away, outside this lock; the tracker retries on failure.
          // The answer says the decision is on its way, not that Azure DevOps has it: a failed send fails
          // the relay run, and its card says so.
          if (saved.approval?.state !== 'pending') this.kick(saved.id);
          const relayed = saved.kind === 'relay' && saved.approval?.state !== 'pending' ? ' Sending it to Azure DevOps.' : '';
          return { ok: true, run: saved, message: message + relayed };
        } catch (e) {
          if (!(e instanceof VersionConflictError)) throw e;
        }
      }
      return stateRefusal('The run is changing too fast right now; try again.');
    });
  }

  /** Cancel: a trainer of the model, or the run's own requester (./run-actions). */
  cancel(runId: string, user: PersonRef): Promise<ActionResult> {
    return this.exclusive(runId, () => actions.cancel(this.actions, runId, user));
  }
}
