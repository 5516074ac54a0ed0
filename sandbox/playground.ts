import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Starts the Microsoft 365 Agents Playground (the Teams client stand-in) against a bot endpoint
 * and waits until it answers. Used by `npm start` and by the end-to-end tests.
 */
export interface Playground {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startPlayground(opts: { botEndpoint: string; port?: number; cwd?: string; log?: (line: string) => void; timeoutMs?: number }): Promise<Playground> {
  const port = opts.port ?? 56150;
  const cli = require.resolve('@microsoft/m365agentsplayground/cli.js');
  const child = spawn(process.execPath, [cli, 'start', '-e', opts.botEndpoint, '-c', 'msteams', '-p', String(port), '--dt'], {
    cwd: opts.cwd ?? process.cwd(),
    env: { ...process.env, TEAMSAPPTESTER_BROWSER: 'none', BROWSER: 'none', SEND_INSTALLATION_ACTIVITY: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onData = (d: Buffer): void => {
    const s = d.toString();
    output += s;
    if (output.length > 20_000) output = output.slice(-10_000);
    opts.log?.(s);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the Agents Playground exited (code ${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(`${url}/_debug/ping`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the Agents Playground did not answer on ${url} in time:\n${output}`);
    }
    await delay(250);
  }
  return {
    url,
    port,
    process: child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}
