/**
 * Freezes a value and everything it holds, so that an object handed to many readers (the
 * configuration, a memoized card, a run shared by read-only turns) cannot be changed by one of
 * them for the others: a write throws in strict mode. Stops at objects already frozen.
 */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
