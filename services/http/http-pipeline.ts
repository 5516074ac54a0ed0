import type { AuthProvider } from './auth';
import { CredentialError, ServiceError, TimeoutError, type ServiceName } from './errors';
import { redactText } from './redact';
import { backoffDelayMs, isRetryableStatus, defaultRetryOptions, serverRequestedDelayMs, sleep, type RetryOptions } from './retry';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { credentialFailureIsTransient } from '../identity/credential-failure';
import { undiciTransport, type Transport, type TransportResponse } from './undici-transport';

/** Per-call options, Azure SDK style. */
export interface OperationOptions {
  abortSignal?: AbortSignal;
  timeoutInMs?: number;
}

export interface HttpRequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path relative to the base URL, or an absolute URL (continuations, async-operation URLs). */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** POSTs are not retried after a timeout or reset unless the operation is known to be idempotent. */
  idempotent?: boolean;
  /** Read the body as text instead of JSON. */
  responseType?: 'json' | 'text';
}

export interface HttpResponse<T> {
  status: number;
  headers: TransportResponse['headers'];
  body: T;
  requestId: string | undefined;
}

/** Turns a service's error body into its code and message. */
export type ErrorBodyParser = (body: unknown, text: string) => { code?: string; message?: string };

export interface HttpPipelineOptions {
  service: ServiceName;
  baseUrl: string;
  auth: AuthProvider;
  timeoutInMs?: number;
  retry?: Partial<RetryOptions>;
  logger?: Logger;
  parseError?: ErrorBodyParser;
  requestIdHeaders?: readonly string[];
  userAgent?: string;
  /** The HTTP client (default: undici's request, ./undici-transport); tests of the policy itself pass a scripted `fetch`. */
  fetchImpl?: Transport;
  random?: () => number;
  /** The wait between attempts; injectable so a test can see the delay chosen without waiting it. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const DEFAULT_REQUEST_ID_HEADERS = ['x-ms-request-id', 'x-request-id', 'x-vss-e2eid', 'activityid', 'x-databricks-request-id'];

export const genericErrorParser: ErrorBodyParser = (body) => {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const nested = b.error && typeof b.error === 'object' ? (b.error as Record<string, unknown>) : undefined;
    const code = nested?.code ?? b.error_code ?? b.errorCode ?? b.typeKey ?? b.code;
    const message = nested?.message ?? b.message ?? b.Message;
    return {
      ...(typeof code === 'string' ? { code } : typeof code === 'number' ? { code: String(code) } : {}),
      ...(typeof message === 'string' ? { message } : {}),
    };
  }
  return {};
};

/**
 * One HTTP pipeline per service client: auth header, per-call timeout, retries with jittered
 * backoff that honour the server's wait hints, typed errors, redacted logs.
 */
export class HttpPipeline {
  readonly service: ServiceName;
  readonly baseUrl: string;
  private readonly auth: AuthProvider;
  private readonly timeoutInMs: number;
  private readonly retry: RetryOptions;
  private readonly logger: Logger;
  private readonly parseError: ErrorBodyParser;
  private readonly requestIdHeaders: readonly string[];
  private readonly userAgent: string;
  private readonly fetchImpl: Transport;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: HttpPipelineOptions) {
    this.service = options.service;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.auth = options.auth;
    this.timeoutInMs = options.timeoutInMs ?? 30_000;
    this.retry = { ...defaultRetryOptions, ...(options.retry ?? {}) };
    this.logger = (options.logger ?? silentLogger).child({ service: options.service });
    this.parseError = options.parseError ?? genericErrorParser;
    this.requestIdHeaders = options.requestIdHeaders ?? DEFAULT_REQUEST_ID_HEADERS;
    this.userAgent = options.userAgent ?? 'mlops-chatops/0.1';
    this.fetchImpl = options.fetchImpl ?? undiciTransport;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? sleep;
  }

  url(path: string, query?: HttpRequestSpec['query']): string {
    const u = new URL(/^https?:\/\//.test(path) ? path : `${this.baseUrl}/${path.replace(/^\/+/, '')}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  async send<T = unknown>(operation: string, spec: HttpRequestSpec, options: OperationOptions = {}): Promise<HttpResponse<T>> {
    const url = this.url(spec.path, spec.query);
    const idempotent = spec.idempotent ?? spec.method !== 'POST';
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt<T>(operation, url, spec, options);
      if (outcome.kind === 'ok') return outcome.response;
      const err = outcome.error;
      const canRetry =
        attempt < this.retry.maxRetries &&
        !options.abortSignal?.aborted &&
        (outcome.kind === 'status' ? err.retryable : idempotent);
      if (!canRetry) throw err;
      const delay = backoffDelayMs(attempt, this.retry, outcome.kind === 'status' ? outcome.hintMs : undefined, this.random);
      this.logger.warn('retrying', { operation, attempt: attempt + 1, delayMs: delay, status: err.status, code: err.code, requestId: err.requestId });
      await this.sleep(delay, options.abortSignal);
    }
  }

