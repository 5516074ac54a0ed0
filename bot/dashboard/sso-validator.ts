import jwt, { type JwtPayload } from 'jsonwebtoken';
import type { JwksClient } from 'jwks-rsa';
import { lazyPackage } from '../../services/lazy-package';

/** Loaded with the first tab sign-in, not at start-up (services/lazy-package.ts). */
const jwksRsa = lazyPackage<typeof import('jwks-rsa')>('jwks-rsa');
import type { Principal } from '../../services/auth/roles';

/**
 * Validates the tab's single sign-on token (Teams `authentication.getAuthToken`, an Entra v2
 * access token for this app's API) as Microsoft's identity platform documents it
 * (learn.microsoft.com/entra/identity-platform/access-tokens, "Validate tokens"):
 * RS256 signature by a key of the tenant's published JWKS, `iss` = the tenant's v2 issuer,
 * `aud` = the app's client id (or its Application ID URI for v1-shaped audiences), `exp`/`nbf`
 * with a small skew, `scp` containing `access_as_user`, and a tenant on the allow-list.
 * jsonwebtoken (the verify) and jwks-rsa (key fetch, cache, refresh on an unknown kid, rate
 * limit) are the well-kept libraries doing the work; jwks-rsa 3.x is the CommonJS line, which
 * jest's module loader can require (jose 6 is ESM-only).
 */
export interface SsoSettings {
  /** The Entra application (client) id of the tab's API (`webApplicationInfo.id`). */
  clientId: string;
  /** `api://<fqdn>/<client id>`, accepted as audience too (v1-shaped tokens carry it). */
  appIdUri?: string | undefined;
  /** Tenants whose users may sign in (GUIDs). */
  allowedTenants: readonly string[];
  /** https://login.microsoftonline.com in Azure; the sandbox's Entra stand-in in sandbox mode. */
  authority: string;
  /** Seconds of clock skew accepted on exp/nbf. */
  clockToleranceSec?: number;
}

export interface SsoUser extends Principal {
  tenantId: string;
}

export type SsoResult = { ok: true; user: SsoUser } | { ok: false; status: 401 | 403 | 503; message: string; cause: string };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SIGN_IN_AGAIN = 'Sign in again: reload the dashboard in Teams.';

export class SsoValidator {
  private readonly jwks = new Map<string, JwksClient>();
  private readonly authority: string;

  constructor(private readonly s: SsoSettings) {
    this.authority = s.authority.replace(/\/+$/, '');
  }

  async validate(authorization: string | undefined): Promise<SsoResult> {
    const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(authorization?.trim() ?? '');
    if (!m?.[1]) return refuse(401, 'The dashboard needs your Teams sign-in: open it from Teams (no Bearer token was sent).', 'no bearer token');
    const token = m[1];
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') return refuse(401, `The sign-in token could not be read. ${SIGN_IN_AGAIN}`, 'undecodable token');
    const { header, payload } = decoded;
    if (header.alg !== 'RS256' || !header.kid) return refuse(401, `The sign-in token is not signed as Entra signs tokens. ${SIGN_IN_AGAIN}`, `alg ${header.alg} kid ${header.kid ?? 'none'}`);
    const tid = typeof payload.tid === 'string' ? payload.tid.toLowerCase() : '';
    if (!GUID.test(tid)) return refuse(401, `The sign-in token names no tenant. ${SIGN_IN_AGAIN}`, 'no tid');
    if (!this.s.allowedTenants.some((t) => t.toLowerCase() === tid)) {
      return refuse(403, 'Your organization is not allowed to use this dashboard. Ask the bot\'s admins to add your tenant.', `tenant ${tid} not allowed`);
    }
    let key: string;
    try {
      key = (await this.client(tid).getSigningKey(header.kid)).getPublicKey();
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      if (name === 'SigningKeyNotFoundError') return refuse(401, `The sign-in token is not signed by your tenant's keys. ${SIGN_IN_AGAIN}`, `unknown kid ${header.kid}`);
      return refuse(503, 'The sign-in keys of your tenant could not be read just now; try again in a minute.', `jwks: ${(error as Error).message}`);
    }
    let claims: JwtPayload;
    try {
      const audience: [string, ...string[]] = this.s.appIdUri ? [this.s.clientId, this.s.appIdUri] : [this.s.clientId];
      claims = jwt.verify(token, key, {
        algorithms: ['RS256'],
        issuer: `${this.authority}/${tid}/v2.0`,
        audience,
        clockTolerance: this.s.clockToleranceSec ?? 300,
      }) as JwtPayload;
    } catch (error) {
      const e = error as { name?: string; message?: string };
      if (e.name === 'TokenExpiredError') return refuse(401, `Your sign-in has expired. ${SIGN_IN_AGAIN}`, 'expired');
      if (e.name === 'NotBeforeError') return refuse(401, `The sign-in token is not valid yet (check the clock). ${SIGN_IN_AGAIN}`, 'nbf');
      return refuse(401, `The sign-in token is not valid for this dashboard. ${SIGN_IN_AGAIN}`, e.message ?? 'verify failed');
    }
    const scopes = typeof claims.scp === 'string' ? claims.scp.split(' ') : [];
    if (!scopes.includes('access_as_user')) return refuse(403, 'The sign-in token does not grant access to the dashboard (scope access_as_user is missing).', `scp ${String(claims.scp)}`);
    const oid = typeof claims.oid === 'string' ? claims.oid : '';
    if (!GUID.test(oid)) return refuse(401, `The sign-in token names no user. ${SIGN_IN_AGAIN}`, 'no oid');
    const upn = typeof claims.preferred_username === 'string' ? claims.preferred_username : typeof claims.upn === 'string' ? claims.upn : undefined;
    const name = typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim() : (upn ?? oid);
    return { ok: true, user: { id: oid, aadObjectId: oid, name, tenantId: tid, ...(upn ? { upn } : {}) } };
  }

  /** One JWKS client per tenant: the keys of `<authority>/<tenant>/discovery/v2.0/keys`, cached, refetched on an unknown kid. */
  private client(tid: string): JwksClient {
    let c = this.jwks.get(tid);
    if (!c) {
      c = new (jwksRsa().JwksClient)({
        jwksUri: `${this.authority}/${tid}/discovery/v2.0/keys`,
        cache: true,
        cacheMaxAge: 24 * 3600_000,
        rateLimit: true,
        jwksRequestsPerMinute: 10,
        timeout: 10_000,
      });
      this.jwks.set(tid, c);
    }
    return c;
  }
}

function refuse(status: 401 | 403 | 503, message: string, cause: string): SsoResult {
  return { ok: false, status, message, cause };
}
