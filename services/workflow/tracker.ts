import type { AzureDevOpsClient } from '../azure-devops/azure-devops.client';
import type { MlopsConfig } from '../config/mlops-config.schema';
import type { DatabricksClient } from '../databricks/databricks.client';
import type { Logger } from '../logger';
import { findPendingApprovals, type RelayRequest } from './devops-relay';
import { listAllActiveRuns } from './active-runs';
import { runsToAdvance } from './poll-plan';
import type { RunStore } from './run-store';
import type { RunRecord } from './run.types';

/**
 * Runs advanced at the same time. 4 left a pass over 1,000 due runs waiting on round trips most of
 * the time (98 s to bring 1,000 sandbox runs to approval, 40 % CPU); 16 made the same pass CPU-bound
 * (34 s), issue 13. Each advance makes one call at a time, so this bounds the calls in flight to
 * any one service; 429s are retried after their Retry-After by the clients.
 */
const DEFAULT_CONCURRENCY = 16;

export interface TrackerDeps {
  engine: { advance(runId: string): Promise<RunRecord | undefined>; relay(req: RelayRequest): Promise<RunRecord | undefined> };
  runs: RunStore;
  devops: AzureDevOpsClient | undefined;
  databricks: DatabricksClient | undefined;
  models: MlopsConfig['models'];
  logger: Logger;
  /** Runs advanced at the same time (default DEFAULT_CONCURRENCY). */
  concurrency?: number;
  /** Rows per page of the active-run listing (every page is read each pass). */
  pageSize?: number;
}

/**
 * The poller: one pass looks for Azure DevOps approvals to relay and advances the unfinished runs
 * that may have news (the poll plan decides from their stored external states), a few at a time.
 * After a restart, its first pass resumes every run. Runs never wait for it between steps they
 * can take on their own (RunEngine.advance goes on at once); it only brings news from outside.
 */
export class Tracker {
  private passes = 0;

  constructor(private readonly deps: TrackerDeps) {}

  async tick(): Promise<void> {
    if (this.deps.devops && Object.values(this.deps.models).some((m) => m.cd)) {
      try {
        for (const req of await findPendingApprovals(this.deps.devops, this.deps.models)) await this.deps.engine.relay(req);
      } catch (e) {
        this.deps.logger.warn('could not look for Azure DevOps approvals', { error: e });
      }
    }
    // Every page: a run past the first page must be polled too (issue 13).
    const active = await listAllActiveRuns(this.deps.runs, this.deps.pageSize);
    const due = await runsToAdvance(active, { devops: this.deps.devops, databricks: this.deps.databricks, models: this.deps.models, logger: this.deps.logger }, this.passes++);
    // Oldest first, so that a deploy queue drains in run order.
    await eachLimited(due.reverse(), this.deps.concurrency ?? DEFAULT_CONCURRENCY, async (run) => {
      try {
        await this.deps.engine.advance(run.id);
      } catch (e) {
        this.deps.logger.error('advance failed', { runId: run.id, error: e });
      }
    });
  }
}

/** Runs fn over items with at most `limit` in flight. (p-limit is ESM-only; this project compiles to CommonJS.) */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
