import { readFileSync } from 'node:fs';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { createServiceClients, type ServiceClients } from '../../services/clients';
import { loadConfig, type AppConfig } from '../../services/config/config';
import { silentLogger, type Logger } from '../../services/logger';
import { SqliteStore } from '../../services/store/sqlite.store';
import type { ActionResult, RunEngine } from '../../services/workflow/run-engine';
import type { RunRecord, RunStatus } from '../../services/workflow/run.types';
import type { Tracker } from '../../services/workflow/tracker';
import { createRunEngine, createTracker } from '../../services/workflow/workflow';
import { REPO_ROOT } from './context';

export interface WorkflowHarness {
  sandbox: Sandbox;
  config: Readonly<AppConfig>;
  store: SqliteStore;
  engine: RunEngine;
  tracker: Tracker;
  clients: ServiceClients;
  /** Ticks the engine until the run reaches one of the statuses (or fails the test after a deadline). */
  until(runId: string, statuses: RunStatus[], timeoutMs?: number): Promise<RunRecord>;
  /** Ticks the engine until the predicate holds. */
  untilRun(runId: string, what: string, pred: (r: RunRecord) => boolean, timeoutMs?: number): Promise<RunRecord>;
  /** Moves the engine's clock (approval expiry) without touching the sandbox clock. */
  shiftTime(ms: number): void;
  close(): Promise<void>;
}

export const ALEX = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-0000000000020' };
export const MEGAN = { id: 'user-id-1', name: 'Megan Bowen', aadObjectId: '00000000-0000-0000-0000-0000000000021' };
export const ADELE = { id: 'user-id-2', name: 'Adele Vance', aadObjectId: '00000000-0000-0000-0000-0000000000022' };

/** The whole workflow over real HTTP against the sandbox, on a fast clock. */
interface HarnessOptions {
  speed?: number;
  yaml?: (text: string) => string;
  storePath?: string;
  sandbox?: Sandbox;
  logger?: Logger;
  clientTimeoutInMs?: number;
}

export async function startWorkflowHarness(o: HarnessOptions = {}): Promise<WorkflowHarness> {
  const sandbox = o.sandbox ?? (await startSandbox({ clock: new SandboxClock(o.speed ?? 200) }));
  try {
    return build(sandbox, o);
  } catch (e) {
    // A sandbox left listening keeps jest from exiting, so a failed set-up must not leak it.
    if (!o.sandbox) await sandbox.close();
    throw e;
  }
}

function build(sandbox: Sandbox, o: HarnessOptions): WorkflowHarness {
  const config = loadConfig({ ...sandbox.env, STATE_STORE: `sqlite:${o.storePath ?? ':memory:'}` }, o.yaml ? (p) => o.yaml!(readFileSync(p, 'utf8')) : undefined, REPO_ROOT);
  const store = new SqliteStore(config.stateStore.path);
  // Short client backoff: faults in these tests should cost milliseconds, not the production seconds.
  const logger = o.logger ?? silentLogger;
  const clients = createServiceClients(config, logger, {
    pollIntervalInMs: 20,
    retry: { baseDelayInMs: 10, maxDelayInMs: 200, maxRetries: 3 },
    ...(o.clientTimeoutInMs !== undefined ? { timeoutInMs: o.clientTimeoutInMs } : {}),
  });
  let offset = 0;
  const engine = createRunEngine(config, clients, store.runs, logger, { now: () => Date.now() + offset });
  const tracker = createTracker(config, clients, engine, store.runs, logger);
  const untilRun = async (runId: string, what: string, pred: (r: RunRecord) => boolean, timeoutMs = 20_000): Promise<RunRecord> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // A pass that hangs (a call that never returns) must fail the test with what it waits on, not
      // leave it to jest's own timeout with nothing to show.
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`run ${runId}: a pass of the engine did not return within ${timeoutMs} ms (waiting for ${what})`)), Math.max(0, deadline - Date.now()) + 1000);
      });
      const run = await Promise.race([engine.advance(runId), hung]).finally(() => clearTimeout(timer));
      if (run && pred(run)) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} is ${run?.status} at ${JSON.stringify(run?.stages.map((s) => `${s.id}:${s.state}`))}, not ${what}; failure: ${JSON.stringify(run?.failure)}; current stage: ${JSON.stringify(run?.stages.find((s) => s.state === 'running' || s.state === 'waiting' || s.state === 'queued'))}; deploy: ${JSON.stringify(run?.deploy)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return {
    sandbox,
    config,
    store,
    engine,
    tracker,
    clients,
    until: (runId, statuses, timeoutMs) => untilRun(runId, statuses.join('/'), (r) => statuses.includes(r.status), timeoutMs),
    untilRun,
    shiftTime: (ms) => {
      offset += ms;
    },
    close: async () => {
      await store.close();
      if (!o.sandbox) await sandbox.close();
    },
  };
}

/** The run an engine action created; fails the test with the refusal otherwise. */
export async function started(result: Promise<ActionResult>): Promise<RunRecord> {
  const r = await result;
  if (!r.ok) throw new Error(`the engine refused: ${JSON.stringify(r.refusal)}`);
  return r.run;
}
