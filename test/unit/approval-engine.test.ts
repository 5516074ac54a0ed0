import { VersionConflictError, type RunStore } from '../../services/workflow/run-store';
import { stageOf, type RunRecord } from '../../services/workflow/run.types';
import { approvalBench, T0 } from '../support/approval-engine';

// In the sandbox config Megan (user-id-1) is an approver and Alex (user-id-0) an admin; Isaiah
// (user-id-3) is only a trainer, so he requests and the other two decide.
const ISAIAH = { id: 'user-id-3', name: 'Isaiah Langer' };
const MEGAN = { id: 'user-id-1', name: 'Megan Bowen' };
const ALEX = { id: 'user-id-0', name: 'Alex Wilber' };

/** A store that lets `interfere` write first, the way a second bot instance would, before the engine's next save. */
function racingStore(interfere: (inner: RunStore, run: RunRecord) => Promise<void>, times = 1): { wrap: (inner: RunStore) => RunStore; conflicts: () => number } {
  let left = times;
  let conflicts = 0;
  return {
    conflicts: () => conflicts,
    wrap: (inner) =>
      new Proxy(inner, {
        get(target, prop, receiver) {
          if (prop !== 'saveRun') return Reflect.get(target, prop, receiver) as unknown;
          const save: RunStore['saveRun'] = async (run, effects) => {
            if (left > 0) {
              left--;
              await interfere(target, run);
            }
            try {
              return await target.saveRun(run, effects);
            } catch (e) {
              if (e instanceof VersionConflictError) conflicts++;
              throw e;
            }
          };
          return save;
        },
      }),
  };
}

async function otherInstanceDecides(store: RunStore, runId: string, by: { id: string; name: string }, decision: 'approved' | 'rejected'): Promise<void> {
  const fresh = await store.getRun(runId);
  if (!fresh?.approval) throw new Error('no run to interfere with');
  fresh.approval.decisions.push({ by, decision, comment: 'from the other instance', at: new Date(T0).toISOString() });
  if (decision === 'rejected') {
    fresh.approval.state = 'rejected';
    fresh.status = 'canceled';
  }
  await store.saveRun(fresh);
}

describe('an approval click under a version conflict', () => {
  it('re-reads the run and counts the decision the other writer saved (2 of 2 approves)', async () => {
    const race = racingStore((inner, run) => otherInstanceDecides(inner, run.id, ALEX, 'approved'));
    const b = approvalBench(race.wrap);
    const run = await b.waitingRun({ required: 2, requester: ISAIAH });
    const r = await b.engine.decide(run.id, MEGAN, 'approved', 'ok');
    expect(race.conflicts()).toBe(1);
    expect(r).toMatchObject({ ok: true, message: 'Approved. Deploying version 7 of fashion-cnn to production.' });
    const saved = await b.store.runs.getRun(run.id);
    expect(saved?.approval?.decisions.map((d) => d.by.id)).toEqual([ALEX.id, MEGAN.id]);
    expect(saved?.approval?.state).toBe('approved');
    await b.settle(run.id);
  });

  it('refuses honestly when the other writer rejected meanwhile, and writes no approval', async () => {
    const race = racingStore((inner, run) => otherInstanceDecides(inner, run.id, ALEX, 'rejected'));
    const b = approvalBench(race.wrap);
    const run = await b.waitingRun({ required: 2, requester: ISAIAH });
    const r = await b.engine.decide(run.id, MEGAN, 'approved', 'ok');
    expect(race.conflicts()).toBe(1);
    expect(r).toMatchObject({ ok: false, refusal: { message: expect.stringMatching(/^Already rejected by Alex Wilber at 2026-11-26 10:00 UTC: "from the other instance"\.$/) as string } });
    const saved = await b.store.runs.getRun(run.id);
    expect(saved?.approval?.decisions.map((d) => `${d.by.id}:${d.decision}`)).toEqual([`${ALEX.id}:rejected`]);
    expect((await b.store.runs.listAudit({ runId: run.id })).filter((a) => a.action === 'approval.approved').map((a) => a.outcome)).toEqual(['refused']);
  });

  it('gives up with a clear answer after five conflicts in a row, having saved nothing of its own', async () => {
    let n = 0;
    const race = racingStore(async (inner, run) => {
      const fresh = await inner.getRun(run.id);
      if (fresh) await inner.saveRun({ ...fresh, updatedAt: new Date(T0 + ++n).toISOString() });
    }, 5);
    const b = approvalBench(race.wrap);
    const run = await b.waitingRun({ required: 2, requester: ISAIAH });
    const r = await b.engine.decide(run.id, MEGAN, 'approved', 'ok');
    expect(race.conflicts()).toBe(5);
    expect(r).toEqual({ ok: false, refusal: { kind: 'state', message: 'The run is changing too fast right now; try again.' } });
    expect((await b.store.runs.getRun(run.id))?.approval?.decisions).toEqual([]);
  });
});

