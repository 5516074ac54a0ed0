import { KeyedLock } from '../../services/workflow/keyed-lock';

/** A promise the test settles itself, so the order of events is decided by the test, not the clock. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('the per-key lock', () => {
  it('runs work on one key one after another, and work on another key meanwhile', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const first = gate();
    const a1 = lock.run('a', async () => {
      events.push('a1 start');
      await first.promise;
      events.push('a1 end');
      return 1;
    });
    const a2 = lock.run('a', async () => {
      events.push('a2');
      return 2;
    });
    await expect(lock.run('b', async () => 'b')).resolves.toBe('b');
    events.push('b done');
    first.open();
    await expect(Promise.all([a1, a2])).resolves.toEqual([1, 2]);
    expect(events).toEqual(['a1 start', 'b done', 'a1 end', 'a2']);
  });

  it('goes on with the next work after a failure, and gives each caller its own outcome', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const failing = lock.run('k', async () => {
      order.push('fail');
      throw new Error('boom');
    });
    const next = lock.run('k', async () => {
      order.push('next');
      return 'ok';
    });
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
    expect(order).toEqual(['fail', 'next']);
  });

  it('keeps the queue of a key while work is queued, even after earlier work ends', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const g1 = gate();
    const g2 = gate();
    const one = lock.run('k', async () => {
      await g1.promise;
      order.push('one');
    });
    const two = lock.run('k', async () => {
      await g2.promise;
      order.push('two');
    });
    g1.open();
    await one;
    // Work queued after the first ended must still wait for the second.
    const three = lock.run('k', async () => {
      order.push('three');
    });
    g2.open();
    await Promise.all([two, three]);
    expect(order).toEqual(['one', 'two', 'three']);
  });

  it('forgets a key once its last work is done, failed or not (no growing map)', async () => {
    const lock = new KeyedLock();
    // The map is private; its size is the only sign of a leak over thousands of runs.
    const tails = (lock as unknown as { tails: Map<string, unknown> }).tails;
    await lock.run('k', async () => undefined);
    expect(tails.size).toBe(0);
    await lock
      .run('k', async () => {
        throw new Error('x');
      })
      .catch(() => undefined);
    expect(tails.size).toBe(0);
  });
});
