import type { ModelConfig } from '../config/mlops-config.schema';
import type { RunRecord } from './run.types';
import { errorText, type StepDeps } from './stage-steps';
import { liveInEnvironment, refreshMetrics } from './training-metrics';
import { begin } from './transitions';

/** The tag the CD pipeline's training step adds (infra/pipelines/scripts/run_training_job.py). */
const MODEL_VERSION_TAG = /^model-version-(\d+)$/;

/** The model version a CD pipeline run names through its build tag, if any. */
export function taggedModelVersion(tags: readonly string[] | undefined): string | undefined {
  for (const tag of tags ?? []) {
    const m = MODEL_VERSION_TAG.exec(tag);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/**
 * What a relayed approval card shows besides the decision: the version the CD run registered (its
 * build tag), that version's metric histories, and what is live in the target environment with its
 * metrics, read from the registry as the registry stage of a bot run does. Output variables of a
 * pipeline cannot be read through the REST API, so the tag is the contract. Best effort: without a
 * tag the card says the version is not known, and when the registry does not answer it shows the
 * version without metrics, rather than holding the approval back.
 */
export async function describeRelayedVersion(record: Omit<RunRecord, 'id' | 'version'>, devopsRunId: number, m: ModelConfig, deps: StepDeps): Promise<Omit<RunRecord, 'id' | 'version'>> {
  if (!deps.devops) return record;
  let version: string | undefined;
  try {
    version = taggedModelVersion((await deps.devops.getBuild(devopsRunId)).tags);
  } catch (e) {
    deps.logger.warn('the tags of a relayed CD run could not be read; the card shows the version as unknown', { devopsRunId, error: errorText(e) });
  }
  if (!version) return record;
  const t = begin({ ...record, id: `relay of ${devopsRunId}`, version: 0 });
  t.run.registered = { version };
  const stage = t.run.stages.find((s) => s.id === 'registered');
  if (stage) stage.detail = `version ${version}, registered by the Azure DevOps pipeline`;
  if (deps.registry) {
    try {
      const registry = deps.registry.models(m.registry);
      const mv = await registry.getVersion(m.registeredModel, version);
      if (mv.runId) t.run.training = { mlflowRunId: mv.runId };
      if (mv.scoringImage) t.run.registered.scoringImage = mv.scoringImage;
      t.run.registered = { ...t.run.registered, ...(await liveInEnvironment(deps, m, record.target)) };
      await refreshMetrics(t, deps);
    } catch (e) {
      deps.logger.warn('the registry did not describe the version of a relayed approval; the card shows the version without metrics', { devopsRunId, version, error: errorText(e) });
    }
  }
  const { id: _id, version: _v, ...described } = t.run;
  return described;
}
