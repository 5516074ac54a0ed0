/**
 * One process of the turns part (bench/e2e/turns.bench.ts), forked with an IPC channel, so that
 * the bot, the echo bot, the backends and the load generator each have their own event loop:
 * - `backends`: the sandbox (Azure stand-ins) and the fake Bot Connector both bots reply to;
 * - `sandbox`: the sandbox alone, clock BENCH_SANDBOX_SPEED (the tracking part);
 * - `echo`: the echo bot; `card-echo`: the echo bot answering every message with BENCH_ECHO_REPLY
 *   (the activity the bot sent for /status, copied at the connector);
 * - `bot`: the real bot on those backends, with the runs /status and Approve use stored in it.
 * Each sends one `ready` message with what the parent needs, and stops on `stop`.
 */
import type { Activity } from 'botbuilder';
import { startSandbox } from '../../sandbox/sandbox';
import { SandboxClock } from '../../sandbox/common/clock';
import { startBenchConnector } from './connector';
import { startEchoBot } from './echo-bot';
import { seededRun, startBotUnderTest } from './bot-under-test';
import { PhaseProfiler } from './profile';

export type SubjectRole = 'backends' | 'sandbox' | 'echo' | 'card-echo' | 'bot';

export type SubjectReady =
  | { role: 'backends'; env: Record<string, string>; connectorUrl: string }
  | { role: 'sandbox'; env: Record<string, string> }
  | { role: 'echo'; url: string }
  | { role: 'card-echo'; url: string }
  | { role: 'bot'; url: string; runningId: string; approvalIds: string[] };

/** Parent → bot: how many of the seeded runs are approved (asked after the Approve clicks). */
export type SubjectRequest = { kind: 'approved' } | { kind: 'cpu' } | { kind: 'speed'; speed: number } | { kind: 'captureNext' } | { kind: 'profile'; phase: string | undefined } | { kind: 'stop' };

function send(message: unknown): void {
  process.send?.(message);
}

async function main(role: string | undefined): Promise<void> {
  let close: () => Promise<void>;
  let onRequest: (r: SubjectRequest) => Promise<void> = async () => undefined;
  switch (role) {
    case 'backends': {
      const sandbox = await startSandbox({ clock: new SandboxClock(1) });
      const connector = await startBenchConnector();
      close = async () => {
        await connector.close();
        await sandbox.close();
      };
      // The body of the next POST the connector gets, sent to the parent when it arrives.
      onRequest = async (r) => {
        if (r.kind === 'captureNext') send({ captured: await connector.captureNext() });
      };
      send({ role, env: sandbox.env, connectorUrl: connector.url } satisfies SubjectReady);
      break;
    }
    case 'sandbox': {
      // The tracking part's backends: the sandbox alone, at the clock speed the part chose.
      const sandbox = await startSandbox({ clock: new SandboxClock(Number(process.env.BENCH_SANDBOX_SPEED ?? 1)) });
      close = () => sandbox.close();
      // The part sets the clock before each phase (same sandbox, another speed).
      onRequest = async (r) => {
        if (r.kind !== 'speed') return;
        sandbox.clock.setSpeed(r.speed);
        send({ speed: sandbox.clock.speed });
      };
      send({ role, env: sandbox.env } satisfies SubjectReady);
      break;
    }
    case 'echo': {
      const echo = await startEchoBot();
      close = () => echo.close();
      send({ role, url: echo.url } satisfies SubjectReady);
      break;
    }
    case 'card-echo': {
      // The echo bot answering with the card the bot's /status sends for its running run.
      const echo = await startEchoBot(0, JSON.parse(process.env.BENCH_ECHO_REPLY ?? '{}') as Partial<Activity>);
      close = () => echo.close();
      send({ role, url: echo.url } satisfies SubjectReady);
      break;
    }
    case 'bot': {
      // The sandbox's URLs and managed-identity endpoint come from the backends process via the environment.
      const subject = await startBotUnderTest({ sandboxEnv: process.env as Record<string, string> });
      const { store } = subject.bot;
      const running = await store.runs.createRun(seededRun('running', 'a:bench-chat', 0));
      const approvalIds: string[] = [];
      for (let i = 0; i < 100; i++) approvalIds.push((await store.runs.createRun(seededRun('waiting_approval', 'a:bench-chat', i + 1))).id);
      close = () => subject.close();
      onRequest = async (r) => {
        if (r.kind !== 'approved') return;
        const runs = await Promise.all(approvalIds.map((id) => store.runs.getRun(id)));
        send({ approved: runs.filter((x) => x?.approval?.state === 'approved').length });
      };
      send({ role, url: subject.bot.url, runningId: running.id, approvalIds } satisfies SubjectReady);
      break;
    }
    default:
      throw new Error(`unknown subject role ${String(role)}`);
  }
  const profiler = new PhaseProfiler();
  let phaseName = '';
  process.on('message', (m: SubjectRequest) => {
    if (m.kind === 'stop') {
      void close().then(() => process.exit(0));
      return;
    }
    // BENCH_PROFILE_DIR: a CPU profile per phase (`phase` starts one, undefined ends it); answered when done.
    if (m.kind === 'profile') {
      const done = m.phase === undefined ? profiler.stop(phaseName) : profiler.start().then(() => void (phaseName = `${role ?? ''}-${m.phase ?? ''}`));
      void done.then(() => send({ profiled: true }));
      return;
    }
    // Any subject tells its own CPU time (user + system, µs), so a part can say where the CPU went.
    if (m.kind === 'cpu') send(process.cpuUsage());
    else void onRequest(m);
  });
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
