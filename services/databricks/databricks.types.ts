/**
 * Our own view of Databricks runs. The bot and the workflow see these types only; the wire JSON
 * (Jobs API 2.2) is mapped to them in `databricks.mappers.ts`.
 */

/** Normalised phase of a run or task: read from the newer `status.state`, else from `state.life_cycle_state`. */
export type RunPhase = 'queued' | 'pending' | 'blocked' | 'running' | 'terminating' | 'terminated';

/** Result states of the Jobs API, plus SKIPPED for tasks that never ran. */
export type RunResult =
  | 'SUCCESS'
  | 'SUCCESS_WITH_FAILURES'
  | 'FAILED'
  | 'TIMEDOUT'
  | 'CANCELED'
  | 'MAXIMUM_CONCURRENT_RUNS_REACHED'
  | 'EXCLUDED'
  | 'UPSTREAM_FAILED'
  | 'UPSTREAM_CANCELED'
  | 'DISABLED'
  | 'SKIPPED';

export interface DatabricksRunState {
  phase: RunPhase;
  /** The wire `life_cycle_state` (or `status.state` when only that was sent). */
  lifeCycleState: string;
  /** Set once the run is terminal. */
  result: RunResult | undefined;
  /** True once nothing will change any more (TERMINATED, SKIPPED, INTERNAL_ERROR). */
  terminal: boolean;
  /** Human text from Databricks ("Waiting for cluster", the failure reason ...). */
  message: string;
  /** `status.termination_details.code`, e.g. RUN_EXECUTION_ERROR, USER_CANCELED, CLUSTER_ERROR. */
  terminationCode: string | undefined;
  /** `status.termination_details.type`: SUCCESS, CLIENT_ERROR, INTERNAL_ERROR, CLOUD_FAILURE. */
  terminationType: string | undefined;
  userCancelledOrTimedOut: boolean;
  /** For CANCELED results: `user` (USER_CANCELED) or `platform` (CANCELED, e.g. the run exceeded timeout_seconds). */
  canceledBy: 'user' | 'platform' | undefined;
}

export interface DatabricksTask {
  taskKey: string;
  /** The task run's own id: the one runs/get-output takes. */
  runId: number;
  state: DatabricksRunState;
  startTime: Date | undefined;
  endTime: Date | undefined;
  runPageUrl: string | undefined;
  attemptNumber: number;
  clusterId: string | undefined;
  /** Runtime key of the task's new cluster, e.g. `16.4.x-cpu-ml-scala2.12`. */
  sparkVersion: string | undefined;
  dependsOn: string[];
}

export interface DatabricksRunDurations {
  queueMs: number;
  setupMs: number;
  executionMs: number;
  cleanupMs: number;
  runMs: number;
}

export interface DatabricksRun {
  runId: number;
  jobId: number | undefined;
  runName: string;
  runType: string | undefined;
  runPageUrl: string | undefined;
  creator: string | undefined;
  state: DatabricksRunState;
  startTime: Date | undefined;
  /** Undefined while the run is not finished (the wire sends 0). */
  endTime: Date | undefined;
  durations: DatabricksRunDurations;
  tasks: DatabricksTask[];
  /** What started it: ONE_TIME (run-now, submit), PERIODIC (schedule), RETRY, RUN_JOB_TASK ... */
  trigger?: string | undefined;
  /** Job-level parameters with the values this run used (`job_parameters[].value`). */
  jobParameters?: Record<string, string> | undefined;
}

/** A workspace notification destination (its secrets are write-only and never read back). */
export interface NotificationDestination {
  id: string;
  displayName: string;
  type: string | undefined;
}

/** What the training task reported about MLflow (see infra/databricks/train.py, `MLOPS_RESULT`). */
export interface TrainingResult {
  mlflowRunId: string;
  experimentId: string | undefined;
  modelName: string | undefined;
  /** MLflow model versions are strings on the wire ("4"). */
  modelVersion: string | undefined;
}

export interface DatabricksRunOutput {
  runId: number;
  /** stdout/stderr of a spark_python task; may be partial or truncated. */
  logs: string | undefined;
  logsTruncated: boolean;
  /** `dbutils.notebook.exit()` value of a notebook task. */
  notebookResult: string | undefined;
  error: string | undefined;
  errorTrace: string | undefined;
  /** Parsed from the notebook result or the last `MLOPS_RESULT {...}` log line, when present. */
  training: TrainingResult | undefined;
  metadata: DatabricksRun | undefined;
}

export interface SparkVersion {
  key: string;
  name: string;
}

export interface DatabricksJob {
  jobId: number;
  name: string | undefined;
  creator: string | undefined;
  /** All task keys, across the 100-per-page pages of Jobs API 2.2. */
  taskKeys: string[];
}

/** Library entries as Databricks takes them (`pypi`, `whl`, `requirements` ...). */
export type DatabricksLibrary =
  | { pypi: { package: string; repo?: string } }
  | { whl: string }
  | { jar: string }
  | { requirements: string }
  | { maven: { coordinates: string } };
