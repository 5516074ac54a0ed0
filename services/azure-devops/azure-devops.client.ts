import { lazyPackage } from '../lazy-package';
import { ServiceError } from '../http/errors';
import type { OperationOptions } from '../http/http-pipeline';
import type { RetryOptions } from '../http/retry';
import { withRetries } from '../http/with-retries';
import { silentLogger, type Logger } from '../logger';
import { AzureDevOpsConnection } from './azure-devops.connection';
import type { AzureDevOpsClientOptions, CreateHookSubscriptionOptions, FailedTaskLog, ListRunsOptions, RunPipelineOptions } from './azure-devops.options';
import { classifyAzureDevOpsError } from './azure-devops.errors';
import { mapApproval, mapBuild, mapRun, mapTimeline } from './azure-devops.mappers';
import type { Approval, HookEventType, HookSubscription, PipelineRun, Stage } from './azure-devops.types';

export type { AzureDevOpsClientOptions, CreateHookSubscriptionOptions, FailedTaskLog, ListRunsOptions, RunPipelineOptions } from './azure-devops.options';

const API = '7.1';
const APPROVALS_API = '7.1-preview.1';
/** node-api's build interfaces (BuildStatus), loaded on first use like node-api itself: ~10 ms of start-up for one enum (issue 13, cold start). */
const buildInterfaces = lazyPackage<typeof import('azure-devops-node-api/interfaces/BuildInterfaces')>('azure-devops-node-api/interfaces/BuildInterfaces');

/** node-api's BuildStatus numbers for the statusFilter query. */
function statusFilter(state: NonNullable<ListRunsOptions['state']>): number {
  const { BuildStatus } = buildInterfaces();
  return { notStarted: BuildStatus.NotStarted, inProgress: BuildStatus.InProgress, completed: BuildStatus.Completed }[state];
}

/**
 * Azure DevOps Pipelines for the bot: queue a run, follow it (run, timeline, log tails), cancel
 * it, answer its approvals, and register the bot's service hook. node-api does the discovery
 * and the typed calls; approvals, hooks and paged lists go through the same connection raw.
 * Every call has a timeout and the shared retry policy and fails with a ServiceError.
 */
export class AzureDevOpsClient {
  private readonly connection: AzureDevOpsConnection;
  private readonly project: string;
  private readonly timeoutInMs: number;
  private readonly retry: Partial<RetryOptions> | undefined;
  private readonly logger: Logger;
  private projectId: string | undefined;

  constructor(options: AzureDevOpsClientOptions) {
    this.timeoutInMs = options.timeoutInMs ?? 30_000;
    this.connection = new AzureDevOpsConnection(options.orgUrl, options.auth, this.timeoutInMs);
    this.project = options.project;
    this.retry = options.retry;
    this.logger = (options.logger ?? silentLogger).child({ service: 'azure-devops' });
  }

  async runPipeline(pipelineId: number, options: RunPipelineOptions = {}): Promise<PipelineRun> {
    const body = {
      ...(options.templateParameters ? { templateParameters: Object.fromEntries(Object.entries(options.templateParameters).map(([k, v]) => [k, String(v)])) } : {}),
      ...(options.variables ? { variables: Object.fromEntries(Object.entries(options.variables).map(([k, v]) => [k, { value: v }])) } : {}),
      ...(options.branch ? { resources: { repositories: { self: { refName: options.branch.startsWith('refs/') ? options.branch : `refs/heads/${options.branch}` } } } } : {}),
    };
    const run = await this.call('runs.create', false, options, async () => (await this.connection.pipelinesApi()).runPipeline(body, this.project, pipelineId));
    return mapRun(run);
  }

  async getRun(pipelineId: number, runId: number, options: OperationOptions = {}): Promise<PipelineRun> {
    const run = await this.call('runs.get', true, options, async () => (await this.connection.pipelinesApi()).getRun(this.project, pipelineId, runId));
    // node-api resolves a 404 with null instead of throwing.
    if (!run) throw this.notFound('runs.get', `run ${runId} of pipeline ${pipelineId} was not found`);
    return mapRun(run);
  }

  /** The run seen through the Builds API (same id); it knows the queue/finish times and cancelling. */
  async getBuild(runId: number, options: OperationOptions = {}): Promise<PipelineRun> {
    const build = await this.call('builds.get', true, options, async () => (await this.connection.buildApi()).getBuild(this.project, runId));
    if (!build) throw this.notFound('builds.get', `build ${runId} was not found`);
    return mapBuild(build);
  }

