import { join } from 'node:path';
import type { ContainerGroupState } from '../../services/aci/aci.types';
import type { GraphClient } from '../../services/graph/graph.client';
import { loadTrainingInfra } from '../../services/databricks/training-run.builder';
import type { Logger } from '../../services/logger';
import { SqliteStore } from '../../services/store/sqlite.store';
import { RunEngine } from '../../services/workflow/run-engine';
import type { RunStore } from '../../services/workflow/run-store';
import type { PersonRef, RunRecord } from '../../services/workflow/run.types';
import type { Sender } from '../../services/workflow/send-claim';
import { Tracker } from '../../services/workflow/tracker';
import { createAuthorizer } from '../../services/workflow/workflow';
import { loadConfig } from '../../services/config/config';
import { configReader } from './environments';
import { aciStandIn, databricksStandIn, devopsStandIn, emptyWorld, Recorder, registryStandIn, type World } from './engine-harness.clients';

/**
 * The run engine in-process, for one rule at a time: the real RunEngine, Tracker and step code
 * over a SQLite store (in memory, or a file for restarts), recording stand-ins for the service
 * clients (./engine-harness.clients), and a clock that moves only when the test moves it. No
 * server starts and nothing waits on time, so a test takes milliseconds and a mutant of the
 * engine is judged in seconds (docs/testing.md, "engine").
 */
export const T0 = Date.parse('2026-11-26T10:00:00Z');
export const ALEX: PersonRef = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-0000000000020' };
/** An approver of the shipped config (roles.approvers). */
export const MEGAN: PersonRef = { id: 'user-id-1', name: 'Megan Bowen', aadObjectId: '00000000-0000-0000-0000-0000000000021' };

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

export interface HarnessOptions {
  /** Rewrites the shipped mlops.config.yaml first (e.g. PRODUCTION_ONLY). */
  yaml?: (text: string) => string;
  /** A SQLite file instead of memory: a test can close the store and open a new engine on it (a restart). */
  storePath?: string;
  /** The world to start from (a restart keeps the services' state). */
  world?: World;
  /** Leave these clients unconfigured. */
  without?: Array<'devops' | 'databricks' | 'registry' | 'aci'>;
  /** Wraps the store the engine sees (e.g. to make a save meet a version conflict). */
  wrap?: (inner: RunStore) => RunStore;
  /** This engine as one instance of several on a shared store (services/workflow/send-claim). */
  sender?: Sender;
  /** The recorder to share with another harness (two instances calling one world). */
  rec?: Recorder;
  /** No Databricks notification destinations (as before start-up hook setup finished). */
  noWebhookDestinations?: boolean;
}

export function recordingLogger(lines: LogLine[]): Logger {
  const log = (level: LogLine['level']) => (msg: string, fields: Record<string, unknown> = {}) => void lines.push({ level, msg, fields });
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
  return logger;
}

/**
 * Loading and validating the configuration and the training infra took about 250 ms per harness
 * on the loaded cores, twenty times a test's own work: both are read once per transform and
 * shared (the engine never changes them).
 */
const configs = new Map<((text: string) => string) | undefined, ReturnType<typeof loadConfig>>();
let infra: ReturnType<typeof loadTrainingInfra> | undefined;
const REPO_ROOT = join(__dirname, '../..');
/** The shipped configuration in sandbox mode, like test/support/context's sandboxConfig, which is not imported: it loads every service client's SDK, a second per test file and mutant. */
function configOf(yaml: ((text: string) => string) | undefined): ReturnType<typeof loadConfig> {
  let c = configs.get(yaml);
  if (!c) configs.set(yaml, (c = loadConfig({ MLOPS_SANDBOX: '1', STATE_STORE: 'sqlite::memory:' }, yaml ? configReader(yaml) : undefined, REPO_ROOT)));
  return c;
}

