import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { Refusal } from '../http/answers';
import type { BodyResult } from '../http/body-reader';
import type { Refusal as EngineRefusal } from '../../services/workflow/action-result';
import { refusalWords } from '../views/refusal-words';
import type { SsoUser, SsoValidator } from './sso-validator';

export type DashboardRequest = IncomingMessage & { params?: Record<string, string> };
type Handler = (req: DashboardRequest, res: ServerResponse) => Promise<void>;

/** What the HTTP server lends the dashboard's routes: its guard, its refusals and its body reader. */
export interface RouteKit {
  get(path: string, route: string, handler: Handler): void;
  post(path: string, route: string, handler: Handler): void;
  refuse(res: ServerResponse, route: string, refusal: Refusal, cause: string): void;
  readBody(req: IncomingMessage, res: ServerResponse): Promise<BodyResult>;
}

/**
 * The SSO check every dashboard call starts with: the signed-in person, or undefined once the
 * refusal (401/403 with a sentence, 503 when sign-in is not configured) has been written.
 */
export function signInCheck(kit: RouteKit, sso: SsoValidator | undefined): (req: IncomingMessage, res: ServerResponse, route: string) => Promise<SsoUser | undefined> {
  return async (req, res, route) => {
    if (!sso) {
      kit.refuse(res, route, { status: 503, message: 'The dashboard is not configured: set TAB_SSO_CLIENT_ID and TAB_ALLOWED_TENANTS (docs/teams-app.md).', retryAfter: 3600 }, 'no sso settings');
      return undefined;
    }
    const result = await sso.validate(typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined);
    if (!result.ok) {
      kit.refuse(res, route, { status: result.status, message: result.message, ...(result.status === 503 ? { retryAfter: 30 } : {}) }, result.cause);
      return undefined;
    }
    return result.user;
  };
}

/** The query string of a request, checked by `schema`; on failure a 400 naming each field has been written. */
export function parseQuery<T>(kit: RouteKit, req: IncomingMessage, res: ServerResponse, route: string, schema: z.ZodType<T>): T | undefined {
  const q = schema.safeParse(Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams));
  if (q.success) return q.data;
  kit.refuse(res, route, { status: 400, message: `${q.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ')}. Nothing was read.` }, 'bad query');
  return undefined;
}

/** A JSON body checked by `schema`; on failure the refusal (413, 415, 400 with `usage`) has been written. */
export async function parseBody<T>(kit: RouteKit, req: IncomingMessage, res: ServerResponse, route: string, schema: z.ZodType<T>, usage: string): Promise<T | undefined> {
  const read = await kit.readBody(req, res);
  if (!read.ok) {
    kit.refuse(res, route, read.refusal, read.cause);
    return undefined;
  }
  const body = schema.safeParse(read.body);
  if (body.success) return body.data;
  const issue = body.error.issues[0];
  kit.refuse(res, route, { status: 400, message: `Send ${usage}: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid body'}. Nothing was changed.` }, 'bad body');
  return undefined;
}

/** The engine's refusal as an HTTP one: 403 without the role, 404 for no such run, 409 when the state does not allow it. */
export function engineRefusal(r: EngineRefusal): Refusal {
  return { status: r.kind === 'forbidden' ? 403 : r.kind === 'no-run' ? 404 : 409, message: refusalWords(r) };
}

export function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'private, no-cache', ...extra });
  res.end(text);
}

/** Answers with a strong ETag of the body; 304 without a body when the client already has it. */
export function cached(req: IncomingMessage, res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;
  const seen = req.headers['if-none-match'];
  if (typeof seen === 'string' && seen.split(',').some((t) => t.trim() === etag)) {
    res.writeHead(304, { etag, 'cache-control': 'private, no-cache' });
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), etag, 'cache-control': 'private, no-cache', vary: 'Authorization' });
  res.end(text);
}
