import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AzureDevOpsClient } from '../../services/azure-devops/azure-devops.client';
import { bearerToken } from '../../services/http/auth';
import { HttpPipeline } from '../../services/http/http-pipeline';
import { closeServer, listenOnLoopback } from '../support/loopback-server';

/**
 * The service clients reuse their connections (docs/performance.md, fifth round): the pipeline's
 * undici transport and the Azure DevOps client's keep-alive agent. A loopback server counts the
 * TCP connections it accepted and records each request.
 */
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
/**
 * writeHead, then end, never chained: restify (loaded by any test file that starts a bot in the
 * same Jest worker) replaces http.ServerResponse.prototype.writeHead with one returning undefined.
 */
const answer = (res: ServerResponse, status: number, headers: Record<string, string>, body?: string): void => {
  res.writeHead(status, headers);
  res.end(body);
};
let server: Server;
let base: string;
let connections = 0;
let handle: Handler;
const seen: Array<{ method: string; url: string; authorization: string | undefined; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      handle(req, res, body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', () => (connections += 1));
  base = await listenOnLoopback(server);
});
afterAll(async () => closeServer(server));
beforeEach(() => {
  connections = 0;
  seen.length = 0;
  handle = (_req, res) => answer(res, 200, { 'content-type': 'application/json' }, '{"value":[]}');
});

describe('connection reuse', () => {
  it('HttpPipeline: sequential calls, from two pipelines, share the pool of connections', async () => {
    const a = new HttpPipeline({ service: 'databricks', baseUrl: base, auth: bearerToken('t-a') });
    const b = new HttpPipeline({ service: 'mlflow', baseUrl: base, auth: bearerToken('t-b') });
    for (let i = 0; i < 10; i++) {
      await a.send('op', { method: 'GET', path: `/a/${i}` });
      await b.send('op', { method: 'POST', path: `/b/${i}`, body: { i } });
    }
    expect(seen.map((s) => `${s.method} ${s.url} ${s.authorization} ${s.body}`)).toEqual(Array.from({ length: 10 }, (_, i) => i).flatMap((i) => [`GET /a/${i} Bearer t-a `, `POST /b/${i} Bearer t-b {"i":${i}}`]));
    // 20 requests: one connection each without reuse. The pool may open a second one when a call
    // is sent just before the previous connection is marked free again.
    expect(connections).toBeLessThanOrEqual(2);
  });

  it('AzureDevOpsClient: sequential calls go over one connection', async () => {
    const client = new AzureDevOpsClient({ orgUrl: `${base}/contoso`, project: 'MLOps', auth: { pat: 'pat-1' }, retry: { maxRetries: 0 } });
    for (let i = 0; i < 3; i++) await client.listCompletedBuildsPage({ top: 5 });
    expect(seen).toHaveLength(3);
    expect(seen.every((s) => s.url.startsWith('/contoso/MLOps/_apis/build/builds?'))).toBe(true);
    expect(connections).toBe(1);
  });
});

describe('HttpPipeline transport: what fetch did, kept', () => {
  it('follows a redirect: a 303 after a POST becomes a GET, a 307 keeps the method and body', async () => {
    handle = (req, res) => {
      if (req.url === '/see-other') return answer(res, 303, { location: '/landed' });
      if (req.url === '/temporary') return answer(res, 307, { location: '/landed' });
      answer(res, 200, { 'content-type': 'application/json' }, JSON.stringify({ method: req.method }));
    };
    const p = new HttpPipeline({ service: 'databricks', baseUrl: base, auth: bearerToken('t') });
    await expect(p.send('op', { method: 'POST', path: '/see-other', body: { x: 1 } })).resolves.toMatchObject({ status: 200, body: { method: 'GET' } });
    await expect(p.send('op', { method: 'POST', path: '/temporary', body: { x: 2 }, idempotent: true })).resolves.toMatchObject({ status: 200, body: { method: 'POST' } });
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual(['POST /see-other {"x":1}', 'GET /landed ', 'POST /temporary {"x":2}', 'POST /landed {"x":2}']);
  });

  it('gives the reason phrase when an error has no body, and every value of a repeated header', async () => {
    handle = (_req, res) => {
      res.statusMessage = 'Gone Fishing';
      res.setHeader('x-request-id', ['r-1', 'r-2']);
      answer(res, 410, {});
    };
    const p = new HttpPipeline({ service: 'databricks', baseUrl: base, auth: bearerToken('t'), retry: { maxRetries: 0 } });
    await expect(p.send('op', { method: 'GET', path: '/x' })).rejects.toMatchObject({ status: 410, message: 'Gone Fishing', requestId: 'r-1, r-2' });
  });
});
