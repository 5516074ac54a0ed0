import type { EnvironmentConfig, ModelConfig } from '../config/mlops-config.schema';
import type { RunStore } from './run-store';
import type { RunRecord } from './run.types';

/**
 * The environments of a model in promotion order, and the one rule between them: a version
 * reaches an environment only after it passed the one before (its run there succeeded, which
 * means it deployed and its smoke test passed). `run.target` names a run's environment.
 */
export function environment(m: ModelConfig, name: string): EnvironmentConfig | undefined {
  return m.environments.find((e) => e.name === name);
}

/** The environment a run deploys to; throws if the configuration no longer has it (the step fails the run with this text). */
export function environmentOf(run: Pick<RunRecord, 'model' | 'target'>, m: ModelConfig): EnvironmentConfig {
  const env = environment(m, run.target);
  if (!env) throw new Error(`environment ${run.target} of ${run.model} is no longer in mlops.config.yaml`);
  return env;
}

/** Where /train and /deploy without --env go: the first environment. */
export function firstEnvironment(m: ModelConfig): EnvironmentConfig {
  return m.environments[0] as EnvironmentConfig;
}

/** Where /rollback without --env goes: the last environment (production in the default list). */
export function lastEnvironment(m: ModelConfig): EnvironmentConfig {
  return m.environments[m.environments.length - 1] as EnvironmentConfig;
}

export function previousEnvironment(m: ModelConfig, name: string): EnvironmentConfig | undefined {
  const i = m.environments.findIndex((e) => e.name === name);
  return i > 0 ? m.environments[i - 1] : undefined;
}

export function nextEnvironment(m: ModelConfig, name: string): EnvironmentConfig | undefined {
  const i = m.environments.findIndex((e) => e.name === name);
  return i >= 0 ? m.environments[i + 1] : undefined;
}

/** The deployed model version of a run (set by the registry stage, or chosen by /deploy). */
export function versionOf(run: RunRecord): string | undefined {
  return run.registered?.version;
}

/** Succeeded runs of a model in an environment, newest first: what was live there, in order. */
export async function liveHistory(runs: RunStore, model: string, env: string): Promise<RunRecord[]> {
  return (await runs.listRuns({ model, limit: 500 })).filter((r) => r.target === env && r.status === 'succeeded' && versionOf(r) !== undefined && r.kind !== 'relay');
}

/**
 * Why `version` may not be deployed to `env` yet, in words; undefined when it may. The first
 * environment takes any registered version; every later one only a version that passed the
 * environment before it.
 */
export async function promotionRefusal(runs: RunStore, m: ModelConfig, model: string, env: string, version: string): Promise<string | undefined> {
  const previous = previousEnvironment(m, env);
  if (!previous) return undefined;
  const passed = (await liveHistory(runs, model, previous.name)).some((r) => versionOf(r) === version);
  return passed ? undefined : `Version ${version} of ${model} has not passed ${previous.name} yet, so it cannot go to ${env}. Deploy it to ${previous.name} first (/deploy ${model} ${version} --env ${previous.name}). Nothing was changed.`;
}

/** The names, for messages: "staging, production". */
export function environmentNames(m: ModelConfig): string {
  return m.environments.map((e) => e.name).join(', ');
}
