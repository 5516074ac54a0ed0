import type { ModelConfig } from '../config/mlops-config.schema';
import type { RegisteredRecord, RunRecord } from './run.types';
import type { StepDeps } from './stage-steps';
import { errorText } from './stage-steps';
import type { Transition } from './transitions';

/** Training output for the run card: log tails and the MLflow metric histories of the training run. */
const MAX_LOG_LINES = 200;

export function tail(text: string | undefined): string[] {
  if (!text) return [];
  return text.split('\n').filter((l) => l.trim() !== '').slice(-MAX_LOG_LINES);
}

/** Reads the MLflow metric histories of the training run; true if anything changed. */
export async function refreshMetrics(t: Transition, deps: StepDeps): Promise<boolean> {
  const id = t.run.training?.mlflowRunId;
  if (!id || !deps.registry) return false;
  try {
    const mr = await deps.registry.getRun(id);
    const keys = Object.keys(mr.metrics ?? {}).slice(0, 4);
    const series: RunRecord['metrics'] = [];
    for (const key of keys) {
      const points: { step: number; value: number }[] = [];
      for await (const p of deps.registry.listMetricHistory(id, key)) points.push({ step: p.step, value: p.value });
      series.push({ name: key, points: points.slice(-100) });
    }
    const changed = JSON.stringify(series) !== JSON.stringify(t.run.metrics);
    t.run.metrics = series;
    return changed;
  } catch (e) {
    deps.logger.warn('metrics not available yet', { runId: t.run.id, error: errorText(e) });
    return false;
  }
}


/** How long the answer of "what is live in this environment" is shared by the runs that ask (see liveInEnvironment). */
export const LIVE_SHARED_MS = 5_000;

type Live = Pick<RegisteredRecord, 'liveVersion' | 'liveMetrics'>;

/** Answers of liveInEnvironment shared between runs, by registry, model and environment (StepDeps.liveCache). */
export type LiveCache = Map<string, { at: number; answer: Promise<Live> }>;

const liveKey = (m: ModelConfig, env: string): string => `${m.registry}\u0000${m.registeredModel}\u0000${env}`;

/**
 * What is live in an environment (its registry alias or stage) and the latest metrics of that
 * version's training run: the approval card compares the candidate with it. Used by the registry
 * stage of bot runs and by relayed Azure DevOps approvals.
 *
 * The answer is the model's, not the run's: when many runs reach the registry stage in one pass
 * (1,000 runs: 2,000 registry calls), they share one answer for LIVE_SHARED_MS. The bot's own
 * promotion drops it at once (forgetLive); a change made outside the bot (an alias set by hand)
 * shows on cards opened up to LIVE_SHARED_MS later. A failed answer is not kept.
 */
export async function liveInEnvironment(deps: StepDeps, m: ModelConfig, env: string): Promise<Live> {
  if (!deps.registry) return {};
  const cache = deps.liveCache;
  if (!cache) return readLive(deps, m, env);
  const key = liveKey(m, env);
  const now = deps.now();
  let hit = cache.get(key);
  if (!hit || now - hit.at >= LIVE_SHARED_MS || now < hit.at) {
    const answer = readLive(deps, m, env);
    const entry = { at: now, answer };
    cache.set(key, (hit = entry));
    answer.catch(() => {
      if (cache.get(key) === entry) cache.delete(key);
    });
  }
  const live = await hit.answer;
  // A copy: the answer is shared, the record is the run's.
  return { ...live, ...(live.liveMetrics ? { liveMetrics: { ...live.liveMetrics } } : {}) };
}

/** The bot changed what is live in `env` (a promotion): the next run asks the registry again. */
export function forgetLive(deps: Pick<StepDeps, 'liveCache'>, m: ModelConfig, env: string): void {
  deps.liveCache?.delete(liveKey(m, env));
}

async function readLive(deps: StepDeps, m: ModelConfig, env: string): Promise<Live> {
  if (!deps.registry) return {};
  const live = await deps.registry.models(m.registry).getDeployed(m.registeredModel, env);
  if (!live) return {};
  const run = live.runId ? await deps.registry.getRun(live.runId).catch(() => undefined) : undefined;
  return { liveVersion: live.version, ...(run ? { liveMetrics: { ...run.metrics } } : {}) };
}
