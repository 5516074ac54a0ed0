import type { CloudAdapter } from 'botbuilder';
import { createNotifier, TeamsPacer, type Notifier, type OutgoingMessage } from '../../bot/notifier';
import { silentLogger } from '../../services/logger';
import { authOffAdapter, MockConnector, referenceFor, type RecordedRequest } from '../support/mock-connector';
import { TeamsLimits } from '../support/teams-limits';
import { VirtualClock } from '../support/virtual-clock';

/**
 * Issue 13: 100 runs announcing into one channel at once, against a Bot Connector that enforces
 * Teams' published limits and answers 429 past them. Time is virtual (the pacer, the backoff and
 * the fake share one clock), so minutes of paced traffic take a moment and nothing here depends
 * on how fast the machine is.
 */
const CHANNEL = '19:ops@thread.tacv2';
const RUNS = 100;
const UPDATES = 5;

const cardOf = (run: number, v: number): OutgoingMessage => ({
  summary: `run ${run} v${v}`,
  card: { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: `run ${run} v${v}`, wrap: true }] },
});
const textOf = (r: RecordedRequest): string | undefined => (r.body.attachments as { content: { body: { text: string }[] } }[] | undefined)?.[0]?.content.body[0]?.text;

/** A deterministic spread of progress gaps (ms), so runs interleave differently. */
const gap = (run: number, v: number): number => 300 + ((run * 7919 + v * 104_729) % 2_700);

async function burst(n: Notifier, clock: VirtualClock): Promise<Map<number, string>> {
  const ids = new Map<number, string>();
  await Promise.all(
    Array.from({ length: RUNS }, async (_, run) => {
      const id = await n.send(CHANNEL, cardOf(run, 0));
      ids.set(run, id);
      const updates: Promise<void>[] = [];
      for (let v = 1; v <= UPDATES; v++) {
        await clock.sleep(gap(run, v));
        // Not awaited: a run moves on while its card is still queued, as the dispatcher does.
        updates.push(n.update(CHANNEL, id, cardOf(run, v)));
      }
      await Promise.all(updates);
    }),
  );
  await n.drain();
  return ids;
}

describe('notifier pacing against Teams rate limits', () => {
  let connector: MockConnector;
  let adapter: CloudAdapter;

  beforeAll(async () => {
    connector = await MockConnector.start();
    adapter = authOffAdapter();
  });
  afterEach(() => connector.reset());
  afterAll(async () => connector.close());

  const setUp = (pacer: TeamsPacer, clock: VirtualClock): Notifier => {
    connector.clock = clock;
    connector.limits = new TeamsLimits();
    return createNotifier({ adapter, appId: '', references: { get: async (id) => referenceFor(connector, id, 'channel') }, logger: silentLogger, pacer, maxRetries: 8, baseDelayMs: 1_000 });
  };

  it('delivers 100 runs into one channel with no 429 and the final state of every card', async () => {
    const clock = new VirtualClock();
    const pacer = new TeamsPacer({ clock });
    const n = setUp(pacer, clock);
    const start = clock.now();
    const ids = await burst(n, clock);
    const drainedMs = clock.now() - start;
    await n.close();

    expect(connector.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(connector.requests.every((r) => r.status === 200)).toBe(true);
    expect(ids.size).toBe(RUNS);
    for (const [run, id] of ids) {
      const puts = connector.requests.filter((r) => r.kind === 'update' && r.activityId === id);
      // The last state Teams received for this card is the run's last one.
      expect(textOf(puts[puts.length - 1] ?? connector.requests[0]!)).toBe(`run ${run} v${UPDATES}`);
    }
    const m = n.metrics(CHANNEL);
    expect(m.sends).toBe(RUNS);
    expect(m.retries).toBe(0);
    // Coalescing kept the channel's traffic under one request per state.
    expect(m.sends + m.updates).toBe(connector.requests.length);
    process.stdout.write(`notifier pacing: ${RUNS} runs x ${UPDATES + 1} states into one channel: ${connector.requests.length} requests (${m.coalesced} updates coalesced), 0 429s, drained in ${(drainedMs / 1000).toFixed(1)} s of Teams time; ${pacer.stats.delayed} calls waited for a place\n`);
  });

  it('keeps the app-wide limit when many conversations send at once', async () => {
    const clock = new VirtualClock();
    const n = setUp(new TeamsPacer({ clock }), clock);
    const chats = Array.from({ length: 120 }, (_, i) => `a:chat-${i}`);
    await Promise.all(chats.flatMap((c) => [n.send(c, cardOf(0, 0)), n.send(c, cardOf(0, 1))]));
    await n.close();
    expect(connector.requests).toHaveLength(240);
    expect(connector.requests.filter((r) => r.status !== 200)).toEqual([]);
  });

  it('has a fake connector that does answer 429 to the same burst when nothing paces it', async () => {
    const clock = new VirtualClock();
    // Limits far above Teams': this pacer lets everything through at once.
    const unpaced = new TeamsPacer({ clock, thread: [{ ms: 1_000, limit: 1_000_000 }], app: [{ ms: 1_000, limit: 1_000_000 }] });
    const n = setUp(unpaced, clock);
    await burst(n, clock);
    await n.close();
    expect(connector.requests.filter((r) => r.status === 429).length).toBeGreaterThan(0);
  });
});
