import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { BoundedCredential } from './bounded-credential';

/**
 * The one place that decides how the bot authenticates to Azure (ARM, and Entra tokens for
 * Azure DevOps and Databricks when no PAT/token is configured).
 *
 * - `default`: DefaultAzureCredential. In Azure App Service it resolves to the managed identity
 *   (the platform sets IDENTITY_ENDPOINT/IDENTITY_HEADER); on a laptop to the developer login.
 * - `managed-identity-endpoint`: a ManagedIdentityCredential pointed at an App Service-protocol
 *   token endpoint we name explicitly (the sandbox's). It is the same credential class and the
 *   same wire protocol DefaultAzureCredential uses in App Service, so the sandbox exercises the
 *   production code path instead of a fake token.
 */
export type AzureCredentialOptions = (
  | {
      kind: 'default';
      /** Client id of a user-assigned managed identity (AZURE_CLIENT_ID in App Service). */
      managedIdentityClientId?: string;
      tenantId?: string;
    }
  | {
      kind: 'managed-identity-endpoint';
      /** IDENTITY_ENDPOINT, e.g. `http://127.0.0.1:7072/msi/token`. */
      endpoint: string;
      /** IDENTITY_HEADER: the secret sent as X-IDENTITY-HEADER. */
      header: string;
      /** Client id of a user-assigned identity; omit for the system-assigned one. */
      clientId?: string;
      /** Retries of the credential's own HTTP client (token endpoint 5xx). */
      maxRetries?: number;
    }
) & {
  /** Longest wait for one getToken, the credential's own retries included (default 60 s). */
  timeoutInMs?: number;
};

/** Twice the default per-call timeout of the clients: MSAL retries a 5xx or 429 inside one getToken. */
export const DEFAULT_TOKEN_TIMEOUT_MS = 60_000;

/** Settings of the managed-identity endpoint, kept so that a second, different one is refused. */
let boundEndpoint: { endpoint: string; header: string } | undefined;

export function createAzureCredential(opts: AzureCredentialOptions): BoundedCredential {
  return new BoundedCredential(unboundedCredential(opts), opts.timeoutInMs ?? DEFAULT_TOKEN_TIMEOUT_MS);
}

function unboundedCredential(opts: AzureCredentialOptions): TokenCredential {
  if (opts.kind === 'default') {
    return new DefaultAzureCredential({
      ...(opts.managedIdentityClientId ? { managedIdentityClientId: opts.managedIdentityClientId } : {}),
      ...(opts.tenantId ? { tenantId: opts.tenantId } : {}),
    });
  }
  bindManagedIdentityEndpoint(opts.endpoint, opts.header);
  return new ManagedIdentityCredential({
    ...(opts.clientId ? { clientId: opts.clientId } : {}),
    ...(opts.maxRetries !== undefined ? { retryOptions: { maxRetries: opts.maxRetries } } : {}),
  });
}

/**
 * @azure/identity 4.x delegates managed identity to MSAL (@azure/msal-node 5), which reads the
 * endpoint and header ONLY from process.env (AppService.getEnvironmentVariables) and caches the
 * chosen source and its tokens in static fields for the life of the process. There is no option
 * to pass them, so this function sets the two variables exactly as App Service does, and refuses
 * a second, different endpoint in the same process instead of letting MSAL silently keep the
 * first one. Nothing else in the code base reads or writes these variables.
 */
function bindManagedIdentityEndpoint(endpoint: string, header: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`the managed identity endpoint is not a URL: ${endpoint}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`the managed identity endpoint must be http(s): ${endpoint}`);
  if (header.trim() === '') throw new Error('the managed identity header (IDENTITY_HEADER) is empty');
  if (boundEndpoint && (boundEndpoint.endpoint !== endpoint || boundEndpoint.header !== header)) {
    throw new Error(
      `a managed identity endpoint (${boundEndpoint.endpoint}) is already in use by this process; ` +
        'MSAL caches it process-wide, so a second one cannot be used',
    );
  }
  const existing = process.env.IDENTITY_ENDPOINT;
  if (!boundEndpoint && existing && existing !== endpoint) {
    throw new Error(`IDENTITY_ENDPOINT is already set to ${existing}; refusing to point the managed identity elsewhere`);
  }
  boundEndpoint = { endpoint, header };
  process.env.IDENTITY_ENDPOINT = endpoint;
  process.env.IDENTITY_HEADER = header;
}
