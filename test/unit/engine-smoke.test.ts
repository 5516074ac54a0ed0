import type { ContainerGroupState } from '../../services/aci/aci.types';
import { ALEX, engineHarness, imageOf, story, T0, type EngineHarness } from '../support/engine-harness';
import { fatal, transient } from '../support/engine-harness.clients';
import { SMOKE_WARMUP_MS } from '../../services/workflow/smoke-steps';
import { LIVE_SHARED_MS } from '../../services/workflow/training-metrics';

/** The smoke test and the rollback after it (smoke-steps) through the real engine. */
let h: EngineHarness;
const URI = 'http://fashion-cnn-staging.example:5001/score';
beforeEach(() => {
  h = engineHarness();
  for (const v of ['6', '7']) h.world.versions.set(v, { status: 'READY', scoringImage: imageOf(v) });
});
afterEach(() => h.close());

/** A /deploy of version 7 to staging up to its smoke test, with `score` as the answer of POST /score. */
async function smoke(score: typeof h.world.score, live?: string, beforeSmoke?: () => void): Promise<string> {
  if (live) h.world.deployed.set('staging', live);
  h.world.score = score;
  story.groupRuns(h, 'fashion-cnn-staging');
  const res = await h.engine.startDeploy({ model: 'fashion-cnn', version: '7', requester: ALEX, conversationId: 'conv-1' });
  if (!res.ok) throw new Error(JSON.stringify(res.refusal));
  // The PUT put the group back to provisioning; it runs at the next pass.
  await h.settle(res.run.id);
  story.groupRuns(h, 'fashion-cnn-staging');
  beforeSmoke?.();
  await h.engine.advance(res.run.id);
  return res.run.id;
}
const ok = { status: 200, latencyMs: 40, body: '{"predictions":[1]}' };
const noAnswer = (): Error => Object.assign(new TypeError('fetch failed'), { cause: new Error('connect ECONNREFUSED 10.0.0.4:5001') });

