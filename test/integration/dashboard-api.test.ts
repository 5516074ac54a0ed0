import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot, type RunningBot } from '../../bot/app';
import type { ApprovalsDto, MeDto, RunPageDto, RunsPageDto } from '../../bot/dashboard/dashboard-dto';
import { SandboxClock } from '../../sandbox/common/clock';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { SANDBOX_TAB_USERS } from '../../sandbox/teams-host/teams-host';
import { loadConfig } from '../../services/config/config';
import { silentLogger } from '../../services/logger';
import { freePort } from '../support/browser';
import { messageActivity, postActivity, waitFor } from '../support/bot-activities';
import { REPO_ROOT } from '../support/context';
import { configReader, PRODUCTION_ONLY } from '../support/environments';
import { MockConnector } from '../support/mock-connector';

const { alex, megan, adele } = SANDBOX_TAB_USERS as Required<typeof SANDBOX_TAB_USERS>;
/** Alex in chat: the same person as the tab's Alex (Teams sends the Entra object id as aadObjectId). */
const ALEX_IN_CHAT = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: alex!.oid };

/**
 * The dashboard's API over HTTP against a real bot on the sandbox: the SSO token first, the
 * chat's roles, the engine's own decide (same policy, exactly one decision), paging and ETags.
 */
