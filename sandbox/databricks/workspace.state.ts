import type { SandboxClock } from '../common/clock';
import type { Logger } from '../../services/logger';
import { EXPERIMENT_ID, type MlflowStore, type RegistryKind } from './mlflow.store';
import { epochsDoneAt, planRun, cancelPlan, runPhaseAt, taskPhaseAt, FAIL_MODES, type FailMode, type RunPlan, type Timings } from './run-timeline';

/**
 * The simulated workspace: jobs, runs and their tasks. `sync()` brings every run up to the
 * sandbox clock: it writes the training task's metrics to MLflow epoch by epoch, registers the
 * model version when training succeeds, and sends the job/task notification webhooks.
 */
type Json = Record<string, unknown>;
export type Hooks = Partial<Record<'on_start' | 'on_success' | 'on_failure', Array<{ id: string }>>>;

export interface JobRecord {
  jobId: number;
  settings: Json;
  createdTime: number;
}

export interface SimTask {
  taskKey: string;
  runId: number;
  definition: Json;
  /** Epochs when this is the training task (a spark_python_task running train.py, or key `train`). */
  epochs: number | undefined;
  hooks: Hooks;
  fired: Set<string>;
  mlflowRunId: string | undefined;
  epochsLogged: number;
  modelVersion: string | undefined;
}

export interface SimRun {
  runId: number;
  jobId: number;
  runName: string;
  runType: 'JOB_RUN' | 'SUBMIT_RUN';
  created: number;
  params: Record<string, string>;
  plan: RunPlan;
  tasks: SimTask[];
  hooks: Hooks;
  fired: Set<string>;
  jobParameters: Array<{ name: string; default: string; value: string }>;
  failMode: FailMode | undefined;
  /** `creator_user_name`: who started it (default SANDBOX_USER, the bot's account). */
  creator: string;
  /** `trigger`: ONE_TIME (run-now, submit), PERIODIC (schedule), RETRY ... */
  trigger: string;
}

export interface WebhookSink {
  /** One delivery to the notification destination `destinationId`. */
  send(payload: Json, destinationId: string): void;
}

export const WORKSPACE_ID = '1234567890123456';
export const SANDBOX_USER = 'sandbox@contoso.com';

export class Workspace {
  readonly runs = new Map<number, SimRun>();
  readonly taskRuns = new Map<number, { run: SimRun; task: SimTask }>();
  readonly jobs = new Map<number, JobRecord>();
  readonly idempotency = new Map<string, number>();
  /**
   * Runs sync() still has to bring on: a run leaves once it and each of its tasks has ended at the
   * clock (its webhooks fired, its training finished and registered), after which syncRun would
   * change nothing. Walking every run the workspace ever held made each request cost O(runs):
   * 20 ms of the sandbox's CPU per bot run with 1,000 runs against 10 ms with 100 (issue 13,
   * docs/performance.md, fifth round). The clock only moves forward; a cancel brings a run back.
   */
  private readonly unsettled = new Set<SimRun>();
  /**
   * When each unsettled run can next change, and the earliest of them: syncRun is a function of
   * the clock that only changes when the clock reaches one of the run's plan times (task start,
   * each epoch, task end, cancel cut, run end, termination), so until the earliest of those a
   * sync has nothing to do. With 1,000 runs in training every request walked all of them (issue
   * 13, seventh round). A new or cancelled run resets the watermark.
   */
  private readonly dueAt = new WeakMap<SimRun, number>();
  private nextDue = -Infinity;
  private nextId = 455_644_833;
  private failNext: FailMode | undefined;
  private nextImage: { suffix: string } | 'untagged' | undefined;
  /** Set by the sandbox: puts an image into its container registry (for nextScoringImage's suffixes). */
  imagePushed: ((image: string, at: number) => void) | undefined;
  baseUrl = 'http://127.0.0.1';

  constructor(
    private readonly clock: SandboxClock,
    private readonly mlflow: MlflowStore,
    readonly timings: Timings,
    private readonly webhooks: WebhookSink,
    private readonly logger: Logger,
  ) {}

  newId(): number {
    this.nextId += 1 + Math.floor(Math.random() * 97);
    return this.nextId;
  }

  /** The next run submitted fails this way (for tests and demos that cannot pass parameters). */
  failNextRun(mode: FailMode): void {
    this.failNext = mode;
  }

  /**
   * The next version a training registers gets this scoring image: a tag suffix the ACI sandbox
   * understands (`crash`, `score-500`...) or no scoring_image tag at all (a version registered by
   * hand). For tests and demos: the bot reads the tag as soon as training ends.
   */
  nextScoringImage(mode: { suffix: string } | 'untagged'): void {
    this.nextImage = mode;
  }

  runPageUrl(jobId: number, runId: number): string {
    return `${this.baseUrl}/?o=${WORKSPACE_ID}#job/${jobId}/run/${runId}`;
  }

