import { Agent, request } from 'node:http';

/** Percentile (0..100) of a list of numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export interface LoadResult {
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  count: number;
}

/**
 * `connections` clients, each posting one activity after the other on a kept-alive socket for
 * `durationMs` (closed loop, as users waiting for their answer). Latency is POST to full answer.
 */
export async function drive(url: string, body: (i: number) => string, o: { connections: number; durationMs: number }): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections });
  const target = new URL(`${url}/api/messages`);
  const latencies: number[] = [];
  let errors = 0;
  let i = 0;
  const end = performance.now() + o.durationMs;
  const one = (payload: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const start = performance.now();
  await Promise.all(
    Array.from({ length: o.connections }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const status = await one(body(i++)).catch(() => 0);
        latencies.push(performance.now() - t);
        if (status < 200 || status >= 300) errors += 1;
      }
    }),
  );
  const elapsed = performance.now() - start;
  agent.destroy();
  return { perSecond: (latencies.length / elapsed) * 1000, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, count: latencies.length };
}

/** One activity as Teams posts it to a bot (auth off), from a user in a 1:1 chat. */
export function teamsMessage(serviceUrl: string, text: string, i: number, from = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-0000000000020' }): string {
  return JSON.stringify({
    type: 'message', id: `bench-${i}`, timestamp: new Date().toISOString(), channelId: 'msteams', serviceUrl, from,
    recipient: { id: 'bot-id', name: 'MLOps ChatOps' }, conversation: { id: 'a:bench-chat', conversationType: 'personal', tenantId: 'tenant-1' }, text, textFormat: 'plain',
  });
}

export function teamsInvoke(serviceUrl: string, verb: string, data: Record<string, unknown>, i: number, from: { id: string; name: string; aadObjectId?: string }): string {
  return JSON.stringify({
    type: 'invoke', name: 'adaptiveCard/action', id: `bench-invoke-${i}`, timestamp: new Date().toISOString(), channelId: 'msteams', serviceUrl, from,
    recipient: { id: 'bot-id', name: 'MLOps ChatOps' }, conversation: { id: 'a:bench-chat', conversationType: 'personal', tenantId: 'tenant-1' }, replyToId: `card-${i}`,
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
  });
}

/** One POST to /api/messages on a fresh connection; resolves with its latency in ms (throws on a non-2xx). */
export async function postOnce(url: string, body: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`POST /api/messages answered ${res.status}`);
  return performance.now() - t;
}