export function engineHarness(o: HarnessOptions = {}) {
  const config = configOf(o.yaml);
  const store = new SqliteStore(o.storePath ?? ':memory:');
  const clock = { now: T0 };
  const world = o.world ?? emptyWorld();
  const rec = o.rec ?? new Recorder();
  const logs: LogLine[] = [];
  const persisted: RunRecord[] = [];
  const smokeCalls: Array<{ url: string; sample: unknown; timeoutMs: number }> = [];
  const logger = recordingLogger(logs);
  const off = new Set(o.without ?? []);
  const clients = {
    devops: off.has('devops') ? undefined : devopsStandIn(world, rec),
    databricks: off.has('databricks') ? undefined : databricksStandIn(world, rec),
    registry: off.has('registry') ? undefined : registryStandIn(world, rec),
    aci: off.has('aci') ? undefined : aciStandIn(world, rec),
  };
  const runs: RunStore = o.wrap ? o.wrap(store.runs) : store.runs;
  const engine = new RunEngine({
    runs,
    auth: createAuthorizer(config, { graph: undefined as unknown as GraphClient }, logger), // roles by id only: Graph is never asked
    config: config.mlops,
    models: config.mlops.models,
    ...clients,
    infra: (infra ??= loadTrainingInfra(join(REPO_ROOT, 'infra', 'databricks'))),
    now: () => clock.now,
    logger,
    registryLink: (model, version) => `https://adb.example/ml/models/${model}/versions/${version}`,
    smokeTest: async (url, sample, timeoutMs) => {
      smokeCalls.push({ url, sample, timeoutMs });
      if (world.score instanceof Error) throw world.score;
      return world.score;
    },
    scoring: { identityId: undefined, identityClientId: undefined, databricksHost: 'https://adb.example', mlflowTrackingUri: 'databricks' },
    runtimeCache: new Map(),
    liveCache: new Map(),
    ...(o.noWebhookDestinations ? {} : { webhookDestinationIds: ['dest-1'] }),
    ...(o.sender ? { sender: o.sender } : {}),
    onPersisted: (run) => void persisted.push(run),
  });
  const tracker = new Tracker({ engine, runs, devops: clients.devops, databricks: clients.databricks, models: config.mlops.models, logger });

  const run = async (id: string): Promise<RunRecord> => {
    const r = await runs.getRun(id);
    if (!r) throw new Error(`no run ${id}`);
    return r;
  };
  return {
    config,
    store,
    runs,
    engine,
    tracker,
    clock,
    world,
    rec,
    logs,
    persisted,
    smokeCalls,
    run,
    /** "stage:state" of every stage, in order. */
    stages: async (id: string): Promise<string[]> => (await run(id)).stages.map((s) => `${s.id}:${s.state}`),
    /** The audit actions of a run, oldest first. */
    audit: async (id: string) => (await runs.listAudit({ runId: id, limit: 500 })).reverse(),
    /** The announcements written for a run (none is delivered here), oldest first. */
    outbox: async (id: string) => (await runs.pendingOutbox(1000, Number.MAX_SAFE_INTEGER)).filter((i) => i.runId === id).map((i) => (i.payload ? `${i.kind}: ${i.payload}` : i.kind)),
    /** Resolves once every step the engine started in the background for this run (setImmediate) is done. */
    settle: async (id: string): Promise<RunRecord> => {
      await new Promise((r) => setImmediate(r));
      await engine.advance(id);
      return run(id);
    },
    /** /train of fashion-cnn by Alex (defaults for every parameter); the engine takes its first step at once. */
    train: async (params: Record<string, string | number | boolean> = {}): Promise<string> => {
      const res = await engine.startTrain({ model: 'fashion-cnn', params: { lr: 0.001, epochs: 5, batch_size: 64, optimizer: 'adam', ...params }, requester: ALEX, conversationId: 'conv-1' });
      if (!res.ok) throw new Error(`train refused: ${JSON.stringify(res.refusal)}`);
      await new Promise((r) => setImmediate(r));
      await engine.advance(res.run.id);
      return res.run.id;
    },
    close: () => store.close(),
  };
}

