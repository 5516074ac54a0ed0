import type { RunRecord, RunStatus } from './run.types';

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  runId?: string | undefined;
  outcome: 'ok' | 'refused' | 'failed';
  detail: Record<string, unknown>;
}

/**
 * Domain events to announce after a transition, written in the same transaction as it. The engine
 * says what happened; the bot decides how it is shown (which card, which conversations):
 * - `progress`: the run changed (stage, status, metrics);
 * - `approvalRequested`: an approval was opened and waits for decisions;
 * - `approvalUpdated`: a decision was taken, or the approval went stale, expired or was canceled;
 * - `failed`: the run failed (run.failure says where and why);
 * - `notice`: a sentence for the requester (payload), e.g. "version 7 is live".
 * Stores written before these names (runCard/approvalCard/failureCard) are migrated on open.
 */
export type OutboxKind = 'progress' | 'approvalRequested' | 'approvalUpdated' | 'failed' | 'notice';
export interface OutboxItem {
  id: number;
  runId: string;
  kind: OutboxKind;
  /** For `notice`: the text. */
  payload: string | undefined;
  createdAt: string;
  /** Failed delivery attempts so far. */
  attempts: number;
}

/** An announcement that failed too often: kept (nothing accepted is lost) but no longer retried. */
export interface ParkedOutboxItem extends OutboxItem {
  parkedAt: string;
  lastError: string;
}

/** How often a failing announcement is retried before it is parked, and how far apart. */
export interface OutboxRetryPolicy {
  maxAttempts: number;
  /** Wait after the first failure; doubled after each further one. */
  backoffMs: number;
  maxBackoffMs: number;
}

export interface Subscription {
  conversationId: string;
  model: string;
  events: Array<'failed' | 'succeeded' | 'approval'>;
}

export class VersionConflictError extends Error {
  constructor(readonly runId: string, readonly expected: number) {
    super(`run ${runId} was changed by someone else (expected version ${expected})`);
    this.name = 'VersionConflictError';
  }
}

/**
 * Durable run state. `saveRun` is the only way a run changes: it checks the version the caller
 * read, bumps it, and writes the audit lines and outbox items of that transition atomically.
 */
export interface RunStore {
  createRun(run: Omit<RunRecord, 'id' | 'version'>, effects?: TransitionEffects, options?: SaveOptions): Promise<RunRecord>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Newest first, at most `limit` (default 1,000); page on with `before` (see eachActiveRun). */
  listRuns(filter: RunFilter): Promise<RunRecord[]>;
  /** The relay run of an Azure DevOps approval, if one was opened. */
  findRunByDevOpsApproval(approvalId: string): Promise<RunRecord | undefined>;
  saveRun(run: RunRecord, effects?: TransitionEffects, options?: SaveOptions): Promise<RunRecord>;
  listAudit(filter: { runId?: string; limit?: number }): Promise<AuditEntry[]>;
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Items due now (`now` in ms): not done, not parked, and past their back-off. */
  pendingOutbox(limit?: number, now?: number): Promise<OutboxItem[]>;
  /** Done items are re-announced if a power loss rolls this back, never lost: a deferred commit (see SaveOptions). */
  completeOutbox(ids: readonly number[]): Promise<void>;
  /** Counts a failed attempt of each item; returns the items this parked. */
  failOutbox(ids: readonly number[], error: string, policy: OutboxRetryPolicy, now: number): Promise<ParkedOutboxItem[]>;
  parkedOutbox(limit?: number): Promise<{ count: number; items: ParkedOutboxItem[] }>;
  /** The Teams message that shows a run's card or approval card. */
  getMessage(runId: string, kind: 'runCard' | 'approvalCard'): Promise<{ conversationId: string; activityId: string } | undefined>;
  setMessage(runId: string, kind: 'runCard' | 'approvalCard', conversationId: string, activityId: string): Promise<void>;
  listSubscriptions(model?: string): Promise<Subscription[]>;
  putSubscription(s: Subscription): Promise<void>;
  removeSubscription(conversationId: string, model?: string): Promise<number>;
  /**
   * Makes every deferred commit (SaveOptions.deferSync) durable against power loss: called before
   * anything leaves the bot (an announcement, a reply, an invoke answer). Absent where every
   * commit already is durable (Azure Tables).
   */
  flush?(): Promise<void>;
  /**
   * A token that changes whenever anything in the store may have changed since it was last read:
   * a write by this process or a commit by another. While it is unchanged, answers already read
   * may be used again (a /status of an unchanged run re-read and re-parsed it and ran its history
   * queries on every turn, issue 13). Absent where the store cannot tell cheaply (Azure Tables):
   * then nothing is reused.
   */
  changeStamp?(): string;
}

/**
 * `deferSync`: a step the engine takes on its own while following a run, that nobody has been
 * told about yet. Its commit survives kill -9 at once (SQLite WAL: written to the file before the
 * call returns) and power loss once `flush` ran, which happens before it is announced or shown.
 * One fsync then covers every such step since the last one, instead of one fsync per step (issue 13).
 */
export interface SaveOptions {
  deferSync?: boolean;
}

export interface RunFilter {
  model?: string;
  active?: boolean;
  requesterId?: string;
  status?: RunStatus;
  /** Only runs created before this run (by id): the cursor of the next page. */
  before?: string;
  /** The requester's Entra object id (the dashboard knows people by it). */
  requesterObjectId?: string;
  /** The requester's display name, compared case-insensitively. */
  requesterName?: string;
  /** The environment a run deploys to (`run.target`). */
  target?: string;
  limit?: number;
}

export interface TransitionEffects {
  audit?: AuditEntry[];
  outbox?: Array<{ kind: OutboxKind; payload?: string }>;
}
