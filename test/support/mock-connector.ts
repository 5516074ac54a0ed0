import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type ConversationReference } from 'botbuilder';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small Bot Connector stand-in over real HTTP: the routes CloudAdapter calls to send, reply and
 * update, with every request recorded (timestamps, body, size) and faults on demand (429 with or
 * without Retry-After, 5xx, 413, 403 MessageWritesBlocked) so the notifier can be tested against
 * what Teams answers rather than against a stubbed adapter.
 */
export interface RecordedRequest {
  method: 'POST' | 'PUT';
  /** A new message (POST to the conversation, or a reply POST) or an in-place update (PUT). */
  kind: 'send' | 'update';
  conversationId: string;
  /** The activity id in the URL: the replied-to id for a reply POST, the updated id for a PUT. */
  activityId: string | undefined;
  body: Record<string, unknown>;
  /** Size of the body as Teams measures it: UTF-16. */
  utf16Bytes: number;
  receivedAt: number;
  respondedAt: number | undefined;
  status: number | undefined;
}

export interface ConnectorFault {
  status: number;
  /** Raw Retry-After header value (seconds or HTTP date). */
  retryAfter?: string;
  /** retry-after-ms header value. */
  retryAfterMs?: number;
  /** Teams error code in the body, e.g. MessageWritesBlocked. */
  code?: string;
  /** How many matching requests get this answer; default 1. */
  count?: number;
  /** Only requests of this conversation / kind match; default all. */
  conversationId?: string;
  kind?: RecordedRequest['kind'];
}

export class MockConnector {
  readonly requests: RecordedRequest[] = [];
  /** Highest number of requests of one conversation being served at the same moment. */
  readonly maxInFlight = new Map<string, number>();
  /** Roster per conversation, for GET pagedmembers (TeamsInfo.getPagedMembers). */
  readonly members = new Map<string, Array<{ id: string; name: string; aadObjectId?: string; userPrincipalName?: string }>>();
  /** Answer delay in ms, per request. */
  delayMs: (req: RecordedRequest) => number = () => 0;
  /** Bodies larger than this (UTF-16 bytes) get 413 MessageSizeTooBig, like Teams at ~100 KB. */
  maxBodyUtf16Bytes = 100 * 1024;
  /** Time source of the recorded stamps and of the limits (a test may drive it). */
  clock: { now(): number } = { now: () => Date.now() };
  /** When set, Teams' rate limits: a call past one is answered 429 TooManyRequests without Retry-After. */
  limits: { admit(conversationId: string, at: number): boolean } | undefined;

  private readonly faults: (ConnectorFault & { remaining: number })[] = [];
  private readonly inFlight = new Map<string, number>();
  private nextId = 1;

  private constructor(
    private readonly server: Server,
    readonly serviceUrl: string,
  ) {}

