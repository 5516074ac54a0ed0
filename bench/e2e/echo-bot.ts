import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication, type Activity } from 'botbuilder';
import * as restify from 'restify';

/**
 * The baseline: botbuilder's echo bot sample on restify with authentication off, as small as a
 * bot gets. Run as a script it listens on PORT (0: any) and prints its URL (cold-start figure).
 * With `reply`, it answers every message with that activity instead (the card-echo baseline: the
 * same card the bot's /status sends, built once).
 */
export async function startEchoBot(port = 0, reply?: Partial<Activity>): Promise<{ url: string; close(): Promise<void> }> {
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '', MicrosoftAppPassword: '' }));
  const bot = new ActivityHandler();
  bot.onMessage(async (ctx, next) => {
    // A new activity per turn around the same card content, as the bot's replies are built
    // (botbuilder fills in the addressing of the activity it is given).
    await ctx.sendActivity(reply ? { ...reply, attachments: reply.attachments?.map((a) => ({ ...a })) } : `Echo: ${ctx.activity.text ?? ''}`);
    await next();
  });
  const server = restify.createServer();
  server.use(restify.plugins.bodyParser());
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, (ctx) => bot.run(ctx));
  });
  server.get('/healthz', (_req, res, next) => {
    res.send(200, { ok: true });
    next();
  });
  await new Promise<void>((r) => {
    server.listen(port, '127.0.0.1', () => r());
  });
  const { port: bound } = server.address();
  return {
    url: `http://127.0.0.1:${bound}`,
    close: async () => {
      server.server.closeAllConnections();
      await new Promise<void>((r) => {
        server.close(() => r());
      });
    },
  };
}

if (require.main === module) {
  void startEchoBot(Number(process.env.PORT ?? 0)).then(({ url }) => process.stdout.write(`${url}\n`));
}
