import { VersionConflictError, type RunStore } from '../../services/workflow/run-store';
import { STAGE_IDS, type RunRecord, type StageRecord } from '../../services/workflow/run.types';
import { ALEX, engineHarness, imageOf, MEGAN, story, type EngineHarness } from '../support/engine-harness';

/**
 * The user actions other than decisions (services/workflow/run-actions.ts) through the real engine:
 * who is refused and how it is audited, the answers, /deploy's choice of version, /rollback,
 * promotion and its version-checked record, retry and cancel. Training is limited to Alex here
 * (the shipped configuration lets anyone train), so that every action has someone to refuse.
 */
let h: EngineHarness;
const EVE = { id: 'user-id-9', name: 'Eve' };
const TRAINERS_ALEX = (t: string): string => t.replace('trainers: ["*"]', 'trainers: ["user-id-0"]');

beforeEach(() => {
  h = engineHarness({ yaml: TRAINERS_ALEX });
  for (const v of ['6', '7', '8']) h.world.versions.set(v, { status: 'READY', scoringImage: imageOf(v) });
});
afterEach(() => h.close());

/** A run as it is stored at some point of its life, written straight to the store. */
async function put(o: Partial<RunRecord> & { at?: StageRecord['id']; state?: StageRecord['state'] }): Promise<RunRecord> {
  const { at, state, ...rest } = o;
  const stages = STAGE_IDS.map((id, i): StageRecord => ({ id, state: at === undefined ? 'succeeded' : i < STAGE_IDS.indexOf(at) ? 'succeeded' : id === at ? (state ?? 'running') : 'pending' }));
  return h.runs.createRun({
    model: 'fashion-cnn', target: 'staging', kind: 'deploy', params: {}, branch: 'main', requester: ALEX, conversationId: 'c', status: 'succeeded', stages, metrics: [],
    createdAt: '2026-11-26T09:00:00.000Z', updatedAt: '2026-11-26T09:00:00.000Z', ...rest,
  });
}


describe('refusals by role', () => {
  it('answer each action of someone without the role, and audit who, what, the model, the role needed and the environment', async () => {
    const run = await put({ registered: { version: '7' } });
    const failed = await put({ status: 'failed', kind: 'train' });
    const running = await put({ status: 'running', at: 'ci', kind: 'train' });
    const results = [
      await h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: EVE, conversationId: 'c' }),
      await h.engine.startDeploy({ model: 'fashion-cnn', version: '7', requester: EVE, conversationId: 'c' }),
      await h.engine.startRollback({ model: 'fashion-cnn', requester: EVE, conversationId: 'c' }),
      await h.engine.promote(run.id, EVE, 'c'),
      await h.engine.retry(failed.id, EVE, 'c'),
      await h.engine.cancel(running.id, EVE),
    ];
    expect(results.map((r) => (r.ok ? 'ok' : r.refusal.kind))).toEqual(Array(6).fill('forbidden'));
    const audit = (await h.runs.listAudit({ limit: 50 })).reverse().filter((a) => a.outcome === 'refused');
    expect(audit.map((a) => [a.action, a.runId, a.detail])).toEqual([
      ['run.start', undefined, { reason: 'forbidden', model: 'fashion-cnn', needs: ['trainer'], env: 'staging' }],
      ['run.deploy', undefined, { reason: 'forbidden', model: 'fashion-cnn', needs: ['trainer'], env: 'staging' }],
      ['run.rollback', undefined, { reason: 'forbidden', model: 'fashion-cnn', needs: ['approver'], env: 'production' }],
      ['run.promote', run.id, { reason: 'forbidden', model: 'fashion-cnn', needs: ['trainer'], env: 'production' }],
      ['run.retry', failed.id, { reason: 'forbidden', model: 'fashion-cnn', needs: ['trainer'], env: 'staging' }],
      ['run.cancel', running.id, { reason: 'forbidden', model: 'fashion-cnn', needs: ['trainer'], env: 'staging' }],
    ]);
    expect(audit.every((a) => a.actor === audit[0]?.actor && a.actor.includes('user-id-9'))).toBe(true);
  });

  it('let the requester cancel their own run without the role', async () => {
    const running = await put({ status: 'running', at: 'ci', kind: 'train', requester: EVE });
    expect(await h.engine.cancel(running.id, EVE)).toMatchObject({ ok: true, message: `Run ${running.id} is canceled.` });
  });
});

