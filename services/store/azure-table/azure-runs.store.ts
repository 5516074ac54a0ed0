import { W, botRunKeys } from './table-watch';
import type { TransactionAction } from '@azure/data-tables';
import type { AuditEntry, OutboxItem, OutboxRetryPolicy, ParkedOutboxItem, RunFilter, RunStore, Subscription, TransitionEffects } from '../../workflow/run-store';
import { VersionConflictError } from '../../workflow/run-store';
import { FINAL_STATUSES, type RunRecord } from '../../workflow/run.types';
import { AuditRows } from './audit-rows';
import { AzureOutbox } from './azure-outbox';
import { listRuns } from './run-listing';
import { HEAD, headOf, readRun, runActions, type RunHead } from './run-rows';
import { TableConflictError, type AzureTable } from './table.client';
import { indexKey, outboxKey, P, pad, safeKey, seqOf } from './table-keys';
import { SubscriptionRows } from './subscription-rows';

/** An announcement copied with its run; `parked` when it had spent its attempts in the store it came from. */
export interface ImportedOutboxItem {
  kind: OutboxItem['kind'];
  payload?: string;
  parked?: { attempts: number; parkedAt: string; lastError: string };
}

/**
 * The RunStore on Azure Tables. A transition is one entity-group transaction in the run's own
 * partition: the head updated with If-Match on the ETag that was read (the version check of the
 * SQLite store), its audit lines and its outbox items inserted. Rows in other partitions (the
 * listing index, the active and pending-outbox markers, the DevOps approval lookup) are written
 * before the transaction as supersets and checked against the run when read, so a crash between
 * the two writes leaves an extra marker, never a lost run or announcement.
 */
export class AzureRunStore implements RunStore {
  /** The ETag of each run's head as last seen here: a transition on a run just read costs no extra read. */
  private readonly heads = new Map<string, RunHead>();
  /** Bot-run markers already written by this instance (each is written once, before the run that names it). */
  private readonly botRunsWritten = new Set<string>();
  private readonly outbox: AzureOutbox;
  private readonly audit: AuditRows;
  private readonly subs: SubscriptionRows;

  constructor(private readonly table: AzureTable, private readonly now: () => number = Date.now) {
    this.outbox = new AzureOutbox(table, now);
    this.audit = new AuditRows(table, now);
    this.subs = new SubscriptionRows(table);
  }

  private remember(head: RunHead): void {
    this.heads.delete(head.id);
    this.heads.set(head.id, head);
    if (this.heads.size > 2000) this.heads.delete(this.heads.keys().next().value ?? '');
  }

  async createRun(run: Omit<RunRecord, 'id' | 'version'>, effects?: TransitionEffects): Promise<RunRecord> {
    const seq = await this.nextSeq();
    const full: RunRecord = { ...run, id: `r-${seq}`, version: 1 };
    // The index row and the active marker first: if the run's own write never happens, they point at nothing and readers skip them.
    await this.table.create({
      partitionKey: P.index, rowKey: indexKey(seq), runId: full.id, seq, model: full.model, requesterId: full.requester.id,
      requesterObjectId: (full.requester.aadObjectId ?? '').toLowerCase(), requesterName: full.requester.name.toLowerCase(), target: full.target, createdAt: full.createdAt,
    });
    if (!FINAL_STATUSES.has(full.status)) await this.table.upsert({ partitionKey: P.active, rowKey: full.id, runId: full.id, seq }, 'Replace');
    await this.commit(full, seq, undefined, effects);
    return full;
  }

