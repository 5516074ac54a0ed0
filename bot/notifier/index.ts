export { createNotifier, NOTIFIER_DEFAULTS } from './notifier';
export { storeReferences } from './store-references';
export { RETRYABLE_TEAMS_STATUSES } from './teams-failure';
export type { ConversationMetrics, ConversationReferences, Mention, Notifier, NotifierDeps, OutgoingMessage } from './notifier.types';
export { TeamsPacer, SYSTEM_CLOCK, TEAMS_APP_WINDOWS, TEAMS_THREAD_WINDOWS, type Clock, type RateWindow } from './teams-pacer';
