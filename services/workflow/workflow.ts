import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Authorizer } from '../auth/authorizer';
import { CachedGroupDirectory } from '../auth/group-directory';
import { RolePolicy } from '../auth/roles';
import type { ServiceClients } from '../clients';
import type { AppConfig } from '../config/config';
import { loadTrainingInfra } from '../databricks/training-run.builder';
import type { Logger } from '../logger';
import type { RunStore } from './run-store';
import { RunEngine } from './run-engine';
import type { RunRecord } from './run.types';
import { postSample } from './smoke-test';
import { Tracker } from './tracker';
import type { Sender } from './send-claim';

export interface WorkflowOptions {
  /** Where infra/databricks lives (the repo root by default). */
  repoRoot?: string;
  now?: () => number;
  onPersisted?: (run: RunRecord) => void;
  /** The authorizer the bot shares (one group cache); built from the config when absent. */
  auth?: Authorizer;
  /** With a shared store, this instance as the maker of the calls two instances must not make at once (./send-claim). */
  sender?: Sender;
  /** Databricks notification destinations for the bot's own training runs (a live list: start-up hook setup adds to it). */
  webhookDestinationIds?: readonly string[];
}

/** The one authorization layer: roles from mlops.config.yaml, Entra groups through Microsoft Graph (cached). */
export function createAuthorizer(config: Readonly<AppConfig>, clients: Pick<ServiceClients, 'graph'>, logger: Logger): Authorizer {
  return new Authorizer(new RolePolicy(config.mlops), new CachedGroupDirectory(clients.graph, { logger: logger.child({ component: 'auth' }) }));
}

/** Wires the run engine from the configuration and the service clients. */
export function createRunEngine(config: Readonly<AppConfig>, clients: ServiceClients, runs: RunStore, logger: Logger, o: WorkflowOptions = {}): RunEngine {
  const root = o.repoRoot ?? repoRoot(__dirname);
  const host = config.mlflow?.trackingUri.replace(/\/+$/, '');
  return new RunEngine({
    runs,
    auth: o.auth ?? createAuthorizer(config, clients, logger),
    config: config.mlops,
    models: config.mlops.models,
    devops: clients.devops,
    databricks: clients.databricks,
    registry: clients.registry,
    aci: clients.aci,
    infra: loadTrainingInfra(join(root, 'infra', 'databricks')),
    now: o.now ?? Date.now,
    logger: logger.child({ component: 'workflow' }),
    registryLink: (model, version) => (host ? registryPage(host, model, version) : undefined),
    smokeTest: postSample,
    scoring: { identityId: config.azure?.scoringIdentity?.id, identityClientId: config.azure?.scoringIdentity?.clientId, databricksHost: config.databricks?.host, mlflowTrackingUri: config.mlflow?.trackingUri },
    runtimeCache: new Map(),
    liveCache: new Map(),
    ...(o.webhookDestinationIds ? { webhookDestinationIds: o.webhookDestinationIds } : {}),
    ...(o.sender ? { sender: o.sender } : {}),
    ...(o.onPersisted ? { onPersisted: o.onPersisted } : {}),
  });
}

/** The poller of unfinished runs, over the same clients as the engine. */
export function createTracker(config: Readonly<AppConfig>, clients: ServiceClients, engine: RunEngine, runs: RunStore, logger: Logger): Tracker {
  return new Tracker({ engine, runs, devops: clients.devops, databricks: clients.databricks, models: config.mlops.models, logger: logger.child({ component: 'tracker' }) });
}

/** The checkout that holds infra/databricks, found from here whether running from source or dist/. */
export function repoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'infra', 'databricks', 'library.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`infra/databricks/library.json not found above ${from}`);
  }
}

/** The workspace UI page of a model version: Catalog Explorer for a Unity Catalog name, the legacy Models page otherwise. */
export function registryPage(host: string, model: string, version: string): string {
  const parts = model.split('.');
  if (parts.length === 3) return `${host}/explore/data/models/${parts.map(encodeURIComponent).join('/')}/version/${encodeURIComponent(version)}`;
  return `${host}/ml/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}`;
}
