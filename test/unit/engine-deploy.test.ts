import type { ContainerGroupState } from '../../services/aci/aci.types';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALEX, engineHarness, MEGAN, imageOf, story, T0, type EngineHarness } from '../support/engine-harness';
import { emptyWorld, fatal, transient } from '../support/engine-harness.clients';
import { STAGING_THEN_PRODUCTION } from '../support/environments';

/**
 * The deploy stage (deploy-steps.stepDeploy) through the real engine: the intent stored before
 * the PUT, the PUT once, the group's state read on later passes, the deploy slot per environment.
 */
let h: EngineHarness;
beforeEach(() => {
  h = engineHarness();
  for (const v of ['3', '4']) h.world.versions.set(v, { status: 'READY', scoringImage: imageOf(v) });
});
afterEach(() => h.close());

async function deployRun(version = '3', env?: string): Promise<string> {
  const res = await h.engine.startDeploy({ model: 'fashion-cnn', version, ...(env ? { env } : {}), requester: ALEX, conversationId: 'conv-1' });
  if (!res.ok) throw new Error(JSON.stringify(res.refusal));
  await h.settle(res.run.id);
  return res.run.id;
}
const putsOf = (hh: EngineHarness) => hh.rec.argsOf('aci.put').map(([rg, spec]) => [rg, (spec as { name: string }).name]);

