import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildTrainingRunSpec, InvalidTrainingParameterError, loadTrainingInfra } from '../../services/databricks/training-run.builder';
import { resolveMlRuntime } from '../../services/databricks/runtime-resolver';
import { SANDBOX_SPARK_VERSIONS } from '../../sandbox/databricks/spark-versions.data';

const ROOT = join(__dirname, '..', '..');
const SCHEMAS = join(ROOT, 'test/fixtures/schemas/databricks');
const INFRA = join(ROOT, 'infra/databricks');
const readJson = (p: string): object => JSON.parse(readFileSync(p, 'utf8')) as object;
// strict:false: the Databricks schemas carry markdownDescription, deprecationMessage ... keywords.
const ajv = new Ajv({ strict: false, allErrors: true });
const infra = loadTrainingInfra(INFRA);

describe('training run spec and infra/databricks', () => {
  const runtime = resolveMlRuntime(SANDBOX_SPARK_VERSIONS, { gpu: true });
  const spec = buildTrainingRunSpec({ infra, modelName: 'main.mlops.fashion_cnn', registry: 'unity-catalog', commit: '4f2a9c1', sparkVersion: runtime.key, gpu: true, parameters: { lr: 0.01, epochs: 5, batch_size: 64, optimizer: 'sgd' }, idempotencyToken: 'teams-msg-8f2c', webhookDestinationIds: ['dest-1'] });
  const task = (spec.tasks as Array<Record<string, unknown>>)[0]!;

  it('builds a runs/submit body that validates against the runs/submit schema', () => {
    const validate = ajv.compile(readJson(join(SCHEMAS, 'jobs-runs-submit.request.schema.json')));
    expect(validate(spec) ? [] : validate.errors).toEqual([]);
  });

  it('puts the resolved GPU runtime and node type on the new cluster and torch + mlflow in the libraries', () => {
    expect(task.new_cluster).toMatchObject({ spark_version: '17.3.x-gpu-ml-scala2.13', node_type_id: 'Standard_NC4as_T4_v3', num_workers: 0 });
    const packages = (task.libraries as Array<{ pypi?: { package: string } }>).map((l) => l.pypi?.package ?? '');
    expect(packages.some((p) => /^torch==/.test(p))).toBe(true);
    expect(packages.some((p) => /^mlflow==/.test(p))).toBe(true);
  });

  it('passes every declared parameter to train.py under its own name, with the data, registry, experiment and image CI built', () => {
    expect((task.spark_python_task as { parameters: string[] }).parameters).toEqual([
      '--model-name', 'main.mlops.fashion_cnn', '--registry', 'unity-catalog', '--data-dir', '/Volumes/main/mlops/data/fashion-mnist', '--experiment', '/Shared/mlops-chatops/fashion-cnn',
      '--databricks-run-id', '{{job.run_id}}', '--scoring-image', 'mlopsacr.azurecr.io/mlops-scoring:4f2a9c1',
      '--lr', '0.01', '--epochs', '5', '--batch_size', '64', '--optimizer', 'sgd',
    ]);
  });

  it('refuses parameter names that could inject options or override what the bot sets', () => {
    expect(() => buildTrainingRunSpec({ infra, modelName: 'm', sparkVersion: 'k', gpu: false, parameters: { '--x': '1' } })).toThrow(InvalidTrainingParameterError);
    expect(() => buildTrainingRunSpec({ infra, modelName: 'm', sparkVersion: 'k', gpu: false, parameters: { model_name: 'other' } })).toThrow(/set by the bot/);
  });

  it('has a databricks.yml bundle and job resource that validate against the bundle schema, with the same libraries', () => {
    const validate = ajv.compile(readJson(join(SCHEMAS, 'bundle/jsonschema.json')));
    for (const file of ['databricks.yml', 'resources/train.job.yml']) {
      const doc = parse(readFileSync(join(INFRA, file), 'utf8')) as unknown;
      expect({ file, errors: validate(doc) ? [] : validate.errors }).toEqual({ file, errors: [] });
    }
    const job = parse(readFileSync(join(INFRA, 'resources/train.job.yml'), 'utf8')) as { resources: { jobs: { train_model: { tasks: Array<{ libraries: unknown; new_cluster: { spark_version: string } }> } } } };
    const t = job.resources.jobs.train_model.tasks[0]!;
    expect(t.libraries).toEqual(infra.libraries);
    expect(t.new_cluster.spark_version).toBe('${var.spark_version}'); // never a literal runtime
  });

});
