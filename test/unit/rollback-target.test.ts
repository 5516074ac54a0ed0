import { rollbackTarget } from '../../services/workflow/rollback-target';
import type { RunRecord } from '../../services/workflow/run.types';

// The one rule for the version a rollback goes back to (/rollback and the "Roll back to vN"
// buttons): what is live is the newest succeeded run's version, the previous one the newest
// succeeded run with another version; relay runs deploy nothing of ours and do not count.
function run(version: string | undefined, o: Partial<Pick<RunRecord, 'status' | 'kind' | 'target'>> = {}): RunRecord {
  return { status: 'succeeded', kind: 'train', target: 'production', ...o, ...(version === undefined ? {} : { registered: { version } }) } as RunRecord;
}

describe('rollbackTarget', () => {
  it('goes back from the newest succeeded version to the newest older one that differs', () => {
    expect(rollbackTarget([run('5'), run('5'), run('4'), run('3')])).toEqual({ current: '5', previous: '4' });
  });

  it('counts only succeeded runs: a failed, canceled or running newer run is not live', () => {
    const runs = [run('7', { status: 'failed' }), run('6', { status: 'canceled' }), run('8', { status: 'running' }), run('5'), run('4')];
    expect(rollbackTarget(runs)).toEqual({ current: '5', previous: '4' });
    // Nor is an older failed run a version to go back to.
    expect(rollbackTarget([run('5'), run('4', { status: 'failed' })])).toBeUndefined();
  });

  it('leaves relay runs out, as they deploy no version of ours', () => {
    expect(rollbackTarget([run('9', { kind: 'relay' }), run('5'), run('8', { kind: 'relay' }), run('4')])).toEqual({ current: '5', previous: '4' });
    expect(rollbackTarget([run('5', { kind: 'deploy' }), run('4')])).toEqual({ current: '5', previous: '4' });
  });

  it('skips a succeeded run without a registered version', () => {
    expect(rollbackTarget([run(undefined), run('5'), run(undefined), run('4')])).toEqual({ current: '5', previous: '4' });
    expect(rollbackTarget([run(''), run('5'), run('4')])).toEqual({ current: '5', previous: '4' });
  });

  it("looks only at the named environment's runs, and at every environment's when none is named", () => {
    const runs = [run('6', { target: 'staging' }), run('5'), run('4', { target: 'staging' }), run('3')];
    expect(rollbackTarget(runs, 'production')).toEqual({ current: '5', previous: '3' });
    expect(rollbackTarget(runs, 'staging')).toEqual({ current: '6', previous: '4' });
    expect(rollbackTarget(runs)).toEqual({ current: '6', previous: '5' });
    expect(rollbackTarget(runs, 'qa')).toBeUndefined();
  });

  it('offers nothing with a single live version, however many runs deployed it, or with none', () => {
    expect(rollbackTarget([run('5'), run('5'), run('5')])).toBeUndefined();
    expect(rollbackTarget([])).toBeUndefined();
  });
});
