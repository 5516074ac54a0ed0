import type Database from 'better-sqlite3';
import type { CiRecord, DeployRecord, RegisteredRecord, RelayRecord, TrainingRecord } from '../workflow/run.types';

/** The `ext` bag of runs stored before issue 8 finished (schema versions up to 8). */
interface LegacyExt {
  devopsRunId?: number;
  devopsUrl?: string;
  commit?: string;
  databricksRunId?: number;
  databricksUrl?: string;
  databricksLifeCycle?: string;
  runtime?: string;
  mlflowRunId?: string;
  modelVersion?: string;
  scoringImage?: string;
  productionVersion?: string;
  productionMetrics?: Record<string, number>;
  containerGroup?: string;
  scoringUri?: string;
  deployRequestedAt?: string;
  deploySentAt?: string;
  relayedAt?: string;
}

/** Only the fields that are set: an absent value stays absent, not `undefined` in the JSON. */
function defined<T extends object>(o: T): T | undefined {
  const out = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * A stored run body of an older version, in today's shape: the `ext` bag becomes the typed
 * per-stage records (ci, training, registered, deploy, relay). A relay run's pipeline run is the
 * CD run it mirrors, so its devopsRunId goes to `relay`, everyone else's to `ci`. A body without
 * `ext` is returned unchanged, so the upgrade can run twice.
 */
export function upgradeRunBody(body: Record<string, unknown>): Record<string, unknown> {
  if (!('ext' in body)) return body;
  const { ext: raw, ...rest } = body;
  const ext = (raw && typeof raw === 'object' ? raw : {}) as LegacyExt;
  const isRelay = rest.kind === 'relay';
  const ci: CiRecord | undefined = !isRelay && ext.devopsRunId !== undefined ? { devopsRunId: ext.devopsRunId, ...defined({ url: ext.devopsUrl, commit: ext.commit }) } : undefined;
  const relay: RelayRecord | undefined = isRelay && ext.devopsRunId !== undefined ? { devopsRunId: ext.devopsRunId, ...defined({ relayedAt: ext.relayedAt }) } : undefined;
  const training = defined<TrainingRecord>({ databricksRunId: ext.databricksRunId, url: ext.databricksUrl, runtime: ext.runtime, lifeCycle: ext.databricksLifeCycle, mlflowRunId: ext.mlflowRunId });
  const registered = defined<RegisteredRecord>({ version: ext.modelVersion, scoringImage: ext.scoringImage, liveVersion: ext.productionVersion, liveMetrics: ext.productionMetrics });
  const deploy = defined<DeployRecord>({ containerGroup: ext.containerGroup, requestedAt: ext.deployRequestedAt, sentAt: ext.deploySentAt, scoringUri: ext.scoringUri });
  return { ...rest, ...defined({ ci, training, registered, deploy, relay }) };
}

/** Schema migration (services/store/sqlite.store.ts): rewrites every stored run body once, in the migration's transaction. */
export function upgradeStoredRuns(db: Database.Database): void {
  const rows = db.prepare("SELECT id, body FROM runs WHERE json_type(body, '$.ext') IS NOT NULL").all() as Array<{ id: string; body: string }>;
  const update = db.prepare('UPDATE runs SET body = ? WHERE id = ?');
  for (const row of rows) update.run(JSON.stringify(upgradeRunBody(JSON.parse(row.body) as Record<string, unknown>)), row.id);
}
