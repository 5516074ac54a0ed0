import type { TokenStore } from '../arm/token.sandbox';

/**
 * Who a sandbox request is, from its Authorization header, as each service decides it: a
 * configured secret (Databricks PAT, Azure DevOps PAT as Basic) or an Entra token issued by the
 * sandbox's managed-identity endpoint for the service's own resource (audience). A token for
 * another resource, an expired one or one the endpoint never issued is refused like a wrong PAT.
 * See docs/sandbox.md, "Authentication".
 */
export interface SandboxIdentity {
  id: string;
  displayName: string;
  uniqueName: string;
}

/** Entra resource (application) ids of the services, fixed by Microsoft. */
export const RESOURCES = {
  azureDatabricks: '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d',
  azureDevOps: '499b84ac-1321-427f-aa17-267ca6975798',
} as const;

/** The identity behind the sandbox's configured credentials: the bot's service account. */
export const BOT_IDENTITY: SandboxIdentity = { id: '7e2b5b0c-1c1e-4f7e-9a51-3d8f5a1b0b01', displayName: 'MLOps ChatOps Bot', uniqueName: 'mlops-bot@contoso.com' };

/** Where a request's credential came from, and whose it is. */
export interface Authenticated {
  scheme: 'pat' | 'entra';
  identity: SandboxIdentity;
}

export interface CredentialRules {
  /** Accepted secrets and whose they are (a Databricks PAT, an Azure DevOps PAT). */
  secrets: ReadonlyMap<string, SandboxIdentity>;
  /** Entra tokens from the sandbox's token endpoint; absent = Entra is not accepted. */
  tokens?: TokenStore;
  /** The audience an Entra token must carry for this service. */
  resource: string;
}

export type AuthOutcome = { ok: true; who: Authenticated } | { ok: false; reason: 'missing' | 'invalid' };

/** A Bearer value, or the password of a Basic value (the user name is ignored, as Azure DevOps does). */
export function presented(header: string | string[] | undefined): { scheme: 'bearer' | 'basic'; value: string } | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^(Bearer|Basic)\s+(\S+)\s*$/i.exec(header);
  if (!m?.[1] || !m[2]) return undefined;
  if (m[1].toLowerCase() === 'bearer') return { scheme: 'bearer', value: m[2] };
  const decoded = Buffer.from(m[2], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { scheme: 'basic', value: decoded.slice(colon + 1) };
}

/**
 * Checks one Authorization header against a service's rules. `basicAllowed`: Azure DevOps takes a
 * PAT as Basic; Databricks takes its PAT only as Bearer.
 */
export function authenticate(header: string | string[] | undefined, rules: CredentialRules, basicAllowed: boolean): AuthOutcome {
  const p = presented(header);
  if (!p || p.value === '' || (p.scheme === 'basic' && !basicAllowed)) return { ok: false, reason: 'missing' };
  const owner = rules.secrets.get(p.value);
  if (owner) return { ok: true, who: { scheme: 'pat', identity: owner } };
  if (p.scheme === 'bearer' && rules.tokens) {
    const info = rules.tokens.validate(p.value, rules.resource);
    if (info) return { ok: true, who: { scheme: 'entra', identity: managedIdentity(info.clientId) } };
  }
  return { ok: false, reason: 'invalid' };
}

/** The service principal of a managed identity, as a service sees it once its token is accepted. */
export function managedIdentity(clientId: string): SandboxIdentity {
  return { id: clientId, displayName: 'mlops-chatops (managed identity)', uniqueName: clientId };
}
