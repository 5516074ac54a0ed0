import type { AzureDevOpsClient } from '../azure-devops/azure-devops.client';
import type { DatabricksClient } from '../databricks/databricks.client';
import type { Logger } from '../logger';
import type { WatchStore } from './watch.store';
import type { WatchService } from './watch.service';

export interface WatchPollerDeps {
  service: WatchService;
  store: WatchStore;
  devops: AzureDevOpsClient | undefined;
  databricks: DatabricksClient | undefined;
  now: () => number;
  logger: Logger;
  /** List calls per pass, per service (not per pipeline or job). */
  maxListCalls: number;
  /** Databricks lists by start time: a run that started this long before the last pass is still seen when it ends. */
  lookbackMs: number;
}

export const CURSOR = { devops: 'azure-devops.finishedSince', databricks: 'databricks.lastPass' } as const;

/**
 * The net under the webhooks: each pass lists what finished since the last seen point, with a
 * bounded number of list calls per service, and hands every run to the WatchService (which
 * deduplicates by run id). The points are persisted after the runs they cover were handled, so
 * a restart neither skips a failure nor reports one twice. The first pass ever starts from now.
 */
export class WatchPoller {
  constructor(private readonly deps: WatchPollerDeps) {}

  async pass(): Promise<{ devopsCalls: number; databricksCalls: number }> {
    const devopsCalls = this.deps.devops ? await this.devopsPass(this.deps.devops) : 0;
    const databricksCalls = this.deps.databricks ? await this.databricksPass(this.deps.databricks) : 0;
    return { devopsCalls, databricksCalls };
  }

  /**
   * Builds - List, completed, oldest finish first, minTime = the last finish time handled
   * (inclusive: the boundary build comes again and is deduplicated). If handling one build fails,
   * the point stays at it and the next pass starts there.
   */
  private async devopsPass(client: AzureDevOpsClient): Promise<number> {
    const saved = await this.deps.store.getCursor(CURSOR.devops);
    if (!saved) {
      await this.deps.store.setCursor(CURSOR.devops, new Date(this.deps.now()).toISOString());
      return 0;
    }
    let point = saved;
    let token: string | undefined;
    let calls = 0;
    try {
      do {
        const page = await client.listCompletedBuildsPage({ minTime: new Date(point), ...(token ? { continuationToken: token } : {}), top: 100 });
        calls++;
        for (const b of page.builds) {
          await this.deps.service.devopsRunFinished(b.id, b);
          if (b.finishedAt && b.finishedAt.toISOString() > point) point = b.finishedAt.toISOString();
        }
        token = page.continuationToken;
      } while (token && calls < this.deps.maxListCalls);
    } catch (error) {
      this.deps.logger.warn('azure devops watch pass failed; it resumes from the last handled run', { error });
    }
    await this.deps.store.setCursor(CURSOR.devops, point);
    return calls;
  }

  /**
   * runs/list filters on start time only, so each pass lists completed runs that started after
   * (last pass − lookback), newest first, up to maxListCalls pages of 24; handled runs are
   * skipped by id. The point moves only when the pass got through.
   */
  private async databricksPass(client: DatabricksClient): Promise<number> {
    const passStart = this.deps.now();
    const saved = await this.deps.store.getCursor(CURSOR.databricks);
    if (!saved) {
      await this.deps.store.setCursor(CURSOR.databricks, String(passStart));
      return 0;
    }
    let token: string | undefined;
    let calls = 0;
    try {
      do {
        const page = await client.listRunsPage({ completedOnly: true, startTimeFrom: Math.max(0, Number(saved) - this.deps.lookbackMs), pageSize: 24, pageToken: token });
        calls++;
        for (const r of page.runs) {
          if (r.jobId === undefined) continue;
          const failed = r.state.result !== 'SUCCESS' && r.state.result !== 'SUCCESS_WITH_FAILURES';
          await this.deps.service.databricksRunFinished(r.runId, { jobId: r.jobId, jobName: r.runName, failed });
        }
        token = page.nextPageToken;
      } while (token && calls < this.deps.maxListCalls);
      if (token) this.deps.logger.warn('databricks watch pass hit its list-call bound; older runs of the window are not listed', { calls });
      await this.deps.store.setCursor(CURSOR.databricks, String(passStart));
    } catch (error) {
      this.deps.logger.warn('databricks watch pass failed; the next pass covers the same window', { error });
    }
    return calls;
  }
}
