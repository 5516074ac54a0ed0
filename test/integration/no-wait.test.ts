import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot, type RunningBot } from '../../bot/app';
import { SandboxClock } from '../../sandbox/common/clock';
import { SANDBOX_ACR, SCORING_REPOSITORY, startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { loadConfig } from '../../services/config/config';
import { silentLogger } from '../../services/logger';
import { freePort } from '../support/browser';
import { invokeActivity, messageActivity, postActivity, waitFor } from '../support/bot-activities';
import { REPO_ROOT } from '../support/context';
import { configReader, PRODUCTION_ONLY } from '../support/environments';
import { MockConnector } from '../support/mock-connector';

const ALEX = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-0000000000020' };
const MEGAN = { id: 'user-id-1', name: 'Megan Bowen', aadObjectId: '00000000-0000-0000-0000-0000000000021' };
/** Far below the 60 s poll interval: a step that waited for a poll could not make it. */
const WELL_BELOW_A_POLL = 15_000;

/**
 * With POLL_INTERVAL_MS=60000 (the tracker's first pass runs at start, the next a minute later),
 * a run still reaches its next external call right after the click or command that allows it.
 */
describe('runs never wait for a poll they do not need', () => {
  let sandbox: Sandbox;
  let bot: RunningBot;
  let connector: MockConnector;
  const calls = (server: { calls: Map<string, number> }, ...ops: string[]): number => ops.reduce((n, op) => n + (server.calls.get(op) ?? 0), 0);

  beforeAll(async () => {
    sandbox = await startSandbox({ clock: new SandboxClock(200) });
    connector = await MockConnector.start();
    // One environment (PRODUCTION_ONLY): /deploy must stop at an approval, so that the Approve click is what lets the ACI create go.
    const config = loadConfig({ ...sandbox.env, STATE_STORE: `sqlite:${join(mkdtempSync(join(tmpdir(), 'mlops-nowait-')), 's.db')}`, POLL_INTERVAL_MS: '60000' }, configReader(PRODUCTION_ONLY), REPO_ROOT);
    bot = await startBot(config, silentLogger, { host: '127.0.0.1', port: await freePort() });
  });
  afterAll(async () => {
    await bot.stop();
    await connector.close();
    await sandbox.close();
  });

  it('sends the CI queue request right after /train', async () => {
    const before = calls(sandbox.azureDevOps.server, 'runs.create', 'builds.queue');
    const res = await postActivity(bot.url, messageActivity(connector.serviceUrl, 'conv-nowait', ALEX, '/train fashion-cnn epochs=1'));
    expect(res.status).toBe(200);
    await waitFor('the CI queue request', () => (calls(sandbox.azureDevOps.server, 'runs.create', 'builds.queue') > before ? true : undefined), WELL_BELOW_A_POLL);
  });

  it('goes from /deploy to the approval card, and from the Approve click to the ACI create request', async () => {
    // A registered version with a scoring image, as a finished training leaves it.
    const mlflow = sandbox.databricks.state.mlflow;
    const model = 'main.mlops.fashion_cnn';
    if (!mlflow.models.has(model)) mlflow.createModel(model, Date.now(), 'unity-catalog');
    const v = mlflow.createVersion(model, 'unity-catalog', { source: 'dbfs:/model', runId: 'run-nowait', userId: 'sandbox', now: Date.now() });
    v.tags.scoring_image = `${SANDBOX_ACR}/${SCORING_REPOSITORY}:nowait-${v.version}`;
    sandbox.acr.push(v.tags.scoring_image, Date.now()); // as the CI pipeline would have pushed it

    await postActivity(bot.url, messageActivity(connector.serviceUrl, 'conv-nowait', ALEX, `/deploy fashion-cnn ${v.version}`));
    // Registry stage, then the approval opened: no external news needed, so no poll either.
    const waiting = await waitFor(
      'the deploy run waiting for approval',
      async () => (await bot.store.runs.listRuns({ model: 'fashion-cnn' })).find((r) => r.kind === 'deploy' && r.status === 'waiting_approval'),
      WELL_BELOW_A_POLL,
    );
    const before = calls(sandbox.arm.server, 'containerGroups.createOrUpdate');
    const click = await postActivity(bot.url, invokeActivity(connector.serviceUrl, 'conv-nowait', MEGAN, 'approve', { runId: waiting.id, approvalId: `${waiting.id}-approval`, cardVersion: 1 }));
    expect(click.status).toBe(200);
    await waitFor('the ACI create request', () => (calls(sandbox.arm.server, 'containerGroups.createOrUpdate') > before ? true : undefined), WELL_BELOW_A_POLL);
    // …and ARM's acceptance is recorded (the call returns before the record is written: wait for it).
    const sent = await waitFor('the PUT recorded as sent', async () => ((await bot.store.runs.getRun(waiting.id))?.deploy?.sentAt ? true : undefined), WELL_BELOW_A_POLL);
    expect(sent).toBe(true);
  });
});
