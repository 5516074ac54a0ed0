/**
 * Retry policy shared by every client: jittered exponential backoff that yields to the server's
 * own wait hints (Retry-After in seconds or as an HTTP date, retry-after-ms, x-ms-retry-after-ms,
 * and Azure DevOps' X-RateLimit-Delay / X-RateLimit-Reset).
 */
export interface RetryOptions {
  /** Retries after the first attempt. */
  maxRetries: number;
  baseDelayInMs: number;
  maxDelayInMs: number;
}

export const defaultRetryOptions: RetryOptions = { maxRetries: 4, baseDelayInMs: 500, maxDelayInMs: 30_000 };

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 502, 503, 504]);

/**
 * The one rule for "send it again after this status": 408/429/502/503/504 always (the request
 * was not done), and 500 when sending again cannot do the work twice (GET/PUT/DELETE, or a POST
 * the service dedupes). Azure's SDK retry policy also retries 500; a 500 on a plain POST (queue a
 * pipeline run) may have done the work, so it is not repeated there.
 */
export function isRetryableStatus(status: number | undefined, idempotent: boolean): boolean {
  if (status === undefined) return false;
  return RETRYABLE_STATUSES.has(status) || (idempotent && status === 500);
}

type HeaderBag = { get(name: string): string | null };

/** The wait the server asked for, in ms, or undefined when it gave none. */
export function serverRequestedDelayMs(headers: HeaderBag, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms') ?? headers.get('x-ms-retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const adoDelay = headers.get('x-ratelimit-delay');
  if (adoDelay !== null && Number.isFinite(Number(adoDelay)) && Number(adoDelay) > 0) return Number(adoDelay) * 1000;
  const adoReset = headers.get('x-ratelimit-reset');
  const remaining = headers.get('x-ratelimit-remaining');
  if (adoReset !== null && remaining === '0' && Number.isFinite(Number(adoReset))) {
    return Math.max(0, Number(adoReset) * 1000 - now);
  }
  return undefined;
}

/**
 * Full-jitter exponential backoff: a random delay in [base*2^attempt / 2, base*2^attempt],
 * capped. A server hint wins over the computed delay but is capped by maxDelayInMs too, so a
 * hostile or broken header cannot park a run for hours.
 */
export function backoffDelayMs(
  attempt: number,
  options: RetryOptions,
  serverHintMs?: number,
  random: () => number = Math.random,
): number {
  if (serverHintMs !== undefined) return Math.min(serverHintMs, options.maxDelayInMs);
  const exp = Math.min(options.maxDelayInMs, options.baseDelayInMs * 2 ** attempt);
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** A wait that an AbortSignal can cut short. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
