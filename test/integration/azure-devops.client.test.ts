import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { SANDBOX_ADO_PAT, startAzureDevOpsSandbox, type AzureDevOpsSandbox } from '../../sandbox/azure-devops/azure-devops.sandbox';
import { AzureDevOpsClient } from '../../services/azure-devops/azure-devops.client';
import type { PipelineRun } from '../../services/azure-devops/azure-devops.types';
import { ServiceError } from '../../services/http/errors';

/** The client against the sandbox over real HTTP, with azure-devops-node-api unmodified in between. */
const CI = 1;
const CD = 2;
let clock: SandboxClock;
let faults: FaultRegistry;
let sandbox: AzureDevOpsSandbox;
let client: AzureDevOpsClient;

beforeEach(async () => {
  clock = new SandboxClock(1);
  faults = new FaultRegistry();
  sandbox = await startAzureDevOpsSandbox({ clock, faults });
  client = new AzureDevOpsClient({ orgUrl: `${sandbox.url}/contoso`, project: 'MLOps', auth: { pat: SANDBOX_ADO_PAT }, timeoutInMs: 2000, retry: { baseDelayInMs: 10, maxDelayInMs: 100 } });
});

afterEach(async () => {
  await sandbox.close();
});

async function until<T>(fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('AzureDevOpsClient against the sandbox', () => {
  it('queues a CI run with branch, parameters and variables, and sees it complete successfully on a fast clock', async () => {
    const run = await client.runPipeline(CI, { branch: 'feature/x', templateParameters: { modelName: 'churn' }, variables: { GIT_SHA: '4d59d25' } });
    expect(run).toMatchObject({ pipelineId: CI, pipelineName: 'mlops-ci', state: 'inProgress', result: undefined, sourceBranch: 'refs/heads/feature/x' });
    expect(run.templateParameters.modelName).toBe('churn');
    expect(run.webUrl).toContain(`_build/results?buildId=${run.id}`);
    expect(sandbox.state.lastAuthorization).toMatch(/^Basic /);
    clock.setSpeed(500);
    const done = await until(() => client.getRun(CI, run.id), (r) => r.state === 'completed');
    expect(done.result).toBe('succeeded');
    expect(done.finishedAt?.getTime()).toBeGreaterThan(done.createdAt?.getTime() ?? Infinity);
    const build = await client.getBuild(run.id);
    expect(build).toMatchObject({ id: run.id, state: 'completed', result: 'succeeded', name: run.name });
  });

  it('maps the timeline to stages, jobs and tasks with states, times, log ids and warning issues', async () => {
    const run = await client.runPipeline(CI);
    clock.advance(10 * 60_000);
    const stages = await client.getTimeline(run.id);
    expect(stages.map((s) => s.identifier)).toEqual(['Build', 'Test', 'Publish']);
    expect(stages.every((s) => s.state === 'completed' && s.result === 'succeeded')).toBe(true);
    const lint = stages[0]?.jobs[0];
    expect(lint?.tasks.map((t) => t.name)).toEqual(['Checkout', 'Use Python 3.11', 'Install requirements', 'Lint (flake8)']);
    const flake = lint?.tasks[3];
    expect(flake).toMatchObject({ result: 'succeededWithIssues', warningCount: 1 });
    expect(flake?.issues[0]?.type).toBe('warning');
    expect(flake?.issues[0]?.message).toContain('deprecated');
    expect(flake?.logId).toEqual(expect.any(Number));
    expect(flake?.startTime?.getTime()).toBeLessThan(flake?.finishTime?.getTime() ?? 0);
  });

  it('shows a run in progress part-way through its stages', async () => {
    const run = await client.runPipeline(CI);
    clock.advance(40_000); // Checkout 6 s + Python 3 s + install 25 s: lint is running
    const stages = await client.getTimeline(run.id);
    expect(stages[0]).toMatchObject({ state: 'inProgress' });
    expect(stages[0]?.jobs[0]?.tasks.map((t) => t.state)).toEqual(['completed', 'completed', 'completed', 'inProgress']);
    expect(stages[1]).toMatchObject({ state: 'pending', result: undefined });
  });

  it('fails the task named by the sandbox.failTask variable and returns its log tail with the error line', async () => {
    const run = await client.runPipeline(CI, { variables: { 'sandbox.failTask': 'Run unit tests' } });
    clock.advance(10 * 60_000);
    expect(await client.getRun(CI, run.id)).toMatchObject({ state: 'completed', result: 'failed' });
    const stages = await client.getTimeline(run.id);
    expect(stages.map((s) => s.result)).toEqual(['succeeded', 'failed', 'skipped']);
    const failed = await client.getFailedTaskLog(run.id, { lines: 3 });
    expect(failed?.task.name).toBe('Run unit tests');
    expect(failed?.task.issues).toEqual([{ type: 'error', message: "Bash exited with code '1'." }]);
    expect(failed?.lines).toHaveLength(3);
    expect(failed?.lines[1]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z ##\[error\]Bash exited with code '1'\.$/);
    expect(failed?.lines[2]).toContain('##[section]Finishing: Run unit tests');
  });

  it('lists runs newest first across pages following x-ms-continuationtoken', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.runPipeline(CI)).id);
    await client.runPipeline(CD); // another pipeline: not listed
    const pages: number[][] = [];
    for await (const page of client.listRuns(CI, { pageSize: 2 }).byPage()) pages.push(page.map((r) => r.id));
    expect(pages).toEqual([[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]]);
    const all: PipelineRun[] = [];
    for await (const r of client.listRuns(CI, { pageSize: 2, state: 'inProgress' })) all.push(r);
    expect(all.map((r) => r.id)).toEqual([...ids].reverse());
    expect(sandbox.server.calls.get('builds.list')).toBe(6);
  });

  it('cancels a run: canceling at once, then completed and canceled', async () => {
    const run = await client.runPipeline(CI);
    clock.advance(5000);
    const canceling = await client.cancelRun(run.id);
    expect(canceling.state).toBe('canceling');
    clock.advance(5000);
    expect(await client.getRun(CI, run.id)).toMatchObject({ state: 'completed', result: 'canceled' });
    const stages = await client.getTimeline(run.id);
    expect(stages[0]?.jobs[0]?.tasks[0]?.result).toBe('canceled');
    expect(stages[2]?.result).toBe('skipped');
  });

  it('waits at the Deploy stage for an approval, and an approval moves the run on to success', async () => {
    const run = await client.runPipeline(CD, { templateParameters: { epochs: 3 } });
    clock.advance(10 * 60_000);
    const [approval] = await client.listPendingApprovals(run.id);
    expect(approval).toMatchObject({ status: 'pending', runId: run.id, pipelineId: CD, minRequiredApprovers: 1 });
    const stages = await client.getTimeline(run.id);
    expect(stages.find((s) => s.identifier === 'Deploy')).toMatchObject({ waitingForApproval: true, state: 'pending', approvalIds: [approval?.id] });
    expect((await client.getRun(CD, run.id)).state).toBe('inProgress');
    const decided = await client.approve(approval?.id ?? '', 'metrics look good');
    expect(decided.status).toBe('approved');
    expect(decided.steps[0]).toMatchObject({ status: 'approved', comment: 'metrics look good' });
    expect(await client.listPendingApprovals(run.id)).toEqual([]);
    clock.advance(10 * 60_000);
    expect(await client.getRun(CD, run.id)).toMatchObject({ state: 'completed', result: 'succeeded' });
  });

  it('fails the run when its approval is rejected, and refuses a second decision with a 400', async () => {
    const run = await client.runPipeline(CD);
    clock.advance(10 * 60_000);
    const [approval] = await client.listPendingApprovals(run.id);
    expect((await client.reject(approval?.id ?? '', 'accuracy regressed')).status).toBe('rejected');
    clock.advance(1000);
    expect(await client.getRun(CD, run.id)).toMatchObject({ state: 'completed', result: 'failed' });
    expect((await client.getTimeline(run.id)).map((s) => s.result)).toEqual(['succeeded', 'succeeded', 'failed']);
    const second = await client.approve(approval?.id ?? '', 'too late').catch((e: unknown) => e);
    expect(second).toBeInstanceOf(ServiceError);
    expect(second).toMatchObject({ status: 400, code: 'ApprovalStateTransitionException', retryable: false });
  });

  it('maps an unknown approval to a 404 ServiceError with the service code and request id', async () => {
    const err = (await client.getApproval('0f027b05-0942-4a35-9218-26fa07d8760a').catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ service: 'azure-devops', operation: 'approvals.get', status: 404, code: 'ApprovalNotFoundException' });
    expect(err.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(err.message).toContain('does not exist');
  });

  it('maps a missing build (node-api resolves 404 with null) to a 404 ServiceError', async () => {
    await expect(client.getBuild(4242)).rejects.toMatchObject({ status: 404, operation: 'builds.get' });
  });

  it('maps a 400 on queue (unknown template parameter) to a ServiceError with the service message and request id', async () => {
    const err = (await client.runPipeline(CI, { templateParameters: { nope: '1' } }).catch((e: unknown) => e)) as ServiceError;
    expect(err).toMatchObject({ status: 400, code: 'PipelineValidationException', message: "Unexpected parameter 'nope'", retryable: false });
    expect(err.requestId).toEqual(expect.any(String));
  });

  it('registers a service-hook subscription with the project id and the basic auth it will send', async () => {
    const sub = await client.createHookSubscription({ eventType: 'ms.vss-pipelines.run-state-changed-event', url: 'http://127.0.0.1:9/hooks', pipelineId: CD, basicAuth: { username: 'ado', password: 's3cret-pass' }, httpHeaders: { 'X-Bot-Key': 'abc' } });
    expect(sub.eventType).toBe('ms.vss-pipelines.run-state-changed-event');
    expect(sub.publisherInputs).toMatchObject({ pipelineId: '2', projectId: '6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c' });
    const stored = sandbox.state.hooks.subscriptions.find((s) => s.id === sub.id);
    expect(stored?.consumerInputs).toMatchObject({ basicAuthUsername: 'ado', basicAuthPassword: 's3cret-pass', httpHeaders: 'X-Bot-Key:abc' });
  });
});
