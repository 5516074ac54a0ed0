import { randomUUID } from 'node:crypto';
import type { ApprovalGateSpec, JobSpec, PipelineSpec, StageSpec, TaskSpec } from './pipeline-specs';

/**
 * The sandbox's model of a pipeline run. State is advanced lazily to the sandbox clock's "now"
 * (on every request and on a ticker), so a test that raises the clock speed or jumps it forward
 * sees the run move exactly as far as the simulated time allows, never further.
 */
export type RecordState = 'pending' | 'inProgress' | 'completed';
export type RecordResult = 'succeeded' | 'succeededWithIssues' | 'failed' | 'canceled' | 'skipped' | 'abandoned';
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'timedOut' | 'canceled';

export interface Issue { type: 'error' | 'warning'; category: string; message: string; data: { type: string } }

export interface TaskRec { id: string; spec: TaskSpec; order: number; state: RecordState; result?: RecordResult; start?: number; finish?: number; logId?: number; issues: Issue[]; lines: string[] }
export interface JobRec { id: string; phaseId: string; spec: JobSpec; order: number; state: RecordState; result?: RecordResult; start?: number; finish?: number; logId?: number; tasks: TaskRec[] }
export interface ApprovalRec {
  id: string; runId: number; stageName: string; gate: ApprovalGateSpec; status: ApprovalStatus; createdOn: number; lastModifiedOn: number;
  comment?: string; decidedBy?: { id: string; displayName: string; uniqueName: string };
}
export interface StageRec { id: string; checkpointId: string; spec: StageSpec; order: number; state: RecordState; result?: RecordResult; start?: number; finish?: number; jobs: JobRec[]; approval?: ApprovalRec }

export interface RunRec {
  id: number; pipeline: PipelineSpec; buildNumber: string; planId: string; timelineId: string;
  state: 'inProgress' | 'canceling' | 'completed'; result?: 'succeeded' | 'failed' | 'canceled';
  queueTime: number; finishTime?: number; cancelRequestedAt?: number; cursor: number;
  sourceBranch: string; sourceVersion: string; templateParameters: Record<string, string>;
  variables: Record<string, { value: string; isSecret?: boolean }>; failTask?: string;
  stages: StageRec[]; nextLogId: number; changeId: number;
  /** Who queued it and why (Build `requestedFor`, `reason`); absent: the bot's service account, reason manual. */
  requestedFor?: Identity; reason?: string;
}

export interface Identity { id: string; displayName: string; uniqueName: string }

export type RunEvent =
  | { kind: 'runStateChanged'; run: RunRec; at: number }
  | { kind: 'stageStateChanged'; run: RunRec; stage: StageRec; at: number }
  | { kind: 'approvalPending'; run: RunRec; stage: StageRec; approval: ApprovalRec; at: number }
  | { kind: 'approvalCompleted'; run: RunRec; stage: StageRec; approval: ApprovalRec; at: number };

/** How long "cancelling" lasts before the run reports completed/canceled (simulated ms). */
const CANCEL_GRACE_MS = 2000;

export function createRun(id: number, pipeline: PipelineSpec, now: number, init: Pick<RunRec, 'sourceBranch' | 'templateParameters' | 'variables' | 'requestedFor' | 'reason'> & { failTask?: string; dailyIndex: number }): RunRec {
  const day = new Date(now).toISOString().slice(0, 10).replace(/-/g, '');
  let order = 0;
  return {
    id, pipeline, buildNumber: `${day}.${init.dailyIndex}`, planId: randomUUID(), timelineId: randomUUID(),
    state: 'inProgress', queueTime: now, cursor: now, sourceBranch: init.sourceBranch,
    sourceVersion: randomUUID().replace(/-/g, '').padEnd(40, '0').slice(0, 40),
    templateParameters: init.templateParameters, variables: init.variables,
    ...(init.failTask ? { failTask: init.failTask } : {}),
    ...(init.requestedFor ? { requestedFor: init.requestedFor } : {}),
    ...(init.reason ? { reason: init.reason } : {}),
    nextLogId: 1, changeId: 1,
    stages: pipeline.stages.map((spec, si) => ({
      id: randomUUID(), checkpointId: randomUUID(), spec, order: si + 1, state: 'pending',
      jobs: spec.jobs.map((j, ji) => ({
        id: randomUUID(), phaseId: randomUUID(), spec: j, order: ji + 1, state: 'pending',
        tasks: j.tasks.map((t) => ({ id: randomUUID(), spec: t, order: ++order, state: 'pending', issues: [], lines: [] })),
      })),
    })),
  };
}

