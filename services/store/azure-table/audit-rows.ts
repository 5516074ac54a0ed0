import { randomBytes } from 'node:crypto';
import type { TableEntity } from '@azure/data-tables';
import type { AuditEntry } from '../../workflow/run-store';
import { decodeBody, encodeBody } from './body-codec';
import type { AzureTable, Row } from './table.client';
import { P, pad } from './table-keys';

/** How far back the account-wide audit view (/audit without a run) looks: one partition per UTC day. */
export const AUDIT_FEED_DAYS = 90;
const DAY = 86_400_000;
const MAX_MS = 10 ** 15 - 1;

/**
 * Audit lines live in the run's partition (written in the transition's transaction, the record of
 * truth) and are copied after it into a per-day feed partition for the account-wide view; a crash
 * between the two loses the copy, never the run's own line.
 */
export class AuditRows {
  private n = 0;
  private readonly daysNoted = new Set<string>();

  constructor(private readonly table: AzureTable, private readonly now: () => number) {}

  private unique(): string {
    this.n = (this.n + 1) % 1_000_000;
    return `${pad(this.n, 6)}-${randomBytes(4).toString('hex')}`;
  }

  private atOf(a: AuditEntry): number {
    const t = Date.parse(a.at);
    return Number.isFinite(t) ? t : this.now();
  }

  runRow(runId: string, a: AuditEntry): TableEntity<Record<string, unknown>> {
    const [body] = encodeBody('audit line', a);
    return { partitionKey: P.run(runId), rowKey: `audit-${pad(this.atOf(a), 15)}-${this.unique()}`, ...body };
  }

  async copyToFeed(a: AuditEntry): Promise<void> {
    const at = this.atOf(a);
    const day = P.auditDay(at);
    // The list of days that have lines (one upsert per day and instance), so the view reads only those.
    if (!this.daysNoted.has(day)) {
      await this.table.upsert({ partitionKey: P.auditDays, rowKey: day }, 'Replace');
      this.daysNoted.add(day);
    }
    const [body] = encodeBody('audit line', a);
    await this.table.create({ partitionKey: day, rowKey: `${pad(MAX_MS - at, 15)}-${this.unique()}`, ...body });
  }

  async list(f: { runId?: string; limit?: number }): Promise<AuditEntry[]> {
    const limit = f.limit ?? 50;
    if (f.runId) {
      const rows = await this.table.query(`PartitionKey eq '${P.run(f.runId)}' and RowKey ge 'audit-' and RowKey lt 'audit.'`);
      return newestFirst(rows, true).slice(0, limit).map((r) => decodeBody<AuditEntry>([r]));
    }
    const out: AuditEntry[] = [];
    const oldest = P.auditDay(this.now() - AUDIT_FEED_DAYS * DAY);
    const days = (await this.table.query(`PartitionKey eq '${P.auditDays}'`)).map((r) => r.rowKey).filter((d) => d >= oldest).sort().reverse();
    for (const day of days) {
      if (out.length >= limit) break;
      const rows = await this.table.query(`PartitionKey eq '${day}'`);
      out.push(...newestFirst(rows, false).slice(0, limit - out.length).map((r) => decodeBody<AuditEntry>([r])));
    }
    return out;
  }
}

/** Sorted here, not by the service: Cosmos DB for Table does not return rows in key order. */
function newestFirst(rows: Row[], ascendingKeys: boolean): Row[] {
  return rows.sort((a, b) => (ascendingKeys ? b.rowKey.localeCompare(a.rowKey) : a.rowKey.localeCompare(b.rowKey)));
}
