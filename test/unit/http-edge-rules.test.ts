import { redactText, serializeError } from '../../services/http/redact';
import { serverRequestedDelayMs } from '../../services/http/retry';

/**
 * Edge rules of redaction, error serialization and the server-requested wait, each pinned by a
 * Stryker survivor of the 2026-11-29 `services/http` run (docs/testing.md): every case fails when
 * its rule is broken.
 */
describe('redaction at the edges', () => {
  it('redacts a bearer or basic credential after several spaces', () => {
    expect(redactText('Authorization: Bearer   eyJhbGciOi.payload.sig')).toBe('Authorization: Bearer [redacted]');
    expect(redactText('Basic \t dXNlcjpwYXNz')).toBe('Basic [redacted]');
  });

  it('redacts a Databricks token with its whole numeric suffix', () => {
    expect(redactText(`token dapi${'0a'.repeat(16)}-12 used`)).toBe('token [redacted] used');
  });
});

describe('an error serialized for a log line', () => {
  class WithJson extends Error {
    constructor(private readonly json: unknown) {
      super('boom');
    }
    toJSON(): unknown {
      return this.json;
    }
  }

  it("takes the fields of an object from toJSON, and nothing from a string's characters", () => {
    expect(serializeError(new WithJson({ requestId: 'req-7', status: 503 }))).toMatchObject({ name: 'Error', message: 'boom', requestId: 'req-7', status: 503 });
    const fromString = serializeError(new WithJson('text'));
    expect(Object.keys(fromString)).not.toContain('0');
  });

  it('keeps the first 8 lines of the stack, as lines', () => {
    const e = new Error('deep');
    e.stack = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n');
    expect(serializeError(e).stack).toBe(Array.from({ length: 8 }, (_, i) => `line ${i}`).join('\n'));
  });

  it('has no cause key without a cause', () => {
    expect(Object.keys(serializeError(new Error('alone')))).not.toContain('cause');
  });

  it('follows nested AggregateErrors 4 levels deep, not further', () => {
    let e: Error = new Error('leaf');
    for (let i = 0; i < 7; i++) e = new AggregateError([e], `level ${6 - i}`);
    let level: Record<string, unknown> | undefined = serializeError(e);
    const depths: number[] = [];
    for (let d = 0; level; d++) {
      if (level.errors) depths.push(d);
      level = (level.errors as Array<Record<string, unknown>> | undefined)?.[0];
    }
    expect(depths).toEqual([0, 1, 2, 3]);
  });
});

describe('the wait a server asks for', () => {
  const headers = (h: Record<string, string>) => ({ get: (name: string): string | null => h[name] ?? null });

  it('passes over a blank retry-after-ms or Retry-After to the next header', () => {
    expect(serverRequestedDelayMs(headers({ 'retry-after-ms': '  ', 'retry-after': '2' }))).toBe(2000);
    expect(serverRequestedDelayMs(headers({ 'retry-after': ' ', 'x-ratelimit-delay': '3' }))).toBe(3000);
  });

  it('ignores an X-RateLimit-Delay that is not a finite number', () => {
    expect(serverRequestedDelayMs(headers({ 'x-ratelimit-delay': 'abc' }))).toBeUndefined();
    expect(serverRequestedDelayMs(headers({ 'x-ratelimit-delay': 'Infinity' }))).toBeUndefined();
  });

  it('reads no wait from X-RateLimit-Remaining 0 without X-RateLimit-Reset', () => {
    expect(serverRequestedDelayMs(headers({ 'x-ratelimit-remaining': '0' }), 1_000_000)).toBeUndefined();
  });
});
