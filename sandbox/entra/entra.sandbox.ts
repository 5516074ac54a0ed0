import { createHash, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { SandboxServer, type SandboxReply } from '../common/http-server';
import type { SandboxClock } from '../common/clock';
import type { FaultRegistry } from '../common/faults';

/**
 * The Microsoft identity platform, as far as the dashboard's single sign-on needs it
 * (docs/sandbox/entra.md names the sources):
 * - GET /{tenant}/v2.0/.well-known/openid-configuration: the OIDC metadata (issuer with the tenant id, jwks_uri);
 * - GET /{tenant}/discovery/v2.0/keys: the signing keys (RSA, `use: sig`, `kid`, `x5t`, `n`, `e`, and the
 *   key's `issuer` template as Entra publishes it);
 * - POST /_sandbox/tab-token: NOT an Entra API. It stands in for the Teams client, which obtains the
 *   tab's token from Entra on the user's behalf (getAuthToken); the sandbox's tab host calls it.
 * Tokens are Entra v2 access tokens for the app's API: aud = client id, iss =
 * https://<authority>/<tid>/v2.0, scp = access_as_user, oid, tid, preferred_username, name, ver 2.0.
 * Unknown tenants get Entra's 400 AADSTS90002 body. The key pair lives in this process only.
 */
export const SANDBOX_TENANT_ID = 'a11ce000-0000-4000-8000-00000000a11c';
export const SANDBOX_TAB_CLIENT_ID = 'd45b0a12-7c3e-4f51-9a6b-5e0c1f2d3a4b';

export interface SandboxTabUser {
  oid: string;
  upn: string;
  name: string;
}

export interface EntraSandbox {
  url: string;
  tenantId: string;
  clientId: string;
  /** Signs a tab token as Entra would (tests also build expired, foreign or forged ones with `sign`). */
  issueTabToken(user: SandboxTabUser, o?: { lifetimeSec?: number; skewSec?: number; scope?: string; audience?: string; tenantId?: string }): string;
  close(): Promise<void>;
}

export async function startEntraSandbox(o: { clock: SandboxClock; faults: FaultRegistry; port?: number; tenants?: string[]; clientId?: string }): Promise<EntraSandbox> {
  const tenants = new Set((o.tenants ?? [SANDBOX_TENANT_ID]).map((t) => t.toLowerCase()));
  const clientId = o.clientId ?? SANDBOX_TAB_CLIENT_ID;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = thumbprint(publicKey);
  const errorBody = (_status: number, code: string, message: string): unknown => ({ error: code, error_description: message, error_codes: [], timestamp: new Date().toISOString() });
  const server = new SandboxServer({ service: 'entra', faults: o.faults, clock: o.clock, requestIdHeader: 'x-ms-request-id', errorBody });
  const unknownTenant = (t: string): SandboxReply => ({
    status: 400,
    body: { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${t}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`, error_codes: [90002] },
  });
  const base = (): string => server.url;

  server.route('GET', '/:tenant/v2.0/.well-known/openid-configuration', 'openid-configuration', (req) => {
    const t = (req.params.tenant ?? '').toLowerCase();
    if (!tenants.has(t)) return unknownTenant(t);
    return {
      status: 200,
      body: {
        token_endpoint: `${base()}/${t}/oauth2/v2.0/token`,
        jwks_uri: `${base()}/${t}/discovery/v2.0/keys`,
        issuer: `${base()}/${t}/v2.0`,
        authorization_endpoint: `${base()}/${t}/oauth2/v2.0/authorize`,
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        subject_types_supported: ['pairwise'],
        tenant_region_scope: 'EU',
      },
    };
  });
  server.route('GET', '/:tenant/discovery/v2.0/keys', 'keys', (req) => {
    const t = (req.params.tenant ?? '').toLowerCase();
    if (!tenants.has(t)) return unknownTenant(t);
    const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
    return { status: 200, body: { keys: [{ kty: 'RSA', use: 'sig', kid, x5t: kid, n: jwk.n, e: jwk.e, cloud_instance_name: 'microsoftonline.com', issuer: `${base()}/{tenantid}/v2.0` }] } };
  });

  const issueTabToken: EntraSandbox['issueTabToken'] = (user, t = {}) => {
    const tid = t.tenantId ?? SANDBOX_TENANT_ID;
    // Wall time, as Entra and the bot share it (the sandbox clock may run fast for pipeline stages).
    const now = Math.floor(Date.now() / 1000) + (t.skewSec ?? 0);
    return jwt.sign(
      {
        aud: t.audience ?? clientId,
        iss: `${base()}/${tid}/v2.0`,
        iat: now,
        nbf: now,
        exp: now + (t.lifetimeSec ?? 3600),
        azp: '5e3ce6c0-2b1f-4285-8d4b-75ee78787346',
        name: user.name,
        oid: user.oid,
        preferred_username: user.upn,
        scp: t.scope ?? 'access_as_user',
        sub: createHash('sha256').update(`${user.oid}/${clientId}`).digest('base64url').slice(0, 43),
        tid,
        uti: randomUUID().replace(/-/g, '').slice(0, 22),
        ver: '2.0',
      },
      privateKey,
      { algorithm: 'RS256', keyid: kid, noTimestamp: true },
    );
  };
  server.route('POST', '/_sandbox/tab-token', 'tab-token', (req) => {
    const b = req.body as Partial<SandboxTabUser> | undefined;
    if (!b || typeof b.oid !== 'string' || typeof b.upn !== 'string' || typeof b.name !== 'string') return { status: 400, body: { error: 'invalid_request', error_description: 'oid, upn and name are required' } };
    return { status: 200, body: { access_token: issueTabToken({ oid: b.oid, upn: b.upn, name: b.name }), token_type: 'Bearer' } };
  });
  await server.listen(o.port ?? 0);
  return { url: server.url, tenantId: SANDBOX_TENANT_ID, clientId, issueTabToken, close: () => server.close() };
}

/** Entra's kid/x5t is the base64url SHA-1 of the signing certificate; here, of the public key (there is no certificate). */
function thumbprint(key: KeyObject): string {
  return createHash('sha1').update(key.export({ format: 'der', type: 'spki' })).digest('base64url');
}
