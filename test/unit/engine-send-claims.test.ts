import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Approval } from '../../services/azure-devops/azure-devops.types';
import type { Sender } from '../../services/workflow/send-claim';
import { ALEX, engineHarness, imageOf, MEGAN, story, T0, type EngineHarness } from '../support/engine-harness';
import { emptyWorld, Recorder } from '../support/engine-harness.clients';
import { waitUntil } from '../support/wait';

/**
 * Two instances on one store (services/workflow/send-claim): the instance where a run was started
 * or a decision taken advances it at once, and the leader's pass advances it too. The calls to
 * Azure that must not be made twice at once (queue the CI build, PUT the container group, send a
 * decision to Azure DevOps) are made by the instance that holds the run's claim; the other one
 * waits, and takes the claim over only once it is older than the lease term.
 */
const TTL = 30_000;
const A: Sender = { id: 'host-a/101/aaaa', claimTtlMs: TTL };
const B: Sender = { id: 'host-b/202/bbbb', claimTtlMs: TTL };

let dir: string;
let a: EngineHarness;
let b: EngineHarness;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'send-claims-'));
  const world = emptyWorld();
  const rec = new Recorder();
  const storePath = join(dir, 'state.db');
  a = engineHarness({ storePath, world, rec, sender: A });
  b = engineHarness({ storePath, world, rec, sender: B });
  // One clock for both instances.
  b.clock.now = a.clock.now;
  Object.defineProperty(b.clock, 'now', { get: () => a.clock.now, set: (v: number) => (a.clock.now = v) });
});
afterEach(async () => {
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

/** /train on instance A, with A's first step still in flight when this returns. */
async function trainOnA(): Promise<string> {
  const res = await a.engine.startTrain({ model: 'fashion-cnn', params: { lr: 0.001, epochs: 5, batch_size: 64, optimizer: 'adam' }, requester: ALEX, conversationId: 'conv-1' });
  if (!res.ok) throw new Error(JSON.stringify(res.refusal));
  return res.run.id;
}
/** Until `op` was called `times` times (an instance's step reached its held call). */
async function calledOnce(op: string, times = 1): Promise<void> {
  await waitUntil(`${op} called ${times} time(s)`, () => a.rec.ops(op).length >= times);
  expect(a.rec.ops(op)).toHaveLength(times);
}

describe('calls two instances must not make at once', () => {
  it('queues a run\'s CI build once when the leader\'s pass meets the run while its creator is queuing it', async () => {
    const release = a.rec.holdNext('devops.runPipeline');
    const id = await trainOnA();
    expect((await a.run(id)).sending).toEqual({ step: 'ci', by: A.id, at: new Date(T0).toISOString() });
    await calledOnce('devops.runPipeline'); // A's own advance is now inside runPipeline
    // B (the leader) polls the run meanwhile: it leaves the call to A.
    const seen = await b.engine.advance(id);
    expect(seen?.ci).toBeUndefined();
    expect(a.rec.ops('devops.runPipeline')).toHaveLength(1);
    release();
    const run = await a.settle(id);
    expect(run.ci?.devopsRunId).toBe(100);
    expect(run.sending).toBeUndefined();
    await b.engine.advance(id);
    expect(a.rec.ops('devops.runPipeline')).toHaveLength(1);
  });

  it('takes the claim over once its holder has been silent for the lease term, then queues the build', async () => {
    a.rec.holdNext('devops.runPipeline'); // never released: instance A is gone mid-call
    const id = await trainOnA();
    await calledOnce('devops.runPipeline');
    a.clock.now += TTL - 1;
    await b.engine.advance(id);
    expect(a.rec.ops('devops.runPipeline')).toHaveLength(1);
    a.clock.now += 1;
    const run = await b.engine.advance(id);
    // The claim is B's now (saved first), and B queued the build.
    expect(a.rec.ops('devops.runPipeline')).toHaveLength(2);
    expect(run?.ci?.devopsRunId).toBe(100);
    expect(run?.sending).toBeUndefined();
    expect((await b.audit(id)).filter((e) => e.action === 'devops.run')).toHaveLength(1);
  });

  it('sends a deploy\'s PUT once when the instance that saved the intent is still sending it', async () => {
    a.world.versions.set('3', { status: 'READY', scoringImage: imageOf('3') });
    const release = a.rec.holdNext('aci.put');
    const res = await a.engine.startDeploy({ model: 'fashion-cnn', version: '3', requester: ALEX, conversationId: 'conv-1' });
    if (!res.ok) throw new Error(JSON.stringify(res.refusal));
    const id = res.run.id;
    // A's advance: registry, then the intent with A's claim, then the PUT (held).
    await calledOnce('aci.put');
    expect((await a.run(id)).sending).toEqual({ step: 'deploy', by: A.id, at: new Date(T0).toISOString() });
    await b.engine.advance(id);
    expect(a.rec.ops('aci.put')).toHaveLength(1);
    release();
    const run = await a.settle(id);
    expect(run.deploy?.sentAt).toBe(new Date(T0).toISOString());
    expect(run.sending).toBeUndefined();
    await b.engine.advance(id);
    expect(a.rec.ops('aci.put')).toHaveLength(1);
  });

  it('sends a rollback\'s PUT once when the instance that saved the rollback intent is still sending it', async () => {
    for (const v of ['6', '7']) a.world.versions.set(v, { status: 'READY', scoringImage: imageOf(v) });
    a.world.deployed.set('staging', '6');
    a.world.score = { status: 500, latencyMs: 5, body: '' };
    story.groupRuns(a, 'fashion-cnn-staging');
    const res = await a.engine.startDeploy({ model: 'fashion-cnn', version: '7', requester: ALEX, conversationId: 'conv-1' });
    if (!res.ok) throw new Error(JSON.stringify(res.refusal));
    const id = res.run.id;
    await a.settle(id);
    story.groupRuns(a, 'fashion-cnn-staging');
    const release = a.rec.holdNext('aci.put');
    // A: the smoke test fails, the rollback intent is saved with A's claim, the PUT of version 6 is held.
    const advancing = a.engine.advance(id);
    await calledOnce('aci.put', 2);
    expect((await a.run(id)).sending).toEqual({ step: 'rollback', by: A.id, at: new Date(T0).toISOString() });
    await b.engine.advance(id);
    expect(a.rec.ops('aci.put')).toHaveLength(2);
    release();
    await advancing;
    const run = await a.run(id);
    expect(run.rollback?.sentAt).toBe(new Date(T0).toISOString());
    expect(run.sending).toBeUndefined();
  });

  it('sends a Teams decision to Azure DevOps from the instance that took it, once', async () => {
    const approval: Approval = { id: 'ap-1', status: 'pending', createdAt: undefined, lastModifiedAt: undefined, instructions: undefined, minRequiredApprovers: 1, steps: [], runId: 42, pipelineId: 2 };
    await a.runs.putSubscription({ conversationId: 'conv-9', model: 'fashion-cnn', events: ['approval'] });
    a.world.inProgress.set(2, [42]);
    a.world.approvals.set('ap-1', approval);
    a.world.builds.set(42, { state: 'inProgress', tags: ['model-version-7'] });
    a.world.versions.set('7', { status: 'READY', scoringImage: imageOf('7') });
    await a.tracker.tick();
    const [relay] = await a.runs.listRuns({ model: 'fashion-cnn' });
    if (!relay) throw new Error('no relay run');
    const release = a.rec.holdNext('devops.approve');
    // The click lands on B, which sends the decision at once (held); A, the leader, polls meanwhile.
    expect(await b.engine.decide(relay.id, MEGAN, 'approved', 'go')).toMatchObject({ ok: true });
    expect((await b.run(relay.id)).sending).toEqual({ step: 'relay', by: B.id, at: new Date(T0).toISOString() });
    await calledOnce('devops.approve');
    await a.engine.advance(relay.id);
    expect(a.rec.argsOf('devops.approve')).toEqual([['ap-1', 'approved by Megan Bowen in Teams: go']]);
    release();
    const run = await b.settle(relay.id);
    expect(run.relay?.relayedAt).toBeDefined();
    expect(run.sending).toBeUndefined();
    expect(a.rec.ops('devops.approve')).toHaveLength(1);
  });
});

describe('one instance (SQLite)', () => {
  it('stores no claim and sends at once, as before', async () => {
    const h = engineHarness();
    try {
      const id = await h.train();
      const run = await h.run(id);
      expect(run.sending).toBeUndefined();
      expect(run.ci?.devopsRunId).toBe(100);
    } finally {
      await h.close();
    }
  });
});
