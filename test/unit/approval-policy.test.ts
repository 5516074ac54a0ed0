import { refusalFor } from '../../services/workflow/approval-policy';
import type { PersonRef, RunRecord } from '../../services/workflow/run.types';

// The policy is pure: a run, who clicked, what they clicked, whether they hold the approver role, and now.
const T0 = Date.parse('2026-11-26T10:00:00Z');
const ALEX: PersonRef = { id: 'user-id-0', name: 'Alex Wilber' };
const MEGAN: PersonRef = { id: 'user-id-1', name: 'Megan Bowen' };
const ADELE: PersonRef = { id: 'user-id-2', name: 'Adele Vance' };

function run(over: Partial<RunRecord> = {}, approval: Partial<NonNullable<RunRecord['approval']>> = {}): RunRecord {
  return {
    id: 'r-9', model: 'fashion-cnn', target: 'production', kind: 'train', params: {}, branch: 'main', requester: ALEX, conversationId: 'c',
    status: 'waiting_approval',
    stages: [{ id: 'approval', state: 'waiting' }],
    registered: { version: '7' }, metrics: [],
    approval: { required: 2, expiresAt: new Date(T0 + 3_600_000).toISOString(), decisions: [], state: 'pending', ...approval },
    createdAt: new Date(T0).toISOString(), updatedAt: new Date(T0).toISOString(), version: 3,
    ...over,
  };
}
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

describe('who may decide an approval, and what everybody else is told', () => {
  it('lets an approver other than the requester approve or reject a pending approval before it expires', () => {
    expect(refusalFor(run(), MEGAN, 'approved', true, T0)).toBeUndefined();
    expect(refusalFor(run(), MEGAN, 'rejected', true, T0 + 3_600_000)).toBeUndefined();
  });

  it('refuses someone without the approver role, whatever they click', () => {
    for (const d of ['approved', 'rejected'] as const) {
      expect(refusalFor(run(), ADELE, d, false, T0)).toEqual({ kind: 'not-approver', message: 'You are not an approver for fashion-cnn. Nothing was changed.' });
    }
  });

  it("never counts the requester's own approval, but lets the requester reject", () => {
    expect(refusalFor(run(), ALEX, 'approved', true, T0)).toEqual({ kind: 'self-approval', message: 'You requested run r-9, so your own approval does not count. Another approver must approve it.' });
    expect(refusalFor(run(), ALEX, 'rejected', true, T0)).toBeUndefined();
  });

  it('refuses a second decision by the same person, naming the first', () => {
    const r = run({}, { decisions: [{ by: MEGAN, decision: 'approved', comment: '', at: at(5) }] });
    expect(refusalFor(r, MEGAN, 'approved', true, T0)).toEqual({ kind: 'already-decided', message: 'You already approved this at 2026-11-26 10:05 UTC.' });
    expect(refusalFor(r, MEGAN, 'rejected', true, T0)).toEqual({ kind: 'already-decided', message: 'You already approved this at 2026-11-26 10:05 UTC.' });
    expect(refusalFor(r, ADELE, 'approved', true, T0)).toBeUndefined();
  });

  it('checks expiry at click time, to the millisecond, before the role', () => {
    expect(refusalFor(run(), MEGAN, 'approved', true, T0 + 3_600_000)).toBeUndefined();
    const late = { kind: 'not-waiting', message: 'This approval expired at 2026-11-26 11:00 UTC; nothing was deployed.' };
    expect(refusalFor(run(), MEGAN, 'approved', true, T0 + 3_600_001)).toEqual(late);
    expect(refusalFor(run(), ADELE, 'approved', false, T0 + 3_600_001)).toEqual(late);
  });

  it('tells why a decided approval cannot change: who approved or rejected it, and when (with the comment)', () => {
    const approved = run({ status: 'running' }, { state: 'approved', decisions: [{ by: MEGAN, decision: 'approved', comment: '', at: at(1) }, { by: ADELE, decision: 'approved', comment: 'ok', at: at(2) }] });
    expect(refusalFor(approved, ALEX, 'rejected', true, T0)).toEqual({ kind: 'not-waiting', message: 'Already approved by Adele Vance at 2026-11-26 10:02 UTC.' });
    const rejected = run({ status: 'canceled' }, { state: 'rejected', decisions: [{ by: MEGAN, decision: 'rejected', comment: 'accuracy regressed', at: at(3) }] });
    expect(refusalFor(rejected, ADELE, 'approved', true, T0)).toEqual({ kind: 'not-waiting', message: 'Already rejected by Megan Bowen at 2026-11-26 10:03 UTC: "accuracy regressed".' });
    const rejectedSilently = run({ status: 'canceled' }, { state: 'rejected', decisions: [{ by: MEGAN, decision: 'rejected', comment: '', at: at(3) }] });
    expect(refusalFor(rejectedSilently, ADELE, 'approved', true, T0)?.message).toBe('Already rejected by Megan Bowen at 2026-11-26 10:03 UTC.');
  });

  it('tells an expired or stale approval apart, with the stage detail of a stale one', () => {
    expect(refusalFor(run({ status: 'expired' }, { state: 'expired' }), MEGAN, 'approved', true, T0)).toEqual({ kind: 'not-waiting', message: 'This approval expired at 2026-11-26 11:00 UTC; nothing was deployed.' });
    const stale = run({ status: 'canceled', stages: [{ id: 'approval', state: 'canceled', detail: 'superseded by run r-10 (version 8)' }] }, { state: 'stale' });
    expect(refusalFor(stale, MEGAN, 'approved', true, T0)?.message).toBe('This approval is stale: a newer model version superseded it (superseded by run r-10 (version 8)).');
    const staleNoDetail = run({ status: 'canceled', stages: [{ id: 'approval', state: 'canceled' }] }, { state: 'stale' });
    expect(refusalFor(staleNoDetail, MEGAN, 'approved', true, T0)?.message).toBe('This approval is stale: a newer model version superseded it (see the newer run).');
  });

  it('refuses a click on a run that is not waiting, even if its approval record still says pending', () => {
    expect(refusalFor(run({ status: 'running' }), MEGAN, 'approved', true, T0)).toEqual({ kind: 'not-waiting', message: 'Run r-9 is not waiting for an approval (it is running).' });
    expect(refusalFor(run({ status: 'waiting_approval', approval: undefined }), MEGAN, 'approved', true, T0)?.message).toBe('Run r-9 is not waiting for an approval (it is waiting approval).');
    // Approved or rejected without a recorded decision (e.g. decided in Azure DevOps): the generic answer.
    expect(refusalFor(run({ status: 'running' }, { state: 'approved' }), MEGAN, 'approved', true, T0)?.message).toBe('Run r-9 is not waiting for an approval (it is running).');
    expect(refusalFor(run({ status: 'canceled' }, { state: 'rejected' }), MEGAN, 'approved', true, T0)?.message).toBe('Run r-9 is not waiting for an approval (it is canceled).');
  });

  it('refuses when the approval is no longer pending even if the run still says waiting (and names no rejection that did not happen)', () => {
    expect(refusalFor(run({ status: 'waiting_approval' }, { state: 'expired' }), MEGAN, 'approved', true, T0)).toEqual({ kind: 'not-waiting', message: 'This approval expired at 2026-11-26 11:00 UTC; nothing was deployed.' });
    const moved = run({ status: 'running' }, { state: 'pending', decisions: [{ by: ADELE, decision: 'approved', comment: '', at: at(1) }] });
    expect(refusalFor(moved, MEGAN, 'approved', true, T0)?.message).toBe('Run r-9 is not waiting for an approval (it is running).');
  });
});
