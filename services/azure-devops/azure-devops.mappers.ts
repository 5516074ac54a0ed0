import type { Approval, ApprovalStatus, Issue, Job, PipelineRun, RecordResult, RecordState, RunResult, RunState, Stage, Task } from './azure-devops.types';

/**
 * Wire JSON → our types. The same mappers read raw REST bodies and service-hook payloads (enums
 * as camelCase strings, dates as ISO strings) and node-api results (enums as numbers, dates as
 * Date), so every enum table below maps both spellings.
 */
type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);
export const date = (v: unknown): Date | undefined => {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v;
  if (typeof v !== 'string' || v.startsWith('0001-01-01')) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

/** A name (any case) or a number → our name, via a number table from node-api's interfaces. */
function enumOf<T extends string>(numbers: Record<number, T>, names: readonly T[], fallback: T | undefined, v: unknown): T | undefined {
  if (typeof v === 'number') return numbers[v] ?? fallback;
  if (typeof v === 'string') return names.find((n) => n.toLowerCase() === v.toLowerCase()) ?? fallback;
  return undefined;
}

const RUN_STATES = ['notStarted', 'inProgress', 'canceling', 'completed', 'unknown'] as const;
const RUN_RESULTS = ['succeeded', 'partiallySucceeded', 'failed', 'canceled', 'unknown'] as const;
/** Pipelines RunState / RunResult numbers. */
const PIPELINE_STATE: Record<number, RunState> = { 0: 'unknown', 1: 'inProgress', 2: 'canceling', 4: 'completed' };
const PIPELINE_RESULT: Record<number, RunResult> = { 0: 'unknown', 1: 'succeeded', 2: 'failed', 4: 'canceled' };
/** Build BuildStatus / BuildResult numbers. */
const BUILD_STATUS: Record<number, RunState> = { 0: 'unknown', 1: 'inProgress', 2: 'completed', 4: 'canceling', 8: 'notStarted', 32: 'notStarted' };
const BUILD_RESULT: Record<number, RunResult> = { 0: 'unknown', 2: 'succeeded', 4: 'partiallySucceeded', 8: 'failed', 32: 'canceled' };

function buildState(v: unknown): RunState {
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'cancelling') return 'canceling';
    if (s === 'postponed') return 'notStarted';
    // Legacy (XAML-era) payloads put the outcome in `status`.
    if (['succeeded', 'partiallysucceeded', 'failed', 'stopped', 'canceled'].includes(s)) return 'completed';
  }
  return enumOf(BUILD_STATUS, RUN_STATES, 'unknown', v) ?? 'unknown';
}

function stringRecord(v: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(obj(v)).map(([k, x]) => [k, typeof x === 'string' ? x : JSON.stringify(x)]));
}

function href(links: unknown, name: string): string | undefined {
  return str(obj(obj(links)[name]).href);
}

/** Pipelines API `Run` (also the `run` inside pipelines service-hook events). */
export function mapRun(wire: unknown, pipelineFallback?: unknown): PipelineRun {
  const r = obj(wire);
  const pipeline = obj(r.pipeline ?? pipelineFallback);
  const state = enumOf(PIPELINE_STATE, RUN_STATES, 'unknown', r.state) ?? 'unknown';
  const refName = str(obj(obj(obj(r.resources).repositories).self).refName);
  return {
    id: num(r.id) ?? 0,
    name: str(r.name) ?? String(num(r.id) ?? ''),
    pipelineId: num(pipeline.id),
    pipelineName: str(pipeline.name),
    state,
    result: state === 'completed' ? enumOf(PIPELINE_RESULT, RUN_RESULTS, 'unknown', r.result) : undefined,
    createdAt: date(r.createdDate),
    finishedAt: date(r.finishedDate),
    sourceBranch: refName,
    templateParameters: stringRecord(r.templateParameters),
    webUrl: href(r._links, 'web'),
  };
}

