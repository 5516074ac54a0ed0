import type { OutgoingMessage } from './notifier.types';

/**
 * One conversation's FIFO: at most one job runs at a time (Teams throttles per thread), jobs of
 * different conversations never wait for each other. Updates of the same activity coalesce: a
 * job that has not started, or that is waiting between retries, takes the newer message.
 */
export interface Job {
  kind: 'send' | 'update';
  /** The activity to replace (update only). */
  activityId: string | undefined;
  message: OutgoingMessage;
  /** 'sending' while an HTTP request carries this job's message; otherwise its message may still change. */
  state: 'queued' | 'sending' | 'waiting';
  /** Bumped each time a newer message is folded in. */
  version: number;
  /** The version the last attempt carried; the runner sets it when it picks up job.message. */
  sentVersion: number;
  waiters: Waiter[];
}

interface Waiter {
  version: number;
  resolve: (id: string) => void;
  reject: (err: unknown) => void;
}

export type RunJob = (job: Job) => Promise<string>;

export class ConversationQueue {
  private readonly jobs: Job[] = [];
  private pumping: Promise<void> | undefined;

  constructor(private readonly run: RunJob) {}

  get idle(): boolean {
    return this.jobs.length === 0 && this.pumping === undefined;
  }

  /** Resolves when this queue has run dry. */
  whenIdle(): Promise<void> {
    return this.pumping ?? Promise.resolve();
  }

  /** Enqueues a job, or folds an update into a pending one of the same activity (coalesced: true). */
  push(kind: Job['kind'], activityId: string | undefined, message: OutgoingMessage): { promise: Promise<string>; coalesced: boolean } {
    let job = kind === 'update' ? this.jobs.find((j) => j.kind === 'update' && j.activityId === activityId && j.state !== 'sending') : undefined;
    const coalesced = job !== undefined;
    if (job) {
      job.message = message;
      job.version += 1;
    } else {
      job = { kind, activityId, message, state: 'queued', version: 0, sentVersion: -1, waiters: [] };
      this.jobs.push(job);
    }
    const target = job;
    const promise = new Promise<string>((resolve, reject) => target.waiters.push({ version: target.version, resolve, reject }));
    // Deferred a microtask so `pumping` is set before the runner runs: a push from inside it must not start a second pump.
    this.pumping ??= Promise.resolve().then(() => this.pump());
    return { promise, coalesced };
  }

  private async pump(): Promise<void> {
    try {
      for (let job = this.jobs[0]; job; job = this.jobs[0]) {
        job.sentVersion = job.version;
        let outcome: { id: string } | { error: unknown };
        try {
          outcome = { id: await this.run(job) };
        } catch (error) {
          outcome = { error };
        }
        // A newer state can be folded in after the last attempt took its message but before this
        // line runs (the job was 'waiting' or between awaits): it has not been sent, so the job
        // goes again for those callers instead of resolving them with an older state.
        const sentVersion = job.sentVersion;
        const settled = job.waiters.filter((w) => w.version <= sentVersion);
        job.waiters = job.waiters.filter((w) => w.version > sentVersion);
        for (const w of settled) {
          if ('id' in outcome) w.resolve(outcome.id);
          else w.reject(outcome.error);
        }
        if (job.waiters.length > 0) job.state = 'queued';
        else this.jobs.shift();
      }
    } finally {
      this.pumping = undefined;
    }
  }
}
