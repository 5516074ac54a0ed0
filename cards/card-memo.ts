/**
 * Cards built once per view. A card is a pure function of its view, and the same card is asked
 * for again and again (/help, /status of an unchanged run, a refresh): building it through the
 * template engine was most of those turns (issue 13). The view holds everything that changes what
 * the card says (durations included), so a card that would read differently has another key.
 * Cards handed out are frozen: no caller can change what the next one is given.
 */
export function memoByView<V, C extends object>(build: (view: V) => C, max = 32): (view: V) => C {
  const recent = new Map<string, C>();
  return (view) => {
    const key = JSON.stringify(view);
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

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
