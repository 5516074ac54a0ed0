import { HttpFault, type Handler, type SandboxReply, type SandboxRequest, type SandboxServer } from '../common/http-server';
import type { SandboxIdentity } from '../common/sandbox-auth';
import type { AzureDevOpsSandboxState } from './sandbox-state';
import { registerHookRoutes } from './hooks.routes';
import { buildStatus, projectRef, visibleLogLines, wireApproval, wireBuild, wireLogRef, wireRun, wireTimeline } from './wire-shapes';

/**
 * The REST endpoints the bot uses: Pipelines runs, Builds (get, list with continuation tokens,
 * cancel), Timeline, Logs, Pipeline approvals, service-hook subscriptions. Enum inputs are
 * accepted as names (any case) or as the numbers node-api sends.
 */
const BUILD_STATUS: Record<string, number> = { none: 0, inprogress: 1, completed: 2, cancelling: 4, postponed: 8, notstarted: 32, all: 47 };
const BUILD_RESULT: Record<string, number> = { none: 0, succeeded: 2, partiallysucceeded: 4, failed: 8, canceled: 32 };
interface LogSource { id: number; start: number; finish: number | undefined; lines: () => string[] }
const APPROVAL_STATUS: Record<string, number> = { pending: 2, approved: 4, rejected: 8, skipped: 16, canceled: 32, timedout: 64, failed: 128, completed: 253, all: 255 };

/** A name or number → the canonical number, or undefined when absent. */
function enumValue(table: Record<string, number>, raw: unknown, what: string): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw === 'number') return raw;
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
  if (/^\d+$/.test(text)) return Number(text);
  const n = table[text.toLowerCase()];
  if (n === undefined) throw new HttpFault(400, 'InvalidArgumentValueException', `The value '${text}' is not valid for ${what}.`);
  return n;
}

const text = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback);

function intParam(raw: string | undefined, what: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new HttpFault(400, 'InvalidArgumentValueException', `The value '${raw ?? ''}' for ${what} is not a valid integer.`);
  return n;
}

/** The newest REST API version Azure DevOps Services serves; 7.2 is still preview-only. */
export const LATEST_API = { major: 7, minor: 2, released: false };

/**
 * api-version from the query or the Accept header, checked as the service does: required, of the
 * form major.minor[-preview[.n]], not above the latest, and `-preview` on a version not released.
 * Exception names from Microsoft.VisualStudio.Services.WebApi (docs/sandbox/azure-devops.md).
 */
