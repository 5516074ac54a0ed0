import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot, type RunningBot } from '../../bot/app';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { loadConfig } from '../../services/config/config';
import { createLogger } from '../../services/logger';
import { STAGE_IDS, type RunRecord } from '../../services/workflow/run.types';
import { repoRoot } from '../fuzz/fuzz-target';

export const ALEX = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-0000000000020' };
export const MEGAN = { id: 'user-id-1', name: 'Megan Bowen', aadObjectId: '00000000-0000-0000-0000-0000000000021' };

/**
 * The real bot (startBot) with its SQLite store in a file (fsync on, as in production), on a
 * sandbox started here or, with `sandboxEnv`, on one running in another process.
 */
export async function startBotUnderTest(o: { speed?: number; pollIntervalMs?: number; sandboxEnv?: Record<string, string> } = {}): Promise<{ bot: RunningBot; sandbox?: Sandbox; close(): Promise<void> }> {
  const sandbox = o.sandboxEnv ? undefined : await startSandbox({ clock: new SandboxClock(o.speed ?? 1) });
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-'));
  const config = loadConfig({ ...(o.sandboxEnv ?? sandbox?.env), STATE_STORE: `sqlite:${join(dir, 'bench.db')}`, POLL_INTERVAL_MS: String(o.pollIntervalMs ?? 3_600_000) }, undefined, repoRoot());
  const bot = await startBot(config, createLogger('error', {}, () => undefined), { host: '127.0.0.1', port: 0 });
  return {
    bot,
    ...(sandbox ? { sandbox } : {}),
    close: async () => {
      await bot.stop();
      await sandbox?.close();
    },
  };
}

/** A run stored at a given point, without the services: what /status shows and what Approve decides. */
export function seededRun(status: 'running' | 'waiting_approval', conversationId: string, i: number): Omit<RunRecord, 'id' | 'version'> {
  const at = new Date().toISOString();
  const points = Array.from({ length: 50 }, (_, k) => ({ step: k * 10, value: 2 / (1 + k / 10) }));
  const waiting = status === 'waiting_approval';
  return {
    model: 'fashion-cnn', target: `bench-${i}`, kind: 'train', params: { lr: 0.01, epochs: 5 }, branch: 'main', requester: ALEX, conversationId, status,
    stages: STAGE_IDS.map((id) => ({
      id,
      state: ['ci', 'training', 'registered'].includes(id) ? ('succeeded' as const) : id === 'approval' && waiting ? ('waiting' as const) : id === 'ci' ? ('running' as const) : ('pending' as const),
      ...(id === 'approval' && waiting ? { startedAt: at } : {}),
    })),
    registered: { version: String(i + 1) }, metrics: [{ name: 'loss', points }, { name: 'accuracy', points }],
    ...(waiting ? { approval: { required: 1, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), decisions: [], state: 'pending' as const } } : {}),
    createdAt: at, updatedAt: at,
  };
}
