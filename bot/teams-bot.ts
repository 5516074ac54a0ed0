import {
  type InvokeResponse,
  CardFactory,
  MessageFactory,
  TeamsActivityHandler,
  TurnContext,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
} from 'botbuilder';
import { welcomeCard } from '../cards/welcome.card';
import type { Authorizer } from '../services/auth/authorizer';
import type { AppConfig } from '../services/config/config';
import type { Logger } from '../services/logger';
import type { Store } from '../services/store/store';
import type { CommandRegistry } from './commands/command-registry';
import type { CommandContext, CommandReply } from './commands/command-spec';
import { WELCOME_COMMANDS } from './commands';
import { handleCardAction, type ActionOutcome, type CardActionDeps } from './actions/card-action.handler';
import { conversationChanged } from './conversation-change';

export interface TeamsBotDeps {
  config: Readonly<AppConfig>;
  registry: CommandRegistry;
  auth: Authorizer;
  store: Store;
  logger: Logger;
  /** The run workflow: commands and card actions that start, decide or cancel runs. */
  workflow: CardActionDeps;
}

/** The Teams side: turns activities into command calls and replies into messages. No business logic here. */
export class TeamsBot extends TeamsActivityHandler {
  constructor(private readonly deps: TeamsBotDeps) {
    super();
    this.onMessage(async (ctx, next) => {
      await this.rememberConversation(ctx);
      await this.handleMessage(ctx);
      await next();
    });
    // Teams sends both an installationUpdate and a conversationUpdate when the bot is added:
    // whichever comes first welcomes; the conversation is then known and the other one is quiet.
    this.onInstallationUpdateAdd(async (ctx, next) => {
      if (await this.rememberConversation(ctx)) await this.sendWelcome(ctx);
      await next();
    });
    this.onMembersAdded(async (ctx, next) => {
      const botAdded = (ctx.activity.membersAdded ?? []).some((m) => m.id === ctx.activity.recipient.id);
      if (botAdded && (await this.rememberConversation(ctx))) await this.sendWelcome(ctx);
      await next();
    });
    this.onInstallationUpdateRemove(async (ctx, next) => {
      await this.deps.store.removeConversation(ctx.activity.conversation.id);
      await next();
    });
  }

  /**
   * Replies and invoke answers show run state: whatever the engine committed without fsync
   * (run-store SaveOptions.deferSync) is made durable before any of them leaves. Nothing to do,
   * and no fsync, when nothing was deferred since the last flush.
   */
  override async run(ctx: TurnContext): Promise<void> {
    const flush = async (): Promise<void> => this.deps.workflow.runs.flush?.();
    ctx.onSendActivities(async (_ctx, _activities, next) => {
      await flush();
      return next();
    });
    ctx.onUpdateActivity(async (_ctx, _activity, next) => {
      await flush();
      return next();
    });
    await super.run(ctx);
    // The invoke's answer is written after the turn returns.
    await flush();
  }

  private async handleMessage(ctx: TurnContext): Promise<void> {
    const text = TurnContext.removeRecipientMention(ctx.activity) ?? ctx.activity.text ?? '';
    const value = ctx.activity.value as Record<string, unknown> | undefined;
    if (text.trim() === '' && value) {
      // Action.Submit: the fallback of our Action.Execute buttons on clients older than 1.4.
      const outcome = await this.cardAction(ctx, undefined, value);
      if (outcome.kind === 'card' && ctx.activity.replyToId) await ctx.updateActivity({ ...MessageFactory.attachment(CardFactory.adaptiveCard(outcome.card)), id: ctx.activity.replyToId });
      else await ctx.sendActivity(outcome.kind === 'card' ? 'Done.' : outcome.text);
      return;
    }
    const reply = await this.deps.registry.execute(text, this.commandContext(ctx));
    const sent = await ctx.sendActivity(toActivity(reply));
    if (reply.kind === 'card' && reply.runCardOf && sent?.id) await this.deps.workflow.cards.record(reply.runCardOf, ctx.activity.conversation.id, sent.id);
  }

  /**
   * Invokes are checked before botbuilder reads them: its getAdaptiveCardInvokeValue reads
   * `value.action.type` unguarded (a TypeError, then a 501 from the turn results), and every
   * invoke name this bot does not implement answers 501. Both are the caller's mistake: 400 with
   * a plain sentence, in the Universal Actions error shape.
   */
  protected override async onInvokeActivity(ctx: TurnContext): Promise<InvokeResponse> {
    const a = ctx.activity;
    if (a.name === 'adaptiveCard/action') {
      const action = (a.value as { action?: unknown } | null | undefined)?.action as { type?: unknown; verb?: unknown } | null | undefined;
      if (typeof action !== 'object' || action === null || action.type !== 'Action.Execute' || typeof action.verb !== 'string') {
        return invokeError('The card action is malformed: value.action must be an Action.Execute with a verb.');
      }
    }
    const response = await super.onInvokeActivity(ctx);
    return response.status === 501 ? invokeError(`This bot does not handle the invoke ${JSON.stringify(String(a.name ?? '')).slice(0, 80)}.`) : response;
  }

