/**
 * Waits until a condition holds, checking every `intervalMs` (default 1 ms, for conditions that
 * open a short window, e.g. "while the retry backs off"); fails with `what` after the deadline.
 * The deadline is a guard against hanging, never an assertion about speed.
 */
export async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, intervalMs = 1): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
