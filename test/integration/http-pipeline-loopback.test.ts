import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerToken, noAuth, type AuthProvider } from '../../services/http/auth';
import { CredentialError, ServiceError } from '../../services/http/errors';
import { HttpPipeline, type HttpPipelineOptions } from '../../services/http/http-pipeline';
import { createLogger } from '../../services/logger';
import { closeServer, listenOnLoopback } from '../support/loopback-server';

/**
 * HttpPipeline over real HTTP on loopback: a local server scripted per test answers each request
 * and records what arrived. Sleeps are injected and recorded (no wait is spent or asserted).
 */
type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse) => void;
let server: Server;
let base: string;
const handlers: Handler[] = [];
const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
const sleeps: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const h = handlers.shift();
      if (!h) {
        // Not chained: restify replaces writeHead for the whole worker with one that returns undefined.
        res.writeHead(500);
        res.end('no handler');
        return;
      }
      h(Object.assign(req, { body }), res);
    });
  });
  base = await listenOnLoopback(server);
});
afterAll(async () => closeServer(server));
beforeEach(() => {
  handlers.length = 0;
  seen.length = 0;
  sleeps.length = 0;
});

const reply = (status: number, body?: unknown, headers: Record<string, string> = {}, statusMessage?: string): Handler => (_req, res) => {
  if (statusMessage !== undefined) res.statusMessage = statusMessage;
  res.writeHead(status, { ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers });
  res.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
};
const pipeline = (over: Partial<HttpPipelineOptions> = {}): HttpPipeline =>
  new HttpPipeline({ service: 'databricks', baseUrl: base, auth: bearerToken('dapi-loopback-secret'), retry: { maxRetries: 2, baseDelayInMs: 100, maxDelayInMs: 1000 }, random: () => 1, sleep: async (ms) => void sleeps.push(ms), ...over });
const errorOf = async (p: Promise<unknown>): Promise<ServiceError> => (await p.then(() => undefined, (e: unknown) => e)) as ServiceError;

describe('HttpPipeline over loopback: the request', () => {
  it('joins a base URL with trailing slashes and a path with leading ones, and keeps a caller content-type', async () => {
    handlers.push(reply(200, { ok: 1 }));
    const p = pipeline({ baseUrl: `${base}/api//` });
    expect(p.baseUrl).toBe(`${base}/api`);
    await p.send('op', { method: 'PUT', path: '//v1/x', body: 'raw', headers: { 'content-type': 'text/plain' } });
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/api/v1/x', body: '"raw"' });
    expect(seen[0]?.headers['content-type']).toBe('text/plain');
    expect(seen[0]?.headers['user-agent']).toBe('mlops-chatops/0.1');
    expect(seen[0]?.headers.authorization).toBe('Bearer dapi-loopback-secret');
  });

  it('takes an https or http absolute URL as is, but a path that merely contains one is joined', () => {
    const p = pipeline({ baseUrl: 'https://adb.example.net' });
    expect(p.url('https://other.example/a')).toBe('https://other.example/a');
    expect(p.url('api/http://x')).toBe('https://adb.example.net/api/http://x');
    expect(p.url('x', { a: undefined, b: 0, c: false })).toBe('https://adb.example.net/x?b=0&c=false');
  });

  it('finds the request id under each header the Azure services use, in order, and none when absent', async () => {
    for (const h of ['x-ms-request-id', 'x-request-id', 'x-vss-e2eid', 'activityid', 'x-databricks-request-id']) {
      handlers.push(reply(200, {}, { [h]: `id-${h}` }));
      expect((await pipeline().send('op', { method: 'GET', path: 'x' })).requestId).toBe(`id-${h}`);
    }
    handlers.push(reply(200, {}, { 'x-ms-request-id': 'first', activityid: 'later' }));
    expect((await pipeline().send('op', { method: 'GET', path: 'x' })).requestId).toBe('first');
    handlers.push(reply(200, {}));
    expect((await pipeline().send('op', { method: 'GET', path: 'x' })).requestId).toBeUndefined();
    handlers.push(reply(200, {}, { 'x-custom-id': 'c', 'x-request-id': 'no' }));
    expect((await pipeline({ requestIdHeaders: ['x-custom-id'] }).send('op', { method: 'GET', path: 'x' })).requestId).toBe('c');
    handlers.push(reply(404, {}, { 'x-ms-request-id': 'err-id' }));
    expect(await errorOf(pipeline().send('op', { method: 'GET', path: 'x' }))).toMatchObject({ requestId: 'err-id' });
    handlers.push(reply(404, {}));
    expect((await errorOf(pipeline().send('op', { method: 'GET', path: 'x' }))).requestId).toBeUndefined();
  });

  it("reads a 2xx as text when asked, even when it is not JSON, and an empty JSON body as undefined", async () => {
    handlers.push(reply(200, 'not json'), reply(200, ''));
    expect((await pipeline().send('op', { method: 'GET', path: 'x', responseType: 'text' })).body).toBe('not json');
    expect((await pipeline().send('op', { method: 'GET', path: 'x' })).body).toBeUndefined();
  });
});