/** Build API `Build` (also the `resource` of build.complete). */
export function mapBuild(wire: unknown): PipelineRun {
  const b = obj(wire);
  const definition = obj(b.definition);
  const state = buildState(b.status);
  const legacyResult = typeof b.status === 'string' && b.status.toLowerCase() === 'stopped' ? 'canceled' : b.status;
  const result = enumOf(BUILD_RESULT, RUN_RESULTS, 'unknown', b.result ?? (state === 'completed' ? legacyResult : undefined));
  return {
    id: num(b.id) ?? 0,
    name: str(b.buildNumber) ?? String(num(b.id) ?? ''),
    pipelineId: num(definition.id),
    pipelineName: str(definition.name),
    state,
    result: state === 'completed' ? (result ?? 'unknown') : undefined,
    createdAt: date(b.queueTime),
    finishedAt: date(b.finishTime),
    sourceBranch: str(b.sourceBranch),
    sourceVersion: str(b.sourceVersion),
    templateParameters: stringRecord(b.templateParameters),
    webUrl: href(b._links, 'web'),
    requestedFor: identityOf(b.requestedFor),
    reason: typeof b.reason === 'number' ? BUILD_REASON[b.reason] : str(b.reason),
    tags: Array.isArray(b.tags) ? b.tags.filter((t): t is string => typeof t === 'string') : [],
  };
}

/** node-api's BuildReason numbers (interfaces/BuildInterfaces.ts) as the wire's names. */
const BUILD_REASON: Record<number, string> = { 0: 'none', 1: 'manual', 2: 'individualCI', 4: 'batchedCI', 8: 'schedule', 16: 'scheduleForced', 32: 'userCreated', 64: 'validateShelveset', 128: 'checkInShelveset', 256: 'pullRequest', 512: 'buildCompletion', 1024: 'resourceTrigger' };

function identityOf(v: unknown): PipelineRun['requestedFor'] {
  const i = obj(v);
  const displayName = str(i.displayName);
  return displayName ? { id: str(i.id), displayName, uniqueName: str(i.uniqueName) } : undefined;
}

const RECORD_STATES = ['pending', 'inProgress', 'completed'] as const;
const RECORD_RESULTS = ['succeeded', 'succeededWithIssues', 'failed', 'canceled', 'skipped', 'abandoned'] as const;
const TL_STATE: Record<number, RecordState> = { 0: 'pending', 1: 'inProgress', 2: 'completed' };
const TL_RESULT: Record<number, RecordResult> = { 0: 'succeeded', 1: 'succeededWithIssues', 2: 'failed', 3: 'canceled', 4: 'skipped', 5: 'abandoned' };
const ISSUE_TYPE: Record<number, Issue['type']> = { 1: 'error', 2: 'warning' };

function node(r: Obj): Task {
  const issues = Array.isArray(r.issues) ? r.issues.map(obj) : [];
  return {
    id: str(r.id) ?? '',
    name: str(r.name) ?? '',
    state: enumOf(TL_STATE, RECORD_STATES, 'pending', r.state) ?? 'pending',
    result: enumOf(TL_RESULT, RECORD_RESULTS, undefined, r.result),
    startTime: date(r.startTime),
    finishTime: date(r.finishTime),
    logId: num(obj(r.log).id),
    errorCount: num(r.errorCount) ?? 0,
    warningCount: num(r.warningCount) ?? 0,
    issues: issues.map((i) => ({ type: enumOf(ISSUE_TYPE, ['error', 'warning'] as const, 'warning', i.type) ?? 'warning', message: str(i.message) ?? '' })),
  };
}

const byOrder = (a: Obj, b: Obj): number => (num(a.order) ?? 0) - (num(b.order) ?? 0);

/**
 * Timeline records → stages. YAML runs nest Stage → Phase → Job → Task (plus Checkpoint →
 * Checkpoint.Approval for gates); classic builds have Job → Task only, which we put under one
 * stage named `__default`, as the service does in its events.
 */
