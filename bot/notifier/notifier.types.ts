import type { CloudAdapter, ConversationReference } from 'botbuilder';
import type { Logger } from '../../services/logger';
import type { TeamsPacer } from './teams-pacer';

/** What the workflow wants to show; the notifier turns it into a Teams activity that fits. */
export interface OutgoingMessage {
  /** Adaptive Card 1.5 body; its builder keeps it ≤ 40 KB (UTF-16). */
  card?: Record<string, unknown>;
  /** Plain text (shown above the card when both are given). */
  text?: string;
  /** One line for notifications and for the plain-text fallback when nothing else fits. */
  summary: string;
  /** People to @mention; `<at>name</at>` must appear verbatim in `text` or in the card. */
  mentions?: readonly Mention[];
  /**
   * Called when the activity is over the size budget (or Teams answered 413): returns a smaller
   * message (fewer log lines, no chart) or undefined when nothing more can go.
   */
  shrink?: () => OutgoingMessage | undefined;
}

export interface Mention {
  /** Teams user id (29:...), Entra object id or UPN. */
  id: string;
  name: string;
}

export interface Notifier {
  /** New message in a conversation (proactive). Resolves with the activity id Teams assigned. */
  send(conversationId: string, message: OutgoingMessage): Promise<string>;
  /**
   * Replace an existing bot message in place. Coalesced: an update of the same activity that has
   * not started yet (or is waiting to retry) takes the newer state, so the latest state always
   * wins and always arrives; earlier callers resolve when that newer state has landed.
   */
  update(conversationId: string, activityId: string, message: OutgoingMessage): Promise<void>;
  /** Resolves when every queue is empty (tests, shutdown). Never rejects. */
  drain(): Promise<void>;
  /** Refuses new work, then drains. */
  close(): Promise<void>;
  /** Counters per conversation, for tests and diagnostics. */
  metrics(conversationId: string): ConversationMetrics;
}

export interface ConversationMetrics {
  /** Messages delivered (POST answered 2xx). */
  sends: number;
  /** Updates delivered (PUT answered 2xx). */
  updates: number;
  /** HTTP attempts, retries included. */
  attempts: number;
  /** Backoff retries after 429/412/5xx. */
  retries: number;
  /** Update requests folded into a newer state instead of being sent. */
  coalesced: number;
  /** shrink() calls (size budget or 413). */
  shrinks: number;
  /** Messages replaced by the plain-text fallback. */
  fallbacks: number;
  /** Requests rejected with an error. */
  failures: number;
  /** Most requests of this conversation in flight at once (1 by design). */
  maxInFlight: number;
}

export interface ConversationReferences {
  get(conversationId: string): Promise<ConversationReference | undefined>;
}

export interface NotifierDeps {
  adapter: CloudAdapter;
  /** MicrosoftAppId; '' when auth is off (sandbox). */
  appId: string;
  references: ConversationReferences;
  logger: Logger;
  /** Retries after the first attempt for 429/412/502/503/504; default 5. */
  maxRetries?: number;
  /** Default 1000 ms. */
  baseDelayMs?: number;
  /** Cap for computed backoff and for Retry-After; default 60_000 ms. */
  maxDelayMs?: number;
  /** Activity budget in UTF-16 bytes; default 80_000 (Teams rejects ~100 KB). */
  sizeBudgetBytes?: number;
  /** Jitter source, injectable for tests. */
  random?: () => number;
  /** Paces every call to Teams' rate limits; its clock also times the backoff. One per app (default: Teams' windows, system clock). */
  pacer?: TeamsPacer;
}
