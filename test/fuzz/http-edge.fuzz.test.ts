import { formatReport, runFuzz } from '../../bench/fuzz/fuzz-run';
import { startFuzzTarget, type FuzzTarget } from '../../bench/fuzz/fuzz-target';

/**
 * The seeded, bounded fuzz of every route (raw bodies and encodings, activity envelopes,
 * commands, card clicks, webhooks): a few hundred cases each, the same cases on every run (the
 * seed is fixed; `npm run fuzz -- --seed N` explores others at scale).
 */
describe('hostile input on every route', () => {
  let target: FuzzTarget;
  beforeAll(async () => {
    target = await startFuzzTarget();
  });
  afterAll(async () => target.close());

  it('never crashes, never answers 5xx, never leaks, and never changes a run the sender has no right to', async () => {
    const report = await runFuzz(target, { seed: 20261129, casesPerRoute: 250 });
    process.stdout.write(formatReport(report) + '\n');
    expect(report.cases).toBe(1250);
    expect(report.serverErrors).toEqual([]);
    expect(report.dropped).toEqual([]);
    expect(report.leaks).toEqual([]);
    expect(report.guardedChanged).toBeUndefined();
    expect(report.healthy).toBe(true);
    // No turn failed behind a 200 either: the error log stays empty.
    expect(report.errorLines).toEqual([]);
    // The cases reach past the edge: commands and clicks were answered, not only refused.
    expect(report.byRoute.command?.['200']).toBeGreaterThan(100);
    expect(report.byRoute.click?.['200']).toBeGreaterThan(50);
  }, 240_000);
});
