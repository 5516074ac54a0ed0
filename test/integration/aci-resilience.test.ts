import { ServiceError } from '../../services/http/errors';
import { startAciHarness, scoringSpec, type AciHarness } from './aci-harness';

describe('AciClient retries, timeouts and auth against the ARM sandbox', () => {
  let h: AciHarness;
  beforeAll(async () => {
    h = await startAciHarness();
    await (await h.client().beginCreateOrUpdate(scoringSpec('steady'))).pollUntilDone();
  });
  afterAll(async () => h.close());
  afterEach(() => h.faults.clear());
  const calls = (): number => h.arm.server.calls.get('containerGroups.get') ?? 0;

  it('replaces the SDK retry and (for http) bearer policies with ours', () => {
    const names = h.client().policyNames();
    expect(names).toContain('mlopsChatopsRetryPolicy');
    expect(names).toContain('mlopsChatopsCredentialAuthPolicy');
    expect(names).not.toContain('defaultRetryPolicy');
    expect(names).not.toContain('bearerTokenAuthenticationPolicy');
  });

  it('retries a 429 with Retry-After after waiting what the server asked', async () => {
    h.faults.add({ service: 'arm', operation: 'containerGroups.get', kind: 'status', status: 429, retryAfterSeconds: 1, count: 1 });
    const before = calls();
    const started = Date.now();
    const state = await h.client({ retry: { maxRetries: 3, baseDelayInMs: 5, maxDelayInMs: 5000 } }).get('steady');
    expect(state.status).toBe('Running');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(calls() - before).toBe(2);
  });

  it('retries a 429 without Retry-After with backoff and then succeeds', async () => {
    h.faults.add({ service: 'arm', operation: 'containerGroups.get', kind: 'status', status: 429, count: 2 });
    const before = calls();
    await expect(h.client().get('steady')).resolves.toMatchObject({ name: 'steady' });
    expect(calls() - before).toBe(3);
  });

  it('retries a 503 and then succeeds', async () => {
    h.faults.add({ service: 'arm', operation: 'containerGroups.get', kind: 'status', status: 503, count: 1 });
    const before = calls();
    await expect(h.client().get('steady')).resolves.toMatchObject({ provisioningState: 'Succeeded' });
    expect(calls() - before).toBe(2);
  });

  it('gives up after the last retry with a 429 ServiceError that keeps the request id', async () => {
    h.faults.add({ service: 'arm', operation: 'containerGroups.get', kind: 'status', status: 429, count: 10 });
    const err = (await h.client({ retry: { maxRetries: 2, baseDelayInMs: 1, maxDelayInMs: 5 } }).get('steady').catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err.status).toBe(429);
    expect(err.code).toBe('TooManyRequests');
    expect(err.retryable).toBe(true);
    expect(err.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps polling a deployment through throttled and failing status polls', async () => {
    h.faults.add({ service: 'arm', operation: 'operations.get', kind: 'status', status: 429, count: 2 });
    h.faults.add({ service: 'arm', operation: 'operations.get', kind: 'status', status: 503, retryAfterSeconds: 0, count: 1 });
    const state = await (await h.client().beginCreateOrUpdate(scoringSpec('throttled'))).pollUntilDone();
    expect(state.status).toBe('Running');
    await h.client().delete('throttled');
  });

  it('times out a hanging call and retries it', async () => {
    h.faults.add({ service: 'arm', operation: 'containerGroups.get', kind: 'timeout', count: 1 });
    const before = calls();
    await expect(h.client({ timeoutInMs: 150 }).get('steady')).resolves.toMatchObject({ name: 'steady' });
    expect(calls() - before).toBe(2);
  });

  it('reports Timeout when every attempt hangs (per-call timeoutInMs)', async () => {
    h.faults.add({ service: 'arm', operation: 'containerGroups.get', kind: 'timeout', count: 5 });
    const before = calls();
    const err = (await h.client({ retry: { maxRetries: 1, baseDelayInMs: 1, maxDelayInMs: 5 } }).get('steady', { timeoutInMs: 100 }).catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err.code).toBe('Timeout');
    expect(err.operation).toBe('containerGroups.get');
    expect(calls() - before).toBe(2); // the first attempt and one retry, each cut by the per-call timeout
  });

  it('retries a connection reset on a GET', async () => {
    h.faults.add({ service: 'arm', operation: 'containerGroups.get', kind: 'reset', count: 1 });
    await expect(h.client().get('steady')).resolves.toMatchObject({ name: 'steady' });
  });

  it('does not retry a reset POST (restart is not known to be idempotent)', async () => {
    h.faults.add({ service: 'arm', operation: 'containerGroups.restart', kind: 'reset', count: 1 });
    const before = h.arm.server.calls.get('containerGroups.restart') ?? 0;
    const err = (await h.client().restart('steady').catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err.code).toBe('ECONNRESET');
    expect((h.arm.server.calls.get('containerGroups.restart') ?? 0) - before).toBe(1);
  });

  it('stops at once when the caller aborts', async () => {
    h.faults.add({ service: 'arm', operation: 'containerGroups.get', kind: 'timeout', count: 1 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = (await h.client().get('steady', { abortSignal: controller.signal }).catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err.code).toBe('Aborted');
  });

  it('ARM refuses calls without a token from the token endpoint', async () => {
    const url = `${h.arm.url}/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ContainerInstance/containerGroups/steady?api-version=2023-05-01`;
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." } });
    const forged = await fetch(url, { headers: { authorization: 'Bearer forged.token.value' } });
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('InvalidAuthenticationToken');
  });

  it('ARM requires an api-version', async () => {
    const token = (await h.credential.getToken('https://management.azure.com/.default'))?.token ?? '';
    const res = await fetch(`${h.arm.url}/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ContainerInstance/containerGroups/steady`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('MissingApiVersionParameter');
  });
});
