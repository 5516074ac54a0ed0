import { stageOf } from '../../services/workflow/run.types';
import { PRODUCTION_ONLY } from '../support/environments';
import { ADELE, ALEX, MEGAN, startWorkflowHarness, type WorkflowHarness, started } from '../support/workflow-harness';

// Two approvers required, Megan and Adele are approvers, Isaiah (user-id-3) is not.
const twoOfThree = (yaml: string): string =>
  yaml.replace('required: 1', 'required: 2').replace('approvers: ["user-id-1", "meganb@example.com", "approver@contoso.com"]', 'approvers: ["user-id-1", "user-id-2", "user-id-0"]').replace('admins: ["user-id-0", "alexw@example.com"]', 'admins: []');
const ISAIAH = { id: 'user-id-3', name: 'Isaiah Langer' };

describe('approvals', () => {
  let h: WorkflowHarness;
  beforeAll(async () => {
    // One environment (PRODUCTION_ONLY): every /train run stops at production's approval, the subject here.
    h = await startWorkflowHarness({ yaml: (text) => twoOfThree(PRODUCTION_ONLY(text)) });
  });
  afterAll(async () => h.close());

  async function waitingRun(): Promise<string> {
    const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' }));
    await h.until(run.id, ['waiting_approval']);
    return run.id;
  }

  it('needs N approvals from approvers other than the requester, and refuses everyone else honestly', async () => {
    const id = await waitingRun();
    expect(await h.engine.decide(id, ISAIAH, 'approved', '')).toMatchObject({ ok: false, refusal: { kind: 'forbidden', action: 'decide', model: 'fashion-cnn', needs: ['approver'] } });
    expect(await h.engine.decide(id, ALEX, 'approved', '')).toMatchObject({ ok: false, refusal: { kind: 'state', message: expect.stringContaining('your own approval does not count') as string } });
    expect(await h.engine.decide(id, MEGAN, 'approved', 'ok')).toMatchObject({ ok: true, message: 'Your approval is recorded (1 of 2).' });
    expect(await h.engine.decide(id, MEGAN, 'approved', 'again')).toMatchObject({ ok: false, refusal: { kind: 'state', message: expect.stringMatching(/^You already approved this at /) as string } });
    const second = await h.engine.decide(id, ADELE, 'approved', '');
    expect(second).toMatchObject({ ok: true, message: expect.stringContaining('Approved. Deploying') as string });
    expect(await h.engine.decide(id, ALEX, 'rejected', 'too late')).toMatchObject({ ok: false, refusal: { kind: 'state', message: expect.stringMatching(/^Already approved by Adele Vance at /) as string } });
    const done = await h.until(id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(done.approval?.decisions.map((d) => d.by.id)).toEqual([MEGAN.id, ADELE.id]);
    const refusals = (await h.store.runs.listAudit({ runId: id })).filter((a) => a.outcome === 'refused');
    expect(refusals.length).toBe(4);
  });

  it('takes exactly one decision out of 50 concurrent Approve clicks, and deploys once', async () => {
    const id = await waitingRun();
    await h.engine.decide(id, MEGAN, 'approved', '');
    const clicks = await Promise.all(Array.from({ length: 50 }, () => h.engine.decide(id, ADELE, 'approved', 'click')));
    expect(clicks.filter((c) => c.ok)).toHaveLength(1);
    expect(new Set(clicks.filter((c) => !c.ok).map((c) => (c.refusal.kind === 'state' ? c.refusal.message : c.refusal.kind).replace(/ at .*$/, '')))).toEqual(new Set(['Already approved by Adele Vance']));
    const done = await h.until(id, ['succeeded', 'failed']);
    expect(done.approval?.decisions).toHaveLength(2);
    const deploys = (await h.store.runs.listAudit({ runId: id })).filter((a) => a.action === 'aci.deploy');
    expect(deploys).toHaveLength(1);
  });

  it('rejects with a comment, and the run deploys nothing', async () => {
    const id = await waitingRun();
    const r = await h.engine.decide(id, MEGAN, 'rejected', 'accuracy regressed');
    expect(r.ok).toBe(true);
    const run = await h.store.runs.getRun(id);
    expect(run?.status).toBe('canceled');
    expect(stageOf(run!, 'approval')).toMatchObject({ state: 'failed', detail: 'rejected by Megan Bowen: accuracy regressed' });
    expect(stageOf(run!, 'deploy').state).toBe('pending');
  });

  it('expires an approval nobody decided, and refuses a click on it afterwards', async () => {
    const id = await waitingRun();
    h.shiftTime(25 * 3_600_000);
    try {
      const expired = await h.until(id, ['expired']);
      expect(expired.approval?.state).toBe('expired');
      expect(await h.engine.decide(id, MEGAN, 'approved', '')).toMatchObject({ ok: false, refusal: { kind: 'state', message: expect.stringMatching(/^This approval expired at /) as string } });
    } finally {
      h.shiftTime(-25 * 3_600_000);
    }
  });

  it('makes an older pending approval stale when a newer version of the same model reaches approval', async () => {
    const older = await waitingRun();
    const newer = await waitingRun();
    const o = await h.store.runs.getRun(older);
    expect(o?.approval?.state).toBe('stale');
    expect(stageOf(o!, 'approval').detail).toContain(`superseded by run ${newer}`);
    expect(await h.engine.decide(older, MEGAN, 'approved', '')).toMatchObject({ ok: false, refusal: { kind: 'state', message: expect.stringContaining('This approval is stale') as string } });
    expect((await h.store.runs.getRun(newer))?.approval?.state).toBe('pending');
    await h.engine.cancel(newer, ALEX);
  });

  it('queues a second deploy of the same model until the first one finishes', async () => {
    const a = await started(h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' }));
    await h.until(a.id, ['waiting_approval']);
    await h.engine.decide(a.id, MEGAN, 'approved', '');
    await h.engine.decide(a.id, ADELE, 'approved', '');
    // Run a deploys at once after the click; ARM answering 503 to reads keeps it in its deploy
    // (a retryable outage: it waits) while the second run arrives.
    h.sandbox.faults.add({ service: 'arm', operation: 'containerGroups.get', kind: 'status', status: 503 });
    await h.untilRun(a.id, 'deploy requested', (r) => r.deploy?.requestedAt !== undefined);
    // A /deploy-like second run that reaches the deploy stage while the first holds the slot.
    const b = await started(h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' }));
    await h.until(b.id, ['waiting_approval']);
    await h.engine.decide(b.id, MEGAN, 'approved', '');
    await h.engine.decide(b.id, ADELE, 'approved', '');
    // Run a holds the deploy slot until ARM answers again.
    const queued = await h.untilRun(b.id, 'deploy queued', (r) => stageOf(r, 'deploy').state === 'queued');
    expect(stageOf(queued, 'deploy').detail).toBe(`waiting for run ${a.id} to finish deploying`);
    expect((await h.store.runs.getRun(a.id))?.status).toBe('running');
    h.sandbox.faults.clear();
    await h.until(a.id, ['succeeded', 'failed']);
    const bDone = await h.until(b.id, ['succeeded', 'failed']);
    expect(bDone.status).toBe('succeeded');
    expect(Date.parse(stageOf(bDone, 'deploy').finishedAt!)).toBeGreaterThanOrEqual(Date.parse(stageOf((await h.store.runs.getRun(a.id))!, 'deploy').finishedAt!));
  });
});
