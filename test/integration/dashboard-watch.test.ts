import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startBot, type RunningBot } from '../../bot/app';
import type { SchedulesDto, SubscriptionsDto } from '../../bot/dashboard/dashboard-dto';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { SANDBOX_TAB_USERS } from '../../sandbox/teams-host/teams-host';
import { loadConfig } from '../../services/config/config';
import { silentLogger } from '../../services/logger';
import { freePort } from '../support/browser';
import { messageActivity, postActivity, waitFor } from '../support/bot-activities';
import { REPO_ROOT } from '../support/context';
import { MockConnector } from '../support/mock-connector';

const { alex, megan, adele } = SANDBOX_TAB_USERS as Required<typeof SANDBOX_TAB_USERS>;
const ALEX_IN_CHAT = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: alex!.oid };
const CHANNEL = '19:ml-team@thread.tacv2';
/** Trainers are named (not "*"), so Adele, signed in to the tab, holds no role. */
const NAMED_TRAINERS = (text: string): string => {
  const doc = parse(text) as { roles: { trainers: string[] } };
  doc.roles.trainers = ['user-id-0', 'alexw@example.com', 'meganb@example.com'];
  return stringify(doc);
};

/**
 * Subscriptions and schedules in the dashboard's API, under the chat's rules: you see and remove
 * the subscriptions of the conversations you are in (as /unsubscribe there); every schedule is
 * listed (as /schedule) and removed with the role /unschedule needs.
 */
