import type { ErrorBodyParser } from '../http/http-pipeline';
import { ServiceError } from '../http/errors';
import { canceledBy, resultFromTermination } from './termination-codes';
import type {
  DatabricksJob,
  DatabricksRun,
  DatabricksRunOutput,
  DatabricksRunState,
  DatabricksTask,
  RunPhase,
  RunResult,
  TrainingResult,
} from './databricks.types';

/**
 * Wire JSON (Jobs API 2.1/2.2) → our types. Reads defensively: the platform keeps adding fields
 * and some (state vs status) coexist during migrations.
 */
type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** Databricks sends 0 for "not yet" times. */
const time = (v: unknown): Date | undefined => {
  const n = num(v);
  return n !== undefined && n > 0 ? new Date(n) : undefined;
};

/** Databricks error bodies: `{error_code, message}`; error_code may be numeric (legacy); 1.2 APIs send `{error}`. */
export const databricksErrorParser: ErrorBodyParser = (body) => {
  const b = obj(body);
  if (!b) return {};
  const code = b.error_code;
  const message = str(b.message) ?? str(b.error);
  return {
    ...(typeof code === 'string' ? { code } : typeof code === 'number' ? { code: String(code) } : {}),
    ...(message !== undefined ? { message } : {}),
  };
};

const MISSING_RESOURCE = /(Job|Run|Cluster)\b.* does not exist|Run: .* in job: .* doesn't exist/i;

/**
 * Databricks answers a missing job/run/cluster with 400 INVALID_PARAMETER_VALUE, not 404 (the
 * SDKs remap it the same way); callers branch on this rather than on the status.
 */
export function isDatabricksNotFound(err: unknown): boolean {
  if (!(err instanceof ServiceError)) return false;
  if (err.status === 404) return true;
  return err.status === 400 && err.code === 'INVALID_PARAMETER_VALUE' && MISSING_RESOURCE.test(err.message);
}

const PHASES: Record<string, RunPhase> = {
  QUEUED: 'queued',
  PENDING: 'pending',
  BLOCKED: 'blocked',
  WAITING: 'blocked',
  WAITING_FOR_RETRY: 'pending',
  RUNNING: 'running',
  TERMINATING: 'terminating',
  TERMINATED: 'terminated',
  SKIPPED: 'terminated',
  INTERNAL_ERROR: 'terminated',
};
const RESULTS = new Set<string>(['SUCCESS', 'SUCCESS_WITH_FAILURES', 'FAILED', 'TIMEDOUT', 'CANCELED', 'MAXIMUM_CONCURRENT_RUNS_REACHED', 'EXCLUDED', 'UPSTREAM_FAILED', 'UPSTREAM_CANCELED', 'DISABLED']);

export function toRunState(wire: Json): DatabricksRunState {
  const state = obj(wire.state) ?? {};
  const status = obj(wire.status) ?? {};
  const details = obj(status.termination_details) ?? {};
  const lifeCycle = str(state.life_cycle_state) ?? str(status.state) ?? 'PENDING';
  // Read `status` first (current), fall back to the deprecated `state`.
  const phase = PHASES[str(status.state) ?? lifeCycle] ?? 'pending';
  const terminal = phase === 'terminated' || lifeCycle === 'INTERNAL_ERROR' || lifeCycle === 'SKIPPED';
  const code = str(details.code);
  const type = str(details.type);
  const wireResult = str(state.result_state);
  let result: RunResult | undefined;
  if (wireResult && RESULTS.has(wireResult)) result = wireResult as RunResult;
  else if (terminal) result = lifeCycle === 'SKIPPED' ? 'SKIPPED' : lifeCycle === 'INTERNAL_ERROR' ? 'FAILED' : resultFromTermination(code, type);
  return {
    phase: terminal ? 'terminated' : phase,
    lifeCycleState: lifeCycle,
    result,
    terminal,
    message: str(details.message) || str(state.state_message) || str(obj(status.queue_details)?.message) || '',
    terminationCode: code,
    terminationType: type,
    userCancelledOrTimedOut: state.user_cancelled_or_timedout === true || code === 'USER_CANCELED' || code === 'CANCELED',
    canceledBy: canceledBy(code),
  };
}

