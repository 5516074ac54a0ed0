import type { WatchStore } from '../../services/watch/watch.store';
import type { Authorizer } from '../../services/auth/authorizer';
import type { ServiceClients } from '../../services/clients';
import type { AppConfig } from '../../services/config/config';
import type { Logger } from '../../services/logger';
import type { SqliteStore } from '../../services/store/sqlite.store';
import type { RunStore } from '../../services/workflow/run-store';
import { ensureWebhooks, type HookSetupResult } from '../../services/watch/hook-setup';
import { WatchPoller } from '../../services/watch/watch-poller';
import { WatchService } from '../../services/watch/watch.service';
import { watchTargets } from '../../services/watch/watch-targets';
import type { Notifier } from '../notifier';
import { WatchAnnouncer, type WatchAnnouncerDeps } from './watch-announcer';

export interface Watching {
  service: WatchService;
  poller: WatchPoller;
  announcer: WatchAnnouncer;
  /** Set once start-up subscription creation has run (when configured). */
  hooks: Promise<HookSetupResult | undefined>;
  /** One poll pass then one announce pass (tests call it instead of waiting for the timer). */
  pass(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

/** Wires external-run watching: service (webhooks and poller feed it), announcer, poll timer, hook setup. */
export function startWatching(deps: { config: Readonly<AppConfig>; clients: ServiceClients; store: SqliteStore; /** The shared watch reports (default store.watch). */ watch?: WatchStore; /** The shared runs and subscriptions (default store.runs; another with STATE_STORE=azure-table). */ runs?: RunStore; auth: Authorizer; notifier: Notifier; people: WatchAnnouncerDeps['people']; logger: Logger; /** Filled with the destination id once found or created. */ destinations?: string[]; /** Whether this instance announces (the leader; always with SQLite). */ leads?: () => boolean }): Watching {
  const { config, clients, store } = deps;
  const runs = deps.runs ?? store.runs;
  const watchStore = deps.watch ?? store.watch;
  const logger = deps.logger.child({ component: 'watch' });
  const w = config.mlops.watch;
  // The service tells the announcer about changes; the announcer reads the service: one is built first.
  const late: { announcer?: WatchAnnouncer } = {};
  const service = new WatchService({
    store: watchStore,
    runs,
    devops: clients.devops,
    databricks: clients.databricks,
    config: config.mlops,
    auth: deps.auth,
    now: Date.now,
    logger,
    onChange: () => {
      if (deps.leads && !deps.leads()) return; // the leader announces what another instance recorded
      late.announcer?.nudge().catch((error: unknown) => logger.warn('announcing external runs failed', { error }));
    },
  });
  const announcer = new WatchAnnouncer({ store: watchStore, service, notifier: deps.notifier, runs, models: config.mlops.models, people: deps.people, logger });
  late.announcer = announcer;
  const poller = new WatchPoller({ service, store: watchStore, devops: clients.devops, databricks: clients.databricks, now: Date.now, logger, maxListCalls: w.maxListCallsPerPass, lookbackMs: w.lookback });
  const a = announcer;
  let running: Promise<void> | undefined;
  const pass = (): Promise<void> => {
    running ??= poller
      .pass()
      .then(() => a.nudge())
      .catch((error: unknown) => logger.error('watch pass failed', { error }))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  let timer: NodeJS.Timeout | undefined;
  const hooks = (async (): Promise<HookSetupResult | undefined> => {
    if (!w.webhooks.create) return undefined;
    if (!w.webhooks.publicUrl || !config.webhookSecret) {
      logger.warn('watch.webhooks.create is set but publicUrl or WEBHOOK_SECRET is missing: no subscriptions were created (polling still runs)');
      return undefined;
    }
    // Jobs are named by id or by name (config and /subscribe --job); a name is resolved to every job of that name.
    const jobRefs = watchTargets(config.mlops, await runs.listSubscriptions()).filter((t) => t.source === 'databricks');
    const jobIds = new Set<number>();
    for (const t of jobRefs) {
      if (/^\d+$/.test(t.ref)) jobIds.add(Number(t.ref));
      else for (const j of (await clients.databricks?.findJobsByName(t.ref)) ?? []) jobIds.add(j.jobId);
    }
    const result = await ensureWebhooks({ devops: clients.devops, databricks: clients.databricks, publicUrl: w.webhooks.publicUrl, secret: config.webhookSecret, destinationName: w.webhooks.databricksDestinationName, jobIds: [...jobIds], logger });
    const id = result.databricks.destinationId;
    if (id && deps.destinations && !deps.destinations.includes(id)) deps.destinations.push(id);
    logger.info('webhook subscriptions checked', { devops: result.devops, databricks: result.databricks.destination, jobs: result.databricks.jobs });
    return result;
  })().catch((error: unknown) => {
    logger.error('creating webhook subscriptions failed', { error });
    return undefined;
  });
  return {
    service,
    poller,
    announcer: a,
    hooks,
    pass,
    start: () => {
      timer = setInterval(() => void pass(), w.pollEvery);
      void pass();
    },
    stop: async () => {
      if (timer) clearInterval(timer);
      await running;
      await hooks;
      await a.nudge();
    },
  };
}
