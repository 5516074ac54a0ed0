/**
 * The composition root and the only place that reads process.env: validate the configuration
 * once, start the bot, and stop it cleanly on SIGTERM/SIGINT.
 */
import { ConfigError, loadConfig } from '../services/config/config';
import { createLogger } from '../services/logger';
import { startBot } from './app';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`\nmlops-chatops cannot start.\n${e.message}\n\nSee docs/configuration.md for every variable.\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel, { app: 'mlops-chatops' }, undefined, config.secrets);
  if (!config.botAuth) {
    process.stderr.write(
      '\n' +
        '  !!! SANDBOX MODE: MicrosoftAppId is empty, so bot authentication is OFF.       !!!\n' +
        '  !!! Any caller can post activities to /api/messages. Never expose this port. !!!\n\n',
    );
  }
  // The last net: a promise nobody awaited must not stop the bot for everyone; it is logged with its cause.
  process.on('unhandledRejection', (reason: unknown) => logger.error('unhandled rejection', { error: reason }));
  const bot = await startBot(config, logger);
  logger.info('bot listening', { url: bot.url, messages: `${bot.url}/api/messages`, sandbox: config.sandboxMode, auth: !!config.botAuth });
  installShutdown(async () => bot.stop(), logger);
}

export function installShutdown(stop: () => Promise<void>, logger: { info(m: string, f?: Record<string, unknown>): void; error(m: string, f?: Record<string, unknown>): void }): void {
  let stopping = false;
  const onSignal = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`mlops-chatops failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
