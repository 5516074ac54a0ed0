import { failureCard } from '../cards/failure.card';
import type { Authorizer } from '../services/auth/authorizer';
import type { Logger } from '../services/logger';
import { samePrincipal } from '../services/auth/principal';
import { adminChats } from './admin-chats';
import type { Store } from '../services/store/store';
import type { OutboxItem, OutboxRetryPolicy, RunStore } from '../services/workflow/run-store';
import { ServiceError } from '../services/http/errors';
import type { RunRecord } from '../services/workflow/run.types';
import type { ApproverDirectory } from './actions/card-action.handler';
import type { Notifier } from './notifier';
import { failureCardView, mentionable } from './views/run-views';
import { RunCardWriter } from './run-card.writer';
import { nextLoopTurn } from './loop-turn';

export interface DispatcherDeps {
  runs: RunStore;
  conversations: Store;
  notifier: Notifier;
  /** Who may approve a run: named on its approval card. */
  approvers: ApproverDirectory;
  auth: Authorizer;
  logger: Logger;
  now?: () => number;
  /** A run card the /train turn has not recorded yet is left to that turn for this long. */
  turnGraceMs?: number;
  /** Retries of a failing announcement before it is parked (default: 6 attempts, 30 s doubling to 30 min). */
  outboxPolicy?: OutboxRetryPolicy;
  /** Entries of `roles.admins`: told in their 1:1 chat with the bot when an announcement is parked. */
  admins?: readonly string[];
  /** The one writer of run cards (built from the store without environments when absent). */
  cards?: RunCardWriter;
  /** Whether this instance still announces (holds the leader lease); checked before each run of a pass. */
  leading?: () => boolean;
}

export const DEFAULT_OUTBOX_POLICY: OutboxRetryPolicy = { maxAttempts: 6, backoffMs: 30_000, maxBackoffMs: 30 * 60_000 };

/**
 * Announces persisted transitions: reads the outbox in order, renders each run's cards from its
 * current state (so the latest state always wins) and hands them to the notifier. An item is
 * completed only after Teams accepted it, so a crash re-announces rather than loses.
 */
export class Dispatcher {
  private pumping: Promise<void> | undefined;
  private again = false;

  private readonly cards: RunCardWriter;

  constructor(private readonly deps: DispatcherDeps) {
    this.cards = deps.cards ?? new RunCardWriter({ runs: deps.runs, now: deps.now ?? Date.now });
  }

