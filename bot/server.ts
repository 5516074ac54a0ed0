import restify from 'restify';
import type { Activity, InvokeResponse } from 'botbuilder';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../services/logger';
import type { TeamsBot } from './teams-bot';
import type { WebhookResult } from './webhooks';
import { newReference, writeJson, writeRefusal, type Refusal } from './http/answers';
import { checkActivityEnvelope, fixTimestamps } from './http/activity-envelope';
import { bearerPrecheck } from './http/bearer-precheck';
import type { CheckedCloudAdapter } from './http/checked-adapter';
import { createJsonBodyReader } from './http/body-reader';
import { classifyTurnFailure } from './http/turn-failure';
import type { RouteKit } from './dashboard/dashboard-routes';

type Headers = Record<string, string | string[] | undefined>;
type WebhookHandler = (body: unknown, headers: Headers) => Promise<WebhookResult>;

export interface BotServerDeps {
  adapter: CheckedCloudAdapter;
  bot: TeamsBot;
  logger: Logger;
  /** Readiness: config and store loaded; details (e.g. parked announcements) go into the answer. */
  isReady: () => boolean;
  readiness?: () => Promise<Record<string, unknown>>;
  /** Bot Framework authentication is on: /api/messages needs a Bearer token before its body is read. */
  authRequired: boolean;
  webhooks: { authorize: (headers: Headers) => WebhookResult | undefined; azureDevOps: WebhookHandler; databricks: WebhookHandler };
  limits?: Partial<HttpLimits>;
  /** More routes (the dashboard tab and its API), under the same guard, refusals and body limits. */
  routes?: Array<(kit: RouteKit) => void>;
}

export interface HttpLimits {
  /** Decoded body bytes accepted on any route (Bot Framework activities are < 256 KB in practice). */
  maxBodyBytes: number;
  /** A client must send all its headers within this time (Node's headersTimeout). */
  headersTimeoutMs: number;
  /** ... and the whole request within this time (Node's requestTimeout, checked every 30 s), else 408. */
  requestTimeoutMs: number;
  /** The body must arrive within this time once its headers did, else the request is cut off (slow-loris). */
  bodyTimeoutMs: number;
}

const DEFAULT_LIMITS: HttpLimits = { maxBodyBytes: 1_000_000, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, bodyTimeoutMs: 15_000 };

export interface BotServer {
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting, waits for in-flight turns (bounded), then resolves. */
  close(graceMs?: number): Promise<void>;
  readonly inFlight: number;
}

/**
 * The HTTP transport: the Bot Framework endpoint, the webhooks and the health probes. No body is
 * read before the cheap checks of its route (token shape, webhook secret); each is read once,
 * with a limit on its decoded size; every refusal is a 4xx with a plain sentence and a reference
 * that the log line carries with the real cause.
 */
const reason = (r: WebhookResult): string => (typeof r.body.error === 'string' ? r.body.error : 'The webhook was refused.');

