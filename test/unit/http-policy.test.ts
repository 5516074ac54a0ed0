import { backoffDelayMs, isRetryableStatus, serverRequestedDelayMs } from '../../services/http/retry';
import { redactHeaders, redactText, redactValue } from '../../services/http/redact';
import { ServiceError } from '../../services/http/errors';
import { createLogger } from '../../services/logger';

const headers = (h: Record<string, string>) => new Headers(h);

describe('the shared retry policy', () => {
  const opts = { maxRetries: 4, baseDelayInMs: 100, maxDelayInMs: 10_000 };

  it('reads Retry-After in seconds and as an HTTP date, and the millisecond variants', () => {
    const now = Date.parse('2026-11-26T10:00:00Z');
    expect(serverRequestedDelayMs(headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(serverRequestedDelayMs(headers({ 'retry-after': 'Thu, 26 Nov 2026 10:00:05 GMT' }), now)).toBe(5000);
    expect(serverRequestedDelayMs(headers({ 'retry-after-ms': '250' }), now)).toBe(250);
    expect(serverRequestedDelayMs(headers({ 'x-ms-retry-after-ms': '40' }), now)).toBe(40);
    expect(serverRequestedDelayMs(headers({}), now)).toBeUndefined();
  });

  it("honours Azure DevOps' X-RateLimit-Delay and X-RateLimit-Reset", () => {
    const now = Date.parse('2026-11-26T10:00:00Z');
    expect(serverRequestedDelayMs(headers({ 'x-ratelimit-delay': '1.5' }), now)).toBe(1500);
    expect(serverRequestedDelayMs(headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 7) }), now)).toBe(7000);
    expect(serverRequestedDelayMs(headers({ 'x-ratelimit-remaining': '12', 'x-ratelimit-reset': String(now / 1000 + 7) }), now)).toBeUndefined();
  });

  it('backs off exponentially with jitter, capped, and lets a server hint win (capped too)', () => {
    expect(backoffDelayMs(0, opts, undefined, () => 0)).toBe(50);
    expect(backoffDelayMs(0, opts, undefined, () => 1)).toBe(100);
    expect(backoffDelayMs(3, opts, undefined, () => 1)).toBe(800);
    expect(backoffDelayMs(20, opts, undefined, () => 1)).toBe(10_000);
    expect(backoffDelayMs(0, opts, 2500)).toBe(2500);
    expect(backoffDelayMs(0, opts, 3_600_000)).toBe(10_000);
    const spread = new Set(Array.from({ length: 50 }, () => backoffDelayMs(2, opts)));
    expect(spread.size).toBeGreaterThan(10);
  });

  it('sends again after 408/429/502/503/504 always, after 500 only when that cannot do the work twice', () => {
    for (const status of [408, 429, 502, 503, 504]) expect([status, isRetryableStatus(status, false), isRetryableStatus(status, true)]).toEqual([status, true, true]);
    expect(isRetryableStatus(500, true)).toBe(true);
    expect(isRetryableStatus(500, false)).toBe(false);
    for (const status of [400, 401, 403, 404, 409, 501, 505]) expect([status, isRetryableStatus(status, true)]).toEqual([status, false]);
    expect(isRetryableStatus(undefined, true)).toBe(false);
  });
});

describe('redaction', () => {
  it('removes credentials from headers, URLs, bearer tokens and known secrets', () => {
    expect(redactHeaders({ authorization: 'Bearer abc', 'x-request-id': '1' })).toEqual({ authorization: '[redacted]', 'x-request-id': '1' });
    expect(redactText('GET https://user:pw@host/x?sig=abc&code=def&ok=1')).toBe('GET https://[redacted]@host/x?sig=[redacted]&code=[redacted]&ok=1');
    expect(redactText('Authorization: Bearer eyJhbGciOi.abc.def')).toBe('Authorization: Bearer [redacted]');
    expect(redactText('token dapi0123456789abcdef0123456789abcdef leaked')).toBe('token [redacted] leaked');
    expect(redactText('pat=supersecretvalue here', ['supersecretvalue'])).toBe('pat=[redacted] here');
    expect(redactValue({ a: { password: 'x', client_secret: 'y', name: 'n' } })).toEqual({ a: { password: '[redacted]', client_secret: '[redacted]', name: 'n' } });
  });

  it('keeps secrets out of log lines, errors included', () => {
    const lines: string[] = [];
    const log = createLogger('debug', {}, (l) => lines.push(l), ['my-webhook-secret-value']);
    const err = new ServiceError({ service: 'databricks', operation: 'runs/get', status: 403, code: 'PERMISSION_DENIED', message: 'denied for my-webhook-secret-value', requestId: 'req-1' });
    log.error('failed', { error: err, headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('my-webhook-secret-value');
    expect(lines[0]).not.toContain('Zm9vOmJhcg==');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ level: 'error', error: { service: 'databricks', operation: 'runs/get', status: 403, code: 'PERMISSION_DENIED', requestId: 'req-1' } });
    expect(err.describe()).toBe('databricks.runs/get HTTP 403 PERMISSION_DENIED denied for my-webhook-secret-value (request id req-1)');
  });
});
