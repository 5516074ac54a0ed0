import type { ConversationReference, TurnContext } from 'botbuilder';
import { backoffDelayMs, type RetryOptions } from '../../services/http/retry';
import { ConversationQueue, type Job } from './conversation-queue';
import { fallbackMessage, fitActivity } from './outgoing-activity';
import type { ConversationMetrics, Notifier, NotifierDeps, OutgoingMessage } from './notifier.types';
import { describeFailure, notifierClosed, RETRYABLE_TEAMS_STATUSES, toServiceError, unknownConversation, type TeamsFailure } from './teams-failure';
import { ownRetries } from './connector-retries';
import { TeamsPacer } from './teams-pacer';

export const NOTIFIER_DEFAULTS = { maxRetries: 5, baseDelayMs: 1_000, maxDelayMs: 60_000, sizeBudgetBytes: 80_000 } as const;

/**
 * Proactive sends and in-place card updates that keep Teams' limits: paced ahead of time to
 * Teams' published windows (teams-pacer.ts), one request in flight per conversation, coalesced updates, jittered backoff on 429 (with or without Retry-After) and
 * 412/5xx, messages kept under the size budget. The only retry policy on these calls is this
 * one: the connector client's own is removed per call, so attempts and waits are ours to count.
 */
export function createNotifier(deps: NotifierDeps): Notifier {
  const retry: RetryOptions = {
    maxRetries: deps.maxRetries ?? NOTIFIER_DEFAULTS.maxRetries,
    baseDelayInMs: deps.baseDelayMs ?? NOTIFIER_DEFAULTS.baseDelayMs,
    maxDelayInMs: deps.maxDelayMs ?? NOTIFIER_DEFAULTS.maxDelayMs,
  };
  const budget = deps.sizeBudgetBytes ?? NOTIFIER_DEFAULTS.sizeBudgetBytes;
  const random = deps.random ?? Math.random;
  const pacer = deps.pacer ?? new TeamsPacer();
  const log = deps.logger.child({ component: 'notifier' });
  const queues = new Map<string, ConversationQueue>();
  const counters = new Map<string, ConversationMetrics & { inFlight: number }>();
  let closed = false;

  const metricsOf = (conversationId: string): ConversationMetrics & { inFlight: number } => {
    let m = counters.get(conversationId);
    if (!m) {
      m = { sends: 0, updates: 0, attempts: 0, retries: 0, coalesced: 0, shrinks: 0, fallbacks: 0, failures: 0, maxInFlight: 0, inFlight: 0 };
      counters.set(conversationId, m);
    }
    return m;
  };

  const enqueue = (conversationId: string, kind: Job['kind'], activityId: string | undefined, message: OutgoingMessage): Promise<string> => {
    if (closed) return Promise.reject(notifierClosed(kind));
    let queue = queues.get(conversationId);
    if (!queue) {
      queue = new ConversationQueue((job) => runJob(conversationId, job));
      queues.set(conversationId, queue);
    }
    const { promise, coalesced } = queue.push(kind, activityId, message);
    if (coalesced) metricsOf(conversationId).coalesced += 1;
    return promise;
  };

  async function runJob(conversationId: string, job: Job): Promise<string> {
    const m = metricsOf(conversationId);
    try {
      const reference = await deps.references.get(conversationId);
      if (!reference) throw unknownConversation(job.kind, conversationId);
      return await deliver(conversationId, reference, job, m);
    } catch (err) {
      m.failures += 1;
      throw err;
    }
  }

  async function deliver(conversationId: string, reference: Partial<ConversationReference>, job: Job, m: ConversationMetrics & { inFlight: number }): Promise<string> {
    let retries = 0;
    let attempts = 0;
    let shrunkFor413 = false;
    for (;;) {
      // Wait for a place in Teams' windows before taking the message: meanwhile the job is still
      // queued, so newer states of the same card fold into it and only the latest is sent.
      const release = await pacer.acquire(conversationId);
      let fitted: ReturnType<typeof fitActivity>;
      try {
        fitted = fitActivity(job.message, reference, budget);
      } catch (err) {
        release();
        throw err;
      }
      m.shrinks += fitted.shrinkSteps;
      if (fitted.shrinkSteps > 0 || fitted.fallback) {
        if (fitted.fallback) m.fallbacks += 1;
        log.warn('message over the size budget', { conversationId, kind: job.kind, shrinkSteps: fitted.shrinkSteps, fallback: fitted.fallback, utf16Bytes: fitted.utf16Bytes, budget });
      }
      if (fitted.droppedMentions.length > 0) log.warn('mention not found in the message text or card; left out', { conversationId, count: fitted.droppedMentions.length });

      job.state = 'sending';
      job.sentVersion = job.version;
      m.inFlight += 1;
      m.maxInFlight = Math.max(m.maxInFlight, m.inFlight);
      m.attempts += 1;
      attempts += 1;
      let failure: TeamsFailure;
      try {
        const id = await transmit(reference, job, fitted.activity);
        if (job.kind === 'send') m.sends += 1;
        else m.updates += 1;
        return id;
      } catch (err) {
        failure = describeFailure(err);
      } finally {
        release();
        m.inFlight -= 1;
        job.state = 'waiting';
      }

      if (failure.status === 413 && !shrunkFor413) {
        // Teams measured more than we did: one step smaller (or the text fallback), once.
        shrunkFor413 = true;
        const smaller = fitted.message.shrink?.();
        m.shrinks += 1;
        job.message = smaller ?? fallbackMessage(job.message);
        log.warn('Teams refused the message as too large; retrying smaller', { conversationId, kind: job.kind, utf16Bytes: fitted.utf16Bytes, fallback: !smaller });
        continue;
      }
      const retryable = (failure.status !== undefined && RETRYABLE_TEAMS_STATUSES.has(failure.status)) || failure.network;
      if (retryable && retries < retry.maxRetries) {
        const delay = backoffDelayMs(retries, retry, failure.retryAfterMs, random);
        retries += 1;
        m.retries += 1;
        log.warn('Teams call throttled or failed; backing off', { conversationId, kind: job.kind, status: failure.status, code: failure.code, retry: retries, delayMs: delay, serverAsked: failure.retryAfterMs !== undefined });
        await pacer.clock.sleep(delay);
        continue;
      }
      const error = toServiceError(job.kind, conversationId, failure, attempts);
      log.error('Teams call failed', { conversationId, error });
      throw error;
    }
  }

  async function transmit(reference: Partial<ConversationReference>, job: Job, activity: ReturnType<typeof fitActivity>['activity']): Promise<string> {
    let id: string | undefined;
    let failed: { error: unknown } | undefined;
    // Errors are carried out of the callback by hand: with an onTurnError set, the adapter would
    // hand them to it and resolve, and the notifier would count a failure as delivered.
    await deps.adapter.continueConversationAsync(deps.appId, reference, async (ctx: TurnContext) => {
      try {
        ownRetries(ctx, deps.adapter);
        if (job.kind === 'send') {
          id = (await ctx.sendActivity(activity))?.id;
        } else {
          await ctx.updateActivity({ ...activity, id: job.activityId });
          id = job.activityId;
        }
      } catch (error) {
        failed = { error };
      }
    });
    if (failed) throw failed.error;
    if (!id) throw Object.assign(new Error('Teams accepted the message but returned no activity id'), { code: 'NoActivityId' });
    return id;
  }

  const drain = async (): Promise<void> => {
    for (;;) {
      const busy = [...queues.values()].filter((q) => !q.idle);
      if (busy.length === 0) return;
      await Promise.all(busy.map((q) => q.whenIdle()));
    }
  };

  return {
    send: (conversationId, message) => enqueue(conversationId, 'send', undefined, message),
    update: async (conversationId, activityId, message) => {
      await enqueue(conversationId, 'update', activityId, message);
    },
    drain,
    close: async () => {
      closed = true;
      await drain();
    },
    metrics: (conversationId) => {
      const { inFlight: _inFlight, ...m } = metricsOf(conversationId);
      return m;
    },
  };
}
