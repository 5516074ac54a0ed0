import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { SANDBOX_DATABRICKS_TOKEN, startDatabricksSandbox, type DatabricksSandbox } from '../../sandbox/databricks/databricks.sandbox';
import { DatabricksClient } from '../../services/databricks/databricks.client';
import { RegistryClient } from '../../services/registry/registry.client';
import type { MetricPoint } from '../../services/registry/registry.types';

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
    for await (const p of registry.listMetricHistory(mlflowRunId!, 'loss')) loss.push(p);
    expect(loss.map((p) => p.step)).toEqual([1, 2]);
    expect(loss[1]!.value).toBeLessThan(loss[0]!.value);

    clock.advance(2 * 20_000 + 10_000);
    const done = await poller.poll();
    expect(done.state.result).toBe('SUCCESS');
    const out = await databricks.getRunOutput(done.tasks[0]!.runId);
    expect(out.training?.mlflowRunId).toBe(mlflowRunId);

    const run = await registry.getRun(mlflowRunId!);
    expect(run).toMatchObject({ status: 'FINISHED', params: { epochs: '4' }, tags: { 'mlops.databricks_run_id': String(done.runId) } });
    expect(run.metrics.accuracy).toBeGreaterThan(0.5);

    const version = out.training!.modelVersion!;
    const mv = await registry.getModelVersion('fashion-cnn', version);
    expect(mv).toMatchObject({ name: 'fashion-cnn', runId: mlflowRunId, scoringImage: `mlopsacr.azurecr.io/fashion-cnn:${version}` });
    clock.advance(3_000);
    expect((await registry.getLatestModelVersion('fashion-cnn'))?.version).toBe(version);
  });

  it('pages the metric history with next_page_token', async () => {
    const poller = await databricks.beginRunJob(sandbox.state.trainingJobId, { jobParameters: { epochs: '5' } });
    clock.advance(60_000 + 5 * 20_000 + 10_000);
    const done = await poller.poll();
    const out = await databricks.getRunOutput(done.tasks[0]!.runId);
    const steps: number[] = [];
    for await (const p of registry.listMetricHistory(out.training!.mlflowRunId, 'accuracy', { pageSize: 2 })) steps.push(p.step);
    expect(steps).toEqual([1, 2, 3, 4, 5]);
    expect(sandbox.server.calls.get('mlflow/metrics/get-history')).toBeGreaterThanOrEqual(3);
  });

  it('sorts versions numerically (10 after 9) and answers undefined for an alias that is not set', async () => {
    const now = clock.now();
    sandbox.state.mlflow.createModel('numeric', now);
    for (let i = 0; i < 10; i++) sandbox.state.mlflow.createVersion('numeric', { source: 's', runId: 'r', userId: 'u', now: now - 10_000 });
    expect((await registry.getLatestModelVersion('numeric'))?.version).toBe('10');
    expect(await registry.getModelVersionByAlias('numeric', 'production')).toBeUndefined();
  });

  it('sets the production alias after a deploy and reads the version back by alias', async () => {
    await registry.setModelVersionAlias('numeric', 'production', '9');
    const prod = await registry.getModelVersionByAlias('numeric', 'production');
    expect(prod).toMatchObject({ version: '9', aliases: ['production'] });
  });

  it('maps an unknown run to 404 RESOURCE_DOES_NOT_EXIST with the request id', async () => {
    await expect(registry.getRun('0000')).rejects.toMatchObject({ service: 'mlflow', status: 404, code: 'RESOURCE_DOES_NOT_EXIST', message: "Run '0000' not found", requestId: expect.any(String) as string });
  });

  it('retries a throttled model-version search (429) and a 502, then succeeds', async () => {
    faults.add({ service: 'databricks', operation: 'mlflow/model-versions/search', kind: 'status', status: 429, count: 1 });
    faults.add({ service: 'databricks', operation: 'mlflow/model-versions/search', kind: 'status', status: 502, count: 1 });
    expect((await registry.getLatestModelVersion('numeric'))?.version).toBe('10');
  });
});
