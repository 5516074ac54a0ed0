import { execFileSync } from 'node:child_process';

/**
 * Whether an outside tool a test needs is on this machine. Without it the test is skipped with
 * a visible note, except under CI=true (which .ci/run sets, and which installs every tool), where
 * a missing tool is a failure: a CI run never passes by skipping.
 */
export function requireTool(what: string, present: () => boolean, install: string): boolean {
  if (present()) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${what} is missing: ${install} (.ci/run must install it)`);
  process.stderr.write(`\n  SKIPPED tests that need ${what}: not found (${install} to run them)\n\n`);
  return false;
}

/** True when `command args` runs and exits 0. */
export function runs(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
