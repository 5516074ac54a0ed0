/**
 * `npm run bench:dashboard`: the dashboard tab's weight and speed, as ratios to baselines measured
 * in the same run (issue 12):
 * - bundle: the tab's JS + CSS, gzipped, against a static HTML page showing the same first page
 *   of runs (the least a page with that data can weigh);
 * - first render with 1,000 runs stored: from navigation to the first 25 rows shown in the tab
 *   (framed by the sandbox Teams host, SSO and API calls included) against the same static page;
 * - API: GET /api/dashboard/runs (SSO check, query, JSON) against GET /healthz on the same server.
 * Medians of alternating rounds. Needs Debian's chromium (/usr/bin/chromium).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startBot } from '../bot/app';
import { dashboardDir } from '../bot/dashboard/dashboard-static';
import { runSummary } from '../bot/dashboard/dashboard-views';
import { SandboxClock } from '../sandbox/common/clock';
import { startSandbox } from '../sandbox/sandbox';
import { HOST_PATH, registerTeamsHost, SANDBOX_TAB_USERS } from '../sandbox/teams-host/teams-host';
import { loadConfig } from '../services/config/config';
import { silentLogger } from '../services/logger';
import { STAGE_IDS, type RunRecord } from '../services/workflow/run.types';

const ROUNDS = 7;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const line = (name: string, subject: number, baseline: number, unit: string): void => {
  process.stdout.write(`${name.padEnd(52)} ${(subject / baseline).toFixed(2).padStart(8)}x baseline  (${subject.toFixed(1)} ${unit} vs ${baseline.toFixed(1)} ${unit})\n`);
};

async function main(): Promise<void> {
  const sandbox = await startSandbox({ clock: new SandboxClock(1) });
  const config = loadConfig({ ...sandbox.env, STATE_STORE: `sqlite:${join(mkdtempSync(join(tmpdir(), 'bench-dash-')), 's.db')}`, POLL_INTERVAL_MS: '3600000', LOG_LEVEL: 'silent' });
  const bot = await startBot(config, silentLogger, { host: '127.0.0.1', port: 0, routes: [(kit) => registerTeamsHost(kit, sandbox.entra)] });
  const now = new Date().toISOString();
  const template: Omit<RunRecord, 'id' | 'version'> = {
    model: 'fashion-cnn', target: 'production', kind: 'train', params: { lr: 0.01, epochs: 5 }, branch: 'main',
    requester: { id: 'user-id-0', name: 'Alex Wilber' }, conversationId: 'c', status: 'succeeded',
    stages: STAGE_IDS.map((id) => ({ id, state: 'succeeded', startedAt: now, finishedAt: now })),
    registered: { version: '3' }, metrics: [{ name: 'loss', points: Array.from({ length: 50 }, (_, i) => ({ step: i, value: 1 / (i + 1) })) }], createdAt: now, updatedAt: now,
  };
  for (let i = 0; i < 1000; i++) await bot.store.runs.createRun(template);
  const first = (await bot.store.runs.listRuns({ limit: 25 })).map(runSummary);

  // The baseline page: the same 25 rows, server-rendered, no script.
  const cell = (s: string): string => `<td>${s.replace(/[<>&]/g, '')}</td>`;
  const staticPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Runs</title></head><body><h2>Runs</h2><table class="runs"><tbody>${first
    .map((r) => `<tr data-run="${r.id}">${[r.id, r.model, `v${r.modelVersion ?? ''}`, r.status, r.current ?? '', r.requester, r.createdAt].map(cell).join('')}</tr>`)
    .join('')}</tbody></table></body></html>`;
  const baseline = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(staticPage);
  });
  await new Promise<void>((r) => baseline.listen(0, '127.0.0.1', r));
  const baseUrl = `http://127.0.0.1:${(baseline.address() as { port: number }).port}/`;

  const dir = dashboardDir();
  const bundle = ['dashboard.js', 'dashboard.css', 'index.html'].reduce((n, f) => n + gzipSync(readFileSync(join(dir, f))).length, 0);
  line('bundle, gzipped (JS + CSS + HTML) vs static page', bundle / 1024, gzipSync(staticPage).length / 1024, 'KiB');

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
  const tab: number[] = [];
  const plain: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 ? (['static', 'tab'] as const) : (['tab', 'static'] as const)) {
      const page = await browser.newPage();
      await page.route('https://res.cdn.office.net/**', (r) => r.abort());
      const t0 = performance.now();
      if (kind === 'tab') {
        await page.goto(`${bot.url}${HOST_PATH}?user=megan`, { waitUntil: 'commit' });
        await page.frameLocator('#tab').locator('table.runs tbody tr').nth(24).waitFor({ timeout: 30_000 });
        tab.push(performance.now() - t0);
      } else {
        await page.goto(baseUrl, { waitUntil: 'commit' });
        await page.locator('table.runs tbody tr').nth(24).waitFor({ timeout: 30_000 });
        plain.push(performance.now() - t0);
      }
      await page.close();
    }
  }
  line('first render of the runs list, 1,000 runs stored', median(tab), median(plain), 'ms');
  await browser.close();

  const token = sandbox.entra.issueTabToken(SANDBOX_TAB_USERS.megan!);
  const api: number[] = [];
  const health: number[] = [];
  for (let round = 0; round < 200; round++) {
    let t0 = performance.now();
    await (await fetch(`${bot.url}/api/dashboard/runs`, { headers: { authorization: `Bearer ${token}` } })).text();
    api.push(performance.now() - t0);
    t0 = performance.now();
    await (await fetch(`${bot.url}/healthz`)).text();
    health.push(performance.now() - t0);
  }
  line('GET /api/dashboard/runs (25 of 1,000) vs /healthz', median(api), median(health), 'ms');
  baseline.close();
  await bot.stop();
  await sandbox.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:dashboard failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
