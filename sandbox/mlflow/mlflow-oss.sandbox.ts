import { SandboxServer } from '../common/http-server';
import type { SandboxClock } from '../common/clock';
import type { FaultRegistry } from '../common/faults';
import { registerMlflowRoutes } from '../databricks/mlflow.routes';
import { MlflowStore } from '../databricks/mlflow.store';

/**
 * A local OSS MLflow tracking server (`mlflow server`): the registry kind `mlflow`. Same REST paths as
 * the Databricks legacy registry plus aliases, with the OSS answers (unset alias → 400
 * INVALID_PARAMETER_VALUE; errors `{error_code, message}`, mlflow/exceptions.py). No auth, as by default.
 */
export interface MlflowOssSandbox {
  url: string;
  store: MlflowStore;
  server: SandboxServer;
  close(): Promise<void>;
}

export async function startMlflowOssSandbox(options: { clock: SandboxClock; faults: FaultRegistry; port?: number }): Promise<MlflowOssSandbox> {
  const store = new MlflowStore();
  const server = new SandboxServer({
    service: 'mlflow',
    faults: options.faults,
    clock: options.clock,
    requestIdHeader: 'x-request-id',
    errorBody: (_status, code, message) => ({ error_code: code === 'NotFound' ? 'ENDPOINT_NOT_FOUND' : code, message }),
  });
  registerMlflowRoutes(server, store, options.clock, () => undefined, 'oss');
  const url = await server.listen(options.port ?? 0);
  return { url, store, server, close: () => server.close() };
}