  createRun(init: { jobId: number; runName: string; runType: SimRun['runType']; tasks: Json[]; params: Record<string, string>; hooks: Hooks; jobParameters?: SimRun['jobParameters']; creator?: string; trigger?: string }): SimRun {
    const now = this.clock.now();
    const runId = this.newId();
    const requested = init.params.sandbox_fail;
    const failMode = this.failNext ?? (FAIL_MODES.includes(requested as FailMode) ? (requested as FailMode) : undefined);
    this.failNext = undefined;
    const tasks: SimTask[] = init.tasks.map((def) => {
      const python = ((def.spark_python_task ?? {}) as Json).python_file;
      const training = def.task_key === 'train' || (typeof python === 'string' && python.endsWith('train.py'));
      const epochs = Math.max(1, Math.min(1000, Number(init.params.epochs ?? 3) || 3));
      return {
        taskKey: String(def.task_key),
        runId: this.newId(),
        definition: def,
        epochs: training ? epochs : undefined,
        hooks: (def.webhook_notifications ?? {}),
        fired: new Set(),
        mlflowRunId: undefined,
        epochsLogged: 0,
        modelVersion: undefined,
      };
    });
    const plan = planRun({ created: now, tasks: tasks.map((t) => ({ epochs: t.epochs })), failMode, timings: this.timings });
    const run: SimRun = { runId, jobId: init.jobId, runName: init.runName, runType: init.runType, created: now, params: init.params, plan, tasks, hooks: init.hooks, fired: new Set(), jobParameters: init.jobParameters ?? [], failMode, creator: init.creator ?? SANDBOX_USER, trigger: init.trigger ?? 'ONE_TIME' };
    this.runs.set(runId, run);
    this.unsettled.add(run);
    this.nextDue = -Infinity;
    for (const t of tasks) this.taskRuns.set(t.runId, { run, task: t });
    this.logger.info('run submitted', { runId, runName: run.runName, failMode });
    this.sync();
    return run;
  }

  cancel(run: SimRun): void {
    run.plan = cancelPlan(run.plan, this.clock.now(), this.timings);
    this.unsettled.add(run);
    this.dueAt.delete(run);
    this.nextDue = -Infinity;
    this.sync();
  }

  /** How many runs sync() still walks (tests). */
  get unsettledRuns(): number {
    return this.unsettled.size;
  }

  /** Brings every run up to the clock; idempotent. */
  sync(): void {
    const now = this.clock.now();
    if (now < this.nextDue) return;
    let next = Infinity;
    for (const run of this.unsettled) {
      const due = this.dueAt.get(run);
      if (due !== undefined && now < due) {
        next = Math.min(next, due);
        continue;
      }
      if (this.syncRun(run, now)) {
        this.unsettled.delete(run);
        continue;
      }
      const at = nextPlanTime(run, now, this.timings);
      this.dueAt.set(run, at);
      next = Math.min(next, at);
    }
    this.nextDue = next;
  }

  /** Brings one run up to the clock; true once it and every task of it have ended (nothing left to do). */
  private syncRun(run: SimRun, now: number): boolean {
    const job = { job_id: String(run.jobId), name: run.runName };
    const fire = (fired: Set<string>, hooks: Hooks, event: 'on_start' | 'on_success' | 'on_failure', extra: Json, runIds: Json): void => {
      if (fired.has(event)) return;
      fired.add(event);
      const ids = new Set((hooks[event] ?? []).map((h) => h.id));
      for (const id of ids) this.webhooks.send({ event_type: `jobs.${event}`, workspace_id: WORKSPACE_ID, ...extra, run: runIds, job }, id);
    };
    // Job-level on_start goes out when the run starts (it leaves the queue), as on Databricks.
    fire(run.fired, run.hooks, 'on_start', {}, { run_id: String(run.runId) });
    let tasksEnded = true;
    run.plan.tasks.forEach((plan, i) => {
      const task = run.tasks[i];
      if (!task) return;
      const phase = taskPhaseAt(run.plan, plan, now);
      if (!phase.termination) tasksEnded = false;
      const taskIds = { run_id: String(task.runId), parent_run_id: String(run.runId) };
      const extra = { task: { task_key: task.taskKey } };
      if (plan.start !== undefined && now >= plan.start) {
        fire(task.fired, task.hooks, 'on_start', extra, taskIds);
        if (task.epochs !== undefined) this.syncTraining(run, task, plan.start, now);
      }
      if (phase.termination) {
        if (task.epochs !== undefined) this.finishTraining(run, task, phase.termination.result, plan.end);
        fire(task.fired, task.hooks, phase.termination.result === 'SUCCESS' ? 'on_success' : 'on_failure', extra, taskIds);
      }
    });
    const phase = runPhaseAt(run.plan, now);
    if (phase.termination) fire(run.fired, run.hooks, phase.termination.result === 'SUCCESS' ? 'on_success' : 'on_failure', {}, { run_id: String(run.runId) });
    return !!phase.termination && tasksEnded;
  }

