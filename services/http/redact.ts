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
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEYS.test(k) ? '[redacted]' : redactValue(v, depth + 1);
  }
  return out;
}
