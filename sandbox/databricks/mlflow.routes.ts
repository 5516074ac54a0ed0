import { HttpFault, type SandboxRequest, type SandboxServer } from '../common/http-server';
import type { SandboxClock } from '../common/clock';
import type { MlflowStore } from './mlflow.store';

/**
 * MLflow REST routes (`/api/2.0/mlflow/...`) as a Databricks workspace serves them. Operation
 * names for faults are `mlflow/<path>`, e.g. `mlflow/metrics/get-history`.
 */
type Json = Record<string, unknown>;

/** A version leaves PENDING_REGISTRATION after one poll or this much simulated time. */
const REGISTRATION_MS = 2_000;

function required(req: SandboxRequest, name: string): string {
  const fromBody = req.body && typeof req.body === 'object' ? (req.body as Json)[name] : undefined;
  const v = req.query.get(name) ?? (typeof fromBody === 'string' || typeof fromBody === 'number' ? String(fromBody) : undefined);
  if (v === undefined || v === '') throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter '${name}'.`);
  return v;
}

function page<T>(items: T[], req: SandboxRequest, defaultSize: number, maxSize: number): { items: T[]; next_page_token?: string } {
  const size = Number(req.query.get('max_results') ?? defaultSize);
  if (!Number.isInteger(size) || size < 1 || size > maxSize) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', `Invalid value ${req.query.get('max_results')} for parameter 'max_results' supplied. It must be between 1 and ${maxSize}.`);
  const token = req.query.get('page_token');
  const offset = token ? Number((JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown }).offset) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', 'Invalid page token.');
  const slice = items.slice(offset, offset + size);
  const more = offset + size < items.length;
  // Like MLflow: next_page_token is omitted on the last page.
  return { items: slice, ...(more ? { next_page_token: Buffer.from(JSON.stringify({ offset: offset + size })).toString('base64') } : {}) };
}

export function registerMlflowRoutes(server: SandboxServer, store: MlflowStore, clock: SandboxClock, beforeEach: () => void): void {
  const base = '/api/2.0/mlflow';
  const on = (method: string, path: string, handler: (req: SandboxRequest) => unknown): void => {
    server.route(method, base + path, `mlflow${path}`, (req) => {
      beforeEach();
      settle(store, clock.now());
      return { status: 200, body: handler(req) };
    });
  };

  on('GET', '/runs/get', (req) => ({ run: store.runJson(store.getRun(required(req, 'run_id'))) }));

  on('GET', '/metrics/get-history', (req) => {
    const run = store.getRun(required(req, 'run_id'));
    const key = required(req, 'metric_key');
    const { items, next_page_token } = page(run.history.filter((m) => m.key === key), req, 25_000, 25_000);
    return { metrics: items, ...(next_page_token ? { next_page_token } : {}) };
  });

  on('GET', '/model-versions/search', (req) => {
    const filter = req.query.get('filter') ?? '';
    const m = /^\s*(name|run_id)\s*=\s*'((?:[^'\\]|\\.)*)'\s*$/.exec(filter);
    if (filter !== '' && !m) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', `Unsupported filter '${filter}': use name='<model>' or run_id='<id>'.`);
    const all = [...store.models.values()].flatMap((x) => x.versions);
    const value = m?.[2]?.replace(/\\'/g, "'");
    const hits = m ? all.filter((v) => (m[1] === 'name' ? v.name === value : v.runId === value)) : all;
    hits.sort((a, b) => Number(b.version) - Number(a.version));
    const { items, next_page_token } = page(hits, req, 200, 200_000);
    return { model_versions: items.map((v) => store.versionJson(v)), ...(next_page_token ? { next_page_token } : {}) };
  });

  on('GET', '/model-versions/get', (req) => {
    const v = store.version(required(req, 'name'), required(req, 'version'));
    const json = store.versionJson(v);
    if (v.status === 'PENDING_REGISTRATION') v.status = 'READY'; // the next poll sees it ready
    return { model_version: json };
  });

  on('GET', '/model-versions/get-download-uri', (req) => {
    const v = store.version(required(req, 'name'), required(req, 'version'));
    return { artifact_uri: `dbfs:/databricks/mlflow-registry/${v.runId}/models/model` };
  });

  on('POST', '/model-versions/set-tag', (req) => {
    const v = store.version(required(req, 'name'), required(req, 'version'));
    v.tags[required(req, 'key')] = required(req, 'value');
    v.lastUpdatedTimestamp = clock.now();
    return {};
  });

  on('POST', '/model-versions/create', (req) => {
    const b = (req.body ?? {}) as Json;
    const tags = Array.isArray(b.tags) ? Object.fromEntries((b.tags as Json[]).map((t) => [String(t.key), String(t.value)])) : {};
    const runId = typeof b.run_id === 'string' ? b.run_id : '';
    const v = store.createVersion(required(req, 'name'), { source: required(req, 'source'), runId, userId: 'sandbox@contoso.com', now: clock.now(), tags, description: typeof b.description === 'string' ? b.description : '' });
    return { model_version: store.versionJson(v) };
  });

  on('POST', '/registered-models/create', (req) => ({ registered_model: store.modelJson(store.createModel(required(req, 'name'), clock.now())) }));
  on('GET', '/registered-models/get', (req) => ({ registered_model: store.modelJson(store.model(required(req, 'name'))) }));

  const latestVersions = (req: SandboxRequest): unknown => {
    const model = store.model(required(req, 'name'));
    const ready = model.versions.filter((v) => v.status === 'READY');
    const newest = ready[ready.length - 1];
    const b = (req.body ?? {}) as Json;
    const stages = req.query.getAll('stages').concat(Array.isArray(b.stages) ? (b.stages as string[]) : []);
    // Every version is in stage "None" here (aliases replace stages).
    const wanted = stages.length === 0 || stages.some((s) => s.toLowerCase() === 'none');
    return { model_versions: newest && wanted ? [store.versionJson(newest)] : [] };
  };
  on('GET', '/registered-models/get-latest-versions', latestVersions);
  on('POST', '/registered-models/get-latest-versions', latestVersions);

  on('GET', '/registered-models/alias', (req) => {
    const name = required(req, 'name');
    const alias = required(req, 'alias');
    const version = store.model(name).aliases.get(alias);
    if (version === undefined) throw new HttpFault(404, 'RESOURCE_DOES_NOT_EXIST', `Registered model alias ${alias} not found.`);
    return { model_version: store.versionJson(store.version(name, version)) };
  });
  on('POST', '/registered-models/alias', (req) => {
    const name = required(req, 'name');
    const version = required(req, 'version');
    store.version(name, version); // 404 for an unknown version, as MLflow does
    store.model(name).aliases.set(required(req, 'alias'), version);
    return {};
  });
  on('DELETE', '/registered-models/alias', (req) => {
    store.model(required(req, 'name')).aliases.delete(required(req, 'alias'));
    return {};
  });
}

function settle(store: MlflowStore, now: number): void {
  for (const m of store.models.values()) for (const v of m.versions) if (v.status === 'PENDING_REGISTRATION' && now - v.creationTimestamp >= REGISTRATION_MS) v.status = 'READY';
}
