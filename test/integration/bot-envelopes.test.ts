import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot, type RunningBot } from '../../bot/app';
import { createLogger } from '../../services/logger';
import { freePort } from '../support/browser';
import { messageActivity, postActivity, waitFor } from '../support/bot-activities';
import { sandboxConfig } from '../support/context';
import { MockConnector } from '../support/mock-connector';

const ALEX = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-0000000000020' };

/** Broken envelopes reach the bot with authentication off (the sandbox), where nothing stops them earlier. */
describe('malformed activities', () => {
  let bot: RunningBot;
  let connector: MockConnector;
  const lines: string[] = [];

  beforeAll(async () => {
    connector = await MockConnector.start();
    const config = sandboxConfig({ STATE_STORE: `sqlite:${join(mkdtempSync(join(tmpdir(), 'mlops-env-')), 's.db')}`, POLL_INTERVAL_MS: '3600000' });
    bot = await startBot(config, createLogger('debug', {}, (l) => lines.push(l)), { host: '127.0.0.1', port: await freePort() });
  });
  afterAll(async () => {
    await bot.stop();
    await connector.close();
  });

  const good = (): Record<string, unknown> => messageActivity(connector.serviceUrl, 'conv-env', ALEX, '/help');
  const without = (path: string[]): Record<string, unknown> => {
    const a = structuredClone(good());
    let node: Record<string, unknown> = a;
    for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>;
    delete node[path.at(-1) ?? ''];
    return a;
  };

  it.each<[string, () => unknown, string]>([
    ['no type', () => without(['type']), 'type'],
    ['no conversation', () => without(['conversation']), 'conversation'],
    ['a conversation without id', () => without(['conversation', 'id']), 'conversation.id'],
    ['no from', () => without(['from']), 'from'],
    ['a from without id', () => without(['from', 'id']), 'from.id'],
    ['a blank from.id', () => ({ ...good(), from: { id: '   ', name: 'x' } }), 'from.id'],
    ['no serviceUrl', () => without(['serviceUrl']), 'serviceUrl'],
    ['a serviceUrl that is not http(s)', () => ({ ...good(), serviceUrl: 'file:///etc/passwd' }), 'serviceUrl'],
    ['no recipient', () => without(['recipient']), 'recipient'],
    ['a type that is a number', () => ({ ...good(), type: 42 }), 'type'],
    ['an array', () => [good()], 'JSON object'],
    ['a string', () => 'message', 'JSON object'],
    ['null', () => null, 'JSON object'],
  ])('answers an activity with %s with 400 naming the field, and changes nothing', async (_label, body, field) => {
    const before = connector.requests.length;
    const res = await postActivity(bot.url, body() as Record<string, unknown>);
    expect(res.status).toBe(400);
    const answer = res.body as { error: string; reference: string };
    expect(answer.error).toContain(field);
    expect(JSON.stringify(answer)).not.toMatch(/node_modules|\bat .+:\d+:\d+|TypeError|Cannot read/);
    expect(connector.requests.length).toBe(before);
    expect(await bot.store.getConversation('conv-env')).toBeUndefined();
  });

  it('still answers a good activity afterwards', async () => {
    const activity = good();
    expect((await postActivity(bot.url, activity)).status).toBe(200);
    await waitFor('the /help reply', () => connector.requests.find((r) => r.kind === 'send' && r.activityId === activity.id));
  });

  it('logs a failed turn with its cause, never as an empty error', async () => {
    connector.fail({ kind: 'send', status: 400, code: 'BadSyntax', count: 10 });
    const activity = good();
    await postActivity(bot.url, activity);
    const line = await waitFor('a turn failure in the log', () => lines.find((l) => l.includes('"turn failed"')));
    expect(line).not.toContain('"error":{}');
    expect(line).toMatch(/"message":"[^"]+"/);
    connector.reset();
  });
});
