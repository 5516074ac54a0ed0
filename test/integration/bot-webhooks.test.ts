import { started } from '../support/workflow-harness';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot, type RunningBot } from '../../bot/app';
import { hasSecret } from '../../bot/webhooks';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { loadConfig } from '../../services/config/config';
import { silentLogger } from '../../services/logger';
import { freePort } from '../support/browser';
import { waitFor } from '../support/bot-activities';
import { REPO_ROOT } from '../support/context';

const SECRET = 'webhook-secret-for-tests-0123456789';
const basic = (password: string): string => `Basic ${Buffer.from(`mlops:${password}`).toString('base64')}`;
const example = (file: string): unknown => JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/protocols', file), 'utf8'));

describe('webhooks', () => {
  let sandbox: Sandbox;
  let bot: RunningBot;
  beforeAll(async () => {
    const port = await freePort();
    sandbox = await startSandbox({
      clock: new SandboxClock(100),
      webhooks: { azureDevOpsUrl: `http://127.0.0.1:${port}/api/webhooks/azure-devops`, databricksUrl: `http://127.0.0.1:${port}/api/webhooks/databricks`, secret: SECRET },
    });
    // Polling is slow here (1 h): whatever moves the run forward comes from the webhooks.
    const config = loadConfig({ ...sandbox.env, STATE_STORE: `sqlite:${join(mkdtempSync(join(tmpdir(), 'mlops-wh-')), 's.db')}`, POLL_INTERVAL_MS: '3600000' }, undefined, REPO_ROOT);
    bot = await startBot(config, silentLogger, { host: '127.0.0.1', port });
  });
  afterAll(async () => {
    await bot.stop();
    await sandbox.close();
  });

  const post = async (path: string, body: unknown, headers: Record<string, string>) => {
    const res = await fetch(`${bot.url}/api/webhooks/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('refuses a missing or wrong secret and changes nothing', async () => {
    const body = example('azure-devops/servicehook-ms.vss-pipelines.run-state-changed-event.json');
    expect((await post('azure-devops', body, {})).status).toBe(401);
    expect((await post('azure-devops', body, { authorization: basic('wrong') })).status).toBe(401);
    expect((await post('databricks', example('databricks/webhook-jobs.on_start-job-run.json'), { 'x-webhook-secret': 'wrong' })).status).toBe(401);
  });

  it('answers malformed payloads with 400 and a reason', async () => {
    const r = await post('databricks', { event_type: 'jobs.on_start' }, { authorization: basic(SECRET) });
    expect(r.status).toBe(400);
    expect(String(r.body.error)).toContain('not a Databricks job notification');
    expect((await post('azure-devops', { eventType: 42 }, { 'x-webhook-secret': SECRET })).status).toBe(400);
  });

  it('accepts the real example payloads (no run of ours matches them)', async () => {
    expect(await post('azure-devops', example('azure-devops/servicehook-ms.vss-pipelines.run-state-changed-event.json'), { authorization: basic(SECRET) })).toMatchObject({ status: 202 });
    expect(await post('databricks', example('databricks/webhook-jobs.on_failure-job-run.json'), { authorization: basic(SECRET) })).toMatchObject({ status: 202, body: { runs: [] } });
  });

  it('moves a run on from the sandbox service hooks alone, and a duplicate delivery changes nothing', async () => {
    const run = await started(bot.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: { id: 'user-id-0', name: 'Alex' }, conversationId: 'nowhere' }));
    await bot.engine.advance(run.id); // queues the CI pipeline; from here on only hooks nudge the run
    const trained = await waitFor('training to start from a service hook', async () => ((await bot.store.runs.getRun(run.id))?.training?.databricksRunId ? bot.store.runs.getRun(run.id) : undefined), 30_000);
    const delivered = sandbox.azureDevOps.state.hooks.deliveries.find((d) => JSON.stringify(d).includes('run-state-changed'));
    expect(delivered).toBeDefined();
    const before = await bot.store.runs.getRun(run.id);
    const duplicate = { event_type: 'jobs.on_start', workspace_id: '1', run: { run_id: String(trained?.training?.databricksRunId) }, job: { job_id: '1', name: 'train' } };
    const again = await post('databricks', duplicate, { authorization: basic(SECRET) });
    expect(again).toMatchObject({ status: 202, body: { runs: [run.id] } });
    expect(await post('databricks', duplicate, { authorization: basic(SECRET) })).toMatchObject({ status: 202, body: { runs: [run.id] } });
    // The nudges queued advances on this run; the engine runs them in order, so this returns after them.
    await bot.engine.advance(run.id);
    const after = await bot.store.runs.getRun(run.id);
    expect(after?.training?.databricksRunId).toBe(before?.training?.databricksRunId);
    expect((await bot.store.runs.listAudit({ runId: run.id })).filter((a) => a.action === 'databricks.submit')).toHaveLength(1);
  }, 60_000);

  it('compares the secret in constant time over basic auth or a header', () => {
    expect(hasSecret('s3cret-value', { authorization: basic('s3cret-value') })).toBe(true);
    expect(hasSecret('s3cret-value', { 'x-webhook-secret': 's3cret-value' })).toBe(true);
    expect(hasSecret('s3cret-value', { 'x-webhook-secret': 's3cret-valuf' })).toBe(false);
    expect(hasSecret('s3cret-value', {})).toBe(false);
  });
});
