import type { AzureTable } from './table.client';
import { TableConflictError } from './table.client';
import { P } from './table-keys';

/**
 * A lease as one row: who holds it and until when. Taken or renewed only with If-Match on the ETag
 * read (or by inserting the row), so two instances can never both win the same renewal; a holder
 * that stops renewing (killed, cut off) loses it when `expiresAt` passes, and the next instance
 * that asks takes it. Times are the instances' clocks: the holder counts its term from before its
 * request and stops acting a third of the term early, which covers the skew of NTP-synced hosts.
 */
export class TableLease {
  private until = 0;

  constructor(
    private readonly table: AzureTable,
    readonly name: string,
    readonly holder: string,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while this instance holds the lease with a margin left. */
  held(): boolean {
    return this.now() < this.until - this.ttlMs / 3;
  }

  /** Takes the lease if it is free or expired, renews it if it is ours; false if another holds it. */
  async acquire(): Promise<boolean> {
    const started = this.now();
    const row = await this.table.get(P.leases, this.name);
    const entity = { partitionKey: P.leases, rowKey: this.name, holder: this.holder, expiresAt: started + this.ttlMs, renewedAt: new Date(started).toISOString() };
    try {
      if (!row) await this.table.create(entity);
      else if (row.holder === this.holder || Number(row.expiresAt) <= started) await this.table.update(entity, row.etag, 'Replace');
      else {
        this.until = 0;
        return false;
      }
    } catch (e) {
      if (!(e instanceof TableConflictError)) throw e;
      this.until = 0;
      return false;
    }
    this.until = started + this.ttlMs;
    return true;
  }

  /** Gives the lease up at once (a clean shutdown), if it is still ours. */
  async release(): Promise<void> {
    this.until = 0;
    const row = await this.table.get(P.leases, this.name);
    if (row?.holder !== this.holder) return;
    try {
      await this.table.delete(P.leases, this.name, row.etag);
    } catch (e) {
      if (!(e instanceof TableConflictError)) throw e;
    }
  }
}
