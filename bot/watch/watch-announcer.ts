import { externalRunCard, type ExternalRunCardView } from '../../cards/external-run.card';
import type { PersonView } from '../../cards/views';
import type { MlopsConfig } from '../../services/config/mlops-config.schema';
import type { Logger } from '../../services/logger';
import type { StoredReport, WatchStore } from '../../services/watch/watch.store';
import type { ExternalRunReport } from '../../services/watch/watch.types';
import type { WatchService } from '../../services/watch/watch.service';
import { lastEnvironment } from '../../services/workflow/environments';
import { rollbackTarget } from '../../services/workflow/rollback-target';
import type { RunStore } from '../../services/workflow/run-store';
import type { Notifier, OutgoingMessage } from '../notifier';
import { formatTime } from '../views/run-views';

export interface WatchAnnouncerDeps {
  store: WatchStore;
  service: WatchService;
  notifier: Notifier;
  runs: RunStore;
  /** The models' environments: a failed external run's rollback is for the model's last one, as /rollback without --env. */
  models?: MlopsConfig['models'];
  /** Finds who triggered the run among the conversation's members (UPN or Entra object id). */
  people: { findMember(conversationId: string, who: { upn?: string | undefined; id?: string | undefined }): Promise<{ id: string; name: string } | undefined> };
  logger: Logger;
  /** Passes after which a report that cannot be delivered is given up (logged as an error). */
  maxAttempts?: number;
}

/**
 * Posts each external-run report once to every subscribed conversation and, when the report
 * changes (a retry starts or ends), updates those same messages in place. Which conversations got
 * which message is persisted per report, so a crash or a restart re-sends only what Teams never
 * accepted, and a report announced before is never posted again.
 */
export class WatchAnnouncer {
  private pumping: Promise<void> | undefined;
  private again = false;
  private readonly attempts = new Map<string, number>();

  constructor(private readonly deps: WatchAnnouncerDeps) {}

  nudge(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      // Yield first: with nothing to announce the body would finish synchronously, and its
      // `finally` would run before this assignment, leaving a settled promise here for good.
      await Promise.resolve();
      try {
        do {
          this.again = false;
          for (const stored of await this.deps.store.unannounced()) await this.announce(stored);
        } while (this.again);
      } finally {
        this.pumping = undefined;
      }
    })();
    return this.pumping;
  }

  private async announce(stored: StoredReport): Promise<void> {
    const { report, version } = stored;
    const existing = await this.deps.store.messages(report.key);
    // Conversations are chosen once, when the report is first announced; later versions update those messages.
    const audience = stored.announcedVersion === 0 ? await this.deps.service.audienceOf(report) : [];
    let failures = 0;
    for (const m of existing) {
      if (m.version >= version) continue;
      try {
        await this.deps.notifier.update(m.conversationId, m.activityId, await this.message(report, version, m.conversationId));
        await this.deps.store.setMessage(report.key, m.conversationId, m.activityId, version);
      } catch (error) {
        failures++;
        this.deps.logger.warn('could not update an external-run card; retried on the next pass', { key: report.key, conversationId: m.conversationId, error });
      }
    }
    for (const conversationId of audience) {
      if (existing.some((m) => m.conversationId === conversationId)) continue;
      try {
        const activityId = await this.deps.notifier.send(conversationId, await this.message(report, version, conversationId));
        await this.deps.store.setMessage(report.key, conversationId, activityId, version);
      } catch (error) {
        failures++;
        this.deps.logger.warn('could not post an external-run card; retried on the next pass', { key: report.key, conversationId, error });
      }
    }
    const tries = (this.attempts.get(report.key) ?? 0) + 1;
    if (failures === 0 || tries >= (this.deps.maxAttempts ?? 5)) {
      if (failures > 0) this.deps.logger.error('gave up announcing an external run to some conversations', { key: report.key, failures });
      await this.deps.store.markAnnounced(report.key, version);
      this.attempts.delete(report.key);
    } else this.attempts.set(report.key, tries);
  }

  private async message(report: ExternalRunReport, version: number, conversationId: string): Promise<OutgoingMessage> {
    const who = report.triggeredBy;
    const member = who ? await this.deps.people.findMember(conversationId, who) : undefined;
    const triggeredBy: PersonView | undefined = member ? { name: member.name, mri: member.id } : who ? { name: who.name } : undefined;
    const retry = report.retries.at(-1);
    // The environment the click rolls back (the card-action handler takes the same one): the version
    // offered is the previous one there, not the previous one of the model in any environment.
    const model = report.model ? this.deps.models?.[report.model] : undefined;
    const rollbackEnv = model ? lastEnvironment(model).name : undefined;
    const rollback = report.model && report.outcome === 'failed' ? rollbackTarget(await this.deps.runs.listRuns({ model: report.model, limit: 200 }), rollbackEnv)?.previous : undefined;
    const view: ExternalRunCardView = {
      watchKey: report.key,
      cardVersion: version,
      system: report.source === 'azure-devops' ? 'Azure DevOps' : 'Databricks',
      target: `${report.source === 'azure-devops' ? 'Pipeline' : 'Job'} ${report.targetName}`,
      runName: report.runName,
      outcome: report.outcome,
      result: report.result,
      logLines: report.logLines,
      canRetry: report.outcome === 'failed' && retry?.state !== 'running',
      ...(report.failedStep ? { failedStep: report.failedStep } : {}),
      ...(report.error ? { error: report.error } : {}),
      ...(report.url ? { url: report.url } : {}),
      ...(triggeredBy ? { triggeredBy } : {}),
      ...(report.reason ? { reason: report.reason } : {}),
      ...(report.branch ? { branch: report.branch } : {}),
      ...(report.finishedAt ? { finishedAt: formatTime(report.finishedAt) } : {}),
      ...(report.model ? { model: report.model } : {}),
      ...(retry ? { retry: { runId: retry.runId, by: retry.by, state: retry.state, ...(retry.url ? { url: retry.url } : {}), ...(retry.error ? { error: retry.error } : {}) } } : {}),
      ...(rollback ? { rollbackVersion: rollback, ...(rollbackEnv ? { rollbackEnv } : {}) } : {}),
    };
    const summary = `${view.target} ${report.outcome === 'failed' ? report.result : 'succeeded'} (run ${report.runName})`;
    // The mention travels in the card's msteams.entities (withTeamsExtras), as on the run's own failure card.
    return { card: externalRunCard(view), summary };
  }
}
