import { isNotFound, ServiceError } from '../http/errors';
import type { HttpPipeline, OperationOptions } from '../http/http-pipeline';
import { compareModelVersions, toModelVersion, toUcModelVersion } from './registry.mappers';
import type { ModelVersion } from './registry.types';

/**
 * "Which version is in <target>" and "promote this version" the way each registry supports it
 * (reference: docs/registries.md, from ../shared/protocols/model-registry.md):
 * - unity-catalog: alias <target> on catalog.schema.model; reads with the public
 *   /api/2.1/unity-catalog/models API, version details (tags) with the MLflow-UC endpoints;
 * - workspace: stage (production → Production) with archive of the previous version; no aliases;
 * - mlflow (OSS server): alias <target>; an unset alias answers 400 INVALID_PARAMETER_VALUE.
 */
export type RegistryKind = 'unity-catalog' | 'workspace' | 'mlflow';

type Json = Record<string, unknown>;
const MLFLOW = '/api/2.0/mlflow';
const UC_MLFLOW = '/api/2.0/mlflow/unity-catalog';
const UC = '/api/2.1/unity-catalog/models';

export class ModelRegistry {
  constructor(private readonly pipeline: HttpPipeline, readonly kind: RegistryKind) {}

  private get prefix(): string {
    return this.kind === 'unity-catalog' ? UC_MLFLOW : MLFLOW;
  }

  /** All versions of a model (`model-versions/search`, paged; UC takes no order_by). */
  async *listVersions(name: string, options: OperationOptions & { pageSize?: number } = {}): AsyncIterableIterator<ModelVersion> {
    let pageToken: string | undefined;
    do {
      const res = await this.pipeline.send<Json>(
        'modelVersions.search',
        { method: 'GET', path: `${this.prefix}/model-versions/search`, query: { filter: `name='${name.replace(/'/g, "\\'")}'`, max_results: options.pageSize ?? 200, page_token: pageToken } },
        options,
      );
      for (const v of Array.isArray(res.body.model_versions) ? res.body.model_versions : []) yield toModelVersion(v);
      pageToken = typeof res.body.next_page_token === 'string' && res.body.next_page_token !== '' ? res.body.next_page_token : undefined;
    } while (pageToken);
  }

  /** The newest READY version, by number (not string order); undefined when the model has none. */
  async getLatestVersion(name: string, options: OperationOptions = {}): Promise<ModelVersion | undefined> {
    let best: ModelVersion | undefined;
    for await (const v of this.listVersions(name, options)) {
      if (v.status !== 'READY') continue;
      if (!best || compareModelVersions(v.version, best.version) > 0) best = v;
    }
    return best;
  }

  async getVersion(name: string, version: string, options: OperationOptions = {}): Promise<ModelVersion> {
    const res = await this.pipeline.send<Json>('modelVersions.get', { method: 'GET', path: `${this.prefix}/model-versions/get`, query: { name, version } }, options);
    return toModelVersion(res.body.model_version);
  }

  /** The version deployed to `target`; undefined when nothing is (first deploy). A missing model is an error. */
  async getDeployed(name: string, target: string, options: OperationOptions = {}): Promise<ModelVersion | undefined> {
    if (this.kind === 'workspace') {
      const res = await this.pipeline.send<Json>('registeredModels.getLatestVersions', { method: 'POST', path: `${MLFLOW}/registered-models/get-latest-versions`, body: { name, stages: [workspaceStage(target)] }, idempotent: true }, options);
      // "Latest version models for each requested stage. Only return models with current READY status."
      const list = (Array.isArray(res.body.model_versions) ? res.body.model_versions : []).map(toModelVersion);
      return list.sort((a, b) => compareModelVersions(b.version, a.version))[0];
    }
    if (this.kind === 'mlflow') {
      try {
        const res = await this.pipeline.send<Json>('registeredModels.getAlias', { method: 'GET', path: `${MLFLOW}/registered-models/alias`, query: { name, alias: target } }, options);
        return toModelVersion(res.body.model_version);
      } catch (err) {
        // OSS: an unset alias is 400 INVALID_PARAMETER_VALUE; a missing model is 404 (an error here).
        if (err instanceof ServiceError && err.status === 400 && err.code === 'INVALID_PARAMETER_VALUE') return undefined;
        throw err;
      }
    }
    try {
      const res = await this.pipeline.send<Json>('ucModels.getByAlias', { method: 'GET', path: `${UC}/${encodeURIComponent(name)}/aliases/${encodeURIComponent(target)}` }, options);
      return toUcModelVersion(res.body);
    } catch (err) {
      const unset = isNotFound(err) || (err instanceof ServiceError && err.status === 400 && err.code === 'INVALID_PARAMETER_VALUE');
      if (!unset) throw err;
      // 404 for an unset alias and for a missing model alike: the model itself tells them apart (§1.8).
      await this.pipeline.send('ucModels.get', { method: 'GET', path: `${UC}/${encodeURIComponent(name)}` }, options);
      return undefined;
    }
  }

  /** Marks `version` as deployed to `target`: alias (UC, OSS) or stage with archive of the previous one (workspace). */
  async promote(name: string, version: string, target: string, options: OperationOptions = {}): Promise<void> {
    if (this.kind === 'workspace') {
      await this.pipeline.send('modelVersions.transitionStage', { method: 'POST', path: `${MLFLOW}/model-versions/transition-stage`, body: { name, version, stage: workspaceStage(target), archive_existing_versions: true }, idempotent: true }, options);
    } else if (this.kind === 'mlflow') {
      await this.pipeline.send('registeredModels.setAlias', { method: 'POST', path: `${MLFLOW}/registered-models/alias`, body: { name, alias: target, version }, idempotent: true }, options);
    } else {
      const n = Number(version);
      if (!Number.isInteger(n) || n < 1) throw new Error(`version "${version}" is not a Unity Catalog version number`);
      await this.pipeline.send('ucModels.setAlias', { method: 'PUT', path: `${UC}/${encodeURIComponent(name)}/aliases/${encodeURIComponent(target)}`, body: { version_num: n } }, options);
    }
  }
}

export function workspaceStage(target: string): string {
  const stage = ({ production: 'Production', staging: 'Staging' } as Record<string, string>)[target];
  if (!stage) throw new Error(`target "${target}" is not a stage of the Workspace Model Registry (production or staging)`);
  return stage;
}