describe('the deploy stage', () => {
  it('stores the intent, sends the PUT once, then reads the group until it runs', async () => {
    const id = await deployRun('3');
    const run = await h.run(id);
    expect(run.deploy).toEqual({ requestedAt: new Date(T0).toISOString(), containerGroup: 'fashion-cnn-staging', sentAt: new Date(T0).toISOString() });
    expect(run.stages[4]).toMatchObject({ state: 'running', detail: 'deploying version 3 to staging (fashion-cnn-staging)' });
    expect(putsOf(h)).toEqual([[undefined, 'fashion-cnn-staging']]);
    expect(JSON.stringify(h.rec.argsOf('aci.put')[0]?.[1])).toContain(imageOf('3'));
    expect((await h.audit(id)).find((a) => a.action === 'aci.deploy')).toMatchObject({ actor: 'system', outcome: 'ok', detail: { env: 'staging', containerGroup: 'fashion-cnn-staging', image: imageOf('3'), version: '3' } });
    // Still provisioning: read again, nothing stored, no second PUT.
    await h.engine.advance(id);
    expect((await h.run(id)).version).toBe(run.version);
    expect(h.rec.ops('aci.')).toEqual(['aci.put', 'aci.get', 'aci.get', 'aci.get']);
  });

  it('goes on to the smoke test at the group\'s /score once the group runs', async () => {
    const id = await deployRun('3');
    story.groupRuns(h, 'fashion-cnn-staging');
    h.clock.now += 30_000;
    await h.engine.advance(id);
    const run = await h.run(id);
    expect(run.deploy?.scoringUri).toBe('http://fashion-cnn-staging.example:5001/score');
    expect(run.stages[4]).toMatchObject({ state: 'succeeded', detail: 'fashion-cnn-staging running', finishedAt: new Date(T0 + 30_000).toISOString() });
    expect(h.smokeCalls.map((c) => c.url)).toEqual(['http://fashion-cnn-staging.example:5001/score']);
  });

  it.each([
    ['provisioning failed', { provisioningState: 'Failed', status: 'Failed' }, 'is failed (provisioning Failed)'],
    ['a crashing group', { provisioningState: 'Succeeded', status: 'Crashing' }, 'is crashing (provisioning Succeeded)'],
  ])('fails the run on %s, with the container events and logs', async (_what, state, text) => {
    const id = await deployRun('3');
    h.world.groups.set('fashion-cnn-staging', { ...state, containers: [{ name: 'c', image: '', ports: [], state: 'Waiting', detailStatus: undefined, exitCode: undefined, startTime: undefined, finishTime: undefined, restartCount: 0, events: [{ name: 'Failed', message: 'pull access denied', type: 'Warning' } as never] }] } as never);
    h.world.logs = 'line 1\n\nline 2\n';
    await h.engine.advance(id);
    expect((await h.run(id)).failure).toEqual({ stage: 'deploy', system: 'ACI', message: `The container group fashion-cnn-staging ${text}`, logTail: ['Failed: pull access denied', 'line 1', 'line 2'] });
    expect(h.rec.argsOf('aci.getLogs')).toEqual([[undefined, 'fashion-cnn-staging', { tail: 200 }]]);
  });

  it.each([
    ['terminated', { state: 'Terminated', restartCount: 0 }],
    ['restarted', { state: 'Running', restartCount: 1 }],
  ])('fails a running group whose container %s', async (_what, container) => {
    const id = await deployRun('3');
    story.groupRuns(h, 'fashion-cnn-staging');
    const g = h.world.groups.get('fashion-cnn-staging');
    h.world.groups.set('fashion-cnn-staging', { ...g, containers: [{ ...g?.containers?.[0], ...container } as never] });
    h.rec.failNext('aci.getLogs', new Error('no logs'));
    await h.engine.advance(id);
    expect((await h.run(id)).failure).toMatchObject({ stage: 'deploy', message: 'The container group fashion-cnn-staging is running (provisioning Succeeded)', logTail: [] });
  });

  it('waits while the group has no address yet', async () => {
    const id = await deployRun('3');
    story.groupRuns(h, 'fashion-cnn-staging', { scoringBaseUrl: undefined });
    const before = await h.run(id);
    await h.engine.advance(id);
    expect(await h.run(id)).toEqual(before);
  });

  it('queues a second deploy to the same environment until the first is done, in run order', async () => {
    const first = await deployRun('3');
    const second = await deployRun('4');
    const queued = await h.run(second);
    expect(queued.stages[4]).toMatchObject({ state: 'queued', detail: `waiting for run ${first} to finish deploying` });
    expect(queued.deploy).toBeUndefined();
    await h.engine.advance(second);
    expect((await h.run(second)).version).toBe(queued.version);
    expect(putsOf(h)).toHaveLength(1);
    // The first finishes (deploy and smoke test): the second deploys.
    story.groupRuns(h, 'fashion-cnn-staging');
    await h.engine.advance(first);
    expect((await h.run(first)).status).toBe('succeeded');
    await h.engine.advance(second);
    expect((await h.run(second)).stages[4]?.state).toBe('running');
    expect(putsOf(h)).toHaveLength(2);
  });

  it('does not queue a deploy behind one of another environment', async () => {
    const passed = await deployRun('3');
    story.groupRuns(h, 'fashion-cnn-staging');
    await h.engine.advance(passed);
    const busy = await deployRun('4'); // deploying to staging (the PUT put the group back to Creating)
    expect((await h.run(busy)).stages[4]?.state).toBe('running');
    const res = await h.engine.startDeploy({ model: 'fashion-cnn', version: '3', env: 'production', requester: ALEX, conversationId: 'c' });
    if (!res.ok) throw new Error(JSON.stringify(res.refusal));
    await h.settle(res.run.id);
    const decided = await h.engine.decide(res.run.id, MEGAN, 'approved', '');
    expect(decided.ok).toBe(true);
    const prod = await h.settle(res.run.id);
    expect(prod.stages[4]).toMatchObject({ state: 'running', detail: 'deploying version 3 to production (fashion-cnn-prod)' });
    expect(putsOf(h).map(([, name]) => name)).toEqual(['fashion-cnn-staging', 'fashion-cnn-staging', 'fashion-cnn-prod']);
  });

  it('waits while ACI is unavailable, failing on a refusal', async () => {
    const id = await deployRun('3');
    h.rec.failNext('aci.get', transient('aci', 'containerGroups.get'));
    const before = await h.run(id);
    await h.engine.advance(id);
    expect(await h.run(id)).toEqual(before);
    h.rec.failNext('aci.get', fatal('aci', 'containerGroups.get', 'AuthorizationFailed'));
    await h.engine.advance(id);
    expect((await h.run(id)).failure).toMatchObject({ stage: 'deploy', message: 'aci.containerGroups.get HTTP 400 INVALID_PARAMETER_VALUE AuthorizationFailed (request id req-400)' });
  });

  it('fails at once when ACI is not configured', async () => {
    const bare = engineHarness({ without: ['aci'] });
    try {
      bare.world.versions.set('3', { status: 'READY', scoringImage: imageOf('3') });
      const res = await bare.engine.startDeploy({ model: 'fashion-cnn', version: '3', requester: ALEX, conversationId: 'c' });
      if (!res.ok) throw new Error('refused');
      expect((await bare.settle(res.run.id)).failure).toEqual({ stage: 'deploy', system: 'ACI', message: 'ACI is not configured: set AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and AZURE_LOCATION', logTail: [] });
    } finally {
      await bare.close();
    }
  });
});

