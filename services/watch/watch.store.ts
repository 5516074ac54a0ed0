import type Database from 'better-sqlite3';
import type { ExternalRunReport, WatchSource } from './watch.types';

/** Appended to the store's MIGRATIONS (services/store/sqlite.store.ts). */
export const WATCH_MIGRATION = `
  CREATE TABLE watch_reports (
    key TEXT PRIMARY KEY, source TEXT NOT NULL, run_id INTEGER NOT NULL, body TEXT NOT NULL,
    version INTEGER NOT NULL, announced_version INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
  );
  CREATE INDEX watch_reports_unannounced ON watch_reports(announced_version, version);
  CREATE TABLE watch_messages (
    key TEXT NOT NULL, conversation_id TEXT NOT NULL, activity_id TEXT NOT NULL, version INTEGER NOT NULL,
    PRIMARY KEY (key, conversation_id)
  );
  CREATE TABLE watch_retries (source TEXT NOT NULL, run_id INTEGER NOT NULL, original_key TEXT NOT NULL, PRIMARY KEY (source, run_id));
  CREATE TABLE watch_cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL);`;

export interface StoredReport {
  report: ExternalRunReport;
  version: number;
  announcedVersion: number;
}

/** Everything a SQLite watch store holds, for the copy into a shared table (services/store/import-watch.ts). */
export interface WatchDump {
  reports: Array<StoredReport & { createdAt: string }>;
  messages: Array<{ key: string; conversationId: string; activityId: string; version: number }>;
  retries: Array<{ source: WatchSource; runId: number; originalKey: string }>;
  cursors: Array<{ name: string; value: string }>;
}

/**
 * Durable state of external-run watching: one report per run (the dedupe key), which Teams
 * messages show it, the retries the bot queued, and the pollers' last-seen points. SQLite (same
 * file as the runs) or Azure Tables (shared by every instance: services/store/azure-table/table-watch.ts).
 */
export interface WatchStore {
  getReport(key: string): Promise<StoredReport | undefined>;
  /** Inserts a new report; false when one with this key exists (a duplicate or late delivery). */
  insertReport(report: ExternalRunReport, now: string): Promise<boolean>;
  /** Replaces the body if the version is still `expected`; false when someone else changed it. */
  updateReport(report: ExternalRunReport, expected: number, now: string): Promise<boolean>;
  unannounced(limit?: number): Promise<StoredReport[]>;
  markAnnounced(key: string, version: number): Promise<void>;
  /** Newest first. */
  listReports(limit?: number): Promise<ExternalRunReport[]>;
  messages(key: string): Promise<Array<{ conversationId: string; activityId: string; version: number }>>;
  setMessage(key: string, conversationId: string, activityId: string, version: number): Promise<void>;
  addRetry(source: WatchSource, runId: number, originalKey: string): Promise<void>;
  retryOf(source: WatchSource, runId: number): Promise<string | undefined>;
  /** Whether a run of the bot's own workflow used this pipeline run or job run (those have run cards already). */
  isBotRun(source: WatchSource, runId: number): Promise<boolean>;
  getCursor(name: string): Promise<string | undefined>;
  setCursor(name: string, value: string): Promise<void>;
}

/** The SQLite watch store: the same file as the runs, so a restart neither forgets a report nor repeats one. */
export class SqliteWatchStore implements WatchStore {
  constructor(private readonly db: () => Database.Database) {}

  async getReport(key: string): Promise<StoredReport | undefined> {
    const row = this.db().prepare('SELECT body, version, announced_version FROM watch_reports WHERE key = ?').get(key) as { body: string; version: number; announced_version: number } | undefined;
    return row ? { report: JSON.parse(row.body) as ExternalRunReport, version: row.version, announcedVersion: row.announced_version } : undefined;
  }

  async insertReport(report: ExternalRunReport, now: string): Promise<boolean> {
    const r = this.db().prepare('INSERT OR IGNORE INTO watch_reports (key, source, run_id, body, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)').run(report.key, report.source, report.runId, JSON.stringify(report), now, now);
    return r.changes === 1;
  }

  /** Replaces the body if the version is still `expected`; false when someone else changed it. */
  async updateReport(report: ExternalRunReport, expected: number, now: string): Promise<boolean> {
    const r = this.db().prepare('UPDATE watch_reports SET body = ?, version = version + 1, updated_at = ? WHERE key = ? AND version = ?').run(JSON.stringify(report), now, report.key, expected);
    return r.changes === 1;
  }

