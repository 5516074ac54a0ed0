import { HttpFault } from '../common/http-server';

/**
 * What the Jobs API checks on runs/submit before a run exists (400, nothing created): tasks and
 * their keys, compute for every task, the node types the workspace offers, the runtime format
 * and list, workers or autoscale, the libraries' shape. A JSON value of the wrong type is a
 * MALFORMED_REQUEST (the API's request parser), a value it understands but refuses is
 * INVALID_PARAMETER_VALUE. Sources per rule in docs/sandbox/databricks.md ("runs/submit").
 */
type Json = Record<string, unknown>;

/** Azure node types this workspace offers (clusters/list-node-types would list them). */
export const SANDBOX_NODE_TYPES = ['Standard_DS3_v2', 'Standard_DS4_v2', 'Standard_DS5_v2', 'Standard_D4ds_v5', 'Standard_E8ds_v5', 'Standard_F8s', 'Standard_NC4as_T4_v3', 'Standard_NC6s_v3', 'Standard_NC24ads_A100_v4'] as const;

/** Library kinds a task may install; each library names exactly one. */
const LIBRARY_KINDS = ['jar', 'egg', 'whl', 'pypi', 'maven', 'cran', 'requirements'] as const;

/** Runtime keys look like 16.4.x-cpu-ml-scala2.12 (clusters/spark-versions). */
const SPARK_VERSION = /^\d+\.\d+\.x(-[a-z0-9-]+)?-scala\d+\.\d+$/;

const invalid = (message: string): HttpFault => new HttpFault(400, 'INVALID_PARAMETER_VALUE', message);
const malformed = (field: string, expected: string, got: unknown): HttpFault =>
  new HttpFault(400, 'MALFORMED_REQUEST', `Could not parse request object: Expected ${expected} for field '${field}', got ${JSON.stringify(got)}`);
const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const isObj = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

export interface SubmitContext {
  /** Runtime keys the workspace offers. */
  sparkVersions: ReadonlySet<string>;
  nodeTypes?: readonly string[];
}

export function validateSubmitTasks(body: Json, ctx: SubmitContext): Json[] {
  const tasks = body.tasks;
  if (tasks !== undefined && !Array.isArray(tasks)) throw malformed('tasks', 'an array', tasks);
  if (!Array.isArray(tasks) || tasks.length === 0) throw invalid('A run must have at least one task.');
  const jobClusters = body.job_clusters === undefined ? [] : body.job_clusters;
  if (!Array.isArray(jobClusters)) throw malformed('job_clusters', 'an array', jobClusters);
  const clusterKeys = new Set<string>();
  for (const jc of jobClusters as unknown[]) {
    if (!isObj(jc) || typeof jc.job_cluster_key !== 'string' || jc.job_cluster_key === '') throw invalid('Every job cluster must have a job_cluster_key.');
    if (!isObj(jc.new_cluster)) throw invalid(`Job cluster ${jc.job_cluster_key} must specify new_cluster.`);
    checkCluster(jc.new_cluster, `job_clusters.${jc.job_cluster_key}.new_cluster`, ctx);
    clusterKeys.add(jc.job_cluster_key);
  }
  const keys = new Set<string>();
  for (const raw of tasks as unknown[]) {
    if (!isObj(raw)) throw malformed('tasks', 'an object', raw);
    const t = raw;
    if (typeof t.task_key !== 'string' || t.task_key === '') throw invalid('Task key must be specified for every task.');
    if (keys.has(t.task_key)) throw invalid(`Task key ${t.task_key} is used more than once.`);
    keys.add(t.task_key);
    checkCompute(t, t.task_key, clusterKeys, ctx);
    checkLibraries(t.libraries, `tasks.${t.task_key}.libraries`);
  }
  return tasks as Json[];
}

