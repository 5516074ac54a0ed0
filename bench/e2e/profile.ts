import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/**
 * CPU profiles of one phase of a bench part, written to BENCH_PROFILE_DIR (nothing without it):
 * `<name>.cpuprofile`, readable in Chrome DevTools or any cpuprofile viewer. The profiler runs in
 * this process (node:inspector), so a part can profile only the phase it measures.
 */
export class PhaseProfiler {
  private session: Session | undefined;

  static enabled(): boolean {
    return !!process.env.BENCH_PROFILE_DIR;
  }

  async start(): Promise<void> {
    if (!PhaseProfiler.enabled() || this.session) return;
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    this.session = session;
  }

  async stop(name: string): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(process.env.BENCH_PROFILE_DIR ?? '.', `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

/** fn, profiled as `name` when BENCH_PROFILE_DIR is set. */
export async function profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const p = new PhaseProfiler();
  await p.start();
  try {
    return await fn();
  } finally {
    await p.stop(name);
  }
}
