import type { AzureDevOpsClient } from '../../services/azure-devops/azure-devops.client';
import type { DatabricksClient } from '../../services/databricks/databricks.client';
import type { MlopsConfig } from '../../services/config/mlops-config.schema';
import { createLogger } from '../../services/logger';
import { runsToAdvance, type PollPlanDeps } from '../../services/workflow/poll-plan';
import { STAGE_IDS, type RunRecord, type StageId } from '../../services/workflow/run.types';
import { sandboxConfig } from '../support/context';

/**
 * The poll plan decides which runs a pass looks at; its clients are plain objects that record
 * the list calls, so a test sees both the answer and what it cost.
 */
const config = sandboxConfig().mlops.models;
const models: MlopsConfig['models'] = {
  a: { ...config['fashion-cnn']!, ci: { azureDevOpsPipelineId: 1, branch: 'main' } },
  b: { ...config['fashion-cnn']!, ci: { azureDevOpsPipelineId: 7, branch: 'main' } },
  noci: (({ ci: _ci, ...m }) => m)(config['fashion-cnn']!),
};

let seq = 0;
function run(stage: StageId, model: string, ids: { devopsRunId?: number; databricksRunId?: number; databricksLifeCycle?: string }): RunRecord {
  const at = STAGE_IDS.indexOf(stage);
  return {
    id: `r${++seq}`, version: 1, model, target: 'production', kind: 'train', params: {}, branch: 'main', requester: { id: 'u', name: 'U' }, conversationId: 'c',
    status: 'running', stages: STAGE_IDS.map((id, i) => ({ id, state: i < at ? 'succeeded' : i === at ? 'running' : 'pending' })), ...(ids.devopsRunId !== undefined ? { ci: { devopsRunId: ids.devopsRunId } } : {}), ...(ids.databricksRunId !== undefined ? { training: { databricksRunId: ids.databricksRunId, lifeCycle: ids.databricksLifeCycle } } : {}), metrics: [], createdAt: '', updatedAt: '',
  };
}

interface Fakes { deps: PollPlanDeps; listRunsCalls: Array<{ pipelineId: number; state: unknown }>; pagesRead: number[]; activeCalls: number; warnings: string[] }
function fakes(opts: { pages?: Record<number, number[][]>; active?: Array<[number, string]>; failDevops?: boolean; devops?: boolean; databricks?: boolean } = {}): Fakes {
  const f: Fakes = { deps: undefined as unknown as PollPlanDeps, listRunsCalls: [], pagesRead: [], activeCalls: 0, warnings: [] };
  const devops = {
    listRuns(pipelineId: number, o: { state?: string }) {
      f.listRunsCalls.push({ pipelineId, state: o.state });
      return {
        async *byPage() {
          if (opts.failDevops) throw new Error('HTTP 503');
          for (const [i, page] of (opts.pages?.[pipelineId] ?? [[]]).entries()) {
            f.pagesRead.push(i);
            yield page.map((id) => ({ id }));
          }
        },
      };
    },
  } as unknown as AzureDevOpsClient;
  const databricks = {
    async *listActiveRuns() {
      f.activeCalls++;
      for (const [runId, lifeCycleState] of opts.active ?? []) yield { runId, state: { lifeCycleState } };
    },
  } as unknown as DatabricksClient;
  const logger = createLogger('warn', {}, (line) => f.warnings.push((JSON.parse(line) as { msg: string }).msg));
  f.deps = { devops: opts.devops === false ? undefined : devops, databricks: opts.databricks === false ? undefined : databricks, models, logger };
  return f;
}
const ids = (rs: RunRecord[]): string[] => rs.map((r) => r.id);