export function mapTimeline(wire: unknown): Stage[] {
  const records = (Array.isArray(obj(wire).records) ? (obj(wire).records as unknown[]) : []).map(obj);
  const children = new Map<string, Obj[]>();
  for (const r of records) {
    const parent = str(r.parentId) ?? '';
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const kids = (id: string, type: string): Obj[] => (children.get(id) ?? []).filter((r) => str(r.type) === type).sort(byOrder);
  const toJob = (j: Obj): Job => ({ ...node(j), tasks: kids(str(j.id) ?? '', 'Task').map(node) });
  const stages = records.filter((r) => str(r.type) === 'Stage').sort(byOrder);
  if (stages.length === 0) {
    const jobs = records.filter((r) => str(r.type) === 'Job').sort(byOrder).map(toJob);
    if (jobs.length === 0) return [];
    const anyRunning = jobs.some((j) => j.state === 'inProgress');
    const allDone = jobs.every((j) => j.state === 'completed');
    const worst = jobs.find((j) => j.result === 'failed' || j.result === 'canceled')?.result;
    return [{
      id: '00000000-0000-0000-0000-000000000000', name: '__default', identifier: '__default',
      state: allDone ? 'completed' : anyRunning ? 'inProgress' : 'pending',
      result: allDone ? (worst ?? 'succeeded') : undefined,
      startTime: jobs[0]?.startTime, finishTime: allDone ? jobs[jobs.length - 1]?.finishTime : undefined,
      logId: undefined, errorCount: jobs.reduce((n, j) => n + j.errorCount, 0), warningCount: jobs.reduce((n, j) => n + j.warningCount, 0),
      issues: [], jobs, approvalIds: [], waitingForApproval: false,
    }];
  }
  return stages.map((s) => {
    const id = str(s.id) ?? '';
    const phases = kids(id, 'Phase');
    const jobRecords = [...kids(id, 'Job'), ...phases.flatMap((p) => kids(str(p.id) ?? '', 'Job'))].sort(byOrder);
    const approvals = kids(id, 'Checkpoint').flatMap((c) => kids(str(c.id) ?? '', 'Checkpoint.Approval')).map(node);
    return {
      ...node(s),
      identifier: str(s.identifier) ?? str(s.name) ?? '',
      jobs: jobRecords.map(toJob),
      approvalIds: approvals.map((a) => a.id),
      waitingForApproval: approvals.some((a) => a.state !== 'completed'),
    };
  });
}

const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'skipped', 'canceled', 'timedOut', 'failed', 'uninitiated'] as const;
const APPROVAL_NUM: Record<number, ApprovalStatus> = { 1: 'uninitiated', 2: 'pending', 4: 'approved', 8: 'rejected', 16: 'skipped', 32: 'canceled', 64: 'timedOut', 128: 'failed' };

const person = (v: unknown): { id: string; displayName: string | undefined } => ({ id: str(obj(v).id) ?? '', displayName: str(obj(v).displayName) });

export function mapApproval(wire: unknown): Approval {
  const a = obj(wire);
  const pipeline = obj(a.pipeline);
  return {
    id: str(a.id) ?? '',
    status: enumOf(APPROVAL_NUM, APPROVAL_STATUSES, 'unknown', a.status) ?? 'unknown',
    createdAt: date(a.createdOn),
    lastModifiedAt: date(a.lastModifiedOn),
    instructions: str(a.instructions),
    minRequiredApprovers: num(a.minRequiredApprovers) ?? 1,
    steps: (Array.isArray(a.steps) ? a.steps.map(obj) : []).map((s) => ({
      assignedApprover: person(s.assignedApprover),
      actualApprover: s.actualApprover ? person(s.actualApprover) : undefined,
      status: enumOf(APPROVAL_NUM, APPROVAL_STATUSES, 'unknown', s.status) ?? 'unknown',
      comment: str(s.comment),
    })),
    runId: num(obj(pipeline.owner).id),
    pipelineId: num(pipeline.id),
  };
}
