import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot, type RunningBot } from '../../bot/app';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { loadConfig } from '../../services/config/config';
import { silentLogger } from '../../services/logger';
import { freePort } from '../support/browser';
import { invokeActivity, messageActivity, postActivity, waitFor, type Who } from '../support/bot-activities';
import { REPO_ROOT } from '../support/context';
import { configReader, PRODUCTION_ONLY } from '../support/environments';
import { MockConnector } from '../support/mock-connector';
import { validateCard } from '../support/card-schema';

const ALEX = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-0000000000020' };
const ISAIAH = { id: 'user-id-3', name: 'Isaiah Langer' };

/** Turns over real HTTP: activities posted to /api/messages, replies read from a Bot Connector stand-in. */
describe('commands and card actions, turn by turn', () => {
  let sandbox: Sandbox;
  let bot: RunningBot;
  let connector: MockConnector;

  beforeAll(async () => {
    sandbox = await startSandbox({ clock: new SandboxClock(200) });
    connector = await MockConnector.start();
    // One environment (PRODUCTION_ONLY): these turns need runs waiting for an approval (/approvals, Approve clicks, stale approvals).
    const config = loadConfig({ ...sandbox.env, STATE_STORE: `sqlite:${join(mkdtempSync(join(tmpdir(), 'mlops-cmd-')), 's.db')}`, POLL_INTERVAL_MS: '200' }, configReader(PRODUCTION_ONLY), REPO_ROOT);
    bot = await startBot(config, silentLogger, { host: '127.0.0.1', port: await freePort() });
  });
  afterAll(async () => {
    await bot.stop();
    await connector.close();
    await sandbox.close();
  });

  /** Sends a message and returns the bot's reply (text or the card's JSON). */
  async function say(text: string, from: Who = ALEX): Promise<string> {
    const activity = messageActivity(connector.serviceUrl, 'conv-cmd', from, text);
    const res = await postActivity(bot.url, activity);
    expect(res.status).toBe(200);
    // The turn's reply goes to the reply route of the posted activity; proactive cards of running runs do not.
    const reply = await waitFor(`a reply to ${text}`, () => connector.requests.find((r) => r.kind === 'send' && r.activityId === activity.id));
    return JSON.stringify(reply.body);
  }

  it('answers /train alone with the parameter form, and the form submission is validated like /train', async () => {
    const form = await say('/train');
    expect(form).toContain('Input.Number');
    expect(form).toContain('param.lr');
    const bad = await postActivity(bot.url, invokeActivity(connector.serviceUrl, 'conv-cmd', ALEX, 'submitTrain', { cardVersion: 1, model: 'fashion-cnn', branch: 'main', 'param.lr': '7', 'param.epochs': '2' }));
    expect(JSON.stringify(bad.body)).toContain('lr must be at most 1');
    expect(await bot.store.runs.listRuns({})).toHaveLength(0);
    const good = await postActivity(bot.url, invokeActivity(connector.serviceUrl, 'conv-cmd', ALEX, 'submitTrain', { cardVersion: 1, model: 'fashion-cnn', branch: 'main', 'param.lr': '0.05', 'param.epochs': '2' }, 'form-msg-1'));
    expect(JSON.stringify(good.body)).toContain('fashion-cnn · run r-1');
    const run = await bot.store.runs.getRun('r-1');
    expect(run?.params).toMatchObject({ lr: 0.05, epochs: 2 });
    expect(await bot.store.runs.getMessage('r-1', 'runCard')).toEqual({ conversationId: 'conv-cmd', activityId: 'form-msg-1' });
  });

  it('refuses bad /train parameters with every problem and starts nothing', async () => {
    const reply = await say('/train fashion-cnn lr=abc epochs=500 colour=red');
    expect(reply).toContain('lr must be a number');
    expect(reply).toContain('epochs must be at most 50');
    expect(reply).toContain('colour is not a parameter of this model');
    expect(reply).toContain('Nothing was started');
    expect(await bot.store.runs.listRuns({})).toHaveLength(1);
  });

  it('starts a run from /train and answers with its card, which then updates in place', async () => {
    // r-1 must reach its approval first: a newer approval of the same target makes the older one
    // stale (canceled), and under load r-1 could otherwise arrive after r-2 and cancel it.
    await waitFor('r-1 to reach approval', async () => ((await bot.store.runs.getRun('r-1'))?.status === 'waiting_approval' ? true : undefined), 30_000);
    const card = await say('/train fashion-cnn epochs=2 lr=0.02');
    expect(card).toContain('fashion-cnn · run r-2');
    const update = await waitFor('an in-place update of r-2', () => connector.requests.find((r) => r.kind === 'update' && JSON.stringify(r.body).includes('run r-2')));
    const tracked = await bot.store.runs.getMessage('r-2', 'runCard');
    expect(tracked?.conversationId).toBe('conv-cmd');
    expect(update.activityId).toBe(tracked?.activityId);
    expect(connector.requests.filter((r) => r.kind === 'send' && JSON.stringify(r.body).includes('fashion-cnn · run r-2'))).toHaveLength(1);
    await waitFor('r-2 to reach approval', async () => ((await bot.store.runs.getRun('r-2'))?.status === 'waiting_approval' ? true : undefined), 30_000);
  }, 60_000);

  it('answers /status, /runs, /approvals, /logs and /audit from the durable state', async () => {
    expect(await say('/status r-2')).toContain('run r-2');
    const runs = await say('/runs fashion-cnn');
    expect(runs).toContain('r-2');
    expect(runs).toContain('r-1');
    const approvals = await say('/approvals');
    expect(approvals).toContain('run r-2');
    expect(await say('/approvals', ISAIAH)).toContain('Nothing is waiting for your approval');
    expect(await say('/logs r-2')).toContain('has not failed');
    const audit = await say('/audit r-2');
    expect(audit).toContain('run.start');
    expect(audit).toContain('devops.run');
    for (const text of [runs, approvals, audit]) {
      const card = (JSON.parse(text) as { attachments: { content: unknown }[] }).attachments[0]?.content;
      expect(validateCard(card)).toEqual([]);
    }
  }, 30_000);

  it('subscribes and unsubscribes this conversation, audited', async () => {
    expect(await say('/subscribe fashion-cnn --events failed,approval')).toContain('failed, approval events of fashion-cnn');
    expect(await bot.store.runs.listSubscriptions('fashion-cnn')).toEqual([{ conversationId: 'conv-cmd', model: 'fashion-cnn', events: ['failed', 'approval'] }]);
    expect(await say('/unsubscribe fashion-cnn')).toContain('Removed 1 subscription');
    expect(await say('/unsubscribe fashion-cnn')).toContain('no such subscription');
  });

  it('refuses a card click with malformed data with a 400 and changes nothing', async () => {
    const res = await postActivity(bot.url, invokeActivity(connector.serviceUrl, 'conv-cmd', ALEX, 'approve', { runId: 'r-2; drop table', cardVersion: 'x' }));
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('invalid approve action');
    expect((await bot.store.runs.getRun('r-2'))?.approval?.decisions).toEqual([]);
  });

  it('cancels a run with /cancel and answers honestly when it is already over', async () => {
    expect(await say('/cancel r-2')).toContain('Run r-2 is canceled');
    expect(await say('/cancel 2')).toContain('Run r-2 is already canceled');
    expect(await say('/cancel r-999')).toContain('There is no run r-999');
  });
  it('strips the bot\'s @mention in a channel before matching the command', async () => {
    const activity: Record<string, unknown> = {
      ...messageActivity(connector.serviceUrl, '19:abc@thread.tacv2', ALEX, '<at>MLOps ChatOps</at> /help train'),
      conversation: { id: '19:abc@thread.tacv2', conversationType: 'channel', tenantId: 'tenant-1' },
      entities: [{ type: 'mention', text: '<at>MLOps ChatOps</at>', mentioned: { id: 'bot-id', name: 'MLOps ChatOps' } }],
    };
    expect((await postActivity(bot.url, activity)).status).toBe(200);
    const reply = await waitFor('the help reply', () => connector.requests.find((r) => r.kind === 'send' && r.activityId === activity.id));
    const text = JSON.stringify(reply.body);
    expect(text).toContain('/train');
    expect(text).toContain('--branch');
  });
});
