import type { Authorizer } from '../../services/auth/authorizer';
import type { MlopsConfig } from '../../services/config/mlops-config.schema';
import { environment, liveHistory } from '../../services/workflow/environments';
import type { RunEngine } from '../../services/workflow/run-engine';
import type { RunStore } from '../../services/workflow/run-store';
import type { PersonRef } from '../../services/workflow/run.types';
import { cached, engineRefusal, json, signInCheck, type DashboardRequest, type RouteKit } from './dashboard-http';
import { runSummary } from './dashboard-views';
import type { EnvironmentHealth } from './environment-health';
import { modelView } from './models-views';
import type { SsoUser, SsoValidator } from './sso-validator';
import type { ModelConfig } from '../../services/config/mlops-config.schema';
import type { ServerResponse } from 'node:http';

export interface ModelsApiDeps {
  sso: SsoValidator | undefined;
  runs: RunStore;
  engine: RunEngine;
  auth: Authorizer;
  config: Pick<MlopsConfig, 'models'>;
  health: EnvironmentHealth;
}

const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

/**
 * The models page's API: GET /api/dashboard/models (every model, or `?model=` one, with its
 * environments), and Promote / Roll back, which call the engine operations the chat calls
 * (the card's "Promote vN to <next>", /rollback --env), so the same role checks, promotion rule
 * and approval apply. Neither takes a version from the page: the engine decides what goes where.
 */
export function registerModelsApi(kit: RouteKit, deps: ModelsApiDeps): void {
  const signedIn = signInCheck(kit, deps.sso);

  kit.get('/api/dashboard/models', 'dashboard models', async (req, res) => {
    const user = await signedIn(req, res, 'dashboard models');
    if (!user) return;
    const only = new URL(req.url ?? '/', 'http://x').searchParams.get('model');
    if (only !== null && !(NAME.test(only) && only in deps.config.models)) {
      return kit.refuse(res, 'dashboard models', { status: 404, message: `There is no model "${only.slice(0, 40)}" in mlops.config.yaml.` }, 'no model');
    }
    const models = [];
    for (const [name, m] of Object.entries(deps.config.models)) if (only === null || only === name) models.push(await modelView(name, m, deps.runs, user, deps.auth, deps.health));
    cached(req, res, { models });
  });

  /** The model and environment of a path, or a 404 with a sentence already written. */
  const target = (req: DashboardRequest, res: ServerResponse, route: string): { model: string; m: ModelConfig; env: string } | undefined => {
    const model = req.params?.model ?? '';
    const env = req.params?.env ?? '';
    const m = NAME.test(model) ? deps.config.models[model] : undefined;
    if (!m) {
      kit.refuse(res, route, { status: 404, message: `There is no model "${model.slice(0, 40)}" in mlops.config.yaml. Nothing was changed.` }, 'no model');
      return undefined;
    }
    if (!NAME.test(env) || !environment(m, env)) {
      kit.refuse(res, route, { status: 404, message: `${model} has no environment "${env.slice(0, 40)}"; its environments are ${m.environments.map((e) => e.name).join(', ')}. Nothing was changed.` }, 'no env');
      return undefined;
    }
    return { model, m, env };
  };
  const person = (u: SsoUser): PersonRef => ({ id: u.id, name: u.name, aadObjectId: u.aadObjectId, upn: u.upn });

  // Promote what is live in :env to the next environment: the run card's Promote, on the run that made it live.
  kit.post('/api/dashboard/models/:model/environments/:env/promote', 'dashboard promote', async (req, res) => {
    const user = await signedIn(req, res, 'dashboard promote');
    if (!user) return;
    const t = target(req, res, 'dashboard promote');
    if (!t) return;
    const live = (await liveHistory(deps.runs, t.model, t.env))[0];
    if (!live) return kit.refuse(res, 'dashboard promote', { status: 409, message: `Nothing of ${t.model} is live in ${t.env} yet, so there is nothing to promote. Nothing was changed.` }, 'nothing live');
    // The new run reports where the version it promotes was announced, as a click on that run's card would.
    const result = await deps.engine.promote(live.id, person(user), live.conversationId);
    if (!result.ok) return kit.refuse(res, 'dashboard promote', engineRefusal(result.refusal), result.refusal.kind);
    json(res, 201, { message: result.message, run: runSummary(result.run) });
  });

  // Roll back :env to the version live there before the current one: /rollback <model> --env <env>.
  kit.post('/api/dashboard/models/:model/environments/:env/rollback', 'dashboard rollback', async (req, res) => {
    const user = await signedIn(req, res, 'dashboard rollback');
    if (!user) return;
    const t = target(req, res, 'dashboard rollback');
    if (!t) return;
    const live = (await liveHistory(deps.runs, t.model, t.env))[0];
    const result = await deps.engine.startRollback({ model: t.model, env: t.env, requester: person(user), conversationId: live?.conversationId ?? '' });
    if (!result.ok) return kit.refuse(res, 'dashboard rollback', engineRefusal(result.refusal), result.refusal.kind);
    json(res, 201, { message: result.message, run: runSummary(result.run) });
  });
}