describe('starting runs', () => {
  it('answers /train with the run, and refuses a model or an environment the configuration does not have', async () => {
    const res = await h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' });
    expect(res).toMatchObject({ ok: true, message: `Run ${res.ok ? res.run.id : '?'} of fashion-cnn started.` });
    await expect(h.engine.startTrain({ model: 'nope', params: {}, requester: ALEX, conversationId: 'c' })).rejects.toThrow('unknown model nope');
    const unknownEnv = 'fashion-cnn has no environment "qa"; its environments are staging, production. Nothing was started.';
    expect(await h.engine.startDeploy({ model: 'fashion-cnn', env: 'qa', requester: ALEX, conversationId: 'c' })).toMatchObject({ ok: false, refusal: { kind: 'state', message: unknownEnv } });
    expect(await h.engine.startRollback({ model: 'fashion-cnn', env: 'qa', requester: MEGAN, conversationId: 'c' })).toMatchObject({ ok: false, refusal: { kind: 'state', message: unknownEnv } });
  });

  it('deploys to a later environment, without a version, the one live in the environment before, not the newest registered', async () => {
    const none = await h.engine.startDeploy({ model: 'fashion-cnn', env: 'production', requester: ALEX, conversationId: 'c' });
    expect(none).toMatchObject({ ok: false, refusal: { kind: 'state', message: 'No version of fashion-cnn has passed staging yet, so there is nothing to deploy to production. Nothing was started.' } });
    await story.passedStaging(h, '7');
    const res = await h.engine.startDeploy({ model: 'fashion-cnn', env: 'production', requester: ALEX, conversationId: 'c' });
    if (!res.ok) throw new Error(JSON.stringify(res.refusal));
    expect(res.message).toBe(`Deploy ${res.run.id} of fashion-cnn to production started.`);
    expect(res.run.registered?.version).toBe('7');
  });
});

describe('/rollback', () => {
  it("goes back to the version live before the current one in that environment, whatever other models' runs say", async () => {
    await put({ target: 'production', registered: { version: '6' }, createdAt: '2026-11-26T08:00:00.000Z' });
    const refused = await h.engine.startRollback({ model: 'fashion-cnn', requester: MEGAN, conversationId: 'c' });
    expect(refused).toMatchObject({ ok: false, refusal: { kind: 'state', message: 'There is no earlier version of fashion-cnn in production to roll back to. Nothing was changed.' } });
    await put({ target: 'production', registered: { version: '7' }, createdAt: '2026-11-26T08:30:00.000Z' });
    await put({ model: 'other-model', target: 'production', registered: { version: '99' } });
    const res = await h.engine.startRollback({ model: 'fashion-cnn', requester: MEGAN, conversationId: 'c' });
    if (!res.ok) throw new Error(JSON.stringify(res.refusal));
    expect(res.message).toBe(`Rollback of fashion-cnn in production to version 6 (${res.run.id}).`);
    expect(res.run).toMatchObject({ target: 'production', registered: { version: '6' } });
  });
});