  static async start(): Promise<MockConnector> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const connector = new MockConnector(server, `http://127.0.0.1:${port}/`);
    server.on('request', (req, res) => {
      connector.handle(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ error: { code: 'MockFailure', message: String(err) } }));
      });
    });
    return connector;
  }

  fail(fault: ConnectorFault): void {
    this.faults.push({ ...fault, remaining: fault.count ?? 1 });
  }

  reset(): void {
    this.requests.length = 0;
    this.faults.length = 0;
    this.maxInFlight.clear();
    this.delayMs = () => 0;
    this.limits = undefined;
  }

  of(conversationId: string, kind?: RecordedRequest['kind']): RecordedRequest[] {
    return this.requests.filter((r) => r.conversationId === conversationId && (kind === undefined || r.kind === kind));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const match = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(url.pathname);
    const text = await readBody(req);
    const paged = /^\/v3\/conversations\/([^/]+)\/pagedmembers$/.exec(url.pathname);
    if (paged?.[1] && req.method === 'GET') {
      // Conversations - Get Conversation Paged Members (one page: the tests' rosters are small).
      answer(res, 200, { members: this.members.get(decodeURIComponent(paged[1])) ?? [] });
      return;
    }
    if (!match?.[1] || (req.method !== 'POST' && req.method !== 'PUT') || (req.method === 'PUT' && !match[2])) {
      answer(res, 404, { error: { code: 'NotFound', message: `no route ${req.method ?? ''} ${url.pathname}` } });
      return;
    }
    const conversationId = decodeURIComponent(match[1]);
    const activityId = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    const record: RecordedRequest = {
      method: req.method,
      kind: req.method === 'PUT' ? 'update' : 'send',
      conversationId,
      activityId,
      body: JSON.parse(text || '{}') as Record<string, unknown>,
      utf16Bytes: Buffer.byteLength(text, 'utf16le'),
      receivedAt: this.clock.now(),
      respondedAt: undefined,
      status: undefined,
    };
    this.requests.push(record);
    const active = (this.inFlight.get(conversationId) ?? 0) + 1;
    this.inFlight.set(conversationId, active);
    this.maxInFlight.set(conversationId, Math.max(active, this.maxInFlight.get(conversationId) ?? 0));
    try {
      const delay = this.delayMs(record);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      this.respond(record, res);
    } finally {
      this.inFlight.set(conversationId, (this.inFlight.get(conversationId) ?? 1) - 1);
    }
  }

  private respond(record: RecordedRequest, res: ServerResponse): void {
    const fault = this.limits && !this.limits.admit(record.conversationId, record.receivedAt) ? { status: 429 } : this.takeFault(record);
    let status: number;
    if (fault) {
      status = fault.status;
      if (fault.retryAfter !== undefined) res.setHeader('Retry-After', fault.retryAfter);
      if (fault.retryAfterMs !== undefined) res.setHeader('retry-after-ms', String(fault.retryAfterMs));
      const code = fault.code ?? defaultCode(status);
      answer(res, status, { error: { code, message: `mock connector answered ${status} ${code}` } });
    } else if (record.utf16Bytes > this.maxBodyUtf16Bytes) {
      status = 413;
      answer(res, status, { error: { code: 'MessageSizeTooBig', message: 'Message size too big' } });
    } else {
      status = 200;
      const id = record.kind === 'update' ? (record.activityId ?? '') : `activity-${this.nextId++}`;
      answer(res, status, { id });
    }
    record.status = status;
    record.respondedAt = this.clock.now();
  }

  private takeFault(record: RecordedRequest): ConnectorFault | undefined {
    const index = this.faults.findIndex(
      (f) => f.remaining > 0 && (f.conversationId === undefined || f.conversationId === record.conversationId) && (f.kind === undefined || f.kind === record.kind),
    );
    const fault = this.faults[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.faults.splice(index, 1);
    return fault;
  }
}

function defaultCode(status: number): string {
  switch (status) {
    case 429:
      return 'TooManyRequests';
    case 413:
      return 'MessageSizeTooBig';
    case 403:
      return 'MessageWritesBlocked';
    default:
      return 'ServiceError';
  }
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A conversation reference as TeamsBot stores it, pointing at the mock connector. */
export function referenceFor(connector: MockConnector, conversationId: string, conversationType = 'personal'): ConversationReference {
  return {
    activityId: 'incoming-1',
    channelId: 'msteams',
    serviceUrl: connector.serviceUrl,
    locale: 'en-US',
    conversation: { id: conversationId, conversationType, isGroup: conversationType !== 'personal', name: '', tenantId: 'tenant-1' },
    bot: { id: '28:bot', name: 'mlops-chatops' },
    user: { id: '29:user', name: 'Megan Bowen', aadObjectId: '00000000-0000-0000-0000-000000000001' },
  };
}

/** A real CloudAdapter with auth off, set up like bot/app.ts (including an onTurnError that swallows). */
export function authOffAdapter(onTurnError: (err: Error) => void = () => undefined): CloudAdapter {
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '' }));
  adapter.onTurnError = async (_ctx, err) => onTurnError(err);
  return adapter;
}