describe('the smoke test', () => {
  it('posts the configured sample with a timeout of three times the latency limit, then marks the version live', async () => {
    const id = await smoke(ok);
    expect(h.smokeCalls).toEqual([{ url: URI, sample: h.config.mlops.models['fashion-cnn']?.environments[0]?.smokeTest.sample, timeoutMs: 6000 }]);
    const run = await h.run(id);
    expect(run.status).toBe('succeeded');
    expect(run.smoke).toEqual({ status: 200, latencyMs: 40, ok: true, detail: 'HTTP 200 in 40 ms' });
    expect(run.stages[5]).toMatchObject({ state: 'succeeded', detail: 'HTTP 200 in 40 ms' });
    expect(h.rec.argsOf('registry.promote')).toEqual([['unity-catalog', 'main.mlops.fashion_cnn', '7', 'staging']]);
    expect(await h.outbox(id)).toContain(`notice: Run ${id}: fashion-cnn version 7 is live at ${URI} (staging)`);
    const done = (await h.audit(id)).at(-1);
    expect(done).toMatchObject({ action: 'run.succeeded', actor: 'system', detail: { version: '7', containerGroup: 'fashion-cnn-staging', scoringUri: URI } });
  });

  it.each([
    ['an HTTP error', { status: 500, latencyMs: 10, body: 'boom' }, 'POST /score answered HTTP 500'],
    ['a redirect', { status: 302, latencyMs: 10, body: '' }, 'POST /score answered HTTP 302'],
    ['a 300 (the first status past 2xx)', { status: 300, latencyMs: 10, body: '[1]' }, 'POST /score answered HTTP 300'],
    ['an informational status', { status: 199, latencyMs: 10, body: '[1]' }, 'POST /score answered HTTP 199'],
    ['a slow answer', { status: 200, latencyMs: 2001, body: '[1]' }, 'POST /score took 2001 ms (limit 2000 ms)'],
    ['an empty prediction list', { status: 200, latencyMs: 5, body: '{"predictions":[]}' }, 'POST /score answered something that is not a prediction'],
    ['an empty array', { status: 200, latencyMs: 5, body: '[]' }, 'POST /score answered something that is not a prediction'],
    ['a body that is no JSON', { status: 200, latencyMs: 5, body: 'ok' }, 'POST /score answered something that is not a prediction'],
    ['a JSON object without a prediction', { status: 200, latencyMs: 5, body: '{"status":"ok"}' }, 'POST /score answered something that is not a prediction'],
    ['a JSON number', { status: 200, latencyMs: 5, body: '3' }, 'POST /score answered something that is not a prediction'],
  ])('fails on %s, with the container logs, when nothing was live before', async (_what, score, problem) => {
    h.world.logs = 'loading model\nready\n';
    const id = await smoke(score);
    const run = await h.run(id);
    expect(run.failure).toEqual({ stage: 'smoke', system: 'ACI', message: `Smoke test failed: ${problem}. There is no previous version in staging to roll back to.`, logTail: ['loading model', 'ready'] });
    expect(run.smoke).toMatchObject({ ok: false, detail: problem });
    expect(h.rec.argsOf('aci.getLogs').at(-1)).toEqual([undefined, 'fashion-cnn-staging', { tail: 50 }]);
    expect(h.rec.ops('registry.promote')).toEqual([]);
  });

  it('fails with no log lines when the container logs cannot be read', async () => {
    const id = await smoke({ status: 500, latencyMs: 10, body: 'boom' }, undefined, () => h.rec.failNext('aci.getLogs', fatal('aci', 'containers.listLogs')));
    expect((await h.run(id)).failure).toMatchObject({ message: 'Smoke test failed: POST /score answered HTTP 500. There is no previous version in staging to roll back to.', logTail: [] });
  });

  it.each([
    ['exactly at the latency limit', { status: 200, latencyMs: 2000, body: '{"prediction":"Trouser"}' }],
    ['a 299', { status: 299, latencyMs: 5, body: '{"outputs":[[0.1]]}' }],
    ['a result key', { status: 200, latencyMs: 5, body: '{"result":0}' }],
    ['a non-empty array', { status: 200, latencyMs: 5, body: '[[0.9]]' }],
  ])('passes %s', async (_what, score) => {
    const id = await smoke(score);
    expect((await h.run(id)).status).toBe('succeeded');
  });

  it('asks again while a freshly started endpoint does not answer, within the warm-up only', async () => {
    const id = await smoke(noAnswer());
    const waiting = await h.run(id);
    expect(waiting.status).toBe('running');
    expect(waiting.stages[5]?.detail).toBe(`waiting for ${URI} to answer (connect ECONNREFUSED 10.0.0.4:5001)`);
    h.clock.now = T0 + SMOKE_WARMUP_MS - 1;
    await h.engine.advance(id);
    expect((await h.run(id)).version).toBe(waiting.version);
    expect(h.smokeCalls).toHaveLength(2);
    h.clock.now = T0 + SMOKE_WARMUP_MS;
    await h.engine.advance(id);
    expect((await h.run(id)).failure?.message).toBe('Smoke test failed: POST /score failed: connect ECONNREFUSED 10.0.0.4:5001. There is no previous version in staging to roll back to.');
  });

  it('judges a timeout at once: a slow answer is not a missing one', async () => {
    const id = await smoke(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }));
    expect((await h.run(id)).failure?.message).toBe('Smoke test failed: POST /score failed: The operation was aborted due to timeout. There is no previous version in staging to roll back to.');
  });

  it('says "fetch failed" when the cause of the refusal says nothing', async () => {
    const id = await smoke(Object.assign(new TypeError('fetch failed'), { cause: new Error('') }));
    expect((await h.run(id)).stages[5]?.detail).toBe(`waiting for ${URI} to answer (fetch failed)`);
  });

  it('says "fetch failed" when the refusal carries no cause', async () => {
    const id = await smoke(new TypeError('fetch failed'));
    expect((await h.run(id)).stages[5]?.detail).toBe(`waiting for ${URI} to answer (fetch failed)`);
  });
});

