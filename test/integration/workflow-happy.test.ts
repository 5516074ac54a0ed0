import { stageOf } from '../../services/workflow/run.types';
import { ALEX, MEGAN, startWorkflowHarness, type WorkflowHarness, started } from '../support/workflow-harness';

describe('the /train workflow against the sandbox', () => {
  let h: WorkflowHarness;
  beforeAll(async () => {
    h = await startWorkflowHarness();
  });
  afterAll(async () => h.close());

  it('takes a run from CI to a deployed, smoke-tested model after a second user approves', async () => {
    const run = await started(h.engine.startTrain({ model: 'fashion-cnn', params: { lr: 0.01, epochs: 3 }, requester: ALEX, conversationId: 'conv-1' }));
    expect(run.id).toMatch(/^r-\d+$/);
    expect(stageOf(run, 'ci').state).toBe('running');

    const waiting = await h.until(run.id, ['waiting_approval', 'failed']);
    expect(waiting.failure).toBeUndefined();
    expect(waiting.status).toBe('waiting_approval');
    expect(waiting.ci?.devopsRunId).toEqual(expect.any(Number));
    expect(waiting.ci?.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(waiting.training?.runtime).toMatch(/^\d+\.\d+\.x-cpu-ml-scala2\.1[23]$/);
    expect(waiting.registered?.version).toMatch(/^\d+$/);
    expect(waiting.registered?.scoringImage).toMatch(/^mlopsacr.azurecr.io\/mlops-scoring:[0-9a-f]{40}$/); // the image CI built from the same commit
    expect(waiting.metrics.map((m) => m.name).length).toBeGreaterThan(0);
    expect(stageOf(waiting, 'training').link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);

    const self = await h.engine.decide(run.id, ALEX, 'approved', 'lgtm');
    expect(self).toMatchObject({ ok: false, refusal: { kind: 'state', message: expect.stringContaining('your own approval does not count') as string } });

    const approved = await h.engine.decide(run.id, MEGAN, 'approved', 'ship it');
    expect(approved.ok).toBe(true);

    const done = await h.until(run.id, ['succeeded', 'failed']);
    expect(done.failure).toBeUndefined();
    expect(done.status).toBe('succeeded');
    expect(done.deploy?.scoringUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/score$/);
    expect(done.smoke?.ok).toBe(true);
    const res = await fetch(done.deploy!.scoringUri!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [Array.from({ length: 784 }, () => 0.2)] }) });
    expect(res.status).toBe(200);
    // Unity Catalog: the good smoke test moved the `production` alias to this version (PUT …/aliases/production).
    expect(h.sandbox.databricks.state.mlflow.model('main.mlops.fashion_cnn', 'unity-catalog').aliases.get('production')).toBe(done.registered?.version);

    const audit = await h.store.runs.listAudit({ runId: run.id });
    expect(audit.map((a) => `${a.action}:${a.outcome}`)).toEqual(expect.arrayContaining(['run.start:ok', 'devops.run:ok', 'databricks.submit:ok', 'approval.approved:refused', 'approval.approved:ok', 'aci.deploy:ok', 'run.succeeded:ok']));
  }, 60_000);
});
