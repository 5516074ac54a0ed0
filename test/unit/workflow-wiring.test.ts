import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceClients } from '../../services/clients';
import { loadConfig, type AppConfig } from '../../services/config/config';
import type { Logger } from '../../services/logger';
import { SqliteStore } from '../../services/store/sqlite.store';
import type { RunEngineDeps } from '../../services/workflow/run-engine';
import type { TrackerDeps } from '../../services/workflow/tracker';
import { createAuthorizer, createRunEngine, createTracker, registryPage, repoRoot } from '../../services/workflow/workflow';
import { configReader } from '../support/environments';

// services/workflow/workflow.ts wires the engine, the tracker and the authorizer from the
// configuration: what each is given is read back from the built object (its private deps), since
// the engine harness builds its own engine and the sandbox suites are not in the mutation set.
const REPO_ROOT = join(__dirname, '../..');
const GROUP = '0a0a0a0a-0000-0000-0000-00000000000a';
const base = loadConfig({ MLOPS_SANDBOX: '1', STATE_STORE: 'sqlite::memory:' }, configReader((t) => t.replace('approvers: ["user-id-1", "meganb@example.com", "approver@contoso.com"]', `approvers: ["group:${GROUP}"]`)), REPO_ROOT);

interface Line { msg: string; fields: Record<string, unknown> }
/** A logger whose child loggers carry their fields into every line, as the real one does. */
function recording(lines: Line[], fields: Record<string, unknown> = {}): Logger {
  const log = (msg: string, f: Record<string, unknown> = {}): void => void lines.push({ msg, fields: { ...fields, ...f } });
  return { debug: log, info: log, warn: log, error: log, child: (f) => recording(lines, { ...fields, ...f }) };
}

const clients = {} as ServiceClients;
const depsOf = <T>(o: object): T => Reflect.get(o, 'deps') as T;

describe('the workflow wiring', () => {
  let store: SqliteStore;
  beforeEach(() => (store = new SqliteStore(':memory:')));
  afterEach(async () => store.close());

  it("links a model version to the workspace's registry page, without the tracking URI's trailing slashes, and to nothing without MLflow", () => {
    const withMlflow = { ...base, mlflow: { trackingUri: 'https://adb-1.azuredatabricks.net//', token: undefined } } as AppConfig;
    const deps = depsOf<RunEngineDeps>(createRunEngine(withMlflow, clients, store.runs, recording([]), { auth: createAuthorizer(withMlflow, clients, recording([])) }));
    expect(deps.registryLink('main.mlops.fashion_cnn', '3')).toBe('https://adb-1.azuredatabricks.net/explore/data/models/main/mlops/fashion_cnn/version/3');
    const without = depsOf<RunEngineDeps>(createRunEngine({ ...base, mlflow: undefined }, clients, store.runs, recording([])));
    expect(without.registryLink('main.mlops.fashion_cnn', '3')).toBeUndefined();
  });

  it('gives the engine the training infra of this checkout, its options, and a logger marked workflow', () => {
    const lines: Line[] = [];
    const ids = ['dest-1'];
    const onPersisted = (): void => undefined;
    const deps = depsOf<RunEngineDeps>(createRunEngine(base, clients, store.runs, recording(lines), { webhookDestinationIds: ids, onPersisted }));
    expect(deps.infra).toBeDefined();
    expect(deps.webhookDestinationIds).toBe(ids);
    expect(deps.onPersisted).toBe(onPersisted);
    deps.logger.info('x');
    expect(lines).toEqual([{ msg: 'x', fields: { component: 'workflow' } }]);
    const plain = depsOf<RunEngineDeps>(createRunEngine(base, clients, store.runs, recording([])));
    expect('webhookDestinationIds' in plain || 'onPersisted' in plain).toBe(false);
  });

  it('gives the tracker a logger marked tracker', () => {
    const lines: Line[] = [];
    const engine = createRunEngine(base, clients, store.runs, recording([]));
    depsOf<TrackerDeps>(createTracker(base, clients, engine, store.runs, recording(lines))).logger.warn('y');
    expect(lines).toEqual([{ msg: 'y', fields: { component: 'tracker' } }]);
  });

  it('builds an authorizer whose group lookups log their failures marked auth', async () => {
    const lines: Line[] = [];
    const graph = { checkMemberGroups: async (): Promise<string[]> => Promise.reject(new Error('graph is down')) };
    const auth = createAuthorizer(base, { graph } as unknown as ServiceClients, recording(lines));
    expect(await auth.hasRole({ id: 'x', name: 'X', aadObjectId: 'bbbbbbbb-2222-2222-2222-222222222222' }, 'approver', 'fashion-cnn')).toBe(false);
    expect(lines).toEqual([{ msg: expect.stringContaining('group roles are not granted') as string, fields: expect.objectContaining({ component: 'auth' }) as Record<string, unknown> }]);
  });
});

describe('the checkout that holds infra/databricks', () => {
  it('is found from any folder below it, and a folder outside any checkout is named in the error', () => {
    expect(repoRoot(join(REPO_ROOT, 'services', 'workflow'))).toBe(REPO_ROOT);
    expect(repoRoot(REPO_ROOT)).toBe(REPO_ROOT);
    const outside = mkdtempSync(join(tmpdir(), 'no-checkout-'));
    expect(() => repoRoot(outside)).toThrow(`infra/databricks/library.json not found above ${outside}`);
  });
});

describe('the registry page of a model version', () => {
  it('is Catalog Explorer for a Unity Catalog name, each part and the version encoded', () => {
    expect(registryPage('https://h', 'main.ml ops.fashion_cnn', '1/2')).toBe('https://h/explore/data/models/main/ml%20ops/fashion_cnn/version/1%2F2');
  });

  it('is the legacy Models page for any other name', () => {
    expect(registryPage('https://h', 'fashion cnn', '7')).toBe('https://h/ml/models/fashion%20cnn/versions/7');
    expect(registryPage('https://h', 'team.fashion', '7')).toBe('https://h/ml/models/team.fashion/versions/7');
  });
});
