/**
 * Answers read from the store, kept while the store's change stamp (RunStore.changeStamp) stays
 * the same: any write, here or in another process, drops them all. For reads repeated with
 * nothing in between that could change them (a /status of a run that has not moved, the same
 * history queries on every card of a model), issue 13.
 *
 * An answer is kept only when the stamp read before it was computed is still the stamp after:
 * a write that happens while it is computed (between two awaits) leaves it out, so a kept answer
 * never predates the stamp it is filed under. Without a stamp (a store that cannot tell) every
 * read is computed. Bounded: past `max` answers the oldest leaves.
 */
export class StampedCache<V> {
  private stamp: string | undefined;
  private readonly answers = new Map<string, V>();

  constructor(
    private readonly stampOf: (() => string) | undefined,
    private readonly max = 256,
  ) {}

  async get(key: string, compute: () => Promise<V>): Promise<V> {
    const before = this.stampOf?.();
    if (before === undefined) return compute();
    if (before !== this.stamp) {
      this.answers.clear();
      this.stamp = before;
    }
    if (this.answers.has(key)) return this.answers.get(key) as V;
    const value = await compute();
    if (this.stampOf?.() === before && this.stamp === before) {
      this.answers.set(key, value);
      if (this.answers.size > this.max) this.answers.delete(this.answers.keys().next().value as string);
    }
    return value;
  }
}
