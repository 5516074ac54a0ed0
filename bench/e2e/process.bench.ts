import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../services/store/sqlite.store';
import { repoRoot } from '../fuzz/fuzz-target';
import { seededRun } from './bot-under-test';
import type { Figure } from './figure';
import { median } from './load';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Started {
  child: ChildProcess;
  coldMs: number;
  /** CPU time (user + system) the process had used when its first /healthz 200 came: less sensitive to the machine's load than coldMs. */
  coldCpuMs: number;
  rssMb(): number;
  stop(): Promise<void>;
}

/** utime + stime of a live process, from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s on Linux). */
function cpuMsOf(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Spawns a node process and times it from spawn to its first /healthz 200. */
async function boot(script: string, env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--disable-warning=DEP0111', script], { cwd: repoRoot(), env: { ...process.env, ...env, PORT: String(port) }, stdio: 'ignore' });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const coldMs = performance.now() - t0;
  const coldCpuMs = cpuMsOf(child.pid);
  return {
    child,
    coldMs,
    coldCpuMs,
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function seed(path: string, active: number, finished: number): Promise<void> {
  const store = new SqliteStore(path);
  for (let i = 0; i < finished; i++) {
    const r = seededRun('running', 'a:bench-chat', i);
    await store.runs.createRun({ ...r, status: 'succeeded' });
  }
  for (let i = 0; i < active; i++) await store.runs.createRun(seededRun('waiting_approval', 'a:bench-chat', i));
  await store.close();
}

export async function processFigures(o: { rounds: number }): Promise<Figure[]> {
  const root = repoRoot();
  // What production starts (infra/azure/azuredeploy.json): the bundle of bot/bundle.mjs.
  const botScript = join(root, 'dist', 'bot', 'main.js');
  const echoScript = join(root, 'dist', 'bench', 'e2e', 'echo-bot.js');
  const botEnv = (store: string): Record<string, string> => ({ MLOPS_SANDBOX: '1', MicrosoftAppId: '', STATE_STORE: `sqlite:${store}`, POLL_INTERVAL_MS: '3600000', LOG_LEVEL: 'error' });
  const dir = mkdtempSync(join(tmpdir(), 'mlops-proc-'));

  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  const botMs: number[] = [];
  const echoMs: number[] = [];
  const botCpu: number[] = [];
  const echoCpu: number[] = [];
  for (let i = 0; i < o.rounds; i++) {
    const order = i % 2 === 0 ? ['bot', 'echo'] : ['echo', 'bot'];
    const got: Record<string, number> = {};
    const cpu: Record<string, number> = {};
    for (const which of order) {
      const s = which === 'bot' ? await boot(botScript, botEnv(join(dir, `cold-${i}.db`))) : await boot(echoScript, {});
      got[which] = s.coldMs;
      cpu[which] = s.coldCpuMs;
      await s.stop();
    }
    botCpu.push(cpu.bot ?? NaN);
    echoCpu.push(cpu.echo ?? NaN);
    cpuRatios.push((cpu.bot ?? NaN) / (cpu.echo ?? NaN));
    botMs.push(got.bot ?? NaN);
    echoMs.push(got.echo ?? NaN);
    ratios.push((got.bot ?? NaN) / (got.echo ?? NaN));
  }

  const echo = await boot(echoScript, {});
  await new Promise((r) => setTimeout(r, 1_000));
  const echoRss = echo.rssMb();
  await echo.stop();
  const rssWith = async (active: number, finished: number): Promise<number> => {
    const path = join(dir, `rss-${active}-${finished}.db`);
    await seed(path, active, finished);
    const s = await boot(botScript, botEnv(path));
    // The first tracker pass runs at start: give it time to list and advance every active run.
    await new Promise((r) => setTimeout(r, 3_000 + active * 5));
    const rss = s.rssMb();
    await s.stop();
    return rss;
  };
  const inFlight = await rssWith(1_000, 0);
  const stored = await rssWith(0, 10_000);
  return [
    { name: 'cold start to first /healthz 200, bot / echo', value: median(ratios), target: { atMost: 1.3 }, unit: 'x', detail: `${median(botMs).toFixed(0)} ms vs ${median(echoMs).toFixed(0)} ms`, samples: ratios },
    { name: 'cold start, CPU used until the first /healthz 200, bot / echo', value: median(cpuRatios), target: { info: true }, unit: 'x', detail: `${median(botCpu).toFixed(0)} ms vs ${median(echoCpu).toFixed(0)} ms of CPU; per pair ${cpuRatios.map((r) => r.toFixed(2)).join(', ')}` },
    { name: 'RSS of the bot with 1,000 active runs (after a pass)', value: inFlight, target: { atMost: 250 }, unit: 'MB', detail: `echo bot ${echoRss.toFixed(0)} MB; runs waiting for approval (no backend in this process)` },
    { name: 'RSS of the bot with 10,000 runs stored', value: stored, target: { atMost: 200 }, unit: 'MB', detail: `echo bot ${echoRss.toFixed(0)} MB` },
  ];
}
