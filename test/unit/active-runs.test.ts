import { silentLogger } from '../../services/logger';
import { SqliteStore } from '../../services/store/sqlite.store';
import { activeRunPages } from '../../services/workflow/active-runs';
import type { RunStore } from '../../services/workflow/run-store';
import type { RunRecord } from '../../services/workflow/run.types';
import { Tracker } from '../../services/workflow/tracker';
import { approvalBench } from '../support/approval-engine';
import { sandboxConfig } from '../support/context';

/** Issue 13: every unfinished run is polled however many there are; opening an approval reads only the waiting runs. */
async function seed(store: SqliteStore, n: number, finishedEvery: number): Promise<{ active: string[] }> {
  const active: string[] = [];
  for (let i = 0; i < n; i++) {
    const finished = finishedEvery > 0 && i % finishedEvery === 0;
    const r = await store.runs.createRun({
      model: 'fashion-cnn', target: 'production', kind: 'train', params: {}, branch: 'main', requester: { id: 'u', name: 'U' }, conversationId: 'c',
      status: finished ? 'succeeded' : 'running', stages: [], metrics: [], createdAt: '2026-11-26T10:00:00Z', updatedAt: '2026-11-26T10:00:00Z',
    } as unknown as Omit<RunRecord, 'id' | 'version'>);
    if (!finished) active.push(r.id);
  }
  return { active };
}

describe('active runs past one page of the listing', () => {
  it('pages through every active run, newest first, each exactly once', async () => {
    const store = new SqliteStore(':memory:');
    const { active } = await seed(store, 37, 4);
    const pages: string[][] = [];
    for await (const page of activeRunPages(store.runs, 5)) pages.push(page.map((r) => r.id));
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.every((p) => p.length <= 5)).toBe(true);
    expect(pages.flat()).toEqual([...active].reverse());
    await store.close();
  });

  it('yields no page at all when no run is active, nor an empty last page when the runs fill whole pages', async () => {
    const store = new SqliteStore(':memory:');
    const pages: number[] = [];
    for await (const page of activeRunPages(store.runs, 5)) pages.push(page.length);
    expect(pages).toEqual([]);
    await seed(store, 10, 0);
    for await (const page of activeRunPages(store.runs, 5)) pages.push(page.length);
    expect(pages).toEqual([5, 5]);
    await store.close();
  });

  it('has the tracker advance every active run when there are more than one page of them', async () => {
    const store = new SqliteStore(':memory:');
    const { active } = await seed(store, 23, 5);
    const advanced: string[] = [];
    const calls: unknown[] = [];
    const runs = new Proxy(store.runs, {
      get(target, prop, receiver) {
        if (prop !== 'listRuns') return Reflect.get(target, prop, receiver) as unknown;
        return (f: Parameters<RunStore['listRuns']>[0]) => {
          calls.push(f);
          return target.listRuns(f);
        };
      },
    });
    const tracker = new Tracker({
      engine: { advance: async (id) => (advanced.push(id), undefined), relay: async () => undefined },
      runs, devops: undefined, databricks: undefined, models: sandboxConfig().mlops.models, logger: silentLogger, pageSize: 4,
    });
    await tracker.tick();
    expect(active.length).toBeGreaterThan(4 * 3);
    expect([...advanced].sort()).toEqual([...active].sort());
    expect(calls.length).toBe(Math.floor(active.length / 4) + 1);
    await store.close();
  });
});

describe('opening an approval', () => {
  it('reads only the runs waiting for approval, not every active run of the model', async () => {
    let rowsRead = 0;
    const b = approvalBench((inner) => new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop !== 'listRuns') return Reflect.get(target, prop, receiver) as unknown;
        return async (f: Parameters<RunStore['listRuns']>[0]) => {
          const rows = await target.listRuns(f);
          rowsRead += rows.length;
          return rows;
        };
      },
    }));
    const { active } = await seed(b.store, 40, 0);
    const older = await b.waitingRun({ version: '7' });
    const newer = await b.reachingApproval({ version: '8' });
    await b.engine.advance(newer.id);
    expect(active.length).toBe(40);
    expect((await b.store.runs.getRun(older.id))?.approval?.state).toBe('stale');
    // The older waiting run, and possibly the newer one once it waits too: never the 40 running ones.
    expect(rowsRead).toBeLessThanOrEqual(2);
    expect(rowsRead).toBeGreaterThanOrEqual(1);
  });
});
