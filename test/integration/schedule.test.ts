import type { RunningBot } from '../../bot/app';
import { messageActivity, postActivity, waitFor } from '../support/bot-activities';
import { ALEX, MEGAN, watchWorld, type WatchWorld } from '../support/watch-harness';

const HOUR = 3_600_000;

/** /schedule over HTTP, and the durability of due runs across downtime and restarts (ticks at chosen times). */
describe('scheduled retraining', () => {
  let world: WatchWorld;
  let bot: RunningBot;
  beforeAll(async () => {
    world = await watchWorld({ webhooks: false });
    bot = await world.start();
  }, 60_000);
  afterAll(async () => {
    await bot.stop();
    await world.close();
  });
  const say = async (who: typeof ALEX, text: string): Promise<string> => {
    const before = world.connector.requests.length;
    expect((await postActivity(bot.url, messageActivity(world.connector.serviceUrl, 'conv-s', who, text))).status).toBe(200);
    // Scheduled-run notices (\u23f0) may arrive in between: the reply is the other message.
    const reply = await waitFor('the reply', () => world.connector.requests.slice(before).find((r) => r.conversationId === 'conv-s' && r.kind === 'send' && !JSON.stringify(r.body).includes('\u23f0') && !JSON.stringify(r.body).includes('attachments')));
    return JSON.stringify(reply.body);
  };

  it('sets, lists and refuses schedules with a clear reason', async () => {
    expect(await say(MEGAN, '/schedule fashion-cnn "0 2 * * *" --tz Europe/Paris')).toContain('You are not allowed to start training runs of fashion-cnn');
    expect(await say(ALEX, '/schedule fashion-cnn "0 2 * *" --tz Europe/Paris')).toContain('not a 5-field cron expression');
    expect(await say(ALEX, '/schedule fashion-cnn "0 2 * * *" --tz Mars/Olympus')).toContain('not an IANA time zone');
    expect(await say(ALEX, '/schedule fashion-cnn "*/30 * * * *" --tz Europe/Paris')).toContain('Scheduled: fashion-cnn');
    expect(await say(ALEX, '/schedule')).toContain('fashion-cnn: \\"*/30 * * * *\\" (Europe/Paris)');
    const stored = bot.store.schedules.get('fashion-cnn');
    expect(stored?.owner).toEqual({ id: ALEX.id, name: ALEX.name });
    expect(Date.parse(stored?.nextDue ?? '')).toBeGreaterThan(Date.now());
  }, 60_000);

  it('starts a run missed during downtime once, says it is late, and a restart neither skips nor doubles it', async () => {
    await bot.stop();
    bot = await world.start();
    const later = Date.now() + 3 * HOUR; // six occurrences were missed
    const [run] = await bot.scheduling.service.tick(later);
    expect(run).toMatchObject({ model: 'fashion-cnn', requester: { id: ALEX.id, name: ALEX.name }, conversationId: 'conv-s', kind: 'train' });
    expect(await bot.scheduling.service.tick(later)).toEqual([]);
    const notice = await waitFor('the late notice', () => world.connector.requests.find((r) => JSON.stringify(r.body).includes(`started as run ${run?.id ?? '?'}`)));
    expect(JSON.stringify(notice.body)).toMatch(/late by \d+h/);
    await bot.stop();
    bot = await world.start();
    expect(await bot.scheduling.service.tick(later)).toEqual([]);
    expect(bot.store.schedules.get('fashion-cnn')?.lastRunId).toBe(run?.id);
    // The next occurrence after the late start comes at its time, once.
    const next = Date.parse(bot.store.schedules.get('fashion-cnn')?.nextDue ?? '');
    expect(next).toBeGreaterThan(later);
    expect(await bot.scheduling.service.tick(next - 1)).toEqual([]);
    expect(await bot.scheduling.service.tick(next)).toHaveLength(1);
    expect((await bot.store.runs.listRuns({ model: 'fashion-cnn', requesterId: ALEX.id })).filter((r) => r.kind === 'train')).toHaveLength(2);
  }, 60_000);

  it('finishes a start a crash interrupted, without a second run', async () => {
    const s = bot.store.schedules.get('fashion-cnn');
    const due = s?.nextDue ?? '';
    // As if the process died right after claiming the occurrence and before starting the run.
    expect(bot.store.schedules.claim('fashion-cnn', due, new Date(Date.parse(due) + 30 * 60_000).toISOString())).toBe(true);
    const before = (await bot.store.runs.listRuns({ model: 'fashion-cnn' })).length;
    const started = await bot.scheduling.service.tick(Date.parse(due) + 60_000);
    expect(started).toHaveLength(1);
    expect(await bot.scheduling.service.tick(Date.parse(due) + 60_000)).toEqual([]);
    expect((await bot.store.runs.listRuns({ model: 'fashion-cnn' })).length).toBe(before + 1);
  }, 60_000);

  it('/unschedule removes it', async () => {
    expect(await say(ALEX, '/unschedule fashion-cnn')).toContain('no longer retrained');
    expect(bot.store.schedules.get('fashion-cnn')).toBeUndefined();
    expect(await bot.scheduling.service.tick(Date.now() + 48 * HOUR)).toEqual([]);
  }, 60_000);
});
