import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabricksLibrary } from './databricks.types';
import type { RegistryKind } from '../registry/model-registries';

/**
 * Builds the `jobs/runs/submit` body of a training run from the specs in infra/databricks/
 * (cluster.json, library.json, training.json), on a runtime the resolver picked. The specs are
 * config as code: reviewing a change to the libraries or the cluster means reviewing those files.
 */
export interface ClusterTemplate {
  node_types: { cpu: string; gpu: string };
  num_workers: number;
  spark_conf?: Record<string, string>;
  custom_tags?: Record<string, string>;
  spark_env_vars?: Record<string, string>;
  data_security_mode?: string;
  azure_attributes?: Record<string, unknown>;
}

export interface TrainingTemplate {
  python_file: string;
  timeout_seconds: number;
  max_retries: number;
  /** Directory of the Fashion-MNIST IDX files (a Unity Catalog volume or /dbfs path): train.py --data-dir. */
  data_dir: string;
  /** MLflow experiment path: train.py --experiment. */
  experiment: string;
  /** ACR repository of the scoring image CI builds (tag = commit): train.py --scoring-image <repo>:<commit>. */
  scoring_image_repository: string;
}


export interface TrainingInfra {
  cluster: ClusterTemplate;
  libraries: DatabricksLibrary[];
  training: TrainingTemplate;
}

export interface TrainingRunInput {
  infra: TrainingInfra;
  modelName: string;
  /** mlops.config.yaml `registry:` (train.py --registry takes the same names); default unity-catalog. */
  registry?: RegistryKind;
  /** Commit CI built (its scoring image tag); without it the version gets no scoring_image tag. */
  commit?: string;
  /** Runtime key from `resolveMlRuntime` (never a literal). */
  sparkVersion: string;
  gpu: boolean;
  /** Declared training parameters, passed under their own names: `batch_size=64` → `--batch_size 64`. */
  parameters?: Record<string, string | number>;
  runName?: string;
  /** Replays with the same token return the same run (e.g. the Teams activity id). */
  idempotencyToken?: string;
  /** Notification destination ids that point at the bot's /api/webhooks/databricks. */
  webhookDestinationIds?: string[];
  /** Overrides training.json's python_file (e.g. a DBFS path). */
  pythonFile?: string;
}

export class InvalidTrainingParameterError extends Error {
  readonly code = 'InvalidTrainingParameter';
  constructor(readonly parameter: string, message: string) {
    super(message);
    this.name = 'InvalidTrainingParameterError';
  }
}

const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
// Reserved: the builder sets these itself, a user parameter must not redirect them.
const RESERVED = new Set(['model_name', 'databricks_run_id', 'registry', 'data_dir', 'experiment', 'scoring_image', 'max_samples']);

export function loadTrainingInfra(dir: string): TrainingInfra {
  const read = <T>(file: string): T => JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;
  return { cluster: read('cluster.json'), libraries: read('library.json'), training: read('training.json') };
}

/** train.py's command line (infra/databricks/src/mlops_training/params.py). */
export function trainingParameters(input: Pick<TrainingRunInput, 'modelName' | 'registry' | 'commit' | 'parameters'>, training: TrainingTemplate): string[] {
  // `{{job.run_id}}` is a Databricks dynamic value: train.py tags its MLflow run with the Databricks run id.
  const args = ['--model-name', input.modelName, '--registry', input.registry ?? 'unity-catalog', '--data-dir', training.data_dir, '--experiment', training.experiment, '--databricks-run-id', '{{job.run_id}}'];
  if (input.commit) args.push('--scoring-image', `${training.scoring_image_repository}:${input.commit}`);
  for (const [name, value] of Object.entries(input.parameters ?? {})) {
    if (!PARAM_NAME.test(name)) throw new InvalidTrainingParameterError(name, `parameter name "${name}" must be letters, digits and _`);
    if (RESERVED.has(name)) throw new InvalidTrainingParameterError(name, `parameter "${name}" is set by the bot`);
    args.push(`--${name}`, String(value)); // the declared name, unchanged (batch_size stays batch_size)
  }
  return args;
}

export function buildTrainingRunSpec(input: TrainingRunInput): Record<string, unknown> {
  const { cluster, libraries, training } = input.infra;
  const newCluster: Record<string, unknown> = {
    spark_version: input.sparkVersion,
    node_type_id: input.gpu ? cluster.node_types.gpu : cluster.node_types.cpu,
    num_workers: cluster.num_workers,
    ...(cluster.spark_conf ? { spark_conf: cluster.spark_conf } : {}),
    ...(cluster.custom_tags ? { custom_tags: { ...cluster.custom_tags, model: input.modelName } } : {}),
    ...(cluster.spark_env_vars ? { spark_env_vars: cluster.spark_env_vars } : {}),
    ...(cluster.data_security_mode ? { data_security_mode: cluster.data_security_mode } : {}),
    ...(cluster.azure_attributes ? { azure_attributes: cluster.azure_attributes } : {}),
  };
  const hooks = (input.webhookDestinationIds ?? []).slice(0, 3).map((id) => ({ id })); // Databricks allows 3 per event
  const spec: Record<string, unknown> = {
    run_name: input.runName ?? `train-${input.modelName}`,
    timeout_seconds: training.timeout_seconds,
    tasks: [
      {
        task_key: 'train',
        new_cluster: newCluster,
        libraries,
        spark_python_task: {
          python_file: input.pythonFile ?? training.python_file,
          parameters: trainingParameters(input, training),
        },
        timeout_seconds: training.timeout_seconds,
        max_retries: training.max_retries,
      },
    ],
  };
  if (input.idempotencyToken) spec.idempotency_token = input.idempotencyToken.slice(0, 64);
  if (hooks.length > 0) spec.webhook_notifications = { on_start: hooks, on_success: hooks, on_failure: hooks };
  return spec;
}
