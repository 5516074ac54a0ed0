import { StampedCache } from '../../services/store/stamped-cache';

/** Answers kept while the store's change stamp stays the same (services/store/stamped-cache.ts). */
describe('StampedCache', () => {
  let stamp = 's1';
  let computed = 0;
  const answer = (value: string) => async (): Promise<string> => {
    computed += 1;
    return value;
  };
  beforeEach(() => {
    stamp = 's1';
    computed = 0;
  });

  it('computes once while the stamp is unchanged, per key', async () => {
    const cache = new StampedCache<string>(() => stamp);
    expect(await cache.get('a', answer('A'))).toBe('A');
    expect(await cache.get('a', answer('other'))).toBe('A');
    expect(await cache.get('b', answer('B'))).toBe('B');
    expect(computed).toBe(2);
  });

  it('computes again after the stamp moved, for every key', async () => {
    const cache = new StampedCache<string>(() => stamp);
    await cache.get('a', answer('A1'));
    await cache.get('b', answer('B1'));
    stamp = 's2';
    expect(await cache.get('a', answer('A2'))).toBe('A2');
    expect(await cache.get('b', answer('B2'))).toBe('B2');
    expect(computed).toBe(4);
  });

  it('keeps an undefined answer as an answer (a run that does not exist)', async () => {
    const cache = new StampedCache<string | undefined>(() => stamp);
    await cache.get('gone', async () => {
      computed += 1;
      return undefined;
    });
    expect(await cache.get('gone', answer('found'))).toBeUndefined();
    expect(computed).toBe(1);
  });

  it('does not keep an answer when a write happened while it was computed', async () => {
    const cache = new StampedCache<string>(() => stamp);
    const during = await cache.get('a', async () => {
      computed += 1;
      stamp = 's2'; // a commit between the read and its end
      return 'read before the write';
    });
    expect(during).toBe('read before the write');
    expect(await cache.get('a', answer('after the write'))).toBe('after the write');
    expect(computed).toBe(2);
  });

  it('does not file an older answer under a newer stamp another reader already saw', async () => {
    const cache = new StampedCache<string>(() => stamp);
    let release: () => void = () => undefined;
    const slow = cache.get('a', async () => {
      await new Promise<void>((r) => (release = r));
      return 'old';
    });
    // A write, then another reader of the same key with the new stamp, while the first still computes.
    stamp = 's2';
    expect(await cache.get('a', answer('new'))).toBe('new');
    stamp = 's1'; // even a stamp that reads like the first one again (it cannot in SQLite; here it is forced)
    release();
    expect(await slow).toBe('old');
    stamp = 's2';
    expect(await cache.get('a', answer('newer'))).toBe('new');
  });

  it('computes every time without a stamp (a store that cannot tell)', async () => {
    const cache = new StampedCache<string>(undefined);
    await cache.get('a', answer('A'));
    await cache.get('a', answer('A'));
    expect(computed).toBe(2);
  });

  it('keeps at most max answers, the oldest leaving first', async () => {
    const cache = new StampedCache<string>(() => stamp, 2);
    await cache.get('a', answer('A'));
    await cache.get('b', answer('B'));
    await cache.get('c', answer('C'));
    expect(computed).toBe(3);
    await cache.get('c', answer('C'));
    await cache.get('b', answer('B'));
    expect(computed).toBe(3);
    await cache.get('a', answer('A'));
    expect(computed).toBe(4);
  });
});
