import { ALEX, engineHarness, imageOf, MEGAN, story, T0, type EngineHarness } from '../support/engine-harness';

/**
 * Approvals through the real engine and tracker: the shipped mlops.config.yaml deploys to
 * staging with no approval, then to production after one approval (24 h to decide).
 */
let h: EngineHarness;
beforeEach(() => {
  h = engineHarness();
  for (const v of ['6', '7']) h.world.versions.set(v, { status: 'READY', scoringImage: imageOf(v) });
});
afterEach(() => h.close());

const DAY = 24 * 3_600_000;
const CAROL = { id: 'user-id-5', name: 'Carol', upn: 'approver@contoso.com' };


describe('staging, then production through one approval', () => {
  it('deploys to staging with no approval, and to production once an approver approved the promotion', async () => {
    const staging = await story.passedStaging(h, '7');
    expect(await h.stages(staging)).toEqual(['ci:skipped', 'training:skipped', 'registered:succeeded', 'approval:skipped', 'deploy:succeeded', 'smoke:succeeded']);
    const promoted = await h.engine.promote(staging, ALEX, 'conv-2');
    if (!promoted.ok) throw new Error(JSON.stringify(promoted.refusal));
    expect((await h.run(staging)).promotion).toMatchObject({ env: 'production', runId: promoted.run.id, by: { id: ALEX.id } });
    const id = promoted.run.id;
    h.clock.now += 1000;
    let run = await h.settle(id);
    expect(run).toMatchObject({ target: 'production', promotedFrom: staging, status: 'waiting_approval' });
    expect(run.approval).toEqual({ required: 1, expiresAt: new Date(T0 + 1000 + DAY).toISOString(), decisions: [], state: 'pending' });
    expect(run.stages[3]).toMatchObject({ state: 'waiting', detail: '1 approval needed' });
    expect(await h.outbox(id)).toContain('approvalRequested');
    expect(h.rec.ops('aci.put')).toHaveLength(1); // nothing sent to production before the decision

    const decided = await h.engine.decide(id, MEGAN, 'approved', 'ship it');
    expect(decided).toMatchObject({ ok: true, message: 'Approved. Deploying version 7 of fashion-cnn to production.' });
    run = await h.settle(id);
    expect(run.approval?.state).toBe('approved');
    expect(run.stages[3]).toMatchObject({ state: 'succeeded', detail: 'approved by Megan Bowen' });
    expect(run.stages[4]).toMatchObject({ state: 'running', detail: 'deploying version 7 to production (fashion-cnn-prod)' });
    story.groupRuns(h, 'fashion-cnn-prod');
    run = (await h.engine.advance(id)) ?? run;
    expect(run.status).toBe('succeeded');
    expect(h.rec.argsOf('registry.promote').map((a) => a[3])).toEqual(['staging', 'production']);
    expect((await h.audit(id)).map((a) => a.action)).toEqual(['run.promote', 'approval.approved', 'aci.deploy', 'run.succeeded']);
    // A second click on the staging card starts nothing.
    const again = await h.engine.promote(staging, MEGAN, 'conv-2');
    expect(again).toMatchObject({ ok: false, refusal: { kind: 'state', message: `Version 7 of fashion-cnn was already promoted to production by Alex Wilber (run ${id}).` } });
  });

  it('refuses to promote a version that has not passed staging', async () => {
    const res = await h.engine.startDeploy({ model: 'fashion-cnn', version: '6', env: 'production', requester: ALEX, conversationId: 'c' });
    expect(res).toMatchObject({ ok: false, refusal: { kind: 'state' } });
    expect(await h.runs.listRuns({ model: 'fashion-cnn' })).toEqual([]);
  });

  it('rejects: the run ends canceled and nothing reaches production', async () => {
    await story.passedStaging(h, '7');
    const id = await story.waitingInProduction(h, '7');
    const res = await h.engine.decide(id, MEGAN, 'rejected', 'not today');
    expect(res).toMatchObject({ ok: true, message: 'Rejected. Version 7 of fashion-cnn will not be deployed.' });
    const run = await h.settle(id);
    expect(run.status).toBe('canceled');
    expect(run.stages[3]).toMatchObject({ state: 'failed', detail: 'rejected by Megan Bowen: not today' });
    expect(h.rec.argsOf('aci.put').map(([, s]) => (s as { name: string }).name)).toEqual(['fashion-cnn-staging']);
  });

  it('rejects without a comment: the stage names who rejected', async () => {
    await story.passedStaging(h, '7');
    const id = await story.waitingInProduction(h, '7');
    await h.engine.decide(id, MEGAN, 'rejected', '');
    expect((await h.run(id)).stages[3]?.detail).toBe('rejected by Megan Bowen');
  });

  it('refuses, and audits, a decision by the requester or by someone who is no approver', async () => {
    await story.passedStaging(h, '7');
    const id = await story.waitingInProduction(h, '7');
    expect(await h.engine.decide(id, { id: 'user-id-9', name: 'Eve' }, 'approved', '')).toMatchObject({ ok: false, refusal: { kind: 'forbidden' } });
    expect(await h.engine.decide(id, ALEX, 'approved', '')).toMatchObject({ ok: false, refusal: { kind: 'state' } });
    const refusals = (await h.audit(id)).filter((a) => a.outcome === 'refused');
    expect(refusals.map((a) => [a.runId, typeof a.detail.message])).toEqual([[id, 'string'], [id, 'string']]);
    expect(refusals[1]?.detail.message).toMatch(/approve/i);
    expect(refusals.map((a) => [a.actor, a.action, a.detail.reason])).toEqual([
      ['teams:user-id-9', 'approval.approved', 'not-approver'],
      ['teams:user-id-0', 'approval.approved', 'self-approval'],
    ]);
    expect((await h.run(id)).status).toBe('waiting_approval');
  });

  it('expires on the tracker pass after the deadline, not before', async () => {
    await story.passedStaging(h, '7');
    const id = await story.waitingInProduction(h, '7');
    h.clock.now = T0 + DAY;
    await h.tracker.tick();
    expect((await h.run(id)).status).toBe('waiting_approval');
    h.clock.now = T0 + DAY + 1;
    await h.tracker.tick();
    const run = await h.run(id);
    expect(run.status).toBe('expired');
    expect(run.approval?.state).toBe('expired');
    expect(run.stages[3]).toMatchObject({ state: 'expired', detail: `no decision before ${new Date(T0 + DAY).toISOString()}` });
    expect(await h.outbox(id)).toEqual(expect.arrayContaining(['approvalUpdated', `notice: Run ${id}: the approval expired, so version 7 of fashion-cnn was not deployed.`]));
    expect((await h.audit(id)).at(-1)).toMatchObject({ action: 'approval.expired', actor: 'system', detail: { expiresAt: new Date(T0 + DAY).toISOString() } });
  });

  it('makes an older pending approval of the same environment stale when a newer one opens', async () => {
    await story.passedStaging(h, '6');
    await story.passedStaging(h, '7');
    const older = await story.waitingInProduction(h, '6');
    const newer = await story.waitingInProduction(h, '7');
    const run = await h.run(older);
    expect(run.status).toBe('canceled');
    expect(run.approval?.state).toBe('stale');
    expect(run.stages[3]).toMatchObject({ state: 'canceled', detail: `superseded by run ${newer} (version 7)` });
    expect((await h.audit(older)).at(-1)).toMatchObject({ action: 'approval.stale', actor: 'system', outcome: 'ok', detail: { supersededBy: newer } });
    expect(await h.outbox(older)).toContain('approvalUpdated');
    expect((await h.run(newer)).status).toBe('waiting_approval');
  });
});

describe('an approval that needs two people', () => {
  beforeEach(async () => {
    await h.close();
    h = engineHarness({ yaml: (text) => text.replace(/required: 1\b/, 'required: 2') });
    h.world.versions.set('7', { status: 'READY', scoringImage: imageOf('7') });
  });

  it('records the first approval and deploys after the second', async () => {
    await story.passedStaging(h, '7');
    const id = await story.waitingInProduction(h, '7');
    expect((await h.run(id)).stages[3]?.detail).toBe('2 approvals needed');
    expect(await h.engine.decide(id, MEGAN, 'approved', '')).toMatchObject({ ok: true, message: 'Your approval is recorded (1 of 2).' });
    let run = await h.settle(id);
    expect(run.status).toBe('waiting_approval');
    expect(run.stages[3]?.detail).toBe('1 of 2 approvals');
    expect(await h.engine.decide(id, CAROL, 'approved', '')).toMatchObject({ ok: true });
    run = await h.settle(id);
    expect(run.stages[3]).toMatchObject({ state: 'succeeded', detail: 'approved by Megan Bowen, Carol' });
    expect(run.stages[4]?.state).toBe('running');
  });
});
