import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Authorizer } from '../../services/auth/authorizer';
import { samePrincipal } from '../../services/auth/principal';
import type { MlopsConfig } from '../../services/config/mlops-config.schema';
import type { RunEngine } from '../../services/workflow/run-engine';
import type { RunStore } from '../../services/workflow/run-store';
import type { RunStatus } from '../../services/workflow/run.types';
import type { Refusal } from '../http/answers';
import type { BodyResult } from '../http/body-reader';
import { refusalWords } from '../views/refusal-words';
import { runDetail, runSummary } from './dashboard-views';
import type { SsoUser, SsoValidator } from './sso-validator';

/** What the HTTP server lends the dashboard's routes: its guard, its refusals and its body reader. */
export interface RouteKit {
  get(path: string, route: string, handler: (req: IncomingMessage & { params?: Record<string, string> }, res: ServerResponse) => Promise<void>): void;
  post(path: string, route: string, handler: (req: IncomingMessage & { params?: Record<string, string> }, res: ServerResponse) => Promise<void>): void;
  refuse(res: ServerResponse, route: string, refusal: Refusal, cause: string): void;
  readBody(req: IncomingMessage, res: ServerResponse): Promise<BodyResult>;
}

export interface DashboardApiDeps {
  /** Undefined when single sign-on is not configured: every API call is refused with the fix. */
  sso: SsoValidator | undefined;
  runs: RunStore;
  engine: RunEngine;
  auth: Authorizer;
  config: Pick<MlopsConfig, 'models'>;
  now: () => number;
}

const STATUSES = ['running', 'waiting_approval', 'succeeded', 'failed', 'canceled', 'expired'] as const satisfies readonly RunStatus[];
const listQuery = z.object({
  model: z.string().trim().min(1).max(200).optional(),
  status: z.enum(STATUSES).optional(),
  /** `me`, or a requester's display name. */
  requester: z.string().trim().min(1).max(200).optional(),
  before: z.string().regex(/^r-\d{1,12}$/, 'before must be a run id such as r-42').optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});
const decisionBody = z.object({
  decision: z.enum(['approved', 'rejected']),
  comment: z.string().max(1000).default(''),
  /** The run version the person saw: a decision on a stale view is refused, as on a stale card. */
  seenVersion: z.number().int().min(1).optional(),
});

/**
 * The dashboard's HTTP API, under /api/dashboard. Every call carries the Teams SSO token; the
 * token is checked before anything else is read. Roles are the chat's (the same Authorizer), and
 * decisions go through the engine's own `decide`, so the policy and the exactly-once rule are
 * the card's. Reads answer with an ETag and honour If-None-Match (304).
 */
