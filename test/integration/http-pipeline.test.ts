import { bearerToken, basicPat, noAuth } from '../../services/http/auth';
import { ServiceError } from '../../services/http/errors';
import { HttpPipeline, genericErrorParser } from '../../services/http/http-pipeline';

/** The pipeline against a scripted fetch: what it sends, what it retries, what error it gives. */
interface Call { url: string; init: RequestInit }
function scripted(replies: Array<Response | Error | ((init: RequestInit) => Promise<Response>)>): { fetchImpl: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: url instanceof Request ? url.url : url.toString(), init: init ?? {} });
    const next = replies.shift();
    if (!next) throw new Error('no more scripted replies');
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next(init ?? {}) : next;
  }) as typeof fetch;
  return { fetchImpl, calls };
}
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const sleeps: number[] = [];
const sleep = async (ms: number): Promise<void> => {
  sleeps.push(ms);
};
const pipeline = (fetchImpl: typeof fetch, over: Partial<ConstructorParameters<typeof HttpPipeline>[0]> = {}): HttpPipeline =>
  new HttpPipeline({ service: 'databricks', baseUrl: 'https://adb.example.net/', auth: bearerToken('dapi-secret-123'), fetchImpl, sleep, random: () => 1, retry: { maxRetries: 2, baseDelayInMs: 100, maxDelayInMs: 1000 }, ...over });

beforeEach(() => {
  sleeps.length = 0;
});

describe('HttpPipeline requests', () => {
  it('joins base URL and path, sets query values that are defined, and sends auth, accept, user agent and JSON', async () => {
    const { fetchImpl, calls } = scripted([json(200, { ok: true })]);
    const res = await pipeline(fetchImpl).send('op', { method: 'POST', path: '/api/2.2/jobs/runs/submit', query: { a: 1, b: undefined, c: true }, body: { x: 1 }, headers: { 'x-extra': 'y' } });
    expect(res).toMatchObject({ status: 200, body: { ok: true } });
    expect(calls[0]?.url).toBe('https://adb.example.net/api/2.2/jobs/runs/submit?a=1&c=true');
    expect(calls[0]?.init.method).toBe('POST');
    expect(calls[0]?.init.body).toBe('{"x":1}');
    expect(calls[0]?.init.headers).toEqual({ accept: 'application/json', 'user-agent': 'mlops-chatops/0.1', 'x-extra': 'y', authorization: 'Bearer dapi-secret-123', 'content-type': 'application/json' });
  });

  it('uses an absolute URL as is (continuations), sends no body or auth when there is none, and reads text on request', async () => {
    const { fetchImpl, calls } = scripted([new Response('line 1\nline 2', { status: 200 })]);
    const res = await pipeline(fetchImpl, { auth: noAuth, userAgent: 'ua/1' }).send<string>('logs', { method: 'GET', path: 'http://other.example/x?y=1', responseType: 'text' });
    expect(res.body).toBe('line 1\nline 2');
    expect(calls[0]?.url).toBe('http://other.example/x?y=1');
    expect(calls[0]?.init.body).toBeUndefined();
    expect(calls[0]?.init.headers).toEqual({ accept: 'application/json', 'user-agent': 'ua/1' });
  });

  it('answers an empty 2xx body as undefined and picks the request id from the first known header', async () => {
    const { fetchImpl } = scripted([new Response(null, { status: 204, headers: { 'x-request-id': 'r-2', 'x-databricks-request-id': 'r-3' } })]);
    const res = await pipeline(fetchImpl).send('op', { method: 'DELETE', path: 'x' });
    expect(res).toMatchObject({ status: 204, body: undefined, requestId: 'r-2' });
  });
});

