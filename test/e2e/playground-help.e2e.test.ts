import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startBot, type RunningBot } from '../../bot/app';
import { createLogger } from '../../services/logger';
import { startPlayground, type Playground } from '../../sandbox/playground';
import { browserAvailable, freePort, launchChromium } from '../support/browser';
import { REPO_ROOT, sandboxConfig } from '../support/context';

const OUT = join(REPO_ROOT, 'test-output', 'e2e');
const run = browserAvailable() ? describe : describe.skip;

run('in the Agents Playground (headless Chromium)', () => {
  let bot: RunningBot;
  let playground: Playground;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'mlops-e2e-'));
    bot = await startBot(sandboxConfig({ STATE_STORE: `sqlite:${join(dir, 'state.db')}` }), createLogger('warn'), { host: '127.0.0.1', port: 0 });
    playground = await startPlayground({ botEndpoint: `${bot.url}/api/messages`, port: await freePort(), cwd: dir });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(playground.url, { waitUntil: 'domcontentloaded' });
    await page.getByRole('textbox').first().waitFor({ timeout: 30_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await playground?.stop();
    await bot?.stop();
  });

  async function send(text: string): Promise<void> {
    const box = page.getByRole('textbox').first();
    await box.click();
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');
  }

  it('welcomes the user with a card when the bot is installed', async () => {
    await page.locator('.ac-adaptiveCard', { hasText: 'Hi, I am MLOps ChatOps' }).first().waitFor({ timeout: 20_000 });
  });

  it('renders the help card with /train when the user types /help', async () => {
    await send('/help');
    const card = page.locator('.ac-adaptiveCard', { hasText: 'MLOps ChatOps: commands' }).last();
    await card.waitFor({ timeout: 20_000 });
    await expect(card.innerText()).resolves.toContain('/train [model] [--branch');
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUT, 'help-card.png'), fullPage: false });
  });

  it('answers /nonsense with a suggestion and nothing else', async () => {
    await send('/nonsense');
    const reply = page.getByText(/I don't know the command "nonsense"\. Did you mean/).last();
    await reply.waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(OUT, 'unknown-command.png') });
  });
});