export function checkApiVersion(req: SandboxRequest): void {
  const fromAccept = /api-version=([^;,\s]+)/i.exec(String(req.headers.accept ?? ''))?.[1];
  const raw = req.query.get('api-version') ?? fromAccept;
  if (!raw) {
    throw new HttpFault(400, 'VssVersionNotSpecifiedException', `No api-version was supplied for the "${req.method}" request. The version must be supplied either as part of the Accept header (e.g. "application/json; api-version=1.0") or as a query parameter (e.g. '?api-version=1.0').`);
  }
  const m = /^(\d+)\.(\d+)(-preview(\.\d+)?)?$/i.exec(raw);
  if (!m) throw new HttpFault(400, 'VssInvalidApiResourceVersionException', `The api-version '${raw}' is not a valid API version string; use major.minor, optionally followed by -preview or -preview.N (e.g. 7.1 or 7.2-preview.1).`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const latest = `${LATEST_API.major}.${LATEST_API.minor}`;
  if (major > LATEST_API.major || (major === LATEST_API.major && minor > LATEST_API.minor)) {
    throw new HttpFault(400, 'VssVersionOutOfRangeException', `The requested REST API version of ${major}.${minor} is out of range for this server. The latest REST API version this server supports is ${latest}.`);
  }
  if (!m[3] && major === LATEST_API.major && minor === LATEST_API.minor && !LATEST_API.released) {
    throw new HttpFault(400, 'VssInvalidPreviewVersionException', `The requested version "${raw}" of the resource is under preview. The -preview flag must be supplied in the api-version for such requests. For example: "${raw}-preview"`);
  }
}

/** What every route of this service is built with (shared with ./hooks.routes). */
export interface ApiRouteKit {
  api: (h: (req: SandboxRequest, caller: SandboxIdentity) => ReturnType<Handler>) => Handler;
  ok: (body: unknown, headers?: Record<string, string>) => SandboxReply;
  body: (req: SandboxRequest) => Record<string, unknown>;
}

export function registerApiRoutes(server: SandboxServer, state: AzureDevOpsSandboxState, authorize: (req: SandboxRequest) => SandboxIdentity): void {
  const ctx = state.ctx;
  /** Every API call: auth, api-version (query or Accept header), then the run model catches up with the clock. */
  const api = (h: (req: SandboxRequest, caller: SandboxIdentity) => ReturnType<Handler>): Handler => (req) => {
    const caller = authorize(req);
    checkApiVersion(req);
    state.tick();
    return h(req, caller);
  };
  const ok = (body: unknown, headers?: Record<string, string>): SandboxReply => ({ status: 200, body, ...(headers ? { headers } : {}) });
  const body = (req: SandboxRequest): Record<string, unknown> => {
    if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) throw new HttpFault(400, 'InvalidArgumentValueException', 'Value cannot be null or not an object. Parameter name: body');
    return req.body as Record<string, unknown>;
  };

  server.route('GET', '/:org/_apis/projects/:project', 'projects.get', api(() => ok(projectRef(ctx()))));

  // Pipelines — runs
  server.route('POST', '/:org/:project/_apis/pipelines/:pipelineId/runs', 'runs.create', api((req) => {
    const b = body(req);
    const resources = b.resources as { repositories?: { self?: { refName?: string } } } | undefined;
    const branch = resources?.repositories?.self?.refName;
    const run = state.queue(intParam(req.params.pipelineId, 'pipelineId'), {
      ...(branch ? { sourceBranch: branch } : {}),
      ...(b.templateParameters ? { templateParameters: b.templateParameters as Record<string, unknown> } : {}),
      ...(b.variables ? { variables: b.variables as Record<string, { value?: unknown }> } : {}),
    });
    return ok(wireRun(ctx(), run));
  }));
  server.route('GET', '/:org/:project/_apis/pipelines/:pipelineId/runs', 'runs.list', api((req) => {
    const pipelineId = intParam(req.params.pipelineId, 'pipelineId');
    state.pipeline(pipelineId);
    const runs = [...state.runs.values()].filter((r) => r.pipeline.id === pipelineId).sort((a, b) => b.id - a.id).slice(0, 10000);
    return ok({ count: runs.length, value: runs.map((r) => wireRun(ctx(), r)) });
  }));
  server.route('GET', '/:org/:project/_apis/pipelines/:pipelineId/runs/:runId', 'runs.get', api((req) => {
    const run = state.run(intParam(req.params.runId, 'runId'), 'run');
    if (run.pipeline.id !== intParam(req.params.pipelineId, 'pipelineId')) throw new HttpFault(404, 'RunNotFoundException', `Run with id ${run.id} could not be found.`);
    return ok(wireRun(ctx(), run));
  }));

  // Builds — queue, get, list, cancel
  server.route('POST', '/:org/:project/_apis/build/builds', 'builds.queue', api((req) => {
    const b = body(req);
    const definitionId = (b.definition as { id?: unknown } | undefined)?.id;
    if (typeof definitionId !== 'number') throw new HttpFault(400, 'BuildRequestValidationFailedException', 'Could not queue the build because there were validation errors or warnings.');
    const vars = typeof b.parameters === 'string' ? (JSON.parse(b.parameters) as Record<string, unknown>) : {};
    const run = state.queue(definitionId, {
      ...(typeof b.sourceBranch === 'string' ? { sourceBranch: b.sourceBranch } : {}),
      ...(b.templateParameters ? { templateParameters: b.templateParameters as Record<string, unknown> } : {}),
      variables: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { value: v }])),
    });
    return ok({ ...wireBuild(ctx(), run), status: 'notStarted' });
  }));
  server.route('GET', '/:org/:project/_apis/build/builds', 'builds.list', api((req) => {
    const q = req.query;
    const definitions = (q.get('definitions') ?? '').split(',').filter((s) => s !== '').map(Number);
    const status = enumValue(BUILD_STATUS, q.get('statusFilter'), 'statusFilter');
    const result = enumValue(BUILD_RESULT, q.get('resultFilter'), 'resultFilter');
    const top = q.get('$top') ? intParam(q.get('$top') ?? undefined, '$top') : 1000;
    // queryOrder decides the sort and which time minTime/maxTime filter on (finish or queue time) [B71].
    const order = (q.get('queryOrder') ?? 'queueTimeDescending').toLowerCase();
    const ORDERS = ['finishtimeascending', 'finishtimedescending', 'queuetimeascending', 'queuetimedescending', 'starttimeascending', 'starttimedescending'];
    if (!ORDERS.includes(order)) throw new HttpFault(400, 'InvalidArgumentValueException', `The value '${q.get('queryOrder') ?? ''}' is not valid for queryOrder.`);
    const byFinish = order.startsWith('finish');
    const timeOf = (r: (typeof state.runs extends Map<number, infer R> ? R : never)): number | undefined => (byFinish ? r.finishTime : r.queueTime);
    const bound = (name: string): number | undefined => {
      const raw = q.get(name);
      if (!raw) return undefined;
      const t = Date.parse(raw);
      if (Number.isNaN(t)) throw new HttpFault(400, 'InvalidArgumentValueException', `The value '${raw}' is not a valid date for ${name}.`);
      return t;
    };
    const minTime = bound('minTime');
    const maxTime = bound('maxTime');
    const asc = order.endsWith('ascending');
    const matching = [...state.runs.values()]
      .filter((r) => definitions.length === 0 || definitions.includes(r.pipeline.id))
      .filter((r) => status === undefined || status === BUILD_STATUS.all || (BUILD_STATUS[buildStatus(r).toLowerCase()] ?? 0) & status)
      .filter((r) => result === undefined || (r.result !== undefined && (BUILD_RESULT[r.result] ?? 0) & result))
      .filter((r) => (minTime === undefined && maxTime === undefined) || (timeOf(r) !== undefined && (minTime === undefined || (timeOf(r) ?? 0) >= minTime) && (maxTime === undefined || (timeOf(r) ?? 0) <= maxTime)))
      .sort((a, b) => ((timeOf(a) ?? 0) - (timeOf(b) ?? 0) || a.id - b.id) * (asc ? 1 : -1));
    // The continuation token names the first build of the next page (opaque to clients).
    const token = q.get('continuationToken');
    const from = token ? matching.findIndex((r) => String(r.id) === token) : 0;
    if (token && from < 0) throw new HttpFault(400, 'InvalidArgumentValueException', `The continuation token '${token}' is not valid.`);
    const page = matching.slice(from, from + top);
    const next = matching[from + top];
    return ok({ count: page.length, value: page.map((r) => wireBuild(ctx(), r)) }, next ? { 'x-ms-continuationtoken': String(next.id) } : undefined);
  }));
  server.route('GET', '/:org/:project/_apis/build/builds/:buildId', 'builds.get', api((req) => ok(wireBuild(ctx(), state.run(intParam(req.params.buildId, 'buildId'))))));
  server.route('PATCH', '/:org/:project/_apis/build/builds/:buildId', 'builds.update', api((req) => {
    const id = intParam(req.params.buildId, 'buildId');
    const status = enumValue(BUILD_STATUS, body(req).status, 'status');
    if (status === BUILD_STATUS.cancelling) return ok(wireBuild(ctx(), state.cancel(id)));
    if (status !== undefined) throw new HttpFault(400, 'InvalidBuildStatusException', `Build status can only be changed to cancelling.`);
    return ok(wireBuild(ctx(), state.run(id)));
  }));

  // Timeline and logs
  const timeline: Handler = (req) => ok(wireTimeline(ctx(), state.run(intParam(req.params.buildId, 'buildId'))));
  server.route('GET', '/:org/:project/_apis/build/builds/:buildId/timeline', 'timeline.get', api(timeline));
  server.route('GET', '/:org/:project/_apis/build/builds/:buildId/timeline/:timelineId', 'timeline.get', api(timeline));
  /** Every log of a build: one per task, plus one per job holding its tasks' lines (as the agent writes them). */
  const logsOf = (buildId: number): { run: ReturnType<typeof state.run>; logs: LogSource[] } => {
    const run = state.run(buildId);
    const now = state.clock.now();
    const logs: LogSource[] = [];
    for (const job of run.stages.flatMap((st) => st.jobs)) {
      if (job.logId !== undefined) logs.push({ id: job.logId, start: job.start ?? now, finish: job.finish, lines: () => job.tasks.flatMap((t) => visibleLogLines(t, now)) });
      for (const t of job.tasks) if (t.logId !== undefined) logs.push({ id: t.logId, start: t.start ?? now, finish: t.finish, lines: () => visibleLogLines(t, now) });
    }
    return { run, logs: logs.sort((a, b) => a.id - b.id) };
  };
  server.route('GET', '/:org/:project/_apis/build/builds/:buildId/logs', 'logs.list', api((req) => {
    const { run, logs } = logsOf(intParam(req.params.buildId, 'buildId'));
    return ok({ count: logs.length, value: logs.map((l) => wireLogRef(ctx(), run, l.id, l.lines().length, l.start, l.finish ?? state.clock.now())) });
  }));
  server.route('GET', '/:org/:project/_apis/build/builds/:buildId/logs/:logId', 'logs.get', api((req) => {
    const logId = intParam(req.params.logId, 'logId');
    const log = logsOf(intParam(req.params.buildId, 'buildId')).logs.find((l) => l.id === logId);
    if (!log) throw new HttpFault(404, 'BuildLogNotFoundException', `Build log ${logId} could not be found.`);
    const lines = log.lines();
    // 1-based and inclusive, as the service counts; out-of-range bounds are clamped.
    const start = Math.max(1, Number(req.query.get('startLine') ?? 1) || 1);
    const end = Math.min(lines.length, Number(req.query.get('endLine') ?? lines.length) || lines.length);
    const slice = lines.slice(start - 1, end);
    if (/text\/plain/i.test(String(req.headers.accept ?? ''))) return { status: 200, raw: true, body: slice.join('\n') };
    return ok({ count: slice.length, value: slice });
  }));

  // Pipeline approvals (no node-api client: raw REST with api-version in the query)
  server.route('GET', '/:org/:project/_apis/pipelines/approvals', 'approvals.list', api((req) => {
    const q = req.query;
    const ids = (q.get('approvalIds') ?? '').toLowerCase().split(',').filter((s) => s !== '');
    const wanted = enumValue(APPROVAL_STATUS, q.get('state'), 'state');
    const expand = /steps/i.test(q.get('$expand') ?? '');
    const top = q.get('top') ? intParam(q.get('top') ?? undefined, 'top') : Number.MAX_SAFE_INTEGER;
    const list = state.approvals()
      .filter(({ approval }) => ids.length === 0 || ids.includes(approval.id))
      .filter(({ approval }) => wanted === undefined || ((APPROVAL_STATUS[approval.status.toLowerCase()] ?? 0) & wanted) !== 0)
      .slice(0, top);
    return ok({ count: list.length, value: list.map(({ run, approval }) => wireApproval(ctx(), run, approval, expand)) });
  }));
  server.route('GET', '/:org/:project/_apis/pipelines/approvals/:approvalId', 'approvals.get', api((req) => {
    const { run, approval } = state.approval(req.params.approvalId ?? '');
    return ok(wireApproval(ctx(), run, approval, /steps/i.test(req.query.get('$expand') ?? '')));
  }));
  server.route('PATCH', '/:org/:project/_apis/pipelines/approvals', 'approvals.update', api((req, caller) => decideApprovals(req, caller)));
  /** Only a member of an assigned approver group may decide; every update is checked before any is applied. */
  const decideApprovals = (req: SandboxRequest, caller: SandboxIdentity): SandboxReply => {
    if (!Array.isArray(req.body) || req.body.length === 0) throw new HttpFault(400, 'InvalidArgumentValueException', 'The request body must be a non-empty array of approval updates.');
    const updates = (req.body as Array<Record<string, unknown>>).map((u) => {
      const status = enumValue(APPROVAL_STATUS, u.status, 'status');
      if (status !== APPROVAL_STATUS.approved && status !== APPROVAL_STATUS.rejected) throw new HttpFault(400, 'InvalidArgumentValueException', `Approval status must be approved or rejected.`);
      const { approval } = state.approval(text(u.approvalId, ''));
      if (!state.approverIds.has(caller.id)) {
        throw new HttpFault(403, 'ApprovalUnauthorizedException', `${caller.displayName} is not an approver of approval ${approval.id}; the approvers are: ${approval.gate.approvers.map((a) => a.displayName).join(', ')}.`);
      }
      return { u, status };
    });
    const updated = updates.map(({ u, status }) => {
      const found = state.decide(text(u.approvalId, ''), status === APPROVAL_STATUS.approved ? 'approved' : 'rejected', typeof u.comment === 'string' ? u.comment : '', caller);
      return wireApproval(ctx(), found.run, found.approval, true);
    });
    return ok({ count: updated.length, value: updated });
  };

  registerHookRoutes(server, state, { api, ok, body });
}
