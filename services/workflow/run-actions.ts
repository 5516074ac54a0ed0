import { principalKey } from '../auth/principal';
import type { Authorizer, Forbidden } from '../auth/authorizer';
import type { MlopsConfig, ModelConfig } from '../config/mlops-config.schema';
import { refused, stateRefusal, type ActionResult } from './action-result';
import { environment, environmentNames, firstEnvironment, lastEnvironment, liveHistory, nextEnvironment, promotionRefusal, versionOf } from './environments';
import { rollbackTarget } from './rollback-target';
import { newDeployRun, newTrainRun, type NewRun, type StartDeployRequest, type StartRollbackRequest, type StartTrainRequest } from './run-factory';
import { VersionConflictError, type RunStore } from './run-store';
import { FINAL_STATUSES, currentStage, type PersonRef, type RunRecord } from './run.types';
import { begin, iso, touch, type Transition } from './transitions';
import type { AzureDevOpsClient } from '../azure-devops/azure-devops.client';
import type { DatabricksClient } from '../databricks/databricks.client';
import { samePerson } from './approval-policy';
import { cancelTransition } from './approval-steps';
import { errorText } from './stage-steps';

/**
 * The user actions of the run engine other than approval decisions: start, deploy, roll back,
 * promote, retry, cancel. Each checks the principal's role for the model and environment first.
 */

/** What the actions need from the engine: its store, config, clock, and its persisting helpers. */
export interface ActionContext {
  runs: RunStore;
  auth: Authorizer;
  config: Pick<MlopsConfig, 'models'>;
  now: () => number;
  create(fresh: NewRun): Promise<RunRecord>;
  persisted(run: RunRecord): void;
  persist(t: Transition): Promise<RunRecord>;
  devops: AzureDevOpsClient | undefined;
  databricks: DatabricksClient | undefined;
}

export type DeployRequest = Omit<StartDeployRequest, 'reason' | 'promotedFrom'>;

/** A role refusal: audited (who, what, which model and environment), then answered. */
async function refuse(ctx: ActionContext, user: PersonRef, action: string, forbidden: Forbidden, run?: RunRecord): Promise<ActionResult> {
  await ctx.runs.appendAudit({ at: iso(ctx.now()), actor: principalKey(user), action, runId: run?.id, outcome: 'refused', detail: { reason: 'forbidden', model: forbidden.model, needs: forbidden.needs, ...(forbidden.env ? { env: forbidden.env } : {}) } });
  return refused(forbidden, run);
}

function model(ctx: ActionContext, name: string): ModelConfig {
  const m = ctx.config.models[name];
  if (!m) throw new Error(`unknown model ${name}`);
  return m;
}

function unknownEnv(m: ModelConfig, model: string, env: string): ActionResult {
  return stateRefusal(`${model} has no environment "${env}"; its environments are ${environmentNames(m)}. Nothing was started.`);
}

export async function startTrain(ctx: ActionContext, req: StartTrainRequest): Promise<ActionResult> {
  const m = model(ctx, req.model);
  const forbidden = await ctx.auth.check(req.requester, 'train', req.model, firstEnvironment(m).name);
  if (forbidden) return refuse(ctx, req.requester, 'run.start', forbidden);
  const run = await ctx.create(newTrainRun(req, m, ctx.now()));
  return { ok: true, run, message: `Run ${run.id} of ${req.model} started.` };
}

/**
 * /deploy: a run that starts at the registry stage with a chosen version and then goes through
 * the environment's approval, deploy and smoke test. Without a version: the latest registered
 * one for the first environment, and for a later environment the version live in the one before.
 */
export async function startDeploy(ctx: ActionContext, req: DeployRequest): Promise<ActionResult> {
  const m = model(ctx, req.model);
  const env = req.env ? environment(m, req.env) : firstEnvironment(m);
  if (!env) return unknownEnv(m, req.model, req.env ?? '');
  const forbidden = await ctx.auth.check(req.requester, 'deploy', req.model, env.name);
  if (forbidden) return refuse(ctx, req.requester, 'run.deploy', forbidden);
  let version = req.version;
  const before = m.environments[m.environments.indexOf(env) - 1];
  if (!version && before) {
    version = versionOf((await liveHistory(ctx.runs, req.model, before.name))[0] ?? ({} as RunRecord));
    if (!version) return stateRefusal(`No version of ${req.model} has passed ${before.name} yet, so there is nothing to deploy to ${env.name}. Nothing was started.`);
  }
  const why = version ? await promotionRefusal(ctx.runs, m, req.model, env.name, version) : undefined;
  if (why) return stateRefusal(why);
  const run = await ctx.create(newDeployRun({ ...req, ...(version ? { version } : {}), env: env.name, reason: 'deploy' }, m, ctx.now()));
  return { ok: true, run, message: `Deploy ${run.id} of ${req.model} to ${env.name} started.` };
}

