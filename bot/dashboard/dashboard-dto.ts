/**
 * The dashboard API's answers: the contract between the bot (dashboard-routes.ts) and the tab
 * (web/). Plain types with no imports, so the browser bundle and the server share them.
 */
export type RunStatusDto = 'running' | 'waiting_approval' | 'succeeded' | 'failed' | 'canceled' | 'expired';

export interface RunSummaryDto {
  id: string;
  model: string;
  kind: 'train' | 'deploy' | 'relay';
  status: RunStatusDto;
  requester: string;
  /** The environment the run deploys to (staging, production...). */
  env: string;
  modelVersion?: string;
  createdAt: string;
  updatedAt: string;
  /** The stage that is moving now (its display name), if any. */
  current?: string;
}

export interface StageDto {
  id: string;
  name: string;
  label: string;
  state: string;
  startedAt?: string;
  finishedAt?: string;
  duration?: string;
  detail?: string;
  url?: string;
}

export interface RunDetailDto extends RunSummaryDto {
  version: number;
  branch: string;
  parameters: { name: string; value: string }[];
  progressPercent: number;
  scoringUri?: string;
  logsUrl?: string;
  stages: StageDto[];
  metrics: { name: string; points: { step: number; value: number }[] }[];
  approval?: { state: string; required: number; approvals: number; expiresAt: string; decisions: { by: string; decision: string; comment: string; at: string }[] };
  failure?: { stage: string; system: string; message: string; logTail: string[] };
  audit: { at: string; actor: string; action: string; outcome: string }[];
}

export interface MeDto {
  name: string;
  upn: string | null;
  tenantId: string;
  /** Roles per model (the chat's role table) and the model's environments in promotion order. */
  models: { name: string; roles: string[]; environments: string[] }[];
}

export interface RunsPageDto {
  runs: RunSummaryDto[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  next?: string;
}

export interface RunPageDto {
  run: RunDetailDto;
  you: { mayDecide: boolean; requestedIt: boolean };
}

export interface ApprovalDto extends RunSummaryDto {
  expiresAt: string;
  required: number;
  decisions: number;
  requestedByYou: boolean;
  decidedByYou: boolean;
  version: number;
}

export interface ApprovalsDto {
  approvals: ApprovalDto[];
}

export interface DecisionDto {
  message: string;
  run: RunSummaryDto;
}

/** Whether what runs in an environment answers: see docs/dashboard.md, "What health means". */
export interface HealthDto {
  state: 'healthy' | 'unhealthy' | 'unknown' | 'not-deployed';
  /** One sentence: what was checked and what it said. */
  summary: string;
  /** When the container group was read (absent when it was not). */
  checkedAt?: string;
}

export interface EnvironmentDto {
  name: string;
  /** The live version: that of the newest succeeded deploy there. */
  version?: string;
  scoringUri?: string;
  /** The run that made it live, and when. */
  liveRun?: string;
  since?: string;
  health: HealthDto;
  /** Runs of the model in this environment, newest first (at most 10; the runs page has them all). */
  history: RunSummaryDto[];
  /**
   * Promote: the next environment and the version that would go there; absent for the last
   * environment. `done`: the live run's version was promoted already (once per run, as on its card).
   */
  promote?: { to: string; version?: string; allowed: boolean; done?: { runId: string; by: string; at: string } };
  /** Roll back: the version live there before the current one (rule: rollback-target.ts), if any. */
  rollback?: { to?: string; allowed: boolean };
}

export interface ModelDto {
  name: string;
  description?: string;
  registeredModel: string;
  environments: EnvironmentDto[];
}

export interface ModelsDto {
  models: ModelDto[];
}

/** The answer to Promote and Roll back: the engine's sentence and the run it started. */
export interface ActionDto {
  message: string;
  run: RunSummaryDto;
}

export interface SubscriptionDto {
  conversationId: string;
  /** Where it posts, in words ("your chat with the bot", "a team channel"...). */
  conversation: string;
  /** What it follows, as stored: a model, `*` (everything), `pipeline:<id or name>` or `job:<id or name>`. */
  target: string;
  /** The same, in words. */
  what: string;
  events: string[];
  /** Declared in mlops.config.yaml: removing it lasts until the bot restarts. */
  fromConfig: boolean;
}

export interface SubscriptionsDto {
  subscriptions: SubscriptionDto[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: string;
}

export interface ScheduleDto {
  model: string;
  cron: string;
  timeZone: string;
  nextDue: string;
  owner: string;
  lastRunId?: string;
  lastFiredAt?: string;
  /** Whether you may remove it: the role /unschedule needs (train, for the model). */
  mayRemove: boolean;
}

export interface SchedulesDto {
  schedules: ScheduleDto[];
}

export interface MessageDto {
  message: string;
}
