import type Database from 'better-sqlite3';
import type { AuditEntry, OutboxItem, OutboxRetryPolicy, ParkedOutboxItem, RunFilter, RunStore, SaveOptions, Subscription, TransitionEffects } from '../workflow/run-store';
import { VersionConflictError } from '../workflow/run-store';
import { statementCache } from './statement-cache';
import { GroupCommit } from './group-commit';
import { FINAL_STATUSES, type RunRecord } from '../workflow/run.types';

export const RUN_MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     model TEXT NOT NULL,
     status TEXT NOT NULL,
     active INTEGER NOT NULL,
     requester_id TEXT NOT NULL,
     version INTEGER NOT NULL,
     body TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX runs_active ON runs(active, model);
   CREATE TABLE audit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, run_id TEXT, outcome TEXT NOT NULL, detail TEXT NOT NULL
   );
   CREATE INDEX audit_run ON audit(run_id);
   CREATE TABLE outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     run_id TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT, created_at TEXT NOT NULL, done_at TEXT
   );
   CREATE INDEX outbox_pending ON outbox(done_at, id);
   CREATE TABLE messages (
     run_id TEXT NOT NULL, kind TEXT NOT NULL, conversation_id TEXT NOT NULL, activity_id TEXT NOT NULL,
     PRIMARY KEY (run_id, kind)
   );
   CREATE TABLE subscriptions (
     conversation_id TEXT NOT NULL, model TEXT NOT NULL, events TEXT NOT NULL,
     PRIMARY KEY (conversation_id, model)
   );`,
  // Issue 8: outbox kinds became domain events; pending items of older stores keep their meaning.
  `UPDATE outbox SET kind = CASE kind WHEN 'runCard' THEN 'progress' WHEN 'approvalCard' THEN 'approvalUpdated' WHEN 'failureCard' THEN 'failed' ELSE kind END;`,
  // Undeliverable announcements: counted, backed off, parked after a bound (never deleted).
  `ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE outbox ADD COLUMN next_at INTEGER;
   ALTER TABLE outbox ADD COLUMN parked_at TEXT;
   ALTER TABLE outbox ADD COLUMN last_error TEXT;
   CREATE INDEX outbox_parked ON outbox(parked_at);`,
  // Issue 13: the pending approvals of a model (openApproval, /approvals) are found through an
  // index instead of listing and parsing every active run of it.
  `CREATE INDEX runs_status_model ON runs(status, model);`,
];

interface OutboxRow {
  id: number;
  run_id: string;
  kind: OutboxItem['kind'];
  payload: string | null;
  created_at: string;
  attempts: number;
  parked_at: string | null;
  last_error: string | null;
}
const outboxItem = (r: OutboxRow): OutboxItem => ({ id: r.id, runId: r.run_id, kind: r.kind, payload: r.payload ?? undefined, createdAt: r.created_at, attempts: r.attempts });

/** The run tables of the SQLite store. All multi-row writes are single transactions. */
export class SqliteRunStore implements RunStore {
  /** Prepared once per connection (see statement-cache). */
  private readonly sql: (text: string) => Database.Statement;

  /** Deferred commits and the fsyncs that make them durable (SaveOptions). */
  private readonly deferred: GroupCommit;

  /** `syncWal` fsyncs the write-ahead log off the event loop (SqliteStore knows its file). */
  constructor(
    private readonly db: () => Database.Database,
    syncWal: () => Promise<void> = async () => undefined,
  ) {
    this.deferred = new GroupCommit(db, syncWal);
    this.sql = statementCache(db);
  }

  private effects(runId: string, e: TransitionEffects | undefined, now: string): void {
    for (const a of e?.audit ?? []) this.insertAudit({ ...a, runId: a.runId ?? runId });
    const ins = this.sql('INSERT INTO outbox (run_id, kind, payload, created_at) VALUES (?, ?, ?, ?)');
    for (const o of e?.outbox ?? []) ins.run(runId, o.kind, o.payload ?? null, now);
  }

  private insertAudit(a: AuditEntry): void {
    this.sql('INSERT INTO audit (at, actor, action, run_id, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)').run(a.at, a.actor, a.action, a.runId ?? null, a.outcome, JSON.stringify(a.detail));
  }

  async createRun(run: Omit<RunRecord, 'id' | 'version'>, effects?: TransitionEffects, options?: SaveOptions): Promise<RunRecord> {
    return this.commit(!!options?.deferSync, () => {
      const seq = (this.sql("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM runs").get() as { n: number }).n;
      const full: RunRecord = { ...run, id: `r-${seq}`, version: 1 };
      this.sql('INSERT INTO runs (seq, id, model, status, active, requester_id, version, body, created_at, updated_at, target) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
        seq, full.id, full.model, full.status, FINAL_STATUSES.has(full.status) ? 0 : 1, full.requester.id, 1, JSON.stringify(full), full.createdAt, full.updatedAt, full.target,
      );
      this.effects(full.id, effects, full.updatedAt);
      return full;
    });
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = this.sql('SELECT body FROM runs WHERE id = ?').get(id) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as RunRecord) : undefined;
  }

  async listRuns(f: RunFilter): Promise<RunRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      where.push(clause);
      args.push(value);
    };
    if (f.model) add('model = ?', f.model);
    if (f.active !== undefined) add('active = ?', f.active ? 1 : 0);
    if (f.requesterId) add('requester_id = ?', f.requesterId);
    if (f.status) add('status = ?', f.status);
    if (f.requesterObjectId) add("lower(json_extract(body, '$.requester.aadObjectId')) = lower(?)", f.requesterObjectId);
    if (f.requesterName) add("lower(json_extract(body, '$.requester.name')) = lower(?)", f.requesterName);
    if (f.target) add('target = ?', f.target);
    // Keyset paging: runs older than the cursor run (seq is the listing order), stable under inserts.
    if (f.before) add('seq < (SELECT seq FROM runs WHERE id = ?)', f.before);
    const sql = `SELECT body FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    const rows = this.sql(sql).all(...args, f.limit ?? 1000) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as RunRecord);
  }

  async findRunByDevOpsApproval(approvalId: string): Promise<RunRecord | undefined> {
    const row = this.sql("SELECT body FROM runs WHERE json_extract(body, '$.approval.devopsApprovalId') = ? ORDER BY seq LIMIT 1").get(approvalId) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as RunRecord) : undefined;
  }

  async saveRun(run: RunRecord, effects?: TransitionEffects, options?: SaveOptions): Promise<RunRecord> {
    return this.commit(!!options?.deferSync, () => {
      const next: RunRecord = { ...run, version: run.version + 1 };
      const res = this.sql('UPDATE runs SET status = ?, active = ?, version = ?, body = ?, updated_at = ? WHERE id = ? AND version = ?').run(next.status, FINAL_STATUSES.has(next.status) ? 0 : 1, next.version, JSON.stringify(next), next.updatedAt, run.id, run.version);
      if (res.changes !== 1) throw new VersionConflictError(run.id, run.version);
      this.effects(run.id, effects, next.updatedAt);
      return next;
    });
  }

  async listAudit(f: { runId?: string; limit?: number }): Promise<AuditEntry[]> {
    const rows = (f.runId
      ? this.sql('SELECT * FROM audit WHERE run_id = ? ORDER BY id DESC LIMIT ?').all(f.runId, f.limit ?? 50)
      : this.sql('SELECT * FROM audit ORDER BY id DESC LIMIT ?').all(f.limit ?? 50)) as Array<{ at: string; actor: string; action: string; run_id: string | null; outcome: AuditEntry['outcome']; detail: string }>;
    return rows.map((r) => ({ at: r.at, actor: r.actor, action: r.action, runId: r.run_id ?? undefined, outcome: r.outcome, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.insertAudit(entry);
  }

  async pendingOutbox(limit = 100, now = Date.now()): Promise<OutboxItem[]> {
    const rows = this.sql('SELECT * FROM outbox WHERE done_at IS NULL AND parked_at IS NULL AND (next_at IS NULL OR next_at <= ?) ORDER BY id LIMIT ?').all(now, limit) as OutboxRow[];
    return rows.map(outboxItem);
  }

  async failOutbox(ids: readonly number[], error: string, policy: OutboxRetryPolicy, now: number): Promise<ParkedOutboxItem[]> {
    const db = this.db();
    const get = this.sql('SELECT * FROM outbox WHERE id = ? AND done_at IS NULL AND parked_at IS NULL');
    const park = this.sql('UPDATE outbox SET attempts = ?, parked_at = ?, last_error = ? WHERE id = ?');
    const later = this.sql('UPDATE outbox SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?');
    return db.transaction(() => {
      const parked: ParkedOutboxItem[] = [];
      for (const id of ids) {
        const row = get.get(id) as OutboxRow | undefined;
        if (!row) continue;
        const attempts = row.attempts + 1;
        if (attempts >= policy.maxAttempts) {
          const parkedAt = new Date(now).toISOString();
          park.run(attempts, parkedAt, error, id);
          parked.push({ ...outboxItem({ ...row, attempts }), parkedAt, lastError: error });
        } else {
          later.run(attempts, now + Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (attempts - 1)), error, id);
        }
      }
      return parked;
    })();
  }

  async parkedOutbox(limit = 20): Promise<{ count: number; items: ParkedOutboxItem[] }> {
    const { n } = this.sql('SELECT COUNT(*) AS n FROM outbox WHERE parked_at IS NOT NULL AND done_at IS NULL').get() as { n: number };
    const rows = this.sql('SELECT * FROM outbox WHERE parked_at IS NOT NULL AND done_at IS NULL ORDER BY id DESC LIMIT ?').all(limit) as OutboxRow[];
    return { count: n, items: rows.map((r) => ({ ...outboxItem(r), parkedAt: r.parked_at ?? '', lastError: r.last_error ?? '' })) };
  }

  async completeOutbox(ids: readonly number[]): Promise<void> {
    const stmt = this.sql('UPDATE outbox SET done_at = ? WHERE id = ?');
    const now = new Date().toISOString();
    // Deferred: lost to a power loss, the items are announced again (the latest state), never lost.
    this.commit(true, () => ids.forEach((id) => stmt.run(now, id)));
  }

  async flush(): Promise<void> {
    return this.deferred.flush();
  }

  /**
   * SQLite's own counters (sqlite.org/pragma.html#pragma_data_version, lang_corefunc.html#total_changes):
   * `data_version` changes when another connection (another process, another store on the same
   * file) commits; `total_changes()` counts every row this connection inserted, updated or deleted,
   * rolled back or not. Neither moves on reads. ≈ 3 µs for both.
   */
  changeStamp(): string {
    return `${String(this.sql('PRAGMA data_version').pluck().get())}:${String(this.sql('SELECT total_changes()').pluck().get())}`;
  }

  private commit<T>(deferred: boolean, fn: () => T): T {
    return deferred ? this.deferred.commit(fn) : this.db().transaction(fn)();
  }

  async getMessage(runId: string, kind: 'runCard' | 'approvalCard'): Promise<{ conversationId: string; activityId: string } | undefined> {
    const r = this.sql('SELECT conversation_id, activity_id FROM messages WHERE run_id = ? AND kind = ?').get(runId, kind) as { conversation_id: string; activity_id: string } | undefined;
    return r ? { conversationId: r.conversation_id, activityId: r.activity_id } : undefined;
  }

  async setMessage(runId: string, kind: 'runCard' | 'approvalCard', conversationId: string, activityId: string): Promise<void> {
    this.sql('INSERT OR REPLACE INTO messages (run_id, kind, conversation_id, activity_id) VALUES (?, ?, ?, ?)').run(runId, kind, conversationId, activityId);
  }

  async listSubscriptions(model?: string): Promise<Subscription[]> {
    const rows = (model
      ? this.sql("SELECT * FROM subscriptions WHERE model = ? OR model = '*'").all(model)
      : this.sql('SELECT * FROM subscriptions').all()) as Array<{ conversation_id: string; model: string; events: string }>;
    return rows.map((r) => ({ conversationId: r.conversation_id, model: r.model, events: JSON.parse(r.events) as Subscription['events'] }));
  }

  async putSubscription(s: Subscription): Promise<void> {
    this.sql('INSERT OR REPLACE INTO subscriptions (conversation_id, model, events) VALUES (?, ?, ?)').run(s.conversationId, s.model, JSON.stringify(s.events));
  }

  async removeSubscription(conversationId: string, model?: string): Promise<number> {
    const r = model
      ? this.sql('DELETE FROM subscriptions WHERE conversation_id = ? AND model = ?').run(conversationId, model)
      : this.sql('DELETE FROM subscriptions WHERE conversation_id = ?').run(conversationId);
    return r.changes;
  }
}
