import { refused, stateRefusal } from '../../services/workflow/action-result';
import type { RunRecord } from '../../services/workflow/run.types';

describe('refusals', () => {
  const run = { id: 'r1' } as RunRecord;
  it('carry the run when there is one, and no run key when there is none', () => {
    expect(refused({ kind: 'no-run', runId: 'x' })).toEqual({ ok: false, refusal: { kind: 'no-run', runId: 'x' } });
    expect(refused({ kind: 'no-run', runId: 'x' })).not.toHaveProperty('run');
    expect(refused({ kind: 'no-run', runId: 'x' }, run)).toEqual({ ok: false, refusal: { kind: 'no-run', runId: 'x' }, run });
  });

  it("word the engine's own reason as a state refusal", () => {
    expect(stateRefusal('Already decided')).toEqual({ ok: false, refusal: { kind: 'state', message: 'Already decided' } });
    expect(stateRefusal('Expired', run)).toEqual({ ok: false, refusal: { kind: 'state', message: 'Expired' }, run });
  });
});
