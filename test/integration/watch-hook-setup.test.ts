import { AzureDevOpsClient } from '../../services/azure-devops/azure-devops.client';
import { DatabricksClient } from '../../services/databricks/databricks.client';
import { silentLogger } from '../../services/logger';
import { ensureWebhooks } from '../../services/watch/hook-setup';
import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { SANDBOX_ADO_PAT, startAzureDevOpsSandbox, type AzureDevOpsSandbox } from '../../sandbox/azure-devops/azure-devops.sandbox';
import { SANDBOX_DATABRICKS_TOKEN, TRAINING_JOB_ID, WEBHOOK_DESTINATION_ID, startDatabricksSandbox, type DatabricksSandbox } from '../../sandbox/databricks/databricks.sandbox';

/** Start-up subscription creation against the sandboxes: created once, found again, refused without admin rights. */
describe('webhook subscriptions at start-up', () => {
  let ado: AzureDevOpsSandbox;
  let dbx: DatabricksSandbox;
  let nonAdmin: DatabricksSandbox;
  beforeAll(async () => {
    const clock = new SandboxClock(1);
    ado = await startAzureDevOpsSandbox({ clock, faults: new FaultRegistry() });
    dbx = await startDatabricksSandbox({ clock, faults: new FaultRegistry() });
    nonAdmin = await startDatabricksSandbox({ clock, faults: new FaultRegistry(), workspaceAdmins: [] });
  });
  afterAll(async () => {
    await Promise.all([ado.close(), dbx.close(), nonAdmin.close()]);
  });
  const devops = (): AzureDevOpsClient => new AzureDevOpsClient({ orgUrl: `${ado.url}/contoso`, project: 'MLOps', auth: { pat: SANDBOX_ADO_PAT }, retry: { maxRetries: 0 } });
  const databricks = (s: DatabricksSandbox): DatabricksClient => new DatabricksClient({ host: s.url, token: SANDBOX_DATABRICKS_TOKEN, retry: { maxRetries: 0 } });
  const input = { publicUrl: 'https://mlops-bot.contoso.example/', secret: 'hook-secret-0123456789abcdef', destinationName: 'mlops-chatops', jobIds: [TRAINING_JOB_ID], logger: silentLogger };

  it('creates the service hooks and the destination once, attaches it to the job keeping the others, and finds them all the second time', async () => {
    const first = await ensureWebhooks({ ...input, devops: devops(), databricks: databricks(dbx) });
    expect(first.devops.map((d) => d.outcome)).toEqual(['created', 'created', 'created']);
    expect(first.databricks).toMatchObject({ destination: 'created', jobs: [{ jobId: TRAINING_JOB_ID, outcome: 'attached' }] });
    const second = await ensureWebhooks({ ...input, devops: devops(), databricks: databricks(dbx) });
    expect(second.devops.map((d) => d.outcome)).toEqual(['exists', 'exists', 'exists']);
    expect(second.databricks).toMatchObject({ destination: 'exists', destinationId: first.databricks.destinationId, jobs: [{ outcome: 'exists' }] });
    // Never a second copy: one subscription per event to our URL, one destination of our name.
    const ours = ado.state.hooks.subscriptions.filter((s) => s.consumerInputs.url === 'https://mlops-bot.contoso.example/api/webhooks/azure-devops');
    expect(ours.map((s) => s.eventType).sort()).toEqual(['build.complete', 'ms.vss-pipelinechecks-events.approval-pending', 'ms.vss-pipelines.run-state-changed-event']);
    expect(ours.every((s) => s.consumerInputs.basicAuthPassword === input.secret)).toBe(true);
    const destinations = await databricks(dbx).listNotificationDestinations();
    expect(destinations.filter((d) => d.displayName === 'mlops-chatops')).toHaveLength(1);
    // webhook_notifications is replaced whole by jobs/update: the job's existing destination stays.
    const hooks = await databricks(dbx).getJobWebhooks(TRAINING_JOB_ID);
    expect(hooks.on_failure).toEqual([WEBHOOK_DESTINATION_ID, first.databricks.destinationId]);
    expect(hooks.on_start).toEqual([WEBHOOK_DESTINATION_ID, first.databricks.destinationId]);
  });

  it('reports a refusal (not a workspace admin) and carries on, so polling covers it', async () => {
    const result = await ensureWebhooks({ ...input, devops: undefined, databricks: databricks(nonAdmin) });
    expect(result.databricks.destination).toBe('failed');
    expect(result.databricks.detail).toMatch(/403|admin/i);
    expect(result.databricks.jobs).toEqual([]);
  });
});
