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
  close(): Promise<void>;
}

export async function startBenchConnector(): Promise<BenchConnector> {
  let n = 0;
  const state = { posts: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
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
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
