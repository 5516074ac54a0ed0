import { HttpFault, type SandboxRequest } from '../common/http-server';

/**
 * Where MLflow REST takes its parameters (MLflow REST API docs, "Request Structure"; mlflow's
 * `call_endpoint`: GET sends them as the query string, every other method as a JSON body). A
 * parameter sent in the other place is not seen, as on the real server.
 */
type Json = Record<string, unknown>;

export function param(req: SandboxRequest, name: string): string | undefined {
  if (req.method === 'GET') return req.query.get(name) ?? undefined;
  const v = req.body && typeof req.body === 'object' ? (req.body as Json)[name] : undefined;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

export function required(req: SandboxRequest, name: string): string {
  const v = param(req, name);
  if (v === undefined || v === '') throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter '${name}'.`);
  return v;
}

/** A repeated parameter (`stages`): repeated query keys on GET, a JSON array otherwise. */
export function list(req: SandboxRequest, name: string): string[] {
  if (req.method === 'GET') return req.query.getAll(name);
  const v = req.body && typeof req.body === 'object' ? (req.body as Json)[name] : undefined;
  return Array.isArray(v) ? v.map(String) : [];
}

export function page<T>(items: T[], req: SandboxRequest, defaultSize: number, maxSize: number): { items: T[]; next_page_token?: string } {
  const size = Number(req.query.get('max_results') ?? defaultSize);
  if (!Number.isInteger(size) || size < 1 || size > maxSize) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', `Invalid value ${req.query.get('max_results')} for parameter 'max_results' supplied. It must be between 1 and ${maxSize}.`);
  const token = req.query.get('page_token');
  let offset = 0;
  try {
    offset = token ? Number((JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown }).offset) : 0;
  } catch {
    offset = -1;
  }
  if (!Number.isInteger(offset) || offset < 0) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', 'Invalid page token.');
  const slice = items.slice(offset, offset + size);
  const more = offset + size < items.length;
  // Like MLflow: next_page_token is omitted on the last page.
  return { items: slice, ...(more ? { next_page_token: Buffer.from(JSON.stringify({ offset: offset + size })).toString('base64') } : {}) };
}