describe('the deploy after a restart', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'engine-restart-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('sends the PUT again when the intent was stored but the PUT was not (ARM PUT is idempotent), and never twice once sent', async () => {
    const world = emptyWorld();
    world.versions.set('3', { status: 'READY', scoringImage: imageOf('3') });
    const path = join(dir, 'state.db');
    const before = engineHarness({ storePath: path, world });
    // The process dies during the PUT: the intent is on disk, the PUT never reached ARM.
    before.rec.failNext('aci.put', transient('aci', 'containerGroups.createOrUpdate'), 2);
    const res = await before.engine.startDeploy({ model: 'fashion-cnn', version: '3', requester: ALEX, conversationId: 'c' });
    if (!res.ok) throw new Error('refused');
    const stored = await before.settle(res.run.id);
    expect(stored.deploy?.requestedAt).toBe(new Date(T0).toISOString());
    expect(stored.deploy?.sentAt).toBeUndefined();
    await before.close();

    const after = engineHarness({ storePath: path, world });
    await after.tracker.tick();
    expect(putsOf(after)).toEqual([[undefined, 'fashion-cnn-staging']]);
    expect((await after.run(res.run.id)).deploy?.sentAt).toBe(new Date(T0).toISOString());
    await after.close();

    const again = engineHarness({ storePath: path, world });
    await again.tracker.tick();
    expect(again.rec.ops('aci.')).toEqual(['aci.get']);
    await again.close();
  });
});

describe('the deploy slot, in run order', () => {
  it('lets the oldest queued run deploy next, whichever is advanced first', async () => {
    const first = await deployRun('3');
    const second = await deployRun('4');
    const third = await deployRun('3');
    story.groupRuns(h, 'fashion-cnn-staging');
    await h.engine.advance(first);
    // The third is advanced before the second: it waits for the second, not for nobody.
    await h.engine.advance(third);
    expect((await h.run(third)).stages[4]).toMatchObject({ state: 'queued', detail: `waiting for run ${second} to finish deploying` });
    await h.engine.advance(second);
    expect((await h.run(second)).stages[4]?.state).toBe('running');
  });
});

describe('the deploy slot, among several queued runs', () => {
  it('names the oldest queued run as the one to wait for, and announces the wait', async () => {
    const first = await deployRun('3');
    const second = await deployRun('4');
    await deployRun('3');
    const fourth = await deployRun('4');
    const waiting = await h.run(fourth);
    expect(waiting.stages[4]?.detail).toBe(`waiting for run ${first} to finish deploying`);
    expect(waiting.updatedAt).toBe(new Date(T0).toISOString());
    expect((await h.outbox(fourth)).filter((k) => k === 'progress').length).toBeGreaterThanOrEqual(2);
    story.groupRuns(h, 'fashion-cnn-staging');
    await h.engine.advance(first);
    h.clock.now += 1000;
    await h.engine.advance(fourth);
    const next = await h.run(fourth);
    expect(next.stages[4]?.detail).toBe(`waiting for run ${second} to finish deploying`);
    expect(next.updatedAt).toBe(new Date(T0 + 1000).toISOString());
  });
});

