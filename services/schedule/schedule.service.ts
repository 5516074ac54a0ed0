import type { Principal } from '../auth/roles';
import type { Logger } from '../logger';
import type { RunEngine } from '../workflow/run-engine';
import type { RunStore } from '../workflow/run-store';
import type { RunRecord } from '../workflow/run.types';
import type { ScheduleRecord, ScheduleStore } from './schedule.store';
import { lazyPackage } from '../lazy-package';

/** Loaded at the first occurrence computed, not at start-up: with luxon ≈ 25 ms of a cold start (issue 13). */
const cronParser = lazyPackage<typeof import('cron-parser')>('cron-parser');

export interface ScheduleServiceDeps {
  store: ScheduleStore;
  runs: RunStore;
  engine: Pick<RunEngine, 'startTrain'>;
  models: readonly string[];
  now: () => number;
  logger: Logger;
  /** A scheduled run started (late or not): the bot tells the conversations. */
  onStarted: (e: { schedule: ScheduleRecord; run: RunRecord; due: string; lateByMs: number }) => void;
  /** Later than this after its due time, a start is "late" (the bot was down or busy). */
  lateAfterMs?: number;
}

export class ScheduleError extends Error {}

/**
 * Cron schedules of retraining, one per model, in a named IANA time zone. cron-parser computes
 * the occurrences (DST and zones included). Durable: the next due time is persisted; a due
 * occurrence is claimed (next_due moved past now, firing_due set) in one write before the run
 * starts, so a restart never doubles it, and a claim left by a crash is finished on the next
 * tick, so it is never skipped. Occurrences missed while the bot was down collapse into one
 * start, flagged late.
 */
export class ScheduleService {
  constructor(private readonly deps: ScheduleServiceDeps) {}

  /** The next occurrence strictly after `after` (throws ScheduleError naming the problem). */
  static next(cron: string, timeZone: string, after: number): Date {
    if (!Intl.supportedValuesOf('timeZone').includes(timeZone) && timeZone !== 'UTC') throw new ScheduleError(`"${timeZone}" is not an IANA time zone (e.g. Europe/Paris, UTC)`);
    if (cron.trim().split(/\s+/).length !== 5) throw new ScheduleError(`"${cron}" is not a 5-field cron expression (minute hour day month weekday), e.g. "0 2 * * *"`);
    try {
      return cronParser().CronExpressionParser.parse(cron, { tz: timeZone, currentDate: new Date(after) }).next().toDate();
    } catch (e) {
      throw new ScheduleError(`"${cron}" is not a valid cron expression: ${(e as Error).message}`);
    }
  }

  async list(): Promise<ScheduleRecord[]> {
    return this.deps.store.list();
  }

  async set(model: string, cron: string, timeZone: string, owner: Principal, conversationId: string): Promise<ScheduleRecord> {
    if (!this.deps.models.includes(model)) throw new ScheduleError(`There is no model "${model}".`);
    const now = this.deps.now();
    const nextDue = ScheduleService.next(cron, timeZone, now).toISOString();
    await this.deps.store.put({ model, cron, timeZone, owner: { id: owner.id, name: owner.name }, conversationId, nextDue }, new Date(now).toISOString());
    const saved = await this.deps.store.get(model);
    if (!saved) throw new Error('schedule not saved');
    return saved;
  }

  async remove(model: string): Promise<boolean> {
    return this.deps.store.remove(model);
  }

  /** Starts every due schedule once; `now` may be given (tests of downtime). */
  async tick(now = this.deps.now()): Promise<RunRecord[]> {
    const started: RunRecord[] = [];
    for (const s of await this.deps.store.list()) {
      try {
        if (s.firingDue) {
          const run = await this.finishClaim(s, s.firingDue, now);
          if (run) started.push(run);
          continue;
        }
        if (Date.parse(s.nextDue) > now) continue;
        const next = ScheduleService.next(s.cron, s.timeZone, now).toISOString();
        if (!(await this.deps.store.claim(s.model, s.nextDue, next))) continue;
        const run = await this.start({ ...s, nextDue: next, firingDue: s.nextDue }, s.nextDue, now);
        if (run) started.push(run);
      } catch (error) {
        this.deps.logger.error('scheduled run could not start; it is tried again on the next tick', { model: s.model, error });
      }
    }
    return started;
  }

  /** A claim a crash left: if its run exists (started by the owner after the due time), just record it. */
  private async finishClaim(s: ScheduleRecord, due: string, now: number): Promise<RunRecord | undefined> {
    const existing = (await this.deps.runs.listRuns({ model: s.model, requesterId: s.owner.id, limit: 20 })).find((r) => r.kind === 'train' && Date.parse(r.createdAt) >= Date.parse(due));
    if (existing) {
      await this.deps.store.fired(s.model, existing.id, new Date(now).toISOString());
      return undefined;
    }
    return this.start(s, due, now);
  }

  private async start(s: ScheduleRecord, due: string, now: number): Promise<RunRecord | undefined> {
    const result = await this.deps.engine.startTrain({ model: s.model, params: {}, requester: { id: s.owner.id, name: s.owner.name }, conversationId: s.conversationId });
    if (!result.ok) {
      // Refused (the owner lost the trainer role): recorded as fired so it is not retried every tick.
      this.deps.logger.warn('scheduled run refused', { model: s.model, owner: s.owner.id, refusal: result.refusal });
      await this.deps.store.fired(s.model, undefined, new Date(now).toISOString());
      return undefined;
    }
    await this.deps.store.fired(s.model, result.run.id, new Date(now).toISOString());
    const lateByMs = now - Date.parse(due);
    this.deps.onStarted({ schedule: s, run: result.run, due, lateByMs: lateByMs > (this.deps.lateAfterMs ?? 5 * 60_000) ? lateByMs : 0 });
    return result.run;
  }
}
