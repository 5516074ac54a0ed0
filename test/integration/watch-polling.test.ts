import { TRAINING_JOB_ID } from '../../sandbox/databricks/databricks.sandbox';
import type { RunningBot } from '../../bot/app';
import { waitFor } from '../support/bot-activities';
import { ALEX, MEGAN, MEGAN_UPN, postsOf, watchWorld, type WatchWorld } from '../support/watch-harness';

/**
 * Webhooks off: polling alone finds failures, with a bounded number of list calls per pass, from
 * the last seen point persisted in the store — so a restart neither misses nor repeats one.
 */
describe('failures of runs the bot did not start, found by polling', () => {
  let world: WatchWorld;
  beforeAll(async () => {
    world = await watchWorld({ webhooks: false });
  }, 60_000);
  afterAll(async () => {
    await world.close();
  });

  const runJobAs = async (fail: boolean): Promise<number> => {
    const res = await fetch(`${world.sandbox.databricks.url}/_control/databricks/run-as`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ job_id: TRAINING_JOB_ID, user: MEGAN_UPN, trigger: 'PERIODIC', ...(fail ? { fail: 'training' } : {}) }) });
    return ((await res.json()) as { run_id: number }).run_id;
  };
  const queueCi = async (failTask: string): Promise<number> => {
    const res = await fetch(`${world.sandbox.azureDevOps.url}/_control/azure-devops/queue-as`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pipelineId: 1, requestedFor: { displayName: MEGAN.name, uniqueName: MEGAN_UPN }, reason: 'schedule', failTask }) });
    return ((await res.json()) as { id: number }).id;
  };
  const finished = (runId: number): Promise<true> =>
    waitFor('the job run to end', async () => {
      const r = world.sandbox.databricks.state.workspace.runs.get(runId);
      return r && world.sandbox.clock.now() > r.plan.terminatedAt ? true : undefined;
    }, 30_000);
  const ciFinished = (id: number): Promise<true> => waitFor('the CI run to end', () => (world.sandbox.azureDevOps.state.run(id).state === 'completed' ? true : undefined), 30_000);

  it('posts a job failure found by polling once, and a restart between the failure and the post posts it once', async () => {
    let bot: RunningBot = await world.start();
    await world.subscribe(bot, 'conv-p', ALEX, '--job train-fashion-cnn');
    await world.subscribe(bot, 'conv-q', ALEX, '--pipeline 1');
    await bot.watching.pass(); // the first pass ever sets the last-seen points to now

    const first = await runJobAs(true);
    await finished(first);
    await bot.watching.pass();
    expect(postsOf(world.connector, 'conv-p', 'Job train-fashion-cnn')).toHaveLength(1);
    expect(postsOf(world.connector, 'conv-p', String(first)).length + postsOf(world.connector, 'conv-p', 'loss is NaN').length).toBeGreaterThan(0);

    // The bot goes down; a job run and a CI build fail meanwhile; a new process on the same store.
    await bot.stop();
    const second = await runJobAs(true);
    const build = await queueCi('Lint (flake8)');
    await finished(second);
    await ciFinished(build);
    bot = await world.start();
    // One list call per service covers every watched pipeline and job (two of each kind are watched here).
    expect(await bot.watching.poller.pass()).toEqual({ devopsCalls: 1, databricksCalls: 1 });
    await bot.watching.announcer.nudge();
    await bot.watching.pass();
    expect(postsOf(world.connector, 'conv-p', 'Job train-fashion-cnn')).toHaveLength(2);
    expect(postsOf(world.connector, 'conv-q', 'Pipeline mlops-ci')).toHaveLength(1);
    expect(postsOf(world.connector, 'conv-q', 'Pipeline mlops-ci')[0]?.body).toContain('Build \u203a Lint and static checks \u203a Lint');
    expect(postsOf(world.connector, 'conv-q', 'Pipeline mlops-ci')[0]?.body).toContain('schedule');

    // A succeeded run of the same job is not a failure: nobody asked for successes.
    const ok = await runJobAs(false);
    await finished(ok);
    await bot.watching.pass();
    expect(postsOf(world.connector, 'conv-p', 'Job train-fashion-cnn')).toHaveLength(2);
    expect(await bot.store.watch.getReport(`databricks:${ok}`)).toBeUndefined();
    await bot.stop();
  }, 120_000);
});
