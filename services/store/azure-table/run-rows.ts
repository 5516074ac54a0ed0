import type { TransactionAction } from '@azure/data-tables';
import { FINAL_STATUSES, type RunRecord } from '../../workflow/run.types';
import { decodeBody, encodeBody } from './body-codec';
import type { AzureTable, Row } from './table.client';
import { P } from './table-keys';

/** What the store keeps beside the opaque body: the columns it filters on and its own counters. */
export interface RunHead {
  id: string;
  seq: number;
  version: number;
  status: string;
  model: string;
  active: boolean;
  requesterId: string;
  /** Outbox items this run has had (the next one gets this number). */
  outboxNext: number;
  /** Rows the body occupies (1 = the head alone). */
  rows: number;
  devopsApprovalId: string;
  etag: string;
}

export const HEAD = 'head';
const partKey = (k: number): string => `part-${k}`;

export function headOf(row: Row): RunHead {
  const n = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));
  const s = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    id: s(row.id), seq: n(row.seq), version: n(row.version), status: s(row.status), model: s(row.model), active: row.active === true,
    requesterId: s(row.requesterId), outboxNext: n(row.outboxNext), rows: Math.max(1, n(row.rows)), devopsApprovalId: s(row.devopsApprovalId), etag: row.etag,
  };
}

/** Reads a run: its head and, for a body of more than one row, the rest of it. */
export async function readRun(table: AzureTable, id: string): Promise<{ run: RunRecord; head: RunHead } | undefined> {
  const row = await table.get(P.run(id), HEAD);
  if (!row) return undefined;
  return { run: await bodyOf(table, row), head: headOf(row) };
}

export async function bodyOf(table: AzureTable, row: Row): Promise<RunRecord> {
  const head = headOf(row);
  const rows: Array<Record<string, unknown>> = [row];
  for (let k = 1; k < head.rows; k++) {
    const part = await table.get(P.run(head.id), partKey(k));
    if (!part) throw new Error(`run ${head.id}: body row ${k} is missing`);
    rows.push(part);
  }
  return decodeBody<RunRecord>(rows);
}

/**
 * The actions that write a run's head and body: the head `create`d (a new run) or `update`d with
 * If-Match on the ETag read (a transition: a lost race fails the whole transaction with 412), the
 * body rows upserted, and rows a shrunk body no longer needs deleted.
 */
export function runActions(run: RunRecord, seq: number, counters: { outboxNext: number; devopsApprovalId: string }, previous: RunHead | undefined): TransactionAction[] {
  const pk = P.run(run.id);
  const rows = encodeBody(`run ${run.id}`, run);
  const [first, ...rest] = rows;
  const head = {
    partitionKey: pk, rowKey: HEAD, id: run.id, seq, version: run.version, status: run.status, model: run.model, active: !FINAL_STATUSES.has(run.status),
    requesterId: run.requester.id, outboxNext: counters.outboxNext, rows: rows.length, devopsApprovalId: counters.devopsApprovalId, ...first,
  };
  const actions: TransactionAction[] = previous ? [['update', head, 'Replace', { etag: previous.etag }]] : [['create', head]];
  rest.forEach((r, i) => actions.push(['upsert', { partitionKey: pk, rowKey: partKey(i + 1), ...r }, 'Replace']));
  for (let k = rows.length; k < (previous?.rows ?? 1); k++) actions.push(['delete', { partitionKey: pk, rowKey: partKey(k) }]);
  return actions;
}
