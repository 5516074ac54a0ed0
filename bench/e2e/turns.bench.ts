import { startBenchConnector } from './connector';
import { startEchoBot } from './echo-bot';
import { drive, median, percentile, postOnce, teamsInvoke, teamsMessage, type LoadResult } from './load';
import { MEGAN, seededRun, startBotUnderTest } from './bot-under-test';
import type { Figure } from './figure';

const CONNECTIONS = 50;

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

export async function turnFigures(o: { rounds: number; roundMs: number }): Promise<Figure[]> {
  const connector = await startBenchConnector();
  const echo = await startEchoBot();
  const subject = await startBotUnderTest();
  const { bot } = subject;
  try {
    const running = await bot.store.runs.createRun(seededRun('running', 'a:bench-chat', 0));
    const warm = { connections: 8, durationMs: 500 };
    await drive(echo.url, (i) => teamsMessage(connector.url, 'hi', i), warm);
    await drive(bot.url, (i) => teamsMessage(connector.url, '/help', i), warm);
    const load = { connections: CONNECTIONS, durationMs: o.roundMs };
    const figures: Figure[] = [];
    for (const [label, text] of [['/help', '/help'], ['/status', `/status ${running.id}`]] as const) {
      const pairs = await paired(o.rounds, () => drive(bot.url, (i) => teamsMessage(connector.url, text, i), load), () => drive(echo.url, (i) => teamsMessage(connector.url, text, i), load));
      const errors = pairs.reduce((n, [b]) => n + b.errors, 0);
      const thr = median(pairs.map(([b, e]) => b.perSecond / e.perSecond));
      const p99 = median(pairs.map(([b, e]) => b.p99 / e.p99));
      const abs = `bot ${median(pairs.map(([b]) => b.perSecond)).toFixed(0)}/s p99 ${median(pairs.map(([b]) => b.p99)).toFixed(1)} ms, echo ${median(pairs.map(([, e]) => e.perSecond)).toFixed(0)}/s p99 ${median(pairs.map(([, e]) => e.p99)).toFixed(1)} ms${errors ? `, ${errors} errors` : ''}`;
      figures.push({ name: `${label} turns/s, bot / echo (${CONNECTIONS} conn.)`, value: thr, target: { atLeast: 0.9 }, unit: 'x', detail: abs, samples: pairs.map(([b, e]) => b.perSecond / e.perSecond) });
      figures.push({ name: `${label} turn p99, bot / echo`, value: p99, target: { atMost: 1.2 }, unit: 'x', detail: abs, samples: pairs.map(([b, e]) => b.p99 / e.p99) });
    }

    // /train: acknowledged with its card; the backend calls happen after the answer.
    const trainMs: number[] = [];
    const echoMs: number[] = [];
    for (let i = 0; i < 15; i++) {
      trainMs.push(await postOnce(bot.url, teamsMessage(connector.url, '/train fashion-cnn lr=0.01 epochs=1', 10_000 + i)));
      echoMs.push(await postOnce(echo.url, teamsMessage(connector.url, 'hi', 20_000 + i)));
    }
    figures.push({ name: '/train acknowledged with its card, bot / echo turn', value: median(trainMs) / median(echoMs), target: { atMost: 4 }, unit: 'x', detail: `${median(trainMs).toFixed(1)} ms vs ${median(echoMs).toFixed(1)} ms` });

    // Approve: 100 runs at approval, 20 clicks in flight at a time, each on another run.
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push((await bot.store.runs.createRun(seededRun('waiting_approval', 'a:bench-chat', i + 1))).id);
    const lat: number[] = [];
    let failed = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < ids.length) {
          const i = next++;
          // A click that fails (refused, reset) is counted and shown, not allowed to end the bench.
          await postOnce(bot.url, teamsInvoke(connector.url, 'approve', { runId: ids[i] ?? '', approvalId: `${ids[i] ?? ''}-approval`, cardVersion: 1 }, i, MEGAN)).then(
            (ms) => lat.push(ms),
            () => (failed += 1),
          );
        }
      }),
    );
    const approved = (await Promise.all(ids.map((id) => bot.store.runs.getRun(id)))).filter((r) => r?.approval?.state === 'approved').length;
    figures.push({ name: 'Approve invoke p99, 20 concurrent, 100 at approval', value: percentile(lat, 99), target: { atMost: 300 }, unit: 'ms', detail: `p50 ${median(lat).toFixed(0)} ms, ${approved}/100 approved${failed ? `, ${failed} clicks failed` : ''}` });
    return figures;
  } finally {
    await subject.close();
    await echo.close();
    await connector.close();
  }
}
