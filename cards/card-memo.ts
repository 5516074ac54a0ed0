import { deepFreeze } from '../services/deep-freeze';

/**
 * Cards built once per view. A card is a pure function of its view, and the same card is asked
 * for again and again (/help, /status of an unchanged run, a refresh): building it through the
 * template engine was most of those turns (issue 13). The view holds everything that changes what
 * the card says (durations included), so a card that would read differently has another key.
 * Cards handed out are frozen: no caller can change what the next one is given.
 */
export function memoByView<V, C extends object>(build: (view: V) => C, max = 32, keyOf: (view: V) => string = (view) => JSON.stringify(view)): (view: V) => C {
  const recent = new Map<string, C>();
  return (view) => {
    const key = keyOf(view);
    const hit = recent.get(key);
    if (hit) {
      // Least recently used leaves first: the hit moves to the end.
      recent.delete(key);
      recent.set(key, hit);
      return hit;
    }
    const card = deepFreeze(build(view));
    recent.set(key, card);
    if (recent.size > max) recent.delete(recent.keys().next().value as string);
    return card;
  };
}

interface Series {
  name: string;
  goal?: string;
  points: ReadonlyArray<{ step: number; value: number }>;
}

/**
 * The key of a view whose metric series are long: the rest of the view as JSON, the points as
 * the bits of their float64 values. Exact (two series give the same key only if every point is
 * the same number), and cheaper than JSON: writing numbers out in decimal was most of the
 * `JSON.stringify` of a run card's view (issue 13: 2 × 50 points, ≈ 30 of ≈ 35 µs). The bytes are
 * written one character each (latin1: byte n is U+00nn, so no two byte strings give one key). A
 * point that is not two numbers (never from the clients, which parse metrics as numbers) falls back to JSON.
 */
export function keyWithSeries<V extends { metrics: readonly Series[] }>(view: V): string {
  const { metrics, ...rest } = view;
  let n = 0;
  for (const m of metrics) n += m.points.length;
  const bits = new Float64Array(2 * n);
  let i = 0;
  for (const m of metrics) {
    for (const p of m.points) {
      if (typeof p.step !== 'number' || typeof p.value !== 'number' || Object.keys(p).length !== 2) return JSON.stringify(view);
      bits[i++] = p.step;
      bits[i++] = p.value;
    }
  }
  const series = JSON.stringify(metrics.map((m) => [m.name, m.goal ?? null, m.points.length]));
  return `${JSON.stringify(rest)}\u0000${series}\u0000${Buffer.from(bits.buffer).toString('latin1')}`;
}
