/**
 * What Teams enforces, for the fake Bot Connector: every call is counted at its arrival, per
 * bot per thread and per app, in closed sliding windows (`[t - ms, t]`, the stricter reading:
 * the docs do not say), and a call past any limit is refused with 429 (counted too: "every bot
 * API call counts"). Written apart from bot/notifier/teams-pacer.ts on purpose: a test of the
 * pacer against its own arithmetic could not fail.
 * Source: msteams-docs bots/how-to/rate-limit.md, as summed up in shared/teams-platform.md §1.
 */
export interface LimitWindow {
  ms: number;
  limit: number;
}

export const THREAD_LIMITS: readonly LimitWindow[] = [
  { ms: 1_000, limit: 7 },
  { ms: 2_000, limit: 8 },
  { ms: 30_000, limit: 60 },
  { ms: 3_600_000, limit: 1_800 },
];
export const APP_LIMITS: readonly LimitWindow[] = [{ ms: 1_000, limit: 50 }];

export class TeamsLimits {
  private readonly perThread = new Map<string, number[]>();
  private readonly app: number[] = [];
  refused = 0;

  constructor(
    private readonly thread: readonly LimitWindow[] = THREAD_LIMITS,
    private readonly appWide: readonly LimitWindow[] = APP_LIMITS,
  ) {}

  /** Counts a call arriving at `at`; false when it is over a limit (answer 429). */
  admit(threadId: string, at: number): boolean {
    const calls = this.perThread.get(threadId) ?? [];
    this.perThread.set(threadId, calls);
    const over = (log: number[], windows: readonly LimitWindow[]): boolean => windows.some((w) => log.filter((t) => t >= at - w.ms && t <= at).length + 1 > w.limit);
    const ok = !over(calls, this.thread) && !over(this.app, this.appWide);
    calls.push(at);
    this.app.push(at);
    if (!ok) this.refused += 1;
    return ok;
  }
}
