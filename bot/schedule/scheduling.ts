import type { AppConfig } from '../../services/config/config';
import type { Logger } from '../../services/logger';
import { ScheduleService } from '../../services/schedule/schedule.service';
import type { SqliteStore } from '../../services/store/sqlite.store';
import type { RunStore } from '../../services/workflow/run-store';
import type { ScheduleStore } from '../../services/schedule/schedule.store';
import type { RunEngine } from '../../services/workflow/run-engine';
import { durationText } from '../../services/workflow/transitions';
import type { Notifier } from '../notifier';

export interface Scheduling {
  service: ScheduleService;
  start(): void;
  stop(): Promise<void>;
}

/** How often due schedules are checked (cron has minute resolution). */
const CHECK_EVERY_MS = 20_000;

/**
 * Wires the retraining schedules: config-declared ones are written to the store (config as code
 * wins over an edit by /schedule for the same model), a timer starts due runs, and each start is
 * announced in the schedule's conversation and the model's subscribed conversations, saying when
 * it is late (the bot was down at the due time).
 */
export async function startScheduling(deps: { config: Readonly<AppConfig>; store: SqliteStore; /** The shared runs and subscriptions (default store.runs). */ runs?: RunStore; /** The shared schedules (default store.schedules). */ schedules?: ScheduleStore; engine: RunEngine; notifier: Notifier; logger: Logger }): Promise<Scheduling> {
  const logger = deps.logger.child({ component: 'schedule' });
  const service: ScheduleService = new ScheduleService({
    store: deps.schedules ?? deps.store.schedules,
    runs: deps.runs ?? deps.store.runs,
    engine: deps.engine,
    models: Object.keys(deps.config.mlops.models),
    now: Date.now,
    logger,
    onStarted: ({ schedule, run, due, lateByMs }) => {
      const late = lateByMs > 0 ? ` It is late by ${durationText(lateByMs)}: the bot was not running at ${new Date(due).toISOString().replace('T', ' ').slice(0, 16)} UTC; missed occurrences are not repeated.` : '';
      const text = `\u23f0 Scheduled retraining of ${schedule.model} ("${schedule.cron}", ${schedule.timeZone}) started as run ${run.id}, requested by ${schedule.owner.name}.${late}`;
      void (async () => {
        const targets = new Set([schedule.conversationId]);
        for (const sub of await (deps.runs ?? deps.store.runs).listSubscriptions(schedule.model)) if (sub.model === schedule.model || !sub.model.includes(':')) targets.add(sub.conversationId);
        for (const c of targets) {
          try {
            await deps.notifier.send(c, { text, summary: `Scheduled run ${run.id} of ${schedule.model}${lateByMs > 0 ? ' (late)' : ''}` });
          } catch (error) {
            logger.warn('could not announce a scheduled run', { conversationId: c, runId: run.id, error });
          }
        }
      })();
    },
  });
  for (const s of deps.config.mlops.schedules) {
    const stored = await (deps.schedules ?? deps.store.schedules).get(s.model);
    if (stored && stored.cron === s.cron && stored.timeZone === s.timeZone && stored.owner.id === s.owner.id) continue;
    await service.set(s.model, s.cron, s.timeZone, s.owner, s.conversationId);
  }
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<unknown> | undefined;
  const tick = (): void => {
    ticking ??= service
      .tick()
      .catch((error: unknown) => logger.error('schedule tick failed', { error }))
      .finally(() => {
        ticking = undefined;
      });
  };
  return {
    service,
    start: () => {
      timer = setInterval(tick, CHECK_EVERY_MS);
      tick();
    },
    stop: async () => {
      if (timer) clearInterval(timer);
      await ticking;
    },
  };
}
