import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startBot, type RunningBot } from '../../bot/app';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { HOST_PATH, registerTeamsHost, SANDBOX_TAB_USERS } from '../../sandbox/teams-host/teams-host';
import { loadConfig } from '../../services/config/config';
import { silentLogger } from '../../services/logger';
import { browserAvailable, freePort, launchChromium } from '../support/browser';
import { messageActivity, postActivity, waitFor } from '../support/bot-activities';
import { REPO_ROOT } from '../support/context';
import { configReader, PRODUCTION_ONLY } from '../support/environments';
import { MockConnector } from '../support/mock-connector';

const OUT = join(REPO_ROOT, 'test-output', 'e2e');
const run = browserAvailable() ? describe : describe.skip;
const ALEX_IN_CHAT = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: SANDBOX_TAB_USERS.alex!.oid };

/**
 * The dashboard tab as Teams hosts it: framed by the sandbox's Teams host page, which answers
 * the teams-js host protocol (initialize, context, theme, SSO token) as
 * ../shared/protocols/teams-tab.md describes. Screenshots go to test-output/e2e/.
 */
run('dashboard tab in a Teams host (headless Chromium)', () => {
  let sandbox: Sandbox;
  let bot: RunningBot;
  let connector: MockConnector;
  let browser: Browser;
  let runId: string;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    sandbox = await startSandbox({ clock: new SandboxClock(100) });
    connector = await MockConnector.start();
    // One environment (PRODUCTION_ONLY): the run this tab follows stops at an approval, which the approvals page is about.
    const config = loadConfig({ ...sandbox.env, STATE_STORE: `sqlite:${join(mkdtempSync(join(tmpdir(), 'mlops-tab-')), 's.db')}`, POLL_INTERVAL_MS: '200' }, configReader(PRODUCTION_ONLY), REPO_ROOT);
    bot = await startBot(config, silentLogger, { host: '127.0.0.1', port: await freePort(), routes: [(kit) => registerTeamsHost(kit, sandbox.entra)] });
    browser = await launchChromium();
    const res = await postActivity(bot.url, messageActivity(connector.serviceUrl, 'conv-tab', ALEX_IN_CHAT, '/train fashion-cnn epochs=1'));
    expect(res.status).toBe(200);
    runId = (await waitFor('the run', async () => (await bot.store.runs.listRuns({}))[0])).id;
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await bot?.stop();
    await connector?.close();
    await sandbox?.close();
  });

  const open = async (query: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // teams-js refreshes its host allow-list from this CDN at start; offline, it falls back to its built-in list.
    await page.route('https://res.cdn.office.net/**', (r) => r.abort());
    await page.goto(`${bot.url}${HOST_PATH}?${query}`, { waitUntil: 'domcontentloaded' });
    return page;
  };

  it('opened outside Teams, says how to open it instead of hanging', async () => {
    const page = await browser.newPage();
    await page.route('https://res.cdn.office.net/**', (r) => r.abort());
    await page.goto(`${bot.url}/tabs/dashboard`);
    await page.getByRole('heading', { name: 'Open the dashboard in Microsoft Teams' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(OUT, 'dashboard-outside-teams.png') });
    await page.close();
  });

  it('opens the run of a deep link, follows it live until it waits for approval, and tells the requester he cannot approve', async () => {
    const page = await open(`user=alex&subEntityId=${runId}`);
    const tab = page.frameLocator('#tab');
    await tab.getByRole('heading', { name: new RegExp(`Run ${runId}`) }).waitFor({ timeout: 20_000 });
    // Live: the page revalidates while the run moves, without a reload.
    await tab.locator('[data-status="waiting_approval"]').waitFor({ timeout: 60_000 });
    await tab.getByText('You requested this run: another approver must approve it.').waitFor();
    expect(await tab.locator('[data-action="approve"]').count()).toBe(0);
    await tab.locator('.chart .uplot').first().waitFor();
    const log = await page.evaluate<string[]>('window.hostLog');
    expect(log).toEqual(expect.arrayContaining(['initialize', 'getContext', 'authentication.getAuthToken', 'appInitialization.success', 'registerHandler']));
    await page.screenshot({ path: join(OUT, 'dashboard-run-requester.png'), fullPage: true });
    await page.close();
  });

  it('lists runs and follows a theme change from the host', async () => {
    const page = await open('user=megan');
    const tab = page.frameLocator('#tab');
    await tab.locator(`tr[data-run="${runId}"]`).waitFor({ timeout: 20_000 });
    const bg = (): Promise<string> => tab.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);
    const light = await bg();
    await page.screenshot({ path: join(OUT, 'dashboard-runs-light.png') });
    await page.evaluate("window.sendTheme('dark')");
    await waitFor('the dark theme', async () => ((await tab.locator('html').getAttribute('data-theme')) === 'dark' ? true : undefined), 5_000);
    expect(await bg()).not.toBe(light);
    await page.screenshot({ path: join(OUT, 'dashboard-runs-dark.png') });
    await page.evaluate("window.sendTheme('contrast')");
    await waitFor('the contrast theme', async () => ((await tab.locator('html').getAttribute('data-theme')) === 'contrast' ? true : undefined), 5_000);
    await page.screenshot({ path: join(OUT, 'dashboard-runs-contrast.png') });
    await page.close();
  });

  it('configures a channel tab for one model, which then shows only that model\'s runs', async () => {
    const other = await bot.store.runs.createRun({ ...(await bot.store.runs.getRun(runId))!, model: 'another-model', status: 'succeeded' });
    const page = await open('user=alex&frame=settings');
    const tab = page.frameLocator('#tab');
    await tab.getByRole('heading', { name: 'Add the MLOps dashboard to this conversation' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('#save').isDisabled()).toBe(true);
    await tab.getByLabel('Model').selectOption('fashion-cnn');
    await waitFor('Save enabled', async () => ((await page.locator('#save').isDisabled()) ? undefined : true), 5_000);
    await page.screenshot({ path: join(OUT, 'dashboard-channel-configure.png') });
    await page.locator('#save').click();
    await page.waitForURL(/entityId=model%3Afashion-cnn/, { timeout: 10_000 });
    expect(await page.evaluate<unknown>('window.savedConfig')).toBeUndefined(); // a new page load: the host saved and reopened the tab
    const scoped = page.frameLocator('#tab');
    await scoped.getByRole('heading', { name: 'Runs of fashion-cnn' }).waitFor({ timeout: 20_000 });
    await scoped.locator(`tr[data-run="${runId}"]`).waitFor();
    expect(await scoped.locator(`tr[data-run="${other.id}"]`).count()).toBe(0);
    expect(await scoped.locator('#filter-model').count()).toBe(0);
    await page.screenshot({ path: join(OUT, 'dashboard-channel-tab.png') });
    await page.close();
  });

  it('lets an approver approve from the approvals page, and the run deploys', async () => {
    const page = await open('user=megan');
    const tab = page.frameLocator('#tab');
    await tab.getByRole('link', { name: 'Approvals' }).click();
    const item = tab.locator(`li[data-run="${runId}"]`);
    await item.waitFor({ timeout: 20_000 });
    await item.locator('fluent-textarea').click();
    await page.keyboard.type('ship it');
    await page.screenshot({ path: join(OUT, 'dashboard-approvals.png') });
    await item.locator('[data-action="approve"]').click();
    await tab.locator('#notice').getByText(/Approved/).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(OUT, 'dashboard-approved.png') });
    const done = await waitFor('the deploy', async () => {
      const r = await bot.store.runs.getRun(runId);
      return r?.status === 'succeeded' ? r : undefined;
    }, 60_000);
    expect(done.approval?.decisions[0]).toMatchObject({ decision: 'approved', comment: 'ship it', by: { name: 'Megan Bowen' } });
    await page.goto(`${bot.url}${HOST_PATH}?user=megan&subEntityId=${runId}`);
    await page.frameLocator('#tab').locator('[data-status="succeeded"]').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(OUT, 'dashboard-run-deployed.png'), fullPage: true });
    await page.close();
  });
});