  private syncTraining(run: SimRun, task: SimTask, start: number, now: number): void {
    const epochs = task.epochs ?? 0;
    const modelName = run.params.model_name ?? 'main.mlops.fashion_cnn';
    if (!task.mlflowRunId) {
      const r = this.mlflow.createRun({
        runName: `train-${modelName}`,
        userId: SANDBOX_USER,
        startTime: start,
        params: { lr: run.params.lr ?? '0.001', epochs: String(epochs), batch_size: run.params.batch_size ?? '64', optimizer: run.params.optimizer ?? 'adam', train_samples: '60000' },
        tags: { 'mlops.databricks_run_id': String(run.runId), 'mlflow.databricks.jobID': String(run.jobId), 'mlflow.databricks.jobRunID': String(task.runId), 'mlflow.source.type': 'JOB' },
      });
      task.mlflowRunId = r.runId;
    }
    const record = this.mlflow.runs.get(task.mlflowRunId);
    const plan = run.plan.tasks[run.tasks.indexOf(task)];
    if (!record || !plan) return;
    const done = epochsDoneAt(plan, epochs, now, this.timings);
    const lr = Number(run.params.lr ?? 0.01) || 0.01;
    for (let e = task.epochsLogged + 1; e <= done; e++) {
      // A plausible learning curve: loss falls, accuracy rises, faster with a larger learning rate.
      const rate = Math.min(1, 0.35 + lr * 10);
      const timestamp = start + e * this.timings.epochMs;
      // The keys train.py logs (infra/databricks/src/mlops_training/trainer.py METRICS).
      record.history.push({ key: 'train_loss', value: round(2.3 * Math.exp(-rate * e) + 0.25), timestamp, step: e });
      record.history.push({ key: 'train_accuracy', value: round(0.93 - 0.8 * Math.exp(-rate * e)), timestamp, step: e });
      record.history.push({ key: 'val_loss', value: round(2.3 * Math.exp(-rate * e) + 0.3), timestamp, step: e });
      record.history.push({ key: 'val_accuracy', value: round(0.92 - 0.8 * Math.exp(-rate * e)), timestamp, step: e });
    }
    task.epochsLogged = Math.max(task.epochsLogged, done);
  }

  private finishTraining(run: SimRun, task: SimTask, result: string, end: number): void {
    const record = task.mlflowRunId ? this.mlflow.runs.get(task.mlflowRunId) : undefined;
    if (!record || record.status !== 'RUNNING') return;
    record.status = result === 'SUCCESS' ? 'FINISHED' : result === 'CANCELED' ? 'KILLED' : 'FAILED';
    record.endTime = end;
    if (result !== 'SUCCESS') return;
    const name = run.params.model_name ?? 'main.mlops.fashion_cnn';
    // train.py --registry: which registry log_model registers into (mlflow.set_registry_uri).
    const kinds: readonly RegistryKind[] = ['unity-catalog', 'workspace', 'mlflow'];
    const kind = kinds.find((k) => k === run.params.registry) ?? 'unity-catalog';
    try {
      if (!this.mlflow.models.has(name)) this.mlflow.createModel(name, end, kind);
      const source = `dbfs:/databricks/mlflow-tracking/${EXPERIMENT_ID}/${record.runId}/artifacts/model`;
      const v = this.mlflow.createVersion(name, kind, { source, runId: record.runId, userId: SANDBOX_USER, now: end });
      // As train.py: the scoring_image tag only when the bot passed --scoring-image (the image CI built).
      const image = this.nextImage;
      this.nextImage = undefined;
      if (run.params.scoring_image && image !== 'untagged') {
        // A test's suffixed image (crash, score-500...) is pushed as a pipeline would have pushed it.
        const tagged = image ? `${run.params.scoring_image}-${image.suffix}` : run.params.scoring_image;
        if (image) this.imagePushed?.(tagged, end);
        v.tags.scoring_image = tagged;
      }
      task.modelVersion = v.version;
    } catch (e) {
      // As log_model raising in train.py: no version, no result line (the bot reports it); never a crash.
      this.logger.warn('sandbox training could not register its model', { model: name, error: (e as Error).message });
    }
  }
}

/** The first time after `now` at which syncRun could do anything for this run (Infinity: none). */
export function nextPlanTime(run: Pick<SimRun, 'plan' | 'tasks'>, now: number, t: Timings): number {
  const p = run.plan;
  const times = [p.pendingEnd, p.runEnd, p.terminatedAt];
  p.tasks.forEach((task, i) => {
    times.push(task.end);
    if (task.cutAt !== undefined) times.push(task.cutAt);
    if (task.start === undefined) return;
    times.push(task.start);
    // The next epoch a training task logs (epochsDoneAt steps at start + k * epochMs).
    if (now >= task.start && run.tasks[i]?.epochs !== undefined) times.push(task.start + (Math.floor((now - task.start) / t.epochMs) + 1) * t.epochMs);
  });
  let next = Infinity;
  for (const time of times) if (time > now && time < next) next = time;
  return next;
}

function round(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}
