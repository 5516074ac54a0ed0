import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
// js-yaml, not yaml: on this machine yaml took ≈ 50 ms to load and ≈ 100 ms for its first parse of
// mlops.config.yaml (the smoke sample's 784 numbers), js-yaml ≈ 25 ms and ≈ 12 ms: a tenth of the
// bot's cold start beyond an echo bot (issue 13). CORE_SCHEMA is YAML 1.2's core schema, as yaml's
// default: no timestamps turned into Dates, no `<<` merge keys.
import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import type { z } from 'zod';
import { envSchema, type Env } from './env.schema';
import { mlopsConfigSchema, type MlopsConfig } from './mlops-config.schema';
import { deepFreeze } from '../deep-freeze';

/** Everything the composition root needs, read and validated once, then frozen. */
export interface AppConfig {
  port: number;
  /** Bot Framework identity; undefined = authentication off (sandbox only). */
  botAuth: { appId: string; appPassword: string | undefined; appType: Env['MicrosoftAppType']; tenantId: string | undefined; openIdMetadataUrl: string | undefined } | undefined;
  sandboxMode: boolean;
  azureDevOps: { orgUrl: string; project: string; pat: string | undefined } | undefined;
  databricks: { host: string; token: string | undefined } | undefined;
  mlflow: { trackingUri: string; token: string | undefined } | undefined;
  azure: { subscriptionId: string; resourceGroup: string; location: string; armEndpoint: string; scoringIdentity: { id: string; clientId: string } | undefined } | undefined;
  /** SQLite (one instance), or Azure Tables (several instances; docs/scale-out.md). */
  stateStore:
    | { kind: 'sqlite'; path: string }
    | {
        kind: 'azure-table';
        connectionString: string | undefined;
        endpoint: string | undefined;
        table: string;
        leaseTtlMs: number;
        /** A local SQLite file for the state not yet moved to the table (watch reports): per instance. */
        path: string;
      };
  /** Microsoft Graph, for roles that name Entra groups. */
  graphEndpoint: string;
  /** How the bot gets Entra tokens: an explicit managed-identity endpoint, or DefaultAzureCredential. */
  identity: { kind: 'managed-identity-endpoint'; endpoint: string; header: string; clientId: string | undefined } | { kind: 'default'; clientId: string | undefined };
  webhookSecret: string | undefined;
  /** The dashboard tab's single sign-on; undefined = the dashboard API refuses every call with the fix. */
  /** The Teams app id (manifest `id`) the deep links name; undefined without an app id (the sandbox). */
  teamsAppId: string | undefined;
  tabSso: { clientId: string; appIdUri: string | undefined; allowedTenants: string[]; authority: string } | undefined;
  logLevel: Env['LOG_LEVEL'];
  pollIntervalMs: number;
  configPath: string;
  mlops: MlopsConfig;
  /** Values to scrub from every log line. */
  secrets: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describeIssues(error: z.ZodError, prefix: (path: string) => string): string[] {
  return error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    return `${prefix(path)}${i.message}`;
  });
}

