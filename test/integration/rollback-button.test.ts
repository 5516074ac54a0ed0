import type { RunningBot } from '../../bot/app';
import { invokeActivity, messageActivity, postActivity, waitFor } from '../support/bot-activities';
import { PRODUCTION_ONLY } from '../support/environments';
import { ALEX, MEGAN, watchWorld, watchYaml, type WatchWorld } from '../support/watch-harness';

/** "Roll back to vN" on the deployed run's card opens the same approval as /rollback, over HTTP. */
describe('one-click rollback', () => {
  let world: WatchWorld;
  let bot: RunningBot;
  beforeAll(async () => {
    // One environment (PRODUCTION_ONLY): each /train stops at production's approval and goes live
    // there, so the second deploy's card offers production's previous version.
    world = await watchWorld({ webhooks: false, pollMs: 200, yaml: PRODUCTION_ONLY(watchYaml()) });
    bot = await world.start();
  }, 60_000);
  afterAll(async () => {
    await bot.stop();
    await world.close();
  });

  const deploy = async (): Promise<{ id: string; version: string }> => {
    const before = (await bot.store.runs.listRuns({ model: 'fashion-cnn' })).length;
    expect((await postActivity(bot.url, messageActivity(world.connector.serviceUrl, 'conv-r', ALEX, '/train fashion-cnn epochs=1'))).status).toBe(200);
    const run = await waitFor('the run', async () => ((await bot.store.runs.listRuns({ model: 'fashion-cnn' })).length > before ? (await bot.store.runs.listRuns({ model: 'fashion-cnn', limit: 1 }))[0] : undefined));
    await waitFor('its approval', async () => ((await bot.store.runs.getRun(run.id))?.status === 'waiting_approval' ? true : undefined), 60_000);
    const approved = await postActivity(bot.url, invokeActivity(world.connector.serviceUrl, 'conv-r', MEGAN, 'approve', { runId: run.id, approvalId: `${run.id}-approval`, cardVersion: 0 }));
    expect(approved.status).toBe(200);
    const done = await waitFor('the deploy', async () => {
      const r = await bot.store.runs.getRun(run.id);
      return r && ['succeeded', 'failed'].includes(r.status) ? r : undefined;
    }, 60_000);
    expect(done.status).toBe('succeeded');
    return { id: done.id, version: done.registered?.version ?? '' };
  };

  it('offers the previous production version on the live run\'s card, and the click opens the rollback approval', async () => {
    const first = await deploy();
    const second = await deploy();
    expect(second.version).not.toBe(first.version);
    const offer = await waitFor('the rollback button on the live card', () => world.connector.requests.find((r) => r.conversationId === 'conv-r' && JSON.stringify(r.body).includes(`Roll back to v${first.version}`) && JSON.stringify(r.body).includes(`run ${second.id}`)), 30_000);
    expect(JSON.stringify(offer.body)).toContain('"verb":"rollbackTo"');

    // A stale version is refused; the offered one opens a deploy run of that version, as /rollback does.
    const stale = await postActivity(bot.url, invokeActivity(world.connector.serviceUrl, 'conv-r', MEGAN, 'rollbackTo', { model: 'fashion-cnn', version: '999', cardVersion: 1 }));
    expect(JSON.stringify(stale.body)).toContain('Nothing was changed');
    const clicked = await postActivity(bot.url, invokeActivity(world.connector.serviceUrl, 'conv-r', MEGAN, 'rollbackTo', { model: 'fashion-cnn', version: first.version, cardVersion: 1 }));
    expect(JSON.stringify(clicked.body)).toContain(`Rollback of fashion-cnn in production to version ${first.version}`);
    const [rollback] = await bot.store.runs.listRuns({ model: 'fashion-cnn', limit: 1 });
    expect(rollback).toMatchObject({ kind: 'deploy', requester: { id: MEGAN.id } });
    const waiting = await waitFor('the rollback approval', async () => ((await bot.store.runs.getRun(rollback?.id ?? ''))?.status === 'waiting_approval' ? bot.store.runs.getRun(rollback?.id ?? '') : undefined), 60_000);
    expect(waiting?.registered?.version).toBe(first.version);
  }, 180_000);
});
