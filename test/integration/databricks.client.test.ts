import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { SANDBOX_DATABRICKS_TOKEN, startDatabricksSandbox, type DatabricksSandbox } from '../../sandbox/databricks/databricks.sandbox';
import { DatabricksClient, RunPoller } from '../../services/databricks/databricks.client';
import { isDatabricksNotFound } from '../../services/databricks/databricks.mappers';
import { resolveMlRuntime } from '../../services/databricks/runtime-resolver';
import { buildTrainingRunSpec, loadTrainingInfra } from '../../services/databricks/training-run.builder';
import { parseDatabricksNotification } from '../../services/databricks/databricks-notification.parser';
import { ServiceError } from '../../services/http/errors';
import type { DatabricksRun } from '../../services/databricks/databricks.types';
import { waitUntil } from '../support/wait';

const infra = loadTrainingInfra(`${__dirname}/../../infra/databricks`);
// Sandbox timings: a 3-epoch run takes 60+60+10 = 130 s of sandbox time, i.e. ~65 ms at speed 2000.
const SPEED = 2000;

describe('DatabricksClient against the Databricks sandbox', () => {
  let clock: SandboxClock;
  let faults: FaultRegistry;
  let sandbox: DatabricksSandbox;
  let client: DatabricksClient;
  let hookServer: Server;
  const received: Array<{ body: unknown; auth: string | undefined }> = [];

  beforeAll(async () => {
    hookServer = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        received.push({ body: JSON.parse(text) as unknown, auth: req.headers.authorization });
        // Not chained: restify, loaded by other tests in this worker, patches writeHead to return undefined.
        res.writeHead(200);
        res.end();
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
    const port = (hookServer.address() as AddressInfo).port;
    clock = new SandboxClock(SPEED);
    faults = new FaultRegistry();
    sandbox = await startDatabricksSandbox({ clock, faults, notificationUrl: `http://127.0.0.1:${port}/api/webhooks/databricks`, notificationAuth: { username: 'bot', password: 'hook-secret' } });
    client = new DatabricksClient({ host: sandbox.url, token: SANDBOX_DATABRICKS_TOKEN, timeoutInMs: 2000, retry: { baseDelayInMs: 5, maxDelayInMs: 50, maxRetries: 3 } });
  });
  afterAll(async () => {
    await sandbox.close();
    await new Promise<void>((r) => hookServer.close(() => r()));
  });
  afterEach(() => faults.clear());

  async function submitTraining(params: Record<string, string> = {}): Promise<number> {
    const runtime = resolveMlRuntime(await client.listSparkVersions(), { gpu: false });
    const spec = buildTrainingRunSpec({ infra, modelName: 'main.mlops.fashion_cnn', sparkVersion: runtime.key, gpu: false, parameters: { epochs: '3', ...params }, webhookDestinationIds: [sandbox.state.webhookDestinationId] });
    return (await client.beginSubmitRun(spec)).runId;
  }

  it('submits a training run and follows it PENDING → RUNNING → TERMINATED/SUCCESS with tasks, status and run page URL', async () => {
    const runtime = resolveMlRuntime(await client.listSparkVersions(), { gpu: false });
    expect(runtime.key).toBe('17.3.x-cpu-ml-scala2.13');
    const spec = buildTrainingRunSpec({ infra, modelName: 'main.mlops.fashion_cnn', sparkVersion: runtime.key, gpu: false, parameters: { epochs: 3 }, webhookDestinationIds: [sandbox.state.webhookDestinationId] });
    // The clock is stepped, not raced (from the submit on): each poll sees the run 10 simulated seconds
    // later, so no phase can be skipped however slow the machine is.
    const speed = clock.speed;
    clock.setSpeed(1e-9);
    const phases: string[] = [];
    const poller = await client.beginSubmitRun(spec);
    try {
      const first = await poller.poll();
      expect(first.state.phase).toBe('pending');
      expect(first.runPageUrl).toMatch(/#job\/\d+\/run\/\d+$/);
      for (let i = 0; i < 200 && !(phases.at(-1) === 'TERMINATED'); i++) {
        phases.push((await poller.poll()).state.lifeCycleState);
        clock.advance(10_000);
      }
    } finally {
      clock.setSpeed(speed);
    }
    const done = await poller.pollUntilDone({ intervalInMs: 5, onUpdate: (r: DatabricksRun) => phases.push(r.state.lifeCycleState) });
    expect(phases[0]).toBe('PENDING');
    expect(phases).toContain('RUNNING');
    expect(phases[phases.length - 1]).toBe('TERMINATED');
    expect(done.state).toMatchObject({ terminal: true, result: 'SUCCESS', terminationCode: 'SUCCESS', terminationType: 'SUCCESS' });
    expect(done.endTime!.getTime()).toBeGreaterThan(done.startTime!.getTime());
    expect(done.durations.setupMs).toBe(60_000);
    const task = done.tasks[0]!;
    expect(task).toMatchObject({ taskKey: 'train', sparkVersion: '17.3.x-cpu-ml-scala2.13' });
    expect(task.runId).not.toBe(done.runId);

    const output = await client.getRunOutput(task.runId);
    expect(output.logs).toContain('epoch 3/3');
    expect(output.training).toMatchObject({ modelName: 'main.mlops.fashion_cnn', modelVersion: expect.stringMatching(/^\d+$/) as string });
    expect(output.training!.mlflowRunId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('answers get-output of a parent run with the real 400 and maps it to a ServiceError', async () => {
    const runId = await submitTraining();
    const err = (await client.getRunOutput(runId).catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ service: 'databricks', status: 400, code: 'INVALID_PARAMETER_VALUE' });
    expect(err.message).toMatch(/^Retrieving the output of runs with multiple tasks is not supported/);
    expect(err.requestId).toMatch(/[0-9a-f-]{36}/);
  });

  it('maps a missing run (400 INVALID_PARAMETER_VALUE "does not exist") to a not-found error', async () => {
    const err = await client.getRun(42).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 'INVALID_PARAMETER_VALUE', message: 'Run 42 does not exist.' });
    expect(isDatabricksNotFound(err)).toBe(true);
    const jobErr = await client.beginRunJob(0).catch((e: unknown) => e);
    expect(jobErr).toMatchObject({ status: 400, message: 'Job 0 does not exist.' });
    expect(isDatabricksNotFound(jobErr)).toBe(true);
  });

  it('refuses an outdated hard-coded runtime with 400 INVALID_PARAMETER_VALUE', async () => {
    const spec = buildTrainingRunSpec({ infra, modelName: 'm', sparkVersion: '7.3.x-cpu-ml-scala2.12', gpu: false });
    await expect(client.beginSubmitRun(spec)).rejects.toMatchObject({ status: 400, code: 'INVALID_PARAMETER_VALUE', message: 'Invalid spark version 7.3.x-cpu-ml-scala2.12.' });
  });

  it('fails the training task on demand with sandbox_fail=training, with error, trace and termination details', async () => {
    const runId = await submitTraining({ sandbox_fail: 'training' });
    const run = await new RunPoller(client, runId).pollUntilDone({ intervalInMs: 5 });
    expect(run.state).toMatchObject({ lifeCycleState: 'TERMINATED', result: 'FAILED', terminationCode: 'RUN_EXECUTION_ERROR', terminationType: 'CLIENT_ERROR' });
    const out = await client.getRunOutput(run.tasks[0]!.runId);
    expect(out.error).toMatch(/RuntimeError/);
    expect(out.errorTrace).toMatch(/Traceback/);
    expect(out.training).toBeUndefined();
  });

  it('fails a run at cluster start with INTERNAL_ERROR when the next run is set to fail', async () => {
    sandbox.state.workspace.failNextRun('libraries');
    const runId = await submitTraining();
    const run = await new RunPoller(client, runId).pollUntilDone({ intervalInMs: 5 });
    expect(run.state).toMatchObject({ lifeCycleState: 'INTERNAL_ERROR', result: 'FAILED', terminationCode: 'LIBRARY_INSTALLATION_ERROR' });
    expect(run.state.message).toMatch(/Library installation failed/);
  });

  it('cancels a run: TERMINATING, then TERMINATED/CANCELED with user_cancelled_or_timedout', async () => {
    clock.setSpeed(1); // hold the run in PENDING while we cancel it
    const poller = await client.beginRunJob(sandbox.state.trainingJobId, { jobParameters: { epochs: '2' } });
    await client.cancelRun(poller.runId);
    expect((await poller.poll()).state.phase).toBe('terminating');
    clock.advance(20_000);
    const run = await poller.poll();
    clock.setSpeed(SPEED);
    expect(run.state).toMatchObject({ terminal: true, result: 'CANCELED', terminationCode: 'USER_CANCELED', userCancelledOrTimedOut: true });
  });

  it('lists active runs across pages with next_page_token', async () => {
    clock.setSpeed(1);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await client.beginRunJob(sandbox.state.trainingJobId, { idempotencyToken: `list-${i}` })).runId);
    const seen: number[] = [];
    for await (const r of client.listActiveRuns({ pageSize: 2 })) seen.push(r.runId);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(sandbox.server.calls.get('runs/list')).toBeGreaterThanOrEqual(3);
    for (const id of ids) await client.cancelRun(id);
    clock.advance(20_000);
    clock.setSpeed(SPEED);
  });

  it('replays run-now with the same idempotency token to the same run', async () => {
    const a = await client.beginRunJob(sandbox.state.trainingJobId, { idempotencyToken: 'teams-msg-8f2c' });
    const b = await client.beginRunJob(sandbox.state.trainingJobId, { idempotencyToken: 'teams-msg-8f2c' });
    expect(b.runId).toBe(a.runId);
  });

  it('reads a job with 120 tasks across Jobs 2.2 pages', async () => {
    const job = await client.getJob(sandbox.state.wideJobId);
    expect(job.taskKeys).toHaveLength(120);
    expect(job.taskKeys[119]).toBe('task-120');
  });

  it('retries a 429 with Retry-After and one without, then succeeds', async () => {
    faults.add({ service: 'databricks', operation: 'clusters/spark-versions', kind: 'status', status: 429, retryAfterSeconds: 0, count: 1 });
    faults.add({ service: 'databricks', operation: 'runs/list', kind: 'status', status: 429, count: 2 });
    await expect(client.listSparkVersions()).resolves.toContainEqual({ key: '16.4.x-cpu-ml-scala2.12', name: '16.4 LTS ML (includes Apache Spark 3.5.2, Scala 2.12)' });
    const it = client.listRuns({ pageSize: 1 });
    await expect(it.next()).resolves.toMatchObject({ done: false });
  });

  it('gives up on persistent throttling with REQUEST_LIMIT_EXCEEDED from the Databricks error body', async () => {
    faults.add({ service: 'databricks', operation: 'runs/get', kind: 'status', status: 429, retryAfterSeconds: 0 });
    await expect(client.getRun(1)).rejects.toMatchObject({ status: 429, code: 'REQUEST_LIMIT_EXCEEDED', retryable: true });
  });

  it('retries 503 then succeeds, and retries a connection reset on a GET', async () => {
    faults.add({ service: 'databricks', operation: 'jobs/get', kind: 'status', status: 503, count: 2 });
    await expect(client.getJob(sandbox.state.trainingJobId)).resolves.toMatchObject({ name: 'train-fashion-cnn' });
    faults.add({ service: 'databricks', operation: 'jobs/get', kind: 'reset', count: 1 });
    await expect(client.getJob(sandbox.state.trainingJobId)).resolves.toMatchObject({ taskKeys: ['train'] });
  });

  it('times out a hanging call with a Timeout ServiceError', async () => {
    const impatient = new DatabricksClient({ host: sandbox.url, token: SANDBOX_DATABRICKS_TOKEN, timeoutInMs: 100, retry: { maxRetries: 0 } });
    faults.add({ service: 'databricks', operation: 'clusters/spark-versions', kind: 'timeout', count: 1 });
    await expect(impatient.listSparkVersions()).rejects.toMatchObject({ service: 'databricks', code: 'Timeout' });
  });

  it('sends job- and task-level webhooks with the documented payload shapes and Basic auth', async () => {
    received.length = 0;
    const spec = buildTrainingRunSpec({ infra, modelName: 'main.mlops.fashion_cnn', sparkVersion: '16.4.x-cpu-ml-scala2.12', gpu: false, webhookDestinationIds: ['dest-1'] });
    const hooks = { on_start: [{ id: 'dest-1' }], on_success: [{ id: 'dest-1' }], on_failure: [{ id: 'dest-1' }] };
    (spec.tasks as Array<Record<string, unknown>>)[0]!.webhook_notifications = hooks;
    const runId = (await client.beginSubmitRun(spec)).runId;
    const run = await new RunPoller(client, runId).pollUntilDone({ intervalInMs: 5 });
    // The sink posts notifications without waiting; wait for the last one of this run to arrive.
    const arrived = (): boolean => received.some((r) => { const b = r.body as { event_type?: string; run?: { run_id?: string } }; return b.event_type === 'jobs.on_success' && b.run?.run_id === String(runId); });
    await waitUntil('the job-level jobs.on_success webhook', arrived);
    const taskEvents = received.map((r) => parseDatabricksNotification(r.body)).filter((n) => n.level === 'task' && n.parentRunId === String(runId));
    expect(taskEvents.map((n) => n.eventType)).toEqual(['jobs.on_start', 'jobs.on_success']);
    expect(taskEvents[0]).toMatchObject({ taskKey: 'train', runId: String(run.tasks[0]!.runId) });
    const mine = received.filter((r) => (r.body as { run: { run_id: string; parent_run_id?: string } }).run.run_id === String(runId));
    expect(mine.map((r) => (r.body as { event_type: string }).event_type)).toEqual(['jobs.on_start', 'jobs.on_success']);
    const parsed = parseDatabricksNotification(mine[1]!.body);
    expect(parsed).toMatchObject({ level: 'job', eventType: 'jobs.on_success', runId: String(runId), jobId: String(run.jobId) });
    expect(mine[0]!.auth).toBe(`Basic ${Buffer.from('bot:hook-secret').toString('base64')}`);
    expect(Object.keys(mine[0]!.body as object).sort()).toEqual(['event_type', 'job', 'run', 'workspace_id']);
  });
});
