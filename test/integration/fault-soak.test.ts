import { parse, stringify } from 'yaml';
import { SandboxClock } from '../../sandbox/common/clock';
import type { FaultRule } from '../../sandbox/common/faults';
import { startSandbox } from '../../sandbox/sandbox';
import { FINAL_STATUSES, stageOf, type ParamValue, type RunRecord } from '../../services/workflow/run.types';
import { CountingFaultRegistry, retryCountingLogger, seededRandom } from '../support/fault-soak.instruments';
import { ALEX, MEGAN, startWorkflowHarness, started, type WorkflowHarness } from '../support/workflow-harness';

/**
 * The fault soak (issue 7): many whole runs of the shipped two-environment flow (CI → training →
 * registry → staging deploy → smoke, then the card's Promote → production approval → deploy →
 * smoke) over real HTTP while a fifth of all backend calls fail, each run's outcome decided up
 * front. Every run must end exactly where it was meant to, with each side effect done once.
 * SOAK_RUNS and SOAK_SEED replay or widen it; the figures go to the CI log.
 */
const RUNS = Number(process.env.SOAK_RUNS ?? 100);
const SEED = Number(process.env.SOAK_SEED ?? 7);
/** Runs of one lane (one model, its two container groups) go one after another; lanes run at once. */
const LANES = 10;
const FAULT_RATE = 0.2;
/** Faults after which a plain POST may or may not have done its work. */
const AMBIGUOUS = ['500', 'timeout', 'reset'];

type Fate = 'succeeded' | 'rejected' | 'training-failed';
/** A /train run (staging) and, once it passed staging, its promotion run (production). */
interface Driven {
  train: RunRecord;
  prod?: RunRecord;
}

/** 429 with and without Retry-After, 500, 503, hangs and resets, in equal shares of the 20 %. */
const KINDS: Array<Omit<FaultRule, 'service' | 'operation' | 'rate'>> = [
  { kind: 'status', status: 429, retryAfterSeconds: 0 },
  { kind: 'status', status: 429, retryAfterSeconds: 1 },
  { kind: 'status', status: 429 },
  { kind: 'status', status: 500 },
  { kind: 'status', status: 503 },
  { kind: 'timeout' },
  { kind: 'reset' },
];

/** Fates in fixed shares (70 % approved for production, 15 % rejected there, 15 % failing in training), shuffled by the seed. */
function plan(n: number, random: () => number): Fate[] {
  const rejected = Math.round(n * 0.15);
  const failed = Math.round(n * 0.15);
  const fates: Fate[] = [...Array<Fate>(rejected).fill('rejected'), ...Array<Fate>(failed).fill('training-failed')];
  while (fates.length < n) fates.push('succeeded');
  for (let i = fates.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [fates[i], fates[j]] = [fates[j]!, fates[i]!];
  }
  return fates;
}

/**
 * One model per lane, copied from fashion-cnn with the shipped environments (staging with no
 * approval, then production): a run's approval never supersedes another lane's. Each lane's
 * environments get their own container groups and DNS labels (the sandbox, like ACI, refuses a
 * label taken in the region).
 */
function soakModels(text: string): string {
  const doc = parse(text) as { models: Record<string, Record<string, unknown>> };
  const base = doc.models['fashion-cnn']!;
  const envs = base.environments as Array<{ name: string }>;
  if (envs.map((e) => e.name).join() !== 'staging,production') throw new Error('the soak follows the shipped staging → production flow of mlops.config.yaml');
  for (let i = 0; i < LANES; i++) {
    const name = `soak-${i}`;
    doc.models[name] = {
      ...base,
      registeredModel: `main.mlops.soak_${i}`,
      environments: envs.map((e) => ({ ...e, containerGroup: `${name}-${e.name}`, dnsLabel: `${name}-${e.name}` })),
      // The smoke test's latency limit is a product rule, not what this soak is about: a loaded CI box must not fail it.
      smokeTest: { ...(base.smokeTest as object), maxLatencyMs: 20_000 },
    };
  }
  return stringify(doc);
}

/** `service operation` counts summed per service. */
function perService(map: Map<string, number>): string {
  const out = new Map<string, number>();
  for (const [k, v] of map) out.set(k.split(' ')[0]!, (out.get(k.split(' ')[0]!) ?? 0) + v);
  return [...out].map(([k, v]) => `${k} ${v}`).join(', ');
}

