/**
 * Runs `tick` (which shows its own errors and never rejects) every `ms` while the tab is visible (a page left open all day costs nothing while
 * Teams shows another app), once at once when it becomes visible again; `stop()` ends it. Each
 * tick is a revalidation with the ETag the bot sent, so an unchanged page costs a 304.
 */
export function everyWhileVisible(ms: number, tick: () => Promise<void>): { stop: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const schedule = (): void => {
    if (stopped || document.hidden) return;
    timer = setTimeout(() => {
      void tick().finally(schedule);
    }, ms);
  };
  const onVisible = (): void => {
    if (document.hidden || stopped) return;
    if (timer) clearTimeout(timer);
    void tick().finally(schedule);
  };
  document.addEventListener('visibilitychange', onVisible);
  schedule();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    },
  };
}
