import type { AccessToken, TokenCredential } from '@azure/identity';
import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { SANDBOX_CLIENT_ID, TokenStore } from '../../sandbox/arm/token.sandbox';
import { RESOURCES } from '../../sandbox/common/sandbox-auth';
import { SANDBOX_ADO_PAT, startAzureDevOpsSandbox, type AzureDevOpsSandbox } from '../../sandbox/azure-devops/azure-devops.sandbox';
import { AzureDevOpsClient } from '../../services/azure-devops/azure-devops.client';
import { SCOPES } from '../../services/http/auth';
import { ServiceError } from '../../services/http/errors';

/** Retries, timeouts, resets and auth of the client against injected sandbox faults. */
let clock: SandboxClock;
let faults: FaultRegistry;
let sandbox: AzureDevOpsSandbox;
let tokens: TokenStore;

beforeEach(async () => {
  clock = new SandboxClock(1);
  faults = new FaultRegistry();
  tokens = new TokenStore();
  sandbox = await startAzureDevOpsSandbox({ clock, faults, auth: { tokens } });
});
afterEach(async () => {
  await sandbox.close();
});

const makeClient = (over: { timeoutInMs?: number; maxDelayInMs?: number; maxRetries?: number } = {}): AzureDevOpsClient =>
  new AzureDevOpsClient({
    orgUrl: `${sandbox.url}/contoso`,
    project: 'MLOps',
    auth: { pat: SANDBOX_ADO_PAT },
    // Generous: only the tests about timeouts set a short one (a loaded machine took 2 s for a call).
    timeoutInMs: over.timeoutInMs ?? 15_000,
    retry: { baseDelayInMs: 20, maxDelayInMs: over.maxDelayInMs ?? 200, maxRetries: over.maxRetries ?? 3 },
  });

