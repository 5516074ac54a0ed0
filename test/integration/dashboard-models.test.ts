import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot, type RunningBot } from '../../bot/app';
import type { ActionDto, ModelsDto, RunsPageDto } from '../../bot/dashboard/dashboard-dto';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { SANDBOX_TAB_USERS } from '../../sandbox/teams-host/teams-host';
import { loadConfig } from '../../services/config/config';
import { silentLogger } from '../../services/logger';
import type { RunRecord } from '../../services/workflow/run.types';
import { freePort } from '../support/browser';
import { messageActivity, postActivity, waitFor } from '../support/bot-activities';
import { REPO_ROOT } from '../support/context';
import { PRODUCTION_TRAINERS_ONLY_MEGAN } from '../support/dashboard-config';
import { MockConnector } from '../support/mock-connector';

const { alex, megan, adele } = SANDBOX_TAB_USERS as Required<typeof SANDBOX_TAB_USERS>;
const ALEX_IN_CHAT = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: alex!.oid };

/**
 * The models page's API over HTTP against a real bot on the sandbox (staging then production):
 * what is live where, its health read from ACI, and Promote / Roll back going through the
 * engine's own operations, roles and approvals.
 */
describe('dashboard API: models', () => {
  let sandbox: Sandbox;
  let bot: RunningBot;
  let connector: MockConnector;
  let trained: RunRecord;
  const token = (u: typeof megan): string => sandbox.entra.issueTabToken(u!);
  const get = (path: string, t?: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${bot.url}${path}`, { headers: { ...(t ? { authorization: `Bearer ${t}` } : {}), ...headers } });
  const post = (path: string, t?: string): Promise<Response> => fetch(`${bot.url}${path}`, { method: 'POST', headers: { ...(t ? { authorization: `Bearer ${t}` } : {}), 'content-type': 'application/json' }, body: '{}' });
  const models = async (u: typeof megan): Promise<ModelsDto> => (await (await get('/api/dashboard/models', token(u))).json()) as ModelsDto;

  beforeAll(async () => {
    sandbox = await startSandbox({ clock: new SandboxClock(200) });
    connector = await MockConnector.start();
    const config = loadConfig({ ...sandbox.env, STATE_STORE: `sqlite:${join(mkdtempSync(join(tmpdir(), 'mlops-dash-models-')), 's.db')}`, POLL_INTERVAL_MS: '200' }, (p) => PRODUCTION_TRAINERS_ONLY_MEGAN(readFileSync(p, 'utf8')), REPO_ROOT);
    bot = await startBot(config, silentLogger, { host: '127.0.0.1', port: await freePort() });
    expect((await postActivity(bot.url, messageActivity(connector.serviceUrl, 'conv-models', ALEX_IN_CHAT, '/train fashion-cnn epochs=1'))).status).toBe(200);
    const first = await waitFor('the training run', async () => (await bot.store.runs.listRuns({}))[0]);
    trained = await waitFor('the run live in staging', async () => {
      const r = await bot.store.runs.getRun(first.id);
      if (r?.status === 'failed') throw new Error(`run failed: ${r.failure?.message ?? ''}`);
      return r?.status === 'succeeded' ? r : undefined;
    }, 90_000);
  }, 120_000);
  afterAll(async () => {
    await bot?.stop();
    await connector?.close();
    await sandbox?.close();
  });

  it('shows each environment in promotion order with its live version, URI, health read from ACI, and history', async () => {
    const res = await get('/api/dashboard/models', token(megan));
    expect(res.status).toBe(200);
    const { models: [m] } = (await res.json()) as ModelsDto;
    expect(m?.name).toBe('fashion-cnn');
    expect(m?.environments.map((e) => e.name)).toEqual(['staging', 'production']);
    const [staging, production] = m!.environments;
    expect(staging).toMatchObject({ version: trained.registered?.version, scoringUri: trained.deploy?.scoringUri, liveRun: trained.id, promote: { to: 'production', version: trained.registered?.version, allowed: true } });
    expect(staging!.health).toMatchObject({ state: 'healthy', summary: expect.stringContaining(`Container group fashion-cnn-staging is running version ${trained.registered!.version!}`) as string });
    expect(staging!.health.summary).toContain(`The smoke test of ${trained.id} passed`);
    expect(staging!.history.map((r) => r.id)).toEqual([trained.id]);
    // Nothing earlier was live in staging: no rollback target, so no button.
    expect(staging!.rollback).toEqual({ allowed: false });
    expect(production).toMatchObject({ health: { state: 'not-deployed' }, history: [] });
    expect(production!.version).toBeUndefined();
    expect(production!.promote).toBeUndefined();
    const again = await get('/api/dashboard/models', token(megan), { 'if-none-match': res.headers.get('etag') ?? '' });
    expect(again.status).toBe(304);
  });

  it('says who may promote as the engine will decide it: the deploy role of the next environment', async () => {
    expect((await models(adele)).models[0]?.environments[0]?.promote).toMatchObject({ to: 'production', allowed: false });
    expect((await models(alex)).models[0]?.environments[0]?.promote?.allowed).toBe(true);
  });

  it('refuses Promote by someone without the deploy role in production, in a sentence, and starts nothing', async () => {
    const before = (await bot.store.runs.listRuns({})).length;
    const res = await post('/api/dashboard/models/fashion-cnn/environments/staging/promote', token(adele));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toBe('You are not allowed to deploy fashion-cnn in production: it needs the trainer role for fashion-cnn in production (admins hold every role). Nothing was changed.');
    expect(await bot.store.runs.listRuns({})).toHaveLength(before);
    expect((await bot.store.runs.listAudit({ limit: 5 })).some((a) => a.action === 'run.promote' && a.outcome === 'refused')).toBe(true);
  });

  it('promotes through the engine: a production deploy of the same version that waits for its approval, exactly once', async () => {
    const res = await post('/api/dashboard/models/fashion-cnn/environments/staging/promote', token(megan));
    expect(res.status).toBe(201);
    const body = (await res.json()) as ActionDto;
    expect(body.message).toBe(`Promoting version ${trained.registered!.version!} of fashion-cnn to production (${body.run.id}).`);
    expect(body.run).toMatchObject({ env: 'production', modelVersion: trained.registered?.version, requester: 'Megan Bowen' });
    const waiting = await waitFor('the production approval', async () => {
      const r = await bot.store.runs.getRun(body.run.id);
      return r?.status === 'waiting_approval' ? r : undefined;
    }, 60_000);
    expect(waiting).toMatchObject({ target: 'production', promotedFrom: trained.id, conversationId: 'conv-models' });
    const second = await post('/api/dashboard/models/fashion-cnn/environments/staging/promote', token(megan));
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: string }).error).toContain('was already promoted to production by Megan Bowen');
    expect((await models(alex)).models[0]?.environments[0]?.promote?.done).toMatchObject({ runId: body.run.id, by: 'Megan Bowen' });
    // The runs list filters by environment (and by any requester) on the server.
    const prod = (await (await get('/api/dashboard/runs?env=production', token(megan))).json()) as RunsPageDto;
    expect(prod.runs.map((r) => r.id)).toEqual([body.run.id]);
    const byMegan = (await (await get(`/api/dashboard/runs?requester=${encodeURIComponent('Megan Bowen')}`, token(alex))).json()) as RunsPageDto;
    expect(byMegan.runs.map((r) => r.id)).toEqual([body.run.id]);
    const staging = (await (await get('/api/dashboard/runs?env=staging&requester=me', token(alex))).json()) as RunsPageDto;
    expect(staging.runs.map((r) => r.id)).toEqual([trained.id]);
  }, 90_000);

  it('refuses Roll back without the approver role there, and with nothing earlier to go back to, through /rollback\'s own rule', async () => {
    const refused = await post('/api/dashboard/models/fashion-cnn/environments/staging/rollback', token(adele));
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toContain('You are not allowed to roll back fashion-cnn in staging');
    const nothing = await post('/api/dashboard/models/fashion-cnn/environments/staging/rollback', token(alex));
    expect(nothing.status).toBe(409);
    expect(((await nothing.json()) as { error: string }).error).toBe('There is no earlier version of fashion-cnn in staging to roll back to. Nothing was changed.');
  });

  it('rolls back to the version live before the current one, as a deploy run in that environment', async () => {
    // An older version that was live in staging before: a stored run, as the history would hold it.
    const { id: _id, version: _v, ...shape } = trained;
    const older = await bot.store.runs.createRun({ ...shape, createdAt: '2020-01-01T00:00:00.000Z', registered: { ...shape.registered, version: '900' } });
    // The newest succeeded run is what is live: make the trained version newest again.
    await bot.store.runs.createRun({ ...shape });
    expect((await models(alex)).models[0]?.environments[0]?.rollback).toEqual({ to: '900', allowed: true });
    const res = await post('/api/dashboard/models/fashion-cnn/environments/staging/rollback', token(alex));
    expect(res.status).toBe(201);
    const body = (await res.json()) as ActionDto;
    expect(body.message).toContain('Rollback of fashion-cnn in staging to version 900');
    expect(body.run).toMatchObject({ env: 'staging', kind: 'deploy', modelVersion: '900' });
    expect(older.id).not.toBe(body.run.id);
  });

  it('answers hostile or wrong input with a 4xx and a sentence, and changes nothing', async () => {
    const t = token(megan);
    const count = (await bot.store.runs.listRuns({})).length;
    const cases: Array<[string, 'GET' | 'POST', number, string]> = [
      ['/api/dashboard/models?model=../../etc', 'GET', 404, 'There is no model'],
      ['/api/dashboard/models?model=nope', 'GET', 404, 'There is no model "nope"'],
      ['/api/dashboard/models/nope/environments/staging/promote', 'POST', 404, 'There is no model "nope"'],
      ['/api/dashboard/models/fashion-cnn/environments/qa/promote', 'POST', 404, 'has no environment "qa"; its environments are staging, production'],
      [`/api/dashboard/models/fashion-cnn/environments/${'x'.repeat(90)}/rollback`, 'POST', 404, 'has no environment'],
      ['/api/dashboard/models/fashion-cnn/environments/production/promote', 'POST', 409, 'Nothing of fashion-cnn is live in production yet'],
      ['/api/dashboard/runs?env=Prod%00uction', 'GET', 400, 'env must be an environment name'],
    ];
    for (const [path, method, status, words] of cases) {
      const res = method === 'GET' ? await get(path, t) : await post(path, t);
      expect({ path, status: res.status }).toEqual({ path, status });
      expect({ path, error: ((await res.json()) as { error: string }).error }).toEqual({ path, error: expect.stringContaining(words) as string });
    }
    // Longer than restify's path parameters may be: its own 404 (no route), never a crash.
    expect((await post(`/api/dashboard/models/fashion-cnn/environments/${'x'.repeat(300)}/rollback`, t)).status).toBe(404);
    expect(await bot.store.runs.listRuns({})).toHaveLength(count);
    for (const path of ['/api/dashboard/models', '/api/dashboard/models/fashion-cnn/environments/staging/promote']) {
      const res = path.endsWith('promote') ? await post(path) : await get(path);
      expect(res.status).toBe(401);
    }
  });
});
