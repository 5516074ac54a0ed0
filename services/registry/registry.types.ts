/** Our view of MLflow tracking and model registry objects; the wire JSON is mapped in registry.mappers.ts. */

export type MlflowRunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface MlflowRun {
  runId: string;
  runName: string | undefined;
  experimentId: string;
  /** One of MlflowRunStatus; kept open because backends add values. */
  status: string;
  startTime: Date | undefined;
  endTime: Date | undefined;
  artifactUri: string | undefined;
  /** Latest value per metric key (MLflow keeps only the last one in runs/get). */
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

export interface MetricPoint {
  key: string;
  value: number;
  timestamp: Date;
  step: number;
}

/** PENDING_REGISTRATION | READY | FAILED_REGISTRATION (open: backends add values, e.g. MODEL_VERSION_STATUS_UNKNOWN). */
export type ModelVersionStatus = string;

export interface ModelVersion {
  name: string;
  /** A string on the MLflow wire ("4"); compare with `compareModelVersions`, not as strings. */
  version: string;
  status: ModelVersionStatus;
  statusMessage: string | undefined;
  runId: string | undefined;
  source: string | undefined;
  createdAt: Date | undefined;
  updatedAt: Date | undefined;
  userId: string | undefined;
  description: string | undefined;
  tags: Record<string, string>;
  aliases: string[];
  /** The container image to deploy: tag `scoring_image` (or the older `image`). */
  scoringImage: string | undefined;
}
