/**
 * One end-to-end part of the bench in its own process: the sandbox is one per process (MSAL
 * caches its identity endpoint) and each part's memory stays its own. Prints its figures as JSON.
 */
import type { Figure } from './figure';
import { processFigures } from './process.bench';
import { storeFigures } from './store.bench';
import { trackingFigures } from './tracking.bench';
import { turnFigures } from './turns.bench';

const quick = process.env.BENCH_QUICK === '1';

async function main(part: string | undefined): Promise<Figure[]> {
  switch (part) {
    case 'turns':
      // 8 pairs (4 until the eighth round): a pair's ratio spreads ±20 % here even between two
      // identical echo bots (the A/A figure), and the median of 8 moves half as far as that of 4.
      return turnFigures({ rounds: quick ? 2 : 8, roundMs: quick ? 1_500 : 3_000 });
    case 'tracking':
      return trackingFigures({ small: 10, big: Number(process.env.BENCH_RUNS ?? (quick ? 100 : 1_000)), timeoutMs: Number(process.env.BENCH_TRACK_TIMEOUT_MS ?? 300_000) });
    case 'process':
      return processFigures({ rounds: quick ? 3 : 5 });
    case 'store':
      return storeFigures({ runs: quick ? 10 : 50, rounds: quick ? 2 : 3 });
    default:
      throw new Error(`unknown bench part ${String(part)}`);
  }
}

main(process.argv[2]).then(
  (figures) => {
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
