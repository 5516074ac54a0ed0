import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/**
 * Every refusal the HTTP layer gives: a status, a plain sentence and a reference id that the log
 * line carries too, so support can find the cause. Never a stack, an internal URL or a library's
 * message.
 */
export interface Refusal {
  status: number;
  message: string;
  /** Seconds, for 429/503. */
  retryAfter?: number;
}

export function newReference(): string {
  return randomUUID().slice(0, 8);
}

/** Writes the refusal with Node's own API (restify's send() is not needed and may be patched). */
export function writeRefusal(res: ServerResponse, refusal: Refusal, reference: string): void {
  if (res.headersSent || res.writableEnded) return;
  const body = JSON.stringify({ error: refusal.message, reference });
  const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) };
  if (refusal.retryAfter !== undefined) headers['retry-after'] = refusal.retryAfter;
  // A refused request's body may be unread: close the connection instead of keeping it alive for the rest.
  if (refusal.status === 413 || refusal.status === 408) headers.connection = 'close';
  res.writeHead(refusal.status, headers);
  res.end(body);
}

export function writeJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.writableEnded) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, text ? { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) } : { 'content-length': 0 });
  res.end(text);
}
