import type { RunningBot } from '../../bot/app';
import { TRAINING_JOB_ID } from '../../sandbox/databricks/databricks.sandbox';
import { invokeActivity, postActivity, waitFor } from '../support/bot-activities';
import { ALEX, MEGAN, MEGAN_UPN, WATCH_SECRET, postsOf, watchWorld, watchYaml, type WatchWorld } from '../support/watch-harness';
import { started } from '../support/workflow-harness';

const basic = `Basic ${Buffer.from(`mlops:${WATCH_SECRET}`).toString('base64')}`;

/**
 * Runs started outside the bot (the sandbox's "UI path": queue-as / run-as, as a person or a
 * schedule), reported over the real webhooks the sandbox sends, to subscribed conversations.
 */
describe('failures of pipelines and jobs the bot did not start (webhooks)', () => {
  let world: WatchWorld;
  let bot: RunningBot;
  beforeAll(async () => {
    world = await watchWorld({ webhooks: true, yaml: watchYaml('  webhooks:\n    databricksDestinationId: sandbox-bot-webhook\n') });
    bot = await world.start();
    // conv-a follows the CI pipeline by name; conv-b follows everything (as "/subscribe --events failed").
    await world.subscribe(bot, 'conv-a', ALEX, '--pipeline mlops-ci');
    await world.subscribe(bot, 'conv-b', ALEX, '--events failed');
    await world.subscribe(bot, 'conv-a', ALEX, '--job train-fashion-cnn');
    world.connector.members.set('conv-a', [{ id: MEGAN.id, name: MEGAN.name, aadObjectId: MEGAN.aadObjectId ?? '', userPrincipalName: MEGAN_UPN }]);
  }, 60_000);
  afterAll(async () => {
    await bot.stop();
    await world.close();
  });

  const queueFromUi = async (failTask: string | undefined): Promise<{ id: number }> => {
    const res = await fetch(`${world.sandbox.azureDevOps.url}/_control/azure-devops/queue-as`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pipelineId: 1, branch: 'feature/x', requestedFor: { displayName: MEGAN.name, uniqueName: MEGAN_UPN }, reason: 'manual', ...(failTask ? { failTask } : {}) }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { id: number };
  };

  it('posts one failure card per subscribed conversation, with what failed, the log tail, the link and who triggered it', async () => {
    const { id } = await queueFromUi('Run unit tests');
    await waitFor('the card in both conversations', () => (postsOf(world.connector, 'conv-a', 'Pipeline mlops-ci').length > 0 && postsOf(world.connector, 'conv-b', 'Pipeline mlops-ci').length > 0) || undefined, 30_000);
    await world.sandbox.azureDevOps.state.hooks.flush();
    // Both service hooks (build.complete and run-state-changed) were delivered and accepted.
    const deliveries = world.sandbox.azureDevOps.state.hooks.deliveries.filter((d) => JSON.stringify(d.body).includes(`buildId=${id}`) && d.status === 202);
    expect(deliveries.map((d) => d.eventType)).toEqual(expect.arrayContaining(['build.complete', 'ms.vss-pipelines.run-state-changed-event']));
    const [a] = postsOf(world.connector, 'conv-a', 'Pipeline mlops-ci');
    expect(a?.body).toContain('Test \u203a Unit tests \u203a Run unit tests');
    expect(a?.body).toContain("Bash exited with code '1'.");
    expect(a?.body).toContain('RuntimeError: sandbox.failTask asked this task to fail');
    expect(a?.body).toContain(`_build/results?buildId=${id}`);
    expect(a?.body).toContain('feature/x');
    // Megan is a member of conv-a (found by UPN): mentioned there; named in plain text in conv-b.
    expect(a?.body).toContain(`"mentioned":{"id":"${MEGAN.id}","name":"${MEGAN.name}"}`);
    const [b] = postsOf(world.connector, 'conv-b', 'Pipeline mlops-ci');
    expect(b?.body).toContain(MEGAN.name);
    expect(b?.body).not.toContain('<at>');

    // A duplicate delivery (same notification again) and a late poll find the same report.
    for (const d of deliveries) {
      const res = await fetch(`${bot.url}/api/webhooks/azure-devops`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic }, body: JSON.stringify(d.body) });
      expect(res.status).toBe(202);
    }
    await bot.watching.pass();
    await bot.watching.pass();
    expect(postsOf(world.connector, 'conv-a', 'Pipeline mlops-ci')).toHaveLength(1);
    expect(postsOf(world.connector, 'conv-b', 'Pipeline mlops-ci')).toHaveLength(1);
  }, 60_000);

  it('Retry is refused without the trainer role, then re-queues with the same branch and parameters and updates the same cards', async () => {
    const [report] = await bot.store.watch.listReports(1);
    expect(report?.source).toBe('azure-devops');
    const key = report?.key ?? '';
    const refused = await postActivity(bot.url, invokeActivity(world.connector.serviceUrl, 'conv-a', MEGAN, 'retryExternal', { watchKey: key, cardVersion: 1 }));
    expect(JSON.stringify(refused.body)).toContain('You are not allowed to retry runs of fashion-cnn');
    const runsBefore = world.sandbox.azureDevOps.state.runs.size;
    const ok = await postActivity(bot.url, invokeActivity(world.connector.serviceUrl, 'conv-a', ALEX, 'retryExternal', { watchKey: key, cardVersion: 1 }));
    expect(JSON.stringify(ok.body)).toContain('Retrying mlops-ci');
    expect(world.sandbox.azureDevOps.state.runs.size).toBe(runsBefore + 1);
    const retried = [...world.sandbox.azureDevOps.state.runs.values()].at(-1);
    expect(retried?.sourceBranch).toBe('refs/heads/feature/x');
    expect(retried?.templateParameters).toEqual({ modelName: 'fashion-cnn' });
    // A second click while the retry runs starts nothing.
    const again = await postActivity(bot.url, invokeActivity(world.connector.serviceUrl, 'conv-a', ALEX, 'retryExternal', { watchKey: key, cardVersion: 2 }));
    expect(JSON.stringify(again.body)).toContain('already running');
    expect(world.sandbox.azureDevOps.state.runs.size).toBe(runsBefore + 1);

    await waitFor('the cards to say the retry succeeded', () => (world.connector.requests.filter((r) => r.kind === 'update' && JSON.stringify(r.body).includes('Retry succeeded')).length >= 2 ? true : undefined), 30_000);
    const updates = world.connector.requests.filter((r) => r.kind === 'update' && JSON.stringify(r.body).includes('Pipeline mlops-ci'));
    // In place: the two messages posted first, never a new card for the retry run.
    expect(new Set(updates.map((u) => u.activityId)).size).toBe(2);
    expect(postsOf(world.connector, 'conv-a', 'Pipeline mlops-ci')).toHaveLength(1);
    expect(postsOf(world.connector, 'conv-b', 'Pipeline mlops-ci')).toHaveLength(1);
    const audit = await bot.store.runs.listAudit({ limit: 20 });
    expect(audit.filter((e) => e.action === 'watch.retry').map((e) => `${e.actor}:${e.outcome}`)).toEqual(expect.arrayContaining(['user-id-1:refused', 'user-id-0:ok']));
  }, 60_000);

  it('posts a Databricks job failure delivered by jobs.on_failure once, even when the notification comes again', async () => {
    const res = await fetch(`${world.sandbox.databricks.url}/_control/databricks/run-as`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ job_id: TRAINING_JOB_ID, user: MEGAN_UPN, trigger: 'PERIODIC', fail: 'training' }) });
    const { run_id: runId } = (await res.json()) as { run_id: number };
    await waitFor('the job failure card', () => postsOf(world.connector, 'conv-a', 'Job train-fashion-cnn')[0], 30_000);
    const failure = world.sandbox.databricks.state.sentNotifications.find((n) => n.event_type === 'jobs.on_failure' && (n.run as { run_id: string }).run_id === String(runId));
    expect(failure).toBeDefined();
    const [card] = postsOf(world.connector, 'conv-a', 'Job train-fashion-cnn');
    expect(card?.body).toContain('task train');
    expect(card?.body).toContain('loss is NaN');
    expect(card?.body).toContain('PERIODIC');
    expect(card?.body).toContain(`"mentioned":{"id":"${MEGAN.id}"`);
    expect(postsOf(world.connector, 'conv-b', 'Job train-fashion-cnn')).toHaveLength(1);
    const late = await fetch(`${bot.url}/api/webhooks/databricks`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic }, body: JSON.stringify(failure) });
    expect(late.status).toBe(202);
    expect(await late.json()).toMatchObject({ watch: runId });
    await bot.watching.pass();
    expect(postsOf(world.connector, 'conv-a', 'Job train-fashion-cnn')).toHaveLength(1);
    expect(postsOf(world.connector, 'conv-b', 'Job train-fashion-cnn')).toHaveLength(1);
  }, 60_000);

  it('Retry of a failed Databricks job run re-runs the job with the same parameters, starts one run for a double click, and updates the same cards', async () => {
    const res = await fetch(`${world.sandbox.databricks.url}/_control/databricks/run-as`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ job_id: TRAINING_JOB_ID, user: MEGAN_UPN, trigger: 'ONE_TIME', fail: 'training', job_parameters: { epochs: '3', lr: '0.01' } }),
    });
    const { run_id: runId } = (await res.json()) as { run_id: number };
    const key = `databricks:${runId}`;
    await waitFor('the report of the failed job run', async () => (await bot.store.watch.getReport(key))?.report.outcome === 'failed' || undefined, 30_000);
    await waitFor('its card', () => postsOf(world.connector, 'conv-a', 'Job train-fashion-cnn').length === 2 || undefined, 30_000);
    const runs = world.sandbox.databricks.state.workspace.runs;
    const before = runs.size;
    const [first, second] = await Promise.all(
      [1, 2].map((n) => postActivity(bot.url, invokeActivity(world.connector.serviceUrl, 'conv-a', ALEX, 'retryExternal', { watchKey: key, cardVersion: n }))),
    );
    const answers = [JSON.stringify(first?.body), JSON.stringify(second?.body)];
    expect(answers.filter((a) => a.includes('Retrying train-fashion-cnn'))).toHaveLength(1);
    expect(answers.filter((a) => a.includes('already running'))).toHaveLength(1);
    expect(runs.size).toBe(before + 1);
    const retried = [...runs.values()].at(-1);
    expect(retried?.jobId).toBe(TRAINING_JOB_ID);
    expect(Object.fromEntries((retried?.jobParameters ?? []).filter((p) => p.name === 'epochs' || p.name === 'lr').map((p) => [p.name, p.value]))).toEqual({ epochs: '3', lr: '0.01' });
    await waitFor('the cards to say the retry succeeded', () => (world.connector.requests.filter((r) => r.kind === 'update' && JSON.stringify(r.body).includes('Job train-fashion-cnn') && JSON.stringify(r.body).includes('Retry succeeded')).length >= 2 ? true : undefined), 30_000);
    expect(postsOf(world.connector, 'conv-a', 'Job train-fashion-cnn')).toHaveLength(2);
    const audit = await bot.store.runs.listAudit({ limit: 50 });
    expect(audit.filter((e) => e.action === 'watch.retry' && e.detail.key === key).map((e) => `${e.actor}:${e.outcome}`)).toEqual(['user-id-0:ok']);
  }, 60_000);

  it("sends the bot's own training runs' on_start/on_success to the bot, and never reports them as external runs", async () => {
    const run = await started(bot.engine.startTrain({ model: 'fashion-cnn', params: { epochs: 1 }, requester: { id: ALEX.id, name: ALEX.name }, conversationId: 'conv-a' }));
    const trained = await waitFor('training to be submitted', async () => (await bot.store.runs.getRun(run.id))?.training?.databricksRunId, 30_000);
    await waitFor('the on_start notification of our own run', () => world.sandbox.databricks.state.sentNotifications.find((n) => n.event_type === 'jobs.on_start' && (n.run as { run_id: string }).run_id === String(trained)), 30_000);
    await waitFor('the on_success notification of our own run', () => world.sandbox.databricks.state.sentNotifications.find((n) => n.event_type === 'jobs.on_success' && (n.run as { run_id: string }).run_id === String(trained)), 30_000);
    await bot.watching.pass();
    expect(await bot.store.watch.getReport(`databricks:${trained}`)).toBeUndefined();
  }, 60_000);

  it('posts a success only where it was asked for (--events succeeded), once', async () => {
    await world.subscribe(bot, 'conv-c', ALEX, '--pipeline mlops-ci --events succeeded');
    const before = { a: postsOf(world.connector, 'conv-a', 'Pipeline mlops-ci').length, b: postsOf(world.connector, 'conv-b', 'Pipeline mlops-ci').length };
    const { id } = await queueFromUi(undefined);
    const card = await waitFor('the success card in conv-c', () => postsOf(world.connector, 'conv-c', 'Pipeline mlops-ci')[0], 30_000);
    expect(card.body).toContain('mlops-ci succeeded');
    expect(card.body).toContain(`_build/results?buildId=${id}`);
    expect(card.body).not.toContain('retryExternal');
    await world.sandbox.azureDevOps.state.hooks.flush();
    await bot.watching.pass();
    await bot.watching.pass();
    expect(postsOf(world.connector, 'conv-c', 'Pipeline mlops-ci')).toHaveLength(1);
    expect({ a: postsOf(world.connector, 'conv-a', 'Pipeline mlops-ci').length, b: postsOf(world.connector, 'conv-b', 'Pipeline mlops-ci').length }).toEqual(before);
  }, 60_000);
});
