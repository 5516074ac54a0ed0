import type { TokenCredential } from '@azure/identity';

/**
 * How a client authenticates: a fixed header (PAT, Databricks token) or an Entra token for a
 * scope, fetched through @azure/identity and cached by it until shortly before expiry.
 */
export interface AuthProvider {
  /** The Authorization header value to send. */
  authorization(signal?: AbortSignal): Promise<string | undefined>;
  /** Secrets this provider knows, so that redaction can remove them from any text. */
  readonly secrets: readonly string[];
}

export function bearerToken(token: string): AuthProvider {
  return { authorization: async () => `Bearer ${token}`, secrets: [token] };
}

/** Azure DevOps PATs go as basic auth with an empty user name. */
export function basicPat(pat: string): AuthProvider {
  const encoded = Buffer.from(`:${pat}`).toString('base64');
  return { authorization: async () => `Basic ${encoded}`, secrets: [pat, encoded] };
}

export function entraToken(credential: TokenCredential, scope: string): AuthProvider {
  return {
    authorization: async (signal) => {
      const token = await credential.getToken(scope, signal ? { abortSignal: signal } : {});
      if (!token) throw new Error(`no Entra token for scope ${scope}`);
      return `Bearer ${token.token}`;
    },
    secrets: [],
  };
}

export const noAuth: AuthProvider = { authorization: async () => undefined, secrets: [] };

/** Entra scopes per service (the resource ids are fixed by Microsoft). */
export const SCOPES = {
  azureDevOps: '499b84ac-1321-427f-aa17-267ca6975798/.default',
  databricks: '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default',
  arm: 'https://management.azure.com/.default',
  graph: 'https://graph.microsoft.com/.default',
} as const;