describe('fault soak: runs end in their true state while 20 % of backend calls fail', () => {
  const random = seededRandom(SEED);
  const faults = new CountingFaultRegistry(random);
  const counts = retryCountingLogger();
  const fates = plan(RUNS, random);
  let h: WorkflowHarness;
  let closeSandbox: () => Promise<void>;

  beforeAll(async () => {
    const sandbox = await startSandbox({ clock: new SandboxClock(400), faults });
    closeSandbox = () => sandbox.close();
    // 1.5 s: an injected hang costs little, and a slow answer on a loaded machine is not taken for one.
    h = await startWorkflowHarness({ sandbox, yaml: soakModels, logger: counts.logger, clientTimeoutInMs: 1500 });
    // node-api discovers each area's routes once per process (OPTIONS, cached). A running bot has
    // done that long before; inside the first queue call a failed discovery would count as that
    // plain POST's failure, which is not what this soak measures (docs/fault-soak.md).
    await h.clients.devops!.getRun(1, 999_999).catch(() => undefined);
    await h.clients.devops!.getBuild(999_999).catch(() => undefined);
  });
  afterAll(async () => {
    await h.close();
    await closeSandbox();
  });

  /**
   * Drives one run to its fate the way people would: /train goes to staging on its own; after it
   * passed there, Promote, then approve or reject production; or wait for the training failure.
   */
  async function drive(index: number, lane: number): Promise<Driven> {
    const fate = fates[index]!;
    const model = `soak-${lane}`;
    const params: Record<string, ParamValue> = fate === 'training-failed' ? { epochs: 2, sandbox_fail: 'training' } : { epochs: 2 };
    const run = await started(h.engine.startTrain({ model, params, requester: ALEX, conversationId: `soak-${index}` }));
    const staged = await h.until(run.id, ['waiting_approval', 'failed', 'succeeded', 'canceled'], 60_000);
    // Anything but a run that passed staging is already final (or wrong, which the outcome check shows).
    if (staged.status !== 'succeeded' || fate === 'training-failed') return { train: staged };
    const promoted = await h.engine.promote(run.id, ALEX, `soak-${index}`);
    if (!promoted.ok) throw new Error(`promotion of ${run.id} refused: ${JSON.stringify(promoted.refusal)}`);
    const mid = await h.until(promoted.run.id, ['waiting_approval', 'failed', 'succeeded', 'canceled'], 60_000);
    if (mid.status !== 'waiting_approval') return { train: staged, prod: mid };
    const decided = await h.engine.decide(mid.id, MEGAN, fate === 'rejected' ? 'rejected' : 'approved', 'soak');
    expect(decided.ok).toBe(true);
    return { train: staged, prod: await h.untilRun(mid.id, 'final', (r) => FINAL_STATUSES.has(r.status), 60_000) };
  }

  it(`drives ${RUNS} runs to their planned end with faults on every backend`, async () => {
    const t0 = Date.now();
    const discoveries = faults.calls.get('azure-devops location.options') ?? 0;
    const rate = 1 - (1 - FAULT_RATE) ** (1 / KINDS.length);
    for (const k of KINDS) faults.add({ service: '*', operation: '*', rate, ...k });
    // The managed-identity token is fetched about once per process, so a rate alone rarely hits
    // it: its first fetch also gets a 500 (MSAL's own retry policy must absorb it).
    faults.add({ service: 'token', operation: '*', kind: 'status', status: 500, count: 1 });

    const driven: Driven[] = new Array<Driven>(RUNS);
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        for (let i = lane; i < RUNS; i += LANES) driven[i] = await drive(i, lane);
      }),
    );
    const results = driven.map((d) => d.train);
    faults.clear();
    expect(faults.calls.get('azure-devops location.options') ?? 0).toBe(discoveries);
    const wallMs = Date.now() - t0;

    // The one honest exception: Azure DevOps' queue call is a plain POST. After a 500, a hang or a
    // reset the bot cannot know whether a pipeline run was created, so it does not queue a second
    // one; that run fails at CI naming the call. Each such fault ends exactly one run that way.
    const ciLost = faults.refusedWith('azure-devops', 'runs.create', AMBIGUOUS);
    const lost = results.map((r) => r.failure?.stage === 'ci' && r.failure.message.startsWith('azure-devops.runs.create '));
    expect(lost.filter(Boolean).length).toBe(ciLost);
    const fate = (i: number): Fate | 'ci-lost' => (lost[i] ? 'ci-lost' : fates[i]!);

    // Per fate: the /train run (staging) and its promotion run (production), if any.
    const outcome = driven.map(({ train, prod }, i) => ({
      run: train.id,
      fate: fate(i),
      status: train.status,
      failure: train.failure?.stage,
      staging: train.target,
      stagingApproval: train.status === 'succeeded' ? stageOf(train, 'approval').state : undefined,
      production: prod ? { target: prod.target, promotedFrom: prod.promotedFrom, status: prod.status, failure: prod.failure?.stage, approval: prod.approval?.state } : undefined,
    }));
    for (const r of driven.flatMap((d) => (d.prod ? [d.train, d.prod] : [d.train]))) if (r.failure && r.failure.stage !== 'ci' && r.failure.stage !== 'training') console.log(`unplanned failure of ${r.id}: ${r.failure.stage}: ${r.failure.message}`);
    const expected = results.map((r, i) => {
      const f = fate(i);
      const passedStaging = f === 'succeeded' || f === 'rejected';
      return {
        run: r.id,
        fate: f,
        status: passedStaging ? 'succeeded' : 'failed',
        failure: f === 'training-failed' ? 'training' : f === 'ci-lost' ? 'ci' : undefined,
        staging: 'staging',
        stagingApproval: passedStaging ? 'skipped' : undefined,
        production: passedStaging
          ? { target: 'production', promotedFrom: r.id, status: f === 'succeeded' ? 'succeeded' : 'canceled', failure: undefined, approval: f === 'succeeded' ? 'approved' : 'rejected' }
          : undefined,
      };
    });
    expect(outcome).toEqual(expected);

    for (const [i, { train: r, prod }] of driven.entries()) {
      const counted = async (id: string): Promise<(action: string) => number> => {
        const audit = (await h.store.runs.listAudit({ runId: id })).filter((a) => a.outcome === 'ok').map((a) => a.action);
        return (action) => audit.filter((a) => a === action).length;
      };
      const n = await counted(r.id);
      const started = lost[i] ? 0 : 1;
      const staged = fate(i) === 'succeeded' || fate(i) === 'rejected' ? 1 : 0;
      const deployed = fate(i) === 'succeeded' ? 1 : 0;
      expect({ run: r.id, devops: n('devops.run'), submit: n('databricks.submit'), deploy: n('aci.deploy'), done: n('run.succeeded') }).toEqual({ run: r.id, devops: started, submit: started, deploy: staged, done: staged });
      if (staged) expect({ run: r.id, smoke: r.smoke?.ok, stage: stageOf(r, 'smoke').state }).toEqual({ run: r.id, smoke: true, stage: 'succeeded' });
      if (prod) {
        const p = await counted(prod.id);
        expect({ run: prod.id, devops: p('devops.run'), submit: p('databricks.submit'), deploy: p('aci.deploy'), done: p('run.succeeded') }).toEqual({ run: prod.id, devops: 0, submit: 0, deploy: deployed, done: deployed });
        if (deployed) expect({ run: prod.id, smoke: prod.smoke?.ok, stage: stageOf(prod, 'smoke').state }).toEqual({ run: prod.id, smoke: true, stage: 'succeeded' });
      }
      if (fate(i) === 'training-failed') expect(r.failure?.message).toContain('loss is NaN');
    }
    expect(await h.store.runs.listRuns({ active: true })).toEqual([]);

    // No side effect twice in the services themselves: one pipeline run and one Databricks run per
    // started run, one container-group PUT per deployment (staging, production), one registered
    // version per finished training.
    const count = (f: Fate | 'ci-lost'): number => results.filter((_, i) => fate(i) === f).length;
    const succeeded = count('succeeded');
    const deployments = 2 * succeeded + count('rejected');
    expect(h.sandbox.azureDevOps.state.runs.size).toBe(RUNS - ciLost);
    expect([...h.sandbox.databricks.state.workspace.runs.values()].filter((r) => r.runName.startsWith('soak-')).length).toBe(RUNS - ciLost);
    // A PUT is idempotent and retried after a client-side timeout on a loaded machine, so it may reach ARM
    // twice for one deploy; what must hold is at least one per deployment.
    expect(faults.handled('arm', 'containerGroups.createOrUpdate')).toBeGreaterThanOrEqual(deployments);
    const versions = [...h.sandbox.databricks.state.mlflow.models.values()].filter((m) => m.name.startsWith('main.mlops.soak_')).reduce((a, m) => a + m.versions.length, 0);
    expect(versions).toBe(succeeded + count('rejected'));

    const injected = faults.total(faults.injected);
    const retries = counts.total();
    // The soak must have bitten: faults injected on every backend and retried by the clients.
    for (const service of ['azure-devops', 'databricks', 'arm', 'token']) expect([service, [...faults.refused.keys()].some((k) => k.startsWith(`${service} `))]).toEqual([service, true]);
    expect(retries).toBeGreaterThan(0);

    const calls = faults.total(faults.calls);
    console.log(
      [
        `fault soak (seed ${SEED}): ${RUNS} runs in ${LANES} lanes, all in their planned state: ${succeeded} deployed to staging and production, ${count('rejected')} deployed to staging and rejected for production, ${count('training-failed')} failed in training, ${ciLost} failed at CI (queue POST answered 500/hung/reset: not sent twice)`,
        `  backend calls ${calls}, faults injected ${injected} (${((100 * injected) / calls).toFixed(1)} %): ${[...faults.injected].map(([k, v]) => `${k} ${v}`).join(', ')}`,
        `  faults per service: ${perService(faults.refused)} of calls ${perService(faults.calls)}`,
        `  client retries ${retries} (${[...counts.retries].map(([k, v]) => `${k} ${v}`).join(', ')}), run passes that waited for a service ${counts.runWaits}`,
        `  wall time ${(wallMs / 1000).toFixed(1)} s`,
      ].join('\n'),
    );
  }, 300_000);
});
