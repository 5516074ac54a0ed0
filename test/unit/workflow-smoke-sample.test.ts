import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postSample } from '../../services/workflow/smoke-test';

/** The smoke test's request: a real POST on loopback, what it sends and what it keeps of the answer. */
describe('postSample', () => {
  let server: Server;
  let url = '';
  let seen: { method?: string; headers?: IncomingHttpHeaders; body?: string } = {};
  let answer = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { method: req.method, headers: req.headers, body };
        // Not chained: restify replaces writeHead for the whole worker with one that returns undefined.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(answer);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/score`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('POSTs the sample as JSON and asks for JSON', async () => {
    answer = '{"predictions":[1]}';
    const res = await postSample(url, { data: [[0.5]] }, 5_000);
    expect(seen).toMatchObject({ method: 'POST', body: '{"data":[[0.5]]}', headers: { 'content-type': 'application/json', accept: 'application/json' } });
    expect(res).toMatchObject({ status: 200, body: '{"predictions":[1]}' });
    // The time from the start of the call: a whole number of ms, not more than the process has lived.
    expect(Number.isInteger(res.latencyMs)).toBe(true);
    expect(res.latencyMs).toBeGreaterThanOrEqual(0);
    expect(res.latencyMs).toBeLessThanOrEqual(performance.now());
  });

  it('keeps the first 10,000 characters of a long answer', async () => {
    answer = 'x'.repeat(12_000);
    const res = await postSample(url, {}, 5_000);
    expect(res.body).toBe('x'.repeat(10_000));
  });
});
