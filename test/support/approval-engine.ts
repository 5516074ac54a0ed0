import { join } from 'node:path';
import { createAuthorizer } from '../../services/workflow/workflow';
import type { GraphClient } from '../../services/graph/graph.client';
import { loadTrainingInfra } from '../../services/databricks/training-run.builder';
import { silentLogger } from '../../services/logger';
import { SqliteStore } from '../../services/store/sqlite.store';
import { RunEngine } from '../../services/workflow/run-engine';
import { newTrainRun } from '../../services/workflow/run-factory';
import type { RunStore } from '../../services/workflow/run-store';
import type { PersonRef, RunRecord } from '../../services/workflow/run.types';
import { REPO_ROOT, sandboxConfig } from './context';
import { PRODUCTION_ONLY } from './environments';

/**
 * The run engine without any service client, over an in-memory store, on a clock the test sets:
 * for the approval rules, which need neither Azure nor time passing on its own. fashion-cnn is
 * pinned to one environment (PRODUCTION_ONLY): a /train run then reaches production's approval,
 * the subject here (the shipped staging needs none).
 */
export interface ApprovalBench {
  store: SqliteStore;
  engine: RunEngine;
  clock: { now: number };
  /** A run of `model` parked at the approval stage, pending, created at the clock's time. */
  waitingRun(o?: { required?: number; expiresInMs?: number; requester?: PersonRef; version?: string; model?: string }): Promise<RunRecord>;
  /** A run whose approval stage was just reached (the engine's next step opens it). */
  reachingApproval(o?: { version?: string; target?: string }): Promise<RunRecord>;
  /** Resolves once every step the engine started in the background for this run has finished. */
  settle(runId: string): Promise<void>;
}

export const T0 = Date.parse('2026-11-26T10:00:00Z');

export function approvalBench(wrap: (inner: RunStore) => RunStore = (s) => s): ApprovalBench {
  const config = sandboxConfig({}, PRODUCTION_ONLY);
  const store = new SqliteStore(':memory:');
  const clock = { now: T0 };
  const engine = new RunEngine({
    runs: wrap(store.runs),
    auth: createAuthorizer(config, { graph: undefined as unknown as GraphClient }, silentLogger), // no group roles here: Graph is never asked
    config: config.mlops,
    models: config.mlops.models,
    devops: undefined,
    databricks: undefined,
    registry: undefined,
    aci: undefined,
    infra: loadTrainingInfra(join(REPO_ROOT, 'infra', 'databricks')),
    now: () => clock.now,
    logger: silentLogger,
    registryLink: () => undefined,
    smokeTest: () => Promise.reject(new Error('no smoke test in this bench')),
    runtimeCache: new Map(),
    scoring: { identityId: undefined, identityClientId: undefined, databricksHost: undefined, mlflowTrackingUri: undefined },
  });
  const base = (model: string, requester: PersonRef): Omit<RunRecord, 'id' | 'version'> => {
    const m = config.mlops.models[model];
    if (!m) throw new Error(`no model ${model} in the sandbox config`);
    return newTrainRun({ model, params: {}, requester, conversationId: 'c' }, m, clock.now).run;
  };
  const done = (r: Omit<RunRecord, 'id' | 'version'>, upTo: string): void => {
    for (const s of r.stages) {
      if (s.id === upTo) break;
      if (s.state !== 'skipped') Object.assign(s, { state: 'succeeded', startedAt: new Date(clock.now).toISOString(), finishedAt: new Date(clock.now).toISOString() });
    }
  };
  return {
    store,
    engine,
    clock,
    waitingRun: async (o = {}) => {
      const r = base(o.model ?? 'fashion-cnn', o.requester ?? { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-0000000000020' });
      done(r, 'approval');
      const approval = r.stages.find((s) => s.id === 'approval');
      Object.assign(approval ?? {}, { state: 'waiting', startedAt: new Date(clock.now).toISOString(), detail: 'approvals needed' });
      r.status = 'waiting_approval';
      (r.registered ??= {}).version = o.version ?? '7';
      r.approval = { required: o.required ?? 1, expiresAt: new Date(clock.now + (o.expiresInMs ?? 3_600_000)).toISOString(), decisions: [], state: 'pending' };
      return store.runs.createRun(r);
    },
    reachingApproval: async (o = {}) => {
      const r = base('fashion-cnn', { id: 'user-id-0', name: 'Alex Wilber' });
      done(r, 'approval');
      const approval = r.stages.find((s) => s.id === 'approval');
      Object.assign(approval ?? {}, { state: 'running', startedAt: new Date(clock.now).toISOString() });
      (r.registered ??= {}).version = o.version ?? '8';
      if (o.target) r.target = o.target;
      return store.runs.createRun(r);
    },
    settle: async (runId) => {
      // A decision that ends the approval kicks the run on with setImmediate; the engine serializes
      // per run, so one more advance returns only after that step is done.
      await new Promise((r) => setImmediate(r));
      await engine.advance(runId);
    },
  };
}
