import type { ModelConfig } from '../../services/config/mlops-config.schema';
import { SqliteStore } from '../../services/store/sqlite.store';
import { environmentNames, environmentOf, liveHistory, nextEnvironment, previousEnvironment, promotionRefusal } from '../../services/workflow/environments';
import type { RunRecord } from '../../services/workflow/run.types';

// The environments of a model in promotion order and the rule between them
// (services/workflow/environments.ts), over the real SQLite store.
const m = { environments: [{ name: 'dev' }, { name: 'staging' }, { name: 'production' }] } as unknown as ModelConfig;

let store: SqliteStore;
beforeEach(() => (store = new SqliteStore(':memory:')));
afterEach(async () => store.close());

async function put(target: string, version: string | undefined, o: Partial<Pick<RunRecord, 'status' | 'kind' | 'model'>> = {}): Promise<RunRecord> {
  return store.runs.createRun({
    model: 'fashion-cnn', target, kind: 'train', params: {}, branch: 'main', requester: { id: 'u', name: 'U' }, conversationId: 'c', status: 'succeeded',
    stages: [], metrics: [], createdAt: '2026-11-26T10:00:00Z', updatedAt: '2026-11-26T10:00:00Z', ...(version === undefined ? {} : { registered: { version } }), ...o,
  } as unknown as Omit<RunRecord, 'id' | 'version'>);
}

describe('the order of environments', () => {
  it('names the one before and the one after, and none past either end or for an unknown name', () => {
    expect(previousEnvironment(m, 'staging')?.name).toBe('dev');
    expect(previousEnvironment(m, 'production')?.name).toBe('staging');
    expect(previousEnvironment(m, 'dev')).toBeUndefined();
    expect(previousEnvironment(m, 'qa')).toBeUndefined();
    expect(nextEnvironment(m, 'dev')?.name).toBe('staging');
    expect(nextEnvironment(m, 'staging')?.name).toBe('production');
    expect(nextEnvironment(m, 'production')).toBeUndefined();
    expect(nextEnvironment(m, 'qa')).toBeUndefined();
  });

  it("names every environment for messages, and says which one a run's configuration lost", () => {
    expect(environmentNames(m)).toBe('dev, staging, production');
    expect(() => environmentOf({ model: 'fashion-cnn', target: 'qa' }, m)).toThrow('environment qa of fashion-cnn is no longer in mlops.config.yaml');
    expect(environmentOf({ model: 'fashion-cnn', target: 'staging' }, m).name).toBe('staging');
  });
});

describe('what was live in an environment', () => {
  it("is the model's succeeded runs there with a version, newest first, without relays", async () => {
    const v1 = await put('staging', '1');
    await put('staging', '2', { status: 'failed' });
    await put('production', '3');
    await put('staging', '4', { model: 'other' });
    await put('staging', undefined);
    await put('staging', '5', { kind: 'relay' });
    const v6 = await put('staging', '6', { kind: 'deploy' });
    expect((await liveHistory(store.runs, 'fashion-cnn', 'staging')).map((r) => r.id)).toEqual([v6.id, v1.id]);
  });
});

describe('promotion', () => {
  it('takes any version into the first environment', async () => {
    expect(await promotionRefusal(store.runs, m, 'fashion-cnn', 'dev', '9')).toBeUndefined();
  });

  it('takes into a later environment only a version whose run succeeded in the one before', async () => {
    await put('dev', '7');
    await put('dev', '8', { status: 'failed' });
    await put('staging', '9');
    expect(await promotionRefusal(store.runs, m, 'fashion-cnn', 'staging', '7')).toBeUndefined();
    expect(await promotionRefusal(store.runs, m, 'fashion-cnn', 'staging', '8')).toBe(
      'Version 8 of fashion-cnn has not passed dev yet, so it cannot go to staging. Deploy it to dev first (/deploy fashion-cnn 8 --env dev). Nothing was changed.',
    );
    // Passing staging itself is not passing dev: the rule looks at the environment just before.
    expect(await promotionRefusal(store.runs, m, 'fashion-cnn', 'production', '7')).toMatch(/^Version 7 of fashion-cnn has not passed staging yet/);
    expect(await promotionRefusal(store.runs, m, 'fashion-cnn', 'production', '9')).toBeUndefined();
  });
});