export function registerDashboardApi(kit: RouteKit, deps: DashboardApiDeps): void {
  const signedIn = async (req: IncomingMessage, res: ServerResponse, route: string): Promise<SsoUser | undefined> => {
    if (!deps.sso) {
      kit.refuse(res, route, { status: 503, message: 'The dashboard is not configured: set TAB_SSO_CLIENT_ID and TAB_ALLOWED_TENANTS (docs/teams-app.md).', retryAfter: 3600 }, 'no sso settings');
      return undefined;
    }
    const result = await deps.sso.validate(typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined);
    if (!result.ok) {
      kit.refuse(res, route, { status: result.status, message: result.message, ...(result.status === 503 ? { retryAfter: 30 } : {}) }, result.cause);
      return undefined;
    }
    return result.user;
  };

  kit.get('/api/dashboard/me', 'dashboard me', async (req, res) => {
    const user = await signedIn(req, res, 'dashboard me');
    if (!user) return;
    const models = [];
    for (const name of Object.keys(deps.config.models)) models.push({ name, roles: await deps.auth.rolesOf(user, name) });
    cached(req, res, { name: user.name, upn: user.upn ?? null, tenantId: user.tenantId, models });
  });

  kit.get('/api/dashboard/runs', 'dashboard runs', async (req, res) => {
    const user = await signedIn(req, res, 'dashboard runs');
    if (!user) return;
    const q = listQuery.safeParse(Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams));
    if (!q.success) return kit.refuse(res, 'dashboard runs', { status: 400, message: q.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ') }, 'bad query');
    const { model, status, requester, before, limit } = q.data;
    // One more than asked tells whether there is a next page.
    const page = await deps.runs.listRuns({
      ...(model ? { model } : {}),
      ...(status ? { status } : {}),
      ...(requester === 'me' ? { requesterObjectId: user.id } : requester ? { requesterName: requester } : {}),
      ...(before ? { before } : {}),
      limit: limit + 1,
    });
    const runs = page.slice(0, limit);
    const last = runs[runs.length - 1];
    cached(req, res, { runs: runs.map(runSummary), ...(page.length > limit && last ? { next: last.id } : {}) });
  });

  kit.get('/api/dashboard/runs/:id', 'dashboard run', async (req, res) => {
    const user = await signedIn(req, res, 'dashboard run');
    if (!user) return;
    const id = req.params?.id ?? '';
    const run = /^r-\d{1,12}$/.test(id) ? await deps.runs.getRun(id) : undefined;
    if (!run) return kit.refuse(res, 'dashboard run', { status: 404, message: `There is no run ${id.slice(0, 40)}.` }, 'no run');
    const audit = await deps.runs.listAudit({ runId: run.id, limit: 200 });
    const mayDecide = run.approval?.state === 'pending' && !samePrincipal(run.requester, user) && (await deps.auth.check(user, 'decide', run.model)) === undefined;
    cached(req, res, { run: runDetail(run, audit, deps.now()), you: { mayDecide, requestedIt: samePrincipal(run.requester, user) } });
  });

  kit.get('/api/dashboard/approvals', 'dashboard approvals', async (req, res) => {
    const user = await signedIn(req, res, 'dashboard approvals');
    if (!user) return;
    const waiting = [];
    for (const run of await deps.runs.listRuns({ status: 'waiting_approval', limit: 200 })) {
      if (run.approval?.state !== 'pending' || !(await deps.auth.hasRole(user, 'approver', run.model))) continue;
      const decided = run.approval.decisions.some((d) => samePrincipal(d.by, user));
      waiting.push({ ...runSummary(run), expiresAt: run.approval.expiresAt, required: run.approval.required, decisions: run.approval.decisions.length, requestedByYou: samePrincipal(run.requester, user), decidedByYou: decided, version: run.version });
    }
    cached(req, res, { approvals: waiting });
  });

  kit.post('/api/dashboard/runs/:id/decision', 'dashboard decision', async (req, res) => {
    const user = await signedIn(req, res, 'dashboard decision');
    if (!user) return;
    const id = req.params?.id ?? '';
    if (!/^r-\d{1,12}$/.test(id)) return kit.refuse(res, 'dashboard decision', { status: 404, message: `There is no run ${id.slice(0, 40)}.` }, 'bad run id');
    const read = await kit.readBody(req, res);
    if (!read.ok) return kit.refuse(res, 'dashboard decision', read.refusal, read.cause);
    const body = decisionBody.safeParse(read.body);
    if (!body.success) return kit.refuse(res, 'dashboard decision', { status: 400, message: `Send {"decision": "approved" | "rejected", "comment": "..."}: ${body.error.issues[0]?.message ?? 'invalid body'}.` }, 'bad body');
    if (body.data.seenVersion !== undefined) {
      const current = await deps.runs.getRun(id);
      if (current && current.version !== body.data.seenVersion) {
        return kit.refuse(res, 'dashboard decision', { status: 409, message: `Run ${id} changed since you opened it; reload to see its current state. Nothing was decided.` }, 'stale view');
      }
    }
    const result = await deps.engine.decide(id, { id: user.id, name: user.name, aadObjectId: user.aadObjectId, upn: user.upn }, body.data.decision, body.data.comment.trim());
    if (result.ok) return json(res, 200, { message: result.message, run: runSummary(result.run) });
    const r = result.refusal;
    const status = r.kind === 'forbidden' ? 403 : r.kind === 'no-run' ? 404 : 409;
    kit.refuse(res, 'dashboard decision', { status, message: refusalWords(r) }, r.kind);
  });
}

function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'private, no-cache', ...extra });
  res.end(text);
}

/** Answers with a strong ETag of the body; 304 without a body when the client already has it. */
function cached(req: IncomingMessage, res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;
  const seen = req.headers['if-none-match'];
  if (typeof seen === 'string' && seen.split(',').some((t) => t.trim() === etag)) {
    res.writeHead(304, { etag, 'cache-control': 'private, no-cache' });
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), etag, 'cache-control': 'private, no-cache', vary: 'Authorization' });
  res.end(text);
}
