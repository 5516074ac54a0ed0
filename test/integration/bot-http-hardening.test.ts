import { gzipSync } from 'node:zlib';
import { connect } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot, type RunningBot } from '../../bot/app';
import { createLogger } from '../../services/logger';
import { freePort } from '../support/browser';
import { messageActivity, waitFor } from '../support/bot-activities';
import { sandboxConfig } from '../support/context';
import { MockConnector } from '../support/mock-connector';
import { BF_ISSUER, startBotFrameworkKeys, type BotFrameworkKeys } from '../support/bot-framework-keys';

const APP_ID = '11111111-2222-4333-8444-555555555555';
const SECRET = 'webhook-secret-for-hardening-0123456789';
const ALEX = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-0000000000020' };

interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

async function post(url: string, body: string | Uint8Array, headers: Record<string, string>): Promise<Answer> {
  const payload: BodyInit = typeof body === 'string' ? body : (new Uint8Array(body).buffer);
  const res = await fetch(url, { method: 'POST', headers, body: payload });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** What no answer may contain: a stack, an internal URL, a library's words. */
function expectPlain(a: Answer): void {
  expect(a.text).not.toMatch(/\bat .+\(.+:\d+:\d+\)|node_modules|https?:\/\/|Error:|TypeError|validateAndFixActivity|openID|Z_DATA_ERROR/);
  const body = JSON.parse(a.text) as { error?: unknown; reference?: unknown };
  expect(typeof body.error).toBe('string');
  expect(body.reference).toMatch(/^[0-9a-f]{8}$/);
}

describe('the HTTP edge, with bot authentication on', () => {
  let keys: BotFrameworkKeys;
  let bot: RunningBot;
  let connector: MockConnector;
  const lines: string[] = [];
  let messages = '';

  beforeAll(async () => {
    keys = await startBotFrameworkKeys();
    connector = await MockConnector.start();
    const config = sandboxConfig({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'app-password-for-tests', BOT_OPENID_METADATA_URL: keys.metadataUrl, WEBHOOK_SECRET: SECRET, STATE_STORE: `sqlite:${join(mkdtempSync(join(tmpdir(), 'mlops-hard-')), 's.db')}`, POLL_INTERVAL_MS: '3600000' });
    bot = await startBot(config, createLogger('debug', {}, (l) => lines.push(l)), { host: '127.0.0.1', port: await freePort(), httpLimits: { maxBodyBytes: 64 * 1024, requestTimeoutMs: 1_000, headersTimeoutMs: 1_000, bodyTimeoutMs: 1_000 } });
    messages = `${bot.url}/api/messages`;
  });
  afterAll(async () => {
    await bot.stop();
    await connector.close();
    await keys.close();
  });

  const activity = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ ...messageActivity(connector.serviceUrl, 'conv-hard', ALEX, '/help'), ...over });
  const bearer = (claims: Record<string, unknown> = {}, o: { expiresInSec?: number; key?: 'foreign'; kid?: string } = {}): string =>
    `Bearer ${keys.token({ appId: APP_ID, serviceUrl: connector.serviceUrl, claims, ...(o.expiresInSec !== undefined ? { expiresInSec: o.expiresInSec } : {}), ...(o.kid ? { kid: o.kid } : {}), ...(o.key ? { key: keys.foreignKey } : {}) })}`;
  const typing = (): string => JSON.stringify(activity({ type: 'typing', text: undefined }));

  it('takes a correctly signed activity (a typing activity needs no answer)', async () => {
    const a = await post(messages, typing(), { 'content-type': 'application/json', authorization: bearer() });
    expect(a.status).toBe(200);
  });

  it.each([
    ['no token', undefined],
    ['a Basic header', 'Basic dXNlcjpwYXNz'],
    ['garbage', 'Bearer not-a-jwt'],
    ['alg=none', `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"iss":"x"}').toString('base64url')}.`],
    ['HS256, signed with the public key as a secret', `Bearer ${Buffer.from('{"alg":"HS256","kid":"test-kid"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.c2ln`],
  ])('refuses %s with 401 before reading the body', async (_label, authorization) => {
    const a = await post(messages, typing(), { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) });
    expect(a.status).toBe(401);
    expectPlain(a);
  });

  it.each([
    ['forged (signed by a key the Bot Framework does not publish)', () => bearer({}, { key: 'foreign' })],
    ['expired beyond the 5-minute clock skew', () => bearer({}, { expiresInSec: -600 })],
    ['for another bot (wrong audience)', () => bearer({ aud: '99999999-2222-4333-8444-555555555555' })],
    ['from another issuer', () => bearer({ iss: 'https://evil.example.com' })],
    ['for another service URL', () => bearer({ serviceurl: 'https://smba.evil.example.com/' })],
    ['naming an unknown key id', () => bearer({}, { kid: 'other-kid' })],
  ])('refuses a token %s with 401 and a plain sentence', async (_label, token) => {
    const a = await post(messages, typing(), { 'content-type': 'application/json', authorization: token() });
    expect(a.status).toBe(401);
    expectPlain(a);
    expect(BF_ISSUER).toBeTruthy();
  });

  it('answers 400, not a crash, to a gzip header on a body that is not gzip, on every route', async () => {
    const garbage = Buffer.from('this is not gzip at all');
    const routes: Array<[string, Record<string, string>]> = [
      [messages, { authorization: bearer() }],
      [`${bot.url}/api/webhooks/azure-devops`, { 'x-webhook-secret': SECRET }],
      [`${bot.url}/api/webhooks/databricks`, { 'x-webhook-secret': SECRET }],
    ];
    for (const [url, headers] of routes) {
      const a = await post(url, garbage, { 'content-type': 'application/json', 'content-encoding': 'gzip', ...headers });
      expect(a.status).toBe(400);
      expectPlain(a);
    }
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
  });

  it('refuses a webhook without the secret before reading its body, even a broken gzip one', async () => {
    const a = await post(`${bot.url}/api/webhooks/azure-devops`, Buffer.from('junk'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(a.status).toBe(401);
    expectPlain(a);
  });

  it('stops a decompression bomb at the decoded limit with 413', async () => {
    const bomb = gzipSync(Buffer.from(`{"type":"message","text":"${'0'.repeat(20_000_000)}"}`));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const a = await post(messages, bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: bearer() });
    expect(a.status).toBe(413);
    expectPlain(a);
  });

  it.each<[string, Record<string, string>, () => string, number]>([
    ['an unknown encoding', { 'content-encoding': 'compress' }, typing, 415],
    ['a charset other than UTF-8', { 'content-type': 'application/json; charset=latin1' }, typing, 415],
    ['a body that is not JSON', { 'content-type': 'text/plain' }, typing, 415],
    ['a plain body over the limit', {}, () => JSON.stringify(activity({ text: 'x'.repeat(70 * 1024) })), 413],
  ])('refuses %s', async (_label, headers, body, status) => {
    const a = await post(messages, body(), { 'content-type': 'application/json', authorization: bearer(), ...headers });
    expect(a.status).toBe(status);
    expectPlain(a);
  });

  it('answers a body of broken JSON with 400', async () => {
    const a = await post(messages, '{"type": "message", ', { 'content-type': 'application/json', authorization: bearer() });
    expect(a.status).toBe(400);
    expectPlain(a);
  });

  it('cuts off a client that sends its body too slowly', async () => {
    const { port } = new URL(bot.url);
    const closed = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nAuthorization: ${bearer()}\r\n\r\n{"type":`);
      });
      let got = '';
      socket.on('data', (d: Buffer) => (got += d.toString()));
      socket.on('close', () => resolve(got));
      socket.on('error', () => resolve(got));
    });
    // The request is cut off: the socket closes without an answer (or with 408 where the answer can still go out).
    expect(closed === '' || /^HTTP\/1\.1 408/.test(closed)).toBe(true);
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
  });

  it('keeps serving good requests while bad ones hit it at the same time', async () => {
    const bad = Array.from({ length: 20 }, () => post(messages, Buffer.from('x'.repeat(100)), { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: bearer() }));
    const good = Array.from({ length: 20 }, () => post(messages, typing(), { 'content-type': 'application/json', authorization: bearer() }));
    const [b, g] = await Promise.all([Promise.all(bad), Promise.all(good)]);
    expect(b.every((x) => x.status === 400)).toBe(true);
    expect(g.every((x) => x.status === 200)).toBe(true);
  });

  it('reports parked announcements in /readyz', async () => {
    const res = await fetch(`${bot.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready', outbox: { parked: 0 } });
  });

  it('logs the real cause with the reference the answer carries', async () => {
    const a = await post(messages, Buffer.from('nope'), { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: bearer() });
    const { reference } = JSON.parse(a.text) as { reference: string };
    const line = await waitFor('the log line of the refusal', () => lines.find((l) => l.includes(reference)));
    expect(line).toMatch(/incorrect header check|Z_DATA_ERROR|gzip/);
    expect(lines.some((l) => l.includes('"error":{}'))).toBe(false);
    expect(lines.join('\n')).not.toContain('app-password-for-tests');
  });
});

describe('the HTTP edge when the signing keys cannot be fetched', () => {
  it('answers 503 with Retry-After and processes nothing', async () => {
    const keys = await startBotFrameworkKeys();
    keys.setDown(true);
    const connector = await MockConnector.start();
    const config = sandboxConfig({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'app-password-for-tests', BOT_OPENID_METADATA_URL: keys.metadataUrl, STATE_STORE: `sqlite:${join(mkdtempSync(join(tmpdir(), 'mlops-hard2-')), 's.db')}`, POLL_INTERVAL_MS: '3600000' });
    const bot = await startBot(config, createLogger('silent'), { host: '127.0.0.1', port: await freePort() });
    try {
      const token = keys.token({ appId: APP_ID, serviceUrl: connector.serviceUrl });
      const a = await post(`${bot.url}/api/messages`, JSON.stringify(messageActivity(connector.serviceUrl, 'conv-keys', ALEX, '/help')), { 'content-type': 'application/json', authorization: `Bearer ${token}` });
      expect(a.status).toBe(503);
      expect(a.headers.get('retry-after')).toBe('30');
      expectPlain(a);
      expect(connector.requests).toHaveLength(0);
      expect(await bot.store.getConversation('conv-keys')).toBeUndefined();
    } finally {
      await bot.stop();
      await connector.close();
      await keys.close();
    }
  });
});
