import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startAzuriteTable } from '../../sandbox/azurite/azurite-table';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox } from '../../sandbox/sandbox';
import { createServiceClients } from '../../services/clients';
import { loadConfig } from '../../services/config/config';
import { silentLogger } from '../../services/logger';
import { AzureTableStore } from '../../services/store/azure-table/azure-table.store';
import { SqliteStore } from '../../services/store/sqlite.store';
import type { RunStore } from '../../services/workflow/run-store';
import { stageOf } from '../../services/workflow/run.types';
import { createRunEngine, createTracker } from '../../services/workflow/workflow';
import { repoRoot } from '../fuzz/fuzz-target';
import { ALEX } from './bot-under-test';
import type { Figure } from './figure';

interface Measured {
  wallMs: number;
  transitions: number;
  /** Table requests of the engine and tracker (Azure only). */
  requests: number;
}

/** Counts transitions (createRun + saveRun); requests are counted per store, since transitions of several runs overlap. */
function counted(runs: RunStore): { runs: RunStore; transitions(): number } {
  let transitions = 0;
  const wrap = <A extends unknown[], R>(fn: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
    transitions += 1;
    return fn(...a);
  };
  const proxy = Object.create(runs) as RunStore;
  proxy.createRun = wrap(runs.createRun.bind(runs));
  proxy.saveRun = wrap(runs.saveRun.bind(runs));
  return { runs: proxy, transitions: () => transitions };
}

/** One transition at a time on a fresh table: what createRun and saveRun (1 audit line, 1 announcement) send. */
async function oneByOne(connectionString: string): Promise<{ create: number; save: number; read: number }> {
  const s = await AzureTableStore.open({ target: { connectionString, table: `one${randomBytes(5).toString('hex')}` } });
  const effects = { audit: [{ at: new Date().toISOString(), actor: 'bench', action: 'step', outcome: 'ok' as const, detail: {} }], outbox: [{ kind: 'progress' as const }] };
  const r0 = s.table.requests;
  // The store treats a run as opaque JSON beside the columns it indexes.
  const base = { model: 'fashion-cnn', status: 'running', requester: ALEX, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), ext: {} };
  let run = await s.runs.createRun(base as never, effects);
  const create = s.table.requests - r0;
  const k = 20;
  let save = 0;
  let read = 0;
  for (let i = 0; i < k; i++) {
    const a = s.table.requests;
    const fresh = await s.runs.getRun(run.id);
    const b = s.table.requests;
    run = await s.runs.saveRun(fresh ?? run, effects);
    read += b - a;
    save += s.table.requests - b;
  }
  return { create, save: save / k, read: read / k };
}

type Env = { config: ReturnType<typeof loadConfig>; clients: ReturnType<typeof createServiceClients> };

/** The tracking bench's workflow: n runs started, the tracker's passes bring them to their approval stage. */
async function workflow(env: Env, runs: RunStore, check: RunStore, n: number, requests: () => number): Promise<Measured> {
  const c = counted(runs);
  const engine = createRunEngine(env.config, env.clients, c.runs, silentLogger);
  const tracker = createTracker(env.config, env.clients, engine, c.runs, silentLogger);
  const t0 = performance.now();
  const r0 = requests();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await engine.startTrain({ model: 'fashion-cnn', params: { epochs: 1 }, requester: ALEX, conversationId: 'a:bench' });
    if (!r.ok) throw new Error(`the engine refused a run: ${JSON.stringify(r.refusal)}`);
    ids.push(r.run.id);
  }
  for (let reached = 0; reached < n; ) {
    if (performance.now() - t0 > 300_000) throw new Error(`only ${reached}/${n} runs reached approval in 300 s`);
    await tracker.tick();
    reached = 0;
    for (const id of ids) {
      const r = await check.getRun(id);
      if (r && (stageOf(r, 'approval').state !== 'pending' || r.status === 'failed')) reached += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { wallMs: performance.now() - t0, transitions: c.transitions(), requests: requests() - r0 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** The same workflow on SQLite and on Azure Tables (Azurite on loopback), alternating, as a ratio. */
export async function storeFigures(o: { runs: number; rounds: number }): Promise<Figure[]> {
  const sandbox = await startSandbox({ clock: new SandboxClock(400) });
  const azurite = await startAzuriteTable();
  const config = loadConfig({ ...sandbox.env, STATE_STORE: 'sqlite::memory:' }, undefined, repoRoot());
  const env = { config, clients: createServiceClients(config, silentLogger, { pollIntervalInMs: 20, retry: { baseDelayInMs: 50, maxDelayInMs: 1_000, maxRetries: 3 } }) };
  const sqlite: Measured[] = [];
  const table: Measured[] = [];
  let one: { create: number; save: number; read: number };
  try {
    one = await oneByOne(azurite.connectionString);
    for (let i = 0; i < o.rounds; i++) {
      const s = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'mlops-store-')), 's.db'));
      sqlite.push(await workflow(env, s.runs, s.runs, o.runs, () => 0));
      await s.close();
      const name = `bench${randomBytes(5).toString('hex')}`;
      const t = await AzureTableStore.open({ target: { connectionString: azurite.connectionString, table: name } });
      // The bench's own progress checks go through a second client, so they are not counted.
      const checker = await AzureTableStore.open({ target: { connectionString: azurite.connectionString, table: name } });
      table.push(await workflow(env, t.runs, checker.runs, o.runs, () => t.table.requests));
    }
  } finally {
    await azurite.stop();
    await sandbox.close();
  }
  const ratios = table.map((t, i) => t.wallMs / (sqlite[i]?.wallMs ?? NaN));
  const allPerTransition = (m: Measured): number => m.requests / Math.max(1, m.transitions);
  const last = table[table.length - 1];
  return [
    { name: `time to approval, ${o.runs} runs, Azure Tables (Azurite) / SQLite`, value: median(ratios), target: { info: true }, unit: 'x', detail: `${(median(table.map((t) => t.wallMs)) / 1000).toFixed(1)} s vs ${(median(sqlite.map((t) => t.wallMs)) / 1000).toFixed(1)} s (Azurite on loopback: no network latency)`, samples: ratios },
    { name: 'table requests of one saveRun (1 audit line, 1 announcement)', value: one.save, target: { info: true }, unit: '', detail: `the run read just before (getRun) costs ${one.read.toFixed(1)} more; createRun with the same effects ${one.create}` },
    { name: 'table requests per run transition (tracker reads included)', value: median(table.map(allPerTransition)), target: { info: true }, unit: '', detail: `${last?.requests ?? 0} requests in all, polling every 50 ms of the bench loop` },
  ];
}
