import type { StageId } from '../services/workflow/run.types';

/**
 * The typed view data the workflow cards are pure functions of. The tracker and the commands
 * build these from the run record; the builders in *.card.ts turn them into Adaptive Cards.
 * All strings are plain text: the builders escape them (user text never reaches Markdown).
 */

/** A person on a card. `mri` (`29:...`, from `activity.from.id`) makes them @mentionable. */
export interface PersonView {
  name: string;
  mri?: string;
}

export type RunStatus = 'running' | 'waiting_approval' | 'succeeded' | 'failed' | 'canceled' | 'expired';
export type StageState = 'pending' | 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped' | 'canceled' | 'expired';
/** The stage ids are the engine's (services/workflow/run.types.ts); only their display is decided here. */
export type { StageId } from '../services/workflow/run.types';

/** How stages are shown, in pipeline order: the one display table (cards and commands use it). */
export const STAGES: readonly { id: StageId; name: string; system?: string; label: string }[] = [
  { id: 'ci', name: 'CI pipeline', system: 'Azure DevOps', label: 'CI pipeline (Azure DevOps)' },
  { id: 'training', name: 'Training', system: 'Databricks', label: 'Training (Databricks)' },
  { id: 'registered', name: 'Model registered', system: 'MLflow', label: 'Model registered (MLflow)' },
  { id: 'approval', name: 'Approval', label: 'Approval' },
  { id: 'deploy', name: 'Deploy', system: 'ACI', label: 'Deploy (ACI)' },
  { id: 'smoke', name: 'Smoke test', label: 'Smoke test' },
];

export function stageLabel(id: StageId): string {
  return STAGES.find((s) => s.id === id)?.label ?? id;
}

/** The stage's short name ("Training"), for text replies. */
export function stageName(id: StageId): string {
  return STAGES.find((s) => s.id === id)?.name ?? id;
}

export interface StageView {
  id: StageId;
  state: StageState;
  /** Already formatted, e.g. "3m 12s". */
  duration?: string;
  /** e.g. "runtime 16.4.x-cpu-ml-scala2.13", "waiting for run r-41 to finish deploying", "version 7". */
  detail?: string;
  /** Deep link into the system (Azure DevOps run, Databricks run page, MLflow model version...). */
  url?: string;
}

export interface MetricPoint {
  step: number;
  value: number;
}

export interface MetricSeries {
  name: string;
  points: readonly MetricPoint[];
  /** Which direction is better; by default inferred from the name (loss/error → lower). */
  goal?: 'min' | 'max';
}

export interface RunCardView {
  runId: string;
  /** "Open in dashboard": the Teams deep link to the Dashboard tab on this run. */
  dashboardUrl?: string;
  /** The run record's version; echoed in action data so the bot can spot clicks on stale cards. */
  cardVersion: number;
  model: string;
  requester: PersonView;
  branch: string;
  parameters: readonly { name: string; value: string }[];
  status: RunStatus;
  /** Every stage of STAGES, in order (missing ones are shown as pending). */
  stages: readonly StageView[];
  /** 0–100. */
  progressPercent: number;
  metrics: readonly MetricSeries[];
  modelVersion?: string;
  scoringUri?: string;
  logsUrl?: string;
  /**
   * Every environment of the model in promotion order, with the version live there and its
   * scoring URI (shown when the model has more than one).
   */
  environments?: readonly EnvironmentView[];
  /** After this run passed its environment: the button "Promote v<version> to <env>". */
  promote?: { version: string; env: string };
  /** What the viewer's role allows; the card shows Cancel only while active and Retry only after failure. */
  canCancel: boolean;
  canRetry: boolean;
  /** On the card of the version in production: the previous production version ("Roll back to vN"). */
  rollbackVersion?: string;
  /** The environment that rollback is for (absent: the model's last, as /rollback without --env). */
  rollbackEnv?: string;
  /** Already formatted, e.g. "2025-06-01 10:42 UTC". */
  updatedAt: string;
}

export interface EnvironmentView {
  name: string;
  /** The version live there (or being deployed there by this run). */
  version?: string;
  scoringUri?: string;
  /** e.g. "this run", "deploying", "not deployed yet", "promoted as run r-8". */
  note?: string;
}

