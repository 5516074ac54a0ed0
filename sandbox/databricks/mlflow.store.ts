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
  tags: Record<string, string>;
}

export interface RegisteredModelRecord {
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

  model(name: string): RegisteredModelRecord {
    const m = this.models.get(name);
    if (!m) throw new HttpFault(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`);
    return m;
  }

  createModel(name: string, now: number, description = '', tags: Record<string, string> = {}): RegisteredModelRecord {
    if (this.models.has(name)) throw new HttpFault(400, 'RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
    const m: RegisteredModelRecord = { name, creationTimestamp: now, lastUpdatedTimestamp: now, description, tags, aliases: new Map(), versions: [] };
    this.models.set(name, m);
    return m;
  }

  createVersion(name: string, init: { source: string; runId: string; userId: string; now: number; tags?: Record<string, string>; description?: string }): ModelVersionRecord {
    const m = this.model(name);
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
      tags: { ...(init.tags ?? {}) },
    };
    m.versions.push(v);
    m.lastUpdatedTimestamp = init.now;
    return v;
  }

  version(name: string, version: string): ModelVersionRecord {
    const v = this.models.get(name)?.versions.find((x) => x.version === version);
    if (!v) throw new HttpFault(404, 'RESOURCE_DOES_NOT_EXIST', `Model Version (name=${name}, version=${version}) not found`);
    return v;
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

  versionJson(v: ModelVersionRecord): unknown {
    const aliases = [...(this.models.get(v.name)?.aliases ?? new Map<string, string>())].filter(([, ver]) => ver === v.version).map(([a]) => a);
    return {
      name: v.name,
      version: v.version,
      creation_timestamp: v.creationTimestamp,
      last_updated_timestamp: v.lastUpdatedTimestamp,
      user_id: v.userId,
      current_stage: 'None',
      description: v.description,
      source: v.source,
      run_id: v.runId,
      status: v.status,
      status_message: '',
      tags: kv(v.tags),
      run_link: '',
      aliases,
    };
  }

  modelJson(m: RegisteredModelRecord): unknown {
    const ready = m.versions.filter((v) => v.status === 'READY');
    const newest = ready[ready.length - 1];
    return {
      name: m.name,
      creation_timestamp: m.creationTimestamp,
      last_updated_timestamp: m.lastUpdatedTimestamp,
      description: m.description,
      // One version per stage; this registry uses aliases only, so every version is in stage None.
      latest_versions: newest ? [this.versionJson(newest)] : [],
      tags: kv(m.tags),
      aliases: [...m.aliases].map(([alias, version]) => ({ alias, version })),
    };
  }
}