  /** Runs of a pipeline, newest first, page by page through x-ms-continuationtoken. */
  listRuns(pipelineId: number, options: ListRunsOptions = {}): AsyncIterable<PipelineRun> & { byPage(): AsyncIterable<PipelineRun[]> } {
    const pages = async function* (this: AzureDevOpsClient): AsyncGenerator<PipelineRun[]> {
      let continuationToken: string | undefined;
      do {
        const res = await this.call('builds.list', true, options, () =>
          this.connection.raw<{ value?: unknown[] }>('GET', `${encodeURIComponent(this.project)}/_apis/build/builds`, {
            'api-version': API, definitions: pipelineId, queryOrder: 'queueTimeDescending', $top: options.pageSize ?? 100, continuationToken,
            statusFilter: options.state ? statusFilter(options.state) : undefined,
          }),
        );
        const token = res.headers['x-ms-continuationtoken'];
        continuationToken = Array.isArray(token) ? token[0] : token;
        yield (res.body.value ?? []).map(mapBuild);
      } while (continuationToken);
    }.bind(this);
    return {
      byPage: pages,
      [Symbol.asyncIterator]: async function* () {
        for await (const page of pages()) yield* page;
      },
    };
  }

  /**
   * One page of completed builds of any pipeline, oldest finish first, finished at or after
   * `minTime` (Builds - List with queryOrder=finishTimeAscending: minTime then filters on finish
   * time). The poller calls this a bounded number of times per pass, whatever the pipelines.
   */
  async listCompletedBuildsPage(options: OperationOptions & { minTime?: Date; top?: number; continuationToken?: string | undefined; definitions?: number[] } = {}): Promise<{ builds: PipelineRun[]; continuationToken: string | undefined }> {
    const res = await this.call('builds.list', true, options, () =>
      this.connection.raw<{ value?: unknown[] }>('GET', `${encodeURIComponent(this.project)}/_apis/build/builds`, {
        'api-version': API, statusFilter: 'completed', queryOrder: 'finishTimeAscending', $top: options.top ?? 100,
        minTime: options.minTime?.toISOString(), continuationToken: options.continuationToken,
        definitions: options.definitions && options.definitions.length > 0 ? options.definitions.join(',') : undefined,
      }),
    );
    const token = res.headers['x-ms-continuationtoken'];
    return { builds: (res.body.value ?? []).map(mapBuild), continuationToken: Array.isArray(token) ? token[0] : token };
  }

  /** Service-hook subscriptions of one event type (to create ours only once). */
  async listHookSubscriptions(eventType: HookEventType, options: OperationOptions = {}): Promise<HookSubscription[]> {
    const res = await this.call('subscriptions.list', true, options, () =>
      this.connection.raw<{ value?: Array<Record<string, unknown>> }>('GET', '_apis/hooks/subscriptions', { 'api-version': API, eventType, consumerId: 'webHooks' }),
    );
    return (res.body.value ?? []).map((sub) => ({
      id: typeof sub.id === 'string' ? sub.id : '',
      eventType: typeof sub.eventType === 'string' ? sub.eventType : eventType,
      url: textOf(((sub.consumerInputs ?? {}) as Record<string, unknown>).url),
      publisherInputs: (sub.publisherInputs ?? {}) as Record<string, string>,
    }));
  }

  /** Cancels through the Builds API (the Pipelines API has no cancel); the run reports canceling, then canceled. */
  async cancelRun(runId: number, options: OperationOptions = {}): Promise<PipelineRun> {
    const build = await this.call('builds.cancel', true, options, async () => (await this.connection.buildApi()).updateBuild({ status: buildInterfaces().BuildStatus.Cancelling }, this.project, runId));
    if (!build) throw this.notFound('builds.cancel', `build ${runId} was not found`);
    return mapBuild(build);
  }

  async getTimeline(runId: number, options: OperationOptions = {}): Promise<Stage[]> {
    const timeline = await this.call('timeline.get', true, options, async () => (await this.connection.buildApi()).getBuildTimeline(this.project, runId));
    if (!timeline) throw this.notFound('timeline.get', `timeline of build ${runId} was not found`);
    return mapTimeline(timeline);
  }

  /** The last `lines` lines of one log (timestamps kept), e.g. for a failure card. */
  async getLogTail(runId: number, logId: number, options: OperationOptions & { lines?: number } = {}): Promise<string[]> {
    const want = Math.max(1, options.lines ?? 50);
    return this.call('logs.getTail', true, options, async () => {
      const api = await this.connection.buildApi();
      const logs = (await api.getBuildLogs(this.project, runId)) ?? [];
      const lineCount = logs.find((l) => l.id === logId)?.lineCount;
      if (lineCount === undefined) return [];
      return (await api.getBuildLogLines(this.project, runId, logId, Math.max(1, lineCount - want + 1), lineCount)) ?? [];
    });
  }

  /** The first failed task of the run with its log tail, or undefined when nothing failed. */
  async getFailedTaskLog(runId: number, options: OperationOptions & { lines?: number } = {}): Promise<FailedTaskLog | undefined> {
    for (const stage of await this.getTimeline(runId, options)) {
      for (const task of stage.jobs.flatMap((j) => j.tasks)) {
        if (task.result !== 'failed') continue;
        const lines = task.logId === undefined ? [] : await this.getLogTail(runId, task.logId, options);
        return { stage, task, lines };
      }
    }
    return undefined;
  }

