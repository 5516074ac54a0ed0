import { SANDBOX_DATABRICKS_TOKEN, TRAINING_JOB_ID, WEBHOOK_DESTINATION_ID } from '../../sandbox/databricks/databricks.sandbox';
import { DatabricksClient } from '../../services/databricks/databricks.client';
import { watchWorld, watchYaml, type WatchWorld } from '../support/watch-harness';

/**
 * `watch.webhooks.create: true` in mlops.config.yaml: the bot subscribes itself at start-up (service
 * hooks in Azure DevOps, a notification destination attached to the watched jobs, named by name),
 * and a restart finds them instead of adding a second copy.
 */
describe('webhook subscriptions created by the bot at start-up', () => {
  let world: WatchWorld;
  const publicUrl = 'https://mlops-bot.contoso.example';
  beforeAll(async () => {
    world = await watchWorld({ webhooks: true, yaml: watchYaml(`  webhooks:\n    create: true\n    publicUrl: ${publicUrl}\n`) });
  }, 60_000);
  afterAll(async () => world.close());

  it('creates the hooks and the destination once, attaches it to the job named by name, and a restart adds nothing', async () => {
    const ours = (): string[] => world.sandbox.azureDevOps.state.hooks.subscriptions.filter((s) => s.consumerInputs.url === `${publicUrl}/api/webhooks/azure-devops`).map((s) => s.eventType).sort();
    for (let start = 1; start <= 2; start++) {
      const bot = await world.start();
      try {
        const result = await bot.watching.hooks;
        expect(result?.devops.map((d) => d.outcome)).toEqual(start === 1 ? ['created', 'created', 'created'] : ['exists', 'exists', 'exists']);
        expect(result?.databricks).toMatchObject({ destination: start === 1 ? 'created' : 'exists', jobs: [{ jobId: TRAINING_JOB_ID, outcome: start === 1 ? 'attached' : 'exists' }] });
      } finally {
        await bot.stop();
      }
    }
    expect(ours()).toEqual(['build.complete', 'ms.vss-pipelinechecks-events.approval-pending', 'ms.vss-pipelines.run-state-changed-event']);
    const databricks = new DatabricksClient({ host: world.sandbox.databricks.url, token: SANDBOX_DATABRICKS_TOKEN, retry: { maxRetries: 0 } });
    const destinations = (await databricks.listNotificationDestinations()).filter((d) => d.displayName === 'mlops-chatops');
    expect(destinations).toHaveLength(1);
    // The job's own destination stays; ours is added once.
    expect((await databricks.getJobWebhooks(TRAINING_JOB_ID)).on_failure).toEqual([WEBHOOK_DESTINATION_ID, destinations[0]?.id]);
  }, 60_000);
});
