import { newDeployRun, newTrainRun } from '../../services/workflow/run-factory';
import { stageOf } from '../../services/workflow/run.types';
import { sandboxConfig } from '../support/context';
import { PRODUCTION_ONLY } from '../support/environments';

// One environment (PRODUCTION_ONLY): new runs target production, whose approval is pending until the
// tests drop it (the shipped staging skips it from the start).
const model = sandboxConfig({}, PRODUCTION_ONLY).mlops.models['fashion-cnn']!;
const requester = { id: 'user-id-0', name: 'Alex' };
const now = Date.parse('2026-11-26T10:00:00Z');

describe('new runs', () => {
  it('starts a training run at the CI stage with every other stage pending', () => {
    const { run, effects } = newTrainRun({ model: 'fashion-cnn', params: { lr: 0.1 }, requester, conversationId: 'c' }, model, now);
    expect(run.stages.map((s) => `${s.id}:${s.state}`)).toEqual(['ci:running', 'training:pending', 'registered:pending', 'approval:pending', 'deploy:pending', 'smoke:pending']);
    expect(run).toMatchObject({ kind: 'train', status: 'running', branch: 'main', target: 'production' });
    expect(effects.audit?.map((a) => a.action)).toEqual(['run.start']);
    expect(effects.outbox).toEqual([{ kind: 'progress' }]);
  });

  it('skips the CI stage and the approval when the model drops them, with an audit line each', () => {
    const { ci: _ci, ...noCi } = model;
    const { run, effects } = newTrainRun({ model: 'fashion-cnn', params: {}, requester, conversationId: 'c' }, { ...noCi, environments: [{ ...model.environments[0]!, approval: 'none' }] }, now);
    expect(stageOf(run as never, 'ci').state).toBe('skipped');
    expect(stageOf(run as never, 'approval').state).toBe('skipped');
    expect(stageOf(run as never, 'training').state).toBe('running');
    expect(effects.audit?.filter((a) => a.action === 'stage.skipped').map((a) => a.detail.stage)).toEqual(['ci', 'approval']);
  });

  it('starts a /deploy or /rollback run at the registry with the chosen version', () => {
    const { run, effects } = newDeployRun({ model: 'fashion-cnn', version: '7', requester, conversationId: 'c', reason: 'rollback' }, model, now);
    expect(run.stages.map((s) => s.state)).toEqual(['skipped', 'skipped', 'running', 'pending', 'pending', 'pending']);
    expect(run.registered?.version).toBe('7');
    expect(effects.audit?.[0]).toMatchObject({ action: 'run.rollback', detail: { version: '7' } });
  });
});
