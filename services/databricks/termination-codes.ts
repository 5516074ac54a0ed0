import type { RunResult } from './databricks.types';

/**
 * `status.termination_details.code` of a Jobs run, the complete TerminationCodeCode list of
 * databricks/databricks-sdk-go `service/jobs/model.go` (the same list is in the SDK's internal jobspb
 * model). There is no RUN_TIMEOUT: a run that exceeds `timeout_seconds` is canceled by the platform
 * and arrives as `CANCELED` ("canceled during execution by the Databricks platform; for example, if
 * the maximum run duration was exceeded"), a user's cancel as `USER_CANCELED`.
 */
export const TERMINATION_CODES = {
  SUCCESS: 'SUCCESS',
  SUCCESS_WITH_FAILURES: 'SUCCESS_WITH_FAILURES',
  USER_CANCELED: 'CANCELED',
  CANCELED: 'CANCELED',
  SKIPPED: 'SKIPPED',
  DISABLED: 'DISABLED',
  MAX_CONCURRENT_RUNS_EXCEEDED: 'MAXIMUM_CONCURRENT_RUNS_REACHED',
  BUDGET_POLICY_LIMIT_EXCEEDED: 'FAILED',
  CLOUD_FAILURE: 'FAILED',
  CLUSTER_ERROR: 'FAILED',
  CLUSTER_REQUEST_LIMIT_EXCEEDED: 'FAILED',
  DRIVER_ERROR: 'FAILED',
  FEATURE_DISABLED: 'FAILED',
  INTERNAL_ERROR: 'FAILED',
  INVALID_CLUSTER_REQUEST: 'FAILED',
  INVALID_RUN_CONFIGURATION: 'FAILED',
  LIBRARY_INSTALLATION_ERROR: 'FAILED',
  MAX_JOB_QUEUE_SIZE_EXCEEDED: 'FAILED',
  MAX_SPARK_CONTEXTS_EXCEEDED: 'FAILED',
  REPOSITORY_CHECKOUT_FAILED: 'FAILED',
  RESOURCE_NOT_FOUND: 'FAILED',
  RUN_EXECUTION_ERROR: 'FAILED',
  STORAGE_ACCESS_ERROR: 'FAILED',
  UNAUTHORIZED_ERROR: 'FAILED',
  WORKSPACE_RUN_LIMIT_EXCEEDED: 'FAILED',
} as const satisfies Record<string, RunResult>;

export type TerminationCode = keyof typeof TERMINATION_CODES;

/** Who ended a canceled run: USER_CANCELED is a person, CANCELED the platform (e.g. timeout_seconds). */
export function canceledBy(code: string | undefined): 'user' | 'platform' | undefined {
  return code === 'USER_CANCELED' ? 'user' : code === 'CANCELED' ? 'platform' : undefined;
}

/** The result a terminal run's code implies; an unknown (newer) code falls back on the termination type. */
export function resultFromTermination(code: string | undefined, type: string | undefined): RunResult {
  if (code !== undefined && code in TERMINATION_CODES) return TERMINATION_CODES[code as TerminationCode];
  return type === 'SUCCESS' ? 'SUCCESS' : 'FAILED';
}
