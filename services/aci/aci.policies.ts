import type { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import type { TokenCredential } from '@azure/identity';
import { TimeoutError } from '../http/errors';
import { backoffDelayMs, isRetryableStatus, serverRequestedDelayMs, sleep, type RetryOptions } from '../http/retry';
import type { Logger } from '../logger';
import { isNetworkError } from './aci.mapper';

/**
 * Pipeline policies that replace two of the SDK's defaults. Types come from the client's own
 * pipeline so that we need no direct dependency on @azure/core-rest-pipeline.
 */
type Pipeline = ContainerInstanceManagementClient['pipeline'];
export type PipelinePolicy = Parameters<Pipeline['addPolicy']>[0];
type PipelineRequest = Parameters<PipelinePolicy['sendRequest']>[0];

export interface HouseRetryPolicyOptions {
  retry: RetryOptions;
  /** Per-attempt timeout when the call set none (requestOptions.timeout). */
  defaultTimeoutInMs: number;
  logger: Logger;
  random?: () => number;
}

/**
 * The house retry policy instead of the SDK's defaultRetryPolicy, whose throttling strategy
 * retries 429 only when it carries Retry-After (and 429 is not in its exponential list), so a
 * bare 429 would fail at once. Here: 408/429/502/503/504 are retried (500 too on idempotent methods), waiting what the server
 * asked for (Retry-After, retry-after-ms, x-ms-retry-after-ms) or a jittered backoff; network
 * errors and per-attempt timeouts are retried for idempotent methods (not POST).
 */
export function houseRetryPolicy(o: HouseRetryPolicyOptions): PipelinePolicy {
  return {
    name: 'mlopsChatopsRetryPolicy',
    async sendRequest(request, next) {
      const outer = request.abortSignal;
      const timeoutInMs = request.timeout > 0 ? request.timeout : o.defaultTimeoutInMs;
      // This policy owns the timeout so that it can tell a timeout from a caller's abort.
      request.timeout = 0;
      const idempotent = request.method !== 'POST' && request.method !== 'PATCH';
      for (let attempt = 0; ; attempt++) {
        const outcome = await attemptOnce(request, next, outer, timeoutInMs);
        if (outer?.aborted) {
          if (outcome.error !== undefined) throw outcome.error as Error;
          return outcome.response as Awaited<ReturnType<typeof next>>;
        }
        let hintMs: number | undefined;
        if (outcome.response) {
          const res = outcome.response;
          if (!isRetryableStatus(res.status, idempotent) || attempt >= o.retry.maxRetries) return res;
          hintMs = serverRequestedDelayMs({ get: (n) => res.headers.get(n) ?? null });
        } else {
          const err = outcome.error;
          const retryable = idempotent && (err instanceof TimeoutError || isNetworkError(err));
          if (!retryable || attempt >= o.retry.maxRetries) throw err as Error;
        }
        const delay = backoffDelayMs(attempt, o.retry, hintMs, o.random);
        o.logger.warn('retrying', {
          method: request.method,
          attempt: attempt + 1,
          delayMs: delay,
          status: outcome.response?.status,
          code: outcome.error instanceof Error ? (outcome.error as { code?: string }).code ?? outcome.error.name : undefined,
          requestId: outcome.response?.headers.get('x-ms-request-id'),
        });
        await sleep(delay, outer as AbortSignal | undefined);
      }
    },
  };
}

type Next = Parameters<PipelinePolicy['sendRequest']>[1];
type Response = Awaited<ReturnType<Next>>;

async function attemptOnce(
  request: PipelineRequest,
  next: Next,
  outer: PipelineRequest['abortSignal'],
  timeoutInMs: number,
): Promise<{ response?: Response; error?: unknown }> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutInMs);
  const onOuter = (): void => controller.abort();
  if (outer?.aborted) controller.abort();
  outer?.addEventListener('abort', onOuter);
  request.abortSignal = controller.signal;
  try {
    return { response: await next(request) };
  } catch (error) {
    return { error: timedOut && !outer?.aborted ? new TimeoutError(timeoutInMs) : error };
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
    request.abortSignal = outer;
  }
}

/**
 * For a plain-http ARM endpoint (the local sandbox only). The SDK's bearer policy refuses
 * non-TLS URLs, so this one does its job: the token still comes from the TokenCredential (the
 * real managed-identity credential against the sandbox's token endpoint), cached by it.
 */
export function credentialAuthPolicy(credential: TokenCredential, scopes: string[]): PipelinePolicy {
  return {
    name: 'mlopsChatopsCredentialAuthPolicy',
    async sendRequest(request, next) {
      const token = await credential.getToken(scopes, request.abortSignal ? { abortSignal: request.abortSignal } : {});
      if (!token) throw new Error(`the credential returned no token for ${scopes.join(' ')}`);
      request.headers.set('Authorization', `Bearer ${token.token}`);
      return next(request);
    },
  };
}