export type EngineHarness = ReturnType<typeof engineHarness>;

/** The scoring image CI builds for a version (the registry's scoring_image tag). */
export const imageOf = (version: string): string => `acr.example/fashion-cnn:${version}`;

/**
 * The story steps tests share: each sets what the service would answer and advances the run,
 * so a test can start at the stage it is about.
 */
export const story = {
  /** The CI build of the run succeeds (training is then submitted in the same advance). */
  async ciPasses(h: EngineHarness, id: string, commit = 'abc123'): Promise<void> {
    const buildId = (await h.run(id)).ci?.devopsRunId ?? -1;
    h.world.builds.set(buildId, { state: 'completed', result: 'succeeded', sourceVersion: commit });
    await h.engine.advance(id);
  },
  /** Training registers `version` (READY, with a scoring image and a training run); the registry stage follows. */
  async trainingRegisters(h: EngineHarness, id: string, version = '7'): Promise<void> {
    const jobId = (await h.run(id)).training?.databricksRunId ?? -1;
    h.world.versions.set(version, { status: 'READY', scoringImage: imageOf(version), runId: `mlf-${version}` });
    h.world.mlflowRuns.set(`mlf-${version}`, { metrics: { accuracy: 0.91 }, history: { accuracy: [{ step: 1, value: 0.8 }, { step: 2, value: 0.91 }] } });
    h.world.jobs.set(jobId, { state: { phase: 'terminated', lifeCycleState: 'TERMINATED', result: 'SUCCESS', terminal: true }, output: { training: { mlflowRunId: `mlf-${version}`, modelVersion: version, experimentId: '1', modelName: undefined } } });
    await h.engine.advance(id);
  },
  /** A /deploy of `version` to staging by Alex that passed there (deployed, smoke test passed); its run id. */
  async passedStaging(h: EngineHarness, version: string): Promise<string> {
    const res = await h.engine.startDeploy({ model: 'fashion-cnn', version, requester: ALEX, conversationId: 'conv-1' });
    if (!res.ok) throw new Error(JSON.stringify(res.refusal));
    await h.settle(res.run.id);
    story.groupRuns(h, 'fashion-cnn-staging');
    const run = await h.engine.advance(res.run.id);
    if (run?.status !== 'succeeded') throw new Error(`staging run ${res.run.id} is ${run?.status}`);
    return res.run.id;
  },
  /** A /deploy of `version` to production by Alex, created; its steps are left to the test. */
  async toProduction(h: EngineHarness, version: string): Promise<string> {
    const res = await h.engine.startDeploy({ model: 'fashion-cnn', version, env: 'production', requester: ALEX, conversationId: 'conv-1' });
    if (!res.ok) throw new Error(JSON.stringify(res.refusal));
    return res.run.id;
  },
  /** A production deploy of `version` (which passed staging), taken to its approval. */
  async waitingInProduction(h: EngineHarness, version: string): Promise<string> {
    const run = await h.settle(await story.toProduction(h, version));
    if (run.status !== 'waiting_approval') throw new Error(`run ${run.id} is ${run.status}`);
    return run.id;
  },
  /** The container group `name` runs and answers at http://<name>.example:5001. */
  /** The group provisioned and running, with `over` changing some of its fields (e.g. a state not ready yet). */
  groupRuns(h: EngineHarness, name: string, over: Partial<ContainerGroupState> = {}): void {
    h.world.groups.set(name, { name, provisioningState: 'Succeeded', status: 'Running', scoringBaseUrl: `http://${name}.example:5001/`, containers: [{ name, image: '', ports: [5001], state: 'Running', detailStatus: undefined, exitCode: undefined, startTime: undefined, finishTime: undefined, restartCount: 0, events: [] }], ...over });
  },
};
