import { SandboxClock } from '../common/clock';
import { FaultRegistry } from '../common/faults';
import { createLogger } from '../../services/logger';
import { startArmSandbox } from './arm.sandbox';

/**
 * Runs the ARM/ACI sandbox alone, for driving it by hand (docs/sandbox/aci.md):
 *   npm run build && node dist/sandbox/arm/arm.main.js
 * ARM_SANDBOX_PORT (7071), TOKEN_SANDBOX_PORT (7072), IDENTITY_HEADER (random),
 * SANDBOX_SPEED (clock speed, 1), SANDBOX_FAULTS (JSON fault rules).
 */
async function main(): Promise<void> {
  const clock = new SandboxClock(Number(process.env.SANDBOX_SPEED ?? '1') || 1);
  const faults = FaultRegistry.fromEnv(process.env.SANDBOX_FAULTS);
  const arm = await startArmSandbox({
    port: Number(process.env.ARM_SANDBOX_PORT ?? '7071'),
    tokenPort: Number(process.env.TOKEN_SANDBOX_PORT ?? '7072'),
    clock,
    faults,
    logger: createLogger('info'),
    ...(process.env.IDENTITY_HEADER ? { identityHeader: process.env.IDENTITY_HEADER } : {}),
  });
  process.stdout.write(`ARM_ENDPOINT=${arm.url}\nIDENTITY_ENDPOINT=${arm.identityEndpoint}\nIDENTITY_HEADER=${arm.identityHeader}\n`);
  const stop = (): void => {
    void arm.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
