import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  MessageFactory,
  type ConfigurationBotFrameworkAuthenticationOptions,
  type TurnContext,
} from 'botbuilder';
import { randomUUID } from 'node:crypto';
import { RolePolicy } from '../services/auth/roles';
import type { AppConfig } from '../services/config/config';
import type { Logger } from '../services/logger';
import { SqliteStore } from '../services/store/sqlite.store';
import type { Store } from '../services/store/store';
import { createCommandRegistry } from './commands';
import { createBotServer, type BotServer } from './server';
import { TeamsBot } from './teams-bot';

export interface RunningBot {
  url: string;
  server: BotServer;
  store: Store;
  stop(): Promise<void>;
}

/**
 * Builds everything from a validated config and wires it. The entry file (index.ts) calls this
 * with process.env; the sandbox launcher and the tests call it with their own config.
 */
export async function startBot(config: Readonly<AppConfig>, logger: Logger, listen: { host?: string; port?: number } = {}): Promise<RunningBot> {
  const store = new SqliteStore(config.stateStore.path);
  const auth = new ConfigurationBotFrameworkAuthentication(botAuthSettings(config));
  const adapter = new CloudAdapter(auth);
  adapter.onTurnError = async (ctx: TurnContext, error: Error) => {
    // The one error boundary: the whole error goes to the log, the user gets a sentence and a reference.
    const reference = randomUUID().slice(0, 8);
    logger.error('turn failed', { reference, error, activityType: ctx.activity.type, conversation: ctx.activity.conversation?.id });
    if (ctx.activity.type === 'message') {
      await ctx.sendActivity(MessageFactory.text(`Sorry, something went wrong on my side. Nothing was changed. (reference ${reference})`));
    }
  };

  const registry = createCommandRegistry();
  const bot = new TeamsBot({ config, registry, roles: new RolePolicy(config.mlops), store, logger });
  const server = createBotServer({ adapter, bot, logger, isReady: () => store.ready() });
  const url = await server.listen(listen.port ?? config.port, listen.host ?? '0.0.0.0');
  return {
    url,
    server,
    store,
    stop: async () => {
      await server.close();
      await store.close();
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
  };
}
