import { RunCardWriter } from '../../bot/run-card.writer';
import { SqliteStore } from '../../services/store/sqlite.store';
import { newTrainRun } from '../../services/workflow/run-factory';
import type { RunFilter } from '../../services/workflow/run-store';
import type { RunRecord } from '../../services/workflow/run.types';
import { sandboxConfig } from '../support/context';

/**
 * What is live in each environment and the rollback offer on a run card come from the model's
 * succeeded runs, read per environment a few at a time (bot/run-card.writer.ts, issue 13): the
 * card says what reading every succeeded run would say, without parsing them all.
 */
describe('the run card reads what is live per environment without reading the whole history', () => {
  const config = sandboxConfig();
  const model = config.mlops.models['fashion-cnn']!;
  const now = Date.parse('2026-11-29T10:00:00Z');
  const base = newTrainRun({ model: 'fashion-cnn', params: {}, requester: { id: 'user-id-0', name: 'Alex Wilber' }, conversationId: 'c' }, model, now).run;
  const store = new SqliteStore(':memory:');
  afterAll(() => store.close());
  let rowsRead = 0;
  const runs = new Proxy(store.runs, {
    get: (target, key) =>
      key === 'listRuns'
        ? async (f: RunFilter) => {
            const page = await target.listRuns(f);
            rowsRead += page.length;
            return page;
          }
        : (Reflect.get(target, key) as unknown),
  });
  const writer = new RunCardWriter({ runs, models: config.mlops.models, now: () => now });
  const succeeded = (target: string, version: string, kind: RunRecord['kind'] = 'train') => store.runs.createRun({ ...base, kind, target, status: 'succeeded', registered: { version } });
  let newest: RunRecord;

  beforeAll(async () => {
    expect(model.environments.map((e) => e.name)).toEqual(['staging', 'production']);
    await succeeded('staging', '1'); // staging's live version, older than everything below
    for (let v = 2; v <= 251; v++) newest = await succeeded('production', String(v));
    await succeeded('production', '999', 'relay'); // a relay is never what is live
    await succeeded('production', '998', 'relay');
  });

  it('shows the version live in each environment however old, reading a few runs instead of every one', async () => {
    rowsRead = 0;
    const running = await store.runs.createRun({ ...base, target: 'production', status: 'running' });
    const card = JSON.stringify(await writer.card(running));
    // Staging's live run is older than the model's 250 newest succeeded runs (the limit the card used to read).
    expect(card).toContain('"title":"staging","value":"**v1**');
    expect(card).not.toContain('v999');
    expect(card).not.toContain('v998');
    expect(rowsRead).toBeLessThan(20);
  });

  it('offers the rollback to the previous version of the run\'s environment, reading a few runs', async () => {
    rowsRead = 0;
    const card = JSON.stringify(await writer.card(newest));
    expect(card).toContain('Roll back to v250');
    expect(rowsRead).toBeLessThan(30);
  });

  it('stops paging when a store gives the same page again (no progress), instead of looping', async () => {
    const relay = { ...base, id: 'r-x', version: 1, kind: 'relay' as const, target: 'staging', status: 'succeeded' as const, registered: { version: '7' } };
    let calls = 0;
    const stuck = new Proxy(store.runs, {
      get: (target, key) =>
        key === 'listRuns'
          ? async (f: RunFilter) => {
              calls += 1;
              return Array.from({ length: f.limit ?? 1 }, () => relay);
            }
          : (Reflect.get(target, key) as unknown),
    });
    const card = JSON.stringify(await new RunCardWriter({ runs: stuck, models: config.mlops.models, now: () => now }).card({ ...base, id: 'r-y', version: 1 }));
    expect(card).toContain('"title":"production","value":"not deployed yet"');
    expect(calls).toBeLessThanOrEqual(4);
  });
});

