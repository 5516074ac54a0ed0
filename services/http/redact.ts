/** Removes credentials from anything that may reach a log line, an error or a card. */
const SECRET_KEYS = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[-_]?key|password|secret|token|access_token|refresh_token|client_secret|pat|.*password|.*secret|.*token)$/i;

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = SECRET_KEYS.test(k) ? '[redacted]' : v;
  return out;
}

/** Strips credentials that may be embedded in URLs or text (query tokens, basic auth, bearer tokens, PAT-looking strings). */
export function redactText(text: string, knownSecrets: readonly string[] = []): string {
  let out = text
    .replace(/(\/\/)[^/@\s:]+:[^/@\s]+@/g, '$1[redacted]@')
    .replace(/([?&](?:code|sig|token|access_token|api[-_]?key|secret)=)[^&\s"']+/gi, '$1[redacted]')
    .replace(/(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/g, '$1 [redacted]')
    .replace(/\bdapi[0-9a-f]{32}(-\d+)?\b/g, '[redacted]');
  for (const s of knownSecrets) if (s.length >= 6) out = out.split(s).join('[redacted]');
  return out;
}

/** Deep copy of a JSON-ish value with secret-named keys replaced. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  // Past depth 8 an object or array is replaced, not kept: kept as is, a secret-named key nested
  // deeper would reach the log line unredacted (and a cycle would reach JSON.stringify).
  if (depth > 8) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value instanceof Error) return redactValue(serializeError(value), depth);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEYS.test(k) ? '[redacted]' : redactValue(v, depth + 1);
  }
  return out;
}

/**
 * An Error as a plain object for a log line: its own fields are not enumerable, so copying it
 * key by key gives `{}` and loses the cause. Keeps name, message, code/status fields, the stack
 * (logs only; never an answer) and the cause chain.
 */
export function serializeError(e: Error, depth = 0): Record<string, unknown> {
  const withJson = e as Error & { toJSON?: () => unknown };
  const own = typeof withJson.toJSON === 'function' ? withJson.toJSON() : undefined;
  const out: Record<string, unknown> = { name: e.name, message: e.message };
  if (own && typeof own === 'object') Object.assign(out, own);
  for (const [k, v] of Object.entries(e)) if (!(k in out) && typeof v !== 'function') out[k] = v;
  if (e.stack) out.stack = e.stack.split('\n').slice(0, 8).join('\n');
  const cause = (e as { cause?: unknown }).cause;
  if (cause !== undefined && depth < 4) out.cause = cause instanceof Error ? serializeError(cause, depth + 1) : cause;
  if (e instanceof AggregateError && depth < 4) out.errors = e.errors.slice(0, 5).map((x: unknown) => (x instanceof Error ? serializeError(x, depth + 1) : x));
  return out;
}
