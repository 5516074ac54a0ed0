import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ConversationRecord, Store } from './store';
import { statementCache } from './statement-cache';
import { RUN_MIGRATIONS, SqliteRunStore } from './sqlite-runs';
import { upgradeStoredRuns } from './run-upgrade';
import { SqliteWatchStore, WATCH_MIGRATION } from '../watch/watch.store';
import { SCHEDULE_MIGRATION, SqliteScheduleStore } from '../schedule/schedule.store';

/** SQL, or a function for a change SQL cannot express; each runs once, in order, in one transaction. */
type Migration = string | ((db: Database.Database) => void);

/** How many conversation rows the store keeps in memory (see `conversationRows`). */
const CONVERSATION_ROWS_KEPT = 2048;

const MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE conversations (
     conversation_id TEXT PRIMARY KEY,
     conversation_type TEXT NOT NULL,
     reference TEXT NOT NULL,
     installed_by TEXT,
     updated_at TEXT NOT NULL
   )`,
  ...RUN_MIGRATIONS,
  // Issue 10: reports of watched external pipeline/job runs, their messages, retries and poll points.
  WATCH_MIGRATION,
  // Issue 10: cron schedules of retraining.
  SCHEDULE_MIGRATION,
  // Issue 10: approval reminders and expiry notices already sent (one of each per run).
  `CREATE TABLE approval_reminders (run_id TEXT NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (run_id, kind));`,
  // Issue 8: the run's `ext` bag became typed per-stage records (ci, training, registered, deploy, relay).
  upgradeStoredRuns,
  // Issue 13: a run card reads what is live in each environment (the newest succeeded runs of one
  // target) through this index instead of parsing the model's last 200 succeeded runs. The
  // expression is the one listRuns writes for `target`, so SQLite uses the index for it.
  `CREATE INDEX runs_model_status_target ON runs(model, status, json_extract(body, '$.target'));`,
  // Issue 13, seventh round: the expression index cost every save of a run two json_extract calls
  // on its body and an index rewrite (~40 us of ~220 us per save). A run's target is fixed when it
  // is created, so it becomes a column written once, and its index is no longer touched by saves.
  `ALTER TABLE runs ADD COLUMN target TEXT;
   UPDATE runs SET target = json_extract(body, '$.target');
   DROP INDEX runs_model_status_target;
   CREATE INDEX runs_model_status_target ON runs(model, status, target);`,
];

interface ConversationRow {
  conversation_id: string;
  conversation_type: string;
  reference: string;
  installed_by: string | null;
  updated_at: string;
}

/** SQLite in WAL mode: every write is durable when the call returns, across restarts and kill -9. */
export class SqliteStore implements Store {
  private db: Database.Database | undefined;
  /** The run tables live in the same database file, so a transition and its outbox share one transaction. */
  readonly runs = new SqliteRunStore(
    () => this.conn,
    () => this.syncWal(),
  );
  private readonly sql = statementCache(() => this.conn);
  /** External-run watching (services/watch), in the same file. */
  readonly watch = new SqliteWatchStore(() => this.conn);
  /** Records a reminder of `kind` for a run; false if it was already sent (one per run and kind). */
  markReminder(runId: string, kind: 'reminder' | 'expired', at: string): boolean {
    return this.conn.prepare('INSERT OR IGNORE INTO approval_reminders (run_id, kind, at) VALUES (?, ?, ?)').run(runId, kind, at).changes === 1;
  }

  unmarkReminder(runId: string, kind: 'reminder' | 'expired'): void {
    this.conn.prepare('DELETE FROM approval_reminders WHERE run_id = ? AND kind = ?').run(runId, kind);
  }

  /** Every reminder mark (for the copy into a shared table). */
  listReminders(): Array<{ runId: string; kind: 'reminder' | 'expired'; at: string }> {
    return (this.conn.prepare('SELECT run_id, kind, at FROM approval_reminders ORDER BY run_id, kind').all() as Array<{ run_id: string; kind: 'reminder' | 'expired'; at: string }>).map((r) => ({ runId: r.run_id, kind: r.kind, at: r.at }));
  }

  /** Retraining schedules (services/schedule). */
  readonly schedules = new SqliteScheduleStore(() => this.conn);

  constructor(private readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    this.migrate(db);
    this.db = db;
  }

  private migrate(db: Database.Database): void {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
    const current = row?.version ?? 0;
    db.transaction(() => {
      for (let v = current; v < MIGRATIONS.length; v++) {
        const m = MIGRATIONS[v];
        if (typeof m === 'function') m(db);
        else if (m) db.exec(m);
      }
      if (row) db.prepare('UPDATE schema_version SET version = ?').run(MIGRATIONS.length);
      else db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(MIGRATIONS.length);
    })();
  }

  /**
   * The write-ahead log, opened once for its fsyncs: opening and closing it for every fsync cost
   * more than a third of a flush on the event loop (issue 13). Safe to keep: SQLite deletes the log
   * only when the last connection to the database closes, and this one is open until close().
   */
  private wal: FileHandle | undefined;

  /** fsync of the write-ahead log (in the thread pool): makes every commit written to it durable against power loss. */
  private async syncWal(): Promise<void> {
    if (this.path === ':memory:' || !this.db) return;
    if (!this.wal) {
      let log: FileHandle;
      try {
        log = await open(`${this.path}-wal`, 'r');
      } catch (e) {
        // No log file: nothing was written since it was checkpointed away (a checkpoint syncs both files).
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      // Two flushes may have opened it at once, or the store closed meanwhile: keep one, close the other.
      if (this.wal || !this.db) await log.close();
      else this.wal = log;
    }
    await this.wal?.sync();
  }

  private get conn(): Database.Database {
    if (!this.db) throw new Error('the store is closed');
    return this.db;
  }

  ready(): boolean {
    return this.db !== undefined;
  }

  async saveConversation(r: ConversationRecord): Promise<void> {
    this.sql(
      `INSERT INTO conversations (conversation_id, conversation_type, reference, installed_by, updated_at)
       VALUES (@id, @type, @ref, @by, @at)
       ON CONFLICT(conversation_id) DO UPDATE SET conversation_type = @type, reference = @ref,
         installed_by = COALESCE(@by, installed_by), updated_at = @at`,
    ).run({ id: r.conversationId, type: r.conversationType, ref: JSON.stringify(r.reference), by: r.installedBy ?? null, at: r.updatedAt });
    // The row as written (installed_by kept by COALESCE) is read back on its next use.
    this.conversationRows.delete(r.conversationId);
  }

  /**
   * Conversation rows as last read, by id (null: no such conversation). Every message turn and every
   * card sent reads its conversation (the reference, issue 13), and nearly always the same row.
   * Kept while no other connection has committed to the file: `PRAGMA data_version` "will be
   * different if changes were committed to the database by any other connection in the interim"
   * and does not move for this connection's own commits (sqlite.org/pragma.html#pragma_data_version),
   * which drop their row here instead. Another process or store on the same file therefore empties
   * it; no row is ever served after a change was committed. Rows, not records: each read parses its
   * own record, so a caller cannot alter what the next one gets. Bounded: the oldest row leaves.
   */
  private readonly conversationRows = new Map<string, ConversationRow | null>();
  private conversationRowsVersion: unknown;

  async getConversation(id: string): Promise<ConversationRecord | undefined> {
    const version = this.sql('PRAGMA data_version').pluck().get();
    if (version !== this.conversationRowsVersion) {
      this.conversationRows.clear();
      this.conversationRowsVersion = version;
    }
    let row = this.conversationRows.get(id);
    if (row === undefined) {
      row = (this.sql('SELECT * FROM conversations WHERE conversation_id = ?').get(id) as ConversationRow | undefined) ?? null;
      this.conversationRows.set(id, row);
      if (this.conversationRows.size > CONVERSATION_ROWS_KEPT) this.conversationRows.delete(this.conversationRows.keys().next().value as string);
    }
    return row ? toRecord(row) : undefined;
  }

  async listConversations(): Promise<ConversationRecord[]> {
    return (this.sql('SELECT * FROM conversations ORDER BY updated_at').all() as ConversationRow[]).map(toRecord);
  }

  async removeConversation(id: string): Promise<void> {
    this.sql('DELETE FROM conversations WHERE conversation_id = ?').run(id);
    this.conversationRows.delete(id);
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
    // After the database: a flush under way finishes its fsync first (FileHandle.close waits for it).
    const wal = this.wal;
    this.wal = undefined;
    await wal?.close();
  }
}

function toRecord(row: ConversationRow): ConversationRecord {
  return {
    conversationId: row.conversation_id,
    conversationType: row.conversation_type,
    reference: JSON.parse(row.reference) as unknown,
    installedBy: row.installed_by ?? undefined,
    updatedAt: row.updated_at,
  };
}
