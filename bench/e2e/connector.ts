import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The Bot Connector both bots reply to in the bench: accepts every POST/PUT at once with an id,
 * answers GET (roster pages) with an empty page. Identical for the bot and the echo bot, so the
 * ratio measures the bots, not the connector.
 */
export interface BenchConnector {
  url: string;
  posts: number;
  /** Keeps the body of the next POST (the card-echo baseline copies the bot's /status reply). */
  captureNext(): Promise<unknown>;
  close(): Promise<void>;
}

export async function startBenchConnector(): Promise<BenchConnector> {
  let n = 0;
  const state = { posts: 0 };
  let capture: ((body: unknown) => void) | undefined;
  const server: Server = createServer((req, res) => {
    const keep = req.method === 'POST' ? capture : undefined;
    if (keep) capture = undefined;
    const chunks: Buffer[] = [];
    if (keep) req.on('data', (c: Buffer) => chunks.push(c));
    else req.resume();
    req.on('end', () => {
      keep?.(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET') return res.end(JSON.stringify({ members: [] }));
      state.posts += 1;
      res.end(JSON.stringify({ id: `bench-${++n}` }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    get posts() {
      return state.posts;
    },
    captureNext: () => new Promise((resolve) => void (capture = resolve)),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
