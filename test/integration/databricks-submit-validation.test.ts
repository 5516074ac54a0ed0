import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { SANDBOX_DATABRICKS_TOKEN, startDatabricksSandbox, type DatabricksSandbox } from '../../sandbox/databricks/databricks.sandbox';
import { DatabricksClient } from '../../services/databricks/databricks.client';
import { ServiceError } from '../../services/http/errors';

/** runs/submit refuses what the Jobs API refuses, with its error shape, and creates no run. */
type Json = Record<string, unknown>;
const RUNTIME = '16.4.x-cpu-ml-scala2.12';
const cluster = (over: Json = {}): Json => ({ spark_version: RUNTIME, node_type_id: 'Standard_DS3_v2', num_workers: 0, ...over });
const task = (over: Json = {}): Json => ({ task_key: 'train', new_cluster: cluster(), spark_python_task: { python_file: '/Workspace/train.py' }, ...over });

let sandbox: DatabricksSandbox;
beforeAll(async () => {
  sandbox = await startDatabricksSandbox({ clock: new SandboxClock(1), faults: new FaultRegistry() });
});
afterAll(async () => sandbox.close());

async function submit(body: Json): Promise<{ status: number; body: { error_code?: string; message?: string; run_id?: number } }> {
  const res = await fetch(`${sandbox.url}/api/2.2/jobs/runs/submit`, { method: 'POST', headers: { authorization: `Bearer ${SANDBOX_DATABRICKS_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { error_code?: string; message?: string } };
}
async function refused(body: Json, code: 'INVALID_PARAMETER_VALUE' | 'MALFORMED_REQUEST', message: RegExp): Promise<void> {
  const before = sandbox.state.workspace.runs.size;
  const r = await submit(body);
  expect(r.status).toBe(400);
  expect(r.body.error_code).toBe(code);
  expect(r.body.message).toMatch(message);
  expect(sandbox.state.workspace.runs.size).toBe(before);
}

describe('Databricks runs/submit validation', () => {
  it('accepts a single-node task on a listed node type and runtime', async () => {
    const r = await submit({ run_name: 'ok', tasks: [task({ libraries: [{ pypi: { package: 'torch==2.5.1' } }, { whl: '/Volumes/x.whl' }] })] });
    expect(r.status).toBe(200);
    expect(typeof r.body.run_id).toBe('number');
  });

  it('requires compute on every task: exactly one of new_cluster, existing_cluster_id or a defined job_cluster_key', async () => {
    await refused({ tasks: [task({ new_cluster: undefined })] }, 'INVALID_PARAMETER_VALUE', /^Task train has no compute/);
    await refused({ tasks: [task({ existing_cluster_id: '0101-abc' })] }, 'INVALID_PARAMETER_VALUE', /more than one kind of compute/);
    await refused({ tasks: [task({ new_cluster: undefined, existing_cluster_id: '0101-abc' })] }, 'INVALID_PARAMETER_VALUE', /^Cluster 0101-abc does not exist\.$/);
    await refused({ tasks: [task({ new_cluster: undefined, job_cluster_key: 'main' })] }, 'INVALID_PARAMETER_VALUE', /job cluster main, which is not defined/);
    await refused({ tasks: [task({ new_cluster: undefined, environment_key: 'default' })] }, 'INVALID_PARAMETER_VALUE', /serverless/);
    const viaJobCluster = await submit({ job_clusters: [{ job_cluster_key: 'main', new_cluster: cluster() }], tasks: [task({ new_cluster: undefined, job_cluster_key: 'main' })] });
    expect(viaJobCluster.status).toBe(200);
  });

  it('takes node types from the workspace list only', async () => {
    await refused({ tasks: [task({ new_cluster: cluster({ node_type_id: 'Standard_NOPE_v99' }) })] }, 'INVALID_PARAMETER_VALUE', /^Node type Standard_NOPE_v99 is not supported/);
    await refused({ tasks: [task({ new_cluster: cluster({ driver_node_type_id: 'Standard_NOPE_v99' }) })] }, 'INVALID_PARAMETER_VALUE', /^Node type Standard_NOPE_v99/);
    await refused({ tasks: [task({ new_cluster: cluster({ node_type_id: undefined }) })] }, 'INVALID_PARAMETER_VALUE', /node_type_id/);
  });

  it('checks the libraries shape: an array of objects naming exactly one complete library', async () => {
    await refused({ tasks: [task({ libraries: 'oops' })] }, 'MALFORMED_REQUEST', /^Could not parse request object: Expected an array for field 'tasks\.train\.libraries'/);
    await refused({ tasks: [task({ libraries: ['torch'] })] }, 'MALFORMED_REQUEST', /an array of objects/);
    await refused({ tasks: [task({ libraries: [{ pypi: { package: 'x' }, whl: '/x.whl' }] })] }, 'INVALID_PARAMETER_VALUE', /exactly one of jar, egg, whl, pypi, maven, cran, requirements/);
    await refused({ tasks: [task({ libraries: [{ npm: 'left-pad' }] })] }, 'INVALID_PARAMETER_VALUE', /exactly one of/);
    await refused({ tasks: [task({ libraries: [{ pypi: {} }] })] }, 'INVALID_PARAMETER_VALUE', /pypi\.package is required/);
    await refused({ tasks: [task({ libraries: [{ maven: { coordinates: '' } }] })] }, 'INVALID_PARAMETER_VALUE', /maven\.coordinates is required/);
  });

  it('needs workers or autoscale, not both, with sane numbers', async () => {
    await refused({ tasks: [task({ new_cluster: cluster({ num_workers: -5 }) })] }, 'INVALID_PARAMETER_VALUE', /num_workers must be 0 or more, got -5/);
    await refused({ tasks: [task({ new_cluster: cluster({ num_workers: 1.5 }) })] }, 'MALFORMED_REQUEST', /num_workers/);
    await refused({ tasks: [task({ new_cluster: cluster({ num_workers: undefined }) })] }, 'INVALID_PARAMETER_VALUE', /Missing required field: .*num_workers/);
    await refused({ tasks: [task({ new_cluster: cluster({ autoscale: { min_workers: 1, max_workers: 2 } }) })] }, 'INVALID_PARAMETER_VALUE', /both num_workers and autoscale/);
    await refused({ tasks: [task({ new_cluster: cluster({ num_workers: undefined, autoscale: { min_workers: 4, max_workers: 2 } }) })] }, 'INVALID_PARAMETER_VALUE', /1 <= min_workers <= max_workers/);
    expect((await submit({ tasks: [task({ new_cluster: cluster({ num_workers: undefined, autoscale: { min_workers: 1, max_workers: 4 } }) })] })).status).toBe(200);
  });

  it('checks the runtime key: a string of the spark-versions format, offered by the workspace', async () => {
    await refused({ tasks: [task({ new_cluster: cluster({ spark_version: 13.3 }) })] }, 'MALFORMED_REQUEST', /spark_version/);
    await refused({ tasks: [task({ new_cluster: cluster({ spark_version: '99.9.x-cpu-ml-scala2.12' }) })] }, 'INVALID_PARAMETER_VALUE', /^Invalid spark version 99\.9\.x-cpu-ml-scala2\.12\.$/);
    await refused({ tasks: [task({ new_cluster: cluster({ spark_version: 'latest' }) })] }, 'INVALID_PARAMETER_VALUE', /^Invalid spark version latest\.$/);
    await refused({ tasks: [task({ new_cluster: cluster({ spark_version: undefined }) })] }, 'INVALID_PARAMETER_VALUE', /Missing required field: .*spark_version/);
  });

  it('needs tasks with unique keys', async () => {
    await refused({ tasks: [] }, 'INVALID_PARAMETER_VALUE', /at least one task/);
    await refused({ tasks: 'train' }, 'MALFORMED_REQUEST', /tasks/);
    await refused({ tasks: [task(), task()] }, 'INVALID_PARAMETER_VALUE', /Task key train is used more than once/);
  });

  it('reaches the client as a typed 400 ServiceError with the Databricks code', async () => {
    const client = new DatabricksClient({ host: sandbox.url, token: SANDBOX_DATABRICKS_TOKEN, retry: { maxRetries: 0 } });
    const err = (await client.beginSubmitRun({ tasks: [task({ new_cluster: cluster({ node_type_id: 'Standard_NOPE_v99' }) })] }).catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ service: 'databricks', status: 400, code: 'INVALID_PARAMETER_VALUE', retryable: false });
  });
});
