import type { SandboxClock } from '../common/clock';
import type { MlflowStore } from './mlflow.store';
import { runPhaseAt, taskPhaseAt, type PhaseSnapshot, type TaskPlan } from './run-timeline';
import { type SimRun, type SimTask, type Workspace } from './workspace.state';

/** Runs as Jobs API 2.2 JSON: both the deprecated `state` and the newer `status`, times in epoch ms, 0 = not yet. */
type Json = Record<string, unknown>;

function stateJson(p: PhaseSnapshot, userCancelled: boolean): { state: Json; status: Json } {
  const state: Json = { life_cycle_state: p.lifeCycle, state_message: p.message, user_cancelled_or_timedout: userCancelled };
  if (p.termination) state.result_state = p.termination.result;
  const status: Json = { state: p.status };
  if (p.termination) status.termination_details = { code: p.termination.code, type: p.termination.type, message: p.termination.message };
  return { state, status };
}

const clusterId = (run: SimRun): string => `${new Date(run.created).toISOString().slice(5, 10).replace('-', '')}-${String(run.runId).slice(-6)}-sbx${String(run.runId % 1000).padStart(3, '0')}`;

function taskJson(ws: Workspace, run: SimRun, task: SimTask, plan: TaskPlan, now: number): Json {
  const p = taskPhaseAt(run.plan, plan, now);
  const started = plan.start !== undefined && now >= plan.start;
  const ended = p.termination !== undefined;
  const { state, status } = stateJson(p, p.termination?.code === 'USER_CANCELED');
  const def = task.definition;
  return {
    ...def,
    run_id: task.runId,
    task_key: task.taskKey,
    attempt_number: 0,
    run_page_url: ws.runPageUrl(run.jobId, task.runId),
    start_time: started ? plan.start : run.created,
    end_time: ended ? plan.end : 0,
    setup_duration: now >= run.plan.pendingEnd ? run.plan.pendingEnd - run.created : 0,
    execution_duration: ended && plan.start !== undefined ? (plan.cutAt ?? plan.end) - plan.start : 0,
    cleanup_duration: 0,
    cluster_instance: { cluster_id: clusterId(run), ...(now >= run.plan.pendingEnd ? { spark_context_id: String(6_000_000_000_000_000 + run.runId) } : {}) },
    state,
    status,
  };
}

export function runJson(ws: Workspace, run: SimRun, now: number, withTasks: boolean): Json {
  const p = runPhaseAt(run.plan, now);
  const pl = run.plan;
  const terminal = p.termination !== undefined;
  const { state, status } = stateJson(p, p.termination?.code === 'USER_CANCELED');
  const json: Json = {
    job_id: run.jobId,
    run_id: run.runId,
    number_in_job: run.runId,
    original_attempt_run_id: run.runId,
    creator_user_name: run.creator,
    run_name: run.runName,
    run_type: run.runType,
    trigger: run.trigger,
    run_page_url: ws.runPageUrl(run.jobId, run.runId),
    start_time: run.created,
    end_time: terminal ? pl.terminatedAt : 0,
    setup_duration: now >= pl.pendingEnd ? pl.pendingEnd - pl.created : 0,
    execution_duration: now >= pl.runEnd ? pl.runEnd - pl.pendingEnd : 0,
    cleanup_duration: terminal ? pl.terminatedAt - pl.runEnd : 0,
    run_duration: terminal ? pl.terminatedAt - pl.created : 0,
    queue_duration: 0,
    attempt_number: 0,
    cluster_instance: { cluster_id: clusterId(run) },
    state,
    status,
    format: 'MULTI_TASK',
  };
  if (run.jobParameters.length > 0) json.job_parameters = run.jobParameters;
  if (withTasks) json.tasks = run.tasks.map((t, i) => taskJson(ws, run, t, pl.tasks[i] ?? { start: undefined, cutAt: undefined, end: pl.terminatedAt, termination: pl.termination }, now));
  return json;
}

/** runs/get-output of a task run: stdout as train.py prints it, ending with the MLOPS_RESULT line. */
export function outputJson(ws: Workspace, mlflow: MlflowStore, clock: SandboxClock, run: SimRun, task: SimTask): Json {
  const now = clock.now();
  const idx = run.tasks.indexOf(task);
  const plan = run.plan.tasks[idx];
  const metadata = runJson(ws, run, now, true);
  const taskMeta = (metadata.tasks as Json[])[idx] ?? {};
  const out: Json = { metadata: { ...metadata, ...taskMeta, tasks: undefined } };
  const p = plan ? taskPhaseAt(run.plan, plan, now) : undefined;
  if (task.epochs === undefined) {
    out.logs = p?.termination ? `${task.taskKey} done\n` : '';
    out.logs_truncated = false;
    return out;
  }
  const lines: string[] = [];
  const record = task.mlflowRunId ? mlflow.runs.get(task.mlflowRunId) : undefined;
  if (record) {
    lines.push(`MLflow run: ${record.runId}`);
    const byStep = new Map<number, Record<string, number>>();
    for (const m of record.history) byStep.set(m.step, { ...(byStep.get(m.step) ?? {}), [m.key]: m.value });
    for (const [step, vals] of byStep) lines.push(`epoch ${step}/${task.epochs} loss=${(vals.loss ?? 0).toFixed(4)} accuracy=${(vals.accuracy ?? 0).toFixed(4)}`);
  }
  const failed = p?.termination && p.termination.result !== 'SUCCESS';
  if (failed && p.termination) {
    if (run.failMode === 'training') {
      out.error = 'RuntimeError: loss is NaN at epoch 2 (sandbox_fail=training)';
      out.error_trace = `Traceback (most recent call last):\n  File "train.py", line 96, in main\n    loss.backward()\nRuntimeError: loss is NaN at epoch 2 (sandbox_fail=training)`;
      lines.push('Traceback (most recent call last):', '  File "train.py", line 96, in main', 'RuntimeError: loss is NaN at epoch 2 (sandbox_fail=training)');
    } else out.error = p.termination.message;
  }
  if (record && task.modelVersion) {
    const result = { mlflow_run_id: record.runId, experiment_id: record.experimentId, model_name: run.params.model_name ?? 'fashion-cnn', model_version: task.modelVersion };
    lines.push(`MLOPS_RESULT ${JSON.stringify(result)}`);
  }
  out.logs = lines.length > 0 ? lines.join('\n') + '\n' : '';
  out.logs_truncated = false;
  return out;
}