export function loadConfig(
  rawEnv: Record<string, string | undefined>,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
  cwd: string = process.cwd(),
): Readonly<AppConfig> {
  const envResult = envSchema.safeParse(rawEnv);
  if (!envResult.success) {
    throw new ConfigError(describeIssues(envResult.error, (path) => (path ? `${path}: ` : '')));
  }
  const env = envResult.data;
  const configPath = resolve(cwd, env.MLOPS_CONFIG);
  let text: string;
  try {
    text = readFile(configPath);
  } catch (e) {
    throw new ConfigError([`MLOPS_CONFIG: cannot read ${configPath} (${(e as NodeJS.ErrnoException).code ?? 'error'}); point MLOPS_CONFIG at your mlops.config.yaml`]);
  }
  let doc: unknown;
  try {
    doc = loadYaml(text, { schema: CORE_SCHEMA });
  } catch (e) {
    throw new ConfigError([`MLOPS_CONFIG: ${configPath} is not valid YAML: ${(e as Error).message.split('\n')[0] ?? ''}`]);
  }
  const fileResult = mlopsConfigSchema.safeParse(doc);
  if (!fileResult.success) {
    throw new ConfigError(describeIssues(fileResult.error, (path) => `${env.MLOPS_CONFIG}: ${path ? `${path}: ` : ''}`));
  }

  const problems: string[] = [];
  const need = (cond: boolean, msg: string): void => {
    if (!cond) problems.push(msg);
  };
  const sandboxMode = env.MLOPS_SANDBOX === '1' || env.MLOPS_SANDBOX === 'true';
  const databricksHost = env.DATABRICKS_HOST;
  const azureParts = [env.AZURE_SUBSCRIPTION_ID, env.AZURE_RESOURCE_GROUP, env.AZURE_LOCATION];
  need(azureParts.every(Boolean) || azureParts.every((p) => !p), 'AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and AZURE_LOCATION go together: set all three (where ACI container groups are created)');
  need(!!env.ACI_IDENTITY_ID === !!env.ACI_IDENTITY_CLIENT_ID, 'ACI_IDENTITY_ID and ACI_IDENTITY_CLIENT_ID go together: the scoring identity\'s resource id (image pull) and client id (model download); see docs/deploy-azure.md');
  if (problems.length) throw new ConfigError(problems);

  const mlflowUri = env.MLFLOW_TRACKING_URI ?? databricksHost;
  const cfg: AppConfig = {
    port: env.PORT,
    botAuth: env.MicrosoftAppId
      ? { appId: env.MicrosoftAppId, appPassword: env.MicrosoftAppPassword, appType: env.MicrosoftAppType, tenantId: env.MicrosoftAppTenantId, openIdMetadataUrl: env.BOT_OPENID_METADATA_URL }
      : undefined,
    sandboxMode,
    azureDevOps: env.AZURE_DEVOPS_ORG_URL && env.AZURE_DEVOPS_PROJECT ? { orgUrl: env.AZURE_DEVOPS_ORG_URL, project: env.AZURE_DEVOPS_PROJECT, pat: env.AZURE_DEVOPS_PAT } : undefined,
    databricks: databricksHost ? { host: databricksHost, token: env.DATABRICKS_TOKEN } : undefined,
    mlflow: mlflowUri ? { trackingUri: mlflowUri, token: env.DATABRICKS_TOKEN } : undefined,
    azure:
      env.AZURE_SUBSCRIPTION_ID && env.AZURE_RESOURCE_GROUP && env.AZURE_LOCATION
        ? {
            subscriptionId: env.AZURE_SUBSCRIPTION_ID,
            resourceGroup: env.AZURE_RESOURCE_GROUP,
            location: env.AZURE_LOCATION,
            armEndpoint: env.ARM_ENDPOINT,
            scoringIdentity: env.ACI_IDENTITY_ID && env.ACI_IDENTITY_CLIENT_ID ? { id: env.ACI_IDENTITY_ID, clientId: env.ACI_IDENTITY_CLIENT_ID } : undefined,
          }
        : undefined,
    graphEndpoint: env.GRAPH_ENDPOINT,
    stateStore: stateStore(env, cwd),
    identity:
      env.IDENTITY_ENDPOINT && env.IDENTITY_HEADER
        ? { kind: 'managed-identity-endpoint', endpoint: env.IDENTITY_ENDPOINT, header: env.IDENTITY_HEADER, clientId: env.AZURE_CLIENT_ID }
        : { kind: 'default', clientId: env.AZURE_CLIENT_ID },
    webhookSecret: env.WEBHOOK_SECRET,
    tabSso: tabSso(env),
    teamsAppId: env.TEAMS_APP_ID ?? env.MicrosoftAppId,
    logLevel: env.LOG_LEVEL,
    pollIntervalMs: env.POLL_INTERVAL_MS,
    configPath,
    mlops: fileResult.data,
    secrets: [env.MicrosoftAppPassword, env.AZURE_DEVOPS_PAT, env.DATABRICKS_TOKEN, env.WEBHOOK_SECRET, env.IDENTITY_HEADER, accountKey(env.STATE_STORE)].filter((s): s is string => !!s),
  };
  return deepFreeze(cfg);
}

function stateStore(env: Env, cwd: string): AppConfig['stateStore'] {
  if (env.STATE_STORE.startsWith('sqlite:')) return { kind: 'sqlite', path: env.STATE_STORE === 'sqlite::memory:' ? ':memory:' : resolve(cwd, env.STATE_STORE.slice('sqlite:'.length)) };
  const target = env.STATE_STORE.slice('azure-table:'.length);
  const isEndpoint = target.startsWith('https://') && !target.includes(';');
  return { kind: 'azure-table', connectionString: isEndpoint ? undefined : target, endpoint: isEndpoint ? target.replace(/\/+$/, '') : undefined, table: env.STATE_TABLE, leaseTtlMs: env.LEASE_TTL_MS, path: resolve(cwd, env.LOCAL_STATE_PATH) };
}

/** The account key of a connection string, scrubbed from every log line. */
function accountKey(stateStore: string): string | undefined {
  return /AccountKey=([^;]+)/i.exec(stateStore)?.[1];
}

/** The tab's API is the bot's own app unless another is named; its tenant is the bot's unless a list is given. */
function tabSso(env: Env): AppConfig['tabSso'] {
  const clientId = env.TAB_SSO_CLIENT_ID ?? env.MicrosoftAppId;
  const tenants = env.TAB_ALLOWED_TENANTS ?? (env.MicrosoftAppTenantId ? [env.MicrosoftAppTenantId] : undefined);
  if (!clientId || !tenants) return undefined;
  return { clientId, appIdUri: env.TAB_APP_ID_URI, allowedTenants: tenants, authority: env.TAB_SSO_AUTHORITY.replace(/\/+$/, '') };
}

