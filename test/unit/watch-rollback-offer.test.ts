import type { Notifier, OutgoingMessage } from '../../bot/notifier';
import { WatchAnnouncer } from '../../bot/watch/watch-announcer';
import type { MlopsConfig } from '../../services/config/mlops-config.schema';
import { silentLogger } from '../../services/logger';
import type { WatchStore } from '../../services/watch/watch.store';
import type { WatchService } from '../../services/watch/watch.service';
import { reportKey, type ExternalRunReport } from '../../services/watch/watch.types';
import type { RunStore } from '../../services/workflow/run-store';
import type { RunRecord } from '../../services/workflow/run.types';

/**
 * The "Roll back to vN" button on a failed external run's card offers the version the click will
 * roll back to: the previous one in the model's last environment (what /rollback without --env
 * and the click handler take), not the previous one of the model in any environment. With staging
 * → production, staging usually holds a newer version than production, and the old rule offered
 * production's current version, a click the handler then refused.
 */
describe('the rollback offer on a failed external run', () => {
  const key = reportKey('azure-devops', 7);
  const report: ExternalRunReport = {
    key, source: 'azure-devops', runId: 7, targetId: 1, targetName: 'mlops-ci', runName: '2026.7', outcome: 'failed', result: 'failed', failedStep: undefined, error: undefined,
    logLines: [], url: undefined, triggeredBy: undefined, reason: 'manual', branch: 'refs/heads/main', parameters: { modelName: 'fashion-cnn' }, finishedAt: undefined, model: 'fashion-cnn', retries: [],
  };
  const succeeded = (id: string, target: string, version: string): RunRecord => ({ id, status: 'succeeded', kind: 'train', target, model: 'fashion-cnn', registered: { version } }) as unknown as RunRecord;
  // Newest first, as listRuns answers.
  const history = [succeeded('r-5', 'staging', '3'), succeeded('r-4', 'production', '2'), succeeded('r-3', 'staging', '2'), succeeded('r-2', 'production', '1'), succeeded('r-1', 'staging', '1')];
  const models = { 'fashion-cnn': { environments: [{ name: 'staging' }, { name: 'production' }] } } as unknown as MlopsConfig['models'];

  async function announced(o: { models?: MlopsConfig['models']; runs: RunRecord[] }): Promise<string> {
    const sent: OutgoingMessage[] = [];
    const stored = { report, version: 1, announcedVersion: 0 };
    const store = { unannounced: async () => (sent.length ? [] : [stored]), messages: async () => [], setMessage: async () => undefined, markAnnounced: async () => undefined } as unknown as WatchStore;
    const notifier = { send: async (_c: string, m: OutgoingMessage) => (sent.push(m), 'activity-1') } as unknown as Notifier;
    const announcer = new WatchAnnouncer({
      store, notifier, logger: silentLogger,
      service: { audienceOf: async () => ['conv-1'] } as unknown as WatchService,
      runs: { listRuns: async () => o.runs } as unknown as RunStore,
      people: { findMember: async () => undefined },
      ...(o.models ? { models: o.models } : {}),
    });
    await announcer.nudge();
    expect(sent).toHaveLength(1);
    return JSON.stringify(sent[0]?.card);
  }

  it('offers production\'s previous version, named with its environment, and sends the environment with the click', async () => {
    const card = await announced({ models, runs: history });
    expect(card).toContain('"title":"Roll back production to v1"');
    expect(card).toContain('"verb":"rollbackTo","data":{"model":"fashion-cnn","version":"1","env":"production"');
    expect(card).not.toContain('to v2');
  });

  it('offers no rollback when the last environment has had one version only', async () => {
    const card = await announced({ models, runs: history.filter((r) => r.target === 'staging' || r.id === 'r-2') });
    expect(card).not.toContain('rollbackTo');
    expect(card).toContain('"verb":"retryExternal"');
  });
});