describe('HttpPipeline over loopback: errors', () => {
  it("gives the service's code from a JSON error, and the text (cut at 300 characters, redacted) when it is not JSON", async () => {
    handlers.push(reply(409, { error: { code: 'Conflict', message: 'busy' } }), reply(400, `${'x'.repeat(310)}`), reply(400, 'token dapi-loopback-secret leaked'));
    expect(await errorOf(pipeline().send('op', { method: 'GET', path: 'x' }))).toMatchObject({ status: 409, code: 'Conflict', message: 'busy' });
    const long = await errorOf(pipeline().send('op', { method: 'GET', path: 'x' }));
    expect(long.message).toBe('x'.repeat(300));
    expect(long.code).toBeUndefined();
    expect((await errorOf(pipeline().send('op', { method: 'GET', path: 'x' }))).message).toBe('token [redacted] leaked');
  });

  it('names the status when the body and the status text are empty', async () => {
    // An HTTP/1.1 server always sends a reason phrase; HTTP/2 has none, hence a fetch stand-in here.
    const fetchImpl = (async () => new Response('', { status: 418 })) as typeof fetch;
    expect(await errorOf(pipeline({ fetchImpl }).send('op', { method: 'GET', path: 'x' }))).toMatchObject({ status: 418, message: 'HTTP 418' });
  });

  it('uses a custom error parser and gives no code when it finds none', async () => {
    handlers.push(reply(400, { problem: 'P1', why: 'because' }), reply(400, 'plain'));
    const parseError = (body: unknown, text: string) => (body && typeof body === 'object' ? { code: (body as { problem: string }).problem, message: (body as { why: string }).why } : { message: `text:${text}` });
    expect(await errorOf(pipeline({ parseError }).send('op', { method: 'GET', path: 'x' }))).toMatchObject({ code: 'P1', message: 'because' });
    const e = await errorOf(pipeline({ parseError }).send('op', { method: 'GET', path: 'x' }));
    expect(e.message).toBe('text:plain');
    expect(e.code).toBeUndefined();
  });

  it('retries a 500 on GET and on a POST marked idempotent, not on a plain POST, and logs each retry', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger('warn', {}, (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    handlers.push(reply(500, { message: 'oops' }, { 'x-ms-request-id': 'r1' }), reply(200, {}));
    await pipeline({ logger }).send('get-op', { method: 'GET', path: 'x' });
    expect(lines).toEqual([expect.objectContaining({ msg: 'retrying', service: 'databricks', operation: 'get-op', attempt: 1, delayMs: 100, status: 500, requestId: 'r1' })]);
    handlers.push(reply(500, { message: 'oops' }), reply(200, {}));
    await pipeline().send('op', { method: 'POST', path: 'x', idempotent: true });
    handlers.push(reply(500, { message: 'oops' }));
    expect(await errorOf(pipeline().send('op', { method: 'POST', path: 'x' }))).toMatchObject({ status: 500, retryable: false });
    expect(seen.map((s) => s.method)).toEqual(['GET', 'GET', 'POST', 'POST', 'POST']);
  });

  it('waits what the server asks on a retryable status, and backs off without a hint', async () => {
    handlers.push(reply(429, {}, { 'retry-after': '1' }), reply(503, {}), reply(200, {}));
    await pipeline().send('op', { method: 'GET', path: 'x' });
    expect(sleeps).toEqual([1000, 200]);
  });

  it('cuts a server that does not answer with a Timeout, and retries it on GET', async () => {
    const hang: Handler = () => undefined;
    handlers.push(hang, reply(200, { late: false }));
    await expect(pipeline({ timeoutInMs: 50 }).send('op', { method: 'GET', path: 'x' })).resolves.toMatchObject({ body: { late: false } });
    expect(sleeps).toEqual([100]);
  });

  it('gives a per-call timeout precedence over the pipeline one, and does not retry a timed-out POST', async () => {
    handlers.push(() => undefined);
    const e = await errorOf(pipeline({ timeoutInMs: 60_000 }).send('op', { method: 'POST', path: 'x' }, { timeoutInMs: 30 }));
    expect(e).toMatchObject({ code: 'Timeout', message: 'no answer within 30 ms', retryable: true });
    expect(e.cause).toBeUndefined();
    expect(sleeps).toEqual([]);
  });

  it("names a refused connection by its code, keeps the cause, and retries it on GET only", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const e = await errorOf(pipeline({ baseUrl: `http://127.0.0.1:${port}` }).send('op', { method: 'POST', path: 'x' }));
    expect(e).toMatchObject({ code: 'ECONNREFUSED', message: 'network error (ECONNREFUSED)', retryable: true });
    // undici's request (services/http/undici-transport.ts) rejects with the socket's own error, not fetch's "fetch failed" wrapper.
    expect((e.cause as Error).message).toMatch(/ECONNREFUSED/);
    expect(sleeps).toEqual([]);
    await errorOf(pipeline({ baseUrl: `http://127.0.0.1:${port}` }).send('op', { method: 'GET', path: 'x' }));
    expect(sleeps).toEqual([100, 200]);
  });

  it('takes a network code from the error itself, or says NetworkError', async () => {
    const own = Object.assign(new Error('x'), { code: 'EPIPE' });
    const bare = new Error('x');
    const odd = Object.assign(new Error('x'), { cause: { code: 42 }, code: 7 });
    for (const [thrown, code] of [[own, 'EPIPE'], [bare, 'NetworkError'], [odd, 'NetworkError']] as const) {
      const fetchImpl = (async () => Promise.reject(thrown)) as typeof fetch;
      expect(await errorOf(pipeline({ fetchImpl, retry: { maxRetries: 0 } }).send('op', { method: 'GET', path: 'x' }))).toMatchObject({ code, message: `network error (${code})` });
    }
  });
});

