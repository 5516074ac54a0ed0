import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { SANDBOX_DATABRICKS_TOKEN, startDatabricksSandbox, type DatabricksSandbox } from '../../sandbox/databricks/databricks.sandbox';
import { DatabricksClient } from '../../services/databricks/databricks.client';
import { bearerToken } from '../../services/http/auth';
import { HttpPipeline } from '../../services/http/http-pipeline';

/**
 * The wait a throttled service asks for is the wait the client takes. The sleep is injected and
 * recorded, so the test sees the chosen delay without spending it (and asserts no duration).
 */
describe('Retry-After on the Databricks and MLflow path', () => {
  let faults: FaultRegistry;
  let sandbox: DatabricksSandbox;
  const sleeps: number[] = [];
  const sleep = async (ms: number): Promise<void> => {
    sleeps.push(ms);
  };
  beforeAll(async () => {
    faults = new FaultRegistry();
    sandbox = await startDatabricksSandbox({ clock: new SandboxClock(100), faults });
  });
  afterAll(async () => sandbox.close());
  beforeEach(() => {
    sleeps.length = 0;
    faults.clear();
  });

  // Backoff alone would wait 10..20 ms here: a wait of seconds can only come from the header.
  const retry = { baseDelayInMs: 20, maxDelayInMs: 60_000, maxRetries: 3 };

  it('waits the seconds a Databricks 429 names before trying again', async () => {
    const client = new DatabricksClient({ host: sandbox.url, token: SANDBOX_DATABRICKS_TOKEN, retry, sleep });
    faults.add({ service: 'databricks', operation: 'clusters/spark-versions', kind: 'status', status: 429, retryAfterSeconds: 7, count: 1 });
    const versions = await client.listSparkVersions();
    expect(versions.length).toBeGreaterThan(0);
    expect(sleeps).toEqual([7000]);
  });

  it('waits the seconds a 503 on an MLflow route names, on every retry', async () => {
    const pipeline = new HttpPipeline({ service: 'mlflow', baseUrl: sandbox.url, auth: bearerToken(SANDBOX_DATABRICKS_TOKEN), retry, sleep });
    faults.add({ service: 'databricks', operation: 'mlflow/model-versions/search', kind: 'status', status: 503, retryAfterSeconds: 3, count: 2 });
    const res = await pipeline.send('model-versions/search', { method: 'GET', path: '/api/2.0/mlflow/model-versions/search', query: { filter: "name='fashion-cnn'" } });
    expect(res.status).toBe(200);
    expect(sleeps).toEqual([3000, 3000]);
  });

  it('caps a hint longer than the policy allows at maxDelayInMs', async () => {
    const client = new DatabricksClient({ host: sandbox.url, token: SANDBOX_DATABRICKS_TOKEN, retry: { ...retry, maxDelayInMs: 5000 }, sleep });
    faults.add({ service: 'databricks', operation: 'clusters/spark-versions', kind: 'status', status: 429, retryAfterSeconds: 3600, count: 1 });
    await client.listSparkVersions();
    expect(sleeps).toEqual([5000]);
  });

  it('falls back to jittered backoff when the 429 carries no hint', async () => {
    const client = new DatabricksClient({ host: sandbox.url, token: SANDBOX_DATABRICKS_TOKEN, retry, sleep });
    faults.add({ service: 'databricks', operation: 'clusters/spark-versions', kind: 'status', status: 429, count: 2 });
    await client.listSparkVersions();
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(10);
    expect(sleeps[0]).toBeLessThanOrEqual(20);
    expect(sleeps[1]).toBeGreaterThanOrEqual(20);
    expect(sleeps[1]).toBeLessThanOrEqual(40);
  });
});
