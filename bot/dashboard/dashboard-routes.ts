import { z } from 'zod';
import type { Authorizer } from '../../services/auth/authorizer';
import { samePrincipal } from '../../services/auth/principal';
import type { MlopsConfig } from '../../services/config/mlops-config.schema';
import type { RunEngine } from '../../services/workflow/run-engine';
import type { RunStore } from '../../services/workflow/run-store';
import type { RunStatus } from '../../services/workflow/run.types';
import { cached, engineRefusal, json, parseBody, parseQuery, signInCheck, type RouteKit } from './dashboard-http';
import { runDetail, runSummary } from './dashboard-views';
import { pageOfRuns } from './runs-query';
import type { SsoValidator } from './sso-validator';

export type { RouteKit } from './dashboard-http';

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
  /** An environment name (staging, production...): the runs that deploy there. */
  env: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'env must be an environment name such as staging').optional(),
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
  const signedIn = signInCheck(kit, deps.sso);

  kit.get('/api/dashboard/me', 'dashboard me', async (req, res) => {
    const user = await signedIn(req, res, 'dashboard me');
    if (!user) return;
    const models = [];
    for (const [name, m] of Object.entries(deps.config.models)) models.push({ name, roles: await deps.auth.rolesOf(user, name), environments: m.environments.map((e) => e.name) });
    cached(req, res, { name: user.name, upn: user.upn ?? null, tenantId: user.tenantId, models });
  });

  kit.get('/api/dashboard/runs', 'dashboard runs', async (req, res) => {
    const user = await signedIn(req, res, 'dashboard runs');
    if (!user) return;
    const q = parseQuery(kit, req, res, 'dashboard runs', listQuery);
    if (!q) return;
    const { model, status, requester, env, before, limit } = q;
    const page = await pageOfRuns(
      deps.runs,
      {
        ...(model ? { model } : {}),
        ...(status ? { status } : {}),
        ...(requester === 'me' ? { requesterObjectId: user.id } : requester ? { requesterName: requester } : {}),
        ...(before ? { before } : {}),
      },
      env,
      limit,
    );
    cached(req, res, { runs: page.runs.map(runSummary), ...(page.next ? { next: page.next } : {}) });
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
    const body = await parseBody(kit, req, res, 'dashboard decision', decisionBody, '{"decision": "approved" | "rejected", "comment": "..."}');
    if (!body) return;
    if (body.seenVersion !== undefined) {
      const current = await deps.runs.getRun(id);
      if (current && current.version !== body.seenVersion) {
        return kit.refuse(res, 'dashboard decision', { status: 409, message: `Run ${id} changed since you opened it; reload to see its current state. Nothing was decided.` }, 'stale view');
      }
    }
    const result = await deps.engine.decide(id, { id: user.id, name: user.name, aadObjectId: user.aadObjectId, upn: user.upn }, body.decision, body.comment.trim());
    if (result.ok) return json(res, 200, { message: result.message, run: runSummary(result.run) });
    kit.refuse(res, 'dashboard decision', engineRefusal(result.refusal), result.refusal.kind);
  });
}
