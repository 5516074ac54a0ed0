import { serverRequestedDelayMs } from '../../services/http/retry';
import { ServiceError } from '../../services/http/errors';

/** What the notifier needs to know about a failed Bot Connector call. */
export interface TeamsFailure {
  status: number | undefined;
  code: string | undefined;
  message: string;
  requestId: string | undefined;
  /** Wait the service asked for (Retry-After and friends), in ms. */
  retryAfterMs: number | undefined;
  /** No HTTP answer at all (connection refused/reset, timeout). */
  network: boolean;
  cause: unknown;
}

/** Teams' rate-limit guidance: 429 always, and 412, 502, 503, 504. */
export const RETRYABLE_TEAMS_STATUSES: ReadonlySet<number> = new Set([412, 429, 502, 503, 504]);

const NETWORK_CODES = new Set(['REQUEST_SEND_ERROR', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

interface HeaderBag {
  get(name: string): string | null | undefined;
}

/** Reads a RestError from the connector (statusCode, code, details, response.headers) without trusting its shape. */
export function describeFailure(err: unknown): TeamsFailure {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    statusCode?: unknown;
    code?: unknown;
    message?: unknown;
    details?: unknown;
    response?: { headers?: HeaderBag };
  };
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const bodyError = (e.details as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof bodyError?.code === 'string' ? bodyError.code : typeof e.code === 'string' ? e.code : undefined;
  const message = typeof bodyError?.message === 'string' ? bodyError.message : typeof e.message === 'string' ? e.message : String(err);
  const headers = e.response?.headers;
  const bag = headers && typeof headers.get === 'function' ? { get: (n: string) => headers.get(n) ?? null } : undefined;
  return {
    status,
    code,
    message,
    requestId: bag?.get('x-ms-request-id') ?? bag?.get('request-id') ?? undefined,
    retryAfterMs: bag ? serverRequestedDelayMs(bag) : undefined,
    network: status === undefined && code !== undefined && NETWORK_CODES.has(code),
    cause: err,
  };
}

export function toServiceError(operation: 'send' | 'update', conversationId: string, failure: TeamsFailure, attempts: number): ServiceError {
  const where = `conversation ${conversationId}`;
  return new ServiceError({
    service: 'teams',
    operation,
    status: failure.status,
    code: failure.code,
    requestId: failure.requestId,
    retryable: failure.status !== undefined && RETRYABLE_TEAMS_STATUSES.has(failure.status),
    message: `${operation} to ${where} failed after ${attempts} attempt(s): ${failure.message}`,
    cause: failure.cause,
  });
}

export function unknownConversation(operation: 'send' | 'update', conversationId: string): ServiceError {
  return new ServiceError({
    service: 'teams',
    operation,
    code: 'UnknownConversation',
    message: `no conversation reference stored for ${conversationId}; the bot must be installed there first`,
  });
}

export function notifierClosed(operation: 'send' | 'update'): ServiceError {
  return new ServiceError({ service: 'teams', operation, code: 'NotifierClosed', message: 'the notifier is closed' });
}
