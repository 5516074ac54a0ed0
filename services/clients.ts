import type { TokenCredential } from '@azure/identity';
import { AciClient } from './aci/aci.client';
import { AzureDevOpsClient } from './azure-devops/azure-devops.client';
import type { AppConfig } from './config/config';
import { DatabricksClient } from './databricks/databricks.client';
import { GraphClient } from './graph/graph.client';
import { createAzureCredential } from './identity/credential';
import type { Logger } from './logger';
import type { RetryOptions } from './http/retry';
import { RegistryClient } from './registry/registry.client';

export interface ServiceClients {
  credential: TokenCredential;
  devops: AzureDevOpsClient | undefined;
  databricks: DatabricksClient | undefined;
  registry: RegistryClient | undefined;
  aci: AciClient | undefined;
  /** Microsoft Graph, with the bot's identity: group membership for roles that name Entra groups. */
  graph: GraphClient;
}

/** Builds every client that the configuration enables; a missing service is undefined, and its stage says so. */
export function createServiceClients(config: Readonly<AppConfig>, logger: Logger, tuning: { pollIntervalInMs?: number; retry?: Partial<RetryOptions>; timeoutInMs?: number } = {}): ServiceClients {
  // Tests shorten the per-call timeout so that an injected hang costs milliseconds, not 30 s.
  const perCall = { ...(tuning.retry ? { retry: tuning.retry } : {}), ...(tuning.timeoutInMs !== undefined ? { timeoutInMs: tuning.timeoutInMs } : {}) };
  // A token fetch may include MSAL's own retries, so it gets twice a call's time.
  const tokenTimeout = tuning.timeoutInMs !== undefined ? { timeoutInMs: 2 * tuning.timeoutInMs } : {};
  const credential =
    config.identity.kind === 'managed-identity-endpoint'
      ? createAzureCredential({ kind: 'managed-identity-endpoint', endpoint: config.identity.endpoint, header: config.identity.header, ...(config.identity.clientId ? { clientId: config.identity.clientId } : {}), ...tokenTimeout })
      : createAzureCredential({ kind: 'default', ...(config.identity.clientId ? { managedIdentityClientId: config.identity.clientId } : {}), ...tokenTimeout });
  const ado = config.azureDevOps;
  const devops = ado ? new AzureDevOpsClient({ orgUrl: ado.orgUrl, project: ado.project, auth: ado.pat ? { pat: ado.pat } : { credential }, logger, ...perCall }) : undefined;
  const dbx = config.databricks;
  const databricks = dbx ? new DatabricksClient({ host: dbx.host, ...(dbx.token ? { token: dbx.token } : { credential }), logger, ...perCall }) : undefined;
  const ml = config.mlflow;
  const registry = ml ? new RegistryClient({ trackingUri: ml.trackingUri, ...(ml.token ? { token: ml.token } : { credential }), logger, ...perCall }) : undefined;
  const az = config.azure;
  const local = az ? /^http:\/\/(127\.|localhost)/.test(az.armEndpoint) : false;
  const aci = az
    ? new AciClient({
        credential,
        subscriptionId: az.subscriptionId,
        resourceGroup: az.resourceGroup,
        location: az.location,
        endpoint: az.armEndpoint,
        // The sandbox's scoring servers answer on 127.0.0.1; in Azure the DNS label is the address.
        addressPreference: local ? 'ip' : 'fqdn',
        ...(az.scoringIdentity ? { registryPullIdentity: az.scoringIdentity.id } : {}),
        ...(tuning.pollIntervalInMs !== undefined ? { pollIntervalInMs: tuning.pollIntervalInMs } : {}),
        logger,
        ...perCall,
      })
    : undefined;
  // Built always, called only when a role names a group (the credential asks for a token lazily).
  const graph = new GraphClient({ endpoint: config.graphEndpoint, credential, logger, ...perCall });
  return { credential, devops, databricks, registry, aci, graph };
}
