import { newDeployRun, newTrainRun } from '../../services/workflow/run-factory';
import { stageOf, type RunRecord } from '../../services/workflow/run.types';
import { sandboxConfig } from '../support/context';
import { PRODUCTION_ONLY } from '../support/environments';

/**
 * The fields of new runs the first run-factory tests leave open: audit details, branches, versions,
 * times. One environment (PRODUCTION_ONLY): the approval stage and audit of a new run are those of
 * production's policy, which these tests vary.
 */
const model = sandboxConfig({}, PRODUCTION_ONLY).mlops.models['fashion-cnn']!;
const requester = { id: 'user-id-0', name: 'Alex', aadObjectId: '00000000-0000-0000-0000-0000000000aa' };
const now = Date.parse('2026-11-26T10:00:00Z');
const at = '2026-11-26T10:00:00.000Z';

describe('a new training run', () => {
  it("records who started it with what, on the model's CI branch unless one is given, at the start time", () => {
    const { run, effects } = newTrainRun({ model: 'fashion-cnn', params: { lr: 0.1 }, requester, conversationId: 'conv-1' }, { ...model, ci: { azureDevOpsPipelineId: 1, branch: 'release' } }, now);
    expect(run).toMatchObject({ model: 'fashion-cnn', kind: 'train', params: { lr: 0.1 }, branch: 'release', requester, conversationId: 'conv-1', metrics: [], createdAt: at, updatedAt: at });
    expect(run).not.toHaveProperty('retryOf');
    for (const record of ['ci', 'training', 'registered', 'deploy', 'relay']) expect(run).not.toHaveProperty(record);
    expect(stageOf(run as RunRecord, 'ci')).toEqual({ id: 'ci', state: 'running', startedAt: at });
    expect(stageOf(run as RunRecord, 'training')).toEqual({ id: 'training', state: 'pending' });
    expect(effects.audit).toEqual([{ at, actor: 'oid:00000000-0000-0000-0000-0000000000aa', action: 'run.start', outcome: 'ok', detail: { model: 'fashion-cnn', params: { lr: 0.1 }, branch: 'release', retryOf: undefined } }]);
    expect(newTrainRun({ model: 'fashion-cnn', params: {}, requester, conversationId: 'c', branch: 'feature/x' }, model, now).run.branch).toBe('feature/x');
    const { ci: _ci, ...noCi } = model;
    expect(newTrainRun({ model: 'fashion-cnn', params: {}, requester, conversationId: 'c' }, noCi, now).run.branch).toBe('main');
  });

  it('names the run it retries', () => {
    const { run, effects } = newTrainRun({ model: 'fashion-cnn', params: {}, requester, conversationId: 'c', retryOf: 'run-0' }, model, now);
    expect(run.retryOf).toBe('run-0');
    expect(effects.audit?.[0]?.detail.retryOf).toBe('run-0');
  });

  it('says why a stage is skipped, in the stage and in the audit line', () => {
    const { ci: _ci, ...noCi } = model;
    const { run, effects } = newTrainRun({ model: 'fashion-cnn', params: {}, requester, conversationId: 'c' }, { ...noCi, approval: 'none', environments: noCi.environments.map((e) => ({ ...e, approval: 'none' as const })) }, now);
    expect(stageOf(run as RunRecord, 'ci')).toEqual({ id: 'ci', state: 'skipped', detail: 'no CI pipeline configured for this model' });
    expect(stageOf(run as RunRecord, 'approval')).toEqual({ id: 'approval', state: 'skipped', detail: 'approval not required for production' });
    expect(stageOf(run as RunRecord, 'training')).toEqual({ id: 'training', state: 'running', startedAt: at });
    expect(effects.audit?.slice(1)).toEqual([
      { at, actor: 'system', action: 'stage.skipped', outcome: 'ok', detail: { stage: 'ci', reason: 'models.fashion-cnn.ci is not set' } },
      { at, actor: 'system', action: 'stage.skipped', outcome: 'ok', detail: { stage: 'approval', reason: 'approval of environment production is none' } },
    ]);
  });
});

describe('a new deploy or rollback run', () => {
  it('says why CI and training are skipped, and records the latest version when none is named', () => {
    const { run, effects } = newDeployRun({ model: 'fashion-cnn', requester, conversationId: 'c', reason: 'deploy' }, model, now);
    expect(run.stages.slice(0, 2)).toEqual([
      { id: 'ci', state: 'skipped', detail: 'deploy of a registered version' },
      { id: 'training', state: 'skipped', detail: 'deploy of a registered version' },
    ]);
    expect(stageOf(run as RunRecord, 'registered')).toEqual({ id: 'registered', state: 'running', startedAt: at });
    expect(run).toMatchObject({ kind: 'deploy', status: 'running', params: {}, branch: 'main', conversationId: 'c', createdAt: at, updatedAt: at });
    expect(effects).toEqual({ audit: [{ at, actor: 'oid:00000000-0000-0000-0000-0000000000aa', action: 'run.deploy', outcome: 'ok', detail: { model: 'fashion-cnn', version: 'latest', env: 'production' } }], outbox: [{ kind: 'progress' }] });
    expect(newDeployRun({ model: 'fashion-cnn', requester, conversationId: 'c', reason: 'rollback' }, model, now).run.stages[0]?.detail).toBe('rollback of a registered version');
  });

  it('skips the approval when the model needs none, and takes the CI branch of the model', () => {
    const { run } = newDeployRun({ model: 'fashion-cnn', version: '3', requester, conversationId: 'c', reason: 'deploy' }, { ...model, approval: 'none', environments: model.environments.map((e) => ({ ...e, approval: 'none' as const })), ci: { azureDevOpsPipelineId: 1, branch: 'release' } }, now);
    expect(stageOf(run as RunRecord, 'approval')).toEqual({ id: 'approval', state: 'skipped', detail: 'approval not required for production' });
    expect(run.branch).toBe('release');
    const { ci: _ci, ...noCi } = model;
    expect(newDeployRun({ model: 'fashion-cnn', version: '3', requester, conversationId: 'c', reason: 'deploy' }, noCi, now).run.branch).toBe('main');
  });

  it('names the run a promotion comes from, in the skipped stages, the run and the audit line', () => {
    const { run, effects } = newDeployRun({ model: 'fashion-cnn', version: '3', requester, conversationId: 'c', reason: 'promote', promotedFrom: 'r-7' }, model, now);
    expect(stageOf(run as RunRecord, 'ci').detail).toBe('promotion of a version from run r-7');
    expect(run.promotedFrom).toBe('r-7');
    expect(effects.audit?.[0]).toMatchObject({ action: 'run.promote', detail: { version: '3', promotedFrom: 'r-7' } });
    // Without the run it comes from (not made by the bot, but the type allows it), the text says so.
    const orphan = newDeployRun({ model: 'fashion-cnn', version: '3', requester, conversationId: 'c', reason: 'promote' }, model, now);
    expect(stageOf(orphan.run as RunRecord, 'training').detail).toBe('promotion of a version from run ?');
    expect(orphan.run).not.toHaveProperty('promotedFrom');
    expect(orphan.effects.audit?.[0]?.detail).not.toHaveProperty('promotedFrom');
  });
});