describe('who holds the slot', () => {
  it('is the run deploying now, even when it is newer: an older run that reaches deploy later waits for it', async () => {
    const older = await h.train();
    await story.ciPasses(h, older);
    const newer = await deployRun('3');
    expect((await h.run(newer)).stages[4]?.state).toBe('running');
    await story.trainingRegisters(h, older, '4');
    expect((await h.run(older)).stages[4]).toMatchObject({ state: 'queued', detail: `waiting for run ${newer} to finish deploying` });
    // The newer one goes on to its smoke test (the endpoint not answering yet): it still holds the slot.
    h.world.score = Object.assign(new TypeError('fetch failed'), { cause: new Error('ECONNREFUSED') });
    story.groupRuns(h, 'fashion-cnn-staging');
    await h.engine.advance(newer);
    expect((await h.run(newer)).stages[5]?.state).toBe('running');
    h.clock.now += 1000;
    await h.engine.advance(older);
    expect((await h.run(older)).stages[4]).toMatchObject({ state: 'queued', detail: `waiting for run ${newer} to finish deploying` });
  });

  it('is never a run still in an earlier stage, nor a run of another model', async () => {
    const training = await h.train(); // older, still in CI: not deploying
    const first = await deployRun('3');
    const stored = await h.run(first);
    const { id: _id, version: _v, ...copy } = stored;
    await h.runs.createRun({ ...copy, model: 'other-cnn' });
    await h.engine.cancel(first, ALEX);
    const second = await deployRun('4');
    expect((await h.run(second)).stages[4]?.state).toBe('running');
    expect((await h.run(training)).stages[0]?.state).toBe('running');
  });
});

describe('an environment in its own resource group', () => {
  it('deploys there and says so in the audit', async () => {
    await h.close();
    h = engineHarness({ yaml: STAGING_THEN_PRODUCTION });
    h.world.versions.set('3', { status: 'READY', scoringImage: imageOf('3') });
    const id = await deployRun('3');
    expect(putsOf(h)).toEqual([['rg-mlops-staging', 'fashion-cnn-staging']]);
    expect((await h.audit(id)).find((a) => a.action === 'aci.deploy')?.detail).toMatchObject({ resourceGroup: 'rg-mlops-staging' });
  });
});

describe('reading the group', () => {
  it.each([
    ['provisioning failed, containers stopped', { provisioningState: 'Failed', status: 'Stopped' }, 'is stopped (provisioning Failed)'],
    ['provisioned, but failed', { provisioningState: 'Succeeded', status: 'Failed' }, 'is failed (provisioning Succeeded)'],
  ])('fails on %s', async (_what, state, text) => {
    const id = await deployRun('3');
    h.world.groups.set('fashion-cnn-staging', { ...state, containers: [] } as never);
    await h.engine.advance(id);
    expect((await h.run(id)).failure?.message).toBe(`The container group fashion-cnn-staging ${text}`);
  });

  it.each<[string, Partial<ContainerGroupState>]>([
    ['still updating though running', { provisioningState: 'Updating', status: 'Running' }],
    ['provisioned, containers still starting', { provisioningState: 'Succeeded', status: 'Provisioning' }],
  ])('waits while %s', async (_what, state) => {
    const id = await deployRun('3');
    story.groupRuns(h, 'fashion-cnn-staging', state);
    const before = await h.run(id);
    await h.engine.advance(id);
    expect(await h.run(id)).toEqual(before);
  });

  it('takes every trailing slash off the address before /score', async () => {
    const id = await deployRun('3');
    story.groupRuns(h, 'fashion-cnn-staging', { scoringBaseUrl: 'http://10.0.0.4:5001//' });
    await h.engine.advance(id);
    expect((await h.run(id)).deploy?.scoringUri).toBe('http://10.0.0.4:5001/score');
  });

  it('holds the slot while the smoke test of the deployed version runs', async () => {
    h.world.score = Object.assign(new TypeError('fetch failed'), { cause: new Error('ECONNREFUSED') });
    const first = await deployRun('3');
    story.groupRuns(h, 'fashion-cnn-staging');
    await h.engine.advance(first);
    expect(await h.stages(first)).toEqual(['ci:skipped', 'training:skipped', 'registered:succeeded', 'approval:skipped', 'deploy:succeeded', 'smoke:running']);
    const second = await deployRun('4');
    expect((await h.run(second)).stages[4]).toMatchObject({ state: 'queued', detail: `waiting for run ${first} to finish deploying` });
  });
});
