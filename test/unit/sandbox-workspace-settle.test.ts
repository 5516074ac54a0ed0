import { SandboxClock } from '../../sandbox/common/clock';
import { MlflowStore } from '../../sandbox/databricks/mlflow.store';
import { DEFAULT_TIMINGS } from '../../sandbox/databricks/run-timeline';
import { nextPlanTime, Workspace } from '../../sandbox/databricks/workspace.state';
import { silentLogger } from '../../services/logger';

/** The Databricks stand-in stops walking runs that have ended (sandbox/databricks/workspace.state.ts, issue 13). */
function workspace(speed = 1): { ws: Workspace; clock: SandboxClock; mlflow: MlflowStore; sent: Array<Record<string, unknown>> } {
  const clock = new SandboxClock(speed);
  const mlflow = new MlflowStore();
  const sent: Array<Record<string, unknown>> = [];
  const ws = new Workspace(clock, mlflow, DEFAULT_TIMINGS, { send: (payload) => void sent.push(payload) }, silentLogger);
  return { ws, clock, mlflow, sent };
}

const hooks = { on_start: [{ id: 'd-1' }], on_success: [{ id: 'd-1' }], on_failure: [{ id: 'd-1' }] };
const submit = (ws: Workspace): ReturnType<Workspace['createRun']> =>
  ws.createRun({ jobId: 1, runName: 'train', runType: 'SUBMIT_RUN', tasks: [{ task_key: 'train', spark_python_task: { python_file: 'train.py' }, webhook_notifications: hooks }], params: { epochs: '2', scoring_image: 'acr.example/score:1' }, hooks });

describe('Workspace.sync and ended runs', () => {
  it('walks a run until it and its tasks have ended, with every effect done once, then no more', () => {
    const { ws, clock, mlflow, sent } = workspace();
    const run = submit(ws);
    expect(ws.unsettledRuns).toBe(1);
    clock.advance(DEFAULT_TIMINGS.pendingMs + DEFAULT_TIMINGS.epochMs);
    ws.sync();
    expect(ws.unsettledRuns).toBe(1);
    clock.advance(24 * 3_600_000);
    ws.sync();
    expect(ws.unsettledRuns).toBe(0);
    const task = run.tasks[0];
    // Ended: both epochs logged, the MLflow run finished, the version registered, each webhook sent once.
    expect(task?.epochsLogged).toBe(2);
    expect(task?.mlflowRunId && mlflow.runs.get(task.mlflowRunId)?.status).toBe('FINISHED');
    expect(task?.modelVersion).toBeDefined();
    const events = sent.map((p) => `${String(p.event_type)} ${JSON.stringify(p.run)}`);
    expect(events.filter((e) => e.startsWith('jobs.on_success'))).toHaveLength(2);
    expect(new Set(events).size).toBe(events.length);
    ws.sync();
    clock.advance(3_600_000);
    ws.sync();
    expect(sent).toHaveLength(events.length);
    // Not looked at any more: were it walked, a cleared record of fired events would send them again.
    run.fired.clear();
    ws.sync();
    expect(sent).toHaveLength(events.length);
  });

  it('keeps walking the runs that have not ended while others have', () => {
    const { ws, clock } = workspace();
    submit(ws);
    clock.advance(24 * 3_600_000);
    const late = submit(ws);
    ws.sync();
    expect(ws.unsettledRuns).toBe(1);
    expect(ws.runs.get(late.runId)).toBe(late);
    clock.advance(24 * 3_600_000);
    ws.sync();
    expect(ws.unsettledRuns).toBe(0);
  });

  it('takes a canceled run back until its cancel has played out', () => {
    const { ws, clock } = workspace();
    const run = submit(ws);
    clock.advance(DEFAULT_TIMINGS.pendingMs + 1);
    ws.cancel(run);
    clock.advance(24 * 3_600_000);
    ws.sync();
    expect(ws.unsettledRuns).toBe(0);
    expect(run.plan.tasks[0]?.termination.result).toBe('CANCELED');
  });
});

describe('Workspace.sync between plan times (issue 13, seventh round)', () => {
  const T = DEFAULT_TIMINGS;
  it('does each change when the clock reaches its plan time, and walks no run before the next one', () => {
    const { ws, clock, sent } = workspace(1e-12); // the clock moves only when the test moves it
    const run = submit(ws);
    const task = run.tasks[0];
    const taskEvents = (): string[] => sent.filter((p) => (p.run as { parent_run_id?: string }).parent_run_id).map((p) => String(p.event_type));
    const t0 = clock.now();
    expect(nextPlanTime(run, t0, T)).toBe(t0 + T.pendingMs);
    clock.advance(T.pendingMs - 1);
    ws.sync();
    expect(taskEvents()).toEqual([]);
    // Between plan times the run is not walked: a cleared record of fired events would send on_start again.
    run.fired.clear();
    ws.sync();
    expect(sent.filter((p) => p.event_type === 'jobs.on_start' && !(p.run as { parent_run_id?: string }).parent_run_id)).toHaveLength(1);
    clock.advance(1); // the cluster is up: the task starts
    ws.sync();
    expect(taskEvents()).toEqual(['jobs.on_start']);
    expect(sent.filter((p) => p.event_type === 'jobs.on_start' && !(p.run as { parent_run_id?: string }).parent_run_id)).toHaveLength(2);
    expect(task?.mlflowRunId).toBeDefined();
    expect(nextPlanTime(run, clock.now(), T)).toBe(t0 + T.pendingMs + T.epochMs);
    clock.advance(T.epochMs - 1);
    ws.sync();
    expect(task?.epochsLogged).toBe(0);
    clock.advance(1);
    ws.sync();
    expect(task?.epochsLogged).toBe(1);
    clock.advance(T.epochMs); // the second and last epoch: the task ends
    ws.sync();
    expect([task?.epochsLogged, taskEvents()]).toEqual([2, ['jobs.on_start', 'jobs.on_success']]);
    expect(task?.modelVersion).toBeDefined();
    expect(nextPlanTime(run, clock.now(), T)).toBe(t0 + T.pendingMs + 2 * T.epochMs + T.terminatingMs);
    clock.advance(T.terminatingMs);
    ws.sync();
    expect(ws.unsettledRuns).toBe(0);
    expect(sent.filter((p) => p.event_type === 'jobs.on_success')).toHaveLength(2);
  });

  it('walks a new run and a cancelled one at once, whatever the watermark', () => {
    const { ws, clock, sent } = workspace(1e-12);
    const first = submit(ws);
    clock.advance(1);
    ws.sync();
    const second = submit(ws);
    expect(sent.filter((p) => p.event_type === 'jobs.on_start')).toHaveLength(2);
    clock.advance(T.pendingMs + 1);
    ws.sync();
    ws.cancel(first);
    expect(first.plan.termination.result).toBe('CANCELED');
    clock.advance(T.terminatingMs);
    ws.sync();
    expect(sent.filter((p) => p.event_type === 'jobs.on_failure' && (p.run as { run_id?: string }).run_id === String(first.runId))).toHaveLength(1);
    expect(second.tasks[0]?.mlflowRunId).toBeDefined();
  });
});
