import { SandboxClock } from './common/clock';
import { ImageRegistryStore } from './acr/image-registry.store';
import { FaultRegistry } from './common/faults';
import { startArmSandbox, type ArmSandbox } from './arm/arm.sandbox';
import { SANDBOX_ADO_PAT, startAzureDevOpsSandbox, type AzureDevOpsSandbox } from './azure-devops/azure-devops.sandbox';
import { SANDBOX_DATABRICKS_TOKEN, startDatabricksSandbox, type DatabricksSandbox } from './databricks/databricks.sandbox';
import { startGraphSandbox, type GraphSandbox } from './graph/graph.sandbox';
import { TokenStore } from './arm/token.sandbox';
import { startEntraSandbox, type EntraSandbox } from './entra/entra.sandbox';
import type { Logger } from '../services/logger';

export interface SandboxOptions {
  clock?: SandboxClock;
  faults?: FaultRegistry;
  logger?: Logger;
  /** Fixed ports for `npm start`; 0 (any free port) in tests. */
  ports?: { azureDevOps?: number; databricks?: number; arm?: number; token?: number; graph?: number; entra?: number };
  /** Where service hooks and job notifications go (the bot's webhook routes), with the shared secret. */
  webhooks?: { azureDevOpsUrl: string; databricksUrl: string; secret: string };
}

export interface Sandbox {
  clock: SandboxClock;
  faults: FaultRegistry;
  azureDevOps: AzureDevOpsSandbox;
  databricks: DatabricksSandbox;
  arm: ArmSandbox;
  /** Microsoft Graph's group checks, with tokens from the ARM sandbox's managed-identity endpoint. */
  graph: GraphSandbox;
  /** Entra's sign-in keys and the tab's SSO tokens (the dashboard trusts them only in sandbox mode). */
  entra: EntraSandbox;
  /** The sandbox container registry (images the sandbox CI runs pushed). */
  acr: ImageRegistryStore;
  /** The bot's environment for this sandbox: only URLs and credentials differ from Azure. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export const SANDBOX_SUBSCRIPTION = '00000000-0000-0000-0000-00000000a11c';

/** Starts every stand-in: Azure DevOps, Databricks + MLflow, ARM/ACI with its token endpoint. */
/** Login server of the sandbox ACR and the scoring image repository (infra/databricks/training.json). */
export const SANDBOX_ACR = 'mlopsacr.azurecr.io';
export const SCORING_REPOSITORY = 'mlops-scoring';

export async function startSandbox(o: SandboxOptions = {}): Promise<Sandbox> {
  const clock = o.clock ?? new SandboxClock(1);
  const faults = o.faults ?? new FaultRegistry();
  const common = { clock, faults, ...(o.logger ? { logger: o.logger } : {}) };
  const webhookAuth = o.webhooks ? { username: 'mlops', password: o.webhooks.secret } : undefined;
  // One managed-identity token endpoint for all: Azure DevOps and Databricks accept its tokens for
  // their own resource, ARM for management.azure.com, as Entra tokens work in Azure.
  const tokens = new TokenStore();
  const azureDevOps = await startAzureDevOpsSandbox({
    ...common,
    port: o.ports?.azureDevOps ?? 0,
    auth: { tokens },
    ...(o.webhooks ? { hookUrl: o.webhooks.azureDevOpsUrl, hookHeaders: { authorization: `Basic ${Buffer.from(`mlops:${o.webhooks.secret}`).toString('base64')}` } } : {}),
  });
  const databricks = await startDatabricksSandbox({
    ...common,
    port: o.ports?.databricks ?? 0,
    auth: { tokens },
    ...(o.webhooks && webhookAuth ? { notificationUrl: o.webhooks.databricksUrl, notificationAuth: webhookAuth } : {}),
  });
  // The sandbox ACR: a successful CI run pushes the scoring image of its commit, as the CI pipeline's
  // Docker@2 push does (infra/pipelines/azure-pipelines.ci.yml); ACI refuses images never pushed.
  const acr = new ImageRegistryStore(SANDBOX_ACR);
  azureDevOps.state.runListeners.push((e) => {
    if (e.kind === 'runStateChanged' && e.run.state === 'completed' && e.run.result === 'succeeded' && e.run.pipeline.name === 'mlops-ci') {
      acr.push(`${SANDBOX_ACR}/${SCORING_REPOSITORY}:${e.run.sourceVersion}`, e.at);
    }
  });
  const arm = await startArmSandbox({ ...common, port: o.ports?.arm ?? 0, tokenPort: o.ports?.token ?? 0, registries: [acr], tokens });
  acr.registerRoutes(arm.server);
  databricks.state.workspace.imagePushed = (image, at) => acr.push(image, at);
  const graph = await startGraphSandbox({ clock, faults, tokens, port: o.ports?.graph ?? 0 });
  const entra = await startEntraSandbox({ clock, faults, port: o.ports?.entra ?? 0 });
  const env: Record<string, string> = {
    MLOPS_SANDBOX: '1',
    AZURE_DEVOPS_ORG_URL: `${azureDevOps.url}/contoso`,
    AZURE_DEVOPS_PROJECT: 'MLOps',
    AZURE_DEVOPS_PAT: SANDBOX_ADO_PAT,
    DATABRICKS_HOST: databricks.url,
    DATABRICKS_TOKEN: SANDBOX_DATABRICKS_TOKEN,
    MLFLOW_TRACKING_URI: databricks.url,
    AZURE_SUBSCRIPTION_ID: SANDBOX_SUBSCRIPTION,
    AZURE_RESOURCE_GROUP: 'mlops-rg',
    AZURE_LOCATION: 'westeurope',
    ARM_ENDPOINT: arm.url,
    GRAPH_ENDPOINT: graph.url,
    TAB_SSO_CLIENT_ID: entra.clientId,
    TAB_ALLOWED_TENANTS: entra.tenantId,
    TAB_SSO_AUTHORITY: entra.url,
    IDENTITY_ENDPOINT: arm.identityEndpoint,
    IDENTITY_HEADER: arm.identityHeader,
    // The scoring images live in a private registry: the container group pulls them with this identity (AcrPull).
    ACI_IDENTITY_ID: `/subscriptions/${SANDBOX_SUBSCRIPTION}/resourceGroups/mlops-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mlops-scoring`,
    ACI_IDENTITY_CLIENT_ID: '7d2c1f0e-5b8a-4c3d-9e6f-1a2b3c4d5e6f',
    ...(o.webhooks ? { WEBHOOK_SECRET: o.webhooks.secret } : {}),
  };
  return {
    clock,
    faults,
    azureDevOps,
    databricks,
    arm,
    graph,
    entra,
    acr,
    env,
    close: async () => {
      await Promise.all([azureDevOps.close(), databricks.close(), arm.close(), graph.close(), entra.close()]);
    },
  };
}
