import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { SandboxClock } from './clock';
import { faultRuleSchema, type FaultRegistry, type FaultService } from './faults';

/**
 * A small router over node:http for the sandbox servers. Every route has an operation name, so
 * faults can target it; every answer carries the service's request-id header; the control
 * endpoints under /_sandbox/ set faults and the clock.
 */
export interface SandboxRequest {
  method: string;
  url: URL;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  rawBody: string;
  requestId: string;
}

export interface SandboxReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send body as-is (text) rather than JSON. */
  raw?: boolean;
}

export type Handler = (req: SandboxRequest) => Promise<SandboxReply> | SandboxReply;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  operation: string;
  handler: Handler;
}

export interface SandboxServerOptions {
  service: Exclude<FaultService, '*'>;
  faults: FaultRegistry;
  clock: SandboxClock;
  /** Header that carries the request id in this service's answers. */
  requestIdHeader: string;
  /** The body this service sends with a given error status and message. */
  errorBody: (status: number, code: string, message: string) => unknown;
  /** Extra headers on every answer (e.g. ARM's x-ms-ratelimit-remaining-*). */
  commonHeaders?: Record<string, string>;
  /**
   * Checked on every service route before faults and the handler (sandbox control routes under
   * /_control/ are exempt): an answer here refuses the call, as the service's front door does.
   */
  authenticate?: (req: SandboxRequest) => SandboxReply | undefined;
}

export class SandboxServer {
  private readonly routes: Route[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<import('node:net').Socket>();
  /** Calls seen per operation: tests assert on these ("one list call covered all runs"). */
  readonly calls = new Map<string, number>();

  constructor(readonly options: SandboxServerOptions) {}

  route(method: string, path: string, operation: string, handler: Handler): this {
    const keys: string[] = [];
    const pattern = new RegExp(
      '^' +
        path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_m, k: string) => {
          keys.push(k);
          return '([^/]+)';
        }) +
        '/?$',
      'i',
    );
    this.routes.push({ method: method.toUpperCase(), pattern, keys, operation, handler });
    return this;
  }

  get url(): string {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) throw new Error(`${this.options.service} sandbox is not listening`);
    return `http://127.0.0.1:${addr.port}`;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => {
      void this.dispatch(req, res);
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const send = (reply: SandboxReply): void => {
      if (res.headersSent || res.destroyed) return;
      const headers: Record<string, string> = {
        [this.options.requestIdHeader]: requestId,
        ...(this.options.commonHeaders ?? {}),
        ...(reply.headers ?? {}),
      };
      let payload = '';
      if (reply.body !== undefined) {
        payload = reply.raw && typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        headers['content-type'] ??= reply.raw ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
      }
      res.writeHead(reply.status, headers);
      res.end(payload);
    };
    try {
      const rawBody = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://sandbox.local');
      let body: unknown;
      if (rawBody !== '') {
        try {
          body = JSON.parse(rawBody);
        } catch {
          send({ status: 400, body: this.options.errorBody(400, 'MalformedRequest', 'the request body is not valid JSON') });
          return;
        }
      }
      if (url.pathname.startsWith('/_sandbox/')) {
        send(this.control(req.method ?? 'GET', url.pathname, body));
        return;
      }
      const method = (req.method ?? 'GET').toUpperCase();
      const matching = this.routes.filter((r) => r.pattern.test(url.pathname));
      const route = matching.find((r) => r.method === method);
      if (!route) {
        const status = matching.length > 0 ? 405 : 404;
        send({ status, body: this.options.errorBody(status, status === 404 ? 'NotFound' : 'MethodNotAllowed', `no route for ${method} ${url.pathname}`) });
        return;
      }
      this.calls.set(route.operation, (this.calls.get(route.operation) ?? 0) + 1);
      const m = route.pattern.exec(url.pathname);
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => (params[k] = decodeURIComponent(m?.[i + 1] ?? '')));

      const request: SandboxRequest = { method, url, path: url.pathname, params, query: url.searchParams, headers: req.headers, body, rawBody, requestId };
      const refused = url.pathname.startsWith('/_control/') ? undefined : this.options.authenticate?.(request);
      if (refused) {
        send(refused);
        return;
      }
      const faults = this.options.faults.take(this.options.service, route.operation);
      for (const f of faults) if (f.kind === 'latency') await delay(f.delayMs ?? 1000);
      for (const f of faults) {
        if (f.kind === 'reset') {
          req.socket.destroy();
          return;
        }
        if (f.kind === 'timeout') return; // never answer: the client's timeout must fire
        if (f.kind === 'status') {
          const status = f.status ?? 503;
          const headers: Record<string, string> = {};
          if (f.retryAfterSeconds !== undefined) headers['retry-after'] = String(f.retryAfterSeconds);
          send({ status, headers, body: this.options.errorBody(status, status === 429 ? 'TooManyRequests' : 'ServiceUnavailable', `injected fault: HTTP ${status}`) });
          return;
        }
      }
      const reply = await route.handler(request);
      if (faults.some((f) => f.kind === 'malformed')) {
        send({ ...reply, raw: true, body: '{"truncated": ', headers: { ...(reply.headers ?? {}), 'content-type': 'application/json' } });
        return;
      }
      send(reply);
    } catch (err) {
      const e = err as { status?: number; code?: string; message?: string };
      const status = typeof e.status === 'number' ? e.status : 500;
      send({ status, body: this.options.errorBody(status, e.code ?? 'InternalError', e.message ?? 'internal error') });
    }
  }

  private control(method: string, path: string, body: unknown): SandboxReply {
    const { faults, clock } = this.options;
    if (path === '/_sandbox/health') return { status: 200, body: { service: this.options.service, clock: clock.toJSON() } };
    if (path === '/_sandbox/calls') return { status: 200, body: Object.fromEntries(this.calls) };
    if (path === '/_sandbox/faults') {
      if (method === 'GET') return { status: 200, body: faults.list() };
      if (method === 'DELETE') {
        faults.clear();
        return { status: 204 };
      }
      if (method === 'POST') {
        const list = Array.isArray(body) ? body : [body];
        const ids: number[] = [];
        for (const item of list) {
          const parsed = faultRuleSchema.safeParse(item);
          if (!parsed.success) return { status: 400, body: { message: `bad fault rule: ${parsed.error.message}` } };
          ids.push(faults.add(parsed.data));
        }
        return { status: 201, body: { ids } };
      }
    }
    if (path === '/_sandbox/clock') {
      if (method === 'GET') return { status: 200, body: clock.toJSON() };
      if (method === 'POST') {
        const b = (body ?? {}) as { speed?: unknown; advanceMs?: unknown };
        try {
          if (typeof b.speed === 'number') clock.setSpeed(b.speed);
          if (typeof b.advanceMs === 'number') clock.advance(b.advanceMs);
        } catch (e) {
          return { status: 400, body: { message: (e as Error).message } };
        }
        return { status: 200, body: clock.toJSON() };
      }
    }
    return { status: 404, body: { message: `no sandbox control endpoint ${method} ${path}` } };
  }
}

/** Throw from a handler to answer with that status and the service's error body. */
export class HttpFault extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
