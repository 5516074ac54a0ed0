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
 * The group chat subscribes to the CI pipeline; someone queues it from the Azure DevOps UI (the
 * sandbox's queue-as path) and it fails: the failure card appears in the Playground, with what
 * failed, who triggered it, Retry and the link — for a pipeline run the bot did not start.
 */
run('a failure card for a pipeline the bot did not start, in the Agents Playground', () => {
  let sandbox: Sandbox;
  let bot: RunningBot;
  let playground: Playground;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'mlops-e2e-watch-'));
    const botPort = await freePort();
    const secret = 'e2e-webhook-secret-0123456789';
    sandbox = await startSandbox({
      clock: new SandboxClock(100),
      webhooks: { azureDevOpsUrl: `http://127.0.0.1:${botPort}/api/webhooks/azure-devops`, databricksUrl: `http://127.0.0.1:${botPort}/api/webhooks/databricks`, secret },
    });
    const config = loadConfig({ ...sandbox.env, STATE_STORE: `sqlite:${join(dir, 'state.db')}`, POLL_INTERVAL_MS: '3600000' }, undefined, REPO_ROOT);
    bot = await startBot(config, createLogger('warn'), { host: '127.0.0.1', port: botPort });
    playground = await startPlayground({ botEndpoint: `${bot.url}/api/messages`, port: await freePort(), cwd: dir });
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

  async function sendToBot(text: string): Promise<void> {
    await page.getByRole('textbox').first().click();
    await page.keyboard.type('@Test');
    await page.getByRole('menuitem', { name: /Test Bot/ }).first().click();
    await page.keyboard.type(` ${text}`);
    await page.keyboard.press('Enter');
  }

  it('shows the failure card of a CI run queued from the Azure DevOps UI by someone else', async () => {
    await sendToBot('/subscribe --pipeline mlops-ci');
    await page.getByText(/now gets failed events of pipeline mlops-ci/).first().waitFor({ timeout: 20_000 });
    const queued = await fetch(`${sandbox.azureDevOps.url}/_control/azure-devops/queue-as`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pipelineId: 1, requestedFor: { displayName: 'Megan Bowen', uniqueName: 'megan.bowen@contoso.example' }, reason: 'manual', failTask: 'Run unit tests' }),
    });
    expect(queued.status).toBe(200);
    const card = page.locator('.ac-adaptiveCard', { hasText: 'Pipeline mlops-ci failed' });
    await card.first().waitFor({ timeout: 60_000 });
    const text = await card.first().innerText();
    expect(text).toContain('Run unit tests');
    expect(text).toContain('Megan Bowen');
    expect(text).toContain("Bash exited with code '1'.");
    await expect(card.first().getByRole('button', { name: /Retry/ }).count()).resolves.toBeGreaterThan(0);
    expect(text).toContain('Open run in Azure DevOps');
    await card.first().screenshot({ path: join(OUT, 'external-failure-card.png') });
  }, 180_000);
});
