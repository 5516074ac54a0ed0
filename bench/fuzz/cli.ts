/**
 * `npm run fuzz -- [--seed N] [--cases N]`: the hostile-input fuzz of the HTTP edge at scale
 * (default 10,000 cases, 2,000 per route), against the real bot on the sandbox. Prints the figures
 * and exits 1 if any rule broke: a 5xx, a dropped request, a leaked stack or secret, a failed turn, a change to
 * the guarded run, or a bot that stopped answering.
 */
import { formatReport, runFuzz } from './fuzz-run';
import { startFuzzTarget } from './fuzz-target';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a whole number`);
  return v;
}

async function main(): Promise<void> {
  const seed = arg('seed', Date.now() % 2 ** 31);
  const cases = arg('cases', 10_000);
  const target = await startFuzzTarget();
  try {
    const report = await runFuzz(target, { seed, casesPerRoute: Math.ceil(cases / 5) });
    process.stdout.write(formatReport(report) + '\n');
    const broken = report.serverErrors.length + report.dropped.length + report.leaks.length + report.errorLines.length + (report.guardedChanged ? 1 : 0) + (report.healthy ? 0 : 1);
    process.exitCode = broken ? 1 : 0;
  } finally {
    await target.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`fuzz failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
