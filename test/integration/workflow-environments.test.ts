import { RunCardWriter } from '../../bot/run-card.writer';
import { createCommandRegistry } from '../../bot/commands';
import type { CommandContext } from '../../bot/commands/command-spec';
import { stageOf, type RunRecord } from '../../services/workflow/run.types';
import { createAuthorizer } from '../../services/workflow/workflow';
import { silentLogger } from '../../services/logger';
import { STAGING_THEN_PRODUCTION } from '../support/environments';
import { ADELE, ALEX, MEGAN, startWorkflowHarness, started, type WorkflowHarness } from '../support/workflow-harness';

/**
 * Environments over HTTP against the sandbox: fashion-cnn goes through staging (its own resource
 * group and size, no approval, Adele approves there) then production (one approval, Megan only).
 */
describe('environments: staging then production', () => {
  let h: WorkflowHarness;
  let cards: RunCardWriter;
  const alias = (name: string): string | undefined => h.sandbox.databricks.state.mlflow.model('main.mlops.fashion_cnn', 'unity-catalog').aliases.get(name);
  const groups = (): { name: string; resourceGroup: string }[] => [...h.sandbox.arm.state.groups.values()].map((g) => ({ name: g.name, resourceGroup: g.resourceGroup }));
  const train = async (): Promise<RunRecord> => {
    const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: { epochs: 1 }, requester: ALEX, conversationId: 'conv-env' }));
    return h.until(run.id, ['succeeded', 'failed', 'waiting_approval']);
  };
  const json = async (run: RunRecord): Promise<string> => JSON.stringify(await cards.card((await h.store.runs.getRun(run.id))!));
  let first: RunRecord;

  beforeAll(async () => {
    h = await startWorkflowHarness({ yaml: STAGING_THEN_PRODUCTION });
    cards = new RunCardWriter({ runs: h.store.runs, models: h.config.mlops.models, now: Date.now });
    first = await train();
  }, 60_000);
  afterAll(async () => h.close());

  it('deploys a trained version to staging only, with no approval, in its own resource group and size', async () => {
    expect(first).toMatchObject({ status: 'succeeded', target: 'staging' });
    expect(stageOf(first, 'approval')).toMatchObject({ state: 'skipped', detail: 'approval not required for staging' });
    expect(alias('staging')).toBe(first.registered?.version);
    expect(alias('production')).toBeUndefined();
    expect(groups()).toEqual([expect.objectContaining({ name: 'fashion-cnn-staging', resourceGroup: 'rg-mlops-staging' })]);
    const aci = h.clients.aci!.inResourceGroup('rg-mlops-staging');
    expect(await aci.get('fashion-cnn-staging')).toMatchObject({ provisioningState: 'Succeeded', status: 'Running' });
    const card = await json(first);
    expect(card).toContain(`Promote v${first.registered?.version} to production`);
    expect(card).toContain('"title":"staging"');
    expect(card).toContain('"title":"production","value":"not deployed yet"');
  }, 60_000);

  it('refuses production for a version that has not passed staging, and a promotion of a run that did not pass', async () => {
    const later = String(Number(first.registered?.version) + 1000);
    const refused = await h.engine.startDeploy({ model: 'fashion-cnn', version: later, env: 'production', requester: ALEX, conversationId: 'conv-env' });
    expect(refused).toMatchObject({ ok: false, refusal: { kind: 'state', message: expect.stringContaining(`has not passed staging yet, so it cannot go to production`) as string } });
    const running = await started(h.engine.startDeploy({ model: 'fashion-cnn', version: first.registered!.version!, env: 'staging', requester: ALEX, conversationId: 'conv-env' }));
    expect(await h.engine.promote(running.id, ALEX, 'conv-env')).toMatchObject({ ok: false, refusal: { kind: 'state', message: expect.stringContaining('has not passed staging') as string } });
    await h.until(running.id, ['succeeded', 'failed']);
    expect(await h.engine.startDeploy({ model: 'fashion-cnn', env: 'qa', requester: ALEX, conversationId: 'conv-env' })).toMatchObject({ ok: false, refusal: { message: expect.stringContaining('has no environment "qa"; its environments are staging, production') as string } });
  }, 60_000);

  it('promotes from the card exactly once: the production approval, role-checked for production, then production', async () => {
    const clicks = await Promise.all([h.engine.promote(first.id, ADELE, 'conv-env'), h.engine.promote(first.id, ADELE, 'conv-env')]);
    expect(clicks.filter((c) => c.ok)).toHaveLength(1);
    expect(clicks.find((c) => !c.ok)).toMatchObject({ refusal: { message: expect.stringContaining('was already promoted to production by Adele Vance') as string } });
    const prod = clicks.find((c) => c.ok)!.run;
    expect(prod).toMatchObject({ target: 'production', kind: 'deploy', promotedFrom: first.id, registered: { version: first.registered?.version } });
    const waiting = await h.until(prod.id, ['waiting_approval', 'failed']);
    expect(waiting.approval).toMatchObject({ required: 1, state: 'pending' });
    // Adele approves staging, not production; Megan is production's approver.
    expect(await h.engine.decide(prod.id, ADELE, 'approved', '')).toMatchObject({ ok: false, refusal: { kind: 'forbidden', action: 'decide', env: 'production' } });
    expect(await h.engine.decide(prod.id, MEGAN, 'approved', 'ship')).toMatchObject({ ok: true });
    const done = await h.until(prod.id, ['succeeded', 'failed']);
    expect(done.failure).toBeUndefined();
    expect(alias('production')).toBe(first.registered?.version);
    expect(groups().map((g) => `${g.resourceGroup}/${g.name}`).sort()).toEqual([`${h.config.azure!.resourceGroup}/fashion-cnn-prod`, 'rg-mlops-staging/fashion-cnn-staging']);
    // Both cards show both environments with version and URI; the promoted one has no button left.
    const source = await json(first);
    expect(source).not.toContain('Promote v');
    expect(source).toContain(`promoted as run ${prod.id}`);
    for (const card of [source, await json(done)]) {
      expect(card).toContain(`"title":"staging","value":"**v${first.registered?.version}**`);
      expect(card).toContain(`"title":"production","value":"**v${first.registered?.version}**`);
      expect(card).toContain(done.deploy!.scoringUri!);
    }
    expect(done.deploy?.scoringUri).not.toBe(first.deploy?.scoringUri);
  }, 60_000);

  it('deploys per model and environment at once: another environment goes on, the same one queues', async () => {
    const v = first.registered!.version!;
    const deploying = (r: RunRecord): boolean => stageOf(r, 'deploy').state === 'running';
    const c = await started(h.engine.startDeploy({ model: 'fashion-cnn', version: v, env: 'production', requester: ALEX, conversationId: 'conv-env' }));
    await h.until(c.id, ['waiting_approval']);
    // A real-time sandbox clock: container groups take their real provisioning time, so deploys overlap for sure.
    h.sandbox.clock.setSpeed(1);
    try {
      const a = await started(h.engine.startDeploy({ model: 'fashion-cnn', version: v, env: 'staging', requester: ALEX, conversationId: 'conv-env' }));
      await h.untilRun(a.id, 'deploying', deploying);
      const b = await started(h.engine.startDeploy({ model: 'fashion-cnn', version: v, env: 'staging', requester: ALEX, conversationId: 'conv-env' }));
      const queued = await h.untilRun(b.id, 'queued', (r) => stageOf(r, 'deploy').state === 'queued');
      expect(stageOf(queued, 'deploy').detail).toBe(`waiting for run ${a.id} to finish deploying`);
      expect(await h.engine.decide(c.id, MEGAN, 'approved', '')).toMatchObject({ ok: true });
      await h.untilRun(c.id, 'deploying', deploying);
      // Production deploys while staging still deploys and the second staging run still waits.
      expect(deploying((await h.store.runs.getRun(a.id))!)).toBe(true);
      expect(stageOf((await h.store.runs.getRun(b.id))!, 'deploy').state).toBe('queued');
      h.sandbox.clock.setSpeed(200);
      for (const r of [a, b, c]) expect((await h.until(r.id, ['succeeded', 'failed'], 45_000)).status).toBe('succeeded');
    } finally {
      h.sandbox.clock.setSpeed(200);
    }
  }, 90_000);

  it('/deploy --env and /rollback --env through the commands, each checked per environment', async () => {
    const second = await train();
    expect(second).toMatchObject({ status: 'succeeded', target: 'staging' });
    const registry = createCommandRegistry();
    const auth = createAuthorizer(h.config, h.clients, silentLogger);
    const ctx = (user: typeof ALEX): CommandContext => ({ user, conversation: { id: 'conv-env', type: 'groupChat' }, config: h.config, auth, registry, workflow: { engine: h.engine, runs: h.store.runs, now: Date.now, cards } });
    // Rolling back staging redeploys the version live there before the current one; Megan is no approver in staging.
    const refused = await registry.execute('/rollback fashion-cnn --env staging', ctx(MEGAN));
    expect(refused).toMatchObject({ kind: 'text', text: expect.stringContaining('You are not allowed to roll back fashion-cnn in staging') as string });
    const rollback = await registry.execute('/rollback fashion-cnn --env staging', ctx(ADELE));
    expect(rollback).toMatchObject({ kind: 'card', summary: expect.stringContaining(`Rollback of fashion-cnn in staging to version ${first.registered?.version}`) as string });
    const rb = (await h.store.runs.listRuns({ model: 'fashion-cnn', limit: 1 }))[0]!;
    expect(rb).toMatchObject({ target: 'staging', registered: { version: first.registered?.version } });
    expect((await h.until(rb.id, ['succeeded', 'failed'])).status).toBe('succeeded');
    expect(alias('staging')).toBe(first.registered?.version);
    // /deploy --env production without a version takes the version live in staging.
    const deploy = await registry.execute('/deploy fashion-cnn --env production', ctx(ADELE));
    expect(deploy).toMatchObject({ kind: 'card', summary: expect.stringContaining('to production started') as string });
    const dp = (await h.store.runs.listRuns({ model: 'fashion-cnn', limit: 1 }))[0]!;
    expect(dp).toMatchObject({ target: 'production', registered: { version: first.registered?.version } });
    expect(await registry.execute(`/deploy fashion-cnn ${second.registered!.version!} --env nowhere`, ctx(ADELE))).toMatchObject({ kind: 'text', text: expect.stringContaining('has no environment "nowhere"') as string });
    expect(await registry.execute('/deploy fashion-cnn --env Prod!', ctx(ADELE))).toMatchObject({ kind: 'text', text: expect.stringContaining('environment') as string });
    await h.engine.cancel(dp.id, ADELE);
  }, 90_000);
});
