import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { drive, median, percentile, postOnce, teamsInvoke, teamsMessage, type LoadResult } from './load';
import { MEGAN } from './bot-under-test';
import type { Figure } from './figure';
import { ask, forkSubject, type Subject } from './subject';

const CONNECTIONS = 50;

/** The median with an even count taken between the two middle values (the nearest-rank median takes the lower one, which would flatter a ratio that should be small). */
function midpoint(values: readonly number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length / 2;
  return v.length % 2 ? (v[Math.floor(mid)] ?? NaN) : ((v[mid - 1] ?? NaN) + (v[mid] ?? NaN)) / 2;
}

/** Alternating rounds (bot first, then echo first, ...): each pair ran under the same load from the rest of the machine. */
async function paired(rounds: number, a: () => Promise<LoadResult>, b: () => Promise<LoadResult>): Promise<Array<[LoadResult, LoadResult]>> {
  const pairs: Array<[LoadResult, LoadResult]> = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      const x = await a();
      pairs.push([x, await b()]);
    } else {
      const y = await b();
      pairs.push([await a(), y]);
    }
  }
  return pairs;
}

/**
 * Turn figures with the bot, the echo bot, the backends (sandbox and fake Bot Connector) and the
 * load generator (this process) each in its own process: a bot under load does not share its
 * event loop with the client measuring it, nor with the other bot.
 */
export async function turnFigures(o: { rounds: number; roundMs: number }): Promise<Figure[]> {
  const backends = await forkSubject('backends');
  const echoP = await forkSubject('echo');
  const botP = await forkSubject('bot', backends.ready.env);
  const connector = { url: backends.ready.connectorUrl };
  const echo = echoP.ready;
  const bot = botP.ready;
  try {
    // Warmed at the measured load, 2 s (until the eighth round 0.5 s at 8 connections): in 3 of 10
    // /status readings with the short warm-up the first pair was the lowest (0.64–0.72), the bot's
    // CPU per turn 1.16–1.26 × the echo's in it (docs/performance.md, Method).
    const warm = { connections: CONNECTIONS, durationMs: 2_000 };
    const load = { connections: CONNECTIONS, durationMs: o.roundMs };
    const figures: Figure[] = [];
    for (const [label, text] of [['/help', '/help'], ['/status', `/status ${bot.runningId}`]] as const) {
      // Each bot warmed on the turn about to be measured: until this round the bot was warmed on
      // /help only, so the first /status round also timed its first compiles (the run card's
      // template, the store's statements, JIT) while the echo bot's turn was the same as ever.
      await drive(echo.url, (i) => teamsMessage(connector.url, text, i), warm);
      await drive(bot.url, (i) => teamsMessage(connector.url, text, i), warm);
      await ask(botP.child, { kind: 'profile', phase: label.slice(1) });
      // Each round also measures the CPU its bot's process used per turn (cpuRound).
      const cpu = { bot: [] as number[], echo: [] as number[] };
      const pairs = await paired(
        o.rounds,
        () => cpuRound(botP.child, bot.url, connector.url, text, load, cpu.bot),
        () => cpuRound(echoP.child, echo.url, connector.url, text, load, cpu.echo),
      );
      await ask(botP.child, { kind: 'profile', phase: undefined });
      const errors = pairs.reduce((n, [b]) => n + b.errors, 0);
      const thr = median(pairs.map(([b, e]) => b.perSecond / e.perSecond));
      const p99 = median(pairs.map(([b, e]) => b.p99 / e.p99));
      const abs = `bot ${median(pairs.map(([b]) => b.perSecond)).toFixed(0)}/s p99 ${median(pairs.map(([b]) => b.p99)).toFixed(1)} ms, echo ${median(pairs.map(([, e]) => e.perSecond)).toFixed(0)}/s p99 ${median(pairs.map(([, e]) => e.p99)).toFixed(1)} ms${errors ? `, ${errors} errors` : ''}`;
      figures.push({ name: `${label} turns/s, bot / echo (${CONNECTIONS} conn.)`, value: thr, target: { atLeast: 0.9 }, unit: 'x', detail: abs, samples: pairs.map(([b, e]) => b.perSecond / e.perSecond) });
      figures.push({ name: `${label} turn p99, bot / echo`, value: p99, target: { atMost: 1.2 }, unit: 'x', detail: abs, samples: pairs.map(([b, e]) => b.p99 / e.p99) });
      const cpuRatios = cpu.bot.map((b, i) => b / (cpu.echo[i] ?? NaN));
      figures.push({ name: `${label} CPU per turn, bot / echo (info)`, value: midpoint(cpuRatios), target: { info: true }, unit: 'x', detail: `${midpoint(cpu.bot).toFixed(2)} ms vs ${midpoint(cpu.echo).toFixed(2)} ms; per pair ${cpuRatios.map((r) => r.toFixed(2)).join(', ')}` });
    }

    figures.push(await echoAgainstEcho({ rounds: o.rounds, load, warm, connector: connector.url }));

    // /status against the echo bot answering with the same card (info): the echo bot's reply is
    // one line, /status's a run card of several KB, and sending the card alone costs more than the
    // echo's whole turn (docs/performance.md, fourth round). This pair shows what the bot spends
    // beyond sending what it sends.
    figures.push(...(await cardEchoFigures({ rounds: o.rounds, load, warm, connector: connector.url, bot: bot.url, botP, backends, status: `/status ${bot.runningId}` })));

    // /train: acknowledged with its card; the backend calls happen after the answer.
    const trainMs: number[] = [];
    const echoMs: number[] = [];
    for (let i = 0; i < 15; i++) {
      trainMs.push(await postOnce(bot.url, teamsMessage(connector.url, '/train fashion-cnn lr=0.01 epochs=1', 10_000 + i)));
      echoMs.push(await postOnce(echo.url, teamsMessage(connector.url, 'hi', 20_000 + i)));
    }
    figures.push({ name: '/train acknowledged with its card, bot / echo turn', value: median(trainMs) / median(echoMs), target: { atMost: 4 }, unit: 'x', detail: `${median(trainMs).toFixed(1)} ms vs ${median(echoMs).toFixed(1)} ms` });

    // Approve: 100 runs at approval, 20 clicks in flight at a time, each on another run.
    const ids = bot.approvalIds;
    await ask(botP.child, { kind: 'profile', phase: 'approve' });
    const lat: number[] = [];
    const order: Array<[number, number]> = [];
    let failed = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < ids.length) {
          const i = next++;
          // A click that fails (refused, reset) is counted and shown, not allowed to end the bench.
          await postOnce(bot.url, teamsInvoke(connector.url, 'approve', { runId: ids[i] ?? '', approvalId: `${ids[i] ?? ''}-approval`, cardVersion: 1 }, i, MEGAN)).then(
            (ms) => {
              lat.push(ms);
              order.push([i, ms]);
            },
            () => (failed += 1),
          );
        }
      }),
    );
    await ask(botP.child, { kind: 'profile', phase: undefined });
    // Which clicks were slow (the first ones wait for cold paths; later ones for background work).
    const slowest = [...order].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([i, ms]) => `${i}: ${ms.toFixed(0)}`).join(', ');
    const { approved } = await ask<{ approved: number }>(botP.child, { kind: 'approved' });
    figures.push({ name: 'Approve invoke p99, 20 concurrent, 100 at approval', value: percentile(lat, 99), target: { atMost: 300 }, unit: 'ms', detail: `p50 ${median(lat).toFixed(0)} ms, slowest clicks (#: ms) ${slowest}, ${approved}/100 approved${failed ? `, ${failed} clicks failed` : ''}` });
    return figures;
  } finally {
    await botP.stop();
    await echoP.stop();
    await backends.stop();
  }
}