describe('the rollback after a failed smoke test', () => {
  const bad = { status: 500, latencyMs: 5, body: '' };

  it('stores the intent, sends the PUT of the live version, and says so only once it runs', async () => {
    const id = await smoke(bad, '6');
    let run = await h.run(id);
    expect(run.rollback).toEqual({ toVersion: '6', image: imageOf('6'), requestedAt: new Date(T0).toISOString(), sentAt: new Date(T0).toISOString(), problem: 'POST /score answered HTTP 500', logTail: [] });
    expect(run.stages[5]).toMatchObject({ state: 'running', detail: 'POST /score answered HTTP 500; rolling back to version 6' });
    expect(JSON.stringify(h.rec.argsOf('aci.put').at(-1))).toContain(imageOf('6'));
    expect(run.rolledBackTo).toBeUndefined();
    expect((await h.audit(id)).filter((a) => a.action === 'aci.rollback').map((a) => a.detail)).toEqual([{ toVersion: '6', image: imageOf('6'), phase: 'requested' }]);
    story.groupRuns(h, 'fashion-cnn-staging');
    await h.engine.advance(id);
    run = await h.run(id);
    expect(run.rolledBackTo).toBe('6');
    expect(run.failure?.message).toBe('Smoke test failed: POST /score answered HTTP 500. Rolled back to version 6.');
    expect((await h.audit(id)).filter((a) => a.action === 'aci.rollback').map((a) => [a.actor, a.detail.phase])).toEqual([['system', 'requested'], ['system', 'running']]);
    expect(h.rec.ops('aci.put')).toHaveLength(2);
  });

  it.each([
    [{ provisioningState: 'Failed', status: 'Failed' }, 'failed'],
    [{ provisioningState: 'Failed', status: 'Stopped' }, 'stopped'],
    [{ provisioningState: 'Succeeded', status: 'Failed' }, 'failed'],
  ])('fails when the rolled-back group fails too (%o)', async (state, word) => {
    const id = await smoke(bad, '6');
    h.world.groups.set('fashion-cnn-staging', state as never);
    await h.engine.advance(id);
    expect((await h.run(id)).failure?.message).toBe(`Smoke test failed: POST /score answered HTTP 500. Rollback to version 6 failed too: the container group fashion-cnn-staging is ${word}.`);
  });

  it.each<Partial<ContainerGroupState>>([{ provisioningState: 'Updating', status: 'Running' }, { provisioningState: 'Succeeded', status: 'Provisioning' }])('waits while the rolled-back group is not both provisioned and running (%o)', async (state) => {
    const id = await smoke(bad, '6');
    story.groupRuns(h, 'fashion-cnn-staging', state);
    const before = await h.run(id);
    await h.engine.advance(id);
    expect(await h.run(id)).toEqual(before);
  });

  it('resends the rollback PUT after a transient failure, and fails on a refusal', async () => {
    const id = await smoke(bad, '6', () => h.rec.failNext('aci.put', transient('aci', 'containerGroups.createOrUpdate')));
    expect((await h.run(id)).rollback?.sentAt).toBeUndefined();
    h.rec.failNext('aci.put', fatal('aci', 'containerGroups.createOrUpdate', 'InvalidImage'));
    await h.engine.advance(id);
    expect(h.rec.ops('aci.put')).toHaveLength(3); // the deploy, the rollback that met a 503, its resend
    expect((await h.run(id)).failure?.message).toBe('Smoke test failed: POST /score answered HTTP 500. Rollback to version 6 failed too: aci.containerGroups.createOrUpdate HTTP 400 INVALID_PARAMETER_VALUE InvalidImage (request id req-400).');
  });

  it('does not roll back to the same version, and fails when the live version has no image or cannot be read', async () => {
    const same = await smoke(bad, '7');
    expect((await h.run(same)).failure?.message).toContain('There is no previous version in staging to roll back to.');
    h.world.versions.set('5', { status: 'READY' });
    // Each case sets the alias by hand (outside the bot): the runs see it once the shared answer is older than LIVE_SHARED_MS.
    h.clock.now += LIVE_SHARED_MS;
    const noImage = await smoke(bad, '5');
    expect((await h.run(noImage)).failure?.message).toBe('Smoke test failed: POST /score answered HTTP 500. Rollback to version 5 failed too: it has no scoring_image tag.');
    h.clock.now += LIVE_SHARED_MS;
    const gone = await smoke(bad, '6', () => h.rec.failNext('registry.getVersion', fatal('mlflow', 'modelVersions.get', 'version 6 does not exist')));
    expect((await h.run(gone)).failure?.message).toBe('Smoke test failed: POST /score answered HTTP 500. Rollback to version 6 failed too: mlflow.modelVersions.get HTTP 400 INVALID_PARAMETER_VALUE version 6 does not exist (request id req-400).');
  });

  it('waits when the registry is unavailable while reading the live version', async () => {
    h.world.deployed.set('staging', '6');
    h.world.score = bad;
    story.groupRuns(h, 'fashion-cnn-staging');
    const res = await h.engine.startDeploy({ model: 'fashion-cnn', version: '7', requester: ALEX, conversationId: 'c' });
    if (!res.ok) throw new Error('refused');
    await h.settle(res.run.id);
    story.groupRuns(h, 'fashion-cnn-staging');
    h.rec.failNext('registry.getVersion', transient('mlflow', 'modelVersions.get'));
    await h.engine.advance(res.run.id);
    const run = await h.run(res.run.id);
    expect(run.status).toBe('running');
    expect(run.rollback).toBeUndefined();
  });
});