describe('dashboard API', () => {
  let sandbox: Sandbox;
  let bot: RunningBot;
  let connector: MockConnector;
  let runId: string;
  const token = (u: typeof megan, o?: Parameters<Sandbox['entra']['issueTabToken']>[1]): string => sandbox.entra.issueTabToken(u!, o);
  const get = (path: string, t?: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${bot.url}${path}`, { headers: { ...(t ? { authorization: `Bearer ${t}` } : {}), ...headers } });
  const decide = (id: string, t: string, body: unknown): Promise<Response> =>
    fetch(`${bot.url}/api/dashboard/runs/${id}/decision`, { method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    sandbox = await startSandbox({ clock: new SandboxClock(200) });
    connector = await MockConnector.start();
    // One environment (PRODUCTION_ONLY): /train stops at an approval, which the decide and approvals calls are about.
    const config = loadConfig({ ...sandbox.env, STATE_STORE: `sqlite:${join(mkdtempSync(join(tmpdir(), 'mlops-dash-')), 's.db')}`, POLL_INTERVAL_MS: '200' }, configReader(PRODUCTION_ONLY), REPO_ROOT);
    bot = await startBot(config, silentLogger, { host: '127.0.0.1', port: await freePort() });
    const res = await postActivity(bot.url, messageActivity(connector.serviceUrl, 'conv-dash', ALEX_IN_CHAT, '/train fashion-cnn epochs=1'));
    expect(res.status).toBe(200);
    const run = await waitFor('a run waiting for approval', async () => (await bot.store.runs.listRuns({ status: 'waiting_approval' }))[0], 60_000);
    runId = run.id;
  });
  afterAll(async () => {
    await bot.stop();
    await connector.close();
    await sandbox.close();
  });

  it('refuses every call without a valid SSO token, with a sentence and a reference', async () => {
    for (const path of ['/api/dashboard/me', '/api/dashboard/runs', `/api/dashboard/runs/${runId}`, '/api/dashboard/approvals']) {
      const res = await get(path);
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: string; reference: string };
      expect(body.error).toContain('Teams sign-in');
      expect(body.reference).toMatch(/^[0-9a-f]{8}$/);
    }
    expect((await get('/api/dashboard/runs', token(megan, { skewSec: -7200 }))).status).toBe(401);
    expect((await get('/api/dashboard/runs', token(megan, { audience: '11111111-2222-3333-4444-555555555555' }))).status).toBe(401);
    const decision = await fetch(`${bot.url}/api/dashboard/runs/${runId}/decision`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"decision":"approved"}' });
    expect(decision.status).toBe(401);
    expect((await bot.store.runs.getRun(runId))?.approval?.decisions).toEqual([]);
  });

  it('tells who is signed in and their roles per model, as the chat\'s role table has them', async () => {
    const me = (await (await get('/api/dashboard/me', token(megan))).json()) as MeDto;
    expect(me).toMatchObject({ name: 'Megan Bowen', upn: megan!.upn });
    expect(me.models.find((m) => m.name === 'fashion-cnn')?.roles).toEqual(['trainer', 'approver']);
    const adeleMe = (await (await get('/api/dashboard/me', token(adele))).json()) as MeDto;
    expect(adeleMe.models.find((m) => m.name === 'fashion-cnn')?.roles).toEqual(['trainer']);
  });

  it('lists runs newest first, pages on with the cursor, filters, and answers 304 to a known ETag', async () => {
    const base = (await bot.store.runs.getRun(runId))!;
    const { id: _id, version: _v, ...shape } = base;
    for (let i = 0; i < 30; i++) await bot.store.runs.createRun({ ...shape, status: 'succeeded', approval: undefined });
    const t = token(megan);
    const first = await get('/api/dashboard/runs?limit=25', t);
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as RunsPageDto;
    expect(page1.runs).toHaveLength(25);
    expect(page1.next).toBe(page1.runs[24]!.id);
    const page2 = (await (await get(`/api/dashboard/runs?limit=25&before=${page1.next!}`, t)).json()) as RunsPageDto;
    expect(page2.runs).toHaveLength(6);
    expect(page2.next).toBeUndefined();
    const ids = [...page1.runs, ...page2.runs].map((r) => r.id);
    expect(new Set(ids).size).toBe(31);
    expect(ids[ids.length - 1]).toBe(runId);
    const waiting = (await (await get('/api/dashboard/runs?status=waiting_approval', t)).json()) as RunsPageDto;
    expect(waiting.runs.map((r) => r.id)).toEqual([runId]);
    expect(((await (await get('/api/dashboard/runs?model=nope', t)).json()) as RunsPageDto).runs).toEqual([]);
    const alexMine = (await (await get('/api/dashboard/runs?requester=me&limit=100', token(alex))).json()) as RunsPageDto;
    expect(alexMine.runs).toHaveLength(31);
    expect(((await (await get('/api/dashboard/runs?requester=me', t)).json()) as RunsPageDto).runs).toEqual([]);
    expect(((await (await get('/api/dashboard/runs?requester=alex%20wilber&limit=100', t)).json()) as RunsPageDto).runs).toHaveLength(31);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get('/api/dashboard/runs?limit=25', t, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    for (const bad of ['status=bogus', 'limit=0', 'limit=1000', 'before=../etc', 'before=r-1;drop']) {
      const res = await get(`/api/dashboard/runs?${bad}`, t);
      expect(res.status).toBe(400);
    }
  });

  it('shows a run with its stages, metrics and audit, and what the viewer may do with it', async () => {
    const asMegan = (await (await get(`/api/dashboard/runs/${runId}`, token(megan))).json()) as RunPageDto;
    expect(asMegan.you).toEqual({ mayDecide: true, requestedIt: false });
    expect(asMegan.run.stages.map((s) => s.id)).toEqual(['ci', 'training', 'registered', 'approval', 'deploy', 'smoke']);
    expect(asMegan.run.stages.find((s) => s.id === 'training')).toMatchObject({ name: 'Training', state: 'succeeded' });
    expect(asMegan.run.stages.find((s) => s.id === 'training')?.startedAt).toBeDefined();
    expect(asMegan.run.metrics.length).toBeGreaterThan(0);
    expect(asMegan.run.metrics[0]!.points.length).toBeGreaterThan(0);
    expect(asMegan.run.audit.length).toBeGreaterThan(0);
    const asAlex = (await (await get(`/api/dashboard/runs/${runId}`, token(alex))).json()) as RunPageDto;
    expect(asAlex.you).toEqual({ mayDecide: false, requestedIt: true });
    const asAdele = (await (await get(`/api/dashboard/runs/${runId}`, token(adele))).json()) as RunPageDto;
    expect(asAdele.you.mayDecide).toBe(false);
    expect((await get('/api/dashboard/runs/r-999999', token(megan))).status).toBe(404);
    expect((await get('/api/dashboard/runs/..%2F..%2Fpackage.json', token(megan))).status).toBe(404);
  });

  it('lists the approvals waiting for an approver, and none for someone who is not one', async () => {
    const megans = (await (await get('/api/dashboard/approvals', token(megan))).json()) as ApprovalsDto;
    expect(megans.approvals.map((a) => a.id)).toEqual([runId]);
    expect(megans.approvals[0]).toMatchObject({ requestedByYou: false, decidedByYou: false, required: 1 });
    const adeles = (await (await get('/api/dashboard/approvals', token(adele))).json()) as ApprovalsDto;
    expect(adeles.approvals).toEqual([]);
  });

  it('decides through the engine: the requester and non-approvers are refused, one decision wins, the run deploys', async () => {
    const bad = await fetch(`${bot.url}/api/dashboard/runs/${runId}/decision`, { method: 'POST', headers: { authorization: `Bearer ${token(megan)}`, 'content-type': 'text/plain' }, body: 'approve' });
    expect(bad.status).toBe(415);
    expect((await decide(runId, token(megan), { decision: 'maybe' })).status).toBe(400);
    const byAdele = await decide(runId, token(adele), { decision: 'approved' });
    expect(byAdele.status).toBe(403);
    expect(((await byAdele.json()) as { error: string }).error).toContain('approver role');
    // Alex is an admin, and the requester: nobody approves their own run.
    const byAlex = await decide(runId, token(alex), { decision: 'approved' });
    expect(byAlex.status).toBe(409);
    expect(((await byAlex.json()) as { error: string }).error).toMatch(/requested|own/i);
    const stale = await decide(runId, token(megan), { decision: 'approved', seenVersion: 1 });
    expect(stale.status).toBe(409);
    expect((await bot.store.runs.getRun(runId))?.approval?.decisions).toEqual([]);

    const t = token(megan);
    const answers = await Promise.all(Array.from({ length: 10 }, () => decide(runId, t, { decision: 'approved', comment: 'looks good' })));
    expect(answers.map((a) => a.status).filter((s) => s === 200)).toHaveLength(1);
    expect(answers.map((a) => a.status).filter((s) => s !== 200).every((s) => s === 409)).toBe(true);
    const run = await waitFor('the run to deploy', async () => {
      const r = await bot.store.runs.getRun(runId);
      return r?.status === 'succeeded' ? r : undefined;
    }, 60_000);
    expect(run.approval?.decisions).toHaveLength(1);
    expect(run.approval?.decisions[0]).toMatchObject({ decision: 'approved', comment: 'looks good', by: { name: 'Megan Bowen' } });
    const audit = await bot.store.runs.listAudit({ runId });
    expect(audit.filter((a) => a.action === 'approval.approved' && a.outcome === 'ok')).toHaveLength(1);
  });

  it('serves the tab page with a frame-ancestors policy, and only the bundle\'s own files', async () => {
    const page = await get('/tabs/dashboard');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'self' https://teams.microsoft.com");
    expect(csp).toContain("script-src 'self'");
    expect(await page.text()).toContain('/tabs/dashboard/assets/dashboard.js');
    const js = await get('/tabs/dashboard/assets/dashboard.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    for (const p of ['/tabs/dashboard/assets/..%2F..%2Fpackage.json', '/tabs/dashboard/assets/index.html', '/tabs/dashboard/assets/.env']) expect((await get(p)).status).toBe(404);
  });
});
