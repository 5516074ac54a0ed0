import type { Logger } from '../logger';

/**
 * Whether this instance does the shared background work (the tracker's polling, the outbox
 * dispatcher, reminders, watching, schedules). With SQLite there is one instance and it always
 * leads; with a shared store a lease decides, and a dead leader is replaced within one term.
 */
export interface Leadership {
  held(): boolean;
  /** Called with true when this instance becomes the leader and false when it stops being it. */
  onChange(fn: (leading: boolean) => void): void;
  start(): void;
  stop(): Promise<void>;
}

export const soleInstance: Leadership = {
  held: () => true,
  onChange: (fn) => fn(true),
  start: () => undefined,
  stop: async () => undefined,
};

/** A lease kept by renewing it every third of its term. */
export function leaseLeadership(lease: { held(): boolean; acquire(): Promise<boolean>; release(): Promise<void>; ttlMs: number; holder: string }, logger: Logger): Leadership {
  const listeners: Array<(leading: boolean) => void> = [];
  let leading = false;
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<void> | undefined;
  const set = (now: boolean): void => {
    if (now === leading) return;
    leading = now;
    logger.info(now ? 'this instance now leads the shared work' : 'this instance no longer leads the shared work', { holder: lease.holder });
    for (const fn of listeners) fn(now);
  };
  const tick = (): void => {
    if (pass) return;
    pass = lease
      .acquire()
      .then((won) => set(won && lease.held()))
      .catch((error: unknown) => {
        // The store is unreachable: stop leading once the term we hold runs out.
        logger.warn('lease renewal failed', { error });
        set(lease.held());
      })
      .finally(() => {
        pass = undefined;
      });
  };
  return {
    held: () => leading && lease.held(),
    onChange: (fn) => listeners.push(fn),
    start: () => {
      timer = setInterval(tick, Math.max(500, Math.floor(lease.ttlMs / 3)));
      tick();
    },
    stop: async () => {
      if (timer) clearInterval(timer);
      await pass;
      set(false);
      await lease.release();
    },
  };
}