export function createBotServer(deps: BotServerDeps): BotServer {
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const server = restify.createServer({ name: 'mlops-chatops', handleUncaughtExceptions: false });
  server.server.headersTimeout = limits.headersTimeoutMs;
  server.server.requestTimeout = limits.requestTimeoutMs;
  const readBody = createJsonBodyReader(limits.maxBodyBytes, limits.bodyTimeoutMs);
  let inFlight = 0;
  let closing = false;
  const idleWaiters: Array<() => void> = [];

  const refuse = (res: ServerResponse, route: string, refusal: Refusal, cause: string): void => {
    const reference = newReference();
    deps.logger[refusal.status >= 500 ? 'warn' : 'info']('request refused', { route, status: refusal.status, reference, cause });
    writeRefusal(res, refusal, reference);
  };
  /** Runs a route with the in-flight count and one last net: nothing escapes as an unhandled rejection. */
  const guarded = (route: string, handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>) => async (req: restify.Request, res: restify.Response): Promise<void> => {
    if (closing) return refuse(res, route, { status: 503, message: 'The bot is restarting; retry shortly.', retryAfter: 5 }, 'shutting down');
    inFlight++;
    try {
      await handler(req, res);
    } catch (error) {
      const reference = newReference();
      deps.logger.error('request failed', { route, reference, error });
      writeRefusal(res, { status: 500, message: 'Something went wrong on the bot\'s side; nothing was changed.' }, reference);
    } finally {
      inFlight--;
      if (inFlight === 0) idleWaiters.splice(0).forEach((w) => w());
    }
  };

  server.post(
    '/api/messages',
    guarded('messages', async (req, res) => {
      const authorization = typeof req.headers.authorization === 'string' ? req.headers.authorization : '';
      if (deps.authRequired) {
        const why = bearerPrecheck(req.headers.authorization);
        if (why) return refuse(res, 'messages', { status: 401, message: why }, 'bearer precheck');
      }
      const read = await readBody(req, res);
      if (!read.ok) return refuse(res, 'messages', read.refusal, read.cause);
      const checked = checkActivityEnvelope(read.body);
      if (!checked.ok) return refuse(res, 'messages', { status: 400, message: checked.message }, checked.message);
      let turnStarted = false;
      let invoke: InvokeResponse | undefined;
      try {
        invoke = await deps.adapter.processChecked(authorization, fixTimestamps(checked.activity) as unknown as Activity, async (ctx) => {
          turnStarted = true;
          await deps.bot.run(ctx);
        });
      } catch (error) {
        const failure = classifyTurnFailure(error, turnStarted);
        const reference = newReference();
        deps.logger[failure.status >= 500 ? 'error' : 'info'](failure.log, { route: 'messages', status: failure.status, reference, error });
        writeRefusal(res, failure, reference);
        return;
      }
      writeJson(res, invoke?.status ?? 200, invoke?.body);
    }),
  );

  const hook = (route: string, pick: (w: BotServerDeps['webhooks']) => WebhookHandler) =>
    guarded(route, async (req, res) => {
      const denied = deps.webhooks.authorize(req.headers);
      if (denied) return refuse(res, route, { status: denied.status, message: reason(denied) }, 'webhook authorization');
      const read = await readBody(req, res);
      if (!read.ok) return refuse(res, route, read.refusal, read.cause);
      const result = await pick(deps.webhooks)(read.body, req.headers);
      if (result.status >= 400) return refuse(res, route, { status: result.status, message: reason(result) }, reason(result));
      writeJson(res, result.status, result.body);
    });
  server.post('/api/webhooks/azure-devops', hook('webhook azure-devops', (w) => w.azureDevOps));
  server.post('/api/webhooks/databricks', hook('webhook databricks', (w) => w.databricks));
  const kit: RouteKit = {
    get: (path, route, handler) => void server.get(path, guarded(route, handler)),
    post: (path, route, handler) => void server.post(path, guarded(route, handler)),
    refuse,
    readBody,
  };
  for (const register of deps.routes ?? []) register(kit);
  server.get('/healthz', async (_req, res) => {
    writeJson(res, 200, { status: 'ok' });
  });
  server.get('/readyz', async (_req, res) => {
    const ready = !closing && deps.isReady();
    let details: Record<string, unknown> = {};
    try {
      details = ready && deps.readiness ? await deps.readiness() : {};
    } catch (error) {
      deps.logger.warn('readiness details failed', { error });
    }
    writeJson(res, ready ? 200 : 503, { status: ready ? 'ready' : closing ? 'shutting down' : 'not ready', ...details });
  });

  return {
    get inFlight() {
      return inFlight;
    },
    listen: (port, host = '0.0.0.0') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const port: number = server.address().port;
          resolve(`http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`);
        });
      }),
    close: async (graceMs = 10_000) => {
      closing = true;
      const stopped = new Promise<void>((resolve) => {
        server.close(() => resolve());
      });
      if (inFlight > 0) {
        await Promise.race([new Promise<void>((r) => idleWaiters.push(r)), new Promise<void>((r) => setTimeout(r, graceMs).unref())]);
        if (inFlight > 0) deps.logger.warn('shutdown grace period over with turns still in flight', { inFlight });
      }
      // Keep-alive sockets would hold server.close() open; in-flight work is done by now.
      (server.server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await stopped;
    },
  };
}
