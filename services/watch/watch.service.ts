import { KeyedLock } from '../workflow/keyed-lock';
import type { Authorizer, Forbidden } from '../auth/authorizer';
import type { Principal } from '../auth/roles';
import type { AzureDevOpsClient } from '../azure-devops/azure-devops.client';
import type { PipelineRun } from '../azure-devops/azure-devops.types';
import type { MlopsConfig } from '../config/mlops-config.schema';
import type { DatabricksClient } from '../databricks/databricks.client';
import { ServiceError } from '../http/errors';
import type { Logger } from '../logger';
import type { RunStore } from '../workflow/run-store';
import { databricksReport, devopsFailed, devopsReport } from './run-reports';
import type { WatchStore } from './watch.store';
import { audience, findTarget, watchTargets } from './watch-targets';
import { reportKey, type ExternalRunReport, type RetryRecord, type WatchSource } from './watch.types';

export interface WatchServiceDeps {
  store: WatchStore;
  /** Subscriptions and the audit log. */
  runs: RunStore;
  devops: AzureDevOpsClient | undefined;
  databricks: DatabricksClient | undefined;
  config: Pick<MlopsConfig, 'models' | 'watch'>;
  auth: Authorizer;
  now: () => number;
  logger: Logger;
  /** A report was created or changed: the bot announces it (bot/watch/watch-announcer.ts). */
  onChange: () => void;
}

export type Seen = 'recorded' | 'duplicate' | 'retry-updated' | 'not-watched' | 'own-run' | 'not-finished' | 'nobody-asked';
export type RetryOutcome = { ok: true; text: string; report: ExternalRunReport } | { ok: false; text: string; forbidden?: Forbidden };

/**
 * Turns "this external run finished" (a webhook nudge or a poll hit) into at most one report per
 * run. Webhooks only name the run: the state is read from the service, so a duplicate, late or
 * out-of-order delivery finds the same report and changes nothing.
 */
/** The run id of a retry that is being started (claimed on the report, its run not created yet). */
const CLAIM = 0;
/** A claim older than this (its instance stopped between claim and start) no longer blocks a retry. */
const CLAIM_LAPSE_MS = 10 * 60_000;

export class WatchService {
  /** Deliveries of the same run that arrive together (build.complete and run-state-changed) share one read. */
  private readonly inFlight = new Map<string, Promise<Seen>>();
  private readonly retryLock = new KeyedLock();

  constructor(private readonly deps: WatchServiceDeps) {}

