import type { AzureDevOpsClient } from '../../services/azure-devops/azure-devops.client';
import type { MlopsConfig } from '../../services/config/mlops-config.schema';
import { createLogger } from '../../services/logger';
import type { RunStore } from '../../services/workflow/run-store';
import type { RunRecord } from '../../services/workflow/run.types';
import { Tracker, type TrackerDeps } from '../../services/workflow/tracker';

/**
 * The tracker's own rules, with stand-ins for what it calls: when it looks for Azure DevOps
 * approvals, what it logs when a call fails, and how many runs it advances at once. (The runs it
 * advances and in which order are in engine-core, engine-approval and active-runs.)
 */
const models = (over: Record<string, unknown>): MlopsConfig['models'] => over as unknown as MlopsConfig['models'];
const run = (id: string): RunRecord => ({ id, stages: [] }) as unknown as RunRecord;

function devopsStandIn(fail?: Error): { devops: AzureDevOpsClient; pipelinesListed: number[] } {
  const pipelinesListed: number[] = [];
  const devops = {
    listRuns: (pipelineId: number) => {
      pipelinesListed.push(pipelineId);
      return {
        byPage: async function* () {
          if (fail) throw fail;
          yield [];
        },
      };
    },
    listPendingApprovals: () => Promise.resolve([]),
  } as unknown as AzureDevOpsClient;
  return { devops, pipelinesListed };
}

function tracker(over: Partial<TrackerDeps> & { active?: RunRecord[] }): { tracker: Tracker; lines: Array<Record<string, unknown>>; advanced: string[] } {
  const lines: Array<Record<string, unknown>> = [];
  const advanced: string[] = [];
  const active = over.active ?? [];
  const runs = { listRuns: () => Promise.resolve(active) } as unknown as RunStore;
  const deps: TrackerDeps = {
    engine: {
      advance: (id) => {
        advanced.push(id);
        return Promise.resolve(undefined);
      },
      relay: () => Promise.resolve(undefined),
    },
    runs,
    devops: undefined,
    databricks: undefined,
    models: models({}),
    logger: createLogger('debug', {}, (l) => lines.push(JSON.parse(l) as Record<string, unknown>)),
    ...over,
  };
  return { tracker: new Tracker(deps), lines, advanced };
}

describe('the tracker', () => {
  it('looks for Azure DevOps approvals when any model has a CD pipeline, not only when every one has', async () => {
    const { devops, pipelinesListed } = devopsStandIn();
    const t = tracker({ devops, models: models({ withCd: { cd: { azureDevOpsPipelineId: 7 } }, withoutCd: {} }) });
    await t.tracker.tick();
    expect(pipelinesListed).toEqual([7]);
  });

  it('does not look when no model has one', async () => {
    const { devops, pipelinesListed } = devopsStandIn();
    await tracker({ devops, models: models({ a: {}, b: {} }) }).tracker.tick();
    expect(pipelinesListed).toEqual([]);
  });

  it('logs a failed look for approvals with its error, and still advances the runs', async () => {
    const { devops } = devopsStandIn(new Error('Azure DevOps is down'));
    const t = tracker({ devops, models: models({ a: { cd: { azureDevOpsPipelineId: 7 } } }), active: [run('r-1')] });
    await t.tracker.tick();
    const warn = t.lines.find((l) => l.msg === 'could not look for Azure DevOps approvals');
    expect(warn).toMatchObject({ level: 'warn', error: { message: 'Azure DevOps is down' } });
    expect(t.advanced).toEqual(['r-1']);
  });

  it('logs a failed advance with the run and its error, and goes on with the other runs', async () => {
    const advanced: string[] = [];
    const t = tracker({
      active: [run('r-3'), run('r-2'), run('r-1')],
      engine: {
        advance: (id) => {
          advanced.push(id);
          return id === 'r-2' ? Promise.reject(new Error('store is locked')) : Promise.resolve(undefined);
        },
        relay: () => Promise.resolve(undefined),
      },
      concurrency: 1,
    });
    await t.tracker.tick();
    expect(advanced).toEqual(['r-1', 'r-2', 'r-3']);
    expect(t.lines.filter((l) => l.msg === 'advance failed')).toEqual([expect.objectContaining({ level: 'error', runId: 'r-2', error: expect.objectContaining({ message: 'store is locked' }) as unknown })]);
  });

  it.each([
    [3, 10, 3],
    [16, 10, 10],
    [2, 1, 1],
  ])('advances at most %i runs at once (%i due: %i at once)', async (concurrency, due, expected) => {
    let inFlight = 0;
    let most = 0;
    const waiting: Array<() => void> = [];
    const done: string[] = [];
    const t = tracker({
      active: Array.from({ length: due }, (_, i) => run(`r-${i}`)),
      concurrency,
      engine: {
        advance: async (id) => {
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise<void>((resolve) => waiting.push(resolve));
          inFlight--;
          done.push(id);
          return undefined;
        },
        relay: () => Promise.resolve(undefined),
      },
    });
    const pass = t.tracker.tick();
    // Release the advances one by one as they arrive, until the pass is over.
    let over = false;
    void pass.finally(() => (over = true));
    while (!over) {
      await new Promise((r) => setImmediate(r));
      waiting.shift()?.();
    }
    await pass;
    expect(done).toHaveLength(due);
    expect(most).toBe(expected);
  });
});