  async unannounced(limit = 50): Promise<StoredReport[]> {
    const rows = this.db().prepare('SELECT body, version, announced_version FROM watch_reports WHERE announced_version < version ORDER BY created_at LIMIT ?').all(limit) as Array<{ body: string; version: number; announced_version: number }>;
    return rows.map((r) => ({ report: JSON.parse(r.body) as ExternalRunReport, version: r.version, announcedVersion: r.announced_version }));
  }

  async markAnnounced(key: string, version: number): Promise<void> {
    this.db().prepare('UPDATE watch_reports SET announced_version = MAX(announced_version, ?) WHERE key = ?').run(version, key);
  }

  async listReports(limit = 20): Promise<ExternalRunReport[]> {
    return (this.db().prepare('SELECT body FROM watch_reports ORDER BY created_at DESC LIMIT ?').all(limit) as Array<{ body: string }>).map((r) => JSON.parse(r.body) as ExternalRunReport);
  }

  async messages(key: string): Promise<Array<{ conversationId: string; activityId: string; version: number }>> {
    return (this.db().prepare('SELECT conversation_id, activity_id, version FROM watch_messages WHERE key = ?').all(key) as Array<{ conversation_id: string; activity_id: string; version: number }>).map((r) => ({ conversationId: r.conversation_id, activityId: r.activity_id, version: r.version }));
  }

  async setMessage(key: string, conversationId: string, activityId: string, version: number): Promise<void> {
    this.db().prepare('INSERT OR REPLACE INTO watch_messages (key, conversation_id, activity_id, version) VALUES (?, ?, ?, ?)').run(key, conversationId, activityId, version);
  }

  async addRetry(source: WatchSource, runId: number, originalKey: string): Promise<void> {
    this.db().prepare('INSERT OR REPLACE INTO watch_retries (source, run_id, original_key) VALUES (?, ?, ?)').run(source, runId, originalKey);
  }

  async retryOf(source: WatchSource, runId: number): Promise<string | undefined> {
    return (this.db().prepare('SELECT original_key FROM watch_retries WHERE source = ? AND run_id = ?').get(source, runId) as { original_key: string } | undefined)?.original_key;
  }

  /** Whether a run of the bot's own workflow used this pipeline run or job run (those have run cards already). */
  async isBotRun(source: WatchSource, runId: number): Promise<boolean> {
    // A relay run mirrors a CD pipeline run with its own card, so that pipeline run counts as the bot's too.
    const where = source === 'azure-devops' ? "COALESCE(json_extract(body, '$.ci.devopsRunId'), json_extract(body, '$.relay.devopsRunId'))" : "json_extract(body, '$.training.databricksRunId')";
    return !!this.db().prepare(`SELECT 1 FROM runs WHERE ${where} = ? LIMIT 1`).get(runId);
  }

  /** Every row, oldest report first (a one-off copy: not paged). */
  dump(): WatchDump {
    const db = this.db();
    const reports = (db.prepare('SELECT body, version, announced_version, created_at FROM watch_reports ORDER BY created_at, key').all() as Array<{ body: string; version: number; announced_version: number; created_at: string }>)
      .map((r) => ({ report: JSON.parse(r.body) as ExternalRunReport, version: r.version, announcedVersion: r.announced_version, createdAt: r.created_at }));
    const messages = (db.prepare('SELECT key, conversation_id, activity_id, version FROM watch_messages ORDER BY key, conversation_id').all() as Array<{ key: string; conversation_id: string; activity_id: string; version: number }>)
      .map((r) => ({ key: r.key, conversationId: r.conversation_id, activityId: r.activity_id, version: r.version }));
    const retries = (db.prepare('SELECT source, run_id, original_key FROM watch_retries ORDER BY source, run_id').all() as Array<{ source: WatchSource; run_id: number; original_key: string }>)
      .map((r) => ({ source: r.source, runId: r.run_id, originalKey: r.original_key }));
    const cursors = db.prepare('SELECT name, value FROM watch_cursors ORDER BY name').all() as Array<{ name: string; value: string }>;
    return { reports, messages, retries, cursors };
  }

  async getCursor(name: string): Promise<string | undefined> {
    return (this.db().prepare('SELECT value FROM watch_cursors WHERE name = ?').get(name) as { value: string } | undefined)?.value;
  }

  async setCursor(name: string, value: string): Promise<void> {
    this.db().prepare('INSERT OR REPLACE INTO watch_cursors (name, value) VALUES (?, ?)').run(name, value);
  }
}