  /**
   * Copies a run from another store with its id and version (services/store/import-state.ts): the
   * index row, the marker if unfinished, then the run with its undelivered announcements. A run that
   * is here already is left as it is (false), so an import can be run again.
   */
  /**
   * A run copied from another store with its id and version. Its undelivered announcements are
   * committed with it, numbered 1, 2, ... in order; those parked there stay parked here.
   */
  async importRun(run: RunRecord, outbox: ImportedOutboxItem[]): Promise<boolean> {
    const seq = seqOf(run.id);
    if (seq === undefined) throw new Error(`run id ${run.id} is not r-<number>`);
    if (await this.table.get(P.run(run.id), HEAD)) return false;
    await this.table.upsert({
      partitionKey: P.index, rowKey: indexKey(seq), runId: run.id, seq, model: run.model, requesterId: run.requester.id,
      requesterObjectId: (run.requester.aadObjectId ?? '').toLowerCase(), requesterName: run.requester.name.toLowerCase(), target: run.target, createdAt: run.createdAt,
    }, 'Replace');
    if (!FINAL_STATUSES.has(run.status)) await this.table.upsert({ partitionKey: P.active, rowKey: run.id, runId: run.id, seq }, 'Replace');
    for (let i = 0; i < outbox.length || i === 0; i += 90) await this.commitImported(run, seq, outbox.slice(i, i + 90).map((o) => ({ kind: o.kind, ...(o.payload !== undefined ? { payload: o.payload } : {}) })), i === 0);
    for (const [i, o] of outbox.entries()) if (o.parked) await this.outbox.parkImported(run.id, i + 1, o.parked);
    // New runs must number after the imported ones.
    for (;;) {
      const row = await this.table.get(P.counter, 'runs');
      const next = typeof row?.next === 'number' ? row.next : 0;
      if (next >= seq) break;
      try {
        if (row) await this.table.update({ partitionKey: P.counter, rowKey: 'runs', next: seq }, row.etag, 'Replace');
        else await this.table.create({ partitionKey: P.counter, rowKey: 'runs', next: seq });
      } catch (e) {
        if (!(e instanceof TableConflictError)) throw e;
      }
    }
    return true;
  }

  private async commitImported(run: RunRecord, seq: number, outbox: Array<{ kind: OutboxItem['kind']; payload?: string }>, first: boolean): Promise<void> {
    if (first) return this.commit(run, seq, undefined, { outbox });
    const row = await this.table.get(P.run(run.id), HEAD);
    // The same version again: a second batch of the run's announcements (a transaction holds at most 100).
    if (row) await this.commit(run, seq, headOf(row), { outbox });
  }

