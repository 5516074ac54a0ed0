import type { RunningBot } from '../../bot/app';
import { messageActivity, postActivity, waitFor } from '../support/bot-activities';
import { PRODUCTION_ONLY } from '../support/environments';
import { ALEX, MEGAN, watchWorld, watchYaml, type WatchWorld } from '../support/watch-harness';

const HOUR = 3_600_000;

/** Reminders at the configured time before expiry (2 h by default) and the admins' notice at expiry, checked at chosen clock times. */
describe('approvals that do not rot', () => {
  let world: WatchWorld;
  let bot: RunningBot;
  beforeAll(async () => {
    // One environment (PRODUCTION_ONLY): /train stops at production's approval, whose reminders are the subject.
    world = await watchWorld({ webhooks: false, pollMs: 200, yaml: PRODUCTION_ONLY(watchYaml()) });
    bot = await world.start();
  }, 60_000);
  afterAll(async () => {
    await bot.stop();
    await world.close();
  });

  it('@mentions the approvers once before expiry, shows the time left, and tells the admins once at expiry', async () => {
    // Alex (an admin) has a 1:1 chat with the bot; Megan (an approver) is a member of the run's conversation.
    await postActivity(bot.url, messageActivity(world.connector.serviceUrl, 'alex-chat', { id: ALEX.id, name: ALEX.name }, '/whoami'));
    world.connector.members.set('conv-m', [{ id: MEGAN.id, name: MEGAN.name }]);
    await postActivity(bot.url, messageActivity(world.connector.serviceUrl, 'conv-m', ALEX, '/train fashion-cnn epochs=1'));
    const run = await waitFor('the approval', async () => (await bot.store.runs.listRuns({ model: 'fashion-cnn', limit: 1 })).find((r) => r.status === 'waiting_approval'), 60_000);
    const expires = Date.parse(run.approval?.expiresAt ?? '');

    expect(await bot.reminders.check(expires - 2 * HOUR - 60_000)).toEqual({ reminded: [], expired: [] });
    expect(await bot.reminders.check(expires - 2 * HOUR + 60_000)).toEqual({ reminded: [run.id], expired: [] });
    expect(await bot.reminders.check(expires - HOUR)).toEqual({ reminded: [], expired: [] });
    const reminder = world.connector.requests.filter((r) => r.conversationId === 'conv-m' && JSON.stringify(r.body).includes('expires in'));
    expect(reminder).toHaveLength(1);
    expect(JSON.stringify(reminder[0]?.body)).toContain('<at>Megan Bowen</at>');
    expect(JSON.stringify(reminder[0]?.body)).toContain('expires in 1h 59m');
    expect(JSON.stringify(reminder[0]?.body)).toContain(`"mentioned":{"id":"${MEGAN.id}"`);

    const before = world.connector.requests.length;
    await postActivity(bot.url, messageActivity(world.connector.serviceUrl, 'conv-m', MEGAN, '/approvals'));
    const list = await waitFor('/approvals', () => world.connector.requests.slice(before).find((r) => JSON.stringify(r.body).includes('Approvals waiting for you')));
    expect(JSON.stringify(list.body)).toMatch(/Time left[^}]*"value":"(23h \d+m|24h 0m)"/);

    expect(await bot.reminders.check(expires + 1000)).toEqual({ reminded: [], expired: [run.id] });
    expect(await bot.reminders.check(expires + 60_000)).toEqual({ reminded: [], expired: [] });
    const told = world.connector.requests.filter((r) => r.conversationId === 'alex-chat' && JSON.stringify(r.body).includes('expired at'));
    expect(told).toHaveLength(1);
    expect(JSON.stringify(told[0]?.body)).toContain(`run ${run.id}`);
  }, 120_000);
});
