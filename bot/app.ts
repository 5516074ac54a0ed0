import {
  MessageFactory,
  type ConfigurationBotFrameworkAuthenticationOptions,
  type TurnContext,
} from 'botbuilder';
import { randomUUID } from 'node:crypto';
import { createServiceClients } from '../services/clients';
import type { AppConfig } from '../services/config/config';
import type { Logger } from '../services/logger';
import type { SqliteStore } from '../services/store/sqlite.store';
import { openStateStores } from '../services/store/open-state-store';
import type { Store } from '../services/store/store';
import type { RunStore } from '../services/workflow/run-store';
import type { Leadership } from '../services/store/leadership';
import type { RunEngine } from '../services/workflow/run-engine';
import { createAuthorizer, createRunEngine, createTracker } from '../services/workflow/workflow';
import type { Tracker } from '../services/workflow/tracker';
import { createCommandRegistry } from './commands';
import { RunCardWriter } from './run-card.writer';
import { TeamsApproverDirectory } from './approver-directory';
import { Dispatcher } from './dispatcher';
import { createNotifier, storeReferences, type Notifier } from './notifier';
import { AuthenticationConstants } from 'botframework-connector';
import { CallerIdConstants } from 'botbuilder';
import { CheckedCloudAdapter } from './http/checked-adapter';
import { ReusedClientsAuthentication } from './http/reused-clients';
import { createBotServer, type BotServer, type HttpLimits } from './server';
import { TeamsBot } from './teams-bot';
import { createWebhookHandlers } from './webhooks';
import type { RouteKit } from './dashboard/dashboard-routes';
import { registerDashboard } from './dashboard/dashboard-wiring';
import { SsoValidator } from './dashboard/sso-validator';
import { dashboardLink, type DashboardLinks } from './dashboard/deep-link';
import { startWatching, type Watching } from './watch/watching';
import { startScheduling, type Scheduling } from './schedule/scheduling';
import { ApprovalReminders } from './reminders/approval-reminders';
import { subscriptionTarget } from '../services/watch/watch.types';
import { scheduleWarmUp } from './warm-up';
import { CARD_TEMPLATES } from '../cards/card-templates';
import { precompile } from '../cards/render';

/**
 * The warm-up starts this long after the bot listens: after the platform's first health probe
 * (answered within milliseconds of listening), before the first user is likely to click.
 */
const WARM_UP_DELAY_MS = 1_000;

export interface RunningBot {
  url: string;
  server: BotServer;
  /** Watch reports, schedules, reminder marks (SQLite); with STATE_STORE=sqlite also everything below. */
  store: SqliteStore;
  /** Runs and conversations: the same SQLite store, or the Azure table every instance shares. */
  shared: Store & { runs: RunStore };
  leadership: Leadership;
  engine: RunEngine;
  tracker: Tracker;
  notifier: Notifier;
  watching: Watching;
  scheduling: Scheduling;
  reminders: ApprovalReminders;
  dispatcher: Dispatcher;
  stop(): Promise<void>;
}

/**
 * Builds everything from a validated config and wires it. The entry file (index.ts) calls this
 * with process.env; the sandbox launcher and the tests call it with their own config.
 */
