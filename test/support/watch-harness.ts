import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot, type RunningBot } from '../../bot/app';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { loadConfig, type AppConfig } from '../../services/config/config';
import { createLogger, silentLogger } from '../../services/logger';
import { freePort } from './browser';
import { messageActivity, postActivity, type Who } from './bot-activities';
import { REPO_ROOT } from './context';
import { MockConnector } from './mock-connector';

export const WATCH_SECRET = 'watch-webhook-secret-0123456789';
export const ALEX: Who = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: 'a1a1a1a1-0000-4000-8000-000000000000' };
export const MEGAN: Who = { id: 'user-id-1', name: 'Megan Bowen', aadObjectId: 'b2b2b2b2-0000-4000-8000-000000000000' };
export const MEGAN_UPN = 'megan.bowen@contoso.example';

/**
 * The repo's mlops.config.yaml with only trainers narrowed (so Retry can be refused) and a
 * `watch:` section appended; the poll timer is an hour, so tests drive passes themselves.
 */
export function watchYaml(extra = ''): string {
  const base = readFileSync(join(REPO_ROOT, 'mlops.config.yaml'), 'utf8').replace('trainers: ["*"]', 'trainers: ["user-id-0"]');
  return `${base}\nwatch:\n  jobs:\n    - job: train-fashion-cnn\n  pollEvery: 1h\n${extra}`;
}

export interface WatchWorld {
  sandbox: Sandbox;
  connector: MockConnector;
  port: number;
  dbPath: string;
  config: Readonly<AppConfig>;
  start(): Promise<RunningBot>;
  /** Posts `/subscribe ...` from a conversation (which also saves its reference for proactive posts). */
  subscribe(bot: RunningBot, conversationId: string, who: Who, args: string): Promise<void>;
  close(): Promise<void>;
}

export async function watchWorld(o: { webhooks: boolean; yaml?: string; /** The run tracker's poll interval (default 1 h: runs move by webhooks only). */ pollMs?: number }): Promise<WatchWorld> {
  const port = await freePort();
  const sandbox = await startSandbox({
    clock: new SandboxClock(100),
    ...(o.webhooks ? { webhooks: { azureDevOpsUrl: `http://127.0.0.1:${port}/api/webhooks/azure-devops`, databricksUrl: `http://127.0.0.1:${port}/api/webhooks/databricks`, secret: WATCH_SECRET } } : {}),
  });
  const connector = await MockConnector.start();
  const dbPath = join(mkdtempSync(join(tmpdir(), 'mlops-watch-')), 'state.db');
  const yaml = o.yaml ?? watchYaml();
  const config = loadConfig({ ...sandbox.env, STATE_STORE: `sqlite:${dbPath}`, POLL_INTERVAL_MS: String(o.pollMs ?? 3_600_000), LOG_LEVEL: 'error' }, (p) => (p.endsWith('mlops.config.yaml') ? yaml : readFileSync(p, 'utf8')), REPO_ROOT);
  return {
    sandbox,
    connector,
    port,
    dbPath,
    config,
    start: () => startBot(config, process.env.WATCH_DEBUG ? createLogger('debug', { test: 'watch' }) : silentLogger, { host: '127.0.0.1', port }),
    subscribe: async (bot, conversationId, who, args) => {
      const res = await postActivity(bot.url, messageActivity(connector.serviceUrl, conversationId, who, `/subscribe ${args}`));
      if (res.status !== 200) throw new Error(`/subscribe answered ${res.status}`);
    },
    close: async () => {
      await connector.close();
      await sandbox.close();
    },
  };
}

/** Cards posted (not updates) to a conversation whose JSON contains `text`. */
export function postsOf(connector: MockConnector, conversationId: string, text: string): Array<{ activityId: string | undefined; body: string }> {
  return connector.requests.filter((r) => r.kind === 'send' && r.conversationId === conversationId && JSON.stringify(r.body).includes(text)).map((r) => ({ activityId: r.activityId, body: JSON.stringify(r.body) }));
}
