/**
 * The run: a durable record of one trip through the pipeline. Every transition is persisted
 * (with a version check) before its effects are announced.
 */
export const STAGE_IDS = ['ci', 'training', 'registered', 'approval', 'deploy', 'smoke'] as const;
export type StageId = (typeof STAGE_IDS)[number];

/**
 * The system that does each stage's work (a failure names it). How a stage is shown to people is
 * decided in one other place, the cards' STAGES (cards/views.ts).
 */
export const STAGE_SYSTEMS: Record<StageId, string> = {
  ci: 'Azure DevOps',
  training: 'Databricks',
  registered: 'MLflow',
  approval: 'Teams',
  deploy: 'ACI',
  smoke: 'ACI',
};

export type StageState = 'pending' | 'running' | 'waiting' | 'queued' | 'succeeded' | 'failed' | 'skipped' | 'canceled' | 'expired';
export type RunStatus = 'running' | 'waiting_approval' | 'succeeded' | 'failed' | 'canceled' | 'expired';
export const FINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'canceled', 'expired']);

export interface StageRecord {
  id: StageId;
  state: StageState;
  startedAt?: string;
  finishedAt?: string;
  link?: string;
  detail?: string;
}

/** Ids of principals that are not people (a relayed Azure DevOps pipeline): never @mentioned. */
export const PIPELINE_PRINCIPAL_PREFIX = 'azure-devops:';

export interface PersonRef {
  id: string;
  name: string;
  aadObjectId?: string | undefined;
  /** The sign-in name, where it is known (the dashboard's SSO token carries it). */
  upn?: string | undefined;
}

export interface Decision {
  by: PersonRef;
  decision: 'approved' | 'rejected';
  comment: string;
  at: string;
}

export type ParamValue = string | number | boolean;

/**
 * Typed per-stage records of a run (issue 8: they replace the old `ext` bag of 18 optional fields;
 * stores written before are migrated by services/store/run-upgrade.ts).
 */
export interface CiRecord {
  devopsRunId: number;
  url?: string;
  /** The commit the pipeline built (the training job checks it out). */
  commit?: string;
}

export interface TrainingRecord {
  databricksRunId?: number;
  url?: string;
  /** The Databricks runtime (spark_version) the job ran on. */
  runtime?: string;
  /** The Databricks life-cycle state last seen (the poll plan compares it with the list of active runs). */
  lifeCycle?: string;
  mlflowRunId?: string;
}

export interface RegisteredRecord {
  version?: string;
  scoringImage?: string;
  /** What ran in the target environment when this version was registered: the approval compares with it, a failed smoke test returns to it. */
  liveVersion?: string;
  /** Latest metrics of the live version's training run, for the approval card. */
  liveMetrics?: Record<string, number>;
}

export interface DeployRecord {
  containerGroup?: string;
  /** Set once the deploy has been requested from ARM, so a restart does not send it twice. */
  requestedAt?: string;
  /** Set once ARM accepted the PUT; from then on the group's state is read. */
  sentAt?: string;
  scoringUri?: string;
}

export interface RelayRecord {
  devopsRunId: number;
  /** When the Teams decision reached Azure DevOps. */
  relayedAt?: string;
}

export interface RunRecord {
  id: string;
  model: string;
  /**
   * The environment this run deploys to (services/workflow/environments.ts); its registry alias or
   * stage has the same name. Fixed when the run is created: the SQLite store writes its indexed
   * column then, and a save does not write it again.
   */
  target: string;
  /**
   * `train` runs the whole pipeline; `deploy` (from /deploy or /rollback) starts at the registry;
   * `relay` mirrors an Azure DevOps environment approval of a CD pipeline run and relays the decision.
   */
  kind: 'train' | 'deploy' | 'relay';
  params: Record<string, ParamValue>;
  branch: string;
  requester: PersonRef;
  conversationId: string;
  status: RunStatus;
  stages: StageRecord[];
  /** CI (train runs): the Azure DevOps pipeline run that built the commit and the scoring image. */
  ci?: CiRecord;
  /** Training: the Databricks job run, and the MLflow run of the version's training (also for deploy runs, from the registry). */
  training?: TrainingRecord;
  /** The registered model version this run deploys: named at the start (/deploy, promote, rollback) or registered by training. */
  registered?: RegisteredRecord;
  /** Deploy: the container group, the persisted intent and PUT, and where the version answers. */
  deploy?: DeployRecord;
  /** Relay runs: the Azure DevOps CD pipeline run whose environment approval this run mirrors. */
  relay?: RelayRecord;
  metrics: { name: string; points: { step: number; value: number }[] }[];
  approval?: {
    required: number;
    expiresAt: string;
    decisions: Decision[];
    state: 'pending' | 'approved' | 'rejected' | 'expired' | 'stale';
    devopsApprovalId?: string;
  };
  smoke?: { status: number; latencyMs: number; ok: boolean; detail: string };
  /** A rollback after a failed smoke test, as persisted steps: intent, then the PUT (sentAt), then the group's state. */
  rollback?: { toVersion: string; image: string; requestedAt: string; sentAt?: string; problem: string; logTail: string[] };
  rolledBackTo?: string;
  failure?: { stage: StageId; system: string; message: string; logTail: string[] };
  retryOf?: string;
  /** A promotion: the run whose version passed the environment before this one. */
  promotedFrom?: string;
  /** Set once (version-checked) when this run's version was promoted to the next environment, so a second click starts nothing. */
  promotion?: { env: string; runId: string; by: PersonRef; at: string };
  /** The instance that makes the run's next write to Azure that must not be made twice at once (./send-claim). */
  sending?: SendClaim;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** The calls ./send-claim guards: queue the CI build, PUT the deploy's or the rollback's container group, send a decision to Azure DevOps. */
export type SendStep = 'ci' | 'deploy' | 'rollback' | 'relay';

/** Which instance makes a step's call, and since when (./send-claim). */
export interface SendClaim {
  step: SendStep;
  by: string;
  at: string;
}

/** The Azure DevOps pipeline run a run follows: its CI run, or the CD run a relay run mirrors. */
export function devopsRunOf(run: RunRecord): number | undefined {
  return run.ci?.devopsRunId ?? run.relay?.devopsRunId;
}

export function stageOf(run: RunRecord, id: StageId): StageRecord {
  const s = run.stages.find((x) => x.id === id);
  if (!s) throw new Error(`run ${run.id} has no stage ${id}`);
  return s;
}

export function currentStage(run: RunRecord): StageRecord | undefined {
  return run.stages.find((s) => s.state === 'running' || s.state === 'waiting' || s.state === 'queued' || s.state === 'pending');
}