export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired' | 'stale';

export interface ApprovalMetricView {
  name: string;
  candidate: number;
  /** Absent when nothing is in production yet. */
  production?: number;
  goal?: 'min' | 'max';
}

export interface DecisionView {
  by: PersonView;
  decision: 'approved' | 'rejected';
  comment?: string;
  /** Already formatted. */
  at: string;
}

export interface ApprovalCardView {
  runId: string;
  /** "Open in dashboard": the Teams deep link to the Dashboard tab on this run. */
  dashboardUrl?: string;
  approvalId: string;
  cardVersion: number;
  model: string;
  version: string;
  /** The environment and where it deploys, e.g. "production \u00b7 ACI container group fashion-cnn-prod". */
  target: string;
  productionVersion?: string;
  /** What is live is not known (a relayed CD run that named no version): say so instead of "nothing yet". */
  productionUnknown?: boolean;
  metrics: readonly ApprovalMetricView[];
  /** The commit the version was built from, when the CI run named it. */
  commit?: { sha: string; message?: string; url?: string };
  /** The branch, shown instead when no commit is known (a promotion or deploy of a registered version). */
  branch?: string;
  /** The run whose version this run promotes, e.g. "r-1 (staging)". */
  promotedFrom?: string;
  requester: PersonView;
  /** Already formatted. */
  expiresAt: string;
  requiredApprovals: number;
  decisions: readonly DecisionView[];
  state: ApprovalState;
  /** Whether this rendering is for someone allowed to decide (user-specific view via refresh). */
  canAct: boolean;
  /**
   * The shared card everyone sees shows the buttons too, for clients without user-specific views
   * (the Agents Playground, Outlook); every click is role-checked by the bot, so this is safe.
   */
  buttonsForEveryone?: boolean;
  /** Approvers: mentioned on the card; their MRIs go to refresh.userIds (first 60). */
  approvers: readonly PersonView[];
  /** For `stale`: why the card no longer applies, e.g. "Run r-42 was canceled". */
  staleReason?: string;
}

export interface FailureCardView {
  runId: string;
  /** "Open in dashboard": the Teams deep link to the Dashboard tab on this run. */
  dashboardUrl?: string;
  cardVersion: number;
  model: string;
  stage: StageId;
  /** One sentence. */
  error: string;
  /** The tail of the log, oldest first; the card shows the last 20 (or fewer to fit the size budget). */
  logLines: readonly string[];
  /** Lines already dropped before `logLines` (e.g. by the log client). */
  omittedLogLines?: number;
  requester: PersonView;
  logsUrl?: string;
  failedAt: string;
  canRetry: boolean;
  canCancel: boolean;
}

export type TrainParameterType = 'number' | 'integer' | 'string' | 'enum' | 'boolean';

export interface TrainParameterView {
  name: string;
  type: TrainParameterType;
  description?: string;
  required: boolean;
  min?: number;
  max?: number;
  default?: string | number | boolean;
  /** For `enum`. */
  choices?: readonly string[];
}

export interface TrainFormView {
  cardVersion: number;
  models: readonly { id: string; title?: string }[];
  /** The model whose parameters are shown. */
  model: string;
  branch: string;
  /** The environments a run goes through, in order, with the approvals each needs (0: none). */
  environments: readonly { name: string; approvals: number }[];
  parameters: readonly TrainParameterView[];
  /** After a bad submission: parameter name (or "branch") → message. */
  fieldErrors?: Readonly<Record<string, string>>;
  /** Values the user typed, to show again after a bad submission. */
  values?: Readonly<Record<string, string>>;
}

export interface ListCardView {
  title: string;
  subtitle?: string;
  rows: readonly { title: string; status?: string; facts: readonly { title: string; value: string }[]; url?: string }[];
  emptyText: string;
  /** e.g. "Showing the 20 most recent." */
  footer?: string;
}

// ---------------------------------------------------------------------------------------------
// Formatting shared by the builders: text safety, mentions, icons, metrics and the size budget.
// ---------------------------------------------------------------------------------------------

// Text, URL, mention and size helpers of the card builders live in ./card-text (re-exported here).
export * from './card-text';
