/**
 * The life cycle of one simulated run, as a pure function of sandbox-clock time: a plan of phase
 * boundaries made at submission (and re-made on cancel), evaluated at any `now`. No timers here,
 * so `clock.advance()` moves a run exactly as far as real waiting would.
 */
export type FailMode = 'cluster' | 'libraries' | 'training';
export const FAIL_MODES: readonly FailMode[] = ['cluster', 'libraries', 'training'];

export interface Timings {
  /** Cluster start + library installation. */
  pendingMs: number;
  /** One training epoch. */
  epochMs: number;
  /** A task that is not the training task. */
  otherTaskMs: number;
  terminatingMs: number;
}
export const DEFAULT_TIMINGS: Timings = { pendingMs: 60_000, epochMs: 20_000, otherTaskMs: 20_000, terminatingMs: 10_000 };

export interface Termination {
  result: string;
  code: string;
  type: string;
  message: string;
}

export interface TaskPlan {
  /** Undefined: the task never started. */
  start: number | undefined;
  /** When a cancel cut the task short (it is TERMINATING from here to `end`). */
  cutAt: number | undefined;
  end: number;
  termination: Termination;
}

export interface RunPlan {
  created: number;
  pendingEnd: number;
  runEnd: number;
  terminatedAt: number;
  internalError: boolean;
  termination: Termination;
  tasks: TaskPlan[];
}

export interface PlanInput {
  created: number;
  /** Per task: the number of epochs when it is the training task, else undefined. */
  tasks: Array<{ epochs: number | undefined }>;
  failMode: FailMode | undefined;
  timings: Timings;
}

const SUCCESS: Termination = { result: 'SUCCESS', code: 'SUCCESS', type: 'SUCCESS', message: '' };
const FAILURES: Record<FailMode, Termination> = {
  cluster: {
    result: 'FAILED',
    code: 'CLUSTER_ERROR',
    type: 'CLOUD_FAILURE',
    message: 'Cluster was terminated. Reason: CLOUD_PROVIDER_LAUNCH_FAILURE (CLOUD_FAILURE). Parameters: azure_error_code:OperationNotAllowed, azure_error_message:Operation could not be completed as it results in exceeding approved standardNCASv3_T4Family Cores quota. (sandbox_fail=cluster)',
  },
  libraries: {
    result: 'FAILED',
    code: 'LIBRARY_INSTALLATION_ERROR',
    type: 'CLIENT_ERROR',
    message: "Library installation failed for library due to user error. Error messages:\n'Manage' permissions are required to install libraries on a cluster (sandbox_fail=libraries)",
  },
  training: {
    result: 'FAILED',
    code: 'RUN_EXECUTION_ERROR',
    type: 'CLIENT_ERROR',
    message: 'Workload failed, see run output for details',
  },
};
export const CANCELED: Termination = { result: 'CANCELED', code: 'USER_CANCELED', type: 'CLIENT_ERROR', message: 'Run cancelled by the user.' };

export function taskDurationMs(epochs: number | undefined, t: Timings): number {
  return epochs === undefined ? t.otherTaskMs : epochs * t.epochMs;
}

export function planRun(input: PlanInput): RunPlan {
  const { created, timings: t, failMode } = input;
  const pendingEnd = created + t.pendingMs;
  if (failMode === 'cluster' || failMode === 'libraries') {
    const termination = FAILURES[failMode];
    const tasks = input.tasks.map(() => ({ start: undefined, cutAt: undefined, end: pendingEnd, termination }));
    return { created, pendingEnd, runEnd: pendingEnd, terminatedAt: pendingEnd, internalError: true, termination, tasks };
  }
  const tasks: TaskPlan[] = [];
  let cursor = pendingEnd;
  let failed = false;
  for (const task of input.tasks) {
    if (failed) {
      tasks.push({ start: undefined, cutAt: undefined, end: -1, termination: { ...FAILURES.training, result: 'UPSTREAM_FAILED', code: 'RUN_EXECUTION_ERROR', message: 'Upstream task failed.' } });
      continue;
    }
    const start = cursor;
    if (failMode === 'training' && task.epochs !== undefined) {
      // Fails half-way through the second epoch, so one epoch of metrics exists.
      const end = start + Math.min(1.5, Math.max(0.5, task.epochs - 0.5)) * t.epochMs;
      tasks.push({ start, cutAt: undefined, end, termination: FAILURES.training });
      cursor = end;
      failed = true;
      continue;
    }
    cursor = start + taskDurationMs(task.epochs, t);
    tasks.push({ start, cutAt: undefined, end: cursor, termination: SUCCESS });
  }
  const runEnd = cursor;
  const terminatedAt = runEnd + t.terminatingMs;
  for (const p of tasks) if (p.end === -1) p.end = terminatedAt;
  return { created, pendingEnd, runEnd, terminatedAt, internalError: false, termination: failed ? FAILURES.training : SUCCESS, tasks };
}

