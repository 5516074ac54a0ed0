import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * Bodies (a RunRecord, a conversation reference) are opaque JSON, gzip-compressed and cut into
 * Binary properties: a Binary property holds at most 64 KiB and an entity at most 1 MiB
 * (learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model,
 * learn.microsoft.com/azure/storage/tables/scalability-targets). A body too big for one entity
 * spills into further rows of the same partition, written in the same transaction.
 */
export const CHUNK_BYTES = 60_000;
/** 12 chunks ≈ 720 KB per row, under 1 MiB with the other properties. */
export const CHUNKS_PER_ROW = 12;
/**
 * A transaction carries at most 4 MiB (Table Storage) or 2 MB (Cosmos DB for Table) and Binary
 * travels as base64 (+33 %): 2 rows of body (≈ 1.9 MB on the wire) keep a transition under both.
 */
export const MAX_ROWS = 2;
export const MAX_BODY_BYTES = CHUNK_BYTES * CHUNKS_PER_ROW * MAX_ROWS;

export class BodyTooLargeError extends Error {
  constructor(readonly what: string, readonly bytes: number) {
    super(`${what} is ${bytes} bytes compressed; the Azure Table store keeps at most ${MAX_BODY_BYTES} (two entities of one transaction)`);
    this.name = 'BodyTooLargeError';
  }
}

/** The chunk properties of each row (row 0 is the head itself). */
export function encodeBody(what: string, value: unknown): Array<Record<string, Uint8Array | number>> {
  const bytes = gzipSync(Buffer.from(JSON.stringify(value), 'utf8'));
  if (bytes.length > MAX_BODY_BYTES) throw new BodyTooLargeError(what, bytes.length);
  const rows: Array<Record<string, Uint8Array | number>> = [];
  for (let off = 0, i = 0; off < bytes.length || i === 0; i++) {
    const row: Record<string, Uint8Array | number> = {};
    let k = 0;
    for (; k < CHUNKS_PER_ROW && off < bytes.length; k++, off += CHUNK_BYTES) row[`b${k}`] = bytes.subarray(off, off + CHUNK_BYTES);
    row.chunks = k;
    rows.push(row);
    if (off >= bytes.length) break;
  }
  return rows;
}

/** Reassembles what encodeBody wrote; rows in order, each with `chunks` and `b0..`. */
export function decodeBody<T>(rows: ReadonlyArray<Record<string, unknown>>): T {
  const parts: Buffer[] = [];
  for (const row of rows) {
    const n = typeof row.chunks === 'number' ? row.chunks : 0;
    for (let k = 0; k < n; k++) {
      const b = row[`b${k}`];
      if (!(b instanceof Uint8Array)) throw new Error(`stored body is missing chunk b${k}`);
      parts.push(Buffer.from(b));
    }
  }
  return JSON.parse(gunzipSync(Buffer.concat(parts)).toString('utf8')) as T;
}