/**
 * One round of `text` against one bot process, with the CPU that process used per turn (user +
 * system, asked over IPC) pushed to `cpuPerTurn`: CPU per turn is steadier than turns/s when the
 * load generator and other suites share the cores.
 */
async function cpuRound(child: ChildProcess, url: string, connector: string, text: string, load: { connections: number; durationMs: number }, cpuPerTurn: number[]): Promise<LoadResult> {
  const before = await ask<NodeJS.CpuUsage>(child, { kind: 'cpu' });
  const r = await drive(url, (i) => teamsMessage(connector, text, i), load);
  const after = await ask<NodeJS.CpuUsage>(child, { kind: 'cpu' });
  cpuPerTurn.push((after.user + after.system - before.user - before.system) / 1000 / Math.max(1, r.count));
  return r;
}

/**
 * The machine's noise in this run (info): an echo bot against a second, identical echo bot, both
 * started and warmed here, measured exactly as the bot is. A ratio that is not 1 is noise, and the
 * spread of its pairs is what a bot ÷ echo pair spreads by for no reason of the bot's. (Until a
 * review of the eighth round the first of the two was the echo bot of the other figures, warmed by
 * all their rounds, against a twin started just before: the A/A medians then, 0.87–0.99, carried
 * that difference in warm-up as well; a quick run read the twin's CPU per turn at 1.44 × its.)
 */
