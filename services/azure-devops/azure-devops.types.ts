/**
 * Our own view of Azure DevOps: what the workflow and the cards need, with enums as plain
 * strings and dates as Date. The client maps the wire JSON (and node-api's numeric enums) into
 * these; nothing outside services/azure-devops sees an Azure DevOps wire type.
 */
export type RunState = 'notStarted' | 'inProgress' | 'canceling' | 'completed' | 'unknown';
export type RunResult = 'succeeded' | 'partiallySucceeded' | 'failed' | 'canceled' | 'unknown';

export interface PipelineRun {
  id: number;
  /** The build number, e.g. "20240501.1". */
  name: string;
  pipelineId: number | undefined;
  pipelineName: string | undefined;
  state: RunState;
  /** Present once the run completed. */
  result: RunResult | undefined;
  createdAt: Date | undefined;
  finishedAt: Date | undefined;
  sourceBranch: string | undefined;
  /** The commit built (builds API); the Pipelines runs API does not report it. */
  sourceVersion?: string | undefined;
  templateParameters: Record<string, string>;
  /** Link to the run's results page. */
  webUrl: string | undefined;
  /** Who the run was queued for (Builds API `requestedFor`): a person, or a service identity for schedules. */
  requestedFor?: { id: string | undefined; displayName: string; uniqueName: string | undefined } | undefined;
  /** Build tags (Builds API `tags`), e.g. `model-version-7` added by the CD pipeline's training step. */
  tags?: string[] | undefined;
  /** Why it was queued (Builds API `reason`): manual, schedule, pullRequest, individualCI ... */
  reason?: string | undefined;
}

export type RecordState = 'pending' | 'inProgress' | 'completed';
export type RecordResult = 'succeeded' | 'succeededWithIssues' | 'failed' | 'canceled' | 'skipped' | 'abandoned';

export interface Issue {
  type: 'error' | 'warning';
  message: string;
}

interface TimelineNode {
  id: string;
  name: string;
  state: RecordState;
  result: RecordResult | undefined;
  startTime: Date | undefined;
  finishTime: Date | undefined;
  /** Build log id, when the step wrote a log. */
  logId: number | undefined;
  errorCount: number;
  warningCount: number;
  issues: Issue[];
}

export type Task = TimelineNode;

export interface Job extends TimelineNode {
  tasks: Task[];
}

export interface Stage extends TimelineNode {
  /** The YAML stage name (stable across attempts); `__default` for a pipeline without stages. */
  identifier: string;
  jobs: Job[];
  /** Approval ids the stage waits on or waited on (Checkpoint.Approval records). */
  approvalIds: string[];
  /** True while an approval of this stage is pending. */
  waitingForApproval: boolean;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'skipped' | 'canceled' | 'timedOut' | 'failed' | 'uninitiated' | 'unknown';

export interface ApprovalStep {
  assignedApprover: { id: string; displayName: string | undefined };
  actualApprover: { id: string; displayName: string | undefined } | undefined;
  status: ApprovalStatus;
  comment: string | undefined;
}

export interface Approval {
  id: string;
  status: ApprovalStatus;
  createdAt: Date | undefined;
  lastModifiedAt: Date | undefined;
  instructions: string | undefined;
  minRequiredApprovers: number;
  steps: ApprovalStep[];
  /** The run the approval belongs to, when the service says so (undocumented `pipeline.owner`). */
  runId: number | undefined;
  pipelineId: number | undefined;
}

export interface HookSubscription {
  id: string;
  eventType: string;
  url: string;
  publisherInputs: Record<string, string>;
}

export type HookEventType =
  | 'ms.vss-pipelines.run-state-changed-event'
  | 'ms.vss-pipelines.stage-state-changed-event'
  | 'ms.vss-pipelinechecks-events.approval-pending'
  | 'ms.vss-pipelinechecks-events.approval-completed'
  | 'build.complete';
