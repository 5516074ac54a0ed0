import type { TokenCredential } from '@azure/identity';
import { HttpPipeline, type HttpPipelineOptions, type OperationOptions } from '../http/http-pipeline';
import { SCOPES, bearerToken, entraToken, noAuth, type AuthProvider } from '../http/auth';
import { isNotFound } from '../http/errors';
import type { Logger } from '../logger';
import { databricksErrorParser } from '../databricks/databricks.mappers';
import { compareModelVersions, toMetricPoint, toMlflowRun, toModelVersion } from './registry.mappers';
import type { MetricPoint, MlflowRun, ModelVersion } from './registry.types';

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

  /** All versions of a model (`model-versions/search`, paged). */
  async *listModelVersions(name: string, options: ListMetricHistoryOptions = {}): AsyncIterableIterator<ModelVersion> {
    let pageToken: string | undefined;
    do {
      const res = await this.pipeline.send<Json>(
        'modelVersions.search',
        { method: 'GET', path: `${MLFLOW}/model-versions/search`, query: { filter: `name='${name.replace(/'/g, "\\'")}'`, max_results: options.pageSize ?? 200, page_token: pageToken } },
        options,
      );
      for (const v of Array.isArray(res.body.model_versions) ? res.body.model_versions : []) yield toModelVersion(v);
      pageToken = typeof res.body.next_page_token === 'string' && res.body.next_page_token !== '' ? res.body.next_page_token : undefined;
    } while (pageToken);
  }

  /** The newest READY version, by number (not string order); undefined when the model has none. */
  async getLatestModelVersion(name: string, options: OperationOptions = {}): Promise<ModelVersion | undefined> {
    let best: ModelVersion | undefined;
    for await (const v of this.listModelVersions(name, options)) {
      if (v.status !== 'READY') continue;
      if (!best || compareModelVersions(v.version, best.version) > 0) best = v;
    }
    return best;
  }

  async getModelVersion(name: string, version: string, options: OperationOptions = {}): Promise<ModelVersion> {
    const res = await this.pipeline.send<Json>('modelVersions.get', { method: 'GET', path: `${MLFLOW}/model-versions/get`, query: { name, version } }, options);
    return toModelVersion(res.body.model_version);
  }

  /** The version an alias (e.g. `production`) points at; undefined when the alias is not set. */
  async getModelVersionByAlias(name: string, alias: string, options: OperationOptions = {}): Promise<ModelVersion | undefined> {
    try {
      const res = await this.pipeline.send<Json>('registeredModels.getAlias', { method: 'GET', path: `${MLFLOW}/registered-models/alias`, query: { name, alias } }, options);
      return toModelVersion(res.body.model_version);
    } catch (err) {
      // No production version yet is a normal state (first deploy), not a failure.
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Points an alias at a version, e.g. `production` after a successful deploy (idempotent). */
  async setModelVersionAlias(name: string, alias: string, version: string, options: OperationOptions = {}): Promise<void> {
    await this.pipeline.send('registeredModels.setAlias', { method: 'POST', path: `${MLFLOW}/registered-models/alias`, body: { name, alias, version }, idempotent: true }, options);
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string, options: OperationOptions = {}): Promise<void> {
    await this.pipeline.send('modelVersions.setTag', { method: 'POST', path: `${MLFLOW}/model-versions/set-tag`, body: { name, version, key, value }, idempotent: true }, options);
  }
}

export function registryAuth(options: Pick<RegistryClientOptions, 'token' | 'credential' | 'backend'>): AuthProvider {
  if (options.token) return bearerToken(options.token);
  if (options.credential) return entraToken(options.credential, options.backend === 'azureml' ? SCOPES.arm : SCOPES.databricks);
  return noAuth;
}