  protected override async onAdaptiveCardInvoke(ctx: TurnContext, value: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    const outcome = await this.cardAction(ctx, value.action.verb, value.action.data);
    switch (outcome.kind) {
      case 'card':
        return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: outcome.card };
      case 'message':
        // The schema types `value` as an object, but Teams documents a plain string for the message type.
        return { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: outcome.text as unknown as Record<string, unknown> };
      case 'error':
        return { statusCode: outcome.status, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message: outcome.text } };
    }
  }

  private async cardAction(ctx: TurnContext, verb: string | undefined, data: unknown): Promise<ActionOutcome> {
    const wf = this.deps.workflow;
    const user = this.commandContext(ctx).user;
    const outcome = await handleCardAction(wf, verb, data, user, ctx.activity.conversation.id);
    if (outcome.kind === 'card' && outcome.becomesRunCardOf && ctx.activity.replyToId) {
      // The train form turns into the run's card, for everyone, and is tracked as that card.
      await ctx.updateActivity({ ...MessageFactory.attachment(CardFactory.adaptiveCard(outcome.card)), id: ctx.activity.replyToId });
      await wf.cards.record(outcome.becomesRunCardOf.id, ctx.activity.conversation.id, ctx.activity.replyToId);
    }
    if (outcome.kind === 'message' && outcome.newRun) {
      const sent = await ctx.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(await wf.cards.card(outcome.newRun)), undefined, outcome.text));
      if (sent?.id) await wf.cards.record(outcome.newRun.id, ctx.activity.conversation.id, sent.id);
    }
    if (outcome.kind !== 'card' || !outcome.becomesRunCardOf) this.deps.logger.info('card action', { verb, outcome: outcome.kind });
    return outcome;
  }

  private commandContext(ctx: TurnContext): CommandContext {
    const a = ctx.activity;
    const type = a.conversation.conversationType;
    return {
      user: { id: a.from.id, name: a.from.name ?? a.from.id, aadObjectId: a.from.aadObjectId },
      conversation: { id: a.conversation.id, type: type === 'channel' || type === 'groupChat' ? type : 'personal' },
      config: this.deps.config,
      auth: this.deps.auth,
      registry: this.deps.registry,
      workflow: { engine: this.deps.workflow.engine, runs: this.deps.workflow.runs, now: this.deps.workflow.now, cards: this.deps.workflow.cards, ...(this.deps.workflow.schedules ? { schedules: this.deps.workflow.schedules } : {}) },
    };
  }

  private async sendWelcome(ctx: TurnContext): Promise<void> {
    const commands = WELCOME_COMMANDS.map((id) => this.deps.registry.get(id)).filter((s) => s !== undefined);
    const card = welcomeCard({ commands: commands.map((c) => ({ usage: c.usage, summary: c.summary })), sandboxMode: this.deps.config.sandboxMode });
    await ctx.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(card), undefined, 'Hi, I am MLOps ChatOps'));
  }

  /** Keeps the reference that later proactive messages (run cards, failure alerts) are sent with; true if it is new. */
  private async rememberConversation(ctx: TurnContext): Promise<boolean> {
    const known = await this.deps.store.getConversation(ctx.activity.conversation.id);
    const ref = TurnContext.getConversationReference(ctx.activity);
    const next = {
      conversationId: ctx.activity.conversation.id,
      conversationType: ctx.activity.conversation.conversationType ?? 'personal',
      reference: ref,
      installedBy: ctx.activity.from.aadObjectId ?? ctx.activity.from.id,
      updatedAt: new Date().toISOString(),
    };
    // No write (and no fsync) when the turn brings nothing new: the common case.
    if (conversationChanged(known, next)) await this.deps.store.saveConversation(next);
    return !known;
  }
}

export function toActivity(reply: CommandReply): ReturnType<typeof MessageFactory.text> {
  if (reply.kind === 'text') return MessageFactory.text(reply.text);
  return MessageFactory.attachment(CardFactory.adaptiveCard(reply.card), undefined, reply.summary);
}

function invokeError(message: string): InvokeResponse {
  return { status: 400, body: { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message } } };
}
