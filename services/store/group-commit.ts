import type Database from 'better-sqlite3';
import { statementCache } from './statement-cache';

/**
 * Deferred commits of the SQLite store (run-store SaveOptions) and the fsyncs that make them
 * durable. A deferred transaction runs with synchronous=NORMAL: in WAL mode it is written to the
 * log before the call returns (kill -9 keeps it) but not fsynced; the connection goes back to FULL
 * after it. One fsync of the log then makes every frame written before it durable, so callers
 * waiting at the same time share one (group commit), and it runs in libuv's thread pool, so the
 * event loop answers other requests meanwhile. SQLite's own checkpoints sync both files too.
 */
export class GroupCommit {
  /** Deferred commits made, and how many of them a finished fsync is known to cover. */
  private written = 0;
  private synced = 0;
  private syncing: Promise<void> | undefined;
  /** The two PRAGMA statements, compiled once (db.pragma() prepares its statement on every call). */
  private readonly sql: (sql: string) => Database.Statement;

  constructor(
    private readonly db: () => Database.Database,
    private readonly syncWal: () => Promise<void>,
  ) {
    this.sql = statementCache(db);
  }

  commit<T>(fn: () => T): T {
    const db = this.db();
    this.sql('PRAGMA synchronous = NORMAL').run();
    try {
      const out = db.transaction(fn)();
      this.written += 1;
      return out;
    } finally {
      this.sql('PRAGMA synchronous = FULL').run();
    }
  }

  /** Resolves once an fsync that started after every deferred commit made so far has finished. */
  async flush(): Promise<void> {
    const target = this.written;
    while (this.synced < target) {
      if (!this.syncing) {
        const upTo = this.written;
        this.syncing = this.syncWal()
          .then(() => {
            this.synced = Math.max(this.synced, upTo);
          })
          .finally(() => {
            this.syncing = undefined;
          });
      }
      await this.syncing;
    }
  }
}
