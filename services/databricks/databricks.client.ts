import type { TokenCredential } from '@azure/identity';
import { HttpPipeline, type HttpPipelineOptions, type OperationOptions } from '../http/http-pipeline';
import { SCOPES, bearerToken, entraToken, type AuthProvider } from '../http/auth';
import type { Logger } from '../logger';
import { databricksErrorParser, toJob, toRun, toRunOutput } from './databricks.mappers';
import type { DatabricksJob, DatabricksRun, DatabricksRunOutput, NotificationDestination, SparkVersion } from './databricks.types';
import { RunPoller } from './run-poller';

export { RunPoller, type PollOptions } from './run-poller';

/**
 * Azure Databricks workspace REST (Jobs 2.2, Clusters 2.1) through the shared HTTP pipeline.
 * Returns our own types only.
 */
export interface DatabricksClientOptions {
  /** Workspace URL, e.g. https://adb-123.4.azuredatabricks.net (or the sandbox URL). */
  host: string;
  /** A Databricks PAT; without it, `credential` is used for an Entra token. */
  token?: string;
  credential?: TokenCredential;
  timeoutInMs?: number;
  retry?: HttpPipelineOptions['retry'];
  logger?: Logger;
  /** Tests only: see the waits between retries without waiting them. */
  sleep?: HttpPipelineOptions['sleep'];
}

export interface RunJobParameters {
  /** Job-level parameters (jobs declared with `parameters`). */
  jobParameters?: Record<string, string>;
  /** Named parameters for python wheel tasks / `python_named_params`. */
  pythonParams?: string[];
  /** Replays with the same token return the existing run (≤ 64 chars). */
  idempotencyToken?: string;
}

export interface ListRunsOptions extends OperationOptions {
  jobId?: number;
  activeOnly?: boolean;
  completedOnly?: boolean;
  expandTasks?: boolean;
  /** Page size: 1..25 (Databricks' limit). */
  pageSize?: number;
  /** Only runs that started at or after this time (`start_time_from`, epoch ms). */
  startTimeFrom?: number;
}

type Json = Record<string, unknown>;

export class DatabricksClient {
  private readonly pipeline: HttpPipeline;

