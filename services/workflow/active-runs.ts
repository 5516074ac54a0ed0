import type { RunStore } from './run-store';
import type { RunRecord } from './run.types';

/** Rows a page of the active-run listing holds: small enough to bound one query, large enough to keep queries few. */
export const ACTIVE_PAGE_SIZE = 500;

/**
 * Every unfinished run, newest first, page by page (keyset on the listing order). A single
 * listRuns call stops at its limit, so runs past it would never be looked at; this pages to the
 * end however many there are. A run created during the walk may be missed until the next walk.
 */
export async function* activeRunPages(runs: Pick<RunStore, 'listRuns'>, pageSize = ACTIVE_PAGE_SIZE): AsyncGenerator<RunRecord[]> {
  let before: string | undefined;
  for (;;) {
    const page = await runs.listRuns({ active: true, limit: pageSize, ...(before ? { before } : {}) });
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    before = page[page.length - 1]?.id;
  }
}

/** All unfinished runs, newest first (see activeRunPages). */
export async function listAllActiveRuns(runs: Pick<RunStore, 'listRuns'>, pageSize = ACTIVE_PAGE_SIZE): Promise<RunRecord[]> {
  const all: RunRecord[] = [];
  for await (const page of activeRunPages(runs, pageSize)) all.push(...page);
  return all;
}
