import type { RunFilter, RunStore } from '../../services/workflow/run-store';
import type { RunRecord } from '../../services/workflow/run.types';

/** How many stored runs one page may read to find its runs of one environment (the store has no environment filter). */
export const ENV_SCAN_LIMIT = 1000;

/**
 * One page of runs, newest first, with the cursor of the next one. The store filters by model,
 * status and requester; the environment (`run.target`) is filtered here, because the RunStore
 * contract (SQLite now, Azure Tables next) has no such filter. Such a page reads the store in
 * chunks until it has `limit` runs or has read ENV_SCAN_LIMIT; then `next` is where the scan
 * stopped, so "Older runs" goes on from there (a page may then hold fewer runs, never a wrong one).
 */
export async function pageOfRuns(runs: RunStore, filter: Omit<RunFilter, 'limit'>, env: string | undefined, limit: number): Promise<{ runs: RunRecord[]; next?: string }> {
  if (!env) {
    // One more than asked tells whether there is a next page.
    const page = await runs.listRuns({ ...filter, limit: limit + 1 });
    const shown = page.slice(0, limit);
    const last = shown[shown.length - 1];
    return { runs: shown, ...(page.length > limit && last ? { next: last.id } : {}) };
  }
  const found: RunRecord[] = [];
  let before = filter.before;
  let scanned = 0;
  const chunk = Math.max(100, limit * 4);
  for (;;) {
    const batch = await runs.listRuns({ ...filter, ...(before ? { before } : {}), limit: chunk });
    for (const r of batch) {
      scanned++;
      before = r.id;
      if (r.target !== env) continue;
      if (found.length === limit) return { runs: found, next: found[found.length - 1]?.id ?? r.id };
      found.push(r);
    }
    if (batch.length < chunk) return { runs: found };
    if (scanned >= ENV_SCAN_LIMIT && before) return { runs: found, next: found.length === limit ? (found[found.length - 1]?.id ?? before) : before };
  }
}
