import type { SqliteStore } from './sqlite.store';
import type { AzureTableStore } from './azure-table/azure-table.store';
import type { ImportedOutboxItem } from './azure-table/azure-runs.store';
import type { OutboxItem, ParkedOutboxItem } from '../workflow/run-store';
import { importWatchState, type WatchImportCounts } from './import-watch';

export interface ImportCounts extends WatchImportCounts {
  runs: number;
  skippedRuns: number;
  announcements: number;
  parkedAnnouncements: number;
  auditLines: number;
  subscriptions: number;
  conversations: number;
  schedules: number;
}

/**
 * Copies the state of a SQLite store into an Azure table (the switch of docs/deploy-azure.md):
 * every run with its id, version, audit lines, card messages and undelivered announcements (parked
 * ones stay parked), then subscriptions, conversation references, schedules, and the watch state
 * and reminder marks (./import-watch). Runs already in the table are left alone, so it can be run
 * again after a partial copy.
 */
export async function importState(from: SqliteStore, to: AzureTableStore, progress: (line: string) => void = () => undefined): Promise<ImportCounts> {
  const n: ImportCounts = { runs: 0, skippedRuns: 0, announcements: 0, parkedAnnouncements: 0, auditLines: 0, subscriptions: 0, conversations: 0, schedules: 0, watchReports: 0, watchMessages: 0, watchRetries: 0, watchCursors: 0, reminders: 0 };
  const pending = await from.runs.pendingOutbox(1_000_000, Number.MAX_SAFE_INTEGER);
  const parked = (await from.runs.parkedOutbox(1_000_000)).items;
  // Every undelivered item of a run, in the order it was written (parked ones included, marked).
  const undelivered: Array<OutboxItem & { parked?: ParkedOutboxItem }> = [...pending, ...parked.map((p) => ({ ...p, parked: p }))].sort((a, b) => a.id - b.id);
  // Oldest first, page by page (the listing is newest first with a keyset cursor).
  const all = [];
  for (let before: string | undefined; ; ) {
    const page = await from.runs.listRuns({ limit: 500, ...(before ? { before } : {}) });
    all.push(...page);
    if (page.length < 500) break;
    before = page[page.length - 1]?.id;
  }
  for (const run of all.reverse()) {
    const outbox = undelivered.filter((o) => o.runId === run.id).map((o): ImportedOutboxItem => ({
      kind: o.kind,
      ...(o.payload !== undefined ? { payload: o.payload } : {}),
      ...(o.parked ? { parked: { attempts: o.parked.attempts, parkedAt: o.parked.parkedAt, lastError: o.parked.lastError } } : {}),
    }));
    if (!(await to.runs.importRun(run, outbox))) {
      n.skippedRuns++;
      continue;
    }
    n.runs++;
    n.parkedAnnouncements += outbox.filter((o) => o.parked).length;
    n.announcements += outbox.length - outbox.filter((o) => o.parked).length;
    for (const a of (await from.runs.listAudit({ runId: run.id, limit: 1_000_000 })).reverse()) {
      await to.runs.appendAudit(a);
      n.auditLines++;
    }
    for (const kind of ['runCard', 'approvalCard'] as const) {
      const m = await from.runs.getMessage(run.id, kind);
      if (m) await to.runs.setMessage(run.id, kind, m.conversationId, m.activityId);
    }
    if (n.runs % 100 === 0) progress(`${n.runs} runs copied`);
  }
  // Audit lines that name no run (subscribe, schedule, refusals before a run): once, noted by a row written after them.
  if (!(await to.table.get('counter', 'imported-audit'))) {
    for (const a of (await from.runs.listAudit({ limit: 1_000_000 })).filter((x) => !x.runId).reverse()) {
      await to.runs.appendAudit(a);
      n.auditLines++;
    }
    await to.table.upsert({ partitionKey: 'counter', rowKey: 'imported-audit', at: new Date().toISOString() }, 'Replace');
  }
  for (const s of await from.runs.listSubscriptions()) {
    await to.runs.putSubscription(s);
    n.subscriptions++;
  }
  for (const c of await from.listConversations()) {
    await to.saveConversation(c);
    n.conversations++;
  }
  for (const s of from.schedules.list()) {
    await to.schedules.put(s, new Date().toISOString());
    if (s.lastFiredAt) await to.schedules.fired(s.model, s.lastRunId, s.lastFiredAt);
    n.schedules++;
  }
  return { ...n, ...(await importWatchState(from, to)) };
}
