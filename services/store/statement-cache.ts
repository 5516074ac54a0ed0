import type Database from 'better-sqlite3';

/**
 * Prepared statements compiled once per connection: preparing on every call was a visible share
 * of each saveRun, outbox completion and conversation read (issue 13). better-sqlite3 statements
 * are reusable and every call is synchronous, so one statement per SQL text is enough.
 */
export function statementCache(db: () => Database.Database): (sql: string) => Database.Statement {
  let of: Database.Database | undefined;
  let statements = new Map<string, Database.Statement>();
  return (sql) => {
    const conn = db();
    if (conn !== of) {
      statements = new Map();
      of = conn;
    }
    let st = statements.get(sql);
    if (!st) {
      st = conn.prepare(sql);
      statements.set(sql, st);
    }
    return st;
  };
}
