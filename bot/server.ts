import restify from 'restify';
import type { CloudAdapter } from 'botbuilder';
import type { Logger } from '../services/logger';
import type { TeamsBot } from './teams-bot';
import type { WebhookResult } from './webhooks';

type WebhookHandler = (body: unknown, headers: Record<string, string | string[] | undefined>) => Promise<WebhookResult>;

export interface BotServerDeps {
  adapter: CloudAdapter;
  bot: TeamsBot;
  logger: Logger;
  /** Readiness: config and store loaded. */
  isReady: () => boolean;
  webhooks?: { azureDevOps: WebhookHandler; databricks: WebhookHandler };
}

export interface BotServer {
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting, waits for in-flight turns (bounded), then resolves. */
  close(graceMs?: number): Promise<void>;
  readonly inFlight: number;
}

/** The HTTP transport: the Bot Framework endpoint and the health probes. */
export function createBotServer(deps: BotServerDeps): BotServer {
  const server = restify.createServer({ name: 'mlops-chatops', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ maxBodySize: 1_000_000, mapParams: false }));
  let inFlight = 0;
  let closing = false;
  const idleWaiters: Array<() => void> = [];

  server.post('/api/messages', async (req, res) => {
    if (closing) {
      res.header('Retry-After', '5');
      res.send(503, { error: 'shutting down' });
      return;
    }
    inFlight++;
    try {
      await deps.adapter.process(req, res, (ctx) => deps.bot.run(ctx));
    } finally {
      inFlight--;
      if (inFlight === 0) idleWaiters.splice(0).forEach((w) => w());
    }
  });
  const hook = (handler: WebhookHandler | undefined) => async (req: restify.Request, res: restify.Response): Promise<void> => {
    if (!handler) {
      res.send(503, { error: 'the run workflow is not configured' });
      return;
    }
    const result = await handler(req.body as unknown, req.headers);
    res.send(result.status, result.body);
  };
  server.post('/api/webhooks/azure-devops', hook(deps.webhooks?.azureDevOps));
  server.post('/api/webhooks/databricks', hook(deps.webhooks?.databricks));
  server.get('/healthz', async (_req, res) => {
    res.send(200, { status: 'ok' });
  });
  server.get('/readyz', async (_req, res) => {
    const ready = !closing && deps.isReady();
    res.send(ready ? 200 : 503, { status: ready ? 'ready' : closing ? 'shutting down' : 'not ready' });
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
