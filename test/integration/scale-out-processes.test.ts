import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzuriteTable, type AzuriteTable } from '../../sandbox/azurite/azurite-table';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { AzureTableStore } from '../../services/store/azure-table/azure-table.store';
import type { RunRecord } from '../../services/workflow/run.types';
import { freePort } from '../support/browser';
import { invokeActivity, messageActivity, postActivity, waitFor } from '../support/bot-activities';
import { REPO_ROOT } from '../support/context';
import { MockConnector } from '../support/mock-connector';

const ALEX = { id: 'user-id-0', name: 'Alex Wilber' };
const MEGAN = { id: 'user-id-1', name: 'Megan Bowen' };
const SECRET = 'scale-out-webhook-secret-0123456789';

interface Instance {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
}

/**
 * Three real bot processes (dist/bot/index.js) on one Azure table (Azurite): the run is started on
 * A, the sandbox's service hooks go to B, the run is approved with concurrent clicks spread over all three, and the instance that holds the
 * leader lease is killed with SIGKILL mid-deploy. Another takes the lease over and finishes.
 */
describe('three bot instances on one Azure table', () => {
  let sandbox: Sandbox;
  let connector: MockConnector;
  let azurite: AzuriteTable;
  let state: AzureTableStore;
  const table = `scale${Date.now().toString(36)}`;
  const instances: Instance[] = [];
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'dist/bot/index.js'))) {
      const built = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
      if (built.status !== 0) throw new Error('build failed');
    }
    const ports = [await freePort(), await freePort(), await freePort()];
    // The service hooks and job notifications go to instance B only.
    const hooks = `http://127.0.0.1:${ports[1] ?? 0}/api/webhooks`;
    sandbox = await startSandbox({ clock: new SandboxClock(60), webhooks: { azureDevOpsUrl: `${hooks}/azure-devops`, databricksUrl: `${hooks}/databricks`, secret: SECRET } });
    connector = await MockConnector.start();
    azurite = await startAzuriteTable();
    state = await AzureTableStore.open({ target: { connectionString: azurite.connectionString, table } });
    dir = mkdtempSync(join(tmpdir(), 'mlops-scale-'));
    for (const [k, name] of ['A', 'B', 'C'].entries()) instances.push(spawnInstance(name, ports[k] ?? 0));
    for (const i of instances) await waitFor(`instance ${i.name} to be ready`, async () => (await fetch(`${i.url}/readyz`).catch(() => undefined))?.ok || undefined, 30_000);
  }, 120_000);

  function spawnInstance(name: string, port: number): Instance {
    const child = spawn(process.execPath, ['dist/bot/index.js'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env, ...sandbox.env, MLOPS_SANDBOX: '1', PORT: String(port), STATE_STORE: `azure-table:${azurite.connectionString}`, STATE_TABLE: table,
        LOCAL_STATE_PATH: join(dir, `${name}.db`), LEASE_TTL_MS: '3000', POLL_INTERVAL_MS: '200', WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'error', MicrosoftAppId: '',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return { name, port, url: `http://127.0.0.1:${port}`, child };
  }

  afterAll(async () => {
    for (const i of instances) i.child.kill('SIGKILL');
    await connector?.close();
    await sandbox?.close();
    await azurite?.stop();
  });

  const run = (): Promise<RunRecord | undefined> => state.runs.getRun('r-1');
  const leaderPid = async (): Promise<number | undefined> => {
    const row = await state.table.get('lease', 'leader');
    return typeof row?.holder === 'string' && Number(row.expiresAt) > Date.now() ? Number(row.holder.split('/')[1]) : undefined;
  };

  it('decides once on concurrent clicks over all instances and finishes the run after its leader is killed', async () => {
    const [a] = instances;
    if (!a) throw new Error('no instance');
    expect((await postActivity(a.url, messageActivity(connector.serviceUrl, 'conv-1', ALEX, '/train fashion-cnn epochs=3'))).status).toBe(200);
    await waitFor('the approval stage', async () => ((await run())?.status === 'waiting_approval' || undefined), 90_000);

    // The deploy's container group create answers after 15 s (once): the leader is then surely killed
    // mid-deploy, however fast the clicks and the rest of the deploy are (it raced them before).
    sandbox.faults.add({ service: 'arm', operation: 'containerGroups.createOrUpdate', kind: 'latency', delayMs: 15_000, count: 1 });
    // 50 Approve clicks from the approver, spread over the three instances, all at once.
    const clicks = await Promise.all(
      Array.from({ length: 50 }, (_, k) => postActivity(instances[k % 3]?.url ?? '', invokeActivity(connector.serviceUrl, 'conv-1', MEGAN, 'approve', { runId: 'r-1', approvalId: 'r-1-approval', cardVersion: 0 }))),
    );
    expect(clicks.every((c) => c.status === 200)).toBe(true);
    const decided = await waitFor('the decision', async () => {
      const r = await run();
      return r?.approval?.state === 'approved' ? r : undefined;
    });
    expect(decided.approval?.decisions).toHaveLength(1);

    // Kill the instance that leads (polls and announces) while the deploy is under way.
    const pid = await waitFor('a leader', leaderPid);
    const leader = instances.find((i) => i.child.pid === pid);
    if (!leader) throw new Error(`the lease names pid ${pid}, which is none of the instances`);
    leader.child.kill('SIGKILL');
    await new Promise((r) => leader.child.once('exit', r));
    // The kill came before the end: what follows is the other instances' work.
    const atKill = await run();
    expect(atKill?.status).toBe('running');

    const done = await waitFor('the run to end on another instance', async () => {
      const r = await run();
      return r && ['succeeded', 'failed'].includes(r.status) ? r : undefined;
    }, 120_000);
    expect(done.status).toBe('succeeded');
    const successor = await waitFor('another instance to hold the lease', async () => {
      const p = await leaderPid();
      return p !== undefined && p !== pid ? p : undefined;
    });
    expect(instances.filter((i) => i !== leader).map((i) => i.child.pid)).toContain(successor);
    // /readyz says which instance leads: exactly one of the two left.
    const leads = async (): Promise<boolean[]> => Promise.all(instances.filter((i) => i !== leader).map(async (i) => ((await (await fetch(`${i.url}/readyz`)).json()) as { leads?: boolean }).leads === true));
    await waitFor('one instance to say it leads', async () => ((await leads()).filter(Boolean).length === 1 || undefined), 10_000);
    expect((await leads()).sort()).toEqual([false, true]);
    expect(sandbox.arm.state.groups.size).toBe(1);
    const live = (): number => connector.requests.filter((r) => JSON.stringify(r.body).includes('r-1: fashion-cnn version') && JSON.stringify(r.body).includes('is live at')).length;
    await waitFor('the live notice', () => live() > 0 || undefined, 30_000);
    await waitFor('every announcement of r-1 to be delivered', async () => ((await state.runs.pendingOutbox(100)).length === 0 || undefined), 30_000);
    expect(live()).toBe(1);
    // App Service would start the instance again: so does the test, for the next one.
    const k = instances.indexOf(leader);
    instances[k] = spawnInstance(`${leader.name}2`, await freePort());
    await waitFor('the restarted instance to be ready', async () => (await fetch(`${instances[k]?.url ?? ''}/readyz`).catch(() => undefined))?.ok || undefined, 30_000);
  }, 300_000);

  it('starts many runs over the three instances and shows each one card and one approval card', async () => {
    const n = Number(process.env.SCALE_RUNS ?? 100);
    const first = 2;
    const ids = Array.from({ length: n }, (_, i) => `r-${first + i}`);
    // Started one by one on alternating instances (a Teams user waits for each answer too).
    for (let i = 0; i < n; i++) {
      const on = instances[i % 3]?.url ?? '';
      expect((await postActivity(on, messageActivity(connector.serviceUrl, `conv-${i}`, ALEX, '/train fashion-cnn epochs=1'))).status).toBe(200);
    }
    // A newer run of the same model cancels the older ones that have not been approved (the engine's rule), so
    // every run settles as waiting for approval or canceled.
    let seen: string[] = [];
    const settled = await waitFor('every run to wait for approval or be superseded', async () => {
      const runs = await Promise.all(ids.map((id) => state.runs.getRun(id)));
      seen = runs.map((r, i) => `${ids[i] ?? ''}:${r?.status ?? 'missing'}`);
      return runs.every((r) => r?.status === 'waiting_approval' || r?.status === 'canceled') ? (runs as RunRecord[]) : undefined;
    }, 240_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}: ${seen.join(' ')}`);
    });
    expect(settled.filter((r) => r.status === 'waiting_approval').length).toBeGreaterThan(0);
    await waitFor('every announcement to be delivered', async () => ((await state.runs.pendingOutbox(1000)).length === 0 || undefined), 60_000);
    const sends = connector.requests.filter((r) => r.kind === 'send').map((r) => ({ conversationId: r.conversationId, body: JSON.stringify(r.body) }));
    const updates = connector.requests.filter((r) => r.kind === 'update').map((r) => JSON.stringify(r.body));
    for (const [i, run] of settled.entries()) {
      const title = `fashion-cnn \u00b7 run ${run.id}"`;
      const cards = sends.filter((x) => x.body.includes(title));
      const approvals = sends.filter((x) => x.body.includes('Approval needed:') && x.body.includes(`(run ${run.id})`));
      // One card per run, in its conversation; an approval card only for a run still waiting; a superseded run's card shows it.
      expect([run.id, cards.length, cards[0]?.conversationId]).toEqual([run.id, 1, `conv-${i}`]);
      expect([run.id, Math.min(approvals.length, 2)]).toEqual([run.id, run.status === 'waiting_approval' ? 1 : Math.min(approvals.length, 1)]);
      if (run.status === 'waiting_approval') expect(approvals[0]?.conversationId).toBe(`conv-${i}`);
      else expect([run.id, updates.some((u) => u.includes(title) && /[Cc]anceled/.test(u))]).toEqual([run.id, true]);
    }
  }, 300_000);

});
