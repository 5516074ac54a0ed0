import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import type { RunRecord } from '../../services/workflow/run.types';
import { freePort } from '../support/browser';
import { invokeActivity, messageActivity, postActivity, waitFor } from '../support/bot-activities';
import { REPO_ROOT } from '../support/context';
import { BOT_ENTRY, ensureBotBuilt } from '../support/bot-process';
import { MockConnector } from '../support/mock-connector';

const ALEX = { id: 'user-id-0', name: 'Alex Wilber' };
const MEGAN = { id: 'user-id-1', name: 'Megan Bowen' };

/** The real bot process (dist/bot/main.js, the bundle production starts) with the shipped config (staging, then production), killed with SIGKILL mid-run and started again on the same state. */
describe('the bot process killed mid-run', () => {
  let sandbox: Sandbox;
  let connector: MockConnector;
  let dbPath: string;
  let child: ChildProcess | undefined;
  let port: number;

  beforeAll(async () => {
    ensureBotBuilt();
    sandbox = await startSandbox({ clock: new SandboxClock(60) });
    connector = await MockConnector.start();
    dbPath = join(mkdtempSync(join(tmpdir(), 'mlops-kill-')), 'state.db');
    port = await freePort();
  }, 120_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await connector.close();
    await sandbox.close();
  });

  function startChild(): ChildProcess {
    const c = spawn(process.execPath, [BOT_ENTRY], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...sandbox.env, MLOPS_SANDBOX: '1', PORT: String(port), STATE_STORE: `sqlite:${dbPath}`, POLL_INTERVAL_MS: '200', LOG_LEVEL: 'error', MicrosoftAppId: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return c;
  }

  function readRun(id: string): RunRecord | undefined {
    if (!existsSync(dbPath)) return undefined;
    const db = new Database(dbPath, { readonly: true });
    try {
      const row = db.prepare('SELECT body FROM runs WHERE id = ?').get(id) as { body: string } | undefined;
      return row ? (JSON.parse(row.body) as RunRecord) : undefined;
    } finally {
      db.close();
    }
  }

  /** Announcements of a run not yet delivered (the dispatcher marks each outbox row done once sent). */
  function pendingAnnouncements(id: string): number {
    const db = new Database(dbPath, { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM outbox WHERE run_id = ? AND done_at IS NULL').get(id) as { n: number }).n;
    } finally {
      db.close();
    }
  }

  async function ready(): Promise<void> {
    await waitFor('the bot to be ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok || undefined, 20_000);
  }

  it('resumes the run to staging, keeps updating its card, promotes it to production, and announces each deploy exactly once', async () => {
    child = startChild();
    await ready();
    const bot = `http://127.0.0.1:${port}`;
    const started = await postActivity(bot, messageActivity(connector.serviceUrl, 'conv-1', ALEX, '/train fashion-cnn epochs=3'));
    expect(started.status).toBe(200);
    const cardPost = await waitFor('the run card', () => connector.requests.find((r) => r.kind === 'send' && JSON.stringify(r.body).includes('run r-1')));
    expect(cardPost.conversationId).toBe('conv-1');

    await waitFor('training to be submitted', () => readRun('r-1')?.training?.databricksRunId);
    const killed = child;
    killed.kill('SIGKILL');
    await new Promise((r) => killed.once('exit', r));
    const updatesBefore = connector.requests.filter((r) => r.kind === 'update').length;
    // Killed mid-run: the staging deploy is still ahead (the restarted process does it).
    expect(readRun('r-1')).toMatchObject({ status: 'running' });
    expect(readRun('r-1')?.deploy).toBeUndefined();

    child = startChild();
    await ready();
    // The shipped config: /train deploys to staging, which needs no approval.
    const staged = await waitFor('the staging deploy', () => (readRun('r-1')?.status === 'succeeded' ? readRun('r-1') : undefined), 60_000);
    expect(staged).toMatchObject({ target: 'staging', training: { databricksRunId: expect.anything() as unknown } });
    expect(staged.deploy?.scoringUri).toMatch(/\/score$/);
    // The restarted bot updates the card again (announcements follow the store, after its fsync: wait for one, do not race it).
    await waitFor('a card update from the restarted bot', () => connector.requests.filter((r) => r.kind === 'update').length > updatesBefore || undefined, 30_000);
    const promotable = await waitFor('the Promote button on the run card', () => connector.requests.find((r) => r.kind === 'update' && JSON.stringify(r.body).includes('fashion-cnn · run r-1') && JSON.stringify(r.body).includes('Promote v')));

    // The card's Promote, then production's approval by Megan.
    const promoted = await postActivity(bot, invokeActivity(connector.serviceUrl, 'conv-1', ALEX, 'promoteRun', { runId: 'r-1', cardVersion: 0 }, promotable.activityId));
    expect(promoted.status).toBe(200);
    const waiting = await waitFor('the production approval', () => (readRun('r-2')?.status === 'waiting_approval' ? readRun('r-2') : undefined), 60_000);
    expect(waiting).toMatchObject({ target: 'production', promotedFrom: 'r-1', registered: { version: staged.registered?.version } });

    const approved = await postActivity(bot, invokeActivity(connector.serviceUrl, 'conv-1', MEGAN, 'approve', { runId: 'r-2', approvalId: 'r-2-approval', cardVersion: 0 }));
    expect(approved.status).toBe(200);
    const done = await waitFor('the production deploy', () => (readRun('r-2')?.status === 'succeeded' ? readRun('r-2') : undefined), 60_000);
    expect(done.deploy?.scoringUri).toMatch(/\/score$/);
    expect(done.deploy?.scoringUri).not.toBe(staged.deploy?.scoringUri);

    // The runs are final, so nothing enqueues another notice; once their outbox is drained every announcement was sent.
    for (const id of ['r-1', 'r-2']) {
      await waitFor(`the live notice of ${id}`, () => connector.requests.find((r) => JSON.stringify(r.body).includes(`${id}: fashion-cnn version`) && JSON.stringify(r.body).includes('is live at')));
      await waitFor(`every announcement of ${id} to be delivered`, () => pendingAnnouncements(id) === 0 || undefined, 30_000);
      expect(connector.requests.filter((r) => JSON.stringify(r.body).includes(`${id}: fashion-cnn version`) && JSON.stringify(r.body).includes('is live at'))).toHaveLength(1);
      // Every later card update went to the same message: each run has one card.
      // (By its title: the source run's card also names the promotion run, "promoted as run r-2".)
      const cardId = (await waitFor('card id', () => connector.requests.find((r) => r.kind === 'update' && JSON.stringify(r.body).includes(`fashion-cnn · run ${id}`))))?.activityId;
      expect(new Set(connector.requests.filter((r) => r.kind === 'update' && JSON.stringify(r.body).includes(`fashion-cnn · run ${id}`)).map((r) => r.activityId))).toEqual(new Set([cardId]));
    }
    expect(connector.requests.find((r) => JSON.stringify(r.body).includes('r-1: fashion-cnn version') && JSON.stringify(r.body).includes('(staging)'))).toBeDefined();
    expect(connector.requests.find((r) => JSON.stringify(r.body).includes('r-2: fashion-cnn version') && JSON.stringify(r.body).includes('(production)'))).toBeDefined();

    // SIGTERM is a graceful stop.
    const stopping = child;
    stopping.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => stopping.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    child = undefined;
  }, 180_000);
});