  constructor(options: DatabricksClientOptions) {
    this.pipeline = new HttpPipeline({
      service: 'databricks',
      baseUrl: options.host,
      auth: databricksAuth(options),
      parseError: databricksErrorParser,
      ...(options.timeoutInMs !== undefined ? { timeoutInMs: options.timeoutInMs } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
  }

  /** Triggers an existing job (`jobs/run-now`). */
  async beginRunJob(jobId: number, params: RunJobParameters = {}, options: OperationOptions = {}): Promise<RunPoller> {
    const body: Json = { job_id: jobId };
    if (params.jobParameters) body.job_parameters = params.jobParameters;
    if (params.pythonParams) body.python_params = params.pythonParams;
    if (params.idempotencyToken) body.idempotency_token = params.idempotencyToken;
    // With an idempotency token a replay returns the same run, so a retry after a timeout is safe.
    const res = await this.pipeline.send<Json>('jobs.runNow', { method: 'POST', path: '/api/2.2/jobs/run-now', body, idempotent: !!params.idempotencyToken }, options);
    return new RunPoller(this, runIdOf(res.body));
  }

  /** Submits a one-time run (`jobs/runs/submit`); build the body with `buildTrainingRunSpec`. */
  async beginSubmitRun(spec: Json, options: OperationOptions = {}): Promise<RunPoller> {
    const res = await this.pipeline.send<Json>('jobs.runsSubmit', { method: 'POST', path: '/api/2.2/jobs/runs/submit', body: spec, idempotent: typeof spec.idempotency_token === 'string' }, options);
    return new RunPoller(this, runIdOf(res.body));
  }

  /** A run with all its tasks (follows the 2.2 `next_page_token` of runs with > 100 tasks). */
  async getRun(runId: number, options: OperationOptions = {}): Promise<DatabricksRun> {
    let first: Json | undefined;
    const tasks: unknown[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.pipeline.send<Json>('jobs.runsGet', { method: 'GET', path: '/api/2.2/jobs/runs/get', query: { run_id: runId, page_token: pageToken } }, options);
      first ??= res.body;
      if (Array.isArray(res.body.tasks)) tasks.push(...(res.body.tasks as unknown[]));
      pageToken = nonEmpty(res.body.next_page_token);
    } while (pageToken);
    return toRun({ ...first, tasks });
  }

  /** Output of one task run (take `tasks[i].runId`; the parent run id of a job run is refused by Databricks). */
  async getRunOutput(taskRunId: number, options: OperationOptions = {}): Promise<DatabricksRunOutput> {
    const res = await this.pipeline.send<Json>('jobs.runsGetOutput', { method: 'GET', path: '/api/2.2/jobs/runs/get-output', query: { run_id: taskRunId } }, options);
    return toRunOutput(taskRunId, res.body);
  }

  /** Asks for cancellation; the run goes TERMINATING → TERMINATED/CANCELED afterwards. */
  async cancelRun(runId: number, options: OperationOptions = {}): Promise<void> {
    // Cancelling twice is harmless, so a retry after a lost answer is fine.
    await this.pipeline.send('jobs.runsCancel', { method: 'POST', path: '/api/2.2/jobs/runs/cancel', body: { run_id: runId }, idempotent: true }, options);
  }

  /** Runs, newest first, page by page (`runs/list`). */
  async *listRuns(options: ListRunsOptions = {}): AsyncIterableIterator<DatabricksRun> {
    let pageToken: string | undefined;
    do {
      const res = await this.pipeline.send<Json>(
        'jobs.runsList',
        {
          method: 'GET',
          path: '/api/2.2/jobs/runs/list',
          query: {
            job_id: options.jobId,
            active_only: options.activeOnly || undefined,
            completed_only: options.completedOnly || undefined,
            expand_tasks: options.expandTasks || undefined,
            limit: options.pageSize ?? 25,
            start_time_from: options.startTimeFrom,
            page_token: pageToken,
          },
        },
        options,
      );
      for (const r of Array.isArray(res.body.runs) ? res.body.runs : []) yield toRun((r ?? {}) as Json);
      pageToken = nonEmpty(res.body.next_page_token);
    } while (pageToken);
  }

  /** One page of runs/list, newest first: callers that must bound their calls page by hand. */
  async listRunsPage(options: ListRunsOptions & { pageToken?: string | undefined } = {}): Promise<{ runs: DatabricksRun[]; nextPageToken: string | undefined }> {
    const res = await this.pipeline.send<Json>('jobs.runsList', {
      method: 'GET',
      path: '/api/2.2/jobs/runs/list',
      query: { job_id: options.jobId, completed_only: options.completedOnly || undefined, active_only: options.activeOnly || undefined, limit: options.pageSize ?? 24, start_time_from: options.startTimeFrom, page_token: options.pageToken },
    }, options);
    return { runs: (Array.isArray(res.body.runs) ? res.body.runs : []).map((r) => toRun((r ?? {}) as Json)), nextPageToken: nonEmpty(res.body.next_page_token) };
  }

  /** Jobs with this exact name (`jobs/list?name=`), for config that names a job instead of its id. */
  async findJobsByName(name: string, options: OperationOptions = {}): Promise<Array<{ jobId: number; name: string }>> {
    const res = await this.pipeline.send<Json>('jobs.list', { method: 'GET', path: '/api/2.2/jobs/list', query: { name, limit: 100 } }, options);
    return (Array.isArray(res.body.jobs) ? (res.body.jobs as Json[]) : []).map((j) => ({ jobId: Number(j.job_id), name: nonEmpty(((j.settings ?? {}) as Json).name) ?? '' }));
  }

  /** A job's `webhook_notifications` as set (event → destination ids). */
  async getJobWebhooks(jobId: number, options: OperationOptions = {}): Promise<Record<string, string[]>> {
    const res = await this.pipeline.send<Json>('jobs.get', { method: 'GET', path: '/api/2.2/jobs/get', query: { job_id: jobId } }, options);
    const hooks = ((res.body.settings ?? {}) as Json).webhook_notifications;
    const out: Record<string, string[]> = {};
    for (const [event, list] of Object.entries((hooks ?? {}) as Json)) out[event] = (Array.isArray(list) ? (list as Json[]) : []).map((h) => String(h.id));
    return out;
  }

  /**
   * Replaces the job's `webhook_notifications` (a top-level field is replaced whole by jobs/update,
   * so pass every event list, merged by the caller). Needs CAN MANAGE on the job.
   */
  async setJobWebhooks(jobId: number, hooks: Record<string, string[]>, options: OperationOptions = {}): Promise<void> {
    const webhook_notifications = Object.fromEntries(Object.entries(hooks).map(([event, ids]) => [event, ids.map((id) => ({ id }))]));
    // Setting the same value twice is harmless: retry after a lost answer is fine.
    await this.pipeline.send('jobs.update', { method: 'POST', path: '/api/2.2/jobs/update', body: { job_id: jobId, new_settings: { webhook_notifications } }, idempotent: true }, options);
  }

  async listNotificationDestinations(options: OperationOptions = {}): Promise<NotificationDestination[]> {
    const out: NotificationDestination[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.pipeline.send<Json>('notificationDestinations.list', { method: 'GET', path: '/api/2.0/notification-destinations', query: { page_size: 100, page_token: pageToken } }, options);
      for (const d of Array.isArray(res.body.results) ? (res.body.results as Json[]) : []) out.push({ id: String(d.id), displayName: nonEmpty(d.display_name) ?? '', type: typeof d.destination_type === 'string' ? d.destination_type : undefined });
      pageToken = nonEmpty(res.body.next_page_token);
    } while (pageToken);
    return out;
  }

  /** Creates a generic webhook destination (workspace admins only). */
  async createWebhookDestination(displayName: string, hook: { url: string; username?: string; password?: string }, options: OperationOptions = {}): Promise<NotificationDestination> {
    const res = await this.pipeline.send<Json>('notificationDestinations.create', { method: 'POST', path: '/api/2.0/notification-destinations', body: { display_name: displayName, config: { generic_webhook: hook } }, idempotent: false }, options);
    return { id: String(res.body.id), displayName: nonEmpty(res.body.display_name) ?? displayName, type: typeof res.body.destination_type === 'string' ? res.body.destination_type : undefined };
  }

  /** Active runs (pending, running, terminating): the polling fallback's one list call. */
  listActiveRuns(options: Omit<ListRunsOptions, 'activeOnly' | 'completedOnly'> = {}): AsyncIterableIterator<DatabricksRun> {
    return this.listRuns({ ...options, activeOnly: true });
  }

  /** A job's settings, with all task keys across 2.2 pages. */
  async getJob(jobId: number, options: OperationOptions = {}): Promise<DatabricksJob> {
    let first: Json | undefined;
    const tasks: unknown[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.pipeline.send<Json>('jobs.get', { method: 'GET', path: '/api/2.2/jobs/get', query: { job_id: jobId, page_token: pageToken } }, options);
      first ??= res.body;
      const settings = (res.body.settings ?? {}) as Json;
      if (Array.isArray(settings.tasks)) tasks.push(...(settings.tasks as unknown[]));
      pageToken = nonEmpty(res.body.next_page_token);
    } while (pageToken);
    return toJob({ ...first, settings: { ...((first?.settings ?? {}) as Json), tasks } });
  }

  /** Runtime versions the workspace offers; feed them to `resolveMlRuntime`. */
  async listSparkVersions(options: OperationOptions = {}): Promise<SparkVersion[]> {
    const res = await this.pipeline.send<Json>('clusters.sparkVersions', { method: 'GET', path: '/api/2.1/clusters/spark-versions' }, options);
    const versions = Array.isArray(res.body.versions) ? (res.body.versions as Json[]) : [];
    return versions.filter((v) => typeof v.key === 'string').map((v) => ({ key: v.key as string, name: typeof v.name === 'string' ? v.name : '' }));
  }
}

export function databricksAuth(options: Pick<DatabricksClientOptions, 'token' | 'credential'>): AuthProvider {
  if (options.token) return bearerToken(options.token);
  if (options.credential) return entraToken(options.credential, SCOPES.databricks);
  throw new Error('DatabricksClient needs DATABRICKS_TOKEN or an Entra credential');
}

function runIdOf(body: Json): number {
  const id = body.run_id;
  if (typeof id !== 'number') throw new Error('Databricks answered without a run_id');
  return id;
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
