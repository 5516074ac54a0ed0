import { SandboxClock } from '../../sandbox/common/clock';
import { MlflowStore } from '../../sandbox/databricks/mlflow.store';
import { DEFAULT_TIMINGS } from '../../sandbox/databricks/run-timeline';
import { Workspace } from '../../sandbox/databricks/workspace.state';
import { silentLogger } from '../../services/logger';

/** The Databricks stand-in stops walking runs that have ended (sandbox/databricks/workspace.state.ts, issue 13). */
function workspace(): { ws: Workspace; clock: SandboxClock; mlflow: MlflowStore; sent: Array<Record<string, unknown>> } {
  const clock = new SandboxClock(1);
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
