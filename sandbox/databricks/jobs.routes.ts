import { HttpFault, type SandboxRequest, type SandboxServer } from '../common/http-server';
import type { SandboxClock } from '../common/clock';
import type { MlflowStore } from './mlflow.store';
import { outputJson, runJson } from './run.serializer';
import { SANDBOX_SPARK_VERSIONS } from './spark-versions.data';
import { validateSubmitTasks } from './runs-submit.validation';
import { parseTaskParameters } from './task-parameters';
import type { Workspace } from './workspace.state';

/**
 * Jobs 2.1/2.2 and Clusters routes. Missing ids answer 400 INVALID_PARAMETER_VALUE "... does not
 * exist." as the real service does (not 404). Fault operation names: `run-now`, `runs/submit`,
 * `runs/get`, `runs/get-output`, `runs/cancel`, `runs/list`, `jobs/get`, `clusters/spark-versions`.
 */
type Json = Record<string, unknown>;
const bad = (message: string): HttpFault => new HttpFault(400, 'INVALID_PARAMETER_VALUE', message);
const MULTITASK_OUTPUT = 'Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead.';
const JOB_TASKS_PAGE = 100;

function intParam(req: SandboxRequest, name: string, from: 'query' | 'body'): number {
  const raw = from === 'query' ? req.query.get(name) : ((req.body ?? {}) as Json)[name];
  if (raw === undefined || raw === null || raw === '') throw bad(`Missing required field: ${name}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw bad(`Invalid value for ${name}: ${JSON.stringify(raw)}`);
  return n;
}

/** Substitutes the dynamic value references Databricks resolves at run time. */
function resolveRefs(list: unknown, runIdRef: string, jobParams: Record<string, string>): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((v) => String(v).replace(/\{\{\s*job\.run_id\s*\}\}/g, runIdRef).replace(/\{\{\s*job\.parameters\.(\w+)\s*\}\}/g, (_m, k: string) => jobParams[k] ?? ''));
}

/**
 * jobs/run-now's effect: a JOB_RUN of the job's tasks with its declared parameters. The Jobs UI's
 * "Run now", the job's schedule and other tools start runs the same way; only the run's
 * `creator_user_name` and `trigger` differ (PERIODIC for a schedule) [GOJ BaseRun].
 */
export function startJobRun(ws: Workspace, job: { jobId: number; settings: Json }, b: Json, who: { creator?: string; trigger?: string } = {}): ReturnType<Workspace['createRun']> {
  const declared = Array.isArray(job.settings.parameters) ? (job.settings.parameters as Array<{ name: string; default: string }>) : [];
  const given = (b.job_parameters ?? {}) as Record<string, string>;
  const jobParams: Record<string, string> = Object.fromEntries(declared.map((p) => [p.name, given[p.name] ?? p.default]));
  const tasks = (job.settings.tasks as Json[]).map((t) => t);
  const firstPy = ((tasks[0]?.spark_python_task ?? {}) as Json).parameters;
  const pythonParams = Array.isArray(b.python_params) ? b.python_params.map(String) : [];
  const params = { ...parseTaskParameters([...resolveRefs(firstPy, '0', jobParams), ...pythonParams]), ...given };
  return ws.createRun({
    jobId: job.jobId,
    runName: typeof job.settings.name === 'string' ? job.settings.name : `job-${job.jobId}`,
    runType: 'JOB_RUN',
    tasks,
    params,
    hooks: (job.settings.webhook_notifications ?? {}),
    jobParameters: declared.map((p) => ({ name: p.name, default: p.default, value: jobParams[p.name] ?? p.default })),
    ...(who.creator ? { creator: who.creator } : {}),
    ...(who.trigger ? { trigger: who.trigger } : {}),
  });
}

export function registerJobsRoutes(server: SandboxServer, ws: Workspace, mlflow: MlflowStore, clock: SandboxClock): void {
  const on = (method: string, path: string, operation: string, versions: string[], handler: (req: SandboxRequest) => unknown): void => {
    for (const v of versions)
      server.route(method, `/api/${v}${path}`, operation, (req) => {
        ws.sync();
        return { status: 200, body: handler(req) };
      });
  };
  const known = new Set(SANDBOX_SPARK_VERSIONS.map((v) => v.key));
  const findRun = (runId: number): ReturnType<Workspace['runs']['get']> & object => {
    const run = ws.runs.get(runId) ?? ws.taskRuns.get(runId)?.run;
    if (!run) throw bad(`Run ${runId} does not exist.`);
    return run;
  };
  const idempotent = (token: unknown, create: () => number): number => {
    if (typeof token !== 'string' || token === '') return create();
    if (token.length > 64) throw bad('Idempotency token must be at most 64 characters.');
    const existing = ws.idempotency.get(token);
    if (existing !== undefined) return existing;
    const id = create();
    ws.idempotency.set(token, id);
    return id;
  };

  on('POST', '/jobs/runs/submit', 'runs/submit', ['2.1', '2.2'], (req) => {
    const b = (req.body ?? {}) as Json;
    const tasks = validateSubmitTasks(b, { sparkVersions: known });
    const runId = idempotent(b.idempotency_token, () => {
      const firstPy = ((tasks[0]?.spark_python_task ?? {}) as Json).parameters;
      const params = parseTaskParameters(resolveRefs(firstPy, '0', {}));
      const run = ws.createRun({ jobId: ws.newId(), runName: typeof b.run_name === 'string' ? b.run_name : 'Untitled', runType: 'SUBMIT_RUN', tasks, params, hooks: (b.webhook_notifications ?? {}) });
      return run.runId;
    });
    return { run_id: runId };
  });

  on('POST', '/jobs/run-now', 'run-now', ['2.1', '2.2'], (req) => {
    const b = (req.body ?? {}) as Json;
    const job = ws.jobs.get(intParam(req, 'job_id', 'body'));
    if (!job) throw bad(`Job ${String(b.job_id)} does not exist.`);
    const runId = idempotent(b.idempotency_token, () => startJobRun(ws, job, b).runId);
    return { run_id: runId, number_in_job: runId };
  });

  on('GET', '/jobs/runs/get', 'runs/get', ['2.1', '2.2'], (req) => {
    const runId = intParam(req, 'run_id', 'query');
    const run = ws.runs.get(runId);
    if (run) return runJson(ws, run, clock.now(), true);
    const t = ws.taskRuns.get(runId);
    if (!t) throw bad(`Run ${runId} does not exist.`);
    // A task run id: Databricks answers with that task run as a single-task run.
    const parent = runJson(ws, t.run, clock.now(), true);
    const task = (parent.tasks as Json[]).find((x) => x.run_id === runId) ?? {};
    return { ...parent, ...task, tasks: [task] };
  });

  on('GET', '/jobs/runs/get-output', 'runs/get-output', ['2.1', '2.2'], (req) => {
    const runId = intParam(req, 'run_id', 'query');
    if (ws.runs.has(runId)) throw bad(MULTITASK_OUTPUT);
    const t = ws.taskRuns.get(runId);
    if (!t) throw bad(`Run ${runId} does not exist.`);
    return outputJson(ws, mlflow, clock, t.run, t.task);
  });

  on('POST', '/jobs/runs/cancel', 'runs/cancel', ['2.1', '2.2'], (req) => {
    ws.cancel(findRun(intParam(req, 'run_id', 'body')));
    return {};
  });

  on('GET', '/jobs/runs/list', 'runs/list', ['2.1', '2.2'], (req) => {
    const q = req.query;
    if (q.get('active_only') === 'true' && q.get('completed_only') === 'true') throw bad('Only one of active_only and completed_only can be true.');
    const limit = Number(q.get('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 25) throw bad('The limit must be greater than 0 and less than or equal to 25.');
    const jobId = q.get('job_id');
    const now = clock.now();
    let runs = [...ws.runs.values()].map((r) => ({ r, json: runJson(ws, r, now, q.get('expand_tasks') === 'true') }));
    const terminal = (j: Json): boolean => ((j.status as Json).state as string) === 'TERMINATED';
    if (jobId) runs = runs.filter((x) => String(x.r.jobId) === jobId);
    // start_time_from/to filter on the run's start time, in epoch ms, inclusive [GOJ ListRunsRequest].
    for (const [name, keep] of [['start_time_from', (t: number, b: number) => t >= b], ['start_time_to', (t: number, b: number) => t <= b]] as const) {
      const raw = q.get(name);
      if (raw === null || raw === '') continue;
      const bound = Number(raw);
      if (!Number.isSafeInteger(bound) || bound < 0) throw bad(`Invalid value for ${name}: ${JSON.stringify(raw)}`);
      runs = runs.filter((x) => keep(x.r.created, bound));
    }
    if (q.get('active_only') === 'true') runs = runs.filter((x) => !terminal(x.json));
    if (q.get('completed_only') === 'true') runs = runs.filter((x) => terminal(x.json));
    runs.sort((a, b) => b.r.created - a.r.created || b.r.runId - a.r.runId);
    const token = q.get('page_token');
    const offset = token ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw bad('Invalid page token.');
    const slice = runs.slice(offset, offset + limit).map((x) => x.json);
    const more = offset + limit < runs.length;
    return { runs: slice, has_more: more, ...(more ? { next_page_token: Buffer.from(String(offset + limit)).toString('base64') } : {}), ...(offset > 0 ? { prev_page_token: Buffer.from(String(Math.max(0, offset - limit))).toString('base64') } : {}) };
  });

  on('GET', '/jobs/get', 'jobs/get', ['2.1', '2.2'], (req) => {
    const jobId = intParam(req, 'job_id', 'query');
    const job = ws.jobs.get(jobId);
    if (!job) throw bad(`Job ${jobId} does not exist.`);
    // 2.2 caps task arrays at 100 per response and pages with next_page_token.
    const tasks = Array.isArray(job.settings.tasks) ? (job.settings.tasks as Json[]) : [];
    const token = req.query.get('page_token');
    const offset = token ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
    const more = offset + JOB_TASKS_PAGE < tasks.length;
    return {
      job_id: job.jobId,
      creator_user_name: 'sandbox@contoso.com',
      created_time: job.createdTime,
      settings: { ...job.settings, tasks: tasks.slice(offset, offset + JOB_TASKS_PAGE) },
      ...(more ? { next_page_token: Buffer.from(String(offset + JOB_TASKS_PAGE)).toString('base64') } : {}),
    };
  });

  on('GET', '/clusters/spark-versions', 'clusters/spark-versions', ['2.0', '2.1'], () => ({ versions: SANDBOX_SPARK_VERSIONS }));
}