  private once(key: string, work: () => Promise<Seen>): Promise<Seen> {
    const running = this.inFlight.get(key);
    if (running) return running.then(() => 'duplicate' as const);
    const p = work().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  async isWatched(source: WatchSource, id: number, name: string | undefined): Promise<boolean> {
    return findTarget(watchTargets(this.deps.config, await this.deps.runs.listSubscriptions()), source, id, name) !== undefined;
  }

  /** An Azure DevOps run (build) id from a service hook or the poller; `build` when already read. */
  devopsRunFinished(runId: number, build?: PipelineRun): Promise<Seen> {
    return this.once(reportKey('azure-devops', runId), () => this.devopsRun(runId, build));
  }

  /** A Databricks job run id (the job run, not a task run) from a notification or the poller. */
  databricksRunFinished(runId: number, hint?: { jobId: number; jobName: string | undefined; failed: boolean | undefined }): Promise<Seen> {
    return this.once(reportKey('databricks', runId), () => this.databricksRun(runId, hint));
  }

  private async devopsRun(runId: number, build?: PipelineRun): Promise<Seen> {
    const client = this.deps.devops;
    if (!client) return 'not-watched';
    if (await this.deps.store.isBotRun('azure-devops', runId)) return 'own-run';
    if (await this.deps.store.getReport(reportKey('azure-devops', runId))) return 'duplicate';
    const b = build ?? (await client.getBuild(runId));
    if (b.state !== 'completed') return 'not-finished';
    const retryOf = await this.deps.store.retryOf('azure-devops', runId);
    if (retryOf) return this.retryFinished(retryOf, runId, devopsFailed(b) ? 'failed' : 'succeeded', b.result === 'canceled', b.webUrl, undefined);
    const target = findTarget(watchTargets(this.deps.config, await this.deps.runs.listSubscriptions()), 'azure-devops', b.pipelineId ?? -1, b.pipelineName);
    if (!target) return 'not-watched';
    if (!devopsFailed(b) && !(await this.someoneWants('azure-devops', b.pipelineId ?? -1, b.pipelineName, target.model))) return 'nobody-asked';
    return this.record(await devopsReport(client, b, target.model));
  }

  private async databricksRun(runId: number, hint?: { jobId: number; jobName: string | undefined; failed: boolean | undefined }): Promise<Seen> {
    const client = this.deps.databricks;
    if (!client) return 'not-watched';
    if (await this.deps.store.isBotRun('databricks', runId)) return 'own-run';
    if (await this.deps.store.getReport(reportKey('databricks', runId))) return 'duplicate';
    const retryOf = await this.deps.store.retryOf('databricks', runId);
    const targets = watchTargets(this.deps.config, await this.deps.runs.listSubscriptions());
    // The hint (payload or list entry) avoids reading runs of jobs nobody watches.
    if (!retryOf && hint && !findTarget(targets, 'databricks', hint.jobId, hint.jobName)) return 'not-watched';
    if (!retryOf && hint?.failed === false && !(await this.someoneWants('databricks', hint.jobId, hint.jobName, findTarget(targets, 'databricks', hint.jobId, hint.jobName)?.model))) return 'nobody-asked';
    const target = hint ? findTarget(targets, 'databricks', hint.jobId, hint.jobName) : undefined;
    const report = await databricksReport(client, runId, target?.model);
    if (retryOf) return this.retryFinished(retryOf, runId, report.outcome, report.result === 'CANCELED', report.url, report.error);
    const found = target ?? findTarget(targets, 'databricks', report.targetId, report.targetName);
    if (!found) return 'not-watched';
    if (report.outcome === 'succeeded' && !(await this.someoneWants('databricks', report.targetId, report.targetName, found.model))) return 'nobody-asked';
    return this.record({ ...report, model: found.model });
  }

  private async someoneWants(source: WatchSource, id: number, name: string | undefined, model: string | undefined): Promise<boolean> {
    const probe = { source, targetId: id, targetName: name ?? '', model, outcome: 'succeeded' } as ExternalRunReport;
    return audience(probe, await this.deps.runs.listSubscriptions()).length > 0;
  }

  private async record(report: ExternalRunReport): Promise<Seen> {
    const inserted = await this.deps.store.insertReport(report, new Date(this.deps.now()).toISOString());
    if (!inserted) return 'duplicate';
    this.deps.logger.info('external run reported', { key: report.key, outcome: report.outcome, target: report.targetName });
    this.deps.onChange();
    return 'recorded';
  }

  /** A retry the bot queued has finished: the original report (and its card) says how. */
  private async retryFinished(originalKey: string, runId: number, outcome: 'failed' | 'succeeded', canceled: boolean, url: string | undefined, error: string | undefined): Promise<Seen> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const stored = await this.deps.store.getReport(originalKey);
      if (!stored) return 'not-watched';
      const retry = stored.report.retries.find((r) => r.runId === runId);
      const state: RetryRecord['state'] = canceled ? 'canceled' : outcome;
      if (!retry || retry.state === state) return 'duplicate';
      const report = { ...stored.report, retries: stored.report.retries.map((r) => (r.runId === runId ? { ...r, state, url: url ?? r.url, error } : r)) };
      if (await this.deps.store.updateReport(report, stored.version, new Date(this.deps.now()).toISOString())) {
        this.deps.onChange();
        return 'retry-updated';
      }
    }
    return 'duplicate';
  }

  /**
   * Retry: queue the same pipeline (or job) again with the same parameters and branch. Checked
   * against the clicker's role now (the `retry` action of the model the pipeline belongs to, or
   * the global role), audited either way, refused while an earlier retry still runs.
   */
  /**
   * Retry of a failed external run. Clicks on one report are serialized in this process, so a
   * double click (or the same card clicked in two conversations) sees the first retry as running
   * and starts nothing: an Azure DevOps queue call has no idempotency key, so two at once would
   * queue two pipeline runs. Across instances (issue 11) the retry is first claimed on the report
   * itself, version-checked: of two clicks on two instances one claims it and the other is told a
   * retry is being started. A claim whose start never finished (a crash) lapses after CLAIM_LAPSE_MS.
   */
  retry(key: string, user: Principal): Promise<RetryOutcome> {
    return this.retryLock.run(key, () => this.retryOnce(key, user));
  }

  private async retryOnce(key: string, user: Principal): Promise<RetryOutcome> {
    const stored = await this.deps.store.getReport(key);
    if (!stored) return { ok: false, text: `There is no report ${key}. Nothing was started.` };
    const r = stored.report;
    const at = new Date(this.deps.now()).toISOString();
    const audit = (outcome: 'ok' | 'refused' | 'failed', detail: Record<string, unknown>): Promise<void> => this.deps.runs.appendAudit({ at, actor: user.id, action: 'watch.retry', outcome, detail: { key, target: r.targetName, ...detail } });
    const forbidden = await this.deps.auth.check(user, 'retry', r.model ?? '');
    if (forbidden) {
      await audit('refused', { reason: 'forbidden', needs: forbidden.needs });
      return { ok: false, forbidden, text: `Retrying ${r.targetName} needs the ${forbidden.needs.join(' or ')} role${r.model ? ` for ${r.model}` : ''}. Nothing was started.` };
    }
    if (r.outcome !== 'failed') return { ok: false, text: `${r.targetName} run ${r.runName} did not fail. Nothing was started.` };
    const now = this.deps.now();
    const running = r.retries.find((x) => x.state === 'running' && !(x.runId === CLAIM && now - Date.parse(x.at) > CLAIM_LAPSE_MS));
    if (running) return { ok: false, text: running.runId === CLAIM ? `A retry of ${r.targetName} is being started by ${running.by}. Nothing else was started.` : `A retry of ${r.targetName} is already running (run ${running.runId}). Nothing else was started.` };
    const mine = (x: RetryRecord): boolean => x.runId === CLAIM && x.at === at && x.by === user.name;
    const claim: RetryRecord = { runId: CLAIM, by: user.name, at, state: 'running', url: undefined, error: undefined };
    const retries = r.retries.filter((x) => x.runId !== CLAIM);
    if (!(await this.deps.store.updateReport({ ...r, retries: [...retries, claim] }, stored.version, at))) {
      return { ok: false, text: `${r.targetName} changed while you clicked (another retry may be starting). Nothing was started; look at the card again.` };
    }
    let newRunId: number;
    let url: string | undefined;
    try {
      if (r.source === 'azure-devops') {
        if (!this.deps.devops) return { ok: false, text: 'Azure DevOps is not configured. Nothing was started.' };
        const run = await this.deps.devops.runPipeline(r.targetId, { ...(r.branch ? { branch: r.branch } : {}), templateParameters: r.parameters });
        newRunId = run.id;
        url = run.webUrl;
      } else {
        if (!this.deps.databricks) return { ok: false, text: 'Databricks is not configured. Nothing was started.' };
        // The token makes a double click (or a retried request) start one run, not two.
        const poller = await this.deps.databricks.beginRunJob(r.targetId, { jobParameters: r.parameters, idempotencyToken: `mlops-retry-${r.runId}-${r.retries.length + 1}` });
        newRunId = poller.runId;
      }
    } catch (error) {
      await this.editRetries(key, (list) => list.filter((x) => !mine(x)), at);
      await audit('failed', { error: error instanceof ServiceError ? error.describe() : String(error) });
      throw error;
    }
    await this.deps.store.addRetry(r.source, newRunId, key);
    const started: RetryRecord = { runId: newRunId, by: user.name, at, state: 'running', url, error: undefined };
    const report = await this.editRetries(key, (list) => (list.some(mine) ? list.map((x) => (mine(x) ? started : x)) : [...list, started]), at);
    await audit('ok', { newRunId, branch: r.branch, parameters: r.parameters });
    this.deps.onChange();
    return { ok: true, text: `Retrying ${r.targetName} (run ${newRunId})${r.branch ? ` on ${r.branch.replace(/^refs\/heads\//, '')}` : ''} with the same parameters.`, report: report ?? { ...r, retries: [...retries, started] } };
  }

  /** Changes a report's retries from its latest version (a finished retry may change it meanwhile). */
  private async editRetries(key: string, edit: (retries: RetryRecord[]) => RetryRecord[], at: string): Promise<ExternalRunReport | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.deps.store.getReport(key);
      if (!current) return undefined;
      const next = { ...current.report, retries: edit(current.report.retries) };
      if (await this.deps.store.updateReport(next, current.version, at)) return next;
    }
    this.deps.logger.warn('a retry could not be recorded on its report after 5 attempts', { key });
    return undefined;
  }

  audienceOf(report: ExternalRunReport): Promise<string[]> {
    return this.deps.runs.listSubscriptions().then((subs) => audience(report, subs));
  }
}
