import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { SubjectReady, SubjectRequest, SubjectRole } from './turn-subject';

export interface Subject<R extends SubjectReady['role']> {
  ready: Extract<SubjectReady, { role: R }>;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Forks one process of a bench part (bench/e2e/turn-subject.ts) and waits for its `ready` message.
 * BENCH_PROFILE_DIR=<dir>: the bot's process writes a CPU profile of its whole life there (node
 * --cpu-prof) when it stops, and one per phase the part asks for (`profile` requests).
 * BENCH_PROFILE_ROLES=bot,sandbox (default: bot): which subjects write a whole-life profile.
 */
export async function forkSubject<R extends SubjectRole>(role: R, env: Record<string, string> = {}): Promise<Subject<R>> {
  const roles = (process.env.BENCH_PROFILE_ROLES ?? 'bot').split(',');
  const prof = roles.includes(role) && process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child = fork(join(__dirname, 'turn-subject.js'), [role], { env: { ...process.env, ...env }, execArgv: ['--disable-warning=DEP0111', ...prof], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ready = await new Promise<Extract<SubjectReady, { role: R }>>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Extract<SubjectReady, { role: R }>));
    child.once('exit', (code) => reject(new Error(`bench subject ${role} exited with ${String(code)} before it was ready`)));
  });
  return {
    ready,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ kind: 'stop' } satisfies SubjectRequest);
      await exited;
    },
  };
}

/** One request to a subject and its one answer. */
export function ask<T>(child: ChildProcess, request: SubjectRequest): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(request);
  });
}
