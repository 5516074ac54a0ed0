import { createServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { NUM_CLASSES, parseRows, predict, prediction, seedOf } from './scoring-model';

/**
 * A real HTTP scoring server: what a sandbox container group runs once it reaches Running.
 * It speaks infra/scoring/score.py's contract (docs/scoring.md), same checks and messages:
 *   GET  /       → 200 {"status":"ok","model":{name,version}}   (the readiness/health probe)
 *   POST /score  {"inputs": [[784 numbers]]} → 200 {"model", "predictions": [{class, label, probabilities}]}; 400 otherwise
 * Modes (chosen by the ARM sandbox from the image tag or env, see docs/sandbox/aci.md):
 *   healthy (default), `error` (/score answers 500), `wrong` (/score answers malformed predictions).
 */
export type ScoringMode = 'healthy' | 'error' | 'wrong';

export interface ScoringServerOptions {
  image: string;
  modelName?: string;
  modelVersion?: string;
  mode?: ScoringMode;

  /** Where the server's stdout-like lines go (the container log). */
  log: (line: string) => void;
  /** Loopback port to bind; 0 = any free port. */
  port?: number;
}

export class ScoringServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly seed: number;
  requests = 0;

  constructor(private readonly o: ScoringServerOptions) {
    this.seed = seedOf(`${o.image}|${o.modelVersion ?? ''}`);
  }

  get port(): number {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) throw new Error('scoring server is not listening');
    return addr.port;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.o.log(`Loading model ${this.o.image}${this.o.modelVersion ? ` (version ${this.o.modelVersion})` : ''}`);
    this.o.log(`Listening at: http://0.0.0.0:${this.port} (scoring server, ${NUM_CLASSES} classes)`);
    return this.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.o.log('Shutting down: received SIGTERM');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
        this.o.log(`${req.method ?? 'GET'} ${path} ${status}`);
      };
      if (req.method === 'GET' && path === '/') {
        send(200, { status: 'ok', model: { name: this.o.modelName ?? '', version: this.o.modelVersion ?? '' }, image: this.o.image });
        return;
      }
      if (req.method !== 'POST' || path !== '/score') {
        send(404, { error: `no route ${req.method ?? ''} ${path}` });
        return;
      }
      this.requests++;
      if ((req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() !== 'application/json') {
        send(400, { error: 'content-type must be application/json' });
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        send(400, { error: `body is not JSON (${(e as Error).name})` });
        return;
      }
      const rows = parseRows(body);
      if (typeof rows === 'string') {
        send(400, { error: rows });
        return;
      }
      if (this.o.mode === 'error') {
        this.o.log('Traceback (most recent call last):\n  File "/app/score.py", line 42, in run\n    model.predict(data)\nRuntimeError: mat1 and mat2 shapes cannot be multiplied');
        send(500, { error: 'RuntimeError: mat1 and mat2 shapes cannot be multiplied' });
        return;
      }
      if (this.o.mode === 'wrong') {
        // One row regardless of the input count, and numbers that are not probabilities.
        send(200, { predictions: [rows[0]?.map((x) => x * 3) ?? []] });
        return;
      }
      send(200, { model: { name: this.o.modelName ?? '', version: this.o.modelVersion ?? '' }, predictions: rows.map((r) => prediction(predict(r, this.seed))) });
    });
  }
}
