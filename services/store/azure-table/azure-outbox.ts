import type { OutboxItem, OutboxRetryPolicy, ParkedOutboxItem } from '../../workflow/run-store';
import { TableConflictError, type AzureTable, type Row } from './table.client';
import { outboxId, outboxKey, outboxOwner, P, pad, seqOf } from './table-keys';

/**
 * A transition may take this long between writing a run's pending marker and committing its items
 * (each call has a 30 s deadline): a marker younger than this is never removed, so a reader that
 * looked between the two writes cannot drop an announcement that is about to be committed.
 */
export const MARKER_GRACE_MS = 10 * 60_000;

/**
 * The outbox on Azure Tables: items live in their run's partition (committed with the transition);
 * the runs that have undelivered items are found through markers in one small partition, written
 * before the transition and removed once the run has nothing left to deliver.
 */
export class AzureOutbox {
  constructor(private readonly table: AzureTable, private readonly now: () => number, private readonly graceMs = MARKER_GRACE_MS) {}

  async markPending(runId: string): Promise<void> {
    // An upsert gives the marker a new ETag and Timestamp: a reader's conditional delete of the old one then fails.
    await this.table.upsert({ partitionKey: P.pending, rowKey: runId, runId }, 'Replace');
  }

  async pending(limit = 100, now = this.now()): Promise<OutboxItem[]> {
    const markers = await this.table.query(`PartitionKey eq '${P.pending}'`);
    const due: OutboxItem[] = [];
    await inBatches(markers, 16, async (m) => {
      const rows = await this.table.query(`PartitionKey eq '${P.run(m.rowKey)}' and RowKey ge 'outbox-' and RowKey lt 'outbox.' and done eq false and parked eq false`);
      if (rows.length === 0 && this.now() - Date.parse(String(m.timestamp ?? '')) > this.graceMs) await this.forget(P.pending, m);
      for (const r of rows) if (num(r.nextAt) <= now) due.push(itemOf(r));
    });
    return due.sort((a, b) => a.id - b.id).slice(0, limit);
  }

  private async forget(pk: string, marker: Row): Promise<void> {
    try {
      await this.table.delete(pk, marker.rowKey, marker.etag);
    } catch (e) {
      if (!(e instanceof TableConflictError)) throw e;
    }
  }

  private async item(id: number): Promise<Row | undefined> {
    const { runId, n } = outboxOwner(id);
    return seqOf(runId) === undefined ? undefined : this.table.get(P.run(runId), outboxKey(n));
  }

  async complete(ids: readonly number[]): Promise<void> {
    const doneAt = new Date(this.now()).toISOString();
    const byRun = new Map<string, number[]>();
    for (const id of ids) {
      const { runId, n } = outboxOwner(id);
      byRun.set(runId, [...(byRun.get(runId) ?? []), n]);
    }
    for (const [runId, ns] of byRun) {
      const rows = ns.map((n) => ({ partitionKey: P.run(runId), rowKey: outboxKey(n), done: true, doneAt }));
      try {
        // One transaction per run (≤ 100 items each); an unknown id fails it, so then one by one.
        for (let i = 0; i < rows.length; i += 100) await this.table.transaction(rows.slice(i, i + 100).map((r) => ['update', r, 'Merge']));
      } catch {
        for (const r of rows) {
          const exists = await this.table.get(r.partitionKey, r.rowKey);
          if (exists) await this.table.update(r, '*');
        }
      }
    }
  }

  async fail(ids: readonly number[], error: string, policy: OutboxRetryPolicy, now: number): Promise<ParkedOutboxItem[]> {
    const parked: ParkedOutboxItem[] = [];
    for (const id of ids) {
      const row = await this.item(id);
      if (!row || row.done === true || row.parked === true) continue;
      const attempts = num(row.attempts) + 1;
      const key = { partitionKey: row.partitionKey, rowKey: row.rowKey };
      try {
        if (attempts >= policy.maxAttempts) {
          const parkedAt = new Date(now).toISOString();
          // The marker first (the parked list must find it), then the item.
          await this.table.upsert({ partitionKey: P.parked, rowKey: pad(id, 18), id }, 'Replace');
          await this.table.update({ ...key, attempts, parked: true, parkedAt, lastError: error }, row.etag);
          parked.push({ ...itemOf({ ...row, attempts }), parkedAt, lastError: error });
        } else {
          await this.table.update({ ...key, attempts, nextAt: now + Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (attempts - 1)), lastError: error }, row.etag);
        }
      } catch (e) {
        // Someone else counted or completed it meanwhile: theirs stands.
        if (!(e instanceof TableConflictError)) throw e;
      }
    }
    return parked;
  }

  /** An item copied from another store as parked (its attempts spent there): marker first, as in `fail`. */
  async parkImported(runId: string, n: number, parked: { attempts: number; parkedAt: string; lastError: string }): Promise<void> {
    const seq = seqOf(runId);
    if (seq === undefined) return;
    await this.table.upsert({ partitionKey: P.parked, rowKey: pad(outboxId(seq, n), 18), id: outboxId(seq, n) }, 'Replace');
    await this.table.update({ partitionKey: P.run(runId), rowKey: outboxKey(n), attempts: parked.attempts, parked: true, parkedAt: parked.parkedAt, lastError: parked.lastError }, '*');
  }

  async parkedItems(limit = 20): Promise<{ count: number; items: ParkedOutboxItem[] }> {
    const markers = await this.table.query(`PartitionKey eq '${P.parked}'`);
    const items: ParkedOutboxItem[] = [];
    await inBatches(markers, 16, async (m) => {
      const row = await this.item(num(m.id));
      if (row?.parked === true && row.done !== true) items.push({ ...itemOf(row), parkedAt: str(row.parkedAt), lastError: str(row.lastError) });
      else if (!row || row.done === true) await this.forget(P.parked, m);
    });
    items.sort((a, b) => b.id - a.id);
    return { count: items.length, items: items.slice(0, limit) };
  }
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function itemOf(r: Row): OutboxItem {
  const runId = String(r.runId);
  const n = Number(r.rowKey.slice('outbox-'.length));
  return { id: outboxId(seqOf(runId) ?? 0, n), runId, kind: r.kind as OutboxItem['kind'], payload: r.hasPayload === true ? String(r.payload) : undefined, createdAt: String(r.createdAt), attempts: num(r.attempts) };
}

export async function inBatches<T>(list: readonly T[], size: number, fn: (t: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < list.length; i += size) await Promise.all(list.slice(i, i + size).map(fn));
}
