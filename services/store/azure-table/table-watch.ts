import { odata } from '@azure/data-tables';
import type { RunRecord } from '../../workflow/run.types';
import type { ExternalRunReport, WatchSource } from '../../watch/watch.types';
import type { StoredReport, WatchStore } from '../../watch/watch.store';
import { BodyTooLargeError, decodeBody, encodeBody } from './body-codec';
import { TableConflictError, type AzureTable, type Row } from './table.client';
import { safeKey } from './table-keys';

/** Partitions of the watch rows (docs/scale-out.md, "Key layout"). */
export const W = {
  /** One row per report: body, version, announced version and `pending` while announced < version. */
  reports: 'watchreport',
  /** Teams messages of a report: `<key>|<conversation>`. */
  messages: 'watchmsg',
  /** Retries the bot queued: `<source>-<run id>` → the original report's key. */
  retries: 'watchretry',
  cursors: 'watchcursor',
  /** Pipeline and job runs of the bot's own runs (written by AzureRunStore before the run names them). */
  botRuns: 'botrun',
} as const;

export const botRunKey = (source: WatchSource, runId: number): string => `${source}-${runId}`;

/** The external ids a run record names: its marker rows, so that the watch never reports the bot's own runs. */
export function botRunKeys(run: RunRecord): string[] {
  const keys: string[] = [];
  const devops = run.ci?.devopsRunId ?? run.relay?.devopsRunId;
  if (devops !== undefined) keys.push(botRunKey('azure-devops', devops));
  if (run.training?.databricksRunId !== undefined) keys.push(botRunKey('databricks', run.training.databricksRunId));
  return keys;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));

/**
 * Watch reports in the shared table, so that every instance sees the same reports (a Retry click
 * or a webhook may land on any instance) and a new leader neither repeats nor loses one. A report
 * is inserted once (409 → a duplicate), changed with If-Match on the version read (the SQLite
 * store's version check), and carries `pending` while it has not been announced at its version,
 * which is what the announcer queries.
 */
export class TableWatchStore implements WatchStore {
  constructor(private readonly table: AzureTable) {}

  private stored(row: Row): StoredReport {
    return { report: decodeBody<ExternalRunReport>([row]), version: num(row.version), announcedVersion: num(row.announced) };
  }

  private body(report: ExternalRunReport): Record<string, Uint8Array | number> {
    const rows = encodeBody(`watch report ${report.key}`, report);
    const [first] = rows;
    if (!first || rows.length > 1) throw new BodyTooLargeError(`watch report ${report.key}`, rows.length);
    return first;
  }

  async getReport(key: string): Promise<StoredReport | undefined> {
    const row = await this.table.get(W.reports, safeKey(key));
    return row ? this.stored(row) : undefined;
  }

  async insertReport(report: ExternalRunReport, now: string): Promise<boolean> {
    try {
      await this.table.create({ partitionKey: W.reports, rowKey: safeKey(report.key), key: report.key, source: report.source, runId: report.runId, version: 1, announced: 0, pending: true, createdAt: now, updatedAt: now, ...this.body(report) });
      return true;
    } catch (e) {
      if (e instanceof TableConflictError && e.status === 409) return false;
      throw e;
    }
  }

  /** A report copied from another store with its version and announced version; false when the key exists. */
  async importReport(stored: StoredReport, createdAt: string): Promise<boolean> {
    const { report, version, announcedVersion } = stored;
    try {
      await this.table.create({ partitionKey: W.reports, rowKey: safeKey(report.key), key: report.key, source: report.source, runId: report.runId, version, announced: announcedVersion, pending: announcedVersion < version, createdAt, updatedAt: createdAt, ...this.body(report) });
      return true;
    } catch (e) {
      if (e instanceof TableConflictError && e.status === 409) return false;
      throw e;
    }
  }

  /**
   * Version-checked like the SQLite store: false only when the version moved. The row's ETag also
   * changes when an announcement is marked (markAnnounced), which is not a change of the report, so
   * a 412 with the version still `expected` reads the row again and tries once more.
   */
  async updateReport(report: ExternalRunReport, expected: number, now: string): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const row = await this.table.get(W.reports, safeKey(report.key));
      if (!row || num(row.version) !== expected) return false;
      try {
        await this.table.update({ partitionKey: W.reports, rowKey: row.rowKey, key: report.key, source: report.source, runId: report.runId, version: expected + 1, announced: num(row.announced), pending: true, createdAt: String(row.createdAt), updatedAt: now, ...this.body(report) }, row.etag, 'Replace');
        return true;
      } catch (e) {
        if (!(e instanceof TableConflictError)) throw e;
      }
    }
    return false;
  }

  async unannounced(limit = 50): Promise<StoredReport[]> {
    const rows = await this.table.query(odata`PartitionKey eq ${W.reports} and pending eq true`);
    return rows.map((r) => this.stored(r)).filter((s) => s.announcedVersion < s.version).sort((a, b) => a.report.key.localeCompare(b.report.key)).slice(0, limit);
  }

  async markAnnounced(key: string, version: number): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const row = await this.table.get(W.reports, safeKey(key));
      if (!row) return;
      const announced = Math.max(num(row.announced), version);
      try {
        await this.table.update({ partitionKey: W.reports, rowKey: row.rowKey, announced, pending: announced < num(row.version) }, row.etag, 'Merge');
        return;
      } catch (e) {
        if (!(e instanceof TableConflictError)) throw e;
      }
    }
  }

  async listReports(limit = 20): Promise<ExternalRunReport[]> {
    const rows = await this.table.query(odata`PartitionKey eq ${W.reports}`);
    return rows.sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt))).slice(0, limit).map((r) => this.stored(r).report);
  }

  async messages(key: string): Promise<Array<{ conversationId: string; activityId: string; version: number }>> {
    const rows = await this.table.query(odata`PartitionKey eq ${W.messages} and key eq ${key}`);
    return rows.map((r) => ({ conversationId: String(r.conversationId), activityId: String(r.activityId), version: num(r.version) }));
  }

  async setMessage(key: string, conversationId: string, activityId: string, version: number): Promise<void> {
    await this.table.upsert({ partitionKey: W.messages, rowKey: `${safeKey(key)}|${safeKey(conversationId)}`, key, conversationId, activityId, version }, 'Replace');
  }

  async addRetry(source: WatchSource, runId: number, originalKey: string): Promise<void> {
    await this.table.upsert({ partitionKey: W.retries, rowKey: botRunKey(source, runId), originalKey }, 'Replace');
  }

  async retryOf(source: WatchSource, runId: number): Promise<string | undefined> {
    const row = await this.table.get(W.retries, botRunKey(source, runId));
    return typeof row?.originalKey === 'string' ? row.originalKey : undefined;
  }

  async isBotRun(source: WatchSource, runId: number): Promise<boolean> {
    return (await this.table.get(W.botRuns, botRunKey(source, runId))) !== undefined;
  }

  async getCursor(name: string): Promise<string | undefined> {
    const row = await this.table.get(W.cursors, safeKey(name));
    return typeof row?.value === 'string' ? row.value : undefined;
  }

  async setCursor(name: string, value: string): Promise<void> {
    await this.table.upsert({ partitionKey: W.cursors, rowKey: safeKey(name), value }, 'Replace');
  }
}
