import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startBot, type RunningBot } from '../../bot/app';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { loadConfig } from '../../services/config/config';
import { createLogger } from '../../services/logger';
import { STAGE_IDS, type RunRecord } from '../../services/workflow/run.types';

/**
 * What the fuzz attacks: the real bot (startBot) on the sandbox, with authentication off (the
 * most exposed mode: nothing stops a body before the activity checks), a webhook secret, and a
 * Bot Connector stand-in that accepts every reply and keeps it, so the answers AND what the bot
 * posts to Teams can be searched for secrets and stacks. One run, "guarded", waits for an
 * approval that no fuzzing user may give: it must not change.
 */
export interface FuzzTarget {
  bot: RunningBot;
  botUrl: string;
  serviceUrl: string;
  webhookSecret: string;
  /** Every configured secret value: none may appear in an answer or a posted message. */
  secrets: readonly string[];
  guarded: RunRecord;
  /** Bodies the bot posted to the Bot Connector (the newest 2,000). */
  posted: string[];
  /** Log lines at error level (the newest 2,000). */
  errors: string[];
  close(): Promise<void>;
}

export const FUZZ_WEBHOOK_SECRET = 'fuzz-webhook-secret-0123456789abcdef';
export const REQUESTER = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-0000000000020' };

export function repoRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'mlops.config.yaml'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

function bounded(list: string[], line: string): void {
  list.push(line);
  if (list.length > 2_000) list.splice(0, list.length - 2_000);
}

async function startConnector(posted: string[]): Promise<{ server: Server; url: string }> {
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      // GET .../pagedmembers: an empty roster page, as the Bot Connector answers it (TeamsPagedMembersResult).
      if (req.method === 'GET') return res.end(JSON.stringify({ members: [] }));
      bounded(posted, Buffer.concat(chunks).toString('utf8'));
      res.end(JSON.stringify({ id: `fuzz-activity-${++n}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

export async function startFuzzTarget(): Promise<FuzzTarget> {
  const root = repoRoot();
  const sandbox: Sandbox = await startSandbox({ clock: new SandboxClock(1) });
  const posted: string[] = [];
  const errors: string[] = [];
  const connector = await startConnector(posted);
  // Only Alex trains and only Megan approves, so no fuzzing stranger holds a role.
  const yaml = (p: string): string => readFileSync(p, 'utf8').replace('trainers: ["*"]', 'trainers: ["user-id-0"]');
  const config = loadConfig(
    { ...sandbox.env, WEBHOOK_SECRET: FUZZ_WEBHOOK_SECRET, STATE_STORE: `sqlite:${join(mkdtempSync(join(tmpdir(), 'mlops-fuzz-')), 's.db')}`, POLL_INTERVAL_MS: '3600000' },
    yaml,
    root,
  );
  const logger = createLogger('error', {}, (l) => bounded(errors, l), config.secrets);
  const bot = await startBot(config, logger, { host: '127.0.0.1', port: 0 });
  const at = new Date().toISOString();
  const guarded = await bot.store.runs.createRun({
    model: 'fashion-cnn', target: 'production', kind: 'train', params: { lr: 0.01 }, branch: 'main', requester: REQUESTER, conversationId: 'a:fuzz-conv',
    status: 'waiting_approval', stages: STAGE_IDS.map((id) => ({ id, state: id === 'approval' ? ('waiting' as const) : ['ci', 'training', 'registered'].includes(id) ? ('succeeded' as const) : ('pending' as const), ...(id === 'approval' ? { startedAt: at } : {}) })), registered: { version: '3' }, metrics: [],
    approval: { required: 1, expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), decisions: [], state: 'pending' }, createdAt: at, updatedAt: at,
  });
  return {
    bot, botUrl: bot.url, serviceUrl: connector.url, webhookSecret: FUZZ_WEBHOOK_SECRET, secrets: config.secrets, guarded, posted, errors,
    close: async () => {
      await bot.stop();
      await new Promise<void>((r) => connector.server.close(() => r()));
      await sandbox.close();
    },
  };
}