describe('HttpPipeline retries', () => {
  it('retries 408, 429, 502, 503 and 504, with jittered backoff, then succeeds', async () => {
    const { fetchImpl, calls } = scripted([json(408, {}), json(429, {}), json(502, {}), json(503, {}), json(504, {}), json(200, { n: 6 })]);
    await expect(pipeline(fetchImpl, { retry: { maxRetries: 5, baseDelayInMs: 100, maxDelayInMs: 1000 } }).send('op', { method: 'GET', path: 'x' })).resolves.toMatchObject({ body: { n: 6 } });
    expect(calls).toHaveLength(6);
    // random() = 1: the top of each jitter window, doubling from the base, capped at maxDelayInMs.
    expect(sleeps).toEqual([100, 200, 400, 800, 1000]);
  });

  it('does not retry other statuses, and gives a typed error with code, message, status, request id and no secret', async () => {
    const { fetchImpl, calls } = scripted([json(400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'bad dapi-secret-123 value' }, { 'x-request-id': 'req-9' })]);
    const err = (await pipeline(fetchImpl).send('runs/submit', { method: 'POST', path: 'x' }).catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ service: 'databricks', operation: 'runs/submit', status: 400, code: 'INVALID_PARAMETER_VALUE', requestId: 'req-9', retryable: false });
    expect(err.message).toBe('bad [redacted] value');
    expect(calls).toHaveLength(1);
  });

  it('gives up after maxRetries with the last error, marked retryable', async () => {
    const { fetchImpl, calls } = scripted([json(503, {}), json(503, {}), json(503, { message: 'still down' })]);
    const err = (await pipeline(fetchImpl).send('op', { method: 'GET', path: 'x' }).catch((e: unknown) => e)) as ServiceError;
    expect(err).toMatchObject({ status: 503, message: 'still down', retryable: true });
    expect(calls).toHaveLength(3);
  });

  it('retries a network error on an idempotent call but not on a POST, unless the POST is marked idempotent', async () => {
    const reset = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    const get = scripted([reset, json(200, {})]);
    await expect(pipeline(get.fetchImpl).send('op', { method: 'GET', path: 'x' })).resolves.toMatchObject({ status: 200 });
    const post = scripted([reset, json(200, {})]);
    await expect(pipeline(post.fetchImpl).send('op', { method: 'POST', path: 'x' })).rejects.toMatchObject({ code: 'ECONNRESET', message: 'network error (ECONNRESET)', retryable: true });
    expect(post.calls).toHaveLength(1);
    const marked = scripted([reset, json(200, {})]);
    await expect(pipeline(marked.fetchImpl).send('op', { method: 'POST', path: 'x', idempotent: true })).resolves.toMatchObject({ status: 200 });
    expect(marked.calls).toHaveLength(2);
  });

  it('treats a 2xx with broken JSON as a retryable MalformedResponse', async () => {
    const { fetchImpl, calls } = scripted([new Response('{"trunc', { status: 200 }), new Response('{"trunc', { status: 200 }), new Response('{"trunc', { status: 200 })]);
    const err = (await pipeline(fetchImpl).send('op', { method: 'GET', path: 'x' }).catch((e: unknown) => e)) as ServiceError;
    expect(err).toMatchObject({ code: 'MalformedResponse', status: 200, retryable: true, message: 'the response body is not valid JSON' });
    expect(calls).toHaveLength(3);
  });

  it("keeps the request id of a 2xx whose JSON is broken, to find it on the service's side", async () => {
    const broken = (): Response => new Response('{"trunc', { status: 200, headers: { 'x-ms-request-id': 'req-broken' } });
    const { fetchImpl } = scripted([broken()]);
    const err = (await pipeline(fetchImpl, { retry: { maxRetries: 0 } }).send('op', { method: 'GET', path: 'x' }).catch((e: unknown) => e)) as ServiceError;
    expect(err).toMatchObject({ code: 'MalformedResponse', requestId: 'req-broken' });
  });

  it('cuts a call that does not answer with a Timeout error', async () => {
    // Like fetch: never answers, but gives up when its signal aborts.
    const hang = (init: RequestInit): Promise<Response> => new Promise((_r, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)));
    const { fetchImpl } = scripted([hang, hang, hang]);
    const err = (await pipeline(fetchImpl, { timeoutInMs: 20, retry: { maxRetries: 0 } }).send('op', { method: 'GET', path: 'x' }).catch((e: unknown) => e)) as ServiceError;
    expect(err).toMatchObject({ code: 'Timeout', message: 'no answer within 20 ms', retryable: true });
  });

  it("stops at once when the caller aborts, with the caller's reason", async () => {
    const controller = new AbortController();
    const fetchImpl = ((_u: unknown, init?: RequestInit) =>
      new Promise((_r, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error));
        controller.abort(new Error('user canceled'));
      })) as typeof fetch;
    await expect(pipeline(fetchImpl).send('op', { method: 'GET', path: 'x' }, { abortSignal: controller.signal })).rejects.toThrow('user canceled');
  });
});

describe('error bodies', () => {
  it('reads ARM, Databricks, Azure DevOps and plain shapes', () => {
    expect(genericErrorParser({ error: { code: 'InvalidDnsNameLabel', message: 'bad label' } }, '')).toEqual({ code: 'InvalidDnsNameLabel', message: 'bad label' });
    expect(genericErrorParser({ error_code: 403, message: 'Invalid access token.' }, '')).toEqual({ code: '403', message: 'Invalid access token.' });
    expect(genericErrorParser({ typeKey: 'BuildNotFoundException', message: 'gone' }, '')).toEqual({ code: 'BuildNotFoundException', message: 'gone' });
    expect(genericErrorParser({ errorCode: 'X', Message: 'upper' }, '')).toEqual({ code: 'X', message: 'upper' });
    expect(genericErrorParser('text', 'text')).toEqual({});
  });

  it('reads no code from a body without one, and nothing from an empty or null body', () => {
    expect(genericErrorParser({ message: 'only a message' }, '')).toEqual({ message: 'only a message' });
    expect(genericErrorParser({ code: { nested: true }, message: 'm' }, '')).toEqual({ message: 'm' });
    expect(genericErrorParser(undefined, '')).toEqual({});
    expect(genericErrorParser(null, 'null')).toEqual({});
  });

  it('gives a JSON null error body the status text, not a parse failure', async () => {
    const { fetchImpl } = scripted([new Response('null', { status: 404, statusText: 'Not Found' })]);
    await expect(pipeline(fetchImpl).send('op', { method: 'GET', path: 'x' })).rejects.toMatchObject({ status: 404, message: 'null', retryable: false });
  });

  it('falls back to the body text, then the status text, for a body without a message', async () => {
    const { fetchImpl } = scripted([new Response('<html>oops</html>', { status: 400, statusText: 'Bad Request' }), new Response('', { status: 501, statusText: 'Not Implemented' })]);
    await expect(pipeline(fetchImpl).send('op', { method: 'GET', path: 'x' })).rejects.toMatchObject({ status: 400, message: '<html>oops</html>', retryable: false });
    await expect(pipeline(fetchImpl, { auth: basicPat('p') }).send('op', { method: 'GET', path: 'x' })).rejects.toMatchObject({ status: 501, message: 'Not Implemented' });
  });
});