describe('the poll plan', () => {
  it('skips CI runs whose build is still in progress, with one list call per CI pipeline read to its last page', async () => {
    const busy = run('ci', 'a', { devopsRunId: 11 });
    const done = run('ci', 'a', { devopsRunId: 12 });
    const onPage2 = run('ci', 'a', { devopsRunId: 13 });
    const otherPipeline = run('ci', 'b', { devopsRunId: 21 });
    const f = fakes({ pages: { 1: [[11], [13]], 7: [[21]] } });
    // Every page is read (issue 13: with 1,000 runs in CI, reading the first page only polled the rest one by one).
    expect(ids(await runsToAdvance([busy, done, onPage2, otherPipeline], f.deps, 1))).toEqual([done.id]);
    expect(f.listRunsCalls).toEqual([{ pipelineId: 1, state: 'inProgress' }, { pipelineId: 7, state: 'inProgress' }]);
    expect(f.pagesRead).toEqual([0, 1, 0]);
  });

  it('asks no list for a single run in CI or training (one direct look costs the same)', async () => {
    const ci = run('ci', 'a', { devopsRunId: 11 });
    const training = run('training', 'a', { databricksRunId: 5, databricksLifeCycle: 'RUNNING' });
    const f = fakes({ pages: { 1: [[11]] }, active: [[5, 'RUNNING']] });
    expect(ids(await runsToAdvance([ci, training], f.deps, 1))).toEqual([ci.id, training.id]);
    expect(f.listRunsCalls).toEqual([]);
    expect(f.activeCalls).toBe(0);
  });

  it('counts only runs that have an external id, and lists no pipeline for a model without CI', async () => {
    const noId = run('ci', 'a', {});
    const withId = run('ci', 'noci', { devopsRunId: 31 });
    const f = fakes({ pages: { 1: [[31]] } });
    // One CI run with an id: no list at all.
    expect(ids(await runsToAdvance([noId, withId], f.deps, 1))).toEqual([noId.id, withId.id]);
    expect(f.listRunsCalls).toEqual([]);
    const twice = fakes({ pages: { 1: [[31, 32]] } });
    const other = run('ci', 'noci', { devopsRunId: 32 });
    expect(ids(await runsToAdvance([withId, other], twice.deps, 1))).toEqual([withId.id, other.id]);
    expect(twice.listRunsCalls).toEqual([]);
  });

  it('counts only runs in training with a Databricks id, and only runs in CI, towards a list call', async () => {
    const training = run('training', 'a', { databricksRunId: 5, databricksLifeCycle: 'RUNNING' });
    const trainingNoId = run('training', 'a', {});
    const deployed = run('deploy', 'a', { devopsRunId: 12, databricksRunId: 6, databricksLifeCycle: 'TERMINATED' });
    const ci = run('ci', 'a', { devopsRunId: 11 });
    const f = fakes({ pages: { 1: [[11, 12]] }, active: [[5, 'RUNNING'], [6, 'RUNNING']] });
    expect(ids(await runsToAdvance([training, trainingNoId, deployed, ci], f.deps, 1))).toEqual([training.id, trainingNoId.id, deployed.id, ci.id]);
    expect(f.activeCalls).toBe(0);
    expect(f.listRunsCalls).toEqual([]);
  });

  it('reads at most 50 pages of busy builds of a pipeline', async () => {
    const pages = Array.from({ length: 60 }, (_, i) => [1000 + i]);
    const f = fakes({ pages: { 1: pages } });
    await runsToAdvance([run('ci', 'a', { devopsRunId: 11 }), run('ci', 'a', { devopsRunId: 12 })], f.deps, 1);
    expect(f.pagesRead).toHaveLength(50);
  });

  it('logs the error of a failed list call', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const f = fakes({ pages: { 1: [[11, 12]] }, failDevops: true });
    const deps = { ...f.deps, logger: createLogger('warn', {}, (l) => lines.push(JSON.parse(l) as Record<string, unknown>)) };
    await runsToAdvance([run('ci', 'a', { devopsRunId: 11 }), run('ci', 'a', { devopsRunId: 12 })], deps, 1);
    expect(lines).toEqual([expect.objectContaining({ msg: 'list calls for polling failed; polling each run', error: expect.objectContaining({ message: 'HTTP 503' }) as unknown })]);
  });

  it('skips training runs still active in the state last stored, but not one whose state moved, ended, or on a refresh pass', async () => {
    const same = run('training', 'a', { databricksRunId: 1, databricksLifeCycle: 'RUNNING' });
    const moved = run('training', 'a', { databricksRunId: 2, databricksLifeCycle: 'PENDING' });
    const ended = run('training', 'a', { databricksRunId: 3, databricksLifeCycle: 'RUNNING' });
    const noState = run('training', 'a', { databricksRunId: 4 });
    const active: Array<[number, string]> = [[1, 'RUNNING'], [2, 'RUNNING'], [4, 'RUNNING']];
    const f = fakes({ active });
    expect(ids(await runsToAdvance([same, moved, ended, noState], f.deps, 1))).toEqual([moved.id, ended.id, noState.id]);
    expect(f.activeCalls).toBe(1);
    // Every refreshEvery-th pass looks at busy training runs too (their live metrics).
    expect(ids(await runsToAdvance([same, moved], fakes({ active }).deps, 10))).toEqual([same.id, moved.id]);
    expect(ids(await runsToAdvance([same, moved], fakes({ active }).deps, 3, 3))).toEqual([same.id, moved.id]);
    expect(ids(await runsToAdvance([same, moved], fakes({ active }).deps, 4, 3))).toEqual([moved.id]);
  });

  it('looks at every run, and says why, when a list call fails', async () => {
    const a = run('ci', 'a', { devopsRunId: 11 });
    const b = run('ci', 'a', { devopsRunId: 12 });
    const f = fakes({ pages: { 1: [[11, 12]] }, failDevops: true });
    expect(ids(await runsToAdvance([a, b], f.deps, 1))).toEqual([a.id, b.id]);
    expect(f.warnings).toEqual(['list calls for polling failed; polling each run']);
  });

  it('looks at every run when a service is not configured, and leaves runs in other stages alone', async () => {
    const ci1 = run('ci', 'a', { devopsRunId: 11 });
    const ci2 = run('ci', 'a', { devopsRunId: 12 });
    const t1 = run('training', 'a', { databricksRunId: 1, databricksLifeCycle: 'RUNNING' });
    const t2 = run('training', 'a', { databricksRunId: 2, databricksLifeCycle: 'RUNNING' });
    const deploy = run('deploy', 'a', { devopsRunId: 11, databricksRunId: 1, databricksLifeCycle: 'RUNNING' });
    const f = fakes({ pages: { 1: [[11, 12]] }, active: [[1, 'RUNNING'], [2, 'RUNNING']], devops: false, databricks: false });
    expect(ids(await runsToAdvance([ci1, ci2, t1, t2, deploy], f.deps, 1))).toEqual([ci1.id, ci2.id, t1.id, t2.id, deploy.id]);
    const both = fakes({ pages: { 1: [[11, 12]] }, active: [[1, 'RUNNING'], [2, 'RUNNING']] });
    expect(ids(await runsToAdvance([ci1, ci2, t1, t2, deploy], both.deps, 1))).toEqual([deploy.id]);
  });
});
