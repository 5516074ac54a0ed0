import { HttpFault } from '../common/http-server';
import type { SandboxClock } from '../common/clock';
import { list, page, param, required } from './mlflow-params';
import { latestPerStage, type MlflowStore, type RegistryKind } from './mlflow.store';
import type { On } from './mlflow.routes';

/**
 * The MLflow model-registry endpoints of one registry kind under `prefix` (model_registry.proto and
 * databricks_uc_registry_service.proto; docs/sandbox/registries.md lists every difference):
 * - workspace (`/api/2.0/mlflow`): stages, transition-stage with archive_existing_versions, no aliases;
 * - mlflow (OSS server, `/api/2.0/mlflow`): aliases (unset alias: 400 INVALID_PARAMETER_VALUE) and stages;
 * - unity-catalog (`/api/2.0/mlflow/unity-catalog`): aliases (unset: 404), tags at `/model-versions/tags`, no stages.
 */
type Json = Record<string, unknown>;
const STAGES = ['None', 'Staging', 'Production', 'Archived'];

export function registerRegistryRoutes(on: On, store: MlflowStore, clock: SandboxClock, kind: RegistryKind, prefix: string): void {
  const uc = kind === 'unity-catalog';

  on('POST', `${prefix}/registered-models/create`, (req) => ({ registered_model: store.modelJson(store.createModel(required(req, 'name'), clock.now(), kind)) }));
  on('GET', `${prefix}/registered-models/get`, (req) => ({ registered_model: store.modelJson(store.model(required(req, 'name'), kind)) }));

  on('POST', `${prefix}/model-versions/create`, (req) => {
    const b = (req.body ?? {}) as Json;
    const tags = Array.isArray(b.tags) ? Object.fromEntries((b.tags as Json[]).map((t) => [String(t.key), String(t.value)])) : {};
    const v = store.createVersion(required(req, 'name'), kind, { source: required(req, 'source'), runId: param(req, 'run_id') ?? '', userId: 'sandbox@contoso.com', now: clock.now(), tags, description: param(req, 'description') ?? '' });
    return { model_version: store.versionJson(v) };
  });

  on('GET', `${prefix}/model-versions/get`, (req) => ({ model_version: store.versionJson(store.version(required(req, 'name'), required(req, 'version'), kind)) }));

  on('GET', `${prefix}/model-versions/search`, (req) => {
    if (uc && req.query.get('order_by')) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', "Argument 'order_by' is unsupported for models in the Unity Catalog.");
    const filter = req.query.get('filter') ?? '';
    const m = /^\s*(name|run_id)\s*=\s*'((?:[^'\\]|\\.)*)'\s*$/.exec(filter);
    if (filter !== '' && !m) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', `Unsupported filter '${filter}': use name='<model>' or run_id='<id>'.`);
    const all = [...store.models.values()].filter((x) => x.kind === kind).flatMap((x) => x.versions);
    const value = m?.[2]?.replace(/\\'/g, "'");
    const hits = m ? all.filter((v) => (m[1] === 'name' ? v.name === value : v.runId === value)) : all;
    hits.sort((a, b) => Number(b.version) - Number(a.version));
    const { items, next_page_token } = page(hits, req, 200, 200_000);
    return { model_versions: items.map((v) => store.versionJson(v)), ...(next_page_token ? { next_page_token } : {}) };
  });

  on('GET', `${prefix}/model-versions/get-download-uri`, (req) => {
    const v = store.version(required(req, 'name'), required(req, 'version'), kind);
    return { artifact_uri: uc ? `abfss://unity-catalog@sandboxstorage.dfs.core.windows.net/__unitystorage/models/${v.name}/versions/${v.version}` : `dbfs:/databricks/mlflow-registry/${v.runId}/models/model` };
  });

  on('POST', `${prefix}/model-versions/${uc ? 'tags' : 'set-tag'}`, (req) => {
    const v = store.version(required(req, 'name'), required(req, 'version'), kind);
    v.tags[required(req, 'key')] = required(req, 'value');
    v.lastUpdatedTimestamp = clock.now();
    return {};
  });

  if (!uc) {
    const latestVersions = (req: Parameters<Parameters<On>[2]>[0]): unknown => {
      const model = store.model(required(req, 'name'), kind);
      const stages = list(req, 'stages');
      for (const s of stages) if (!STAGES.includes(s)) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', `Invalid Model Version stage: ${s}. Value must be one of ${STAGES.join(', ')}.`);
      return { model_versions: latestPerStage(model, stages.length ? stages : undefined).map((v) => store.versionJson(v)) };
    };
    on('GET', `${prefix}/registered-models/get-latest-versions`, latestVersions);
    on('POST', `${prefix}/registered-models/get-latest-versions`, latestVersions);

    on('POST', `${prefix}/model-versions/transition-stage`, (req) => {
      const stage = required(req, 'stage');
      if (!STAGES.includes(stage)) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', `Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(', ')}.`);
      const archive = param(req, 'archive_existing_versions');
      if (archive === undefined) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'archive_existing_versions'.");
      const name = required(req, 'name');
      const v = store.version(name, required(req, 'version'), kind);
      if (v.status !== 'READY') throw new HttpFault(400, 'INVALID_STATE', `Model version ${v.version} is ${v.status}: only READY versions can change stage.`);
      if (archive === 'true' && stage !== 'None' && stage !== 'Archived') {
        // "all existing model versions in that stage should be atomically moved to the 'archived' stage"
        for (const o of store.model(name, kind).versions) if (o !== v && o.currentStage === stage) o.currentStage = 'Archived';
      }
      v.currentStage = stage;
      v.lastUpdatedTimestamp = clock.now();
      return { model_version: store.versionJson(v) };
    });
  }

  if (kind === 'workspace') {
    // The Workspace Model Registry has no aliases; the MLflow client refuses alias calls before sending
    // them (databricks_workspace_model_registry_rest_store.py). The sandbox refuses what gets through.
    for (const method of ['GET', 'POST', 'DELETE']) {
      on(method, `${prefix}/registered-models/alias`, () => {
        throw new HttpFault(404, 'ENDPOINT_NOT_FOUND', "Aliases are unsupported for models in the Workspace Model Registry. Upgrade to Models in Unity Catalog to access the latest features.");
      });
    }
    return;
  }

  on('GET', `${prefix}/registered-models/alias`, (req) => {
    const name = required(req, 'name');
    const alias = required(req, 'alias');
    const version = store.model(name, kind).aliases.get(alias);
    if (version === undefined) {
      // OSS (sqlalchemy_store.py): INVALID_PARAMETER_VALUE → 400; Unity Catalog: RESOURCE_DOES_NOT_EXIST → 404.
      if (uc) throw new HttpFault(404, 'RESOURCE_DOES_NOT_EXIST', `Alias ${alias} does not exist on model '${name}'.`);
      throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', `Registered model alias ${alias} not found.`);
    }
    return { model_version: store.versionJson(store.version(name, version, kind)) };
  });
  on('POST', `${prefix}/registered-models/alias`, (req) => {
    const name = required(req, 'name');
    const alias = required(req, 'alias');
    if (alias.toLowerCase() === 'latest') throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', "'latest' alias name (case insensitive) is reserved.");
    const version = required(req, 'version');
    store.version(name, version, kind); // 404 for an unknown version
    store.model(name, kind).aliases.set(alias, version);
    return {};
  });
  on('DELETE', `${prefix}/registered-models/alias`, (req) => {
    store.model(required(req, 'name'), kind).aliases.delete(required(req, 'alias'));
    return {};
  });
}
