import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunCardWriter } from '../../bot/run-card.writer';
import { REPO_ROOT } from '../support/context';
import { STAGING_THEN_PRODUCTION } from '../support/environments';
import { ALEX, startWorkflowHarness } from '../support/workflow-harness';

/**
 * Runs stored before environments existed (test/fixtures/stores/v1.sqlite) have `target:
 * production`: they need no migration, because `target` is now the environment's name. Under a
 * staging → production configuration they are production's history.
 */
describe('a store written before environments, under a staging → production configuration', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'store-env-'));
    copyFileSync(join(REPO_ROOT, 'test', 'fixtures', 'stores', 'v1.sqlite'), join(dir, 'v1.sqlite'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the old production version on the card, and a deploy to production still needs the version to pass staging', async () => {
    const h = await startWorkflowHarness({ storePath: join(dir, 'v1.sqlite'), yaml: STAGING_THEN_PRODUCTION });
    try {
      const r1 = (await h.store.runs.getRun('r-1'))!;
      expect(r1).toMatchObject({ target: 'production', status: 'succeeded', registered: { version: '1' } });
      const card = JSON.stringify(await new RunCardWriter({ runs: h.store.runs, models: h.config.mlops.models, now: Date.now }).card(r1));
      expect(card).toContain('"title":"staging","value":"not deployed yet"');
      expect(card).toContain('"title":"production","value":"**v1** · this run');
      // The last environment has no next one: no Promote button on an old production run.
      expect(card).not.toContain('promoteRun');
      const refused = await h.engine.startDeploy({ model: 'fashion-cnn', version: '1', env: 'production', requester: ALEX, conversationId: 'conv-1' });
      expect(refused).toMatchObject({ ok: false, refusal: { message: expect.stringContaining('has not passed staging yet') as string } });
      // /rollback of production finds no earlier production version than 1 among the old runs.
      expect(await h.engine.startRollback({ model: 'fashion-cnn', requester: ALEX, conversationId: 'conv-1' })).toMatchObject({ ok: false, refusal: { message: expect.stringContaining('no earlier version of fashion-cnn in production') as string } });
    } finally {
      await h.close();
    }
  }, 30_000);
});
