import type { TokenCredential } from '@azure/identity';
import type { ConversationRecord, Store } from '../store';
import { decodeBody, encodeBody } from './body-codec';
import { AzureRunStore } from './azure-runs.store';
import { AzureTable, TableConflictError, type Row, type TableTarget } from './table.client';
import { P, safeKey } from './table-keys';
import { TableScheduleStore } from './table-schedules';
import { TableWatchStore } from './table-watch';

/**
 * The bot's shared state on Azure Table Storage or Azure Cosmos DB for Table (same protocol, same
 * SDK): runs, their outbox and audit (AzureRunStore), conversation references and leases, all in
 * one table. Several bot instances can use it at once (docs/scale-out.md).
 */
export class AzureTableStore implements Store {
  readonly table: AzureTable;
  readonly runs: AzureRunStore;
  /** Retraining schedules, shared: one instance claims each due occurrence. */
  readonly schedules: TableScheduleStore;
  /** External-run watch reports, shared: any instance finds a report, a new leader goes on from it. */
  readonly watch: TableWatchStore;
  private open = false;

  private constructor(table: AzureTable, now: () => number) {
    this.table = table;
    this.runs = new AzureRunStore(table, now);
    this.schedules = new TableScheduleStore(table);
    this.watch = new TableWatchStore(table);
  }

  /** Connects and creates the table if it is missing (the bot's role may create tables: Storage Table Data Contributor). */
  static async open(opts: { target: TableTarget; credential?: TokenCredential; timeoutInMs?: number; now?: () => number }): Promise<AzureTableStore> {
    const store = new AzureTableStore(new AzureTable(opts), opts.now ?? Date.now);
    await store.table.createTable();
    store.open = true;
    return store;
  }

  async saveConversation(r: ConversationRecord): Promise<void> {
    const [ref] = encodeBody('conversation reference', r.reference);
    // Merge: a record without installedBy keeps the one stored (as the SQLite store's COALESCE).
    await this.table.upsert({
      partitionKey: P.conversations, rowKey: safeKey(r.conversationId), conversationId: r.conversationId, conversationType: r.conversationType,
      updatedAt: r.updatedAt, ...(r.installedBy !== undefined ? { installedBy: r.installedBy } : {}), ...ref,
    }, 'Merge');
  }

  async getConversation(id: string): Promise<ConversationRecord | undefined> {
    const row = await this.table.get(P.conversations, safeKey(id));
    return row ? toRecord(row) : undefined;
  }

  async listConversations(): Promise<ConversationRecord[]> {
    const rows = await this.table.query(`PartitionKey eq '${P.conversations}'`);
    return rows.map(toRecord).sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
  }

  async removeConversation(id: string): Promise<void> {
    await this.table.delete(P.conversations, safeKey(id));
  }

  /** Records a reminder of `kind` for a run; false if one was already recorded (by any instance). */
  async markReminder(runId: string, kind: 'reminder' | 'expired', at: string): Promise<boolean> {
    try {
      await this.table.create({ partitionKey: P.run(runId), rowKey: `reminder-${kind}`, at });
      return true;
    } catch (e) {
      if (e instanceof TableConflictError && e.status === 409) return false;
      throw e;
    }
  }

  async unmarkReminder(runId: string, kind: 'reminder' | 'expired'): Promise<void> {
    await this.table.delete(P.run(runId), `reminder-${kind}`);
  }

  ready(): boolean {
    return this.open;
  }

  async close(): Promise<void> {
    this.open = false;
  }
}

function toRecord(row: Row): ConversationRecord {
  return {
    conversationId: String(row.conversationId),
    conversationType: String(row.conversationType),
    reference: decodeBody<unknown>([row]),
    installedBy: typeof row.installedBy === 'string' ? row.installedBy : undefined,
    updatedAt: String(row.updatedAt),
  };
}
