import { SandboxClock } from './common/clock';
import { FaultRegistry } from './common/faults';
import { startArmSandbox, type ArmSandbox } from './arm/arm.sandbox';
import { SANDBOX_ADO_PAT, startAzureDevOpsSandbox, type AzureDevOpsSandbox } from './azure-devops/azure-devops.sandbox';
import { SANDBOX_DATABRICKS_TOKEN, startDatabricksSandbox, type DatabricksSandbox } from './databricks/databricks.sandbox';
import { TokenStore } from './arm/token.sandbox';
import type { Logger } from '../services/logger';

export interface SandboxOptions {
  clock?: SandboxClock;
  faults?: FaultRegistry;
  logger?: Logger;
  /** Fixed ports for `npm start`; 0 (any free port) in tests. */
  ports?: { azureDevOps?: number; databricks?: number; arm?: number; token?: number };
  /** Where service hooks and job notifications go (the bot's webhook routes), with the shared secret. */
  webhooks?: { azureDevOpsUrl: string; databricksUrl: string; secret: string };
}

export interface Sandbox {
  clock: SandboxClock;
  faults: FaultRegistry;
  azureDevOps: AzureDevOpsSandbox;
  databricks: DatabricksSandbox;
  arm: ArmSandbox;
  /** The bot's environment for this sandbox: only URLs and credentials differ from Azure. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export const SANDBOX_SUBSCRIPTION = '00000000-0000-0000-0000-00000000a11c';

/** Starts every stand-in: Azure DevOps, Databricks + MLflow, ARM/ACI with its token endpoint. */
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
  const arm = await startArmSandbox({ ...common, port: o.ports?.arm ?? 0, tokenPort: o.ports?.token ?? 0, tokens });
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
    // The scoring images live in a private registry: ACI needs an identity with AcrPull to pull them.
    ACR_PULL_IDENTITY: `/subscriptions/${SANDBOX_SUBSCRIPTION}/resourceGroups/mlops-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mlops-acr-pull`,
    ARM_ENDPOINT: arm.url,
    IDENTITY_ENDPOINT: arm.identityEndpoint,
    IDENTITY_HEADER: arm.identityHeader,
    ...(o.webhooks ? { WEBHOOK_SECRET: o.webhooks.secret } : {}),
  };
  return {
    clock,
    faults,
    azureDevOps,
    databricks,
    arm,
    env,
    close: async () => {
      await Promise.all([azureDevOps.close(), databricks.close(), arm.close()]);
    },
  };
}
