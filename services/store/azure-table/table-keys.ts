import { createHash } from 'node:crypto';

/**
 * Key layout of the one table (docs/scale-out.md has the why):
 * - `run-<id>`: one partition per run: its head (`head`, `part-<k>`), audit lines, outbox items and
 *   card messages, so a transition is one entity-group transaction (same PartitionKey, ≤ 100 ops).
 * - `index`: one immutable row per run (`run-<inverted seq>`) for listing and paging.
 * - `active`: a marker per unfinished run (written before the run, removed after it ends).
 * - `obpending` / `obparked`: markers of runs with undelivered / parked announcements.
 * - `counter`, `devops`, `sub`, `conv`, `lease`, `auditday-<yyyymmdd>`.
 */
export const P = {
  run: (id: string): string => `run-${id}`,
  index: 'index',
  active: 'active',
  pending: 'obpending',
  parked: 'obparked',
  counter: 'counter',
  devops: 'devops',
  subs: 'sub',
  conversations: 'conv',
  leases: 'lease',
  schedules: 'schedule',
  auditDays: 'auditdays',
  auditDay: (at: number): string => `auditday-${new Date(at).toISOString().slice(0, 10).replace(/-/g, '')}`,
} as const;

/** Run ids are `r-<seq>` (the dashboard and commands accept `r-` and up to 12 digits). */
export const SEQ_DIGITS = 12;
const SEQ_MAX = 10 ** SEQ_DIGITS - 1;
export const seqOf = (runId: string): number | undefined => {
  const m = /^r-(\d{1,12})$/.exec(runId);
  return m ? Number(m[1]) : undefined;
};
/** Inverted, zero-padded: newer runs sort first where the service sorts (Table Storage does, Cosmos DB for Table does not). */
export const indexKey = (seq: number): string => `run-${String(SEQ_MAX - seq).padStart(SEQ_DIGITS, '0')}`;

/**
 * Outbox ids are numbers in the RunStore contract. They are made unique across partitions from the
 * run's seq and the run's own outbox counter (kept in the run head, bumped in the transition).
 */
export const OUTBOX_PER_RUN = 1_000_000;
export const outboxId = (seq: number, n: number): number => seq * OUTBOX_PER_RUN + n;
export const outboxOwner = (id: number): { runId: string; n: number } => ({ runId: `r-${Math.floor(id / OUTBOX_PER_RUN)}`, n: id % OUTBOX_PER_RUN });
export const outboxKey = (n: number): string => `outbox-${String(n).padStart(6, '0')}`;

export const pad = (n: number, width: number): string => String(Math.max(0, Math.floor(n))).padStart(width, '0');

/**
 * A key from outside text (conversation ids, model names). PartitionKey and RowKey may not hold
 * / \ # ? or control characters, and Cosmos DB for Table takes at most 255 bytes of RowKey:
 * long values become a hash (the value itself is kept in a property).
 */
export function safeKey(value: string): string {
  const enc = encodeURIComponent(value).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return enc.length <= 200 ? enc : `h-${createHash('sha256').update(value).digest('hex')}`;
}
