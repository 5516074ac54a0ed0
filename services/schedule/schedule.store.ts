import type Database from 'better-sqlite3';

/** Appended to the store's MIGRATIONS (services/store/sqlite.store.ts). */
export const SCHEDULE_MIGRATION = `
  CREATE TABLE schedules (
    model TEXT PRIMARY KEY, cron TEXT NOT NULL, time_zone TEXT NOT NULL,
    owner_id TEXT NOT NULL, owner_name TEXT NOT NULL, conversation_id TEXT NOT NULL,
    next_due TEXT NOT NULL, firing_due TEXT, last_run_id TEXT, last_fired_at TEXT, created_at TEXT NOT NULL
  );`;

export interface ScheduleRecord {
  model: string;
  cron: string;
  timeZone: string;
  owner: { id: string; name: string };
  conversationId: string;
  /** The next occurrence (ISO, UTC). */
  nextDue: string;
  /** Set while a due occurrence is being started: a restart finishes it instead of skipping or doubling it. */
  firingDue: string | undefined;
  lastRunId: string | undefined;
  lastFiredAt: string | undefined;
}

/**
 * What the schedule service needs of a store: the SQLite store answers at once, the shared one
 * (services/store/azure-table/table-schedules.ts) with promises.
 */
export interface ScheduleStore {
  list(): ScheduleRecord[] | Promise<ScheduleRecord[]>;
  get(model: string): ScheduleRecord | undefined | Promise<ScheduleRecord | undefined>;
  put(s: Omit<ScheduleRecord, 'firingDue' | 'lastRunId' | 'lastFiredAt'>, now: string): void | Promise<void>;
  remove(model: string): boolean | Promise<boolean>;
  /** Claims a due occurrence: moves next_due on and marks it firing, only if nobody did already. */
  claim(model: string, expectedDue: string, nextDue: string): boolean | Promise<boolean>;
  fired(model: string, runId: string | undefined, at: string): void | Promise<void>;
}

interface Row {
  model: string; cron: string; time_zone: string; owner_id: string; owner_name: string; conversation_id: string;
  next_due: string; firing_due: string | null; last_run_id: string | null; last_fired_at: string | null;
}

const toRecord = (r: Row): ScheduleRecord => ({
  model: r.model, cron: r.cron, timeZone: r.time_zone, owner: { id: r.owner_id, name: r.owner_name }, conversationId: r.conversation_id,
  nextDue: r.next_due, firingDue: r.firing_due ?? undefined, lastRunId: r.last_run_id ?? undefined, lastFiredAt: r.last_fired_at ?? undefined,
});

/** One schedule per model, in the bot's SQLite file. */
export class SqliteScheduleStore implements ScheduleStore {
  constructor(private readonly db: () => Database.Database) {}

  list(): ScheduleRecord[] {
    return (this.db().prepare('SELECT * FROM schedules ORDER BY model').all() as Row[]).map(toRecord);
  }

  get(model: string): ScheduleRecord | undefined {
    const r = this.db().prepare('SELECT * FROM schedules WHERE model = ?').get(model) as Row | undefined;
    return r ? toRecord(r) : undefined;
  }

  put(s: Omit<ScheduleRecord, 'firingDue' | 'lastRunId' | 'lastFiredAt'>, now: string): void {
    this.db()
      .prepare(
        `INSERT INTO schedules (model, cron, time_zone, owner_id, owner_name, conversation_id, next_due, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(model) DO UPDATE SET cron = excluded.cron, time_zone = excluded.time_zone, owner_id = excluded.owner_id, owner_name = excluded.owner_name,
           conversation_id = excluded.conversation_id, next_due = excluded.next_due, firing_due = NULL`,
      )
      .run(s.model, s.cron, s.timeZone, s.owner.id, s.owner.name, s.conversationId, s.nextDue, now);
  }

  remove(model: string): boolean {
    return this.db().prepare('DELETE FROM schedules WHERE model = ?').run(model).changes === 1;
  }

  /** Claims a due occurrence: moves next_due on and marks it firing, only if nobody did already (one transaction). */
  claim(model: string, expectedDue: string, nextDue: string): boolean {
    return this.db().prepare('UPDATE schedules SET next_due = ?, firing_due = ? WHERE model = ? AND next_due = ? AND firing_due IS NULL').run(nextDue, expectedDue, model, expectedDue).changes === 1;
  }

  fired(model: string, runId: string | undefined, at: string): void {
    this.db().prepare('UPDATE schedules SET firing_due = NULL, last_run_id = COALESCE(?, last_run_id), last_fired_at = ? WHERE model = ?').run(runId ?? null, at, model);
  }
}
