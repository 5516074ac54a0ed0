import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox } from '../../sandbox/sandbox';
import { createServiceClients } from '../../services/clients';
import { loadConfig } from '../../services/config/config';
import { silentLogger } from '../../services/logger';
import { SqliteStore } from '../../services/store/sqlite.store';
import { stageOf } from '../../services/workflow/run.types';
import { createRunEngine, createTracker } from '../../services/workflow/workflow';
import { repoRoot } from '../fuzz/fuzz-target';
import { ALEX } from './bot-under-test';
import type { Figure } from './figure';

interface Tracked {
  runs: number;
  reached: number;
  wallMs: number;
  cpuMs: number;
  passes: number;
  requests: number;
  rssMb: number;
}

/**
 * N runs started at once on the sandbox (same clock speed for every N), then only the tracker's
 * passes bring them on (the engine's own follow-up steps run as in production), until every run
 * has reached its approval stage. Backend requests are counted from Node's HTTP diagnostics
 * channels (fetch and node:http clients alike).
 */
interface Env {
  config: ReturnType<typeof loadConfig>;
  clients: ReturnType<typeof createServiceClients>;
}

async function track(env: Env, n: number, timeoutMs: number): Promise<Tracked> {
  const { config, clients } = env;
  // A fresh store per measurement; the sandbox (one per process: MSAL caches its identity endpoint) is shared.
  const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'mlops-track-')), 't.db'));
  const engine = createRunEngine(config, clients, store.runs, silentLogger);
  const tracker = createTracker(config, clients, engine, store.runs, silentLogger);
  let requests = 0;
  const count = (): void => {
    requests += 1;
  };
  try {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await engine.startTrain({ model: 'fashion-cnn', params: { epochs: 1 }, requester: ALEX, conversationId: 'a:bench' });
      if (!r.ok) throw new Error(`the engine refused a run: ${JSON.stringify(r.refusal)}`);
      ids.push(r.run.id);
    }
    subscribe('undici:request:create', count);
    subscribe('http.client.request.start', count);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let passes = 0;
    let reached = 0;
    while (performance.now() - t0 < timeoutMs) {
      await tracker.tick();
      passes += 1;
      reached = 0;
      for (const id of ids) {
        const r = await store.runs.getRun(id);
        if (r && (stageOf(r, 'approval').state !== 'pending' || r.status === 'failed')) reached += 1;
      }
      if (reached === n) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { runs: n, reached, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, passes, requests, rssMb: process.memoryUsage().rss / 2 ** 20 };
  } finally {
    unsubscribe('undici:request:create', count);
    unsubscribe('http.client.request.start', count);
    await store.close();
  }
}

export async function trackingFigures(o: { small: number; big: number; timeoutMs: number }): Promise<Figure[]> {
  const sandbox = await startSandbox({ clock: new SandboxClock(400) });
  const config = loadConfig({ ...sandbox.env, STATE_STORE: 'sqlite::memory:' }, undefined, repoRoot());
  const env = { config, clients: createServiceClients(config, silentLogger, { pollIntervalInMs: 20, retry: { baseDelayInMs: 50, maxDelayInMs: 1_000, maxRetries: 3 } }) };
  let a: Tracked, big: Tracked, b: Tracked;
  try {
    a = await track(env, o.small, o.timeoutMs);
    big = await track(env, o.big, o.timeoutMs);
    b = await track(env, o.small, o.timeoutMs);
  } finally {
    await sandbox.close();
  }
  const small = a.wallMs <= b.wallMs ? a : b;
  const perPass = (t: Tracked): string => `${(t.requests / Math.max(1, t.passes)).toFixed(1)} req/pass over ${t.passes} passes`;
  const done = big.reached === big.runs ? '' : `, only ${big.reached}/${big.runs} reached approval in ${o.timeoutMs / 1000} s`;
  return [
    { name: `time to approval, ${o.big} runs / ${o.small} runs`, value: big.wallMs / small.wallMs, target: { atMost: 1.5 }, unit: 'x', detail: `${(big.wallMs / 1000).toFixed(1)} s vs ${(small.wallMs / 1000).toFixed(1)} s; ${perPass(big)} vs ${perPass(small)}${done}`, samples: [big.wallMs / a.wallMs, big.wallMs / b.wallMs] },
    { name: `CPU per run, ${o.big} runs / ${o.small} runs`, value: big.cpuMs / big.runs / (small.cpuMs / small.runs), target: { atMost: 1.5 }, unit: 'x', detail: `${(big.cpuMs / big.runs).toFixed(1)} ms vs ${(small.cpuMs / small.runs).toFixed(1)} ms per run (bench process: bot + sandbox)` },
    { name: `RSS of bot + sandbox with ${o.big} runs in flight`, value: big.rssMb, target: { info: true }, unit: 'MB', detail: 'one process holds the sandbox too; the bot alone is measured below' },
  ];
}
