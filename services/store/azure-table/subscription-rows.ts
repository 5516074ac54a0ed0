import { odata } from '@azure/data-tables';
import type { Subscription } from '../../workflow/run-store';
import type { AzureTable } from './table.client';
import { P, safeKey } from './table-keys';

/** Subscriptions: one partition, one row per (model, conversation); the values live in properties. */
export class SubscriptionRows {
  constructor(private readonly table: AzureTable) {}

  private key(model: string, conversationId: string): string {
    return `${safeKey(model)}|${safeKey(conversationId)}`;
  }

  async list(model?: string): Promise<Subscription[]> {
    const filter = model ? odata`PartitionKey eq ${P.subs} and (model eq ${model} or model eq '*')` : odata`PartitionKey eq ${P.subs}`;
    const rows = await this.table.query(filter);
    return rows.map((r) => ({ conversationId: String(r.conversationId), model: String(r.model), events: JSON.parse(String(r.events)) as Subscription['events'] }));
  }

  async put(s: Subscription): Promise<void> {
    await this.table.upsert({ partitionKey: P.subs, rowKey: this.key(s.model, s.conversationId), conversationId: s.conversationId, model: s.model, events: JSON.stringify(s.events) }, 'Replace');
  }

  async remove(conversationId: string, model?: string): Promise<number> {
    const rows = await this.table.query(model ? odata`PartitionKey eq ${P.subs} and conversationId eq ${conversationId} and model eq ${model}` : odata`PartitionKey eq ${P.subs} and conversationId eq ${conversationId}`);
    for (const r of rows) await this.table.delete(P.subs, r.rowKey);
    return rows.length;
  }
}