/** Moves the run forward to `now`, reporting every transition (in order) to `emit`. */
export function advanceRun(run: RunRec, now: number, emit: (e: RunEvent) => void): void {
  if (run.state === 'completed') return;
  if (run.state === 'canceling') {
    if (now >= (run.cancelRequestedAt ?? now) + CANCEL_GRACE_MS) finish(run, 'canceled', (run.cancelRequestedAt ?? now) + CANCEL_GRACE_MS, emit);
    return;
  }
  for (;;) {
    const stage = run.stages.find((st) => st.state !== 'completed');
    if (!stage) {
      const failed = run.stages.some((st) => st.result === 'failed' || st.result === 'canceled');
      finish(run, failed ? 'failed' : 'succeeded', run.cursor, emit);
      return;
    }
    if (stage.state === 'pending') {
      const started = startStage(run, stage, now, emit);
      if (started === 'waiting') return;
      if (started === 'failed') continue;
    }
    const job = stage.jobs.find((j) => j.state !== 'completed');
    const task = job?.tasks.find((t) => t.state !== 'completed');
    if (!job || !task) {
      completeStage(run, stage, stage.jobs.some((j) => j.result === 'failed') ? 'failed' : 'succeeded', run.cursor, emit);
      continue;
    }
    if (task.state === 'pending') startTask(run, job, task);
    const end = (task.start ?? run.cursor) + task.spec.durationMs;
    if (now < end) return;
    const failed = run.failTask !== undefined && run.failTask.toLowerCase() === task.spec.name.toLowerCase();
    completeTask(task, failed ? 'failed' : task.spec.warning ? 'succeededWithIssues' : 'succeeded', end);
    run.cursor = end;
    run.changeId++;
    if (failed) {
      for (const t of job.tasks) if (t.state === 'pending') completeTask(t, 'skipped', end);
      for (const j of stage.jobs) if (j.state === 'pending') skipJob(j, end);
      job.state = 'completed'; job.result = 'failed'; job.finish = end;
      completeStage(run, stage, 'failed', end, emit);
      for (const st of run.stages) if (st.state === 'pending') skipStage(st, end);
      continue;
    }
    if (job.tasks.every((t) => t.state === 'completed')) {
      job.state = 'completed'; job.finish = end;
      job.result = job.tasks.some((t) => t.result === 'succeededWithIssues') ? 'succeededWithIssues' : 'succeeded';
    }
  }
}

/** 'waiting' while the stage's approval is pending; 'failed' once it was rejected or timed out. */
function startStage(run: RunRec, stage: StageRec, now: number, emit: (e: RunEvent) => void): 'started' | 'waiting' | 'failed' {
  const gate = stage.spec.approval;
  if (gate) {
    if (!stage.approval) {
      stage.approval = { id: randomUUID(), runId: run.id, stageName: stage.spec.name, gate, status: 'pending', createdOn: run.cursor, lastModifiedOn: run.cursor };
      run.changeId++;
      emit({ kind: 'stageStateChanged', run, stage, at: run.cursor });
      emit({ kind: 'approvalPending', run, stage, approval: stage.approval, at: run.cursor });
    }
    const a = stage.approval;
    if (a.status === 'pending' && now >= a.createdOn + gate.timeoutMs) {
      a.status = 'timedOut';
      a.lastModifiedOn = a.createdOn + gate.timeoutMs;
    }
    if (a.status === 'pending') return 'waiting';
    run.cursor = Math.max(run.cursor, a.lastModifiedOn);
    if (a.status !== 'approved') {
      completeStage(run, stage, 'failed', run.cursor, emit);
      for (const st of run.stages) if (st.state === 'pending') skipStage(st, run.cursor);
      return 'failed';
    }
  }
  stage.state = 'inProgress';
  stage.start = run.cursor;
  run.changeId++;
  emit({ kind: 'stageStateChanged', run, stage, at: run.cursor });
  return 'started';
}

