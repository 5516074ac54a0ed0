import type { Dispatcher } from 'undici';
import { lazyPackage } from '../lazy-package';

/** Loaded with the first call, not at start-up (services/lazy-package.ts). */
const undici = lazyPackage<typeof import('undici')>('undici');

/** What the pipeline reads of a response: `fetch`'s Response has this shape too, so a test can pass fetch. */
export interface TransportResponse {
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface TransportRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Aborts the request and the reading of its body. */
  signal: AbortSignal;
}

/** One HTTP exchange. `fetch` fits this type (tests script replies with it). */
export type Transport = (url: string, init: TransportRequest) => Promise<TransportResponse>;

/** Redirects fetch would follow ("follow", at most 20), followed the same way (303, and 301/302 after a POST, become GETs; credentials are dropped across origins). */
const MAX_REDIRECTIONS = 20;

let shared: Dispatcher | undefined;

/**
 * The pipeline's HTTP client: undici's `request` (undici 7, the HTTP/1.1 client Node's own fetch is
 * built on) on one keep-alive connection pool for every service client of the process.
 *
 * Why not the global fetch: per call, fetch builds a WHATWG Request, Response and Headers, web
 * streams for the body and their abort wiring, which is work the pipeline then reads back out as a
 * string. Measured against a loopback server in another process, with the pipeline's own abort
 * timer per call: ≈ 420–460 µs of CPU per request with fetch, ≈ 150–170 µs with `request`
 * (docs/performance.md, fifth round); the tracker makes ≈ 11 such calls per run.
 */
export const undiciTransport: Transport = async (url, init) => {
  const { request, Agent, interceptors } = undici();
  shared ??= new Agent().compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS }));
  const res = await request(url, {
    method: init.method,
    headers: init.headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
    signal: init.signal,
    dispatcher: shared,
  });
  const headers = res.headers;
  return {
    status: res.statusCode,
    statusText: res.statusText,
    headers: {
      get(name: string): string | null {
        const v = headers[name.toLowerCase()];
        if (v === undefined) return null;
        return Array.isArray(v) ? v.join(', ') : v;
      },
    },
    text: () => res.body.text(),
  };
};