function checkCompute(t: Json, key: string, clusterKeys: ReadonlySet<string>, ctx: SubmitContext): void {
  const given = ['new_cluster', 'existing_cluster_id', 'job_cluster_key', 'environment_key'].filter((k) => t[k] !== undefined);
  if (given.length === 0) throw invalid(`Task ${key} has no compute: specify one of new_cluster, existing_cluster_id or job_cluster_key.`);
  if (given.length > 1) throw invalid(`Task ${key} specifies more than one kind of compute (${given.join(', ')}); specify exactly one.`);
  if (t.environment_key !== undefined) throw invalid(`Task ${key} asks for serverless compute (environment_key), which is not enabled in this workspace.`);
  if (t.existing_cluster_id !== undefined) throw invalid(`Cluster ${text(t.existing_cluster_id)} does not exist.`);
  if (t.job_cluster_key !== undefined) {
    if (typeof t.job_cluster_key !== 'string' || !clusterKeys.has(t.job_cluster_key)) throw invalid(`Task ${key} refers to job cluster ${text(t.job_cluster_key)}, which is not defined in job_clusters.`);
    return;
  }
  if (!isObj(t.new_cluster)) throw malformed(`tasks.${key}.new_cluster`, 'an object', t.new_cluster);
  checkCluster(t.new_cluster, `tasks.${key}.new_cluster`, ctx);
}

function checkCluster(c: Json, where: string, ctx: SubmitContext): void {
  const sv = c.spark_version;
  if (typeof sv !== 'string') {
    if (sv === undefined) throw invalid(`Missing required field: ${where}.spark_version`);
    throw malformed(`${where}.spark_version`, 'a string', sv);
  }
  if (!SPARK_VERSION.test(sv) || !ctx.sparkVersions.has(sv)) throw invalid(`Invalid spark version ${sv}.`);
  const nodeTypes = ctx.nodeTypes ?? SANDBOX_NODE_TYPES;
  for (const field of ['node_type_id', 'driver_node_type_id'] as const) {
    const v = c[field];
    if (v === undefined && field === 'driver_node_type_id') continue;
    if (v === undefined) throw invalid(`Missing required field: ${where}.node_type_id`);
    if (typeof v !== 'string') throw malformed(`${where}.${field}`, 'a string', v);
    if (!nodeTypes.includes(v)) throw invalid(`Node type ${v} is not supported. Supported node types: ${nodeTypes.join(', ')}.`);
  }
  const hasWorkers = c.num_workers !== undefined;
  const hasAutoscale = c.autoscale !== undefined;
  if (!hasWorkers && !hasAutoscale) throw invalid(`Missing required field: ${where}.num_workers (or autoscale).`);
  if (hasWorkers && hasAutoscale) throw invalid(`${where} sets both num_workers and autoscale; set one.`);
  if (hasWorkers) {
    if (typeof c.num_workers !== 'number' || !Number.isInteger(c.num_workers)) throw malformed(`${where}.num_workers`, 'an integer', c.num_workers);
    if (c.num_workers < 0) throw invalid(`${where}.num_workers must be 0 or more, got ${c.num_workers}.`);
    return;
  }
  const a = c.autoscale;
  if (!isObj(a)) throw malformed(`${where}.autoscale`, 'an object', a);
  const { min_workers: min, max_workers: max } = a;
  if (typeof min !== 'number' || !Number.isInteger(min) || typeof max !== 'number' || !Number.isInteger(max)) throw malformed(`${where}.autoscale`, 'integer min_workers and max_workers', a);
  if (min < 1 || max < min) throw invalid(`${where}.autoscale needs 1 <= min_workers <= max_workers, got min_workers ${min} and max_workers ${max}.`);
}

function checkLibraries(libs: unknown, where: string): void {
  if (libs === undefined) return;
  if (!Array.isArray(libs)) throw malformed(where, 'an array', libs);
  for (const lib of libs as unknown[]) {
    if (!isObj(lib)) throw malformed(where, 'an array of objects', lib);
    const kinds = Object.keys(lib).filter((k) => (LIBRARY_KINDS as readonly string[]).includes(k));
    if (kinds.length !== 1 || Object.keys(lib).length !== 1) throw invalid(`Each library must specify exactly one of ${LIBRARY_KINDS.join(', ')}; got ${JSON.stringify(lib)}.`);
    const kind = kinds[0] ?? '';
    const value = lib[kind];
    const nested = kind === 'pypi' || kind === 'cran' ? 'package' : kind === 'maven' ? 'coordinates' : undefined;
    if (nested ? !(isObj(value) && typeof value[nested] === 'string' && value[nested] !== '') : !(typeof value === 'string' && value !== '')) {
      throw invalid(`Library ${kind} in ${where} is incomplete: ${nested ? `${kind}.${nested} is required` : `${kind} must be a path`}.`);
    }
  }
}