describe('AzureDevOpsClient under faults', () => {
  it('retries a 429 without Retry-After with backoff and then succeeds', async () => {
    const client = makeClient();
    const { id } = await client.runPipeline(1);
    faults.add({ service: 'azure-devops', operation: 'builds.get', kind: 'status', status: 429, count: 2 });
    const run = await client.getBuild(id);
    expect(run.id).toBe(id);
    expect(sandbox.server.calls.get('builds.get')).toBe(3);
  });

  it('waits as long as Retry-After says on a 429 (X-RateLimit-* headers present) before retrying', async () => {
    const client = makeClient({ maxDelayInMs: 5000 });
    const { id } = await client.runPipeline(1);
    faults.add({ service: 'azure-devops', operation: 'timeline.get', kind: 'status', status: 429, retryAfterSeconds: 1, count: 1 });
    const started = Date.now();
    const stages = await client.getTimeline(id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(stages).toHaveLength(3);
  });

  it('sends ADO throttling headers and the TF400733 error body on an injected 429', async () => {
    faults.add({ service: 'azure-devops', operation: 'builds.get', kind: 'status', status: 429, retryAfterSeconds: 2, count: 1 });
    const res = await fetch(`${sandbox.url}/contoso/MLOps/_apis/build/builds/1?api-version=7.1`, { headers: { authorization: 'Basic OnBhdA==' } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.headers.get('x-ratelimit-resource')).toBe('ATCPU');
    expect(res.headers.get('x-ratelimit-delay')).toBe('2.000');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(res.headers.get('activityid')).toBe(res.headers.get('x-vss-e2eid'));
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ $id: '1', innerException: null, typeKey: 'RequestBlockedException', errorCode: 0, eventId: 3000 });
    expect(body.message).toMatch(/^TF400733: /);
  });

  it('gives up after the retry budget on a persistent 429 with a retryable ServiceError carrying the request id', async () => {
    const client = makeClient({ maxRetries: 2 });
    faults.add({ service: 'azure-devops', operation: 'approvals.get', kind: 'status', status: 429 });
    const err = (await client.getApproval('0f027b05-0942-4a35-9218-26fa07d8760a').catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ status: 429, code: 'RequestBlockedException', retryable: true, operation: 'approvals.get' });
    expect(err.requestId).toEqual(expect.any(String));
    expect(sandbox.server.calls.get('approvals.get')).toBe(3);
  });

  it('retries a 503 and then succeeds, even for a non-idempotent queue', async () => {
    const client = makeClient();
    faults.add({ service: 'azure-devops', operation: 'runs.create', kind: 'status', status: 503, count: 1 });
    const run = await client.runPipeline(2);
    expect(run.state).toBe('inProgress');
    expect(sandbox.state.runs.size).toBe(1);
  });

  it('times out a call that gets no answer and retries it when idempotent', async () => {
    const client = makeClient({ timeoutInMs: 300 });
    const { id } = await client.runPipeline(1);
    faults.add({ service: 'azure-devops', operation: 'builds.get', kind: 'timeout', count: 1 });
    const started = Date.now();
    expect((await client.getBuild(id)).id).toBe(id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('fails with a Timeout ServiceError when every attempt hangs', async () => {
    const client = makeClient({ timeoutInMs: 150, maxRetries: 1 });
    faults.add({ service: 'azure-devops', operation: 'builds.get', kind: 'timeout' });
    await expect(client.getBuild(1)).rejects.toMatchObject({ code: 'Timeout', retryable: true, operation: 'builds.get' });
  });

  it('retries a connection reset on a read, but not on an approval decision that may have been applied', async () => {
    const client = makeClient();
    const { id } = await client.runPipeline(1);
    faults.add({ service: 'azure-devops', operation: 'builds.get', kind: 'reset', count: 1 });
    expect((await client.getBuild(id)).id).toBe(id);
    faults.add({ service: 'azure-devops', operation: 'approvals.update', kind: 'reset', count: 1 });
    await expect(client.approve('0f027b05-0942-4a35-9218-26fa07d8760a', 'ok')).rejects.toMatchObject({ retryable: false, operation: 'approvals.update' });
    expect(sandbox.server.calls.get('approvals.update')).toBe(1);
  });

  it('authenticates with an Entra token for the Azure DevOps scope and refreshes it before expiry', async () => {
    const scopes: string[] = [];
    const issued: string[] = [];
    let n = 0;
    const credential: TokenCredential = {
      getToken: (scope): Promise<AccessToken> => {
        scopes.push(String(scope));
        n++;
        // Issued for the Azure DevOps resource by the sandbox's token endpoint store. The first is
        // about to expire (inside the refresh margin), the second is good for an hour.
        const lifetime = n === 1 ? 60_000 : 3_600_000;
        const { token, info } = tokens.issue(RESOURCES.azureDevOps, SANDBOX_CLIENT_ID, lifetime);
        issued.push(token);
        return Promise.resolve({ token, expiresOnTimestamp: info.expiresOnMs });
      },
    };
    const client = new AzureDevOpsClient({ orgUrl: `${sandbox.url}/contoso`, project: 'MLOps', auth: { credential }, timeoutInMs: 15_000 });
    const run = await client.runPipeline(1);
    expect(sandbox.state.lastAuthorization).toBe(`Bearer ${issued[0]!}`);
    await client.getRun(1, run.id);
    expect(sandbox.state.lastAuthorization).toBe(`Bearer ${issued[1]!}`);
    await client.getRun(1, run.id);
    expect(sandbox.state.lastAuthorization).toBe(`Bearer ${issued[1]!}`);
    expect(scopes).toEqual([SCOPES.azureDevOps, SCOPES.azureDevOps]);
  });

  it('rejects a call without credentials with 401 and the ADO error shape', async () => {
    const res = await fetch(`${sandbox.url}/contoso/MLOps/_apis/build/builds/1?api-version=7.1`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ typeKey: 'UnauthorizedRequestException', message: expect.stringMatching(/^TF400813/) as unknown });
  });
});
