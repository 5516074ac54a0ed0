import { ConfigurationBotFrameworkAuthentication, type Activity } from 'botbuilder';
import { AuthenticationConstants, ConnectorFactory, type AuthenticateRequestResult, type ClaimsIdentity, type ConnectorClient, type UserTokenClient } from 'botframework-connector';

/**
 * botbuilder builds a new ConnectorClient (an HTTP pipeline of ~10 policies, its credentials and
 * serializer) and a new UserTokenClient for every turn and every proactive message, and drops
 * them when the turn ends: ~6 % of the bot's CPU on a /status turn (issue 13, CPU profile). Both
 * are stateless apart from their credentials, which fetch and refresh their own tokens, so one of
 * each serves every turn with the same key:
 * - a ConnectorClient per (bot app id, serviceUrl, audience): everything botbuilder's factory
 *   builds it from (the rest is this process's fixed configuration);
 * - a UserTokenClient per bot app id.
 * The app id is read from the validated claims exactly as botbuilder does (audience claim, else
 * appid claim), and the first creation for a key goes through botbuilder's own factory, so its
 * checks (e.g. `Invalid appId.`) run for every key; a failed creation is not kept, so it fails
 * again for the next caller. Bounded: a new key past the bound evicts the oldest one.
 */
export class ReusedClientsAuthentication extends ConfigurationBotFrameworkAuthentication {
  private readonly connectors = new BoundedCache<ConnectorClient>(32);
  private readonly tokenClients = new BoundedCache<UserTokenClient>(8);

  override async authenticateRequest(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    const result = await super.authenticateRequest(activity, authHeader);
    return result.connectorFactory ? { ...result, connectorFactory: this.reusing(result.connectorFactory, appIdOf(result.claimsIdentity)) } : result;
  }

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return this.reusing(super.createConnectorFactory(claimsIdentity), appIdOf(claimsIdentity));
  }

  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return this.tokenClients.get(appIdOf(claimsIdentity), () => super.createUserTokenClient(claimsIdentity));
  }

  private reusing(factory: ConnectorFactory, appId: string): ConnectorFactory {
    return new ReusingConnectorFactory(factory, appId, this.connectors);
  }
}

/** botbuilder's factory for one turn, answering from the process-wide cache first. */
class ReusingConnectorFactory extends ConnectorFactory {
  constructor(
    private readonly factory: ConnectorFactory,
    private readonly appId: string,
    private readonly connectors: BoundedCache<ConnectorClient>,
  ) {
    super();
  }

  create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
    // Length-prefixed parts: no two (app id, audience, URL) triples give one key.
    const key = `${this.appId.length}:${this.appId}${audience === undefined ? '-' : `${audience.length}:${audience}`}${serviceUrl}`;
    return this.connectors.get(key, () => this.factory.create(serviceUrl, audience));
  }
}

/** As botframework-connector's getAppId (parameterizedBotFrameworkAuthentication.js): '' when auth is off. */
function appIdOf(claims: ClaimsIdentity): string {
  return claims.getClaimValue(AuthenticationConstants.AudienceClaim) ?? claims.getClaimValue(AuthenticationConstants.AppIdClaim) ?? '';
}

/** Promises of built clients by key, least recently used evicted first; a rejected build is forgotten. */
export class BoundedCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, build: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const built = build();
    this.entries.set(key, built);
    built.catch(() => {
      if (this.entries.get(key) === built) this.entries.delete(key);
    });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
    return built;
  }
}
