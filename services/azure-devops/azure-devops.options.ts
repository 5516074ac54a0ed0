import type { OperationOptions } from '../http/http-pipeline';
import type { RetryOptions } from '../http/retry';
import type { Logger } from '../logger';
import type { AzureDevOpsAuth } from './azure-devops.connection';
import type { HookEventType, RunState, Stage, Task } from './azure-devops.types';

/** Options of AzureDevOpsClient and its calls. */
export interface AzureDevOpsClientOptions {
  /** e.g. https://dev.azure.com/contoso (or the sandbox's `${url}/<org>`). */
  orgUrl: string;
  project: string;
  auth: AzureDevOpsAuth;
  timeoutInMs?: number;
  retry?: Partial<RetryOptions>;
  logger?: Logger;
}

export interface RunPipelineOptions extends OperationOptions {
  /** Branch name or full ref; default: the pipeline's default branch. */
  branch?: string;
  templateParameters?: Record<string, string | number | boolean>;
  variables?: Record<string, string>;
}

export interface ListRunsOptions extends OperationOptions {
  state?: Exclude<RunState, 'unknown' | 'canceling'>;
  /** Page size asked of the service. */
  pageSize?: number;
}

export interface CreateHookSubscriptionOptions extends OperationOptions {
  eventType: HookEventType;
  url: string;
  pipelineId?: number;
  basicAuth?: { username: string; password: string };
  httpHeaders?: Record<string, string>;
}

export interface FailedTaskLog {
  stage: Stage;
  task: Task;
  lines: string[];
}
