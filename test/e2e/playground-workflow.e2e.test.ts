import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startBot, type RunningBot } from '../../bot/app';
import { SandboxClock } from '../../sandbox/common/clock';
import { startPlayground, type Playground } from '../../sandbox/playground';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { loadConfig } from '../../services/config/config';
import { createLogger } from '../../services/logger';
import { browserAvailable, freePort, launchChromium } from '../support/browser';
import { REPO_ROOT } from '../support/context';

const OUT = join(REPO_ROOT, 'test-output', 'e2e');
const run = browserAvailable() ? describe : describe.skip;

/**
 * The whole story in the Agents Playground with the shipped mlops.config.yaml: Alex types /train in
 * the group chat, the run card advances on its own to staging (no approval) and offers "Promote
 * vN to production"; Alex clicks it, Megan (an approver) approves production, and the production
 * run's card ends with its scoring URI; a failing run produces the failure card with Retry. The playground shows one signed-in user, so
 * Megan's click is the same invoke the playground sends for a click, posted with her as `from`.
 */
run('the /train workflow in the Agents Playground', () => {
  let sandbox: Sandbox;
  let bot: RunningBot;
  let playground: Playground;
  let browser: Browser;
  let page: Page;
  let groupChatId: string;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'mlops-e2e-wf-'));
    const botPort = await freePort();
    const secret = 'e2e-webhook-secret-0123456789';
    sandbox = await startSandbox({
      clock: new SandboxClock(100),
      webhooks: { azureDevOpsUrl: `http://127.0.0.1:${botPort}/api/webhooks/azure-devops`, databricksUrl: `http://127.0.0.1:${botPort}/api/webhooks/databricks`, secret },
    });
    const config = loadConfig({ ...sandbox.env, STATE_STORE: `sqlite:${join(dir, 'state.db')}`, POLL_INTERVAL_MS: '300' }, undefined, REPO_ROOT);
    bot = await startBot(config, createLogger('warn'), { host: '127.0.0.1', port: botPort });
    playground = await startPlayground({ botEndpoint: `${bot.url}/api/messages`, port: await freePort(), cwd: dir });
    const cfg = (await (await fetch(`${playground.url}/_internal/v1/config`)).json()) as { config: { groupChats: { id: string }[] } };
    groupChatId = cfg.config.groupChats[0]?.id ?? '';
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    await page.goto(playground.url, { waitUntil: 'domcontentloaded' });
    await page.getByRole('textbox').first().waitFor({ timeout: 30_000 });
    await page.locator('button', { hasText: 'Group Chat' }).first().click();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await playground?.stop();
    await bot?.stop();
    await sandbox?.close();
  });

  /** Types a message that @mentions the bot, as a group chat requires. */
  async function sendToBot(text: string): Promise<void> {
    await page.getByRole('textbox').first().click();
    await page.keyboard.type('@Test');
    await page.getByRole('menuitem', { name: /Test Bot/ }).first().click();
    await page.keyboard.type(` ${text}`);
    await page.keyboard.press('Enter');
  }

  async function clickAs(userId: string, verb: string, data: Record<string, unknown>, replyToId: string): Promise<{ type?: string; value?: unknown }> {
    const res = await fetch(`${playground.url}/_conversation/v1/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' }, from: { id: userId }, conversation: { id: groupChatId }, replyToId }),
    });
    return (await res.json()) as { type?: string; value?: unknown };
  }

  it('runs /train to staging with no approval, then Promote to production, approved by a second user, each card updated in place', async () => {
    await sendToBot('/train fashion-cnn epochs=3 lr=0.01');
    const runCard = page.locator('.ac-adaptiveCard', { hasText: 'fashion-cnn · run r-1' });
    await runCard.first().waitFor({ timeout: 20_000 });
    await runCard.first().screenshot({ path: join(OUT, 'run-card-started.png') });

    // The shipped config deploys to staging first, with no approval: the card advances on its own
    // to the deployed staging version and offers its promotion to production.
    const promote = runCard.first().getByRole('button', { name: /^Promote v\d+ to production$/ });
    await promote.waitFor({ timeout: 90_000 });
    expect(await runCard.count()).toBe(1);
    const staged = await runCard.first().innerText();
    expect(staged).toContain('Training metrics');
    expect(staged).toMatch(/staging\s+v\d+/);
    expect(staged).toMatch(/production\s+not deployed yet/);
    expect(staged).toMatch(/http:\/\/127\.0\.0\.1:\d+\/score/);
    expect(await page.locator('.ac-adaptiveCard', { hasText: 'Deploy fashion-cnn version' }).count()).toBe(0);
    await runCard.first().screenshot({ path: join(OUT, 'run-card-staging.png') });
    const r1 = await bot.store.runs.getRun('r-1');
    expect(r1).toMatchObject({ status: 'succeeded', target: 'staging', deploy: { containerGroup: 'fashion-cnn-staging' } });

    // Alex (a trainer) clicks Promote in the browser: a deploy run of that version to production,
    // which opens production's approval.
    await promote.click();
    const prodCard = page.locator('.ac-adaptiveCard', { hasText: 'fashion-cnn · run r-2' });
    await prodCard.first().waitFor({ timeout: 30_000 });
    const approval = page.locator('.ac-adaptiveCard', { hasText: 'Deploy fashion-cnn version' });
    await approval.first().waitFor({ timeout: 60_000 });
    await approval.first().screenshot({ path: join(OUT, 'approval-card.png') });
    expect(await bot.store.runs.getRun('r-2')).toMatchObject({ target: 'production', promotedFrom: 'r-1', registered: { version: r1?.registered?.version } });
    // The source card, updated in place, records the promotion and offers it no more.
    await runCard.filter({ hasText: 'promoted as run r-2' }).first().waitFor({ timeout: 30_000 });
    expect(await runCard.count()).toBe(1);
    expect(await promote.count()).toBe(0);
    await runCard.first().screenshot({ path: join(OUT, 'run-card-promoted.png') });

    // Alex (who asked for the promotion) clicks Approve in the browser: refused, nothing changes.
    await approval.first().getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/your own approval does not count/).first().waitFor({ timeout: 15_000 });

    // Megan, an approver, approves.
    const message = await bot.store.runs.getMessage('r-2', 'approvalCard');
    expect(message).toBeDefined();
    const megan = await clickAs('user-id-1', 'approve', { runId: 'r-2', approvalId: 'r-2-approval', cardVersion: 0, comment: 'ship it' }, message!.activityId);
    expect(megan.type).toBe('application/vnd.microsoft.card.adaptive');

    // The production run's card, updated in place (still one card), ends with its scoring URI and
    // the same version live in both environments.
    // (hasText matches the text content, where a FactSet's title and value touch: "productionv1".)
    const deployed = prodCard.filter({ hasText: /production\s*v\d+/ }).filter({ hasText: 'Deployed version' });
    await deployed.first().waitFor({ timeout: 60_000 });
    expect(await prodCard.count()).toBe(1);
    const text = await prodCard.first().innerText();
    expect(text).toMatch(/http:\/\/127\.0\.0\.1:\d+\/score/);
    expect(text).toMatch(new RegExp(`staging\\s+v${r1?.registered?.version ?? '?'}\\b`));
    const r2 = await bot.store.runs.getRun('r-2');
    expect(r2).toMatchObject({ status: 'succeeded', deploy: { containerGroup: 'fashion-cnn-prod' } });
    expect(text).toContain(r2!.deploy!.scoringUri!);
    await prodCard.first().screenshot({ path: join(OUT, 'run-card-deployed.png') });
    await approval.first().screenshot({ path: join(OUT, 'approval-card-approved.png') });
  }, 240_000);

  it('shows the failure card with Retry when a run fails', async () => {
    await fetch(`${sandbox.azureDevOps.url}/_control/azure-devops/fail-next-run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task: 'Run unit tests' }) });
    await sendToBot('/train fashion-cnn');
    const failure = page.locator('.ac-adaptiveCard', { hasText: 'Run unit tests' });
    await failure.last().waitFor({ timeout: 60_000 });
    await expect(failure.last().getByRole('button', { name: /Retry/ }).count()).resolves.toBeGreaterThan(0);
    await failure.last().screenshot({ path: join(OUT, 'failure-card.png') });
  }, 120_000);
});
