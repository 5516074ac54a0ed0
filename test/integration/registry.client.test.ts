import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { SANDBOX_DATABRICKS_TOKEN, startDatabricksSandbox, type DatabricksSandbox } from '../../sandbox/databricks/databricks.sandbox';
import { DatabricksClient } from '../../services/databricks/databricks.client';
import { RegistryClient } from '../../services/registry/registry.client';
import type { MetricPoint } from '../../services/registry/registry.types';
import { startMlflowOssSandbox, type MlflowOssSandbox } from '../../sandbox/mlflow/mlflow-oss.sandbox';

const UC_NAME = 'main.mlops.fashion_cnn';

describe('RegistryClient against the MLflow routes of the Databricks sandbox', () => {
  let clock: SandboxClock;
  let faults: FaultRegistry;
  let sandbox: DatabricksSandbox;
  let databricks: DatabricksClient;
  let registry: RegistryClient;

  beforeAll(async () => {
    clock = new SandboxClock(1);
    faults = new FaultRegistry();
    sandbox = await startDatabricksSandbox({ clock, faults });
    databricks = new DatabricksClient({ host: sandbox.url, token: SANDBOX_DATABRICKS_TOKEN, retry: { baseDelayInMs: 5, maxDelayInMs: 50 } });
    registry = new RegistryClient({ trackingUri: sandbox.url, token: SANDBOX_DATABRICKS_TOKEN, timeoutInMs: 2000, retry: { baseDelayInMs: 5, maxDelayInMs: 50, maxRetries: 3 } });
  });
  afterAll(() => sandbox.close());
  afterEach(() => faults.clear());

  it('shows metrics appearing epoch by epoch while training runs, then a registered READY version with its scoring image', async () => {
    const poller = await databricks.beginRunJob(sandbox.state.trainingJobId, { jobParameters: { epochs: '4' } });
    clock.advance(60_000 + 2 * 20_000 + 1); // cluster up, two epochs done
    const running = await poller.poll();
    expect(running.state.phase).toBe('running');
    const partial = await databricks.getRunOutput(running.tasks[0]!.runId);
    const mlflowRunId = /MLflow run: ([0-9a-f]{32})/.exec(partial.logs ?? '')?.[1];
    expect(mlflowRunId).toBeDefined();
    const loss: MetricPoint[] = [];
    for await (const p of registry.listMetricHistory(mlflowRunId!, 'train_loss')) loss.push(p);
    expect(loss.map((p) => p.step)).toEqual([1, 2]);
    expect(loss[1]!.value).toBeLessThan(loss[0]!.value);

    clock.advance(2 * 20_000 + 10_000);
    const done = await poller.poll();
    expect(done.state.result).toBe('SUCCESS');
    const out = await databricks.getRunOutput(done.tasks[0]!.runId);
    expect(out.training?.mlflowRunId).toBe(mlflowRunId);

    const run = await registry.getRun(mlflowRunId!);
    expect(run).toMatchObject({ status: 'FINISHED', params: { epochs: '4' }, tags: { 'mlops.databricks_run_id': String(done.runId) } });
    expect(run.metrics.val_accuracy).toBeGreaterThan(0.5);

    const version = out.training!.modelVersion!;
    const uc = registry.models('unity-catalog');
    const mv = await uc.getVersion(UC_NAME, version);
    expect(mv).toMatchObject({ name: UC_NAME, runId: mlflowRunId });
    clock.advance(3_000);
    expect((await uc.getLatestVersion(UC_NAME))?.version).toBe(version);
  });

  it('pages the metric history with next_page_token', async () => {
    const poller = await databricks.beginRunJob(sandbox.state.trainingJobId, { jobParameters: { epochs: '5' } });
    clock.advance(60_000 + 5 * 20_000 + 10_000);
    const done = await poller.poll();
    const out = await databricks.getRunOutput(done.tasks[0]!.runId);
    const steps: number[] = [];
    for await (const p of registry.listMetricHistory(out.training!.mlflowRunId, 'val_accuracy', { pageSize: 2 })) steps.push(p.step);
    expect(steps).toEqual([1, 2, 3, 4, 5]);
    expect(sandbox.server.calls.get('mlflow/metrics/get-history')).toBeGreaterThanOrEqual(3);
  });

  it('Unity Catalog: sorts versions numerically, answers an unset alias as unset, sets it with PUT and reads it back', async () => {
    const now = clock.now();
    sandbox.state.mlflow.createModel('main.mlops.numeric', now, 'unity-catalog');
    for (let i = 0; i < 10; i++) sandbox.state.mlflow.createVersion('main.mlops.numeric', 'unity-catalog', { source: 's', runId: 'r', userId: 'u', now: now - 10_000 });
    const uc = registry.models('unity-catalog');
    expect((await uc.getLatestVersion('main.mlops.numeric'))?.version).toBe('10');
    expect(await uc.getDeployed('main.mlops.numeric', 'production')).toBeUndefined();
    await expect(uc.getDeployed('main.mlops.missing', 'production')).rejects.toMatchObject({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST', message: "Routine or Model 'main.mlops.missing' does not exist." });
    await uc.promote('main.mlops.numeric', '9', 'production');
    expect(await uc.getDeployed('main.mlops.numeric', 'production')).toMatchObject({ version: '9', aliases: ['production'] });
    expect((await uc.getVersion('main.mlops.numeric', '9')).aliases).toEqual(['production']);
  });

  it('Workspace registry: stages with archive of the previous Production version; alias calls are refused', async () => {
    const now = clock.now();
    sandbox.state.mlflow.createModel('legacy', now, 'workspace');
    for (let i = 0; i < 3; i++) sandbox.state.mlflow.createVersion('legacy', 'workspace', { source: 's', runId: 'r', userId: 'u', now: now - 10_000 });
    const ws = registry.models('workspace');
    expect(await ws.getDeployed('legacy', 'production')).toBeUndefined();
    await ws.promote('legacy', '2', 'production');
    await ws.promote('legacy', '3', 'production');
    expect(await ws.getDeployed('legacy', 'production')).toMatchObject({ version: '3' });
    expect(sandbox.state.mlflow.version('legacy', '2', 'workspace').currentStage).toBe('Archived');
    await expect(registry.models('mlflow').getDeployed('legacy', 'production')).rejects.toMatchObject({ status: 404, code: 'ENDPOINT_NOT_FOUND' });
    // A UC name is unknown to the legacy registry (and the reverse).
    await expect(ws.getVersion('main.mlops.numeric', '1')).rejects.toMatchObject({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('fails a registration on demand: FAILED_REGISTRATION, never picked as the latest version', async () => {
    await fetch(`${sandbox.url}/_control/mlflow/fail-next-registration`, { method: 'POST' });
    const now = clock.now();
    sandbox.state.mlflow.createModel('main.mlops.flaky', now, 'unity-catalog');
    sandbox.state.mlflow.createVersion('main.mlops.flaky', 'unity-catalog', { source: 's', runId: 'r', userId: 'u', now });
    const uc = registry.models('unity-catalog');
    // Registration is not instant: PENDING_REGISTRATION until the sandbox clock moves on.
    expect(await uc.getVersion('main.mlops.flaky', '1')).toMatchObject({ status: 'PENDING_REGISTRATION' });
    clock.advance(3_000);
    expect(await uc.getVersion('main.mlops.flaky', '1')).toMatchObject({ status: 'FAILED_REGISTRATION', statusMessage: expect.any(String) as string });
    expect(await uc.getLatestVersion('main.mlops.flaky')).toBeUndefined();
  });

  it('takes GET parameters from the query only and POST parameters from the JSON body only', async () => {
    const inBody = await fetch(`${sandbox.url}/api/2.0/mlflow/unity-catalog/model-versions/get`, { method: 'GET', headers: { authorization: `Bearer ${SANDBOX_DATABRICKS_TOKEN}` } });
    expect(inBody.status).toBe(400);
    const inQuery = await fetch(`${sandbox.url}/api/2.0/mlflow/model-versions/transition-stage?name=legacy&version=1&stage=Production&archive_existing_versions=true`, { method: 'POST', headers: { authorization: `Bearer ${SANDBOX_DATABRICKS_TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    expect(inQuery.status).toBe(400);
    expect(((await inQuery.json()) as { message: string }).message).toMatch(/Missing value for required parameter/);
  });

  it('maps an unknown run to 404 RESOURCE_DOES_NOT_EXIST with the request id', async () => {
    await expect(registry.getRun('0000')).rejects.toMatchObject({ service: 'mlflow', status: 404, code: 'RESOURCE_DOES_NOT_EXIST', message: "Run '0000' not found", requestId: expect.any(String) as string });
  });

  it('retries a throttled model-version search (429) and a 502, then succeeds', async () => {
    const op = 'mlflow/unity-catalog/model-versions/search';
    faults.add({ service: 'databricks', operation: op, kind: 'status', status: 429, count: 1 });
    faults.add({ service: 'databricks', operation: op, kind: 'status', status: 502, count: 1 });
    const before = sandbox.server.calls.get(op) ?? 0;
    expect((await registry.models('unity-catalog').getLatestVersion('main.mlops.numeric'))?.version).toBe('10');
    // The faults hit this operation (a fault on a path the client does not call would leave one call).
    expect((sandbox.server.calls.get(op) ?? 0) - before).toBeGreaterThanOrEqual(2);
  });
});

describe('RegistryClient against the OSS MLflow sandbox (registry: mlflow)', () => {
  let oss: MlflowOssSandbox;
  let clock: SandboxClock;
  beforeAll(async () => {
    clock = new SandboxClock(1);
    oss = await startMlflowOssSandbox({ clock, faults: new FaultRegistry() });
  });
  afterAll(() => oss.close());

  it('answers an unset alias with 400 INVALID_PARAMETER_VALUE (read as "not deployed") and moves the alias on promote', async () => {
    const now = clock.now();
    oss.store.createModel('churn', now, 'mlflow');
    for (let i = 0; i < 2; i++) oss.store.createVersion('churn', 'mlflow', { source: 's', runId: 'r', userId: 'u', now: now - 10_000 });
    const raw = await fetch(`${oss.url}/api/2.0/mlflow/registered-models/alias?name=churn&alias=production`);
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: 'Registered model alias production not found.' });
    const client = new RegistryClient({ trackingUri: oss.url, retry: { maxRetries: 0 } }).models('mlflow');
    expect(await client.getDeployed('churn', 'production')).toBeUndefined();
    await client.promote('churn', '1', 'production');
    await client.promote('churn', '2', 'production');
    expect(await client.getDeployed('churn', 'production')).toMatchObject({ version: '2', aliases: ['production'] });
    await expect(client.getDeployed('nope', 'production')).rejects.toMatchObject({ status: 404, message: 'Registered Model with name=nope not found' });
  });
});
