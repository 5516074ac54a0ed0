import type { Logger } from '../services/logger';

/** How soon a warm-up task that found requests under way looks again. */
const BUSY_RETRY_MS = 50;

export interface WarmUpTask {
  name: string;
  run(): void;
}

export interface WarmUp {
  /** Settles once every task ran (or the warm-up was canceled). */
  readonly done: Promise<void>;
  /** Tasks not yet run are dropped (the bot is stopping). */
  cancel(): void;
}

/**
 * Work the first requests would otherwise pay for (a card template's compile, a package's load),
 * done ahead of them while the bot is idle (issue 13: the first batch of Approve clicks waited
 * for the approval card's compile and the ACI package's load). It starts `delayMs` after the bot
 * listens, so that it never delays the first `/healthz`, runs one task per event-loop turn (a
 * request that arrives meanwhile waits for one task at most), and only while no request is under
 * way (`busy`). The timer does not hold the
 * process open. A task that fails is logged and the others still run; nothing depends on the
 * warm-up having run, it only makes a first use cheaper.
 */
export function scheduleWarmUp(tasks: readonly WarmUpTask[], o: { delayMs: number; logger: Logger; busy?: () => boolean; retryMs?: number }): WarmUp {
  let canceled = false;
  let timer: NodeJS.Timeout | undefined;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const step = (i: number): void => {
    const task = tasks[i];
    if (canceled || !task) return finish();
    // Requests under way go first: the task waits until none is (a synchronous task would hold them).
    if (o.busy?.()) {
      timer = setTimeout(() => step(i), o.retryMs ?? BUSY_RETRY_MS);
      timer.unref();
      return;
    }
    try {
      task.run();
    } catch (error) {
      o.logger.warn('warm-up task failed', { task: task.name, error });
    }
    setImmediate(() => step(i + 1));
  };
  timer = setTimeout(() => step(0), o.delayMs);
  timer.unref();
  return {
    done,
    cancel: () => {
      canceled = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      finish();
    },
  };
}
