import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
import { BOT_ENTRY, ensureBotBuilt } from '../support/bot-process';
import { configFile, PRODUCTION_ONLY } from '../support/environments';
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
 * Three real bot processes (dist/bot/main.js, the bundle production starts) on one Azure table (Azurite): the run is started on
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
    ensureBotBuilt();
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
    const child = spawn(process.execPath, [BOT_ENTRY], {
      cwd: REPO_ROOT,
      env: {
        ...process.env, ...sandbox.env, MLOPS_SANDBOX: '1', PORT: String(port), STATE_STORE: `azure-table:${azurite.connectionString}`, STATE_TABLE: table,
        // The subject is scale-out, not environments: /train stops at production's approval (one environment).
        MLOPS_CONFIG: configFile(dir, PRODUCTION_ONLY),
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

  /** App Service starts a stopped instance again on the same address: so does the test. */
  async function restart(stopped: Instance): Promise<Instance> {
    if (stopped.child.exitCode === null && stopped.child.signalCode === null) {
      stopped.child.kill('SIGKILL');
      await new Promise((r) => stopped.child.once('exit', r));
    }
    const k = instances.indexOf(stopped);
    const again = spawnInstance(`${stopped.name}2`, stopped.port);
    instances[k] = again;
    await waitFor(`${again.name} to be ready`, async () => (await fetch(`${again.url}/readyz`).catch(() => undefined))?.ok || undefined, 30_000);
    return again;
  }

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

    // Hold the deploy after its create request went out: ARM answers reads of the group with 503 (a transient
    // fault: the run waits for the next pass), so the kill below lands mid-deploy whatever the machine's speed.
    sandbox.faults.add({ service: 'arm', operation: 'containerGroups.get', kind: 'status', status: 503, retryAfterSeconds: 1 });
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

    // Kill the instance that leads (polls and announces) while the deploy is under way: the create was sent.
    await waitFor('the create request', async () => ((await run())?.deploy?.sentAt !== undefined && sandbox.arm.state.groups.size === 1) || undefined, 60_000).catch(async (e: unknown) => {
      const r = await run();
      throw new Error(`${(e as Error).message}: run ${r?.status} ${JSON.stringify(r?.stages)} deploy ${JSON.stringify(r?.deploy)} failure ${JSON.stringify(r?.failure)} groups ${sandbox.arm.state.groups.size}`);
    });
    const pid = await waitFor('a leader', leaderPid);
    const leader = instances.find((i) => i.child.pid === pid);
    if (!leader) throw new Error(`the lease names pid ${pid}, which is none of the instances`);
    leader.child.kill('SIGKILL');
    await new Promise((r) => leader.child.once('exit', r));
    // The kill came before the end: what follows is the other instances' work.
    const atKill = await run();
    expect(atKill?.status).toBe('running');
    sandbox.faults.clear();

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
    // One PUT: the instance that saved the deploy's intent sent it, and nobody else (send claims).
    expect(sandbox.arm.server.calls.get('containerGroups.createOrUpdate')).toBe(1);
    const live = (): number => connector.requests.filter((r) => JSON.stringify(r.body).includes('r-1: fashion-cnn version') && JSON.stringify(r.body).includes('is live at')).length;
    await waitFor('the live notice', () => live() > 0 || undefined, 30_000);
    await waitFor('every announcement of r-1 to be delivered', async () => ((await state.runs.pendingOutbox(100)).length === 0 || undefined), 30_000);
    expect(live()).toBe(1);
    // App Service would start the instance again: so does the test, for the next one.
    await restart(leader);
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
    // One CI build per run (r-1 and these): a run created on one instance is also seen by the leader's
    // pass, and only the instance that holds the run's send claim queues its build.
    expect(sandbox.azureDevOps.state.runs.size).toBe(n + 1);
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

  it('reports a pipeline failure once when its webhook lands on a non-leader, and a Retry click on another instance finds the report', async () => {
    // The sandbox's hooks go to the second address. If the instance there leads, stop it (a restart keeps the address)
    // so that another instance takes the lease: the report is then recorded by one instance and posted by another.
    // A restarted instance may win the lease again; each restart is another chance for the others.
    for (let attempt = 0; attempt < 5; attempt++) {
      const hooked = instances[1];
      if (!hooked) throw new Error('no instance B');
      if ((await waitFor('a leader', leaderPid)) !== hooked.child.pid) break;
      await restart(hooked);
      await waitFor('the lease to be taken after the stop', async () => ((await leaderPid()) ?? hooked.child.pid) !== hooked.child.pid || undefined, 30_000);
    }
    const receiver = instances[1];
    expect(await leaderPid()).not.toBe(receiver?.child.pid);
    expect((await postActivity(instances[0]?.url ?? '', messageActivity(connector.serviceUrl, 'conv-watch', ALEX, '/subscribe --events failed'))).status).toBe(200);
    const queued = await fetch(`${sandbox.azureDevOps.url}/_control/azure-devops/queue-as`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pipelineId: 1, branch: 'feature/x', requestedFor: { displayName: MEGAN.name, uniqueName: 'meganb@example.com' }, reason: 'manual', failTask: 'Run unit tests' }),
    });
    const { id } = (await queued.json()) as { id: number };
    const key = `azure-devops:${id}`;
    const cards = (): Array<{ conversationId: string; activityId: string | undefined }> =>
      connector.requests.filter((r) => r.kind === 'send' && r.conversationId === 'conv-watch' && JSON.stringify(r.body).includes(`buildId=${id}`)).map((r) => ({ conversationId: r.conversationId, activityId: r.activityId }));
    await waitFor('the failure card', () => cards().length > 0 || undefined, 60_000);
    // Every instance sees the one shared report (B recorded it from the webhook).
    expect((await state.watch.getReport(key))?.report.outcome).toBe('failed');
    const retry = await postActivity(instances[2]?.url ?? '', invokeActivity(connector.serviceUrl, 'conv-watch', ALEX, 'retryExternal', { watchKey: key, cardVersion: 1 }));
    expect(JSON.stringify(retry.body)).toContain('Retrying mlops-ci');
    await waitFor('the card to show the retry', () => connector.requests.some((r) => r.kind === 'update' && r.conversationId === 'conv-watch' && JSON.stringify(r.body).includes('Retry')) || undefined, 60_000);
    // Several instances announce nothing twice: once every version of the report is announced, still one card.
    await waitFor('every version of the report to be announced', async () => {
      const s = await state.watch.getReport(key);
      return (s && s.announcedVersion >= s.version && s.report.retries.every((r) => r.state !== 'running')) || undefined;
    }, 60_000);
    expect(cards()).toHaveLength(1);
  }, 120_000);
});
