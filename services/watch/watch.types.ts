/**
 * Runs the team starts outside the bot (a CI build queued from the Azure DevOps UI, a scheduled
 * Databricks job) that the bot watches and reports. One report per run, keyed `source:runId`;
 * a retry the bot queued for it is folded into the original report (one card per failure).
 */
export type WatchSource = 'azure-devops' | 'databricks';

export interface TriggeredBy {
  name: string;
  /** UPN / e-mail (Azure DevOps `uniqueName`, Databricks `creator_user_name`): how a Teams member is found. */
  upn: string | undefined;
  /** The service's identity id (Azure DevOps identity id; Entra object id when the org is Entra-backed). */
  id: string | undefined;
}

export interface RetryRecord {
  runId: number;
  by: string;
  at: string;
  state: 'running' | 'succeeded' | 'failed' | 'canceled';
  url: string | undefined;
  error: string | undefined;
}

export interface ExternalRunReport {
  key: string;
  source: WatchSource;
  runId: number;
  /** Pipeline id or job id. */
  targetId: number;
  /** Pipeline name or job name. */
  targetName: string;
  /** Build number ("20240501.3") or Databricks run name. */
  runName: string;
  outcome: 'failed' | 'succeeded';
  /** The service's result word: failed, canceled, partiallySucceeded; FAILED, TIMEDOUT ... */
  result: string;
  /** What failed: "Stage › Job › Task" (Azure DevOps) or "task train" (Databricks). */
  failedStep: string | undefined;
  error: string | undefined;
  logLines: string[];
  url: string | undefined;
  triggeredBy: TriggeredBy | undefined;
  /** Why it ran: manual, schedule, pullRequest, individualCI (Azure DevOps); ONE_TIME, PERIODIC ... (Databricks). */
  reason: string | undefined;
  branch: string | undefined;
  /** Template parameters / job parameters: what Retry sends again. */
  parameters: Record<string, string>;
  finishedAt: string | undefined;
  /** The model this pipeline or job belongs to (roles, rollback), when configured. */
  model: string | undefined;
  retries: RetryRecord[];
}

/** A pipeline or job to watch, by id or by name, with the model it belongs to (if any). */
export interface WatchTarget {
  source: WatchSource;
  /** A number (id) or a name, as configured or typed in /subscribe. */
  ref: string;
  model: string | undefined;
}

export function reportKey(source: WatchSource, runId: number): string {
  return `${source}:${runId}`;
}

/** The subscription "model" column holds these for pipelines and jobs (models keep their plain names). */
export function subscriptionTarget(source: WatchSource, ref: string): string {
  return `${source === 'azure-devops' ? 'pipeline' : 'job'}:${ref}`;
}

export function parseSubscriptionTarget(value: string): { source: WatchSource; ref: string } | undefined {
  const m = /^(pipeline|job):(.+)$/.exec(value);
  if (!m?.[1] || !m[2]) return undefined;
  return { source: m[1] === 'pipeline' ? 'azure-devops' : 'databricks', ref: m[2] };
}