  /** Run numbers from one counter row, bumped with If-Match; a lost race reads again. */
  private async nextSeq(): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const row = await this.table.get(P.counter, 'runs');
      const next = (typeof row?.next === 'number' ? row.next : 0) + 1;
      try {
        if (row) await this.table.update({ partitionKey: P.counter, rowKey: 'runs', next }, row.etag, 'Replace');
        else await this.table.create({ partitionKey: P.counter, rowKey: 'runs', next });
        return next;
      } catch (e) {
        if (!(e instanceof TableConflictError) || attempt >= 50) throw e;
        await new Promise((r) => setTimeout(r, Math.random() * 20 * Math.min(attempt + 1, 10)));
      }
    }
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    if (seqOf(id) === undefined) return undefined;
    const found = await readRun(this.table, id);
    if (found) this.remember(found.head);
    return found?.run;
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    return listRuns(this.table, filter, (h) => this.remember(h), this.now);
  }

  async findRunByDevOpsApproval(approvalId: string): Promise<RunRecord | undefined> {
    const key = safeKey(approvalId);
    const rows = await this.table.query(`PartitionKey eq '${P.devops}' and RowKey ge '${key}|' and RowKey lt '${key}}'`);
    // Oldest first (as the SQLite store), and only a run that really carries this approval.
    for (const row of rows.sort((a, b) => a.rowKey.localeCompare(b.rowKey))) {
      const run = await this.getRun(String(row.runId));
      if (run?.approval?.devopsApprovalId === approvalId) return run;
    }
    return undefined;
  }

  async saveRun(run: RunRecord, effects?: TransitionEffects): Promise<RunRecord> {
    let prev = this.heads.get(run.id);
    if (!prev || prev.version !== run.version) {
      const row = seqOf(run.id) === undefined ? undefined : await this.table.get(P.run(run.id), HEAD);
      prev = row ? headOf(row) : undefined;
    }
    if (!prev || prev.version !== run.version) throw new VersionConflictError(run.id, run.version);
    const next: RunRecord = { ...run, version: run.version + 1 };
    await this.commit(next, prev.seq, prev, effects);
    return next;
  }

  private async commit(run: RunRecord, seq: number, prev: RunHead | undefined, effects: TransitionEffects | undefined): Promise<void> {
    const outbox = effects?.outbox ?? [];
    const audits = (effects?.audit ?? []).map((a) => ({ ...a, runId: a.runId ?? run.id }));
    const devops = run.approval?.devopsApprovalId ?? prev?.devopsApprovalId ?? '';
    if (outbox.length) await this.outbox.markPending(run.id);
    // Before the transition, like the index row: the external run exists once a step has its id, whether or not this write wins.
    for (const key of botRunKeys(run)) {
      if (this.botRunsWritten.has(key)) continue;
      await this.table.upsert({ partitionKey: W.botRuns, rowKey: key, runId: run.id }, 'Replace');
      this.botRunsWritten.add(key);
    }
    if (devops && devops !== prev?.devopsApprovalId) {
      await this.table.upsert({ partitionKey: P.devops, rowKey: `${safeKey(devops)}|${pad(seq, 12)}`, runId: run.id, approvalId: devops }, 'Replace');
    }
    const first = prev?.outboxNext ?? 1;
    const actions: TransactionAction[] = runActions(run, seq, { outboxNext: first + outbox.length, devopsApprovalId: devops }, prev);
    actions.push(...audits.map((a): TransactionAction => ['create', this.audit.runRow(run.id, a)]));
    outbox.forEach((o, i) => {
      actions.push(['create', { partitionKey: P.run(run.id), rowKey: outboxKey(first + i), runId: run.id, kind: o.kind, payload: o.payload ?? '', hasPayload: o.payload !== undefined, createdAt: run.updatedAt, attempts: 0, done: false, parked: false, nextAt: 0, lastError: '' }]);
    });
    let etag: string | undefined;
    try {
      etag = (await this.table.transaction(actions))?.getResponseForEntity(HEAD)?.etag;
    } catch (e) {
      this.heads.delete(run.id);
      if (e instanceof TableConflictError) throw new VersionConflictError(run.id, run.version - 1);
      throw e;
    }
    const active = !FINAL_STATUSES.has(run.status);
    if (etag) this.remember({ id: run.id, seq, version: run.version, status: run.status, model: run.model, active, requesterId: run.requester.id, outboxNext: first + outbox.length, rows: actions.filter((a) => a[0] !== 'delete' && (a[1].rowKey === HEAD || String(a[1].rowKey).startsWith('part-'))).length, devopsApprovalId: devops, etag });
    else this.heads.delete(run.id);
    // After the transaction: the run is final, so its marker can go; the audit lines join the account-wide feed.
    if (!active && (prev?.active ?? true)) await this.table.delete(P.active, run.id);
    for (const a of audits) await this.audit.copyToFeed(a);
  }

  listAudit(filter: { runId?: string; limit?: number }): Promise<AuditEntry[]> {
    return this.audit.list(filter);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    if (entry.runId && seqOf(entry.runId) !== undefined) await this.table.create(this.audit.runRow(entry.runId, entry));
    await this.audit.copyToFeed(entry);
  }

  pendingOutbox(limit?: number, now?: number): Promise<OutboxItem[]> {
    return this.outbox.pending(limit, now);
  }

  completeOutbox(ids: readonly number[]): Promise<void> {
    return this.outbox.complete(ids);
  }

  failOutbox(ids: readonly number[], error: string, policy: OutboxRetryPolicy, now: number): Promise<ParkedOutboxItem[]> {
    return this.outbox.fail(ids, error, policy, now);
  }

  parkedOutbox(limit?: number): Promise<{ count: number; items: ParkedOutboxItem[] }> {
    return this.outbox.parkedItems(limit);
  }

  async getMessage(runId: string, kind: 'runCard' | 'approvalCard'): Promise<{ conversationId: string; activityId: string } | undefined> {
    if (seqOf(runId) === undefined) return undefined;
    const row = await this.table.get(P.run(runId), `msg-${kind}`);
    return row ? { conversationId: String(row.conversationId), activityId: String(row.activityId) } : undefined;
  }

  async setMessage(runId: string, kind: 'runCard' | 'approvalCard', conversationId: string, activityId: string): Promise<void> {
    await this.table.upsert({ partitionKey: P.run(runId), rowKey: `msg-${kind}`, conversationId, activityId }, 'Replace');
  }

  listSubscriptions(model?: string): Promise<Subscription[]> {
    return this.subs.list(model);
  }

  putSubscription(s: Subscription): Promise<void> {
    return this.subs.put(s);
  }

  removeSubscription(conversationId: string, model?: string): Promise<number> {
    return this.subs.remove(conversationId, model);
  }
}
