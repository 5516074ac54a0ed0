import type { MlopsConfig } from '../config/mlops-config.schema';
import type { Subscription } from '../workflow/run-store';
import { parseSubscriptionTarget, subscriptionTarget, type ExternalRunReport, type WatchSource, type WatchTarget } from './watch.types';

/**
 * What is watched: the pipelines and jobs named in `watch:` of mlops.config.yaml, every model's
 * own CI/CD pipelines and training job, and those named by `/subscribe --pipeline/--job`.
 * A pipeline or job is named by id or by name; names match case-insensitively.
 */
export function watchTargets(config: Pick<MlopsConfig, 'models' | 'watch'>, subscriptions: readonly Subscription[]): WatchTarget[] {
  const out: WatchTarget[] = [];
  for (const p of config.watch.pipelines) out.push({ source: 'azure-devops', ref: String(p.pipeline), model: p.model });
  for (const j of config.watch.jobs) out.push({ source: 'databricks', ref: String(j.job), model: j.model });
  for (const [name, m] of Object.entries(config.models)) {
    if (m.ci) out.push({ source: 'azure-devops', ref: String(m.ci.azureDevOpsPipelineId), model: name });
    if (m.cd) out.push({ source: 'azure-devops', ref: String(m.cd.azureDevOpsPipelineId), model: name });
    if (m.training.databricksJobId !== undefined) out.push({ source: 'databricks', ref: String(m.training.databricksJobId), model: name });
  }
  for (const s of subscriptions) {
    const t = parseSubscriptionTarget(s.model);
    if (t) out.push({ ...t, model: undefined });
  }
  return out;
}

const same = (ref: string, id: number, name: string | undefined): boolean => ref === String(id) || (name !== undefined && ref.toLowerCase() === name.toLowerCase());

/** The watch entry for a pipeline/job, preferring one that names a model; undefined when not watched. */
export function findTarget(targets: readonly WatchTarget[], source: WatchSource, id: number, name: string | undefined): WatchTarget | undefined {
  const hits = targets.filter((t) => t.source === source && same(t.ref, id, name));
  return hits.find((t) => t.model !== undefined) ?? hits[0];
}

/**
 * Conversations that get this report: subscribed to the pipeline/job (by id or name), to its
 * model, or to everything ('*'), for this outcome (`failed` or `succeeded`).
 */
export function audience(report: ExternalRunReport, subscriptions: readonly Subscription[]): string[] {
  const keys = new Set(['*', subscriptionTarget(report.source, String(report.targetId)), subscriptionTarget(report.source, report.targetName).toLowerCase()]);
  if (report.model) keys.add(report.model);
  const wanted = report.outcome === 'failed' ? 'failed' : 'succeeded';
  const out = new Set<string>();
  for (const s of subscriptions) {
    const key = parseSubscriptionTarget(s.model) ? s.model.toLowerCase() : s.model;
    if ((keys.has(key) || keys.has(s.model)) && s.events.includes(wanted)) out.add(s.conversationId);
  }
  return [...out];
}