export async function startBot(config: Readonly<AppConfig>, logger: Logger, listen: { host?: string; port?: number; httpLimits?: Partial<HttpLimits>; routes?: Array<(kit: RouteKit) => void>; warmUpDelayMs?: number } = {}): Promise<RunningBot> {
  const clients = createServiceClients(config, logger);
  const { shared, local: store, leadership, sender, marks, schedules, watch } = await openStateStores(config, clients.credential, logger);
  // One ConnectorClient per service URL for every turn, instead of one built per turn (issue 13).
  const botFrameworkAuth = new ReusedClientsAuthentication(botAuthSettings(config));
  const adapter = new CheckedCloudAdapter(botFrameworkAuth);
  adapter.onTurnError = async (ctx: TurnContext, error: Error) => {
    // The one error boundary: the whole error goes to the log, the user gets a sentence and a reference.
    const reference = randomUUID().slice(0, 8);
    logger.error('turn failed', { reference, error, activityType: ctx.activity.type, conversation: ctx.activity.conversation?.id });
    if (ctx.activity.type === 'message') {
      await ctx.sendActivity(MessageFactory.text(`Sorry, something went wrong on my side. Nothing was changed. (reference ${reference})`));
    }
  };

  const appId = config.botAuth?.appId ?? '';
  const notifier = createNotifier({ adapter, appId, references: storeReferences(shared), logger });
  const auth = createAuthorizer(config, clients, logger);
  const approvers = new TeamsApproverDirectory({ conversations: shared, adapter, appId, auth, logger });
  // "Open in dashboard": a Teams deep link; in the sandbox (no Teams app id), the sandbox's Teams host page on this server.
  const own: { url?: string } = {};
  const links = (): DashboardLinks | undefined =>
    config.teamsAppId ? { kind: 'teams', appId: config.teamsAppId } : config.sandboxMode && own.url ? { kind: 'sandbox', hostPageUrl: `${own.url}/sandbox/teams-host?user=megan` } : undefined;
  const dashboardLinkOf = (runId: string): string | undefined => {
    const l = links();
    return l ? dashboardLink(l, runId) : undefined;
  };
  const cards = new RunCardWriter({ runs: shared.runs, models: config.mlops.models, now: Date.now, dashboardLink: dashboardLinkOf });
  const dispatcher = new Dispatcher({ runs: shared.runs, conversations: shared, notifier, approvers, auth, logger, admins: config.mlops.roles.admins, cards, leading: () => leadership.held() });
  // With several instances only the leader announces (one dispatcher); the others' transitions reach it within a poll interval.
  const wake = (): void => {
    if (!leadership.held()) return;
    dispatcher.nudge().catch((error: unknown) => logger.warn('dispatch failed', { error }));
  };
  // The bot's own training runs carry its Databricks notification destination (once known) for on_start/on_success/on_failure.
  const destinations: string[] = config.mlops.watch.webhooks.databricksDestinationId ? [config.mlops.watch.webhooks.databricksDestinationId] : [];
  const engine = createRunEngine(config, clients, shared.runs, logger, { onPersisted: wake, auth, webhookDestinationIds: destinations, ...(sender ? { sender } : {}) });
  const tracker = createTracker(config, clients, engine, shared.runs, logger);

  // Runs the bot did not start (issue 10): reports, their cards, the poller and the webhook subscriptions.
  const watching = startWatching({ config, clients, store, watch, leads: () => leadership.held(), runs: shared.runs, auth, notifier, people: approvers, logger, destinations });

  const scheduling = await startScheduling({ config, store, runs: shared.runs, schedules, engine, notifier, logger });
  const reminders = new ApprovalReminders({ runs: shared.runs, conversations: shared, marks, notifier, approvers, admins: config.mlops.roles.admins, remindBeforeMs: config.mlops.reminders.approvalBefore, logger: logger.child({ component: 'reminders' }) });

  const registry = createCommandRegistry();
  const bot = new TeamsBot({ config, registry, auth, store: shared, logger, workflow: { config, auth, engine, runs: shared.runs, approvers, cards, now: Date.now, watch: watching.service, schedules: scheduling.service } });
  const cdPipelines = new Map(Object.entries(config.mlops.models).flatMap(([name, m]) => (m.cd ? [[m.cd.azureDevOpsPipelineId, name] as const] : [])));
  const webhooks = createWebhookHandlers({ secret: config.webhookSecret, cdPipelines, runs: shared.runs, engine, logger, watch: watching.service });
  // Subscriptions declared in mlops.config.yaml join those made with /subscribe.
  for (const sub of config.mlops.subscriptions) {
    for (const model of sub.models) await shared.runs.putSubscription({ conversationId: sub.conversationId, model, events: [...sub.events] });
    for (const p of sub.pipelines) await shared.runs.putSubscription({ conversationId: sub.conversationId, model: subscriptionTarget('azure-devops', String(p)), events: [...sub.events] });
    for (const j of sub.jobs) await shared.runs.putSubscription({ conversationId: sub.conversationId, model: subscriptionTarget('databricks', String(j)), events: [...sub.events] });
  }
  const readiness = async (): Promise<Record<string, unknown>> => ({ outbox: { parked: (await shared.runs.parkedOutbox(0)).count }, leads: leadership.held() });
  // The dashboard tab and its API: the same store, engine and roles as the chat.
  const sso = config.tabSso ? new SsoValidator(config.tabSso) : undefined;
  const dashboard = (kit: RouteKit): void =>
    registerDashboard(kit, { sso, runs: shared.runs, engine, auth, config: config.mlops, aci: clients.aci, conversations: shared, members: approvers, schedules: scheduling.service, now: Date.now });
  const server = createBotServer({
    adapter,
    bot,
    logger,
    isReady: () => store.ready() && shared.ready(),
    readiness,
    authRequired: !!config.botAuth,
    webhooks,
    routes: [dashboard, ...(listen.routes ?? [])],
    ...(listen.httpLimits ? { limits: listen.httpLimits } : {}),
  });
  const url = await server.listen(listen.port ?? config.port, listen.host ?? '0.0.0.0');
  own.url = url;
  // What the first Approve clicks would wait for (bot/warm-up.ts): the card templates' compiles and the ACI package.
  const warming = scheduleWarmUp(
    [...CARD_TEMPLATES.map((t) => ({ name: 'card template', run: () => precompile(t) })), { name: 'ACI client', run: () => clients.aci?.warm() }],
    { delayMs: listen.warmUpDelayMs ?? WARM_UP_DELAY_MS, logger, busy: () => server.inFlight > 0 },
  );

  // The tracker: polls every unfinished run (after a restart, this resumes them) and retries announcements.
  let ticking: Promise<void> | undefined;
  const tick = (): void => {
    if (ticking || !leadership.held()) return;
    // The announcements are woken, not awaited: a pass paced to Teams' limits can take minutes,
    // and polling must not wait for it.
    ticking = tracker
      .tick()
      .then(wake)
      .then(async () => {
        await reminders.check();
      })
      .catch((error: unknown) => logger.error('tracker pass failed', { error }))
      .finally(() => {
        ticking = undefined;
      });
  };
  const timer = setInterval(tick, config.pollIntervalMs);
  // Several instances: a transition taken on another one reaches the leader's dispatcher only through the store, so it looks every 2 s.
  // External-run reports recorded on another instance (a webhook landed there) are announced by the leader the same way.
  const announceTimer =
    shared !== store
      ? setInterval(() => {
          wake();
          if (leadership.held()) watching.announcer.nudge().catch((error: unknown) => logger.warn('announcing external runs failed', { error }));
        }, Math.min(2000, config.pollIntervalMs))
      : undefined;
  // The leader (always this instance with SQLite) polls, announces, watches and fires schedules; a new leader starts at once.
  leadership.onChange((leading) => {
    if (leading) {
      tick();
      watching.start();
      scheduling.start();
    } else {
      Promise.all([watching.stop(), scheduling.stop()]).catch((error: unknown) => logger.warn('stopping the leader\'s work failed', { error }));
    }
  });
  leadership.start();

  return {
    url,
    server,
    store,
    shared,
    leadership,
    engine,
    tracker,
    notifier,
    watching,
    scheduling,
    reminders,
    dispatcher,
    stop: async () => {
      warming.cancel();
      clearInterval(timer);
      clearInterval(announceTimer);
      await server.close();
      await ticking;
      await leadership.stop();
      await watching.stop();
      await scheduling.stop();
      await notifier.close();
      await store.close();
      if (shared !== store) await shared.close();
    },
  };
}

