/**
 * `npm start` with no configuration: the sandbox (Azure DevOps, Databricks + MLflow, ARM/ACI and
 * a managed-identity token endpoint), the bot in sandbox mode, and the Microsoft 365 Agents
 * Playground as the Teams client. Prints where to click.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startBot } from '../bot/app';
import { installShutdown } from '../bot/index';
import { ConfigError, loadConfig } from '../services/config/config';
import { createLogger } from '../services/logger';
import { SandboxClock } from './common/clock';
import { FaultRegistry } from './common/faults';
import { startPlayground } from './playground';
import { startSandbox } from './sandbox';
import { HOST_PATH, registerTeamsHost } from './teams-host/teams-host';

async function main(): Promise<void> {
  const env = process.env;
  const port = Number(env.PORT ?? 3978);
  const speed = Number(env.SANDBOX_SPEED ?? 10);
  const secret = randomBytes(24).toString('hex');
  const logger = createLogger((env.LOG_LEVEL as 'info' | undefined) ?? 'warn', { app: 'mlops-chatops' }, undefined, [secret]);
  const sandbox = await startSandbox({
    clock: new SandboxClock(speed),
    faults: FaultRegistry.fromEnv(env.SANDBOX_FAULTS),
    logger,
    ports: { azureDevOps: Number(env.ADO_SANDBOX_PORT ?? 7060), databricks: Number(env.DATABRICKS_SANDBOX_PORT ?? 7070), arm: Number(env.ARM_SANDBOX_PORT ?? 7080), token: Number(env.TOKEN_SANDBOX_PORT ?? 7081) },
    webhooks: { azureDevOpsUrl: `http://127.0.0.1:${port}/api/webhooks/azure-devops`, databricksUrl: `http://127.0.0.1:${port}/api/webhooks/databricks`, secret },
  });
  // The sandbox forgets its runs when it stops, so its bot state starts fresh too (Azure state lives in STATE_STORE).
  const dataDir = join(process.cwd(), 'data');
  mkdirSync(dataDir, { recursive: true });
  rmSync(join(dataDir, 'sandbox.db'), { force: true });
  let config;
  try {
    config = loadConfig({ STATE_STORE: 'sqlite:./data/sandbox.db', POLL_INTERVAL_MS: '1000', ...env, ...sandbox.env, MicrosoftAppId: '', PORT: String(port) });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const bot = await startBot(config, logger, { host: '127.0.0.1', port, routes: [(kit) => registerTeamsHost(kit, sandbox.entra)] });
  const playground = await startPlayground({ botEndpoint: `${bot.url}/api/messages`, port: Number(env.PLAYGROUND_PORT ?? 56150), cwd: dataDir });

  process.stdout.write(`
  mlops-chatops is running in SANDBOX MODE (bot authentication off; local stand-ins of Azure, clock x${speed}).

  Open   ${playground.url}   (Microsoft 365 Agents Playground, the Teams stand-in)
  In the Group Chat, @mention the bot (type @Test and pick "Test Bot"), then:
         /help             the commands
         /train            a form with the model's parameters, or: /train fashion-cnn lr=0.01 epochs=3
  The run deploys to staging (no approval); its card then offers "Promote v1 to production".
  Approve production as a second user (the playground cannot switch users), from another terminal:
         npm run act-as -- megan approve r-2 "looks good"
         Megan Bowen is an approver in mlops.config.yaml; the requester's own approval never counts.

  Dashboard ${bot.url}${HOST_PATH}?user=megan   (the Teams tab, in a sandbox Teams host;
           switch user and theme at its top; ?subEntityId=r-1 opens run r-1 as a card's deep link does)

  Bot      ${bot.url}/api/messages   (health ${bot.url}/healthz)
  Sandbox  Azure DevOps ${sandbox.azureDevOps.url}   Databricks+MLflow ${sandbox.databricks.url}   ARM/ACI ${sandbox.arm.url}
           faults, clock and failing runs: docs/sandbox.md
  Stop     Ctrl+C
`);
  installShutdown(async () => {
    await playground.stop();
    await bot.stop();
    await sandbox.close();
  }, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
