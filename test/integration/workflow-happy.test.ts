import { RunCardWriter } from '../../bot/run-card.writer';
import { stageOf, type RunRecord } from '../../services/workflow/run.types';
import { ALEX, MEGAN, startWorkflowHarness, type WorkflowHarness, started } from '../support/workflow-harness';

/**
 * The shipped mlops.config.yaml's story: /train deploys to staging with no approval, the run card
 * offers "Promote vN to production", and the promotion deploys to production after a second
 * user approves.
 */
describe('the /train workflow against the sandbox', () => {
  let h: WorkflowHarness;
  let cards: RunCardWriter;
  const alias = (name: string): string | undefined => h.sandbox.databricks.state.mlflow.model('main.mlops.fashion_cnn', 'unity-catalog').aliases.get(name);
  const card = async (id: string): Promise<string> => JSON.stringify(await cards.card((await h.store.runs.getRun(id))!));
  const scores = async (uri: string): Promise<number> =>
    (await fetch(uri, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [Array.from({ length: 784 }, () => 0.2)] }) })).status;
  beforeAll(async () => {
    h = await startWorkflowHarness();
    cards = new RunCardWriter({ runs: h.store.runs, models: h.config.mlops.models, now: Date.now });
  });
  afterAll(async () => h.close());

  it('takes a run from CI to staging with no approval, then promotes it to production after a second user approves', async () => {
    expect(h.config.mlops.models['fashion-cnn']?.environments.map((e) => e.name)).toEqual(['staging', 'production']);
    const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: { lr: 0.01, epochs: 3 }, requester: ALEX, conversationId: 'conv-1' }));
    expect(run.id).toMatch(/^r-\d+$/);
    expect(run.target).toBe('staging');
    expect(stageOf(run, 'ci').state).toBe('running');

    // Staging: no approval (skipped, audited), deployed to its own container group and smoke-tested.
    const staged = await h.until(run.id, ['succeeded', 'failed', 'waiting_approval']);
    expect(staged.failure).toBeUndefined();
    expect(staged.status).toBe('succeeded');
    expect(staged.ci?.devopsRunId).toEqual(expect.any(Number));
    expect(staged.ci?.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(staged.training?.runtime).toMatch(/^\d+\.\d+\.x-cpu-ml-scala2\.1[23]$/);
    expect(staged.registered?.version).toMatch(/^\d+$/);
    expect(staged.registered?.scoringImage).toMatch(/^mlopsacr.azurecr.io\/mlops-scoring:[0-9a-f]{40}$/); // the image CI built from the same commit
    expect(staged.metrics.map((m) => m.name).length).toBeGreaterThan(0);
    expect(stageOf(staged, 'training').link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(stageOf(staged, 'approval')).toMatchObject({ state: 'skipped', detail: 'approval not required for staging' });
    expect(staged.deploy).toMatchObject({ containerGroup: 'fashion-cnn-staging', scoringUri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/score$/) as string });
    expect(staged.smoke?.ok).toBe(true);
    expect(await scores(staged.deploy!.scoringUri!)).toBe(200);
    // Unity Catalog: the good smoke test moved the `staging` alias to this version; production has none yet.
    expect(alias('staging')).toBe(staged.registered?.version);
    expect(alias('production')).toBeUndefined();
    const version = staged.registered!.version!;
    const stagedCard = await card(run.id);
    expect(stagedCard).toContain(`"title":"staging","value":"**v${version}**`);
    expect(stagedCard).toContain('"title":"production","value":"not deployed yet"');
    expect(stagedCard).toContain(`Promote v${version} to production`);

    // The card's Promote: a deploy run of that version to production, waiting for production's approval.
    const promoted = await h.engine.promote(run.id, ALEX, 'conv-1');
    expect(promoted.ok).toBe(true);
    const prod = (promoted as { run: RunRecord }).run;
    expect(prod).toMatchObject({ kind: 'deploy', target: 'production', promotedFrom: run.id, registered: { version } });
    const waiting = await h.until(prod.id, ['waiting_approval', 'failed']);
    expect(waiting.failure).toBeUndefined();
    expect(waiting.approval).toMatchObject({ required: 1, state: 'pending' });

    const self = await h.engine.decide(prod.id, ALEX, 'approved', 'lgtm');
    expect(self).toMatchObject({ ok: false, refusal: { kind: 'state', message: expect.stringContaining('your own approval does not count') as string } });

    const approved = await h.engine.decide(prod.id, MEGAN, 'approved', 'ship it');
    expect(approved.ok).toBe(true);

    const done = await h.until(prod.id, ['succeeded', 'failed']);
    expect(done.failure).toBeUndefined();
    expect(done.status).toBe('succeeded');
    expect(done.deploy).toMatchObject({ containerGroup: 'fashion-cnn-prod', scoringUri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/score$/) as string });
    expect(done.deploy?.scoringUri).not.toBe(staged.deploy?.scoringUri);
    expect(done.smoke?.ok).toBe(true);
    expect(await scores(done.deploy!.scoringUri!)).toBe(200);
    // Unity Catalog: the good smoke test moved the `production` alias to this version (PUT …/aliases/production).
    expect(alias('production')).toBe(version);
    expect(alias('staging')).toBe(version);
    for (const c of [await card(run.id), await card(prod.id)]) {
      expect(c).toContain(`"title":"staging","value":"**v${version}**`);
      expect(c).toContain(`"title":"production","value":"**v${version}**`);
      expect(c).not.toContain('Promote v');
    }

    // Two container groups in ARM, each with its own size and DNS label (the sandbox, like ACI, refuses a label taken in the region).
    type Group = { properties?: { ipAddress?: { dnsNameLabel?: string }; containers?: Array<{ properties?: { resources?: { requests?: { cpu?: number; memoryInGB?: number } } } }> } };
    const groups = [...h.sandbox.arm.state.groups.values()].map((g) => {
      const p = (g.body as Group).properties;
      return { name: g.name, label: p?.ipAddress?.dnsNameLabel, requests: p?.containers?.[0]?.properties?.resources?.requests };
    });
    expect(groups.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'fashion-cnn-prod', label: 'fashion-cnn-prod', requests: { cpu: 1, memoryInGB: 1.5 } },
      { name: 'fashion-cnn-staging', label: 'fashion-cnn-staging', requests: { cpu: 0.5, memoryInGB: 1 } },
    ]);

    const audit = (id: string): Promise<string[]> => h.store.runs.listAudit({ runId: id }).then((a) => a.map((e) => `${e.action}:${e.outcome}`));
    expect(await audit(run.id)).toEqual(expect.arrayContaining(['run.start:ok', 'devops.run:ok', 'databricks.submit:ok', 'stage.skipped:ok', 'aci.deploy:ok', 'run.succeeded:ok']));
    expect(await audit(run.id)).not.toEqual(expect.arrayContaining([expect.stringMatching(/^approval\./) as string]));
    expect(await audit(prod.id)).toEqual(expect.arrayContaining(['run.promote:ok', 'approval.approved:refused', 'approval.approved:ok', 'aci.deploy:ok', 'run.succeeded:ok']));
  }, 90_000);
});
