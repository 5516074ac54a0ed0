/**
 * Paces calls to the Bot Connector ahead of time, so Teams never has to answer 429: every call
 * waits until one more fits in each of Teams' published windows (shared/teams-platform.md §1,
 * msteams-docs bots/how-to/rate-limit.md): per bot per thread 7 in 1 s, 8 in 2 s, 60 in 30 s,
 * 1,800 in an hour; per app per tenant 50 a second.
 *
 * Why not a library: bottleneck (last release 2019) and rate-limiter-flexible count fixed windows
 * (a reservoir or points that reset), limiter and @sapphire/ratelimits are token buckets: each
 * lets through twice a limit across a window edge (7 at 0.9 s and 7 at 1.1 s), which a sliding
 * count such as Teams' answers with 429; none takes several windows at once nor a clock a test
 * can drive. This is a sliding-window log, a few dozen lines.
 *
 * Soundness: a call counts from its start (in flight) and is stamped when its answer came back,
 * which is never before Teams received it; so at any moment the calls Teams counts in a window
 * ending at a new call's arrival are among those this log counts when that call starts.
 */

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RateWindow {
  ms: number;
  limit: number;
}

/** Send/update per bot per thread (a 1:1 chat, a group chat or a channel). */
export const TEAMS_THREAD_WINDOWS: readonly RateWindow[] = [
  { ms: 1_000, limit: 7 },
  { ms: 2_000, limit: 8 },
  { ms: 30_000, limit: 60 },
  { ms: 3_600_000, limit: 1_800 },
];
/** All calls of the app in one tenant. */
export const TEAMS_APP_WINDOWS: readonly RateWindow[] = [{ ms: 1_000, limit: 50 }];

/** The calls of one scope (a thread, or the whole app): stamps of finished calls, and those in flight. */
class SlidingLog {
  private stamps: number[] = [];
  inFlight = 0;
  private readonly horizon: number;

  constructor(private readonly windows: readonly RateWindow[]) {
    this.horizon = Math.max(...windows.map((w) => w.ms));
  }

  /**
   * The earliest time from `now` at which one more call fits every window, or undefined when the
   * calls in flight alone fill a window (only an answer can free a place then).
   */
  nextSlot(now: number): number | undefined {
    this.prune(now);
    let at = now;
    for (const w of this.windows) {
      if (this.inFlight >= w.limit) return undefined;
      // Windows are taken as closed, [at - ms, at]: a call exactly one window earlier still counts
      // (the docs do not say which; the stricter reading is the safe one).
      const first = lowerBound(this.stamps, at - w.ms);
      const inWindow = this.stamps.length - first;
      const excess = inWindow + this.inFlight + 1 - w.limit;
      // The oldest `excess` stamps of the window must leave it first.
      if (excess > 0) at = Math.max(at, (this.stamps[first + excess - 1] ?? at) + w.ms + 1);
    }
    return at;
  }

  finish(at: number): void {
    this.inFlight -= 1;
    // Answers come back in any order; keep the log sorted for the window counts.
    let i = this.stamps.length;
    while (i > 0 && (this.stamps[i - 1] ?? 0) > at) i -= 1;
    this.stamps.splice(i, 0, at);
  }

  get idle(): boolean {
    return this.inFlight === 0 && this.stamps.length === 0;
  }

  prune(now: number): void {
    const keep = lowerBound(this.stamps, now - this.horizon);
    if (keep > 0) this.stamps.splice(0, keep);
  }
}

/** Index of the first stamp >= value (stamps are sorted). */
function lowerBound(stamps: readonly number[], value: number): number {
  let lo = 0;
  let hi = stamps.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((stamps[mid] ?? 0) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface PacerOptions {
  clock?: Clock;
  thread?: readonly RateWindow[];
  app?: readonly RateWindow[];
}

export interface PacerStats {
  /** Calls that had to wait for a place. */
  delayed: number;
  /** Total time waited, in clock ms. */
  waitedMs: number;
}

export class TeamsPacer {
  readonly clock: Clock;
  private readonly threadWindows: readonly RateWindow[];
  private readonly app: SlidingLog;
  private readonly threads = new Map<string, SlidingLog>();
  private released: { promise: Promise<void>; resolve: () => void } | undefined;
  readonly stats: PacerStats = { delayed: 0, waitedMs: 0 };

  constructor(o: PacerOptions = {}) {
    this.clock = o.clock ?? SYSTEM_CLOCK;
    this.threadWindows = o.thread ?? TEAMS_THREAD_WINDOWS;
    this.app = new SlidingLog(o.app ?? TEAMS_APP_WINDOWS);
  }

  /**
   * Waits until one more call to this thread fits every window, then counts it in flight.
   * Call the returned function when its answer (any answer, 429 included) has come back.
   */
  async acquire(threadId: string): Promise<() => void> {
    const thread = this.threadLog(threadId);
    const start = this.clock.now();
    for (;;) {
      const now = this.clock.now();
      const a = thread.nextSlot(now);
      const b = this.app.nextSlot(now);
      if (a !== undefined && b !== undefined && Math.max(a, b) <= now) break;
      if (a === undefined || b === undefined) await this.nextRelease();
      else await this.clock.sleep(Math.max(a, b) - now);
    }
    const waited = this.clock.now() - start;
    if (waited > 0) {
      this.stats.delayed += 1;
      this.stats.waitedMs += waited;
    }
    thread.inFlight += 1;
    this.app.inFlight += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const at = this.clock.now();
      thread.finish(at);
      this.app.finish(at);
      const r = this.released;
      this.released = undefined;
      r?.resolve();
    };
  }

  private threadLog(threadId: string): SlidingLog {
    let log = this.threads.get(threadId);
    if (!log) {
      // Threads quiet for an hour hold nothing: drop them so the map does not grow forever.
      if (this.threads.size > 1_000) {
        const now = this.clock.now();
        for (const [id, l] of this.threads) {
          l.prune(now);
          if (l.idle) this.threads.delete(id);
        }
      }
      log = new SlidingLog(this.threadWindows);
      this.threads.set(threadId, log);
    }
    return log;
  }

  private nextRelease(): Promise<void> {
    if (!this.released) {
      let resolve = (): void => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      this.released = { promise, resolve };
    }
    return this.released.promise;
  }
}
