import type { Approval } from '../../services/azure-devops/azure-devops.types';
import { VersionConflictError, type RunStore } from '../../services/workflow/run-store';
import { STAGE_IDS, type RunRecord, type StageRecord } from '../../services/workflow/run.types';
import { ALEX, engineHarness, imageOf, MEGAN, story, type EngineHarness, type HarnessOptions } from '../support/engine-harness';
import { waitUntil } from '../support/wait';

/**
 * The run engine's own rules (services/workflow/run-engine.ts) that the step suites do not reach:
 * the background step after a start or a decision, an advance that only meets conflicts, the
 * superseding of older approvals (only the model's, re-read before, through conflicts), and the
 * answers to decisions.
 */
type SaveHook = (run: RunRecord, inner: RunStore) => Promise<void> | void;
let hook: SaveHook | undefined;
let h: EngineHarness;

/** A harness whose store runs `hook` before every save (to make one conflict, fail, or race). */
function harness(o: HarnessOptions = {}): EngineHarness {
  return engineHarness({
    ...o,
    wrap: (inner) =>
      new Proxy(inner, {
        get: (target, key, receiver) =>
          key === 'saveRun'
            ? async (run: RunRecord, ...rest: unknown[]) => {
                await hook?.(run, target);
                return (target.saveRun as (...a: unknown[]) => Promise<RunRecord>).call(target, run, ...rest);
              }
            : (Reflect.get(target, key, receiver) as unknown),
      }),
  });
}

beforeEach(() => {
  hook = undefined;
  h = harness();
  for (const v of ['6', '7']) h.world.versions.set(v, { status: 'READY', scoringImage: imageOf(v) });
});
afterEach(() => h.close());


describe('steps in the background', () => {
  it('logs a background step that failed, with the run and the error', async () => {
    hook = () => {
      hook = undefined;
      throw new Error('disk full');
    };
    const res = await h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: ALEX, conversationId: 'c' });
    if (!res.ok) throw new Error(JSON.stringify(res.refusal));
    await waitUntil('the warning', () => h.logs.some((l) => l.msg === 'advance failed'));
    expect(h.logs.filter((l) => l.msg === 'advance failed')).toEqual([expect.objectContaining({ level: 'warn', fields: { runId: res.run.id, error: expect.objectContaining({ message: 'disk full' }) as Error } })]);
  });

  it('deploys an approved run at once, without waiting for the tracker', async () => {
    await story.passedStaging(h, '7');
    const id = await story.waitingInProduction(h, '7');
    const puts = h.rec.ops('aci.put').length;
    expect(await h.engine.decide(id, MEGAN, 'approved', '')).toMatchObject({ ok: true });
    await waitUntil('the production deploy', () => h.rec.ops('aci.put').length > puts, 5_000);
    expect((await h.run(id)).stages.find((s) => s.id === 'deploy')?.state).not.toBe('pending');
  });

  it('answers an advance that met only version conflicts with the run as stored', async () => {
    const id = await h.train();
    h.world.builds.set(100, { state: 'completed', result: 'succeeded', sourceVersion: 'abc' });
    hook = (run) => {
      throw new VersionConflictError(run.id, run.version);
    };
    expect(await h.engine.advance(id)).toMatchObject({ id, status: 'running' });
  });

  it("tells the promoting code's listeners of the source run's promotion record", async () => {
    const staging = await story.passedStaging(h, '7');
    const promoted = await h.engine.promote(staging, ALEX, 'c');
    expect(promoted.ok).toBe(true);
    expect(h.persisted.filter((r) => r.id === staging && r.promotion !== undefined)).toHaveLength(1);
  });
});

