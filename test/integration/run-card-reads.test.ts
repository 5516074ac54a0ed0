import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunCardWriter } from '../../bot/run-card.writer';
import { SqliteStore } from '../../services/store/sqlite.store';
import { newTrainRun } from '../../services/workflow/run-factory';
import type { RunStore } from '../../services/workflow/run-store';
import type { RunRecord } from '../../services/workflow/run.types';
import { sandboxConfig } from '../support/context';

/**
 * Runs and history read for cards are kept while the store is unchanged (RunStore.changeStamp,
 * issue 13): a /status of a run that has not moved is not read and parsed again, and the model's
 * history queries are not run again. Any write (by this bot, or by another process on the same
 * database file) must show in the next card.
 */
describe('cards read the store again only when it changed', () => {
  const config = sandboxConfig();
  const model = config.mlops.models['fashion-cnn']!;
  const now = Date.parse('2026-11-30T10:00:00Z');
  const base = newTrainRun({ model: 'fashion-cnn', params: {}, requester: { id: 'user-id-0', name: 'Alex Wilber' }, conversationId: 'c' }, model, now).run;
  const file = join(mkdtempSync(join(tmpdir(), 'mlops-card-reads-')), 'bot.db');
  const store = new SqliteStore(file);
  /** Another process's connection to the same database. */
  const other = new SqliteStore(file);
  afterAll(async () => {
    await store.close();
    await other.close();
  });
  const reads = { getRun: 0, listRuns: 0 };
  const counted = new Proxy(store.runs, {
    get: (target, key) => {
      const value = Reflect.get(target, key) as unknown;
      if ((key === 'getRun' || key === 'listRuns') && typeof value === 'function') {
        return (...args: unknown[]) => {
          reads[key] += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value;
    },
  }) as RunStore;
  const writer = new RunCardWriter({ runs: counted, models: config.mlops.models, now: () => now });
  const reset = () => Object.assign(reads, { getRun: 0, listRuns: 0 });

  it('reads an unchanged run once, hands out a frozen record, and reads again after a write', async () => {
    const created = await store.runs.createRun({ ...base, status: 'running' });
    reset();
    const first = await writer.stored(created.id);
    const again = await writer.stored(created.id);
    expect(again).toBe(first);
    expect(reads.getRun).toBe(1);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first?.stages[0])).toBe(true);
    expect(() => {
      (first as RunRecord).status = 'failed';
    }).toThrow(TypeError);

    // This bot's own transition.
    await store.runs.saveRun({ ...created, status: 'waiting_approval' });
    expect((await writer.stored(created.id))?.status).toBe('waiting_approval');
    expect(reads.getRun).toBe(2);

    // Another process's commit on the same file.
    const theirs = (await other.runs.getRun(created.id))!;
    await other.runs.saveRun({ ...theirs, status: 'failed', failure: { stage: 'approval', system: 'Teams', message: 'rejected', logTail: [] } });
    expect((await writer.stored(created.id))?.status).toBe('failed');
    expect(reads.getRun).toBe(3);
  });

  it('runs the history queries of a card once while nothing changes, and shows what another process made live', async () => {
    const running = await store.runs.createRun({ ...base, target: 'production', status: 'running' });
    reset();
    const card = JSON.stringify(await writer.card(running));
    expect(card).toContain('"title":"staging","value":"not deployed yet"');
    const queries = reads.listRuns;
    expect(queries).toBeGreaterThan(0);
    expect(JSON.stringify(await writer.card(running))).toBe(card);
    expect(reads.listRuns).toBe(queries);

    // Staging gets a live version, written by another bot process.
    await other.runs.createRun({ ...base, target: 'staging', status: 'succeeded', registered: { version: '4' } });
    expect(JSON.stringify(await writer.card(running))).toContain('"title":"staging","value":"**v4**');
    expect(reads.listRuns).toBeGreaterThan(queries);
  });

  it('gives the same card again for a run that did not change, unless its card counts time', async () => {
    let clock = now;
    let builds = 0;
    const timed = new RunCardWriter({
      runs: counted,
      models: config.mlops.models,
      // Asked once by every card that is built (runCardView), never by one given again.
      now: () => {
        builds += 1;
        return clock;
      },
    });
    const finished = await store.runs.createRun({ ...base, status: 'succeeded', stages: base.stages.map((st) => ({ ...st, state: 'succeeded', startedAt: new Date(now - 60_000).toISOString(), finishedAt: new Date(now - 30_000).toISOString() })) });
    const shown = (await timed.stored(finished.id))!;
    reset();
    const card = await timed.card(shown);
    expect(builds).toBe(1);
    const queries = reads.listRuns;
    expect(await timed.card(shown)).toBe(card);
    expect(builds).toBe(1);
    expect(reads.listRuns).toBe(queries);
    // A run object that is not frozen may change between two looks: built every time.
    const mutable = { ...shown };
    expect(await timed.card(mutable)).toEqual(card);
    expect(builds).toBe(2);
    mutable.status = 'failed';
    expect(JSON.stringify(await timed.card(mutable))).toContain('Failed');
    expect(builds).toBe(3);
    // A write anywhere: the same run object gets its card built again, its history read again
    // (here it reads the same, and the card memo gives the same card).
    await store.runs.setMessage(finished.id, 'runCard', 'c', 'a-2');
    expect(await timed.card(shown)).toEqual(card);
    expect(builds).toBe(4);
    expect(reads.listRuns).toBeGreaterThan(queries);

    // A stage under way (running, waiting for approval, queued): its duration counts up to now, so
    // the card is built for every look.
    for (const state of ['running', 'waiting', 'queued'] as const) {
      const under = await store.runs.createRun({ ...base, status: 'running', stages: base.stages.map((st, i) => (i === 0 ? { ...st, state, startedAt: new Date(clock - 60_000).toISOString() } : st)) });
      const live = (await timed.stored(under.id))!;
      const first = JSON.stringify(await timed.card(live));
      clock += 120_000;
      const later = JSON.stringify(await timed.card(live));
      expect([state, first]).toEqual([state, expect.stringContaining('"text":"1m')]);
      expect([state, later]).toEqual([state, expect.stringContaining('"text":"3m')]);
    }
  });

  it('does not count reads as changes, and counts every kind of write', async () => {
    const announced = await store.runs.createRun({ ...base, status: 'running' }, { outbox: [{ kind: 'progress' }] });
    const stamp = store.runs.changeStamp();
    await store.runs.listRuns({ model: 'fashion-cnn', limit: 10 });
    await store.runs.getRun(announced.id);
    const [item] = (await store.runs.pendingOutbox(10, Number.MAX_SAFE_INTEGER)).filter((i) => i.runId === announced.id);
    expect(store.runs.changeStamp()).toBe(stamp);
    await store.runs.setMessage(announced.id, 'runCard', 'c', 'a-1');
    const afterMessage = store.runs.changeStamp();
    expect(afterMessage).not.toBe(stamp);
    // An outbox completion (a deferred commit) counts too.
    await store.runs.completeOutbox([item!.id]);
    expect(store.runs.changeStamp()).not.toBe(afterMessage);
  });
});