async function echoAgainstEcho(o: { rounds: number; load: { connections: number; durationMs: number }; warm: { connections: number; durationMs: number }; connector: string }): Promise<Figure> {
  const [a, b] = await Promise.all([forkSubject('echo'), forkSubject('echo')]);
  try {
    for (const s of [a, b]) await drive(s.ready.url, (i) => teamsMessage(o.connector, '/help', i), o.warm);
    const cpu = { a: [] as number[], b: [] as number[] };
    const pairs = await paired(
      o.rounds,
      () => cpuRound(a.child, a.ready.url, o.connector, '/help', o.load, cpu.a),
      () => cpuRound(b.child, b.ready.url, o.connector, '/help', o.load, cpu.b),
    );
    const ratios = pairs.map(([a, b]) => a.perSecond / b.perSecond);
    const sorted = [...ratios].sort((x, y) => x - y);
    // CPU per turn too: what the "CPU per turn, bot / echo" figures move by for no reason of the bot's.
    const cpuRatios = cpu.a.map((a, i) => a / (cpu.b[i] ?? NaN));
    return { name: 'turns/s, echo / identical echo (info: the noise of a pair here)', value: median(ratios), target: { info: true }, unit: 'x', detail: `pairs ${ratios.map((r) => r.toFixed(2)).join(', ')}; range ${(sorted[0] ?? NaN).toFixed(2)}–${(sorted[sorted.length - 1] ?? NaN).toFixed(2)}; CPU per turn ${midpoint(cpuRatios).toFixed(2)} (pairs ${cpuRatios.map((r) => r.toFixed(2)).join(', ')})` };
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

/** Turn figures of /status against the card-echo baseline (turn-subject role `card-echo`). */
async function cardEchoFigures(o: { rounds: number; load: { connections: number; durationMs: number }; warm: { connections: number; durationMs: number }; connector: string; bot: string; botP: Subject<'bot'>; backends: Subject<'backends'>; status: string }): Promise<Figure[]> {
  const captured = ask<{ captured: Record<string, unknown> }>(o.backends.child, { kind: 'captureNext' });
  await postOnce(o.bot, teamsMessage(o.connector, o.status, 30_000));
  const { captured: sent } = await captured;
  if (!Array.isArray(sent.attachments) || sent.attachments.length !== 1) throw new Error(`bench: the bot's /status reply has no card: ${JSON.stringify(sent).slice(0, 300)}`);
  const reply = { type: 'message', text: sent.text, attachments: sent.attachments, ...(sent.inputHint ? { inputHint: sent.inputHint } : {}) };
  // BENCH_DUMP_REPLY=<file>: keep the /status reply as the bot sent it (to read what a turn sends).
  if (process.env.BENCH_DUMP_REPLY) writeFileSync(process.env.BENCH_DUMP_REPLY, JSON.stringify(sent, null, 2));
  const cardEcho = await forkSubject('card-echo', { BENCH_ECHO_REPLY: JSON.stringify(reply) });
  try {
    await drive(cardEcho.ready.url, (i) => teamsMessage(o.connector, o.status, i), o.warm);
    await drive(o.bot, (i) => teamsMessage(o.connector, o.status, i), o.warm);
    const cpu = { bot: [] as number[], echo: [] as number[] };
    const pairs = await paired(
      o.rounds,
      () => cpuRound(o.botP.child, o.bot, o.connector, o.status, o.load, cpu.bot),
      () => cpuRound(cardEcho.child, cardEcho.ready.url, o.connector, o.status, o.load, cpu.echo),
    );
    const cpuRatios = cpu.bot.map((b, i) => b / (cpu.echo[i] ?? NaN));
    const size = Buffer.byteLength(JSON.stringify(reply));
    return [
      { name: '/status turns/s, bot / echo sending the same card (info)', value: median(pairs.map(([b, e]) => b.perSecond / e.perSecond)), target: { info: true }, unit: 'x', detail: `bot ${median(pairs.map(([b]) => b.perSecond)).toFixed(0)}/s, card echo ${median(pairs.map(([, e]) => e.perSecond)).toFixed(0)}/s; reply ${size} bytes; per pair ${pairs.map(([b, e]) => (b.perSecond / e.perSecond).toFixed(2)).join(', ')}` },
      { name: '/status CPU per turn, bot / echo sending the same card (info)', value: midpoint(cpuRatios), target: { info: true }, unit: 'x', detail: `${midpoint(cpu.bot).toFixed(2)} ms vs ${midpoint(cpu.echo).toFixed(2)} ms; per pair ${cpuRatios.map((r) => r.toFixed(2)).join(', ')}` },
    ];
  } finally {
    await cardEcho.stop();
  }
}
