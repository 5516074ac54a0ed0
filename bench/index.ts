/**
 * `npm run bench`: every figure of issue 13 as a ratio measured in the same run (an echo bot
 * started here is the baseline of the turn figures), one line per figure with its target; the
 * exit code is 1 when a figure misses its target by more than the noise margin (bench/e2e/report.ts).
 * BENCH_QUICK=1 runs shorter rounds and 100 instead of 1,000 tracked runs; BENCH_RUNS sets that number.
 * `store` runs the tracking workflow on SQLite and on Azure Tables (Azurite) and says what a transition costs in table requests.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { Figure } from './e2e/figure';
import { line, verdict } from './e2e/report';
import { microBench } from './micro.bench';

function part(name: string): Promise<Figure[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--disable-warning=DEP0111', join(__dirname, 'e2e', 'part.js'), name], { maxBuffer: 16 * 2 ** 20, env: process.env }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`bench part ${name} failed: ${stderr || error.message}`));
      const last = stdout.trim().split('\n').pop() ?? '[]';
      resolve(JSON.parse(last) as Figure[]);
    });
  });
}

async function main(): Promise<number> {
  process.stdout.write('in-process hot paths (ratio to a trivial baseline, for the record):\n');
  await microBench();
  process.stdout.write('\nend to end (ratios within this run; alternating rounds, medians):\n');
  let missed = 0;
  for (const name of ['turns', 'tracking', 'process', 'store']) {
    let figures: Figure[];
    try {
      figures = await part(name);
    } catch (e) {
      process.stdout.write(`${name}: ${(e as Error).message}\n`);
      missed += 1;
      continue;
    }
    for (const f of figures) {
      process.stdout.write(`${line(f)}\n`);
      if (verdict(f) === 'MISS') missed += 1;
    }
  }
  process.stdout.write(missed ? `\n${missed} figure(s) missed their target beyond the noise margin\n` : '\nevery figure within its target or the noise margin\n');
  return missed ? 1 : 0;
}

void main().then((code) => process.exit(code));
