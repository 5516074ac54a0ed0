import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';

/**
 * A stand-in for the Bot Framework's token signing keys: an OpenID metadata document and a JWKS
 * with endorsements, the shape botframework-connector's OpenIdMetadata reads
 * (https://login.botframework.com/v1/.well-known/openidconfiguration → jwks_uri → keys[] with
 * kid, n, e, endorsements). Tokens are signed with jsonwebtoken as the Bot Connector signs them:
 * RS256, issuer https://api.botframework.com, audience the bot's app id, serviceurl claim.
 */
export interface BotFrameworkKeys {
  metadataUrl: string;
  /** A token as the Bot Connector would send it; override any claim or header field. */
  token(o: { appId: string; serviceUrl: string; claims?: Record<string, unknown>; expiresInSec?: number; kid?: string; key?: KeyObject }): string;
  /** Another RSA key that the JWKS does not publish (a forger's). */
  readonly foreignKey: KeyObject;
  /** Make the metadata endpoint answer 503 (keys cannot be fetched). */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export const BF_ISSUER = 'https://api.botframework.com';

export async function startBotFrameworkKeys(): Promise<BotFrameworkKeys> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const jwk = publicKey.export({ format: 'jwk' });
  let down = false;
  let base = '';
  // restify (in the same jest worker) patches writeHead to return undefined: never chain it.
  const answer = (res: import('node:http').ServerResponse, status: number, body?: unknown): void => {
    res.statusCode = status;
    if (body !== undefined) res.setHeader('content-type', 'application/json');
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    if (down) return answer(res, 503);
    if (req.url === '/v1/.well-known/openidconfiguration') return answer(res, 200, { issuer: BF_ISSUER, jwks_uri: `${base}/v1/.well-known/keys`, id_token_signing_alg_values_supported: ['RS256'] });
    if (req.url === '/v1/.well-known/keys') return answer(res, 200, { keys: [{ kty: 'RSA', use: 'sig', kid: 'test-kid', n: jwk.n, e: jwk.e, endorsements: ['msteams'] }] });
    answer(res, 404);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    metadataUrl: `${base}/v1/.well-known/openidconfiguration`,
    foreignKey: foreign,
    token: ({ appId, serviceUrl, claims = {}, expiresInSec = 3600, kid = 'test-kid', key = privateKey }) => {
      const now = Math.floor(Date.now() / 1000);
      const payload = { iss: BF_ISSUER, aud: appId, serviceurl: serviceUrl, iat: now, nbf: now - 60, exp: now + expiresInSec, ...claims };
      return jwt.sign(payload, key, { algorithm: 'RS256', keyid: kid });
    },
    setDown: (d) => {
      down = d;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