  /** Pending approvals of a run, found through its timeline's Checkpoint.Approval records. */
  async listPendingApprovals(runId: number, options: OperationOptions = {}): Promise<Approval[]> {
    const ids = (await this.getTimeline(runId, options)).filter((s) => s.waitingForApproval).flatMap((s) => s.approvalIds);
    if (ids.length === 0) return [];
    const res = await this.call('approvals.list', true, options, () =>
      this.connection.raw<{ value?: unknown[] }>('GET', `${encodeURIComponent(this.project)}/_apis/pipelines/approvals`, { 'api-version': APPROVALS_API, approvalIds: ids.join(','), $expand: 'steps' }),
    );
    return (res.body.value ?? []).map(mapApproval).filter((a) => a.status === 'pending');
  }

  async getApproval(approvalId: string, options: OperationOptions = {}): Promise<Approval> {
    const res = await this.call('approvals.get', true, options, () =>
      this.connection.raw<unknown>('GET', `${encodeURIComponent(this.project)}/_apis/pipelines/approvals/${encodeURIComponent(approvalId)}`, { 'api-version': APPROVALS_API, $expand: 'steps' }),
    );
    return mapApproval(res.body);
  }

  /** Approve or reject. Not retried after a lost answer: the first attempt may have been applied. */
  async updateApproval(approvalId: string, decision: { status: 'approved' | 'rejected'; comment: string }, options: OperationOptions = {}): Promise<Approval> {
    const res = await this.call('approvals.update', false, options, () =>
      this.connection.raw<{ value?: unknown[] }>('PATCH', `${encodeURIComponent(this.project)}/_apis/pipelines/approvals`, { 'api-version': APPROVALS_API }, [{ approvalId, status: decision.status, comment: decision.comment }]),
    );
    const first = res.body.value?.[0];
    if (!first) throw new ServiceError({ service: 'azure-devops', operation: 'approvals.update', message: 'the service returned no approval' });
    return mapApproval(first);
  }

  approve(approvalId: string, comment: string, options: OperationOptions = {}): Promise<Approval> {
    return this.updateApproval(approvalId, { status: 'approved', comment }, options);
  }

  reject(approvalId: string, comment: string, options: OperationOptions = {}): Promise<Approval> {
    return this.updateApproval(approvalId, { status: 'rejected', comment }, options);
  }

  /** Registers a webhook (webHooks consumer, httpRequest action) for one event type. */
  async createHookSubscription(o: CreateHookSubscriptionOptions): Promise<HookSubscription> {
    const projectId = await this.getProjectId(o);
    const httpHeaders = Object.entries(o.httpHeaders ?? {}).map(([k, v]) => `${k}:${v}`).join('\n');
    const body = {
      publisherId: o.eventType === 'build.complete' ? 'tfs' : 'pipelines',
      eventType: o.eventType,
      resourceVersion: o.eventType === 'build.complete' ? '2.0' : '5.1-preview.1',
      consumerId: 'webHooks',
      consumerActionId: 'httpRequest',
      publisherInputs: { projectId, ...(o.pipelineId !== undefined ? { pipelineId: String(o.pipelineId) } : {}) },
      consumerInputs: {
        url: o.url,
        resourceDetailsToSend: 'all', messagesToSend: 'none', detailedMessagesToSend: 'none',
        ...(httpHeaders ? { httpHeaders } : {}),
        ...(o.basicAuth ? { basicAuthUsername: o.basicAuth.username, basicAuthPassword: o.basicAuth.password } : {}),
      },
    };
    const res = await this.call('subscriptions.create', false, o, () => this.connection.raw<Record<string, unknown>>('POST', '_apis/hooks/subscriptions', { 'api-version': API }, body));
    const sub = res.body;
    return { id: typeof sub.id === 'string' ? sub.id : '', eventType: typeof sub.eventType === 'string' ? sub.eventType : o.eventType, url: o.url, publisherInputs: (sub.publisherInputs ?? {}) as Record<string, string> };
  }

  private async getProjectId(options: OperationOptions): Promise<string> {
    if (this.projectId) return this.projectId;
    const res = await this.call('projects.get', true, options, () => this.connection.raw<{ id?: string }>('GET', `_apis/projects/${encodeURIComponent(this.project)}`, { 'api-version': API }));
    if (!res.body.id) throw new ServiceError({ service: 'azure-devops', operation: 'projects.get', message: `project ${this.project} has no id` });
    this.projectId = res.body.id;
    return this.projectId;
  }

  private call<T>(operation: string, idempotent: boolean, options: OperationOptions, fn: () => Promise<T>): Promise<T> {
    return withRetries(
      async (signal) => {
        await this.connection.authorize(signal);
        return fn();
      },
      {
        service: 'azure-devops',
        operation,
        idempotent,
        timeoutInMs: options.timeoutInMs ?? this.timeoutInMs,
        classify: (err) => classifyAzureDevOpsError(err, this.connection.secrets),
        logger: this.logger,
        ...(this.retry ? { retry: this.retry } : {}),
        ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
      },
    );
  }

  private notFound(operation: string, message: string): ServiceError {
    return new ServiceError({ service: 'azure-devops', operation, status: 404, code: 'NotFound', message });
  }
}

function textOf(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
