/**
 * The in-process part of `npm run bench`: the hot paths of the bot, each as a ratio to a baseline measured in the same
 * run on the same machine (never an absolute time, which says nothing on another machine).
 *
 * - run card: rendering the biggest run card (100 metric points per series, trimmed to budget)
 *   against JSON round-tripping the same view data;
 * - parser: resolving a /train command with flags and parameters against splitting it on spaces;
 * - store: persisting a run transition (version check + audit + outbox, one SQLite transaction)
 *   against a plain single-row SQLite insert.
 */
import Database from 'better-sqlite3';
import { runCard } from '../cards/run.card';
import type { RunCardView } from '../cards/views';
import { createCommandRegistry } from '../bot/commands';
import { SqliteStore } from '../services/store/sqlite.store';
import { STAGE_IDS, type RunRecord } from '../services/workflow/run.types';

function timeIt(fn: () => void, minMs = 400): number {
  for (let i = 0; i < 50; i++) fn(); // warm up
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    fn();
    n++;
  }
  return (performance.now() - start) / n;
}

function row(name: string, subject: number, baseline: number): void {
  process.stdout.write(`${name.padEnd(44)} ${(subject / baseline).toFixed(1).padStart(8)}x baseline  (${(subject * 1000).toFixed(1)} µs vs ${(baseline * 1000).toFixed(1)} µs)\n`);
}

export async function microBench(): Promise<void> {
  const points = Array.from({ length: 100 }, (_, i) => ({ step: i * 10, value: 2 / (1 + i / 10) }));
  const view: RunCardView = {
    runId: 'r-42', cardVersion: 7, model: 'fashion-cnn', requester: { name: 'Alex Wilber', mri: 'user-id-0' }, branch: 'main',
    parameters: [{ name: 'lr', value: '0.01' }, { name: 'epochs', value: '5' }], status: 'running',
    stages: STAGE_IDS.map((id, i) => ({ id, state: i < 2 ? 'succeeded' : i === 2 ? 'running' : 'pending', duration: '1m 2s', detail: 'detail text' })),
    progressPercent: 60, metrics: [{ name: 'loss', points }, { name: 'accuracy', points }, { name: 'val_loss', points }, { name: 'val_accuracy', points }],
    canCancel: true, canRetry: false, updatedAt: '2026-11-26 10:00 UTC',
  };
  // A new card version each time: a build, not a hit of the card memo (cards/card-memo.ts), which the second row shows.
  let version = 0;
  row('run card (4 series × 100 points), each new', timeIt(() => runCard({ ...view, cardVersion: ++version })), timeIt(() => {
    JSON.parse(JSON.stringify(view));
  }));
  row('run card, the same view again (memo hit)', timeIt(() => runCard(view)), timeIt(() => {
    JSON.parse(JSON.stringify(view));
  }));

  const registry = createCommandRegistry();
  const text = '/train fashion-cnn --branch feature/x lr=0.01 epochs=5 batch_size=64 optimizer=adam';
  row('command resolve (/train with flags and params)', timeIt(() => registry.resolve(text)), timeIt(() => text.split(' ')));

  const store = new SqliteStore(':memory:');
  const base = { model: 'fashion-cnn', target: 'production', kind: 'train' as const, params: {}, branch: 'main', requester: { id: 'u', name: 'U' }, conversationId: 'c', status: 'running' as const,
    stages: STAGE_IDS.map((id) => ({ id, state: 'pending' as const })), metrics: [{ name: 'loss', points }], createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() };
  let current: RunRecord | undefined;
  await store.runs.createRun(base).then(async (r) => {
    current = r;
    const raw = new Database(':memory:');
    raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
    const ins = raw.prepare('INSERT INTO t (body) VALUES (?)');
    const body = JSON.stringify(current);
    const transitions: number[] = [];
    // saveRun is async by interface but synchronous inside (better-sqlite3); time a batch.
    const batch = async (): Promise<number> => {
      const start = performance.now();
      for (let i = 0; i < 500; i++) current = await store.runs.saveRun(current!, { audit: [{ at: 'now', actor: 'bench', action: 'x', outcome: 'ok', detail: {} }], outbox: [{ kind: 'progress' }] });
      return (performance.now() - start) / 500;
    };
    for (let i = 0; i < 3; i++) transitions.push(await batch());
    row('run transition (version check + audit + outbox)', Math.min(...transitions), timeIt(() => ins.run(body)));
    await store.close();
    raw.close();
  });
}
