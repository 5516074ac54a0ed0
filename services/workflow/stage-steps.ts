import type { AzureDevOpsClient } from '../azure-devops/azure-devops.client';
import type { AciClient } from '../aci/aci.client';
import type { DatabricksClient } from '../databricks/databricks.client';
import { resolveMlRuntime } from '../databricks/runtime-resolver';
import { buildTrainingRunSpec, type TrainingInfra } from '../databricks/training-run.builder';
import type { RegistryClient } from '../registry/registry.client';
import type { ScoringRoute } from './scoring-container';
import type { MlopsConfig, ModelConfig } from '../config/mlops-config.schema';
import type { Logger } from '../logger';
import { ServiceError } from '../http/errors';
import type { RunRecord } from './run.types';
import { sendDone, takeSendTurn, type Sender } from './send-claim';
import { begin, fail, finishStage, iso, nextStage, startStage, touch, type Transition } from './transitions';
import { liveInEnvironment, refreshMetrics, tail, type LiveCache } from './training-metrics';

export interface StepDeps {
  devops: AzureDevOpsClient | undefined;
  databricks: DatabricksClient | undefined;
  registry: RegistryClient | undefined;
  aci: AciClient | undefined;
  infra: TrainingInfra;
  models: MlopsConfig['models'];
  now: () => number;
  logger: Logger;
  /** Link to a model version in the registry UI. */
  registryLink: (model: string, version: string) => string | undefined;
  smokeTest: (url: string, sample: unknown, timeoutMs: number) => Promise<{ status: number; latencyMs: number; body: string }>;
  /** What the scoring container needs to pull its image and download its model (scoring-container.ts). */
  scoring: ScoringRoute;
  /**
   * Runtime keys are resolved once per process and GPU flag: the list changes with workspace
   * upgrades, not per run. The answer is kept as a promise, so runs that start training together
   * share one request (a failed one is dropped, and the next run asks again).
   */
  runtimeCache: Map<boolean, Promise<string>>;
  /** "What is live in an environment", shared by the runs that ask within a few seconds (training-metrics.liveInEnvironment); not shared when omitted. */
  liveCache?: LiveCache;
  /** With a shared store, this instance as the maker of the calls that must not be made twice at once (./send-claim); undefined with one instance. */
  sender?: Sender;
  /** Notification destinations the training runs report to (jobs.on_start/on_success/on_failure webhooks); filled at start-up. */
  webhookDestinationIds?: readonly string[];
}

const MAX_LOG_LINES = 200;

/** The ML runtime for a GPU flag, asked of Databricks once per process (StepDeps.runtimeCache). */
function mlRuntime(databricks: DatabricksClient, cache: StepDeps['runtimeCache'], gpu: boolean): Promise<string> {
  let runtime = cache.get(gpu);
  if (!runtime) {
    const asked = databricks.listSparkVersions().then((versions) => resolveMlRuntime(versions, { gpu }).key);
    cache.set(gpu, asked);
    asked.catch(() => {
      if (cache.get(gpu) === asked) cache.delete(gpu);
    });
    runtime = asked;
  }
  return runtime;
}

/**
 * The runs/submit idempotency token of a run's training: Databricks answers a submit whose token a
 * run already has with that run (the API reference, `idempotency_token`), so a submit repeated
 * after a timeout or a restart starts nothing new. Run ids are only unique within one bot store:
 * a second bot (a staging bot, a store moved or started afresh) on the same workspace has an
 * `r-1` too, so the token also holds the run's creation time (stored with the run, so the same on
 * every retry), and another store's `r-1` gets a run of its own.
 */
export function trainingRunToken(run: Pick<RunRecord, 'id' | 'createdAt'>): string {
  return `mlops-${run.id}-${Date.parse(run.createdAt).toString(36)}`;
}

function model(run: RunRecord, deps: StepDeps): ModelConfig {
  const m = deps.models[run.model];
  if (!m) throw new Error(`model ${run.model} is no longer in mlops.config.yaml`);
  return m;
}

function notConfigured(system: string, vars: string): string {
  return `${system} is not configured: set ${vars}`;
}

export function errorText(e: unknown): string {
  if (e instanceof ServiceError) return e.describe();
  return e instanceof Error ? e.message : String(e);
}

/** Moves to the stage after `done` (or finishes the run) inside transition t. */
export function advanceTo(t: Transition, done: RunRecord['stages'][number]['id'], now: number): void {
  const next = nextStage(t.run, done);
  if (!next) {
    t.run.status = 'succeeded';
    t.effects.audit.push({ at: iso(now), actor: 'system', action: 'run.succeeded', outcome: 'ok', detail: { version: t.run.registered?.version, devopsRunId: t.run.ci?.devopsRunId, databricksRunId: t.run.training?.databricksRunId, containerGroup: t.run.deploy?.containerGroup, scoringUri: t.run.deploy?.scoringUri } });
    return;
  }
  startStage(t, next, now);
  t.next = 'now';
}

