import type { ScheduleRecord, ScheduleStore } from '../../schedule/schedule.store';
import { TableConflictError, type AzureTable, type Row } from './table.client';
import { P, safeKey } from './table-keys';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function toRecord(r: Row): ScheduleRecord {
  return {
    model: String(r.model), cron: String(r.cron), timeZone: String(r.timeZone), owner: { id: String(r.ownerId), name: String(r.ownerName) }, conversationId: String(r.conversationId),
    nextDue: String(r.nextDue), firingDue: str(r.firingDue), lastRunId: str(r.lastRunId), lastFiredAt: str(r.lastFiredAt),
  };
}

/**
 * Retraining schedules in the shared table, one row per model. A due occurrence is claimed with
 * If-Match on the row read, so of several instances exactly one starts it (the SQLite store's
 * conditional UPDATE).
 */
export class TableScheduleStore implements ScheduleStore {
  constructor(private readonly table: AzureTable) {}

  async list(): Promise<ScheduleRecord[]> {
    return (await this.table.query(`PartitionKey eq '${P.schedules}'`)).map(toRecord).sort((a, b) => a.model.localeCompare(b.model));
  }

  async get(model: string): Promise<ScheduleRecord | undefined> {
    const r = await this.table.get(P.schedules, safeKey(model));
    return r ? toRecord(r) : undefined;
  }

  async put(s: Omit<ScheduleRecord, 'firingDue' | 'lastRunId' | 'lastFiredAt'>, now: string): Promise<void> {
    const existing = await this.table.get(P.schedules, safeKey(s.model));
    // Merge: the last run and when it fired survive an edit; a pending claim is dropped (as the SQLite store).
    await this.table.upsert({
      partitionKey: P.schedules, rowKey: safeKey(s.model), model: s.model, cron: s.cron, timeZone: s.timeZone, ownerId: s.owner.id, ownerName: s.owner.name,
      conversationId: s.conversationId, nextDue: s.nextDue, firingDue: '', createdAt: typeof existing?.createdAt === 'string' ? existing.createdAt : now,
    }, 'Merge');
  }

  async remove(model: string): Promise<boolean> {
    const r = await this.table.get(P.schedules, safeKey(model));
    if (!r) return false;
    await this.table.delete(P.schedules, r.rowKey);
    return true;
  }

  async claim(model: string, expectedDue: string, nextDue: string): Promise<boolean> {
    const r = await this.table.get(P.schedules, safeKey(model));
    if (!r || r.nextDue !== expectedDue || str(r.firingDue)) return false;
    try {
      await this.table.update({ partitionKey: P.schedules, rowKey: r.rowKey, nextDue, firingDue: expectedDue }, r.etag);
      return true;
    } catch (e) {
      if (e instanceof TableConflictError) return false;
      throw e;
    }
  }

  async fired(model: string, runId: string | undefined, at: string): Promise<void> {
    const r = await this.table.get(P.schedules, safeKey(model));
    if (!r) return;
    await this.table.update({ partitionKey: P.schedules, rowKey: r.rowKey, firingDue: '', lastFiredAt: at, ...(runId ? { lastRunId: runId } : {}) }, '*');
  }
}
