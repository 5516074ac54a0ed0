import { Dispatcher } from '../../bot/dispatcher';
import { createNotifier, storeReferences, type Notifier } from '../../bot/notifier';
import { createAuthorizer } from '../../services/workflow/workflow';
import type { GraphClient } from '../../services/graph/graph.client';
import { createLogger } from '../../services/logger';
import { SqliteStore } from '../../services/store/sqlite.store';
import type { RunRecord } from '../../services/workflow/run.types';
import { authOffAdapter, MockConnector, referenceFor } from '../support/mock-connector';
import { sandboxConfig } from '../support/context';

const ADMIN_OID = '00000000-0000-0000-0000-0000000000099';

/** A run that only needs to announce a notice into its conversation. */
function noticeRun(conversationId: string): Omit<RunRecord, 'id' | 'version'> {
  const at = '2026-11-26T10:00:00.000Z';
  return {
    model: 'fashion-cnn', target: 'production', kind: 'train', params: {}, branch: 'main',
    requester: { id: 'azure-devops:1', name: 'pipeline' }, conversationId, status: 'running', stages: [], metrics: [], createdAt: at, updatedAt: at,
  };
}

describe('announcements that cannot be delivered', () => {
  let connector: MockConnector;
  let store: SqliteStore;
  let notifier: Notifier;
  let dispatcher: Dispatcher;
  let now = Date.parse('2026-11-26T10:00:00Z');
  const lines: string[] = [];

  beforeAll(async () => {
    connector = await MockConnector.start();
    store = new SqliteStore(':memory:');
    const logger = createLogger('debug', {}, (l) => lines.push(l));
    notifier = createNotifier({ adapter: authOffAdapter(), appId: '', references: storeReferences(store), logger, maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 });
    for (const [id, by] of [['a:conv-gone', 'someone'], ['a:conv-ok', 'someone'], ['a:admin-chat', ADMIN_OID]] as const) {
      await store.saveConversation({ conversationId: id, conversationType: 'personal', reference: referenceFor(connector, id), installedBy: by, updatedAt: new Date(now).toISOString() });
    }
    const config = sandboxConfig();
    dispatcher = new Dispatcher({
      runs: store.runs, conversations: store, notifier, approvers: { approversOf: async () => [] }, auth: createAuthorizer(config, { graph: undefined as unknown as GraphClient }, logger), logger, // no group roles in this config: Graph is never asked
      now: () => now, outboxPolicy: { maxAttempts: 3, backoffMs: 60_000, maxBackoffMs: 120_000 }, admins: [ADMIN_OID.toUpperCase()],
    });
  });
  afterAll(async () => {
    await notifier.close();
    await store.close();
    await connector.close();
  });

  it('retries with back-off, parks after the bound, tells the admins once, and never blocks the other conversations', async () => {
    connector.fail({ status: 403, code: 'BotNotInConversationRoster', conversationId: 'a:conv-gone', count: 1000 });
    const gone = await store.runs.createRun(noticeRun('a:conv-gone'), { outbox: [{ kind: 'notice', payload: 'deployed' }] });

    await dispatcher.nudge();
    expect(await store.runs.pendingOutbox(10, now)).toHaveLength(0); // backing off: not due yet
    const healthy = await store.runs.createRun(noticeRun('a:conv-ok'), { outbox: [{ kind: 'notice', payload: 'all good' }] });
    await dispatcher.nudge();
    expect(connector.requests.filter((r) => r.conversationId === 'a:conv-ok' && r.status === 200)).toHaveLength(1);
    expect((await store.runs.pendingOutbox(10, now + 10 ** 9)).map((i) => i.runId)).toEqual([gone.id]);

    const triesToGone = (): number => connector.requests.filter((r) => r.conversationId === 'a:conv-gone').length;
    expect(triesToGone()).toBe(1);
    now += 60_000;
    await dispatcher.nudge();
    expect(triesToGone()).toBe(2);
    now += 119_000;
    await dispatcher.nudge();
    expect(triesToGone()).toBe(2); // the second back-off (120 s) is not over
    now += 1_000;
    await dispatcher.nudge();
    expect(triesToGone()).toBe(3);

    const parked = await store.runs.parkedOutbox();
    expect(parked.count).toBe(1);
    expect(parked.items[0]).toMatchObject({ runId: gone.id, kind: 'notice', attempts: 3, lastError: expect.stringContaining('403') as string });
    const toAdmin = connector.requests.filter((r) => r.conversationId === 'a:admin-chat');
    expect(toAdmin).toHaveLength(1);
    expect(JSON.stringify(toAdmin[0]?.body)).toContain(`run ${gone.id}`);
    expect(lines.filter((l) => l.includes('announcement parked'))).toHaveLength(1);

    now += 10 ** 9;
    await dispatcher.nudge();
    expect(triesToGone()).toBe(3); // parked: never retried again, and kept
    expect((await store.runs.pendingOutbox(10, now)).length).toBe(0);
    expect(healthy.id).not.toBe(gone.id);
  });
});