/** Re-plans a run cancelled at `at`; a run already past its execution is left alone. */
export function cancelPlan(plan: RunPlan, at: number, t: Timings): RunPlan {
  if (at >= plan.runEnd) return plan;
  const runEnd = Math.max(at, plan.created);
  const terminatedAt = runEnd + t.terminatingMs;
  const tasks = plan.tasks.map((p): TaskPlan => {
    if (p.start !== undefined && p.end <= runEnd) return p; // finished before the cancel
    if (p.start !== undefined && p.start <= runEnd) return { start: p.start, cutAt: runEnd, end: terminatedAt, termination: CANCELED };
    return { start: undefined, cutAt: undefined, end: terminatedAt, termination: CANCELED };
  });
  return { ...plan, runEnd, terminatedAt, internalError: false, termination: CANCELED, tasks };
}

export interface PhaseSnapshot {
  lifeCycle: 'PENDING' | 'RUNNING' | 'TERMINATING' | 'TERMINATED' | 'INTERNAL_ERROR';
  /** `status.state` of the newer API. */
  status: 'PENDING' | 'RUNNING' | 'TERMINATING' | 'TERMINATED';
  message: string;
  termination: Termination | undefined;
}

export function runPhaseAt(plan: RunPlan, now: number): PhaseSnapshot {
  if (plan.internalError && now >= plan.pendingEnd) return { lifeCycle: 'INTERNAL_ERROR', status: 'TERMINATED', message: plan.termination.message, termination: plan.termination };
  if (!plan.internalError && now >= plan.terminatedAt) return { lifeCycle: 'TERMINATED', status: 'TERMINATED', message: plan.termination.message, termination: plan.termination };
  // A run cancelled while its cluster was starting goes straight to TERMINATING.
  if (!plan.internalError && now >= plan.runEnd) return { lifeCycle: 'TERMINATING', status: 'TERMINATING', message: '', termination: undefined };
  if (now < plan.pendingEnd) {
    const message = now < (plan.created + plan.pendingEnd) / 2 ? 'Waiting for cluster' : 'Installing libraries';
    return { lifeCycle: 'PENDING', status: 'PENDING', message, termination: undefined };
  }
  return { lifeCycle: 'RUNNING', status: 'RUNNING', message: 'In run', termination: undefined };
}

export function taskPhaseAt(plan: RunPlan, task: TaskPlan, now: number): PhaseSnapshot {
  if (plan.internalError) return runPhaseAt(plan, now);
  const pending: PhaseSnapshot = { lifeCycle: 'PENDING', status: 'PENDING', message: now < plan.pendingEnd ? 'Waiting for cluster' : 'Waiting for upstream tasks', termination: undefined };
  if (now >= task.end) return { lifeCycle: 'TERMINATED', status: 'TERMINATED', message: task.termination.message, termination: task.termination };
  if (task.start === undefined || now < task.start) return pending;
  if (task.cutAt !== undefined && now >= task.cutAt) return { lifeCycle: 'TERMINATING', status: 'TERMINATING', message: '', termination: undefined };
  return { lifeCycle: 'RUNNING', status: 'RUNNING', message: 'In run', termination: undefined };
}

/** Epochs a training task has finished by `now`. */
export function epochsDoneAt(task: TaskPlan, epochs: number, now: number, t: Timings): number {
  if (task.start === undefined) return 0;
  const until = Math.min(now, task.cutAt ?? task.end, task.end);
  return Math.max(0, Math.min(epochs, Math.floor((until - task.start) / t.epochMs)));
}
