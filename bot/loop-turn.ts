/**
 * Background work (announcing transitions) takes one piece per turn of the event loop, so that
 * requests waiting on their sockets (a click, a message) are served between two pieces instead
 * of after all of them. The store (better-sqlite3) is synchronous: awaiting it only runs
 * microtasks and never lets I/O in, so a pass over 100 runs rendered 100 cards in one go while
 * Approve clicks waited (issue 13).
 *
 * Each call resolves in its own `setImmediate` (check phase), scheduled only once the previous
 * caller's resolved, so between two callers the loop goes through its poll phase.
 */
let tail: Promise<void> = Promise.resolve();

export function nextLoopTurn(): Promise<void> {
  const turn = tail.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  tail = turn;
  return turn;
}