export async function stepCi(run: RunRecord, deps: StepDeps): Promise<Transition | undefined> {
  const now = deps.now();
  const t = begin(run);
  const m = model(run, deps);
  if (!m.ci) return undefined;
  if (!deps.devops) {
    fail(t, 'ci', notConfigured('Azure DevOps', 'AZURE_DEVOPS_ORG_URL and AZURE_DEVOPS_PROJECT'), [], now);
    return t;
  }
  if (run.ci?.devopsRunId === undefined) {
    const turn = takeSendTurn(t, run, 'ci', deps.sender, now);
    if (turn !== 'send') return turn === 'claimed' ? t : undefined;
    // The CI pipeline declares only `modelName` (infra/pipelines/azure-pipelines.ci.yml); Azure DevOps
    // refuses undeclared template parameters, and training parameters go to Databricks instead.
    const pr = await deps.devops.runPipeline(m.ci.azureDevOpsPipelineId, { branch: run.branch, templateParameters: { modelName: run.model } });
    t.run.ci = { devopsRunId: pr.id, ...(pr.webUrl ? { url: pr.webUrl } : {}) };
    sendDone(t);
    startStage(t, 'ci', now, `pipeline run ${pr.name || pr.id}`);
    const stage = t.run.stages.find((s) => s.id === 'ci');
    if (stage && pr.webUrl) stage.link = pr.webUrl;
    t.effects.audit.push({ at: iso(now), actor: 'system', action: 'devops.run', outcome: 'ok', detail: { pipelineId: m.ci.azureDevOpsPipelineId, devopsRunId: pr.id, branch: run.branch } });
    touch(t, now);
    return t;
  }
  const pr = await deps.devops.getBuild(run.ci.devopsRunId);
  if (pr.state !== 'completed') return undefined;
  if (pr.sourceVersion) t.run.ci = { ...run.ci, commit: pr.sourceVersion };
  if (pr.result === 'succeeded' || pr.result === 'partiallySucceeded') {
    finishStage(t, 'ci', 'succeeded', now);
    advanceTo(t, 'ci', now);
  } else if (pr.result === 'canceled') {
    finishStage(t, 'ci', 'canceled', now, 'canceled in Azure DevOps');
    t.run.status = 'canceled';
  } else {
    const failed = await deps.devops.getFailedTaskLog(run.ci.devopsRunId, { lines: MAX_LOG_LINES }).catch(() => undefined);
    const f = failed as { task?: { name?: string; issues?: { message: string }[] }; lines?: string[] } | undefined;
    const issue = f?.task?.issues?.[0]?.message;
    fail(t, 'ci', `${f?.task?.name ? `Task "${f.task.name}" failed` : 'The pipeline failed'}${issue ? `: ${issue}` : ''}`, f?.lines ?? [], now);
  }
  touch(t, now);
  return t;
}

