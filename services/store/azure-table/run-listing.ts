import { odata } from '@azure/data-tables';
import type { RunFilter } from '../../workflow/run-store';
import { FINAL_STATUSES, type RunRecord, type RunStatus } from '../../workflow/run.types';
import { inBatches, MARKER_GRACE_MS } from './azure-outbox';
import { bodyOf, HEAD, headOf, type RunHead } from './run-rows';
import { TableConflictError, type AzureTable, type Row } from './table.client';
import { indexKey, P, seqOf } from './table-keys';

const FIRST_WINDOW = 64;
const MAX_WINDOW = 4096;

/**
 * Newest first, paged with `before`, without relying on the order in which the service returns
 * rows (Cosmos DB for Table does not sort by key): run numbers are dense, so the index is read in
 * windows of run numbers going down (each a key-range query), sorted here, and the window grows
 * while it finds few matches. Unfinished runs are listed from the small `active` partition.
 * Every candidate is checked against its run's head, so an index row or marker whose run was
 * never written, or has since ended, is never shown.
 */
export async function listRuns(table: AzureTable, f: RunFilter, seen: (h: RunHead) => void, now: () => number): Promise<RunRecord[]> {
  const limit = f.limit ?? 1000;
  let below = Number.MAX_SAFE_INTEGER;
  if (f.before !== undefined) {
    const s = seqOf(f.before);
    // As the SQLite store: a cursor that names no run gives an empty page.
    if (s === undefined || !(await table.get(P.run(f.before), HEAD))) return [];
    below = s;
  }
  const out: RunRecord[] = [];
  const take = async (seqs: number[], looked?: (seq: number, head: Row | undefined) => void): Promise<void> => {
    seqs.sort((a, b) => b - a);
    for (let i = 0; i < seqs.length && out.length < limit; i += 16) {
      const found: Array<{ seq: number; run: RunRecord }> = [];
      await inBatches(seqs.slice(i, i + 16), 16, async (seq) => {
        const row = await table.get(P.run(`r-${seq}`), HEAD);
        looked?.(seq, row);
        if (!row || !headMatches(row, f)) return;
        const run = await bodyOf(table, row);
        seen(headOf(row));
        if (bodyMatches(run, f)) found.push({ seq, run });
      });
      out.push(...found.sort((a, b) => b.seq - a.seq).map((x) => x.run).slice(0, limit - out.length));
    }
  };

  if (f.active === true || (f.status !== undefined && !FINAL_STATUSES.has(f.status))) {
    const markers = await table.query(`PartitionKey eq '${P.active}'`);
    const ended = new Set<number>();
    await take(markers.map((m) => Number(m.seq)).filter((s) => s < below), (seq, head) => {
      if (!head || FINAL_STATUSES.has(String(head.status) as RunStatus)) ended.add(seq);
    });
    await dropStaleMarkers(table, markers.filter((m) => ended.has(Number(m.seq))), now());
    return out;
  }

  const counter = await table.get(P.counter, 'runs');
  let hi = Math.min(below - 1, typeof counter?.next === 'number' ? counter.next : 0);
  let window = FIRST_WINDOW;
  while (hi >= 1 && out.length < limit) {
    const lo = Math.max(1, hi - window + 1);
    const rows = await table.query(indexFilter(hi, lo, f), ['seq']);
    const before = out.length;
    await take(rows.map((r) => Number(r.seq)));
    if (out.length - before < limit / 4) window = Math.min(MAX_WINDOW, window * 2);
    hi = lo - 1;
  }
  return out;
}

/** Filters the immutable facts of the index row on the service's side. */
function indexFilter(hi: number, lo: number, f: RunFilter): string {
  const parts = [`PartitionKey eq '${P.index}' and RowKey ge '${indexKey(hi)}' and RowKey le '${indexKey(lo)}'`];
  if (f.model) parts.push(odata`model eq ${f.model}`);
  if (f.requesterId) parts.push(odata`requesterId eq ${f.requesterId}`);
  if (f.requesterObjectId) parts.push(odata`requesterObjectId eq ${f.requesterObjectId.toLowerCase()}`);
  if (f.requesterName) parts.push(odata`requesterName eq ${f.requesterName.toLowerCase()}`);
  // A run's environment never changes, so the index row holds it.
  if (f.target) parts.push(odata`target eq ${f.target}`);
  return parts.join(' and ');
}

function headMatches(row: Row, f: RunFilter): boolean {
  const h = headOf(row);
  if (f.model && h.model !== f.model) return false;
  if (f.active !== undefined && h.active !== f.active) return false;
  if (f.status && h.status !== f.status) return false;
  if (f.requesterId && h.requesterId !== f.requesterId) return false;
  return true;
}

function bodyMatches(run: RunRecord, f: RunFilter): boolean {
  if (f.requesterObjectId && (run.requester.aadObjectId ?? '').toLowerCase() !== f.requesterObjectId.toLowerCase()) return false;
  if (f.requesterName && run.requester.name.toLowerCase() !== f.requesterName.toLowerCase()) return false;
  if (f.target && run.target !== f.target) return false;
  return true;
}

/** A marker whose run has ended (its removal was cut short) or was never written is removed once it is old. */
async function dropStaleMarkers(table: AzureTable, markers: Row[], now: number): Promise<void> {
  for (const m of markers) {
    if (now - Date.parse(String(m.timestamp ?? '')) <= MARKER_GRACE_MS) continue;
    try {
      await table.delete(P.active, m.rowKey, m.etag);
    } catch (e) {
      // Rewritten meanwhile (a new run reused nothing, but a retried create may have): leave it.
      if (!(e instanceof TableConflictError)) throw e;
    }
  }
}