describe('promotion', () => {
  it('refuses from the last environment, and from a run that has not passed its own', async () => {
    const prod = await put({ target: 'production', registered: { version: '7' } });
    expect(await h.engine.promote(prod.id, ALEX, 'c')).toMatchObject({ ok: false, refusal: { message: 'production is the last environment of fashion-cnn; there is nothing to promote to.' } });
    const waiting = await put({ status: 'waiting_approval', at: 'approval', state: 'waiting', registered: { version: '7' } });
    expect(await h.engine.promote(waiting.id, ALEX, 'c')).toMatchObject({ ok: false, refusal: { message: `Run ${waiting.id} has not passed staging (it is waiting approval); only a version whose smoke test passed there can be promoted.` } });
    // A failed run of a version that passed staging in another run is still not one to promote from.
    await story.passedStaging(h, '7');
    const failed = await put({ status: 'failed', at: 'smoke', state: 'failed', registered: { version: '7' } });
    expect(await h.engine.promote(failed.id, ALEX, 'c')).toMatchObject({ ok: false, refusal: { message: `Run ${failed.id} has not passed staging (it is failed); only a version whose smoke test passed there can be promoted.` } });
  });

  it('records the promotion on the source run through up to three version conflicts, then gives up on the record but not on the run started; any other write failure reaches the caller', async () => {
    let conflicts = 0;
    let attempts = 0;
    const fault: { broken?: Error } = {};
    await h.close();
    h = engineHarness({
      yaml: TRAINERS_ALEX,
      wrap: (inner: RunStore): RunStore =>
        new Proxy(inner, {
          get: (target, key, receiver) =>
            key === 'saveRun'
              ? async (run: RunRecord, ...rest: unknown[]) => {
                  if (run.promotion) {
                    attempts += 1;
                    if (fault.broken) throw fault.broken;
                    if (conflicts > 0) {
                      conflicts -= 1;
                      throw new VersionConflictError(run.id, run.version);
                    }
                  }
                  return (target.saveRun as (...a: unknown[]) => Promise<RunRecord>).call(target, run, ...rest);
                }
              : (Reflect.get(target, key, receiver) as unknown),
        }),
    });
    for (const v of ['7']) h.world.versions.set(v, { status: 'READY', scoringImage: imageOf(v) });
    const source = await story.passedStaging(h, '7');
    conflicts = 2;
    const res = await h.engine.promote(source, ALEX, 'c');
    if (!res.ok) throw new Error(JSON.stringify(res.refusal));
    expect(res.message).toBe(`Promoting version 7 of fashion-cnn to production (${res.run.id}).`);
    expect(attempts).toBe(3);
    expect((await h.run(source)).promotion).toMatchObject({ env: 'production', runId: res.run.id });
    // Always in conflict: three attempts, no record, and the promoted run still stands.
    const other = await story.passedStaging(h, '7');
    attempts = 0;
    conflicts = 10;
    const again = await h.engine.promote(other, ALEX, 'c');
    expect(again.ok).toBe(true);
    expect(attempts).toBe(3);
    expect((await h.run(other)).promotion).toBeUndefined();
    // Any other failure of the write is not a conflict to retry: it reaches the caller.
    const third = await story.passedStaging(h, '7');
    attempts = 0;
    fault.broken = new Error('disk full');
    await expect(h.engine.promote(third, ALEX, 'c')).rejects.toThrow('disk full');
    expect(attempts).toBe(1);
  });
});

describe('retry and cancel', () => {
  it('retries a canceled or expired run, and refuses one waiting for approval', async () => {
    for (const status of ['canceled', 'expired'] as const) {
      const run = await put({ status, kind: 'train' });
      expect(await h.engine.retry(run.id, ALEX, 'c')).toMatchObject({ ok: true });
    }
    const waiting = await put({ status: 'waiting_approval', at: 'approval', state: 'waiting', kind: 'train' });
    expect(await h.engine.retry(waiting.id, ALEX, 'c')).toMatchObject({ ok: false, refusal: { message: `Run ${waiting.id} is waiting approval; only a failed, canceled or expired run can be retried.` } });
  });

  it('stops no external run when the run is past CI and training', async () => {
    const run = await put({ status: 'waiting_approval', at: 'approval', state: 'waiting', kind: 'train', ci: { devopsRunId: 100 }, training: { databricksRunId: 500 }, registered: { version: '7' } });
    expect(await h.engine.cancel(run.id, ALEX)).toMatchObject({ ok: true });
    expect(h.rec.ops('databricks.cancelRun')).toEqual([]);
    expect(h.rec.ops('devops.cancelRun')).toEqual([]);
  });
});