function startTask(run: RunRec, job: JobRec, task: TaskRec): void {
  if (job.state === 'pending') { job.state = 'inProgress'; job.start = run.cursor; job.logId = run.nextLogId++; }
  task.state = 'inProgress';
  task.start = run.cursor;
  task.logId = run.nextLogId++;
  run.changeId++;
  const failed = run.failTask !== undefined && run.failTask.toLowerCase() === task.spec.name.toLowerCase();
  const body = failed
    ? [...task.spec.lines.slice(0, -1), 'Traceback (most recent call last):', '  File "scripts/step.py", line 42, in <module>', 'RuntimeError: sandbox.failTask asked this task to fail', "##[error]Bash exited with code '1'."]
    : task.spec.warning ? [...task.spec.lines, `##[warning]${task.spec.warning}`] : task.spec.lines;
  task.lines = [`##[section]Starting: ${task.spec.name}`, '==============================================================================', `Task         : ${task.spec.name}`, ...body, `##[section]Finishing: ${task.spec.name}`];
  if (failed) task.issues.push({ type: 'error', category: 'General', message: "Bash exited with code '1'.", data: { type: 'error' } });
  if (task.spec.warning && !failed) task.issues.push({ type: 'warning', category: 'General', message: task.spec.warning, data: { type: 'warning' } });
}

function completeTask(task: TaskRec, result: RecordResult, at: number): void {
  task.state = 'completed';
  task.result = result;
  task.finish = at;
  if (task.start === undefined && result !== 'skipped') task.start = at;
}

function skipJob(job: JobRec, at: number): void {
  job.state = 'completed'; job.result = 'skipped'; job.finish = at;
  for (const t of job.tasks) if (t.state !== 'completed') completeTask(t, 'skipped', at);
}

function skipStage(stage: StageRec, at: number): void {
  stage.state = 'completed'; stage.result = 'skipped'; stage.finish = at;
  for (const j of stage.jobs) if (j.state !== 'completed') skipJob(j, at);
}

function completeStage(run: RunRec, stage: StageRec, result: RecordResult, at: number, emit: (e: RunEvent) => void): void {
  stage.state = 'completed'; stage.result = result; stage.finish = at; stage.start ??= at;
  for (const j of stage.jobs) if (j.state !== 'completed') skipJob(j, at);
  run.changeId++;
  emit({ kind: 'stageStateChanged', run, stage, at });
}

function finish(run: RunRec, result: 'succeeded' | 'failed' | 'canceled', at: number, emit: (e: RunEvent) => void): void {
  run.state = 'completed';
  run.result = result;
  run.finishTime = at;
  run.changeId++;
  emit({ kind: 'runStateChanged', run, at });
}

/** Cancel as the service does: the running task is canceled now, the run reports "canceling" briefly, then completes. */
export function cancelRun(run: RunRec, now: number, emit: (e: RunEvent) => void): void {
  if (run.state !== 'inProgress') return;
  run.cancelRequestedAt = now;
  run.state = 'canceling';
  for (const stage of run.stages) {
    if (stage.approval?.status === 'pending') { stage.approval.status = 'canceled'; stage.approval.lastModifiedOn = now; }
    for (const job of stage.jobs) {
      for (const t of job.tasks) if (t.state !== 'completed') completeTask(t, t.state === 'inProgress' ? 'canceled' : 'skipped', now);
      if (job.state !== 'completed') { job.result = job.state === 'inProgress' ? 'canceled' : 'skipped'; job.state = 'completed'; job.finish = now; }
    }
    if (stage.state !== 'completed') {
      const wasRunning = stage.state === 'inProgress' || stage.approval !== undefined;
      stage.state = 'completed'; stage.result = wasRunning ? 'canceled' : 'skipped'; stage.finish = now;
      if (wasRunning) emit({ kind: 'stageStateChanged', run, stage, at: now });
    }
  }
  run.changeId++;
  emit({ kind: 'runStateChanged', run, at: now });
}

/** Approve or reject; the run moves on at the next advance. */
export function decideApproval(run: RunRec, approval: ApprovalRec, status: 'approved' | 'rejected', comment: string, by: ApprovalRec['decidedBy'], now: number, emit: (e: RunEvent) => void): void {
  approval.status = status;
  approval.comment = comment;
  if (by) approval.decidedBy = by;
  approval.lastModifiedOn = now;
  run.changeId++;
  const stage = run.stages.find((st) => st.approval === approval);
  if (stage) emit({ kind: 'approvalCompleted', run, stage, approval, at: now });
}