describe('superseding older approvals of the same target', () => {
  const pendingOf = async (id: string): Promise<string | undefined> => (await h.run(id)).approval?.state;

  it("leaves another model's pending approval in the same environment alone", async () => {
    const stages = STAGE_IDS.map((id): StageRecord => ({ id, state: id === 'approval' ? 'waiting' : STAGE_IDS.indexOf(id) < STAGE_IDS.indexOf('approval') ? 'succeeded' : 'pending' }));
    const other = await h.runs.createRun({
      model: 'other-model', target: 'production', kind: 'deploy', params: {}, branch: 'main', requester: ALEX, conversationId: 'c', status: 'waiting_approval', stages, metrics: [],
      registered: { version: '1' }, approval: { required: 1, expiresAt: '2026-11-27T10:00:00.000Z', decisions: [], state: 'pending' }, createdAt: '2026-11-26T09:00:00.000Z', updatedAt: '2026-11-26T09:00:00.000Z',
    } as unknown as Omit<RunRecord, 'id' | 'version'>);
    await story.passedStaging(h, '7');
    await story.waitingInProduction(h, '7');
    expect(await pendingOf(other.id)).toBe('pending');
  });

  it('re-reads an older run before superseding it: one approved meanwhile stays approved', async () => {
    await story.passedStaging(h, '6');
    await story.passedStaging(h, '7');
    const older = await story.waitingInProduction(h, '6');
    const newer = await story.toProduction(h, '7');
    hook = async (run, inner) => {
      if (run.id !== older || run.approval?.state !== 'stale') return;
      hook = undefined;
      // Megan approves the older run just before the newer one's write lands.
      const current = (await inner.getRun(older))!;
      await inner.saveRun({ ...current, status: 'running', approval: { ...current.approval!, state: 'approved', decisions: [{ by: MEGAN, decision: 'approved', comment: '', at: current.updatedAt }] } });
      throw new VersionConflictError(run.id, run.version);
    };
    await h.settle(newer);
    expect(await pendingOf(older)).toBe('approved');
    expect(await pendingOf(newer)).toBe('pending');
  });

  it('tries three times through conflicts, and fails the step on any other failure', async () => {
    await story.passedStaging(h, '6');
    await story.passedStaging(h, '7');
    const older = await story.waitingInProduction(h, '6');
    let attempts = 0;
    hook = (run) => {
      if (run.id !== older || run.approval?.state !== 'stale') return;
      attempts += 1;
      throw new VersionConflictError(run.id, run.version);
    };
    const newer = await story.toProduction(h, '7');
    await h.settle(newer);
    expect(attempts).toBe(3);
    expect(await pendingOf(older)).toBe('pending');

    hook = (run) => {
      if (run.id === older && run.approval?.state === 'stale') throw new Error('disk full');
    };
    await story.passedStaging(h, '6');
    const third = await story.toProduction(h, '6');
    // The step that opens the approval fails, and with it the run, at its approval stage.
    expect((await h.settle(third)).failure).toEqual({ stage: 'approval', system: 'Teams', message: 'disk full', logTail: [] });
  });
});

describe('answers to decisions', () => {
  it('tells someone without the role that the run was already decided, rather than that they may not', async () => {
    await story.passedStaging(h, '7');
    const id = await story.waitingInProduction(h, '7');
    await h.engine.decide(id, MEGAN, 'approved', '');
    const eve = await h.engine.decide(id, { id: 'user-id-9', name: 'Eve' }, 'approved', '');
    expect(eve).toMatchObject({ ok: false, refusal: { kind: 'state', message: expect.stringMatching(/^Already approved by Megan Bowen/) as string } });
  });

  it('lets a decision write that fails for another reason than a conflict reach the caller', async () => {
    await story.passedStaging(h, '7');
    const id = await story.waitingInProduction(h, '7');
    hook = (run) => {
      if ((run.approval?.decisions.length ?? 0) > 0) throw new Error('disk full');
    };
    await expect(h.engine.decide(id, MEGAN, 'approved', '')).rejects.toThrow('disk full');
  });

  it('says a relayed decision is on its way to Azure DevOps only once the approval is decided', async () => {
    const approval: Approval = { id: 'ap-1', status: 'pending', createdAt: undefined, lastModifiedAt: undefined, instructions: undefined, minRequiredApprovers: 2, steps: [], runId: 42, pipelineId: 2 };
    await h.runs.putSubscription({ conversationId: 'conv-9', model: 'fashion-cnn', events: ['approval'] });
    h.world.inProgress.set(2, [42]);
    h.world.approvals.set('ap-1', approval);
    h.world.builds.set(42, { state: 'inProgress', tags: [] });
    await h.tracker.tick();
    const [relay] = await h.runs.listRuns({ model: 'fashion-cnn', status: 'waiting_approval' });
    if (!relay) throw new Error('no relay run');
    const first = await h.engine.decide(relay.id, MEGAN, 'approved', '');
    expect(first).toMatchObject({ ok: true });
    expect(first.ok && first.message).not.toContain('Sending it to Azure DevOps');
    const second = await h.engine.decide(relay.id, { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-0000000000099' }, 'approved', '');
    expect(second.ok && second.message).toContain('Sending it to Azure DevOps');
  });
});
