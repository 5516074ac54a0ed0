import { ConversationQueue, type Job } from '../../bot/notifier/conversation-queue';
import type { OutgoingMessage } from '../../bot/notifier';

/** The per-conversation queue on its own: ordering and coalescing guarantees without HTTP timing. */
describe('notifier conversation queue', () => {
  const msg = (summary: string): OutgoingMessage => ({ summary, text: summary });

  it('runs jobs one at a time in the order they were pushed', async () => {
    let running = 0;
    let maxRunning = 0;
    const seen: string[] = [];
    const queue = new ConversationQueue(async (job) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      seen.push(job.message.summary);
      running -= 1;
      return job.message.summary;
    });
    const results = await Promise.all(['1', '2', '3'].map((s) => queue.push('send', undefined, msg(s)).promise));
    expect(results).toEqual(['1', '2', '3']);
    expect(seen).toEqual(['1', '2', '3']);
    expect(maxRunning).toBe(1);
    expect(queue.idle).toBe(true);
  });

  it('never folds an update into one that is being sent; the newer one follows it', async () => {
    const sent: string[] = [];
    const queue: ConversationQueue = new ConversationQueue(async (job: Job) => {
      job.state = 'sending';
      if (job.message.summary === 'v1') queue.push('update', 'card', msg('v2')).promise.catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1));
      sent.push(job.message.summary);
      job.state = 'waiting';
      return 'card';
    });
    await queue.push('update', 'card', msg('v1')).promise;
    await queue.whenIdle();
    expect(sent).toEqual(['v1', 'v2']);
  });

  it('sends again a state folded in after the last attempt picked its message, never losing it', async () => {
    const sent: string[] = [];
    let pushedLate = false;
    let late: Promise<string> | undefined;
    const queue: ConversationQueue = new ConversationQueue(async (job: Job) => {
      job.sentVersion = job.version;
      const carried = job.message.summary;
      await new Promise((resolve) => setTimeout(resolve, 1));
      sent.push(carried);
      if (!pushedLate) {
        // Arrives after the attempt took its message but before the queue has settled the job.
        pushedLate = true;
        late = queue.push('update', 'card', msg('v2')).promise;
      }
      return 'card';
    });
    const first = queue.push('update', 'card', msg('v1'));
    await first.promise;
    await late;
    expect(sent).toEqual(['v1', 'v2']);
  });

  it('settles every caller of a coalesced update with the outcome of the state that was sent', async () => {
    const queue = new ConversationQueue(async (job) => {
      if (job.message.summary === 'bad') throw new Error('refused');
      return 'card';
    });
    const blocker = queue.push('send', undefined, msg('first'));
    const a = queue.push('update', 'card', msg('v1'));
    const b = queue.push('update', 'card', msg('bad'));
    expect(b.coalesced).toBe(true);
    await blocker.promise;
    await expect(a.promise).rejects.toThrow('refused');
    await expect(b.promise).rejects.toThrow('refused');
  });
});