describe('dashboard API: subscriptions and schedules', () => {
  let sandbox: Sandbox;
  let bot: RunningBot;
  let connector: MockConnector;
  const token = (u: typeof megan): string => sandbox.entra.issueTabToken(u!);
  const get = (path: string, t?: string): Promise<Response> => fetch(`${bot.url}${path}`, { headers: t ? { authorization: `Bearer ${t}` } : {} });
  const post = (path: string, t: string | undefined, body: unknown): Promise<Response> =>
    fetch(`${bot.url}${path}`, { method: 'POST', headers: { ...(t ? { authorization: `Bearer ${t}` } : {}), 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const subs = async (u: typeof megan, q = ''): Promise<SubscriptionsDto> => (await (await get(`/api/dashboard/subscriptions${q}`, token(u))).json()) as SubscriptionsDto;
  const say = async (text: string): Promise<void> => {
    expect((await postActivity(bot.url, messageActivity(connector.serviceUrl, 'conv-alex', ALEX_IN_CHAT, text))).status).toBe(200);
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ clock: new SandboxClock(200) });
    connector = await MockConnector.start();
    const config = loadConfig({ ...sandbox.env, STATE_STORE: `sqlite:${join(mkdtempSync(join(tmpdir(), 'mlops-dash-watch-')), 's.db')}`, POLL_INTERVAL_MS: '200' }, (p) => NAMED_TRAINERS(readFileSync(p, 'utf8')), REPO_ROOT);
    bot = await startBot(config, silentLogger, { host: '127.0.0.1', port: await freePort() });
    // Alex's 1:1 chat with the bot: a subscription and a schedule, made in chat.
    await say('/subscribe fashion-cnn --events failed,approval');
    await say('/schedule fashion-cnn "0 2 * * *" --tz Europe/Paris');
    await waitFor('the subscription and the schedule', async () => ((await bot.store.runs.listSubscriptions()).length === 1 && (await bot.scheduling.service.list()).length === 1) || undefined);
    // A team channel whose Teams roster has Alex and Megan (not Adele), following a pipeline.
    const personal = (await bot.store.getConversation('conv-alex'))!;
    const ref = personal.reference as { conversation: Record<string, unknown> };
    await bot.store.saveConversation({ ...personal, conversationId: CHANNEL, conversationType: 'channel', reference: { ...ref, conversation: { ...ref.conversation, id: CHANNEL, conversationType: 'channel', name: 'ML team' } } });
    connector.members.set(CHANNEL, [
      { id: '29:alex', name: 'Alex Wilber', aadObjectId: alex!.oid, userPrincipalName: alex!.upn },
      { id: '29:megan', name: 'Megan Bowen', aadObjectId: megan!.oid, userPrincipalName: megan!.upn },
    ]);
    await bot.store.runs.putSubscription({ conversationId: CHANNEL, model: 'pipeline:mlops-ci', events: ['failed'] });
  }, 60_000);
  afterAll(async () => {
    await bot?.stop();
    await connector?.close();
    await sandbox?.close();
  });

  it('lists the subscriptions of the conversations you are in: your 1:1 chat, and channels whose roster has you', async () => {
    expect((await subs(alex)).subscriptions).toEqual([
      { conversationId: CHANNEL, conversation: 'Team channel “ML team”', target: 'pipeline:mlops-ci', what: 'pipeline mlops-ci', events: ['failed'], fromConfig: false },
      { conversationId: 'conv-alex', conversation: 'Your chat with the bot', target: 'fashion-cnn', what: 'model fashion-cnn', events: ['failed', 'approval'], fromConfig: false },
    ]);
    expect((await subs(megan)).subscriptions.map((s) => s.conversationId)).toEqual([CHANNEL]);
    expect((await subs(adele)).subscriptions).toEqual([]);
  });

  it('pages on with a cursor and answers 304 to a known ETag', async () => {
    for (const m of ['*', 'job:42', 'pipeline:7']) await bot.store.runs.putSubscription({ conversationId: 'conv-alex', model: m, events: ['failed'] });
    const seen: string[] = [];
    let q = '?limit=2';
    for (let i = 0; i < 5; i++) {
      const page = await subs(alex, q);
      expect(page.subscriptions.length).toBeLessThanOrEqual(2);
      seen.push(...page.subscriptions.map((s) => `${s.conversationId} ${s.target}`));
      if (!page.next) break;
      q = `?limit=2&after=${page.next}`;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    const res = await get('/api/dashboard/subscriptions', token(alex));
    expect((await fetch(`${bot.url}/api/dashboard/subscriptions`, { headers: { authorization: `Bearer ${token(alex)}`, 'if-none-match': res.headers.get('etag') ?? '' } })).status).toBe(304);
  });

  it('refuses to remove a subscription of a conversation you are not in, and removes one of yours as /unsubscribe does', async () => {
    const refused = await post('/api/dashboard/subscriptions/remove', token(megan), { conversationId: 'conv-alex', target: 'fashion-cnn' });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe('You can remove the subscriptions of a conversation you are in only, as /unsubscribe there would. Nothing was changed.');
    expect((await bot.store.runs.listSubscriptions()).some((s) => s.conversationId === 'conv-alex' && s.model === 'fashion-cnn')).toBe(true);
    const done = await post('/api/dashboard/subscriptions/remove', token(megan), { conversationId: CHANNEL, target: 'pipeline:mlops-ci' });
    expect(done.status).toBe(200);
    expect(((await done.json()) as { message: string }).message).toBe('Team channel “ML team” no longer gets events of pipeline mlops-ci.');
    expect((await bot.store.runs.listSubscriptions()).some((s) => s.conversationId === CHANNEL)).toBe(false);
    expect((await bot.store.runs.listAudit({ limit: 3 }))[0]).toMatchObject({ action: 'unsubscribe', outcome: 'ok', detail: { conversationId: CHANNEL, model: 'pipeline:mlops-ci', via: 'dashboard' } });
    const again = await post('/api/dashboard/subscriptions/remove', token(megan), { conversationId: CHANNEL, target: 'pipeline:mlops-ci' });
    expect(again.status).toBe(404);
  });

  it('lists every schedule, says who may remove it by /unschedule\'s role, and refuses the others', async () => {
    const { schedules } = (await (await get('/api/dashboard/schedules', token(adele))).json()) as SchedulesDto;
    expect(schedules).toEqual([expect.objectContaining({ model: 'fashion-cnn', cron: '0 2 * * *', timeZone: 'Europe/Paris', owner: 'Alex Wilber', mayRemove: false })]);
    expect(((await (await get('/api/dashboard/schedules', token(megan))).json()) as SchedulesDto).schedules[0]?.mayRemove).toBe(true);
    const refused = await post('/api/dashboard/schedules/remove', token(adele), { model: 'fashion-cnn' });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe('You are not allowed to start training runs of fashion-cnn: it needs the trainer role for fashion-cnn (admins hold every role). Nothing was changed.');
    expect(await bot.scheduling.service.list()).toHaveLength(1);
    const done = await post('/api/dashboard/schedules/remove', token(megan), { model: 'fashion-cnn' });
    expect(done.status).toBe(200);
    expect(((await done.json()) as { message: string }).message).toBe('fashion-cnn is no longer retrained on a schedule.');
    expect(await bot.scheduling.service.list()).toEqual([]);
    expect((await post('/api/dashboard/schedules/remove', token(megan), { model: 'fashion-cnn' })).status).toBe(404);
  });

  it('answers hostile input with a 4xx and a sentence, and changes nothing', async () => {
    const t = token(alex);
    const before = await bot.store.runs.listSubscriptions();
    const cases: Array<[string, unknown, number, string]> = [
      ['/api/dashboard/subscriptions/remove', '{not json', 400, ''],
      ['/api/dashboard/subscriptions/remove', { conversationId: 'conv-alex' }, 400, 'target'],
      ['/api/dashboard/subscriptions/remove', { conversationId: 'conv-alex\u0000', target: '*' }, 400, 'no control characters'],
      ['/api/dashboard/subscriptions/remove', { conversationId: 'x'.repeat(5000), target: '*' }, 400, 'conversationId'],
      ['/api/dashboard/subscriptions/remove', { conversationId: 'conv-nobody', target: '*' }, 403, 'a conversation you are in only'],
      ['/api/dashboard/schedules/remove', { model: '../etc' }, 400, 'a model name such as fashion-cnn'],
      ['/api/dashboard/schedules/remove', { model: 'nope' }, 404, 'There is no model "nope"'],
      ['/api/dashboard/schedules/remove', [], 400, 'model'],
    ];
    for (const [path, body, status, words] of cases) {
      const res = await post(path, t, body);
      const text = ((await res.json()) as { error?: string }).error ?? '';
      expect({ body, status: res.status, words: text.includes(words) }).toEqual({ body, status, words: true });
    }
    expect((await get('/api/dashboard/subscriptions?after=%3Cscript%3E', t)).status).toBe(400);
    expect((await get('/api/dashboard/subscriptions?limit=1000', t)).status).toBe(400);
    for (const path of ['/api/dashboard/subscriptions', '/api/dashboard/schedules']) expect((await get(path)).status).toBe(401);
    expect((await post('/api/dashboard/schedules/remove', undefined, { model: 'fashion-cnn' })).status).toBe(401);
    expect(await bot.store.runs.listSubscriptions()).toEqual(before);
  });
});