export async function stepTraining(run: RunRecord, deps: StepDeps): Promise<Transition | undefined> {
  const now = deps.now();
  const t = begin(run);
  const m = model(run, deps);
  if (!deps.databricks) {
    fail(t, 'training', notConfigured('Databricks', 'DATABRICKS_HOST'), [], now);
    return t;
  }
  if (run.training?.databricksRunId === undefined) {
    const runtime = await mlRuntime(deps.databricks, deps.runtimeCache, m.training.gpu);
    const numeric = Object.fromEntries(Object.entries(run.params).map(([k, v]) => [k, typeof v === 'boolean' ? String(v) : v]));
    const spec = buildTrainingRunSpec({ infra: deps.infra, modelName: m.registeredModel, registry: m.registry, ...(run.ci?.commit ? { commit: run.ci.commit } : {}), sparkVersion: runtime, gpu: m.training.gpu, parameters: numeric, runName: `${run.model} ${run.id}`, idempotencyToken: trainingRunToken(run), webhookDestinationIds: [...(deps.webhookDestinationIds ?? [])] });
    const poller = await deps.databricks.beginSubmitRun(spec);
    const dr = await poller.poll();
    (t.run.training ??= {}).databricksRunId = dr.runId;
    (t.run.training ??= {}).runtime = runtime;
    if (dr.runPageUrl) (t.run.training ??= {}).url = dr.runPageUrl;
    startStage(t, 'training', now, `runtime ${runtime}`);
    const stage = t.run.stages.find((s) => s.id === 'training');
    if (stage && dr.runPageUrl) stage.link = dr.runPageUrl;
    t.effects.audit.push({ at: iso(now), actor: 'system', action: 'databricks.submit', outcome: 'ok', detail: { databricksRunId: dr.runId, runtime } });
    touch(t, now);
    return t;
  }
  const dr = await deps.databricks.getRun(run.training.databricksRunId);
  const task = dr.tasks[0];
  // The task output names the MLflow run (once) and, at the end, the registered version and any error.
  const needOutput = !run.training.mlflowRunId || dr.state.terminal;
  // At the end the output decides the outcome (the registered version), so a service that is
  // still failing after the client's retries makes the run wait for the next pass, not fail.
  const output =
    task && needOutput
      ? await deps.databricks.getRunOutput(task.runId).catch((e: unknown) => {
          if (dr.state.terminal && e instanceof ServiceError && e.retryable) throw e;
          return undefined;
        })
      : undefined;
  if (output?.training?.mlflowRunId && !t.run.training?.mlflowRunId) (t.run.training ??= {}).mlflowRunId = output.training.mlflowRunId;
  const metricsChanged = await refreshMetrics(t, deps);
  const stage = t.run.stages.find((s) => s.id === 'training');
  const detail = `runtime ${t.run.training?.runtime ?? '?'} · ${dr.state.lifeCycleState.toLowerCase().replace(/_/g, ' ')}`;
  if (!dr.state.terminal) {
    if (stage?.detail === detail && !metricsChanged && run.training.lifeCycle === dr.state.lifeCycleState) return undefined;
    if (stage) stage.detail = detail;
    (t.run.training ??= {}).lifeCycle = dr.state.lifeCycleState;
    touch(t, now);
    return t;
  }
  if (dr.state.result === 'SUCCESS') {
    (t.run.registered ??= {}).version = output?.training?.modelVersion;
    if (!t.run.registered.version) {
      fail(t, 'training', 'Training finished but reported no registered model version (no MLOPS_RESULT line in its output)', tail(output?.logs), now);
    } else {
      finishStage(t, 'training', 'succeeded', now, `runtime ${t.run.training?.runtime ?? '?'}`);
      advanceTo(t, 'training', now);
    }
  } else if (dr.state.result === 'CANCELED' && dr.state.canceledBy !== 'platform') {
    finishStage(t, 'training', 'canceled', now, 'canceled in Databricks');
    t.run.status = 'canceled';
  } else {
    const lines = [...tail(output?.logs), ...tail(output?.errorTrace)];
    const what = dr.state.canceledBy === 'platform' ? 'Databricks canceled the run (termination code CANCELED: the platform stopped it, e.g. it ran longer than timeout_seconds)' : `Databricks run ${dr.state.result ?? 'failed'}`;
    fail(t, 'training', `${what}: ${output?.error ?? dr.state.message}`, lines, now);
  }
  touch(t, now);
  return t;
}

export async function stepRegistered(run: RunRecord, deps: StepDeps): Promise<Transition | undefined> {
  const now = deps.now();
  const t = begin(run);
  const m = model(run, deps);
  if (!deps.registry) {
    fail(t, 'registered', notConfigured('The model registry', 'MLFLOW_TRACKING_URI or DATABRICKS_HOST'), [], now);
    return t;
  }
  const registry = deps.registry.models(m.registry);
  const version = run.registered?.version ?? (await registry.getLatestVersion(m.registeredModel))?.version;
  if (!version) {
    fail(t, 'registered', `${m.registeredModel} has no registered version to deploy`, [], now);
    return t;
  }
  (t.run.registered ??= {}).version = version;
  const mv = await registry.getVersion(m.registeredModel, version);
  if (mv.runId && !t.run.training?.mlflowRunId) (t.run.training ??= {}).mlflowRunId = mv.runId;
  if (t.run.metrics.length === 0) await refreshMetrics(t, deps);
  // "Only model versions in READY status can be loaded for inference or served": wait while the files are copied.
  if (mv.status === 'FAILED_REGISTRATION') {
    fail(t, 'registered', `Registration of ${m.registeredModel} version ${version} failed${mv.statusMessage ? `: ${mv.statusMessage}` : ''}`, [], now);
    return t;
  }
  if (mv.status !== 'READY') {
    const detail = `version ${version} is ${mv.status.toLowerCase().replace(/_/g, ' ')}`;
    const stage = t.run.stages.find((st) => st.id === 'registered');
    if (stage?.detail === detail) return undefined;
    if (stage) stage.detail = detail;
    touch(t, now);
    return t;
  }
  if (!mv.scoringImage) {
    fail(t, 'registered', `Model version ${version} has no scoring_image tag, so there is nothing to deploy`, [], now);
    return t;
  }
  (t.run.registered ??= {}).scoringImage = mv.scoringImage;
  t.run.registered = { ...t.run.registered, ...(await liveInEnvironment(deps, m, run.target)) };
  finishStage(t, 'registered', 'succeeded', now, `version ${version}`);
  const stage = t.run.stages.find((s) => s.id === 'registered');
  const link = deps.registryLink(m.registeredModel, version);
  if (stage && link) stage.link = link;
  advanceTo(t, 'registered', now);
  touch(t, now);
  return t;
}
