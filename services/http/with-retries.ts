import { ServiceError, TimeoutError, type ServiceName } from './errors';
import { backoffDelayMs, isRetryableStatus, defaultRetryOptions, sleep, type RetryOptions } from './retry';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';

/**
 * The same policy as HttpPipeline for calls made through an SDK that owns the HTTP (the
 * azure-devops-node-api clients): timeout, retry with jittered backoff honouring the server's
 * hint, and a ServiceError at the end. `classify` maps the SDK's error to status/code/hint.
 */
export interface ClassifiedError {
  status?: number;
  code?: string;
  message: string;
  requestId?: string;
  retryAfterMs?: number;
  network?: boolean;
}

export interface WithRetriesOptions {
  service: ServiceName;
  operation: string;
  timeoutInMs: number;
  retry?: Partial<RetryOptions>;
  idempotent: boolean;
  classify: (err: unknown) => ClassifiedError;
  logger?: Logger;
  abortSignal?: AbortSignal;
  random?: () => number;
}

export async function withRetries<T>(fn: (signal: AbortSignal) => Promise<T>, o: WithRetriesOptions): Promise<T> {
  const retry = { ...defaultRetryOptions, ...(o.retry ?? {}) };
  const logger = o.logger ?? silentLogger;
  for (let attempt = 0; ; attempt++) {
    const controller = new AbortController();
    const onOuter = (): void => controller.abort(o.abortSignal?.reason);
    o.abortSignal?.addEventListener('abort', onOuter, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const e = new TimeoutError(o.timeoutInMs);
          controller.abort(e);
          reject(e);
        }, o.timeoutInMs);
      });
      return await Promise.race([fn(controller.signal), timeout]);
    } catch (err) {
      if (o.abortSignal?.aborted) throw err;
      const timedOut = err instanceof TimeoutError;
      const c: ClassifiedError = timedOut ? { message: `no answer within ${o.timeoutInMs} ms`, code: 'Timeout', network: true } : o.classify(err);
      const retryable = c.network === true ? o.idempotent : isRetryableStatus(c.status, o.idempotent);
      const error = new ServiceError({
        service: o.service,
        operation: o.operation,
        message: c.message,
        ...(c.status !== undefined ? { status: c.status } : {}),
        ...(c.code ? { code: c.code } : {}),
        ...(c.requestId ? { requestId: c.requestId } : {}),
        retryable,
        ...(timedOut ? {} : { cause: err }),
      });
      if (!retryable || attempt >= retry.maxRetries) throw error;
      const delay = backoffDelayMs(attempt, retry, c.retryAfterMs, o.random);
      logger.warn('retrying', { service: o.service, operation: o.operation, attempt: attempt + 1, delayMs: delay, status: c.status, code: c.code });
      await sleep(delay, o.abortSignal);
    } finally {
      clearTimeout(timer);
      o.abortSignal?.removeEventListener('abort', onOuter);
    }
  }
}
