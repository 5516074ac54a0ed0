import type { SandboxRequest, SandboxServer } from '../common/http-server';
import type { SandboxClock } from '../common/clock';
import { page, required } from './mlflow-params';
import type { MlflowStore } from './mlflow.store';
import { registerRegistryRoutes } from './registry.routes';
import { registerUcRoutes } from './uc-registry.routes';

/**
 * MLflow REST routes as a Databricks workspace serves them: tracking (`/api/2.0/mlflow/runs/...`),
 * the Workspace Model Registry (`/api/2.0/mlflow/registered-models|model-versions/...`) and Models in
 * Unity Catalog (`/api/2.0/mlflow/unity-catalog/...`, `/api/2.1/unity-catalog/models/...`). With
 * flavor `oss` the same server is an OSS MLflow server instead (registry with aliases, no UC).
 * Operation names for faults are `mlflow/<path>`, e.g. `mlflow/metrics/get-history`.
 */
export type MlflowFlavor = 'databricks' | 'oss';
export type On = (method: string, path: string, handler: (req: SandboxRequest) => unknown) => void;

/** A version leaves PENDING_REGISTRATION after this much sandbox-clock time (READY or FAILED_REGISTRATION). */
export const REGISTRATION_MS = 2_000;

export function registerMlflowRoutes(server: SandboxServer, store: MlflowStore, clock: SandboxClock, beforeEach: () => void, flavor: MlflowFlavor = 'databricks'): void {
  const on: On = (method, path, handler) => {
    server.route(method, path, `mlflow${path.replace(/^\/api\/2\.[01]\/(mlflow)?/, '/')}`.replace('mlflow//', 'mlflow/'), (req) => {
      beforeEach();
      store.settle(clock.now(), REGISTRATION_MS);
      return { status: 200, body: handler(req) };
    });
  };
  const base = '/api/2.0/mlflow';

  on('GET', `${base}/runs/get`, (req) => ({ run: store.runJson(store.getRun(required(req, 'run_id'))) }));

  on('GET', `${base}/metrics/get-history`, (req) => {
    const run = store.getRun(required(req, 'run_id'));
    const key = required(req, 'metric_key');
    const { items, next_page_token } = page(run.history.filter((m) => m.key === key), req, 25_000, 25_000);
    return { metrics: items, ...(next_page_token ? { next_page_token } : {}) };
  });

  registerRegistryRoutes(on, store, clock, flavor === 'oss' ? 'mlflow' : 'workspace', base);
  if (flavor === 'databricks') {
    registerRegistryRoutes(on, store, clock, 'unity-catalog', `${base}/unity-catalog`);
    registerUcRoutes(on, store);
  }
}
