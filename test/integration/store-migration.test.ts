import { SqliteStore } from '../../services/store/sqlite.store';
import { copyStoreFixture } from '../support/store-fixtures';
import { startWorkflowHarness } from '../support/workflow-harness';

/**
 * test/fixtures/stores/v1.sqlite was written by the store of commit c3e37cf (before the engine
 * redesign of issue 8) from real runs against the sandbox: see test/fixtures/stores/README.md.
 */
describe('a store written by the previous version', () => {
  let fixture: ReturnType<typeof copyStoreFixture>;
  let store: SqliteStore;
  beforeEach(() => {
    fixture = copyStoreFixture('v1.sqlite');
    store = new SqliteStore(fixture.path);
  });
  afterEach(async () => {
    await store.close();
    fixture.remove();
  });

  it('still loads every run, with its status, stages and versions', async () => {
    const runs = await store.runs.listRuns({});
    expect(runs.map((r) => `${r.id}:${r.kind}:${r.status}`)).toEqual(['r-5:train:running', 'r-4:train:running', 'r-3:deploy:canceled', 'r-2:train:failed', 'r-1:train:succeeded']);
    const active = await store.runs.listRuns({ active: true });
    expect(active.map((r) => r.id)).toEqual(['r-5', 'r-4']);
    const r1 = await store.runs.getRun('r-1');
    expect(r1?.stages.map((s) => `${s.id}:${s.state}`)).toEqual(['ci:succeeded', 'training:succeeded', 'registered:succeeded', 'approval:succeeded', 'deploy:succeeded', 'smoke:succeeded']);
    expect(r1?.approval?.decisions.map((d) => d.by.name)).toEqual(['Megan Bowen']);
  });

  it('keeps the pending announcements, card messages and subscriptions', async () => {
    const pending = await store.runs.pendingOutbox(500);
    expect(pending.length).toBeGreaterThan(10);
    // Card names became domain events; every pending item keeps its meaning.
    expect(new Set(pending.map((p) => p.kind))).toEqual(new Set(['progress', 'approvalUpdated', 'failed', 'notice']));
    expect(await store.runs.getMessage('r-1', 'runCard')).toEqual({ conversationId: 'conv-1', activityId: 'act-1' });
    expect(await store.runs.listSubscriptions('fashion-cnn')).toEqual([{ conversationId: 'conv-9', model: 'fashion-cnn', events: ['failed', 'approval'] }]);
    expect((await store.getConversation('conv-1'))?.installedBy).toBe('00000000-0000-0000-0000-0000000000020');
  });

  it('advances an old run with the current engine: the recorded deploy intent is sent once', async () => {
    await store.close();
    const h = await startWorkflowHarness({ storePath: fixture.path });
    try {
      // The old version's runs name their image; a new sandbox's registry holds it as CI had pushed it.
      const old = await h.store.runs.getRun('r-4');
      h.sandbox.acr.push(old!.registered!.scoringImage!, h.sandbox.clock.now());
      const sent = await h.untilRun('r-4', 'deploy sent', (r) => r.deploy?.sentAt !== undefined);
      expect(sent.deploy?.requestedAt).toBeDefined();
      expect(await h.clients.aci!.get('fashion-cnn-prod')).toMatchObject({ name: 'fashion-cnn-prod' });
    } finally {
      await h.close();
      store = new SqliteStore(fixture.path);
    }
  });
});

