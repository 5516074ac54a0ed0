import { begin, durationText, fail, finishStage, iso, nextStage, startStage, touch } from '../../services/workflow/transitions';
import { STAGE_IDS, stageOf, type RunRecord } from '../../services/workflow/run.types';

const T0 = Date.parse('2026-11-26T10:00:00Z');
const T1 = T0 + 90_000;

function run(): RunRecord {
  return {
    id: 'r-1', model: 'fashion-cnn', target: 'production', kind: 'train', params: {}, branch: 'main', requester: { id: 'u', name: 'U' }, conversationId: 'c',
    status: 'running', stages: STAGE_IDS.map((id) => ({ id, state: 'pending' })), metrics: [],
    createdAt: iso(T0), updatedAt: iso(T0), version: 4,
  };
}

describe('transitions', () => {
  it('begin works on a deep copy with no effects yet', () => {
    const r = run();
    const t = begin(r);
    t.run.stages[0]!.state = 'failed';
    t.run.ci = { devopsRunId: 1, commit: 'abc' };
    expect(r.stages[0]!.state).toBe('pending');
    expect(r.ci).toBeUndefined();
    expect(t.effects).toEqual({ audit: [], outbox: [] });
  });

  it('iso is the UTC ISO form of an epoch', () => {
    expect(iso(T0)).toBe('2026-11-26T10:00:00.000Z');
  });

  it('startStage marks a stage running (or the given state), keeps the first start time, and sets a detail only when given', () => {
    const t = begin(run());
    startStage(t, 'ci', T0, 'queued build 5');
    expect(stageOf(t.run, 'ci')).toEqual({ id: 'ci', state: 'running', startedAt: iso(T0), detail: 'queued build 5' });
    startStage(t, 'ci', T1, undefined, 'waiting');
    expect(stageOf(t.run, 'ci')).toEqual({ id: 'ci', state: 'waiting', startedAt: iso(T0), detail: 'queued build 5' });
    startStage(t, 'training', T1);
    expect(stageOf(t.run, 'training')).toEqual({ id: 'training', state: 'running', startedAt: iso(T1) });
  });

  it('finishStage sets the end state and time, and a start time if the stage never started', () => {
    const t = begin(run());
    startStage(t, 'ci', T0);
    finishStage(t, 'ci', 'succeeded', T1, 'build 5 succeeded');
    expect(stageOf(t.run, 'ci')).toEqual({ id: 'ci', state: 'succeeded', startedAt: iso(T0), finishedAt: iso(T1), detail: 'build 5 succeeded' });
    finishStage(t, 'training', 'canceled', T1);
    expect(stageOf(t.run, 'training')).toEqual({ id: 'training', state: 'canceled', startedAt: iso(T1), finishedAt: iso(T1) });
    // Without a new detail the stage keeps the one it had.
    startStage(t, 'registered', T0, 'version 7');
    finishStage(t, 'registered', 'succeeded', T1);
    expect(stageOf(t.run, 'registered').detail).toBe('version 7');
    expect('detail' in stageOf(t.run, 'training')).toBe(false);
  });

  it('nextStage is the next stage that is not skipped, and undefined after the last', () => {
    const r = run();
    stageOf(r, 'registered').state = 'skipped';
    stageOf(r, 'approval').state = 'skipped';
    expect(nextStage(r, 'ci')).toBe('training');
    expect(nextStage(r, 'training')).toBe('deploy');
    expect(nextStage(r, 'smoke')).toBeUndefined();
    stageOf(r, 'smoke').state = 'skipped';
    expect(nextStage(r, 'deploy')).toBeUndefined();
  });

  it('fail ends the run with the stage, the system, the message and the last 200 log lines, announces it and audits it', () => {
    const t = begin(run());
    startStage(t, 'training', T0);
    const log = Array.from({ length: 250 }, (_, i) => `line ${i}`);
    fail(t, 'training', 'the driver died', log, T1);
    expect(t.run.status).toBe('failed');
    expect(stageOf(t.run, 'training')).toMatchObject({ state: 'failed', finishedAt: iso(T1) });
    expect(t.run.failure).toEqual({ stage: 'training', system: 'Databricks', message: 'the driver died', logTail: log.slice(50) });
    expect(t.run.failure?.logTail[0]).toBe('line 50');
    expect(t.effects.outbox).toEqual([{ kind: 'progress' }, { kind: 'failed' }]);
    expect(t.effects.audit).toEqual([{ at: iso(T1), actor: 'system', action: 'run.failed', outcome: 'failed', detail: { stage: 'training', message: 'the driver died' } }]);
  });

  it('touch stamps updatedAt and asks for one run card update, not two', () => {
    const t = begin(run());
    touch(t, T1);
    touch(t, T1 + 1);
    expect(t.run.updatedAt).toBe(iso(T1 + 1));
    expect(t.effects.outbox).toEqual([{ kind: 'progress' }]);
    const withOther = begin(run());
    withOther.effects.outbox.push({ kind: 'approvalUpdated' });
    touch(withOther, T1);
    expect(withOther.effects.outbox).toEqual([{ kind: 'approvalUpdated' }, { kind: 'progress' }]);
  });

  it('durationText rounds to seconds and switches units at a minute and an hour', () => {
    expect(durationText(0)).toBe('0s');
    expect(durationText(59_400)).toBe('59s');
    expect(durationText(59_500)).toBe('1m 0s');
    expect(durationText(61_000)).toBe('1m 1s');
    expect(durationText(3_599_000)).toBe('59m 59s');
    expect(durationText(3_600_000)).toBe('1h 0m');
    expect(durationText(3_600_000 * 26 + 125_000)).toBe('26h 2m');
  });
});
