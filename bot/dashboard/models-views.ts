import type { Authorizer } from '../../services/auth/authorizer';
import type { Principal } from '../../services/auth/roles';
import type { ModelConfig } from '../../services/config/mlops-config.schema';
import { liveHistory, nextEnvironment, versionOf } from '../../services/workflow/environments';
import type { RunStore } from '../../services/workflow/run-store';
import { rollbackTarget } from '../../services/workflow/rollback-target';
import type { EnvironmentDto, ModelDto } from './dashboard-dto';
import { runSummary } from './dashboard-views';
import type { EnvironmentHealth } from './environment-health';

/** Runs of a model's history shown per environment (the runs page, filtered by model and environment, has the rest). */
export const HISTORY_PER_ENV = 10;
/** How much of a model's history one models page reads: the same depth as /rollback reads (run-actions.startRollback). */
export const HISTORY_DEPTH = 200;

/**
 * One model's page: each environment in promotion order with its live version, URI, health and
 * history, and whether this person may promote or roll back there. "May" is the Authorizer's
 * answer for the action the engine will check (promote = deploy to the next environment,
 * rollback = rollback in this one), so the buttons never promise what the engine refuses; the
 * engine checks again when clicked.
 */
export async function modelView(name: string, m: ModelConfig, runs: RunStore, user: Principal, auth: Authorizer, health: EnvironmentHealth): Promise<ModelDto> {
  const history = await runs.listRuns({ model: name, limit: HISTORY_DEPTH });
  const environments: EnvironmentDto[] = [];
  for (const env of m.environments) {
    // What is live there: the engine's own rule (environments.liveHistory), newest first.
    const live = (await liveHistory(runs, name, env.name))[0];
    const next = nextEnvironment(m, env.name);
    const back = rollbackTarget(history, env.name);
    const version = live ? versionOf(live) : undefined;
    environments.push({
      name: env.name,
      ...(version ? { version } : {}),
      ...(live?.deploy?.scoringUri ? { scoringUri: live.deploy?.scoringUri } : {}),
      ...(live ? { liveRun: live.id, since: live.updatedAt } : {}),
      health: await health.of(name, env, live),
      history: history.filter((r) => r.target === env.name).slice(0, HISTORY_PER_ENV).map(runSummary),
      ...(next
        ? {
            promote: {
              to: next.name,
              ...(version ? { version } : {}),
              allowed: (await auth.check(user, 'deploy', name, next.name)) === undefined,
              ...(live?.promotion ? { done: { runId: live.promotion.runId, by: live.promotion.by.name, at: live.promotion.at } } : {}),
            },
          }
        : {}),
      rollback: { ...(back ? { to: back.previous } : {}), allowed: (await auth.check(user, 'rollback', name, env.name)) === undefined },
    });
  }
  return { name, ...(m.description ? { description: m.description } : {}), registeredModel: m.registeredModel, environments };
}
