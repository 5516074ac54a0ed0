import type { MetricPoint, MlflowRun, ModelVersion } from './registry.types';

/** MLflow REST JSON → our types. int64 fields arrive as numbers, model versions as strings. */
type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);
const time = (v: unknown): Date | undefined => {
  const n = num(v);
  return n !== undefined && n > 0 ? new Date(n) : undefined;
};

/** `[{key, value}]` lists (tags, params) as a record. */
export function keyValues(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of Array.isArray(list) ? list : []) {
    const kv = obj(item);
    if (typeof kv.key === 'string') out[kv.key] = str(kv.value) ?? '';
  }
  return out;
}

export function toMlflowRun(wire: Json): MlflowRun {
  const info = obj(wire.info);
  const data = obj(wire.data);
  const metrics: Record<string, number> = {};
  for (const m of Array.isArray(data.metrics) ? data.metrics : []) {
    const mm = obj(m);
    const v = num(mm.value);
    if (typeof mm.key === 'string' && v !== undefined) metrics[mm.key] = v;
  }
  return {
    runId: str(info.run_id) ?? str(info.run_uuid) ?? '',
    runName: str(info.run_name),
    experimentId: str(info.experiment_id) ?? '',
    status: str(info.status) ?? 'RUNNING',
    startTime: time(info.start_time),
    endTime: time(info.end_time),
    artifactUri: str(info.artifact_uri),
    metrics,
    params: keyValues(data.params),
    tags: keyValues(data.tags),
  };
}

export function toMetricPoint(wire: unknown): MetricPoint {
  const m = obj(wire);
  return { key: str(m.key) ?? '', value: num(m.value) ?? Number.NaN, timestamp: new Date(num(m.timestamp) ?? 0), step: num(m.step) ?? 0 };
}

export function toModelVersion(wire: unknown): ModelVersion {
  const m = obj(wire);
  const tags = keyValues(m.tags);
  return {
    name: str(m.name) ?? '',
    version: str(m.version) ?? '',
    status: str(m.status) ?? 'READY',
    statusMessage: str(m.status_message) || undefined,
    runId: str(m.run_id) || undefined,
    source: str(m.source),
    createdAt: time(m.creation_timestamp),
    updatedAt: time(m.last_updated_timestamp),
    userId: str(m.user_id),
    description: str(m.description),
    tags,
    // OSS: ["champion"]; MLflow-UC: [{alias, version}].
    aliases: (Array.isArray(m.aliases) ? m.aliases : []).map((a) => (typeof a === 'string' ? a : str(obj(a).alias))).filter((a): a is string => a !== undefined),
    scoringImage: tags.scoring_image ?? tags.image,
  };
}

/** Numeric order of model versions ("10" after "9"). */
export function compareModelVersions(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a.localeCompare(b);
}

/** A `ModelVersionInfo` of the public /api/2.1/unity-catalog API (integer version, `aliases[{alias_name}]`, no tags). */
export function toUcModelVersion(wire: unknown): ModelVersion {
  const m = obj(wire);
  const full = [m.catalog_name, m.schema_name, m.model_name].every((p) => typeof p === 'string') ? `${String(m.catalog_name)}.${String(m.schema_name)}.${String(m.model_name)}` : str(m.model_name) ?? '';
  return {
    name: full,
    version: str(m.version) ?? '',
    status: str(m.status) ?? 'MODEL_VERSION_STATUS_UNKNOWN',
    statusMessage: undefined,
    runId: str(m.run_id) || undefined,
    source: str(m.source),
    createdAt: time(m.created_at),
    updatedAt: time(m.updated_at),
    userId: str(m.created_by),
    description: str(m.comment),
    tags: {},
    aliases: (Array.isArray(m.aliases) ? m.aliases : []).map((a) => str(obj(a).alias_name)).filter((a): a is string => a !== undefined),
    scoringImage: undefined,
  };
}
