/**
 * `npm run sandbox`: every stand-in alone (no bot), on fixed ports, for driving by hand or for
 * pointing a bot you run yourself at it. Prints the bot's environment for this sandbox.
 */
import { createLogger } from '../services/logger';
import { SandboxClock } from './common/clock';
import { FaultRegistry } from './common/faults';
import { startSandbox } from './sandbox';

async function main(): Promise<void> {
  const env = process.env;
  const secret = env.WEBHOOK_SECRET;
  const botPort = env.PORT ?? '3978';
  const sandbox = await startSandbox({
    clock: new SandboxClock(Number(env.SANDBOX_SPEED ?? 1)),
    faults: FaultRegistry.fromEnv(env.SANDBOX_FAULTS),
    logger: createLogger('info'),
    ports: { azureDevOps: Number(env.ADO_SANDBOX_PORT ?? 7060), databricks: Number(env.DATABRICKS_SANDBOX_PORT ?? 7070), arm: Number(env.ARM_SANDBOX_PORT ?? 7080), token: Number(env.TOKEN_SANDBOX_PORT ?? 7081) },
    ...(secret ? { webhooks: { azureDevOpsUrl: `http://127.0.0.1:${botPort}/api/webhooks/azure-devops`, databricksUrl: `http://127.0.0.1:${botPort}/api/webhooks/databricks`, secret } } : {}),
  });
  process.stdout.write(`# The bot's environment for this sandbox:\n${Object.entries(sandbox.env).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  const stop = (): void => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
