import { randomBytes } from 'node:crypto';
import { HttpFault } from '../common/http-server';

/**
 * In-memory MLflow tracking + model registry, with the wire shapes of MLflow REST (int64 as
 * numbers, model versions as strings). Written to by simulated training runs, read by the routes.
 */
export interface MetricRecord {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface MlflowRunRecord {
  runId: string;
  runName: string;
  experimentId: string;
  userId: string;
  status: 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';
  startTime: number;
  endTime: number | undefined;
  params: Record<string, string>;
  tags: Record<string, string>;
  history: MetricRecord[];
}

export interface ModelVersionRecord {
  name: string;
  version: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  userId: string;
  description: string;
  source: string;
  runId: string;
  status: 'PENDING_REGISTRATION' | 'READY' | 'FAILED_REGISTRATION';
  statusMessage: string;
  /** Workspace registry only: None | Staging | Production | Archived. */
  currentStage: string;
  /** Set by the control endpoint: registration ends in FAILED_REGISTRATION. */
  failRegistration: boolean;
  tags: Record<string, string>;
}

/** Which registry a model lives in; each answers with its own paths, shapes and errors. */
export type RegistryKind = 'unity-catalog' | 'workspace' | 'mlflow';

export interface RegisteredModelRecord {
  kind: RegistryKind;
  name: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  description: string;
  tags: Record<string, string>;
  aliases: Map<string, string>;
  versions: ModelVersionRecord[];
}

export const EXPERIMENT_ID = '3141592653589793';
const kv = (r: Record<string, string>): Array<{ key: string; value: string }> => Object.entries(r).map(([key, value]) => ({ key, value }));

export class MlflowStore {
  readonly runs = new Map<string, MlflowRunRecord>();
  readonly models = new Map<string, RegisteredModelRecord>();

  createRun(init: { runName: string; userId: string; startTime: number; params: Record<string, string>; tags: Record<string, string> }): MlflowRunRecord {
    const run: MlflowRunRecord = { runId: randomBytes(16).toString('hex'), experimentId: EXPERIMENT_ID, status: 'RUNNING', endTime: undefined, history: [], ...init };
    run.tags['mlflow.runName'] = init.runName;
    this.runs.set(run.runId, run);
    return run;
  }

