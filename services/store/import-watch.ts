import type { SqliteStore } from './sqlite.store';
import type { AzureTableStore } from './azure-table/azure-table.store';

export interface WatchImportCounts {
  watchReports: number;
  watchMessages: number;
  watchRetries: number;
  watchCursors: number;
  reminders: number;
}

/**
 * The rest of the switch from SQLite (services/store/import-state.ts): external-run reports with
 * their versions (what was announced stays announced, what was not is announced by the new
 * leader), the Teams messages that show them (so the next version updates those cards instead of
 * posting new ones), the retries the bot queued, the pollers' last-seen points (so the first poll
 * on the table does not report old builds again) and the approval reminders already sent (so
 * none is sent twice). Safe to run again: a report already in the table and a cursor the table
 * has already moved are left alone.
 */
export async function importWatchState(from: SqliteStore, to: AzureTableStore): Promise<WatchImportCounts> {
  const n: WatchImportCounts = { watchReports: 0, watchMessages: 0, watchRetries: 0, watchCursors: 0, reminders: 0 };
  const dump = from.watch.dump();
  const copied = new Set<string>();
  for (const r of dump.reports) {
    if (!(await to.watch.importReport(r, r.createdAt))) continue;
    copied.add(r.report.key);
    n.watchReports++;
  }
  // Messages only with the report they show: the table's messages of a report left alone stay its own.
  for (const m of dump.messages.filter((x) => copied.has(x.key))) {
    await to.watch.setMessage(m.key, m.conversationId, m.activityId, m.version);
    n.watchMessages++;
  }
  for (const r of dump.retries) {
    if ((await to.watch.retryOf(r.source, r.runId)) !== undefined) continue;
    await to.watch.addRetry(r.source, r.runId, r.originalKey);
    n.watchRetries++;
  }
  for (const c of dump.cursors) {
    if ((await to.watch.getCursor(c.name)) !== undefined) continue;
    await to.watch.setCursor(c.name, c.value);
    n.watchCursors++;
  }
  for (const r of from.listReminders()) if (await to.markReminder(r.runId, r.kind, r.at)) n.reminders++;
  return n;
}