export function toTask(wire: Json): DatabricksTask {
  return {
    taskKey: str(wire.task_key) ?? '',
    runId: num(wire.run_id) ?? 0,
    state: toRunState(wire),
    startTime: time(wire.start_time),
    endTime: time(wire.end_time),
    runPageUrl: str(wire.run_page_url),
    attemptNumber: num(wire.attempt_number) ?? 0,
    clusterId: str(obj(wire.cluster_instance)?.cluster_id),
    sparkVersion: str(obj(wire.new_cluster)?.spark_version),
    dependsOn: arr(wire.depends_on).map((d) => str(obj(d)?.task_key) ?? '').filter((k) => k !== ''),
  };
}

export function toRun(wire: Json): DatabricksRun {
  return {
    runId: num(wire.run_id) ?? 0,
    jobId: num(wire.job_id),
    runName: str(wire.run_name) ?? '',
    runType: str(wire.run_type),
    runPageUrl: str(wire.run_page_url),
    creator: str(wire.creator_user_name),
    state: toRunState(wire),
    startTime: time(wire.start_time),
    endTime: time(wire.end_time),
    durations: {
      queueMs: num(wire.queue_duration) ?? 0,
      setupMs: num(wire.setup_duration) ?? 0,
      executionMs: num(wire.execution_duration) ?? 0,
      cleanupMs: num(wire.cleanup_duration) ?? 0,
      runMs: num(wire.run_duration) ?? 0,
    },
    tasks: latestAttempts(arr(wire.tasks).map((t) => toTask(obj(t) ?? {}))),
    trigger: str(wire.trigger),
    jobParameters: Object.fromEntries(arr(wire.job_parameters).flatMap((p) => {
      const o = obj(p) ?? {};
      const name = str(o.name);
      const value = str(o.value) ?? str(o.default);
      return name !== undefined && value !== undefined ? [[name, value]] : [];
    })),
  };
}

/**
 * A retried task appears once per attempt, all with the same task_key (attempt_number 0, 1, ...):
 * keep the latest attempt of each, in the order the tasks first appear.
 */
export function latestAttempts(tasks: DatabricksTask[]): DatabricksTask[] {
  const latest = new Map<string, DatabricksTask>();
  for (const t of tasks) {
    const prev = latest.get(t.taskKey);
    if (!prev || t.attemptNumber > prev.attemptNumber || (t.attemptNumber === prev.attemptNumber && t.runId > prev.runId)) latest.set(t.taskKey, t);
  }
  return [...latest.values()];
}

export function toJob(wire: Json): DatabricksJob {
  const settings = obj(wire.settings) ?? {};
  return {
    jobId: num(wire.job_id) ?? 0,
    name: str(settings.name),
    creator: str(wire.creator_user_name),
    taskKeys: arr(settings.tasks).map((t) => str(obj(t)?.task_key) ?? ''),
  };
}

/** Marker line the training script prints last (infra/databricks/train.py). */
export const RESULT_MARKER = 'MLOPS_RESULT ';

export function parseTrainingResult(text: string | undefined): TrainingResult | undefined {
  if (!text) return undefined;
  const candidates = text.trim().startsWith('{') ? [text.trim()] : text.split('\n').filter((l) => l.startsWith(RESULT_MARKER)).map((l) => l.slice(RESULT_MARKER.length));
  const last = candidates[candidates.length - 1];
  if (last === undefined) return undefined;
  let parsed: Json | undefined;
  try {
    parsed = obj(JSON.parse(last));
  } catch {
    return undefined; // a log line that merely looks like the marker is not a result
  }
  const runId = str(parsed?.mlflow_run_id);
  if (!parsed || !runId) return undefined;
  const version = parsed.model_version;
  return {
    mlflowRunId: runId,
    experimentId: str(parsed.experiment_id) ?? (num(parsed.experiment_id) !== undefined ? String(parsed.experiment_id) : undefined),
    modelName: str(parsed.model_name),
    modelVersion: typeof version === 'number' ? String(version) : str(version),
  };
}

export function toRunOutput(runId: number, wire: Json): DatabricksRunOutput {
  const notebookResult = str(obj(wire.notebook_output)?.result);
  const logs = str(wire.logs);
  const metadata = obj(wire.metadata);
  return {
    runId,
    logs,
    logsTruncated: wire.logs_truncated === true,
    notebookResult,
    error: str(wire.error),
    errorTrace: str(wire.error_trace),
    training: parseTrainingResult(notebookResult) ?? parseTrainingResult(logs),
    metadata: metadata ? toRun(metadata) : undefined,
  };
}