describe('HttpPipeline over loopback: credentials and the caller signal', () => {
  const failingAuth = (message: string, secrets: string[] = []): AuthProvider => ({ authorization: async () => Promise.reject(new Error(message)), secrets });

  it('turns a credential that cannot give a token into a CredentialError, not retried, redacted, and sends nothing', async () => {
    const e = await errorOf(pipeline({ auth: failingAuth(`refused for client-secret-value ${'y'.repeat(400)}`, ['client-secret-value']) }).send('runs/get', { method: 'GET', path: 'x' }));
    expect(e).toBeInstanceOf(CredentialError);
    expect(e).toMatchObject({ service: 'databricks', operation: 'runs/get', code: 'CredentialUnavailable', retryable: false });
    expect(e.message).toBe(`no credential for databricks: refused for [redacted] ${'y'.repeat(300 - 'refused for [redacted] '.length)}`);
    expect(e.cause).toBeInstanceOf(Error);
    expect(seen).toHaveLength(0);
    expect(sleeps).toEqual([]);
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a credential library that rejects with a string is what this checks
    const notAnError: AuthProvider = { authorization: async () => Promise.reject('plain text'), secrets: [] };
    expect((await errorOf(pipeline({ auth: notAnError }).send('op', { method: 'GET', path: 'x' }))).message).toBe('no credential for databricks: plain text');
  });

  it('passes the abort signal to the credential, and a caller abort during the token request is the caller error', async () => {
    const controller = new AbortController();
    let got: AbortSignal | undefined;
    const slowAuth: AuthProvider = {
      authorization: (signal) => {
        got = signal;
        return new Promise((_r, reject) => {
          signal?.addEventListener('abort', () => reject(new Error('token request aborted')));
          controller.abort(new Error('user canceled'));
        });
      },
      secrets: [],
    };
    const e = await errorOf(pipeline({ auth: slowAuth }).send('op', { method: 'GET', path: 'x' }, { abortSignal: controller.signal }));
    expect(e).not.toBeInstanceOf(CredentialError);
    expect((e as Error).message).toBe('token request aborted');
    expect(got?.aborted).toBe(true);
  });

  it('does not retry once the caller aborted, and removes its listener from the caller signal', async () => {
    const controller = new AbortController();
    const remove = jest.spyOn(controller.signal, 'removeEventListener');
    handlers.push(reply(503, { message: 'down' }));
    // The caller gives up after the answer was read, before the retry is decided.
    const parseError = (): { message: string } => {
      controller.abort(new Error('stop'));
      return { message: 'down' };
    };
    const e = await errorOf(pipeline({ auth: noAuth, parseError }).send('op', { method: 'GET', path: 'x' }, { abortSignal: controller.signal }));
    expect(e).toMatchObject({ status: 503, message: 'down', retryable: true });
    expect(seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
  });
});

describe('HttpPipeline over loopback: the HTTP client (undici)', () => {
  it('follows a redirect, as fetch did, and reads the answer where it leads', async () => {
    handlers.push(reply(302, '', { location: `${base}/moved` }), reply(200, { here: true }));
    const res = await pipeline().send<{ here: boolean }>('op', { method: 'GET', path: '/old' });
    expect(res.body).toEqual({ here: true });
    expect(seen.map((s) => s.url)).toEqual(['/old', '/moved']);
  });

  it('takes every 2xx as a success, 299 included, and a 300 without a Location as an error', async () => {
    handlers.push(reply(299, { odd: 1 }));
    expect((await pipeline().send('op', { method: 'GET', path: '/x' })).status).toBe(299);
    handlers.push(reply(300, { error_code: 'MULTIPLE', message: 'choose' }));
    expect(await errorOf(pipeline({ retry: { maxRetries: 0 } }).send('op', { method: 'GET', path: '/x' }))).toMatchObject({ status: 300 });
  });

  it('reads a header sent twice as its values joined by ", ", as fetch did', async () => {
    handlers.push((_req, res) => {
      res.setHeader('x-twice', ['a', 'b']);
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
    const res = await pipeline().send('op', { method: 'GET', path: '/x' });
    expect(res.headers.get('x-twice')).toBe('a, b');
  });
});