  /** Wakes the dispatcher; concurrent calls fold into one more pass. */
  nudge(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again);
      } finally {
        this.pumping = undefined;
      }
    })();
    return this.pumping;
  }

  private async pass(): Promise<void> {
    const now = (this.deps.now ?? Date.now)();
    const items = await this.deps.runs.pendingOutbox(500, now);
    // What is announced must survive power loss: one fsync for every step the engine deferred (run-store SaveOptions).
    if (items.length) await this.deps.runs.flush?.();
    const byRun = new Map<string, OutboxItem[]>();
    for (const i of items) byRun.set(i.runId, [...(byRun.get(i.runId) ?? []), i]);
    await Promise.all(
      [...byRun.entries()].map(async ([runId, list]) => {
        // One run's cards per loop turn: clicks and messages are answered between them. A pass
        // spread over loop turns can outlive the lease: past it, the rest is the next leader's.
        await nextLoopTurn();
        if (this.deps.leading && !this.deps.leading()) return;
        try {
          await this.announce(runId, list);
        } catch (error) {
          await this.failed(runId, list, error);
        }
      }),
    );
  }

  /**
   * A failed announcement is retried with back-off, then parked: kept in the store, logged once,
   * counted in /readyz and told to the admins, so one unreachable conversation never holds the
   * rest of the outbox nor fills the log on every pass.
   */
  private async failed(runId: string, items: OutboxItem[], error: unknown): Promise<void> {
    const reason = error instanceof ServiceError ? error.describe() : error instanceof Error ? error.message : String(error);
    const parked = await this.deps.runs.failOutbox(items.map((i) => i.id), reason.slice(0, 500), this.deps.outboxPolicy ?? DEFAULT_OUTBOX_POLICY, (this.deps.now ?? Date.now)());
    if (parked.length === 0) {
      this.deps.logger.warn('announcement failed; it will be retried', { runId, attempts: Math.max(...items.map((i) => i.attempts)) + 1, error });
      return;
    }
    this.deps.logger.error('announcement parked after repeated failures', { runId, items: parked.map((p) => `${p.id}:${p.kind}`), attempts: parked[0]?.attempts, error });
    const text = `An announcement of run ${runId} (${parked.map((p) => p.kind).join(', ')}) could not be delivered after ${parked[0]?.attempts ?? '?'} attempts and is parked: ${reason}. Check that the bot is still installed in that conversation; /readyz counts parked announcements.`;
    for (const conversationId of await this.adminChats()) {
      try {
        await this.deps.notifier.send(conversationId, { text, summary: 'Announcement parked' });
      } catch (e) {
        this.deps.logger.warn('could not tell an admin about a parked announcement', { conversationId, error: e });
      }
    }
  }

  private adminChats(): Promise<string[]> {
    return adminChats(this.deps.conversations, this.deps.admins ?? []);
  }

  private async announce(runId: string, items: OutboxItem[]): Promise<void> {
    const run = await this.deps.runs.getRun(runId);
    if (!run) {
      await this.deps.runs.completeOutbox(items.map((i) => i.id));
      return;
    }
    const done: number[] = [];
    // Events → cards: the run card shows progress, the approval card shows the approval (posted
    // when requested, updated after), the failure card a failure; a notice is a line of text.
    const progress = items.filter((i) => i.kind === 'progress');
    const approval = items.filter((i) => i.kind === 'approvalRequested' || i.kind === 'approvalUpdated');
    if (progress.length) {
      if (await this.runCard(run)) done.push(...progress.map((i) => i.id));
    }
    if (approval.length) {
      await this.approvalCard(run);
      done.push(...approval.map((i) => i.id));
    }
    for (const item of items.filter((i) => i.kind === 'failed' || i.kind === 'notice')) {
      if (item.kind === 'failed') await this.failureCard(run);
      else await this.notice(run, item.payload ?? '');
      // Completed one by one: a crash after this send re-sends at most this one item.
      await this.deps.runs.completeOutbox([item.id]);
    }
    if (done.length) await this.deps.runs.completeOutbox(done);
  }

  /** True when the card is on screen; false leaves the item for the /train turn that posts it. */
  private async runCard(run: RunRecord): Promise<boolean> {
    return this.cards.show(run, this.deps.notifier, this.deps.turnGraceMs ?? 10_000);
  }

  private async approvalCard(run: RunRecord): Promise<void> {
    const approvers = await this.deps.approvers.approversOf(run);
    const card = this.cards.approval(run, { approvers, canAct: false, buttonsForEveryone: true });
    const message = { card, summary: `Approval needed: ${run.model} version ${run.registered?.version ?? '?'} to ${run.target} (run ${run.id})` };
    const existing = await this.deps.runs.getMessage(run.id, 'approvalCard');
    if (existing) {
      await this.deps.notifier.update(existing.conversationId, existing.activityId, message);
      return;
    }
    if (run.approval?.state !== 'pending') return; // never posted, and now moot
    const activityId = await this.deps.notifier.send(run.conversationId, message);
    await this.deps.runs.setMessage(run.id, 'approvalCard', run.conversationId, activityId);
    const others = new Set<string>();
    for (const sub of await this.deps.runs.listSubscriptions(run.model)) {
      if (sub.events.includes('approval') && sub.conversationId !== run.conversationId) others.add(sub.conversationId);
    }
    // Approvers who are not in the run's conversation (a 1:1 chat) get it in their own 1:1 chat with the bot.
    if (run.conversationId && (await this.deps.conversations.getConversation(run.conversationId))?.conversationType === 'personal') {
      for (const c of await this.deps.conversations.listConversations()) {
        const who = { id: c.installedBy ?? '', name: '', aadObjectId: c.installedBy };
        if (c.conversationType === 'personal' && c.conversationId !== run.conversationId && c.installedBy && !samePrincipal(who, run.requester) && (await this.deps.auth.hasRole(who, 'approver', run.model, run.target))) others.add(c.conversationId);
      }
    }
    for (const conversationId of others) await this.deps.notifier.send(conversationId, message);
  }

  private async failureCard(run: RunRecord): Promise<void> {
    const view = failureCardView(run);
    if (!view) return;
    const message = { card: failureCard({ ...view, ...this.cards.dashboardUrl(run.id) }), summary: `Run ${run.id} failed at ${run.failure?.stage ?? '?'}: ${run.failure?.message ?? ''}` };
    await this.deps.notifier.send(run.conversationId, message);
    for (const sub of await this.deps.runs.listSubscriptions(run.model)) {
      if (sub.events.includes('failed') && sub.conversationId !== run.conversationId) await this.deps.notifier.send(sub.conversationId, message);
    }
  }

  private async notice(run: RunRecord, text: string): Promise<void> {
    if (mentionable(run.requester)) {
      const mention = `<at>${run.requester.name}</at>`;
      await this.deps.notifier.send(run.conversationId, { text: `${text} ${mention}`, summary: text, mentions: [{ id: run.requester.id, name: run.requester.name }] });
    } else {
      await this.deps.notifier.send(run.conversationId, { text, summary: text });
    }
    if (run.status === 'succeeded') {
      for (const sub of await this.deps.runs.listSubscriptions(run.model)) {
        if (sub.events.includes('succeeded') && sub.conversationId !== run.conversationId) await this.deps.notifier.send(sub.conversationId, { text, summary: text });
      }
    }
  }
}