/** /rollback: redeploys, in one environment (the last by default), the version that was live there before the current one. */
export async function startRollback(ctx: ActionContext, req: StartRollbackRequest): Promise<ActionResult> {
  const m = model(ctx, req.model);
  const env = req.env ? environment(m, req.env) : lastEnvironment(m);
  if (!env) return unknownEnv(m, req.model, req.env ?? '');
  const forbidden = await ctx.auth.check(req.requester, 'rollback', req.model, env.name);
  if (forbidden) return refuse(ctx, req.requester, 'run.rollback', forbidden);
  const previous = rollbackTarget(await ctx.runs.listRuns({ model: req.model, limit: 200 }), env.name)?.previous;
  // No promotion rule here: the version was live in this environment before.
  if (!previous) return stateRefusal(`There is no earlier version of ${req.model} in ${env.name} to roll back to. Nothing was changed.`);
  const run = await ctx.create(newDeployRun({ ...req, version: previous, env: env.name, reason: 'rollback' }, m, ctx.now()));
  return { ok: true, run, message: `Rollback of ${req.model} in ${env.name} to version ${previous} (${run.id}).` };
}

/**
 * "Promote vN to <next environment>" on a run card: a deploy run of the same version to the
 * environment after this run's, which opens that environment's approval. The engine calls this
 * under the source run's lock, and the source run records the promotion, so a second click
 * starts nothing. (A crash between the two writes leaves the promotion unrecorded: a second
 * click then starts a second run, whose approval supersedes the first's.)
 */
export async function promote(ctx: ActionContext, runId: string, user: PersonRef, conversationId: string): Promise<ActionResult> {
  const run = await ctx.runs.getRun(runId);
  if (!run) return refused({ kind: 'no-run', runId });
  const m = model(ctx, run.model);
  const next = nextEnvironment(m, run.target);
  const version = versionOf(run);
  if (!next) return stateRefusal(`${run.target} is the last environment of ${run.model}; there is nothing to promote to.`, run);
  const forbidden = await ctx.auth.check(user, 'deploy', run.model, next.name);
  if (forbidden) return refuse(ctx, user, 'run.promote', forbidden, run);
  if (run.promotion) return stateRefusal(`Version ${version ?? '?'} of ${run.model} was already promoted to ${run.promotion.env} by ${run.promotion.by.name} (run ${run.promotion.runId}).`, run);
  if (run.status !== 'succeeded' || !version) return stateRefusal(`Run ${run.id} has not passed ${run.target} (it is ${run.status.replace('_', ' ')}); only a version whose smoke test passed there can be promoted.`, run);
  const why = await promotionRefusal(ctx.runs, m, run.model, next.name, version);
  if (why) return stateRefusal(why, run);
  const now = ctx.now();
  const created = await ctx.create(newDeployRun({ model: run.model, version, env: next.name, requester: user, conversationId, reason: 'promote', promotedFrom: run.id }, m, now));
  for (let attempt = 0; attempt < 3; attempt++) {
    const latest = await ctx.runs.getRun(runId);
    if (!latest) break;
    const t = begin(latest);
    t.run.promotion = { env: next.name, runId: created.id, by: user, at: iso(now) };
    touch(t, now);
    try {
      ctx.persisted(await ctx.runs.saveRun(t.run, t.effects));
      break;
    } catch (e) {
      if (!(e instanceof VersionConflictError)) throw e;
    }
  }
  return { ok: true, run: created, message: `Promoting version ${version} of ${run.model} to ${next.name} (${created.id}).` };
}

export async function retry(ctx: ActionContext, runId: string, user: PersonRef, conversationId: string): Promise<ActionResult> {
  const run = await ctx.runs.getRun(runId);
  if (!run) return refused({ kind: 'no-run', runId });
  const forbidden = await ctx.auth.check(user, 'retry', run.model, run.target);
  if (forbidden) return refuse(ctx, user, 'run.retry', forbidden, run);
  if (!['failed', 'canceled', 'expired'].includes(run.status)) return stateRefusal(`Run ${run.id} is ${run.status.replace('_', ' ')}; only a failed, canceled or expired run can be retried.`, run);
  const created = await ctx.create(newTrainRun({ model: run.model, params: run.params, branch: run.branch, requester: user, conversationId, retryOf: run.id }, model(ctx, run.model), ctx.now()));
  return { ok: true, run: created, message: `Retrying ${run.id} as ${created.id} with the same parameters.` };
}

/** Cancel: a trainer of the model (in the run's environment), or the run's own requester. Stops the external run first. */
export async function cancel(ctx: ActionContext, runId: string, user: PersonRef): Promise<ActionResult> {
  const run = await ctx.runs.getRun(runId);
  if (!run) return refused({ kind: 'no-run', runId });
  const forbidden = samePerson(run.requester, user) ? undefined : await ctx.auth.check(user, 'cancel', run.model, run.target);
  if (forbidden) return refuse(ctx, user, 'run.cancel', forbidden, run);
  if (FINAL_STATUSES.has(run.status)) return stateRefusal(`Run ${run.id} is already ${run.status}.`, run);
  const stage = currentStage(run);
  try {
    if (stage?.id === 'ci' && run.ci?.devopsRunId !== undefined) await ctx.devops?.cancelRun(run.ci.devopsRunId);
    if (stage?.id === 'training' && run.training?.databricksRunId !== undefined) await ctx.databricks?.cancelRun(run.training.databricksRunId);
  } catch (e) {
    return stateRefusal(`Could not cancel: ${errorText(e)}`, run);
  }
  const saved = await ctx.persist(cancelTransition(run, user, ctx.now()));
  return { ok: true, run: saved, message: `Run ${run.id} is canceled.` };
}
