import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { startBot, type RunningBot } from '../../bot/app';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { HOST_PATH, registerTeamsHost, SANDBOX_TAB_USERS } from '../../sandbox/teams-host/teams-host';
import { loadConfig } from '../../services/config/config';
import { silentLogger } from '../../services/logger';
import type { RunRecord } from '../../services/workflow/run.types';
import { browserAvailable, freePort, launchChromium } from '../support/browser';
import { messageActivity, postActivity, waitFor } from '../support/bot-activities';
import { REPO_ROOT } from '../support/context';
import { PRODUCTION_TRAINERS_ONLY_MEGAN } from '../support/dashboard-config';
import { MockConnector } from '../support/mock-connector';

const OUT = join(REPO_ROOT, 'test-output', 'e2e');
const run = browserAvailable() ? describe : describe.skip;
const ALEX_IN_CHAT = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: SANDBOX_TAB_USERS.alex!.oid };

/**
 * The dashboard's models, subscriptions and schedules pages as Teams hosts them (the sandbox's
 * Teams host page frames the tab). fashion-cnn goes through staging then production, where only
 * Megan may deploy: Adele's Promote is refused in words, Megan's opens the production approval.
 * Screenshots (light and dark) go to test-output/e2e/.
 */
run('dashboard tab: models, subscriptions and schedules (headless Chromium)', () => {
  let sandbox: Sandbox;
  let bot: RunningBot;
  let connector: MockConnector;
  let browser: Browser;
  let live: RunRecord;

  const say = async (text: string): Promise<void> => {
    expect((await postActivity(bot.url, messageActivity(connector.serviceUrl, 'conv-alex', ALEX_IN_CHAT, text))).status).toBe(200);
  };
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    sandbox = await startSandbox({ clock: new SandboxClock(100) });
    connector = await MockConnector.start();
    const config = loadConfig({ ...sandbox.env, STATE_STORE: `sqlite:${join(mkdtempSync(join(tmpdir(), 'mlops-tab-models-')), 's.db')}`, POLL_INTERVAL_MS: '200' }, (p) => PRODUCTION_TRAINERS_ONLY_MEGAN(readFileSync(p, 'utf8')), REPO_ROOT);
    bot = await startBot(config, silentLogger, { host: '127.0.0.1', port: await freePort(), routes: [(kit) => registerTeamsHost(kit, sandbox.entra)] });
    browser = await launchChromium();
    await say('/train fashion-cnn epochs=1');
    await say('/subscribe fashion-cnn --events failed,approval');
    await say('/schedule fashion-cnn "30 2 * * 1-5" --tz Europe/Paris');
    const first = await waitFor('the run', async () => (await bot.store.runs.listRuns({}))[0]);
    live = await waitFor('the run live in staging', async () => {
      const r = await bot.store.runs.getRun(first.id);
      if (r?.status === 'failed') throw new Error(`run failed: ${r.failure?.message ?? ''}`);
      return r?.status === 'succeeded' ? r : undefined;
    }, 90_000);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await bot?.stop();
    await connector?.close();
    await sandbox?.close();
  });

  const open = async (query: string): Promise<{ page: Page; tab: FrameLocator }> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // teams-js refreshes its host allow-list from this CDN at start; offline, it falls back to its built-in list.
    await page.route('https://res.cdn.office.net/**', (r) => r.abort());
    await page.goto(`${bot.url}${HOST_PATH}?${query}`, { waitUntil: 'domcontentloaded' });
    return { page, tab: page.frameLocator('#tab') };
  };
  const dark = async (page: Page, tab: FrameLocator): Promise<void> => {
    await page.evaluate("window.sendTheme('dark')");
    await waitFor('the dark theme', async () => ((await tab.locator('html').getAttribute('data-theme')) === 'dark' ? true : undefined), 5_000);
    // The buttons fade to their new colours: shoot once no transition runs.
    await waitFor('the theme transitions', async () => ((await tab.locator('body').evaluate(() => document.getAnimations().length)) === 0 ? true : undefined), 5_000);
  };

  it('shows each environment with its version, URI and health, and refuses Adele\'s Promote in a sentence', async () => {
    const { page, tab } = await open('user=adele');
    await tab.getByRole('link', { name: 'Models' }).click();
    const staging = tab.locator('li[data-env="staging"]');
    await staging.waitFor({ timeout: 20_000 });
    expect(await staging.getAttribute('data-health')).toBe('healthy');
    expect(await staging.locator('dl.facts dd').first().textContent()).toBe(`v${live.registered!.version!}`);
    await staging.getByRole('link', { name: live.deploy!.scoringUri! }).waitFor();
    await staging.locator('table.history').getByRole('link', { name: live.id }).waitFor();
    expect(await tab.locator('li[data-env="production"]').getAttribute('data-health')).toBe('not-deployed');
    await staging.getByText('Your roles do not allow you to promote to production').waitFor();
    await page.screenshot({ path: join(OUT, 'dashboard-models-light.png'), fullPage: true });
    const before = (await bot.store.runs.listRuns({})).length;
    await staging.locator('[data-action="promote"]').click();
    await staging.getByRole('status').getByText('You are not allowed to deploy fashion-cnn in production: it needs the trainer role for fashion-cnn in production').waitFor({ timeout: 10_000 });
    expect(await bot.store.runs.listRuns({})).toHaveLength(before);
    await dark(page, tab);
    await page.screenshot({ path: join(OUT, 'dashboard-models-refused-dark.png'), fullPage: true });
    await page.close();
  });

  it('lets Megan promote with the keyboard: the production deploy waits for its approval', async () => {
    const { page, tab } = await open('user=megan');
    await tab.getByRole('link', { name: 'Models' }).click();
    const promote = tab.locator('li[data-env="staging"] [data-action="promote"]');
    await promote.waitFor({ timeout: 20_000 });
    expect((await promote.textContent())?.trim()).toBe(`Promote v${live.registered!.version!} to production`);
    await promote.focus();
    await page.keyboard.press('Enter');
    await tab.locator('#notice').getByText(`Promoting version ${live.registered!.version!} of fashion-cnn to production`).waitFor({ timeout: 10_000 });
    const waiting = await waitFor('the production approval', async () => (await bot.store.runs.listRuns({ status: 'waiting_approval' })).find((r) => r.target === 'production'), 60_000);
    expect(waiting).toMatchObject({ promotedFrom: live.id, requester: { name: 'Megan Bowen' } });
    // The page redraws itself with the new run in production's history.
    await tab.locator(`li[data-env="production"] tr[data-run="${waiting.id}"]`).waitFor({ timeout: 40_000 });
    // Once per run, as on its card: the button gives way to who promoted it.
    await tab.locator('li[data-env="staging"]').getByText(`v${live.registered!.version!} was promoted to production by Megan Bowen`).waitFor();
    expect(await promote.count()).toBe(0);
    expect(await tab.locator('li[data-env="staging"] h4').evaluate((el) => el === document.activeElement)).toBe(true);
    await page.screenshot({ path: join(OUT, 'dashboard-models-promoted-light.png'), fullPage: true });
    await dark(page, tab);
    await page.screenshot({ path: join(OUT, 'dashboard-models-dark.png'), fullPage: true });
    // "All runs … in production" opens the runs list filtered by model and environment (in the address).
    await tab.getByRole('link', { name: 'All runs of fashion-cnn in production' }).click();
    await tab.locator(`table.runs tr[data-run="${waiting.id}"]`).waitFor({ timeout: 10_000 });
    expect(await tab.locator(`table.runs tr[data-run="${live.id}"]`).count()).toBe(0);
    expect(await tab.getByLabel('Environment').inputValue()).toBe('production');
    // Changing a filter goes through the server's filter too.
    await tab.getByLabel('Environment').selectOption('staging');
    await tab.locator(`table.runs tr[data-run="${live.id}"]`).waitFor({ timeout: 10_000 });
    expect(await tab.locator(`table.runs tr[data-run="${waiting.id}"]`).count()).toBe(0);
    await page.close();
  }, 120_000);

  it('keeps the runs list current by itself: ETag revalidation (304s), and a new run appears without a reload', async () => {
    const { page, tab } = await open('user=megan');
    const revalidated = page.waitForResponse((r) => r.url().includes('/api/dashboard/runs?') && r.status() === 304, { timeout: 30_000 });
    await tab.locator(`tr[data-run="${live.id}"]`).waitFor({ timeout: 20_000 });
    await revalidated;
    const { id: _id, version: _v, ...shape } = live;
    const fresh = await bot.store.runs.createRun({ ...shape, requester: { id: 'user-id-1', name: 'Megan Bowen' } });
    await tab.locator(`tbody[data-page="newest"] tr[data-run="${fresh.id}"]`).waitFor({ timeout: 30_000 });
    await page.close();
  }, 60_000);

  it('lists the subscriptions of Alex\'s conversations and the schedules, and removes a schedule', async () => {
    const { page, tab } = await open('user=alex');
    await tab.getByRole('link', { name: 'Subscriptions' }).click();
    const row = tab.locator('tr[data-target="fashion-cnn"]');
    await row.waitFor({ timeout: 20_000 });
    expect(await row.locator('td').allTextContents()).toEqual(expect.arrayContaining(['Your chat with the bot', 'model fashion-cnn', 'failed, approval']));
    await page.screenshot({ path: join(OUT, 'dashboard-subscriptions-light.png'), fullPage: true });
    await tab.getByRole('link', { name: 'Schedules' }).click();
    const schedule = tab.locator('tr[data-model="fashion-cnn"]');
    await schedule.waitFor({ timeout: 20_000 });
    await schedule.getByText('30 2 * * 1-5').waitFor();
    // The next run in the schedule's own time zone, as /schedule words it.
    await schedule.getByText(/2:30\sAM Europe\/Paris/).waitFor();
    await page.screenshot({ path: join(OUT, 'dashboard-schedules-light.png'), fullPage: true });
    await dark(page, tab);
    await page.screenshot({ path: join(OUT, 'dashboard-schedules-dark.png'), fullPage: true });
    await tab.getByRole('link', { name: 'Subscriptions' }).click();
    await row.waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(OUT, 'dashboard-subscriptions-dark.png'), fullPage: true });
    await tab.getByRole('link', { name: 'Schedules' }).click();
    const remove = schedule.locator('[data-action="remove"]');
    expect(await remove.getAttribute('aria-label')).toBe('Remove the schedule of fashion-cnn');
    await remove.click();
    await tab.locator('#notice').getByText('fashion-cnn is no longer retrained on a schedule.').waitFor({ timeout: 10_000 });
    await tab.getByText('No model is retrained on a schedule.').waitFor({ timeout: 10_000 });
    expect(await bot.scheduling.service.list()).toEqual([]);
    await page.close();
  });
});
