import { pageOfRuns, ENV_SCAN_LIMIT } from '../../bot/dashboard/runs-query';
import { SqliteStore } from '../../services/store/sqlite.store';
import { STAGE_IDS, type RunRecord } from '../../services/workflow/run.types';

const at = '2026-01-01T00:00:00.000Z';
const run = (target: string): Omit<RunRecord, 'id' | 'version'> => ({
  model: 'm', target, kind: 'deploy', params: {}, branch: 'main', requester: { id: 'u', name: 'U' }, conversationId: 'c', status: 'succeeded',
  stages: STAGE_IDS.map((id) => ({ id, state: 'succeeded' })), metrics: [], createdAt: at, updatedAt: at,
});

/** The environment filter the store does not have: pages hold only that environment's runs, newest first, and page on without gaps. */
describe('runs of one environment, page by page', () => {
  let store: SqliteStore;
  beforeEach(() => {
    store = new SqliteStore(':memory:');
  });
  afterEach(async () => store.close());

  it('pages through one environment among others with the cursor, missing none and repeating none', async () => {
    const prod: string[] = [];
    for (let i = 0; i < 60; i++) {
      const r = await store.runs.createRun(run(i % 3 === 0 ? 'production' : 'staging'));
      if (r.target === 'production') prod.unshift(r.id);
    }
    const seen: string[] = [];
    let before: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await pageOfRuns(store.runs, before ? { before } : {}, 'production', 7);
      expect(page.runs.every((r) => r.target === 'production')).toBe(true);
      seen.push(...page.runs.map((r) => r.id));
      if (!page.next) break;
      before = page.next;
    }
    expect(seen).toEqual(prod);
  });

  it('stops a page after reading ENV_SCAN_LIMIT runs and hands on where it stopped', async () => {
    await store.runs.createRun(run('production'));
    for (let i = 0; i < ENV_SCAN_LIMIT + 50; i++) await store.runs.createRun(run('staging'));
    const first = await pageOfRuns(store.runs, {}, 'production', 25);
    expect(first.runs).toEqual([]);
    expect(first.next).toMatch(/^r-\d+$/);
    const second = await pageOfRuns(store.runs, { before: first.next! }, 'production', 25);
    expect(second.runs.map((r) => r.id)).toEqual(['r-1']);
    expect(second.next).toBeUndefined();
  });
});
