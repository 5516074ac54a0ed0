import type { TokenCredential } from '@azure/identity';
import { basicPat, bearerToken, entraToken, noAuth, SCOPES } from '../../services/http/auth';
import { CredentialError, isNotFound, ServiceError, TimeoutError } from '../../services/http/errors';
import { redactHeaders, redactText, redactValue, serializeError } from '../../services/http/redact';
import { serverRequestedDelayMs, sleep } from '../../services/http/retry';
import { isHttpUrl } from '../../services/http/url';

/** The small parts of services/http one rule at a time: credentials, typed errors, redaction, waits, URLs. */
describe('credentials', () => {
  it('sends a token as Bearer and a PAT as Basic with an empty user name, and knows both as secrets', async () => {
    await expect(bearerToken('tok-123456').authorization()).resolves.toBe('Bearer tok-123456');
    expect(bearerToken('tok-123456').secrets).toEqual(['tok-123456']);
    const pat = basicPat('my-pat');
    const encoded = Buffer.from(':my-pat').toString('base64');
    await expect(pat.authorization()).resolves.toBe(`Basic ${encoded}`);
    expect(pat.secrets).toEqual(['my-pat', encoded]);
    await expect(noAuth.authorization()).resolves.toBeUndefined();
    expect(noAuth.secrets).toEqual([]);
  });

  it('asks Entra for the scope, passes the abort signal on, and refuses an empty answer', async () => {
    const asked: Array<[string | string[], unknown]> = [];
    const credential = (token: string | null): TokenCredential => ({
      getToken: async (scope, options) => {
        asked.push([scope, options]);
        return token === null ? null : { token, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    });
    const signal = new AbortController().signal;
    await expect(entraToken(credential('eyJ.a.b'), SCOPES.databricks).authorization(signal)).resolves.toBe('Bearer eyJ.a.b');
    await expect(entraToken(credential('eyJ.a.b'), SCOPES.arm).authorization()).resolves.toBe('Bearer eyJ.a.b');
    expect(asked).toEqual([[SCOPES.databricks, { abortSignal: signal }], [SCOPES.arm, {}]]);
    await expect(entraToken(credential(null), SCOPES.graph).authorization()).rejects.toThrow(`no Entra token for scope ${SCOPES.graph}`);
    expect(entraToken(credential('x'), SCOPES.arm).secrets).toEqual([]);
  });

  it("names each service's Entra resource (fixed by Microsoft)", () => {
    // Azure DevOps and Azure Databricks are first-party applications with these well-known ids.
    expect(SCOPES).toEqual({
      azureDevOps: '499b84ac-1321-427f-aa17-267ca6975798/.default',
      databricks: '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default',
      arm: 'https://management.azure.com/.default',
      graph: 'https://graph.microsoft.com/.default',
    });
  });
});

describe('typed errors', () => {
  it('describe themselves in one line with only the parts they have', () => {
    expect(new ServiceError({ service: 'aci', operation: 'get', message: 'boom' }).describe()).toBe('aci.get boom');
    expect(new ServiceError({ service: 'aci', operation: 'get', message: 'boom', status: 0, code: '', requestId: '' }).describe()).toBe('aci.get HTTP 0 boom');
  });

  it('keep their fields, are not retryable unless said, carry a cause only when given, and serialize without the stack', () => {
    const plain = new ServiceError({ service: 'graph', operation: 'groups', message: 'm' });
    expect(plain).toMatchObject({ name: 'ServiceError', retryable: false, status: undefined, code: undefined, requestId: undefined });
    expect('cause' in plain).toBe(false);
    const cause = new Error('root');
    const full = new ServiceError({ service: 'graph', operation: 'groups', message: 'm', status: 429, code: 'TooMany', requestId: 'r', retryable: true, cause });
    expect(full.cause).toBe(cause);
    expect(full.toJSON()).toEqual({ name: 'ServiceError', service: 'graph', operation: 'groups', status: 429, code: 'TooMany', requestId: 'r', message: 'm' });
  });

  it('tell a 404 from anything else, and name credential failures and timeouts', () => {
    expect(isNotFound(new ServiceError({ service: 'aci', operation: 'get', message: '', status: 404 }))).toBe(true);
    expect(isNotFound(new ServiceError({ service: 'aci', operation: 'get', message: '', status: 400 }))).toBe(false);
    expect(isNotFound(Object.assign(new Error('x'), { status: 404 }))).toBe(false);
    const c = new CredentialError({ service: 'databricks', operation: 'op', message: 'no token' });
    expect(c).toBeInstanceOf(ServiceError);
    expect(c.name).toBe('CredentialError');
    const t = new TimeoutError(250);
    expect([t.name, t.message, t.timeoutInMs]).toEqual(['TimeoutError', 'timed out after 250 ms', 250]);
  });
});

describe('redaction', () => {
  it('redacts every credential-named header, any case, and keeps the rest', () => {
    const secretNames = ['Authorization', 'proxy-authorization', 'Cookie', 'set-cookie', 'x-api-key', 'api-key', 'api_key', 'apikey', 'password', 'secret', 'token', 'access_token', 'refresh_token', 'client_secret', 'pat', 'db-password', 'webhook-secret', 'x-ms-token'];
    const out = redactHeaders(Object.fromEntries([...secretNames, 'x-request-id', 'patch', 'tokens', 'x-cookie'].map((k) => [k, 'v'])));
    for (const k of secretNames) expect([k, out[k]]).toEqual([k, '[redacted]']);
    expect([out['x-request-id'], out.patch, out.tokens, out['x-cookie']]).toEqual(['v', 'v', 'v', 'v']);
  });

  it('redacts basic auth in URLs, credential query values, Bearer and Basic values, Databricks tokens', () => {
    expect(redactText('https://u:p@h/x and http://a:b@c/')).toBe('https://[redacted]@h/x and http://[redacted]@c/');
    expect(redactText('x?TOKEN=a&access_token=b&api-key=c&api_key=d&apikey=e&secret=f&keep=1 y')).toBe('x?TOKEN=[redacted]&access_token=[redacted]&api-key=[redacted]&api_key=[redacted]&apikey=[redacted]&secret=[redacted]&keep=1 y');
    expect(redactText("'u?sig=abc' \"u?code=def\"")).toBe("'u?sig=[redacted]' \"u?code=[redacted]\"");
    expect(redactText('Basic Zm9vOmJhcg== and Bearer a-b_c.d~e+f/g==')).toBe('Basic [redacted] and Bearer [redacted]');
    expect(redactText('dapi0123456789abcdef0123456789abcdef-2 and xdapi0123456789abcdef0123456789abcdef')).toBe('[redacted] and xdapi0123456789abcdef0123456789abcdef');
    expect(redactText('no secret here: a:b path/x?ok=1')).toBe('no secret here: a:b path/x?ok=1');
  });

  it('removes known secrets of six characters or more everywhere, and leaves shorter ones (too likely to be words)', () => {
    expect(redactText('abcdef then abcdef', ['abcdef'])).toBe('[redacted] then [redacted]');
    expect(redactText('abcde stays', ['abcde'])).toBe('abcde stays');
  });

  it('copies values deeply with secret keys replaced, arrays and errors included, up to a depth', () => {
    expect(redactValue([{ token: 't', n: 1 }, 'x', null])).toEqual([{ token: '[redacted]', n: 1 }, 'x', null]);
    const e = Object.assign(new Error('m'), { password: 'p' });
    expect(redactValue({ e })).toMatchObject({ e: { name: 'Error', message: 'm', password: '[redacted]' } });
    const levels: Array<Record<string, unknown>> = [{ password: 'bottom' }];
    for (let i = 0; i < 12; i++) levels.unshift({ d: levels[0] });
    // Past depth 8 an object is replaced by a marker: a cycle or a huge tree cannot stall a log
    // line, and the secret at the bottom is not kept either.
    const copy = redactValue(levels[0]);
    let cur = copy as Record<string, unknown>;
    for (let i = 0; i < 8; i++) {
      expect(cur).not.toBe(levels[i]);
      cur = cur.d as Record<string, unknown>;
    }
    // depth 8 is still a copy; depth 9 is the marker.
    expect(cur).not.toBe(levels[8]);
    expect(cur.d).toBe('[nested too deep]');
    expect(JSON.stringify(copy)).not.toContain('bottom');
  });

  it('counts arrays in the depth too: a secret nested in arrays past depth 8 is not kept', () => {
    let nested: unknown = { token: 'deep-secret' };
    for (let i = 0; i < 12; i++) nested = [nested];
    const out = JSON.stringify(redactValue(nested));
    expect(out).not.toContain('deep-secret');
    expect(out).toBe(`${'['.repeat(9)}"[nested too deep]"${']'.repeat(9)}`);
  });

  it('keeps values that are not objects as they are at any depth', () => {
    let nested: unknown = 'leaf';
    for (let i = 0; i < 12; i++) nested = { d: nested };
    let cur = redactValue(nested);
    for (let i = 0; i < 9; i++) cur = (cur as { d: unknown }).d;
    expect(cur).toBe('[nested too deep]');
    expect(redactValue('plain', 20)).toBe('plain');
    expect(redactValue(7, 20)).toBe(7);
    expect(redactValue(null, 20)).toBeNull();
  });

  it('serializes an error with its own fields, its toJSON, a short stack, its cause chain and aggregate errors', () => {
    const root = new Error('root');
    const svc = new ServiceError({ service: 'aci', operation: 'put', message: 'failed', status: 409, cause: root });
    const s = serializeError(svc);
    expect(s).toMatchObject({ name: 'ServiceError', message: 'failed', service: 'aci', status: 409, cause: { name: 'Error', message: 'root' } });
    expect((s.stack as string).split('\n').length).toBeLessThanOrEqual(8);
    expect(serializeError(Object.assign(new Error('x'), { code: 'E1', fn: () => 1 }))).toMatchObject({ code: 'E1' });
    expect(serializeError(Object.assign(new Error('x'), { fn: () => 1 }))).not.toHaveProperty('fn');
    expect(serializeError(new Error('x', { cause: 'text cause' })).cause).toBe('text cause');
    const agg = serializeError(new AggregateError([new Error('a'), 'b', new Error('c'), 4, 5, 6], 'many'));
    expect(agg.errors).toEqual([expect.objectContaining({ message: 'a' }), 'b', expect.objectContaining({ message: 'c' }), 4, 5]);
    let chain: Error = new Error('e0');
    for (let i = 1; i < 7; i++) chain = new Error(`e${i}`, { cause: chain });
    let c = serializeError(chain);
    let depth = 0;
    while (c.cause && typeof c.cause === 'object') {
      c = c.cause as Record<string, unknown>;
      depth++;
    }
    expect(depth).toBe(4);
  });
});

describe('server wait hints, edge cases', () => {
  const h = (o: Record<string, string>) => new Headers(o);
  const now = Date.parse('2026-11-26T10:00:00Z');
  it('prefers the millisecond headers, ignores blank or non-numeric ones, and never goes below zero', () => {
    expect(serverRequestedDelayMs(h({ 'retry-after-ms': '100', 'retry-after': '9' }), now)).toBe(100);
    expect(serverRequestedDelayMs(h({ 'retry-after-ms': ' ', 'retry-after': '2' }), now)).toBe(2000);
    expect(serverRequestedDelayMs(h({ 'x-ms-retry-after-ms': 'soon', 'retry-after': '2' }), now)).toBe(2000);
    expect(serverRequestedDelayMs(h({ 'retry-after-ms': '-5' }), now)).toBe(0);
    expect(serverRequestedDelayMs(h({ 'retry-after': '-5' }), now)).toBe(0);
    expect(serverRequestedDelayMs(h({ 'retry-after': 'Thu, 26 Nov 2026 09:59:00 GMT' }), now)).toBe(0);
    expect(serverRequestedDelayMs(h({ 'retry-after': ' ' }), now)).toBeUndefined();
    expect(serverRequestedDelayMs(h({ 'retry-after': 'later' }), now)).toBeUndefined();
  });

  it("reads Azure DevOps' delay only when positive and its reset only when nothing remains, never below zero", () => {
    expect(serverRequestedDelayMs(h({ 'x-ratelimit-delay': '0' }), now)).toBeUndefined();
    expect(serverRequestedDelayMs(h({ 'x-ratelimit-delay': 'x' }), now)).toBeUndefined();
    expect(serverRequestedDelayMs(h({ 'x-ratelimit-delay': '0', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 2) }), now)).toBe(2000);
    expect(serverRequestedDelayMs(h({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 - 2) }), now)).toBe(0);
    expect(serverRequestedDelayMs(h({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': 'x' }), now)).toBeUndefined();
    expect(serverRequestedDelayMs(h({ 'x-ratelimit-reset': String(now / 1000 + 2) }), now)).toBeUndefined();
  });
});

describe('the abortable wait', () => {
  it('resolves after its time, and removes its abort listener then', async () => {
    const controller = new AbortController();
    const remove = jest.spyOn(controller.signal, 'removeEventListener');
    await expect(sleep(1, controller.signal)).resolves.toBeUndefined();
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
    await expect(sleep(1)).resolves.toBeUndefined();
  });

  it("rejects at once with the signal's reason, before or during the wait, or a plain 'aborted'", async () => {
    await expect(sleep(60_000, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
    await expect(sleep(60_000, AbortSignal.abort('not an error'))).rejects.toThrow(/^aborted$/);
    const c = new AbortController();
    const waiting = sleep(60_000, c.signal);
    c.abort(new Error('late'));
    await expect(waiting).rejects.toThrow('late');
    const d = new AbortController();
    const waiting2 = sleep(60_000, d.signal);
    d.abort('text');
    await expect(waiting2).rejects.toThrow(/^aborted$/);
  });
});

describe('config URLs', () => {
  it('takes absolute http and https URLs only', () => {
    expect(['https://x.example', 'http://127.0.0.1:3978/api'].map(isHttpUrl)).toEqual([true, true]);
    expect(['ftp://x.example', 'x.example', '', 'javascript:alert(1)', 'file:///etc/passwd'].map(isHttpUrl)).toEqual([false, false, false, false, false]);
  });
});
