import type { Figure } from './figure';

/**
 * A figure misses its target when it is worse by more than the noise margin: the spread of the
 * same ratio between alternating rounds of this run (half the range of its samples, relative), and
 * never less than NOISE_FLOOR. The floor is a choice (the smallest difference worth failing on);
 * the spread is measured, so a noisy machine widens the margin instead of failing the run. On this
 * shared 2-core machine echo ÷ echo pairs ranged from 0.45 to 3.6 while a test suite ran beside
 * them (docs/performance.md), which is why the margin comes from each run's own samples.
 */
export const NOISE_FLOOR = 0.15;

export function margin(f: Figure): number {
  const s = f.samples ?? [];
  if (s.length < 2) return NOISE_FLOOR;
  const spread = (Math.max(...s) - Math.min(...s)) / 2 / Math.abs(f.value || 1);
  return Math.max(NOISE_FLOOR, spread);
}

export function verdict(f: Figure): 'ok' | 'within noise' | 'MISS' | 'info' {
  if ('info' in f.target) return 'info';
  const m = margin(f);
  if ('atLeast' in f.target) return f.value >= f.target.atLeast ? 'ok' : f.value >= f.target.atLeast * (1 - m) ? 'within noise' : 'MISS';
  return f.value <= f.target.atMost ? 'ok' : f.value <= f.target.atMost * (1 + m) ? 'within noise' : 'MISS';
}

export function line(f: Figure): string {
  const v = f.unit === 'x' ? `${f.value.toFixed(2)}x` : `${f.value.toFixed(f.unit === 'ms' ? 0 : 1)}${f.unit ? ` ${f.unit}` : ''}`;
  const t = 'info' in f.target ? 'info' : 'atLeast' in f.target ? `>= ${f.target.atLeast}${f.unit === 'x' ? 'x' : ` ${f.unit}`}` : `<= ${f.target.atMost}${f.unit === 'x' ? 'x' : ` ${f.unit}`}`;
  return `${f.name.padEnd(52)} ${v.padStart(10)}  target ${t.padEnd(10)} ${verdict(f).padEnd(12)} ${f.detail ?? ''}`;
}
