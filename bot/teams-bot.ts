import {
  CardFactory,
  MessageFactory,
  TeamsActivityHandler,
  TurnContext,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
} from 'botbuilder';
import { welcomeCard } from '../cards/welcome.card';
import type { RolePolicy } from '../services/auth/roles';
import type { AppConfig } from '../services/config/config';
import type { Logger } from '../services/logger';
import type { Store } from '../services/store/store';
import type { CommandRegistry } from './commands/command-registry';
import type { CommandContext, CommandReply } from './commands/command-spec';
import { WELCOME_COMMANDS } from './commands';

export interface TeamsBotDeps {
  config: Readonly<AppConfig>;
  registry: CommandRegistry;
  roles: RolePolicy;
  store: Store;
  logger: Logger;
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
    this.onInstallationUpdateAdd(async (ctx, next) => {
      await this.rememberConversation(ctx);
      await this.sendWelcome(ctx);
      await next();
    });
    this.onMembersAdded(async (ctx, next) => {
      const botAdded = (ctx.activity.membersAdded ?? []).some((m) => m.id === ctx.activity.recipient.id);
      if (botAdded) {
        await this.rememberConversation(ctx);
        await this.sendWelcome(ctx);
      }
      await next();
    });
  }

  private async handleMessage(ctx: TurnContext): Promise<void> {
    const text = TurnContext.removeRecipientMention(ctx.activity) ?? ctx.activity.text ?? '';
    const value = ctx.activity.value as Record<string, unknown> | undefined;
    if (text.trim() === '' && value) {
      // Action.Submit from an older client: our cards use Action.Execute with this fallback.
      await ctx.sendActivity('That button is not active any more. Type /help to see what I can do.');
      return;
    }
    const reply = await this.deps.registry.execute(text, this.commandContext(ctx));
    await ctx.sendActivity(toActivity(reply));
  }

  protected override async onAdaptiveCardInvoke(_ctx: TurnContext, value: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    this.deps.logger.info('card action without a handler', { verb: value.action.verb });
    const message = `"${value.action.verb}" is not available yet; nothing was changed.`;
    // The schema types `value` as an object, but Teams documents a plain string for the message type.
    return { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: message as unknown as Record<string, unknown> };
  }

  private commandContext(ctx: TurnContext): CommandContext {
    const a = ctx.activity;
    const type = a.conversation.conversationType;
    return {
      user: { id: a.from.id, name: a.from.name ?? a.from.id, aadObjectId: a.from.aadObjectId },
      conversation: { id: a.conversation.id, type: type === 'channel' || type === 'groupChat' ? type : 'personal' },
      config: this.deps.config,
      roles: this.deps.roles,
      registry: this.deps.registry,
    };
  }

  private async sendWelcome(ctx: TurnContext): Promise<void> {
    const commands = WELCOME_COMMANDS.map((id) => this.deps.registry.get(id)).filter((s) => s !== undefined);
    const card = welcomeCard({ commands: commands.map((c) => ({ usage: c.usage, summary: c.summary })), sandboxMode: this.deps.config.sandboxMode });
    await ctx.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(card), undefined, 'Hi, I am MLOps ChatOps'));
  }

  /** Keeps the reference that later proactive messages (run cards, failure alerts) are sent with. */
  private async rememberConversation(ctx: TurnContext): Promise<void> {
    const ref = TurnContext.getConversationReference(ctx.activity);
    await this.deps.store.saveConversation({
      conversationId: ctx.activity.conversation.id,
      conversationType: ctx.activity.conversation.conversationType ?? 'personal',
      reference: ref,
      installedBy: ctx.activity.from.aadObjectId ?? ctx.activity.from.id,
      updatedAt: new Date().toISOString(),
    });
  }
}

export function toActivity(reply: CommandReply): ReturnType<typeof MessageFactory.text> {
  if (reply.kind === 'text') return MessageFactory.text(reply.text);
  return MessageFactory.attachment(CardFactory.adaptiveCard(reply.card), undefined, reply.summary);
}