  getRun(runId: string): MlflowRunRecord {
    const run = this.runs.get(runId);
    if (!run) throw new HttpFault(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${runId}' not found`);
    return run;
  }

  /** The model of that registry; each registry says "not found" its own way (docs/sandbox/registries.md). */
  model(name: string, kind: RegistryKind): RegisteredModelRecord {
    const m = this.models.get(name);
    if (m?.kind === kind) return m;
    if (kind === 'unity-catalog') throw new HttpFault(404, 'RESOURCE_DOES_NOT_EXIST', `Routine or Model '${name}' does not exist.`);
    if (kind === 'workspace') throw new HttpFault(404, 'RESOURCE_DOES_NOT_EXIST', `RegisteredModel '${name}' does not exist. It might have been deleted.`);
    throw new HttpFault(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`);
  }

  createModel(name: string, now: number, kind: RegistryKind, description = '', tags: Record<string, string> = {}): RegisteredModelRecord {
    if (kind === 'unity-catalog' && !/^[^.]+\.[^.]+\.[^.]+$/.test(name)) {
      throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', `Model name '${name}' is not a three-level name (catalog.schema.model).`);
    }
    if (this.models.has(name)) throw new HttpFault(400, 'RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
    const m: RegisteredModelRecord = { kind, name, creationTimestamp: now, lastUpdatedTimestamp: now, description, tags, aliases: new Map(), versions: [] };
    this.models.set(name, m);
    return m;
  }

  /** Fails the registration of the next version created (control endpoint, for FAILED_REGISTRATION by hand). */
  failNextRegistration = false;

  createVersion(name: string, kind: RegistryKind, init: { source: string; runId: string; userId: string; now: number; tags?: Record<string, string>; description?: string }): ModelVersionRecord {
    const m = this.model(name, kind);
    const v: ModelVersionRecord = {
      name,
      version: String(m.versions.length + 1),
      creationTimestamp: init.now,
      lastUpdatedTimestamp: init.now,
      userId: init.userId,
      description: init.description ?? '',
      source: init.source,
      runId: init.runId,
      status: 'PENDING_REGISTRATION',
      statusMessage: '',
      currentStage: 'None',
      failRegistration: this.failNextRegistration,
      tags: { ...(init.tags ?? {}) },
    };
    this.failNextRegistration = false;
    m.versions.push(v);
    m.lastUpdatedTimestamp = init.now;
    return v;
  }

  version(name: string, version: string, kind: RegistryKind): ModelVersionRecord {
    const v = this.model(name, kind).versions.find((x) => x.version === version);
    if (!v) throw new HttpFault(404, 'RESOURCE_DOES_NOT_EXIST', `Model Version (name=${name}, version=${version}) not found`);
    return v;
  }

  /** Registration finishes on the sandbox clock: READY, or FAILED_REGISTRATION when asked to fail. */
  settle(now: number, registrationMs: number): void {
    for (const m of this.models.values()) {
      for (const v of m.versions) {
        if (v.status !== 'PENDING_REGISTRATION' || now - v.creationTimestamp < registrationMs) continue;
        v.status = v.failRegistration ? 'FAILED_REGISTRATION' : 'READY';
        if (v.failRegistration) v.statusMessage = 'Failed to copy the model files into the registry (sandbox: fail-next-registration).';
        v.lastUpdatedTimestamp = v.creationTimestamp + registrationMs;
      }
    }
  }

  runJson(r: MlflowRunRecord): unknown {
    const latest = new Map<string, MetricRecord>();
    for (const m of r.history) {
      const prev = latest.get(m.key);
      if (!prev || m.step >= prev.step) latest.set(m.key, m);
    }
    return {
      info: {
        run_id: r.runId,
        run_uuid: r.runId,
        run_name: r.runName,
        experiment_id: r.experimentId,
        user_id: r.userId,
        status: r.status,
        start_time: r.startTime,
        ...(r.endTime !== undefined ? { end_time: r.endTime } : {}),
        artifact_uri: `dbfs:/databricks/mlflow-tracking/${r.experimentId}/${r.runId}/artifacts`,
        lifecycle_stage: 'active',
      },
      data: { metrics: [...latest.values()], params: kv(r.params), tags: kv(r.tags) },
      inputs: { dataset_inputs: [] },
    };
  }

  /** A ModelVersion as the MLflow REST of the model's registry writes it (string versions). */
  versionJson(v: ModelVersionRecord): unknown {
    const m = this.models.get(v.name);
    const kind = m?.kind ?? 'mlflow';
    const aliases = [...(m?.aliases ?? new Map<string, string>())].filter(([, ver]) => ver === v.version).map(([a]) => a);
    const common = {
      name: v.name,
      version: v.version,
      creation_timestamp: v.creationTimestamp,
      last_updated_timestamp: v.lastUpdatedTimestamp,
      user_id: v.userId,
      description: v.description,
      source: v.source,
      run_id: v.runId,
      status: v.status,
      ...(v.statusMessage ? { status_message: v.statusMessage } : {}),
      tags: kv(v.tags),
    };
    // UC (MLflow-UC message): aliases as {alias, version}, storage_location, no stages.
    if (kind === 'unity-catalog') return { ...common, storage_location: `abfss://unity-catalog@sandboxstorage.dfs.core.windows.net/__unitystorage/models/${v.name}/versions/${v.version}`, aliases: aliases.map((alias) => ({ alias, version: v.version })) };
    // Databricks' legacy ModelVersion has no aliases field.
    if (kind === 'workspace') return { ...common, current_stage: v.currentStage, run_link: '' };
    return { ...common, current_stage: v.currentStage, run_link: '', aliases };
  }

  /** ModelVersionInfo of the public /api/2.1/unity-catalog API: integer version, aliases with alias_name. */
  ucVersionInfo(v: ModelVersionRecord): unknown {
    const [catalog, schema, model] = v.name.split('.');
    const aliases = [...(this.models.get(v.name)?.aliases ?? new Map<string, string>())].filter(([, ver]) => ver === v.version);
    return {
      model_name: model, catalog_name: catalog, schema_name: schema, version: Number(v.version), source: v.source, run_id: v.runId,
      status: v.status, comment: v.description, created_at: v.creationTimestamp, created_by: v.userId, updated_at: v.lastUpdatedTimestamp, updated_by: v.userId,
      aliases: aliases.map(([alias_name]) => ({ alias_name, version_num: Number(v.version) })),
    };
  }

  modelJson(m: RegisteredModelRecord): unknown {
    return {
      name: m.name,
      creation_timestamp: m.creationTimestamp,
      last_updated_timestamp: m.lastUpdatedTimestamp,
      description: m.description,
      ...(m.kind === 'unity-catalog' ? {} : { latest_versions: latestPerStage(m).map((v) => this.versionJson(v)) }),
      tags: kv(m.tags),
      ...(m.kind === 'workspace' ? {} : { aliases: [...m.aliases].map(([alias, version]) => ({ alias, version })) }),
    };
  }
}

/** "Latest version models for each stage ... Only return models with current READY status" (model_registry.proto). */
export function latestPerStage(m: RegisteredModelRecord, stages?: readonly string[]): ModelVersionRecord[] {
  const best = new Map<string, ModelVersionRecord>();
  for (const v of m.versions) {
    if (v.status !== 'READY' || (stages && !stages.includes(v.currentStage))) continue;
    const prev = best.get(v.currentStage);
    if (!prev || Number(v.version) > Number(prev.version)) best.set(v.currentStage, v);
  }
  return [...best.values()];
}
