import type { TokenCredential } from '@azure/identity';
import { HttpPipeline, type HttpPipelineOptions, type OperationOptions } from '../http/http-pipeline';
import { SCOPES, bearerToken, entraToken, noAuth, type AuthProvider } from '../http/auth';
import type { Logger } from '../logger';
import { databricksErrorParser } from '../databricks/databricks.mappers';
import { ModelRegistry, type RegistryKind } from './model-registries';
import { toMetricPoint, toMlflowRun } from './registry.mappers';
import type { MetricPoint, MlflowRun } from './registry.types';

/**
 * MLflow tracking + model registry REST (`/api/2.0/mlflow/...`) as Databricks, Azure ML and OSS
 * MLflow serve it. `trackingUri` is the base in front of `/api/2.0/mlflow` (the workspace URL on
 * Databricks; the https form of the workspace's tracking URI on Azure ML).
 */
export interface RegistryClientOptions {
  trackingUri: string;
  /** Databricks PAT. Without it: Entra via `credential` (scope: Databricks or ARM for Azure ML), else no auth (OSS). */
  token?: string;
  credential?: TokenCredential;
  /** Which Entra scope the credential needs: the Databricks resource (default) or ARM for Azure ML. */
  backend?: 'databricks' | 'azureml';
  timeoutInMs?: number;
  retry?: HttpPipelineOptions['retry'];
  logger?: Logger;
}

export interface ListMetricHistoryOptions extends OperationOptions {
  pageSize?: number;
}

type Json = Record<string, unknown>;
const MLFLOW = '/api/2.0/mlflow';

export class RegistryClient {
  private readonly pipeline: HttpPipeline;
  private readonly views = new Map<RegistryKind, ModelRegistry>();

  constructor(options: RegistryClientOptions) {
    this.pipeline = new HttpPipeline({
      service: 'mlflow',
      baseUrl: options.trackingUri,
      auth: registryAuth(options),
      // MLflow error bodies have the Databricks shape: {error_code, message}.
      parseError: databricksErrorParser,
      ...(options.timeoutInMs !== undefined ? { timeoutInMs: options.timeoutInMs } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  async getRun(runId: string, options: OperationOptions = {}): Promise<MlflowRun> {
    const res = await this.pipeline.send<Json>('runs.get', { method: 'GET', path: `${MLFLOW}/runs/get`, query: { run_id: runId } }, options);
    return toMlflowRun((res.body.run ?? {}) as Json);
  }

  /** Every logged value of one metric, in pages (`metrics/get-history`), for the run card's chart. */
  async *listMetricHistory(runId: string, metricKey: string, options: ListMetricHistoryOptions = {}): AsyncIterableIterator<MetricPoint> {
    let pageToken: string | undefined;
    do {
      const res = await this.pipeline.send<Json>(
        'metrics.getHistory',
        { method: 'GET', path: `${MLFLOW}/metrics/get-history`, query: { run_id: runId, metric_key: metricKey, max_results: options.pageSize, page_token: pageToken } },
        options,
      );
      for (const m of Array.isArray(res.body.metrics) ? res.body.metrics : []) yield toMetricPoint(m);
      pageToken = typeof res.body.next_page_token === 'string' && res.body.next_page_token !== '' ? res.body.next_page_token : undefined;
    } while (pageToken);
  }

  /** The model-registry operations of one registry kind (mlops.config.yaml `registry:`). */
  models(kind: RegistryKind): ModelRegistry {
    let view = this.views.get(kind);
    if (!view) {
      view = new ModelRegistry(this.pipeline, kind);
      this.views.set(kind, view);
    }
    return view;
  }

  /** Sets a version tag (legacy/OSS path; UC through its MLflow endpoint). */
  async setModelVersionTag(kind: RegistryKind, name: string, version: string, key: string, value: string, options: OperationOptions = {}): Promise<void> {
    const path = kind === 'unity-catalog' ? `${MLFLOW}/unity-catalog/model-versions/tags` : `${MLFLOW}/model-versions/set-tag`;
    await this.pipeline.send('modelVersions.setTag', { method: 'POST', path, body: { name, version, key, value }, idempotent: true }, options);
  }
}

export function registryAuth(options: Pick<RegistryClientOptions, 'token' | 'credential' | 'backend'>): AuthProvider {
  if (options.token) return bearerToken(options.token);
  if (options.credential) return entraToken(options.credential, options.backend === 'azureml' ? SCOPES.arm : SCOPES.databricks);
  return noAuth;
}
