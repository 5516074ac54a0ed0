import type { ClassifiedError } from '../http/with-retries';
import { serverRequestedDelayMs } from '../http/retry';
import { redactText } from '../http/redact';

/**
 * How azure-devops-node-api (typed-rest-client underneath) fails, mapped for withRetries:
 * - HTTP errors: `Error(body.message)` with `statusCode`, `result` (the parsed error body with
 *   `typeKey`), `responseHeaders` and, since 17.x, `rateLimit` copied from the X-RateLimit-*
 *   and Retry-After headers;
 * - network errors: Node's `code` (ECONNRESET, ECONNREFUSED, ...), no status.
 */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ESOCKETTIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);

/** Request-id headers Azure DevOps sends, most specific first. */
const REQUEST_ID_HEADERS = ['activityid', 'x-vss-e2eid', 'x-tfs-session', 'x-msedge-ref'];

export interface NodeApiError {
  statusCode?: number;
  result?: unknown;
  responseHeaders?: Record<string, string | string[] | undefined>;
  rateLimit?: { retryAfter?: number; delay?: number; reset?: number; remaining?: number };
  code?: string;
  message?: string;
}

function header(headers: NodeApiError['responseHeaders'], name: string): string | null {
  const v = headers?.[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

export function requestIdOf(headers: NodeApiError['responseHeaders']): string | undefined {
  for (const h of REQUEST_ID_HEADERS) {
    const v = header(headers, h);
    if (v) return v;
  }
  return undefined;
}

export function classifyAzureDevOpsError(err: unknown, knownSecrets: readonly string[] = []): ClassifiedError {
  const e = (err ?? {}) as NodeApiError;
  const message = redactText(typeof e.message === 'string' && e.message !== '' ? e.message : String(err), knownSecrets);
  if (typeof e.statusCode === 'number') {
    const body = (e.result && typeof e.result === 'object' ? e.result : {}) as { typeKey?: unknown; message?: unknown };
    const bodyMessage = typeof body.message === 'string' ? redactText(body.message, knownSecrets) : undefined;
    const requestId = requestIdOf(e.responseHeaders);
    // node-api copies Retry-After into rateLimit; the headers themselves also carry X-RateLimit-Delay/Reset.
    let retryAfterMs = e.responseHeaders ? serverRequestedDelayMs({ get: (n) => header(e.responseHeaders, n) }) : undefined;
    if (retryAfterMs === undefined && typeof e.rateLimit?.retryAfter === 'number') retryAfterMs = e.rateLimit.retryAfter * 1000;
    return {
      status: e.statusCode,
      code: typeof body.typeKey === 'string' ? body.typeKey : `HTTP${e.statusCode}`,
      message: bodyMessage ?? message,
      ...(requestId ? { requestId } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  const network = (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) || /socket hang up|ECONNRESET|request timeout/i.test(message);
  return { message, ...(typeof e.code === 'string' ? { code: e.code } : {}), ...(network ? { network: true } : {}) };
}
