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


/**
 * What is live in an environment (its registry alias or stage) and the latest metrics of that
 * version's training run: the approval card compares the candidate with it. Used by the registry
 * stage of bot runs and by relayed Azure DevOps approvals.
 */
export async function liveInEnvironment(deps: StepDeps, m: ModelConfig, env: string): Promise<Pick<RegisteredRecord, 'liveVersion' | 'liveMetrics'>> {
  if (!deps.registry) return {};
  const live = await deps.registry.models(m.registry).getDeployed(m.registeredModel, env);
  if (!live) return {};
  const run = live.runId ? await deps.registry.getRun(live.runId).catch(() => undefined) : undefined;
  return { liveVersion: live.version, ...(run ? { liveMetrics: { ...run.metrics } } : {}) };
}
