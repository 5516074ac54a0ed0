import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { SqliteStore } from '../../services/store/sqlite.store';
import type { ConversationRecord } from '../../services/store/store';

/**
 * The SQLite store keeps the conversation rows it has read (services/store/sqlite.store.ts,
 * `conversationRows`): every message turn and every card sent reads its conversation. A kept row
 * must never outlive a change: another connection's commit (another process or store on the same
 * file) empties the rows, this connection's own saves and removals drop theirs.
 */
describe('conversation rows kept by the SQLite store', () => {
  let dir: string;
  let a: SqliteStore;
  let b: SqliteStore;
  const conv = (id: string, serviceUrl: string, installedBy?: string): ConversationRecord => ({
    conversationId: id,
    conversationType: 'personal',
    reference: { conversation: { id }, serviceUrl, channelId: 'msteams' },
    installedBy,
    updatedAt: '2026-11-30T08:00:00.000Z',
  });
  const urlOf = async (s: SqliteStore, id: string): Promise<unknown> => ((await s.getConversation(id))?.reference as { serviceUrl?: string } | undefined)?.serviceUrl;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'conv-rows-'));
    a = new SqliteStore(join(dir, 'state.db'));
    b = new SqliteStore(join(dir, 'state.db'));
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the kept row while nothing changed (a write on its own connection behind the store is not seen)', async () => {
    await a.saveConversation(conv('c1', 'https://one.example/'));
    expect(await urlOf(a, 'c1')).toBe('https://one.example/');
    // Behind the store's back, on its own connection: data_version does not move, so the kept row stays.
    const db = (a as unknown as { db: Database.Database }).db;
    db.prepare("UPDATE conversations SET reference = json_set(reference, '$.serviceUrl', 'https://behind.example/') WHERE conversation_id = 'c1'").run();
    expect(await urlOf(a, 'c1')).toBe('https://one.example/');
    // Another connection's commit empties the kept rows: the row is read again.
    await b.saveConversation(conv('other', 'https://x.example/'));
    expect(await urlOf(a, 'c1')).toBe('https://behind.example/');
  });

  it("sees another connection's change, removal and creation of a conversation", async () => {
    await a.saveConversation(conv('c1', 'https://one.example/'));
    expect(await urlOf(a, 'c1')).toBe('https://one.example/');
    expect(await a.getConversation('c2')).toBeUndefined();

    await b.saveConversation(conv('c1', 'https://two.example/'));
    expect(await urlOf(a, 'c1')).toBe('https://two.example/');
    await b.saveConversation(conv('c2', 'https://new.example/'));
    expect(await urlOf(a, 'c2')).toBe('https://new.example/');
    await b.removeConversation('c1');
    expect(await a.getConversation('c1')).toBeUndefined();
  });

  it("sees its own saves and removals at once, with the installer kept as the store keeps it", async () => {
    expect(await a.getConversation('c1')).toBeUndefined();
    await a.saveConversation(conv('c1', 'https://one.example/', 'user-1'));
    expect(await a.getConversation('c1')).toMatchObject({ installedBy: 'user-1' });
    await a.saveConversation(conv('c1', 'https://two.example/'));
    expect(await a.getConversation('c1')).toMatchObject({ installedBy: 'user-1', reference: { serviceUrl: 'https://two.example/' } });
    await a.removeConversation('c1');
    expect(await a.getConversation('c1')).toBeUndefined();
  });

  it('gives each reader its own record: changing one does not change the next', async () => {
    await a.saveConversation(conv('c1', 'https://one.example/'));
    const first = await a.getConversation('c1');
    (first?.reference as { serviceUrl: string }).serviceUrl = 'https://mutated.example/';
    expect(await urlOf(a, 'c1')).toBe('https://one.example/');
  });
});
