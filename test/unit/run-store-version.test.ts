import { SqliteStore } from '../../services/store/sqlite.store';
import { newTrainRun } from '../../services/workflow/run-factory';
import { VersionConflictError } from '../../services/workflow/run-store';
import { sandboxConfig } from '../support/context';

const model = sandboxConfig().mlops.models['fashion-cnn']!;
const now = Date.parse('2026-11-26T10:00:00Z');

describe("the run store's version check", () => {
  it('refuses a save based on a version someone else already replaced, and writes none of its effects', async () => {
    const store = new SqliteStore(':memory:');
    const created = await store.runs.createRun(newTrainRun({ model: 'fashion-cnn', params: {}, requester: { id: 'u', name: 'U' }, conversationId: 'c' }, model, now).run);
    expect(created.version).toBe(1);
    const a = (await store.runs.getRun(created.id))!;
    const b = (await store.runs.getRun(created.id))!;
    const savedA = await store.runs.saveRun({ ...a, status: 'failed' }, { audit: [{ at: 'x', actor: 'a', action: 'first', outcome: 'ok', detail: {} }], outbox: [{ kind: 'progress' }] });
    expect(savedA.version).toBe(2);
    const outboxBefore = (await store.runs.pendingOutbox()).length;
    await expect(store.runs.saveRun({ ...b, status: 'canceled' }, { audit: [{ at: 'y', actor: 'b', action: 'second', outcome: 'ok', detail: {} }], outbox: [{ kind: 'failed' }] })).rejects.toBeInstanceOf(VersionConflictError);
    // Named as such in logs (serializeError keeps the name), with the run and the version expected.
    await expect(store.runs.saveRun({ ...b, status: 'canceled' })).rejects.toMatchObject({ name: 'VersionConflictError', runId: b.id, expected: b.version, message: `run ${b.id} was changed by someone else (expected version ${b.version})` });
    const stored = await store.runs.getRun(created.id);
    expect(stored).toMatchObject({ status: 'failed', version: 2 });
    expect((await store.runs.listAudit({ runId: created.id })).map((e) => e.action)).not.toContain('second');
    expect((await store.runs.pendingOutbox()).length).toBe(outboxBefore);
    await store.close();
  });

  it('bumps the version by exactly one per save and accepts the saved copy as the next base', async () => {
    const store = new SqliteStore(':memory:');
    const created = await store.runs.createRun(newTrainRun({ model: 'fashion-cnn', params: {}, requester: { id: 'u', name: 'U' }, conversationId: 'c' }, model, now).run);
    const v2 = await store.runs.saveRun(created);
    const v3 = await store.runs.saveRun(v2);
    expect([created.version, v2.version, v3.version]).toEqual([1, 2, 3]);
    // The copy returned by the first save is now stale: the same conflict a second bot instance would get.
    await expect(store.runs.saveRun(v2)).rejects.toThrow(`run ${created.id} was changed by someone else (expected version 2)`);
    expect((await store.runs.getRun(created.id))?.version).toBe(3);
    await store.close();
  });
});