  private async attempt<T>(
    operation: string,
    url: string,
    spec: HttpRequestSpec,
    options: OperationOptions,
  ): Promise<
    | { kind: 'ok'; response: HttpResponse<T> }
    | { kind: 'status'; error: ServiceError; hintMs: number | undefined }
    | { kind: 'network'; error: ServiceError }
  > {
    const timeoutInMs = options.timeoutInMs ?? this.timeoutInMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutError(timeoutInMs)), timeoutInMs);
    const onOuterAbort = (): void => controller.abort(options.abortSignal?.reason);
    options.abortSignal?.addEventListener('abort', onOuterAbort, { once: true });
    try {
      const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent, ...(spec.headers ?? {}) };
      const authorization = await this.credential(operation, controller.signal);
      if (authorization) headers.authorization = authorization;
      let body: string | undefined;
      if (spec.body !== undefined) {
        body = JSON.stringify(spec.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await this.fetchImpl(url, { method: spec.method, headers, ...(body !== undefined ? { body } : {}), signal: controller.signal });
      const text = await res.text();
      const requestId = this.requestId(res.headers);
      if (res.status >= 200 && res.status <= 299) {
        let parsed: unknown = text;
        if ((spec.responseType ?? 'json') === 'json') {
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch (cause) {
            // A 200 with a broken body is the service's fault and may be transient (a proxy cut it).
            return {
              kind: 'network',
              error: new ServiceError({ service: this.service, operation, status: res.status, code: 'MalformedResponse', message: 'the response body is not valid JSON', ...(requestId ? { requestId } : {}), retryable: true, cause }),
            };
          }
        }
        return { kind: 'ok', response: { status: res.status, headers: res.headers, body: parsed as T, requestId } };
      }
      let errBody: unknown;
      try {
        errBody = text ? JSON.parse(text) : undefined;
      } catch {
        errBody = undefined;
      }
      const { code, message } = this.parseError(errBody, text);
      const error = new ServiceError({
        service: this.service,
        operation,
        status: res.status,
        ...(code ? { code } : {}),
        message: redactText(message ?? (text.slice(0, 300) || res.statusText || `HTTP ${res.status}`), this.auth.secrets),
        ...(requestId ? { requestId } : {}),
        retryable: isRetryableStatus(res.status, spec.idempotent ?? spec.method !== 'POST'),
      });
      return { kind: 'status', error, hintMs: serverRequestedDelayMs(res.headers) };
    } catch (cause) {
      if (options.abortSignal?.aborted || cause instanceof CredentialError) throw cause;
      const timedOut = controller.signal.reason instanceof TimeoutError;
      const code = timedOut ? 'Timeout' : networkCode(cause);
      return {
        kind: 'network',
        error: new ServiceError({
          service: this.service,
          operation,
          code,
          message: timedOut ? `no answer within ${timeoutInMs} ms` : `network error (${code})`,
          retryable: true,
          cause: timedOut ? undefined : cause,
        }),
      };
    } finally {
      clearTimeout(timer);
      options.abortSignal?.removeEventListener('abort', onOuterAbort);
    }
  }

  /**
   * The Authorization value. A credential that cannot give one (no managed identity, a refused
   * token request) is a typed, non-retryable error naming the service, never a "network error"
   * retried into a misleading timeout; the credential retries its own transient failures, and one
   * still throttled or unavailable after them is marked retryable (the run waits for a later pass).
   */
  private async credential(operation: string, signal: AbortSignal): Promise<string | undefined> {
    try {
      return await this.auth.authorization(signal);
    } catch (cause) {
      if (signal.aborted) throw cause;
      const detail = redactText(cause instanceof Error ? cause.message : String(cause), this.auth.secrets).slice(0, 300);
      throw new CredentialError({ service: this.service, operation, code: 'CredentialUnavailable', message: `no credential for ${this.service}: ${detail}`, retryable: credentialFailureIsTransient(cause), cause });
    }
  }

  private requestId(headers: TransportResponse['headers']): string | undefined {
    for (const h of this.requestIdHeaders) {
      const v = headers.get(h);
      if (v) return v;
    }
    return undefined;
  }
}

function networkCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'NetworkError';
}
