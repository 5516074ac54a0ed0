import type { ApprovalCardView, EnvironmentView, FailureCardView, PersonView, RunCardView, StageView, TrainFormView } from '../../cards/views';
import type { AppConfig } from '../../services/config/config';
import { PIPELINE_PRINCIPAL_PREFIX, STAGE_IDS, stageOf, type PersonRef, type RunRecord } from '../../services/workflow/run.types';
import { durationText } from '../../services/workflow/transitions';

/** Maps the durable run record to the cards' view data. Pure, so every card state is testable. */
export function formatTime(iso: string | number | undefined): string {
  if (iso === undefined) return '';
  return new Date(iso).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

/** Only Teams users can be @mentioned (MRIs such as 29:..., or the playground's user-id-N), not a pipeline. */
export function mentionable(p: PersonRef): boolean {
  return !p.id.startsWith(PIPELINE_PRINCIPAL_PREFIX);
}

export function person(p: PersonRef): PersonView {
  return mentionable(p) ? { name: p.name, mri: p.id } : { name: p.name };
}

const STAGE_WEIGHT: Record<(typeof STAGE_IDS)[number], number> = { ci: 20, training: 40, registered: 5, approval: 10, deploy: 20, smoke: 5 };

export function progressPercent(run: RunRecord): number {
  let done = 0;
  for (const s of run.stages) if (['succeeded', 'skipped'].includes(s.state)) done += STAGE_WEIGHT[s.id];
  return run.status === 'succeeded' ? 100 : Math.min(99, done);
}

/** Beyond the run itself: its model's environments and whether it may be promoted (the run card writer looks them up). */
export interface RunCardExtras {
  environments?: EnvironmentView[];
  promote?: { version: string; env: string };
}

/** A stage under way without an end: its duration on the card is counted up to now. */
const runsWithClock = (s: ReturnType<typeof stageOf>): boolean => !s.finishedAt && ['running', 'waiting', 'queued'].includes(s.state);

/** Whether the run card reads differently as time passes (a duration counted up to now); else it is a function of the run and its extras alone. */
export function runCardShowsTime(run: RunRecord): boolean {
  return STAGE_IDS.some((id) => runsWithClock(stageOf(run, id)));
}

export function runCardView(run: RunRecord, now: number, extras: RunCardExtras = {}): RunCardView {
  const stages: StageView[] = STAGE_IDS.map((id) => {
    const s = stageOf(run, id);
    const end = s.finishedAt ? Date.parse(s.finishedAt) : runsWithClock(s) ? now : undefined;
    return {
      id,
      state: s.state,
      ...(s.startedAt && end !== undefined ? { duration: durationText(end - Date.parse(s.startedAt)) } : {}),
      ...(s.detail ? { detail: s.detail } : {}),
      ...(s.link ? { url: s.link } : {}),
    };
  });
  const active = !['succeeded', 'failed', 'canceled', 'expired'].includes(run.status);
  const failedStage = run.failure ? stageOf(run, run.failure.stage) : undefined;
  return {
    runId: run.id,
    cardVersion: run.version,
    model: run.model,
    requester: person(run.requester),
    branch: run.branch,
    parameters: Object.entries(run.params).map(([name, value]) => ({ name, value: String(value) })),
    status: run.status,
    stages,
    progressPercent: progressPercent(run),
    metrics: run.metrics,
    ...(run.registered?.version ? { modelVersion: run.registered?.version } : {}),
    ...(run.deploy?.scoringUri && run.status === 'succeeded' ? { scoringUri: run.deploy?.scoringUri } : {}),
    ...(failedStage?.link ? { logsUrl: failedStage.link } : run.training?.url ? { logsUrl: run.training?.url } : run.ci?.url ? { logsUrl: run.ci?.url } : {}),
    ...(extras.environments ? { environments: extras.environments } : {}),
    ...(extras.promote ? { promote: extras.promote } : {}),
    canCancel: active,
    canRetry: ['failed', 'canceled', 'expired'].includes(run.status),
    updatedAt: formatTime(run.updatedAt),
  };
}

/**
 * One line per environment: this run's own environment shows this run (its version, and its URI
 * once live); the others show the version live there (`live`: the newest succeeded run of each).
 */
export function environmentViews(run: RunRecord, names: readonly string[], live: ReadonlyMap<string, RunRecord>): EnvironmentView[] {
  return names.map((name) => {
    const here = name === run.target;
    const shown = here && run.status === 'succeeded' ? run : live.get(name);
    let note: string | undefined;
    if (here) note = run.status === 'succeeded' ? 'this run' : `this run: v${run.registered?.version ?? '?'} ${run.status === 'running' || run.status === 'waiting_approval' ? 'in progress' : run.status}`;
    else if (run.promotion?.env === name) note = `promoted as run ${run.promotion.runId}`;
    return {
      name,
      ...(shown?.registered?.version ? { version: shown.registered?.version } : {}),
      ...(shown?.deploy?.scoringUri ? { scoringUri: shown.deploy?.scoringUri } : {}),
      ...(note ? { note } : {}),
    };
  });
}

/** `containerGroup`: where the run's environment deploys, from the configuration (the run knows it only once it deploys). */
export function approvalCardView(run: RunRecord, o: { approvers: PersonView[]; canAct: boolean; containerGroup?: string }): ApprovalCardView {
  const a = run.approval;
  const last = (name: string): number | undefined => run.metrics.find((m) => m.name === name)?.points.at(-1)?.value;
  const group = run.deploy?.containerGroup ?? o.containerGroup;
  return {
    runId: run.id,
    approvalId: `${run.id}-approval`,
    cardVersion: run.version,
    model: run.model,
    version: run.registered?.version ?? '?',
    target: group ? `${run.target} \u00b7 ACI container group ${group}` : run.target,
    ...(run.registered?.liveVersion ? { productionVersion: run.registered.liveVersion } : {}),
    ...(run.kind === 'relay' && !run.registered ? { productionUnknown: true } : {}),
    metrics: run.metrics
      .map((m) => ({ name: m.name, candidate: last(m.name) ?? NaN, ...(run.registered?.liveMetrics?.[m.name] !== undefined ? { production: run.registered?.liveMetrics[m.name] } : {}) }))
      .filter((m) => Number.isFinite(m.candidate)),
    ...(run.ci?.commit ? { commit: { sha: run.ci.commit.slice(0, 8), message: `on ${run.branch}`, ...(run.ci.url ? { url: run.ci.url } : {}) } } : { branch: run.branch }),
    ...(run.promotedFrom ? { promotedFrom: run.promotedFrom } : {}),
    requester: person(run.requester),
    expiresAt: formatTime(a?.expiresAt),
    requiredApprovals: a?.required ?? 1,
    decisions: (a?.decisions ?? []).map((d) => ({ by: person(d.by), decision: d.decision, ...(d.comment ? { comment: d.comment } : {}), at: formatTime(d.at) })),
    state: a?.state ?? 'pending',
    canAct: o.canAct && a?.state === 'pending',
    approvers: o.approvers,
    ...(a?.state === 'stale' ? { staleReason: stageOf(run, 'approval').detail ?? `Run ${run.id} no longer waits for this approval` } : {}),
  };
}

export function failureCardView(run: RunRecord): FailureCardView | undefined {
  const f = run.failure;
  if (!f) return undefined;
  const stage = stageOf(run, f.stage);
  return {
    runId: run.id,
    cardVersion: run.version,
    model: run.model,
    stage: f.stage,
    error: f.message,
    logLines: f.logTail,
    requester: person(run.requester),
    ...(stage.link ? { logsUrl: stage.link } : {}),
    failedAt: formatTime(stage.finishedAt ?? run.updatedAt),
    canRetry: true,
    canCancel: false,
  };
}

export function trainFormView(config: Readonly<AppConfig>, model: string, extra: Pick<TrainFormView, 'fieldErrors' | 'values'> = {}): TrainFormView {
  const m = config.mlops.models[model];
  return {
    cardVersion: 1,
    models: Object.entries(config.mlops.models).map(([id, mc]) => ({ id, ...(mc.description ? { title: `${id}: ${mc.description}` } : {}) })),
    model,
    branch: m?.ci?.branch ?? 'main',
    environments: (m?.environments ?? []).map((e) => ({ name: e.name, approvals: e.approval === 'none' ? 0 : e.approval.required })),
    parameters: Object.entries(m?.parameters ?? {}).map(([name, p]) => ({
      name,
      type: p.type,
      ...(p.description ? { description: p.description } : {}),
      required: p.required,
      ...('min' in p && p.min !== undefined ? { min: p.min } : {}),
      ...('max' in p && p.max !== undefined ? { max: p.max } : {}),
      ...(p.default !== undefined ? { default: p.default } : {}),
      ...(p.type === 'enum' ? { choices: p.values } : {}),
    })),
    ...extra,
  };
}
