import { randomBytes, randomUUID } from 'node:crypto';
import { SandboxServer, type SandboxReply } from '../common/http-server';
import type { SandboxClock } from '../common/clock';
import type { FaultRegistry } from '../common/faults';

/**
 * The managed-identity token endpoint of Azure App Service (protocol 2019-08-01), as
 * @azure/identity's ManagedIdentityCredential (through MSAL) calls it:
 *   GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=https://management.azure.com
 *   X-IDENTITY-HEADER: {IDENTITY_HEADER}
 * → 200 {access_token, expires_on (epoch seconds as a string), resource, token_type, client_id}.
 * Errors use the App Service body {statusCode, message, correlationId}, which MSAL parses.
 */
export const TOKEN_PATH = '/msi/token';
export const APP_SERVICE_MSI_API_VERSION = '2019-08-01';
/** The client id the sandbox's system-assigned identity reports. */
export const SANDBOX_CLIENT_ID = '00000000-0000-0000-0000-00000000a11d';

export interface IssuedToken {
  resource: string;
  clientId: string;
  expiresOnMs: number;
}

/** Tokens the endpoint has handed out; the ARM sandbox accepts only these. */
export class TokenStore {
  private readonly tokens = new Map<string, IssuedToken>();

  issue(resource: string, clientId: string, lifetimeMs: number): { token: string; info: IssuedToken } {
    // JWT-shaped so that anything that peeks at it sees the usual three parts; the signature is random.
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    // Token expiry is real time, not sandbox time: MSAL compares it with Date.now().
    const expiresOnMs = Date.now() + lifetimeMs;
    const token = [
      b64({ typ: 'JWT', alg: 'RS256', kid: 'sandbox' }),
      b64({ aud: resource, iss: 'https://sts.windows.net/sandbox/', appid: clientId, oid: clientId, exp: Math.floor(expiresOnMs / 1000), jti: randomUUID() }),
      randomBytes(32).toString('base64url'),
    ].join('.');
    const info = { resource, clientId, expiresOnMs };
    this.tokens.set(token, info);
    return { token, info };
  }

  /** The token's details if it was issued here for `resource` and has not expired. */
  validate(token: string, resource: string): IssuedToken | undefined {
    const info = this.tokens.get(token);
    if (!info || info.expiresOnMs <= Date.now()) return undefined;
    return trimSlash(info.resource) === trimSlash(resource) ? info : undefined;
  }

  get size(): number {
    return this.tokens.size;
  }
}

export interface TokenSandboxOptions {
  clock: SandboxClock;
  faults: FaultRegistry;
  tokens: TokenStore;
  /** The IDENTITY_HEADER secret a caller must present. */
  identityHeader: string;
  tokenLifetimeMs?: number;
}

export function createTokenServer(o: TokenSandboxOptions): SandboxServer {
  const server = new SandboxServer({
    service: 'token',
    faults: o.faults,
    clock: o.clock,
    requestIdHeader: 'x-ms-request-id',
    errorBody: (status, _code, message) => ({ statusCode: status, message, correlationId: randomUUID() }),
  });
  const error = (status: number, message: string): SandboxReply => ({ status, body: { statusCode: status, message, correlationId: randomUUID() } });
  server.route('GET', TOKEN_PATH, 'token.get', (req) => {
    const header = req.headers['x-identity-header'];
    if (typeof header !== 'string' || header === '') return error(400, 'Missing X-IDENTITY-HEADER header');
    if (header !== o.identityHeader) return error(401, 'Invalid X-IDENTITY-HEADER header');
    const apiVersion = req.query.get('api-version');
    if (apiVersion !== APP_SERVICE_MSI_API_VERSION) return error(400, `Unsupported api-version '${apiVersion ?? ''}'; use ${APP_SERVICE_MSI_API_VERSION}`);
    const resource = req.query.get('resource');
    if (!resource) return error(400, 'The resource parameter is required');
    // User-assigned identities are addressed by client_id, object_id (principal_id) or mi_res_id.
    const clientId = req.query.get('client_id') ?? SANDBOX_CLIENT_ID;
    const { token, info } = o.tokens.issue(resource, clientId, o.tokenLifetimeMs ?? 3_600_000);
    return {
      status: 200,
      body: { access_token: token, expires_on: String(Math.floor(info.expiresOnMs / 1000)), resource, token_type: 'Bearer', client_id: clientId },
    };
  });
  return server;
}

function trimSlash(s: string): string {
  return s.replace(/\/+$/, '').toLowerCase();
}
