import type { RunFilter, RunStore } from '../../services/workflow/run-store';
import type { RunRecord } from '../../services/workflow/run.types';

/** One page of runs, newest first, with the cursor of the next one; the store filters by model, status, requester and environment. */
export async function pageOfRuns(runs: RunStore, filter: Omit<RunFilter, 'limit'>, env: string | undefined, limit: number): Promise<{ runs: RunRecord[]; next?: string }> {
  // One more than asked tells whether there is a next page.
  const page = await runs.listRuns({ ...filter, ...(env ? { target: env } : {}), limit: limit + 1 });
  const shown = page.slice(0, limit);
  const last = shown[shown.length - 1];
  return { runs: shown, ...(page.length > limit && last ? { next: last.id } : {}) };
}