describe('the click-time expiry check', () => {
  it('refuses a click after expiry even though no tracker pass has marked the run expired', async () => {
    const b = approvalBench();
    const run = await b.waitingRun({ required: 2, requester: ISAIAH, expiresInMs: 3_600_000 });
    b.clock.now = T0 + 3_600_001;
    const r = await b.engine.decide(run.id, MEGAN, 'approved', '');
    expect(r).toMatchObject({ ok: false, refusal: { message: 'This approval expired at 2026-11-26 11:00 UTC; nothing was deployed.' } });
    const saved = await b.store.runs.getRun(run.id);
    // Still pending in the store: only the click was refused, the tracker has not run.
    expect(saved).toMatchObject({ status: 'waiting_approval', approval: { state: 'pending', decisions: [] } });
    expect((await b.store.runs.listAudit({ runId: run.id })).at(-1)).toMatchObject({ action: 'approval.approved', outcome: 'refused', detail: { reason: 'not-waiting' } });
  });

  it('accepts a click at the last moment before expiry', async () => {
    const b = approvalBench();
    const run = await b.waitingRun({ required: 2, requester: ISAIAH, expiresInMs: 3_600_000 });
    b.clock.now = T0 + 3_600_000;
    expect(await b.engine.decide(run.id, MEGAN, 'approved', '')).toMatchObject({ ok: true, message: 'Your approval is recorded (1 of 2).' });
  });

  it('refuses a rejection after expiry too', async () => {
    const b = approvalBench();
    const run = await b.waitingRun({ required: 1, requester: ISAIAH, expiresInMs: 60_000 });
    b.clock.now = T0 + 120_000;
    expect(await b.engine.decide(run.id, MEGAN, 'rejected', 'late')).toMatchObject({ ok: false, refusal: { message: expect.stringMatching(/^This approval expired at /) as string } });
    expect((await b.store.runs.getRun(run.id))?.status).toBe('waiting_approval');
  });
});

describe('stale approvals', () => {
  it('an approval reached by a newer run makes the older pending one of the same target stale, once, with an audit line', async () => {
    const b = approvalBench();
    const older = await b.waitingRun({ version: '7' });
    const newer = await b.reachingApproval({ version: '8' });
    const opened = await b.engine.advance(newer.id);
    expect(opened).toMatchObject({ status: 'waiting_approval', approval: { state: 'pending' } });
    const o = await b.store.runs.getRun(older.id);
    expect(o).toMatchObject({ status: 'canceled', approval: { state: 'stale' } });
    expect(stageOf(o!, 'approval')).toMatchObject({ state: 'canceled', detail: `superseded by run ${newer.id} (version 8)` });
    expect((await b.store.runs.listAudit({ runId: older.id })).filter((a) => a.action === 'approval.stale')).toEqual([expect.objectContaining({ outcome: 'ok', detail: { supersededBy: newer.id } })]);
    expect(await b.engine.decide(older.id, MEGAN, 'approved', '')).toMatchObject({ ok: false, refusal: { message: `This approval is stale: a newer model version superseded it (superseded by run ${newer.id} (version 8)).` } });
  });

  it('leaves a pending approval of another target alone', async () => {
    const b = approvalBench();
    const staging = await b.waitingRun({ version: '7' });
    const s = await b.store.runs.getRun(staging.id);
    await b.store.runs.saveRun({ ...s!, target: 'staging' });
    const newer = await b.reachingApproval({ version: '8' });
    await b.engine.advance(newer.id);
    expect((await b.store.runs.getRun(staging.id))?.approval?.state).toBe('pending');
    expect(await b.engine.decide(staging.id, MEGAN, 'approved', '')).toMatchObject({ ok: true });
    await b.settle(staging.id);
  });
});

describe('the engine and deferred commits', () => {
  it('syncs what earlier steps deferred before it takes a step (a step may call Azure, which must not be repeated after power loss)', async () => {
    const calls: string[] = [];
    const b = approvalBench(
      (inner) =>
        new Proxy(inner, {
          get(target, prop, receiver) {
            if (prop === 'flush') return async () => {
              calls.push('flush');
              await target.flush?.();
            };
            if (prop === 'saveRun') {
              const save: RunStore['saveRun'] = async (run, effects, options) => {
                calls.push(options?.deferSync ? 'save deferred' : 'save');
                return target.saveRun(run, effects, options);
              };
              return save;
            }
            return Reflect.get(target, prop, receiver) as unknown;
          },
        }),
    );
    const run = await b.reachingApproval();
    await b.engine.advance(run.id);
    await b.engine.advance(run.id);
    expect(calls.filter((c) => c === 'save deferred').length).toBeGreaterThan(0);
    // Every step starts with a flush: nothing the previous step deferred is left unsynced when the next one runs.
    calls.forEach((c, i) => {
      if (c === 'save deferred' && i > 0) expect([i, calls[i - 1]]).toEqual([i, 'flush']);
    });
    expect(calls[0]).toBe('flush');
  });
});
