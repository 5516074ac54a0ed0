import type { CloudAdapter } from 'botbuilder';
import { TeamsApproverDirectory } from '../../bot/approver-directory';
import type { Authorizer } from '../../services/auth/authorizer';
import { silentLogger } from '../../services/logger';
import type { Store } from '../../services/store/store';
import type { RunRecord } from '../../services/workflow/run.types';

const run = { conversationId: 'a:chat', model: 'fashion-cnn', target: 'production', requester: { id: 'user-id-0', name: 'Alex Wilber' } } as unknown as RunRecord;

/** A roster read is a proactive turn; here it only counts, and finishes when the test says so. */
function directory(): { dir: TeamsApproverDirectory; reads: () => number; finish: () => void; failNext: (e: Error) => void } {
  let reads = 0;
  let release: () => void = () => undefined;
  let failure: Error | undefined;
  const adapter = {
    continueConversationAsync: async () => {
      reads += 1;
      const fail = failure;
      failure = undefined;
      await new Promise<void>((r) => (release = r));
      if (fail) throw fail;
    },
  } as unknown as CloudAdapter;
  const conversations = { getConversation: async (id: string) => ({ conversationId: id, conversationType: 'personal', reference: { conversation: { id } }, updatedAt: '' }) } as unknown as Store;
  const auth = { hasRole: async () => true, policy: { principals: () => [] } } as unknown as Authorizer;
  return {
    dir: new TeamsApproverDirectory({ conversations, adapter, appId: '', auth, logger: silentLogger }),
    reads: () => reads,
    finish: () => release(),
    failNext: (e) => (failure = e),
  };
}

const settled = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('approvers of a conversation (bot/approver-directory.ts)', () => {
  it('reads the roster once for clicks that arrive while it is being read, and not again while cached', async () => {
    const d = directory();
    const clicks = Array.from({ length: 20 }, () => d.dir.approversOf(run));
    await settled();
    expect(d.reads()).toBe(1);
    d.finish();
    const answers = await Promise.all(clicks);
    expect(answers).toHaveLength(20);
    await d.dir.approversOf(run);
    expect(d.reads()).toBe(1);
  });

  it('gives every click waiting on a read that failed the same answer (no approver mentioned), from one read', async () => {
    const d = directory();
    d.failNext(new Error('roster unavailable'));
    const other = { ...run, conversationId: 'a:other' };
    const clicks = [d.dir.approversOf(other), d.dir.approversOf(other), d.dir.approversOf(other)];
    await settled();
    d.finish();
    expect(await Promise.all(clicks)).toEqual([[], [], []]);
    expect(d.reads()).toBe(1);
  });
});
