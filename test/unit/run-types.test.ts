import { currentStage, devopsRunOf, stageOf, type RunRecord, type StageRecord } from '../../services/workflow/run.types';

// The stage lookups every engine file goes through (services/workflow/run.types.ts).
const run = (stages: Array<Pick<StageRecord, 'id' | 'state'>>, o: Partial<RunRecord> = {}): RunRecord => ({ id: 'r-7', stages, ...o }) as RunRecord;

describe('the stage lookups of a run', () => {
  it('find a stage by id, and name the run and the stage when it has none', () => {
    const r = run([{ id: 'ci', state: 'succeeded' }, { id: 'training', state: 'running' }]);
    expect(stageOf(r, 'training')).toEqual({ id: 'training', state: 'running' });
    expect(() => stageOf(r, 'deploy')).toThrow('run r-7 has no stage deploy');
  });

  it('take as current the first stage not yet done: running, waiting, queued, or pending', () => {
    expect(currentStage(run([{ id: 'ci', state: 'succeeded' }, { id: 'training', state: 'pending' }, { id: 'registered', state: 'pending' }]))?.id).toBe('training');
    expect(currentStage(run([{ id: 'ci', state: 'succeeded' }, { id: 'approval', state: 'waiting' }]))?.id).toBe('approval');
    expect(currentStage(run([{ id: 'ci', state: 'skipped' }, { id: 'deploy', state: 'queued' }]))?.id).toBe('deploy');
    expect(currentStage(run([{ id: 'ci', state: 'succeeded' }, { id: 'smoke', state: 'failed' }]))).toBeUndefined();
  });

  it("follow a run's own CI pipeline run, else the CD run a relay mirrors", () => {
    expect(devopsRunOf(run([], { ci: { devopsRunId: 12 }, relay: { devopsRunId: 42 } }))).toBe(12);
    expect(devopsRunOf(run([], { relay: { devopsRunId: 42 } }))).toBe(42);
    expect(devopsRunOf(run([]))).toBeUndefined();
  });
});
