import type { Clock } from '../../bot/notifier';

/**
 * A clock whose time moves only when someone sleeps: the earliest sleeper is woken on the next
 * turn of the event loop and time jumps to its deadline. Minutes of paced traffic take no real
 * time, and every reading of now() is monotonic, which is all the pacer and the fake connector
 * rely on. Real I/O (loopback HTTP) still runs while time jumps: that only makes answers look
 * slower, never faster, than they were.
 */
export class VirtualClock implements Clock {
  private t: number;
  private timers: Array<{ at: number; seq: number; resolve: () => void }> = [];
  private seq = 0;
  private scheduled = false;

  constructor(start = Date.parse('2026-11-26T10:00:00Z')) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, resolve });
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const next = this.timers.shift();
      if (!next) return;
      this.t = Math.max(this.t, next.at);
      next.resolve();
      if (this.timers.length > 0) this.schedule();
    });
  }
}
