/**
 * The cheap look at who is calling, before a byte of the body is read: with bot authentication
 * on, a request to /api/messages must carry `Authorization: Bearer <JWS>` whose header names an
 * algorithm the Bot Framework signs with (botframework-connector
 * AuthenticationConstants.AllowedSigningAlgorithms: RS256, RS384, RS512) and a key id. The
 * signature, issuer, audience, expiry and endorsements are checked afterwards by the Bot Framework
 * SDK itself; this only turns away what can never pass (no token, `alg: none`, garbage) for free.
 */
const ALLOWED_ALGS = new Set(['RS256', 'RS384', 'RS512']);
const MAX_TOKEN = 16 * 1024;

export function bearerPrecheck(authorization: string | string[] | undefined): string | undefined {
  if (typeof authorization !== 'string' || authorization.trim() === '') return 'The request carries no Bot Framework token.';
  const m = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/.exec(authorization.trim());
  if (!m || authorization.length > MAX_TOKEN) return 'The Authorization header is not a Bearer token.';
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(m[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    return 'The Authorization header is not a Bearer token.';
  }
  const h = header as { alg?: unknown; kid?: unknown };
  if (typeof h.alg !== 'string' || !ALLOWED_ALGS.has(h.alg) || !m[3]) return 'The token is not signed with an algorithm the Bot Framework uses.';
  if (typeof h.kid !== 'string' || h.kid === '') return 'The token names no signing key.';
  return undefined;
}