function botAuthSettings(config: Readonly<AppConfig>): ConfigurationBotFrameworkAuthenticationOptions {
  if (!config.botAuth) return { MicrosoftAppId: '', MicrosoftAppPassword: '' };
  return {
    MicrosoftAppId: config.botAuth.appId,
    MicrosoftAppPassword: config.botAuth.appPassword ?? '',
    MicrosoftAppType: config.botAuth.appType,
    MicrosoftAppTenantId: config.botAuth.tenantId ?? '',
    ...(config.botAuth.openIdMetadataUrl ? publicCloudWithKeysFrom(config.botAuth.openIdMetadataUrl) : {}),
  };
}

/**
 * Setting any endpoint makes botframework-connector's factory build a ParameterizedBotFrameworkAuthentication
 * from the given values alone (BotFrameworkAuthenticationFactory.create): an issuer left out would
 * then be undefined and every token refused. So the public cloud's values are named in full and
 * only the signing keys' address changes.
 */
function publicCloudWithKeysFrom(metadataUrl: string): Partial<ConfigurationBotFrameworkAuthenticationOptions> {
  return {
    ValidateAuthority: true,
    ToChannelFromBotLoginUrl: AuthenticationConstants.ToChannelFromBotLoginUrl,
    ToChannelFromBotOAuthScope: AuthenticationConstants.ToChannelFromBotOAuthScope,
    ToBotFromChannelTokenIssuer: AuthenticationConstants.ToBotFromChannelTokenIssuer,
    OAuthUrl: AuthenticationConstants.OAuthUrl,
    ToBotFromEmulatorOpenIdMetadataUrl: AuthenticationConstants.ToBotFromEmulatorOpenIdMetadataUrl,
    CallerId: CallerIdConstants.PublicAzureChannel,
    ToBotFromChannelOpenIdMetadataUrl: metadataUrl,
  };
}
