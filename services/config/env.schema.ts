import { z } from 'zod';
import { isHttpUrl } from '../http/url';

/**
 * The environment variables of the design's table. Every variable has a `fix` text so a bad
 * value stops start-up with a message that names the variable and says what to do.
 */
const url = (name: string, fix: string) =>
  z
    .string()
    .trim()
    .refine(isHttpUrl, `${name} must be an http(s) URL; ${fix}`);

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const empty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

export const envSchema = z
  .object({
    PORT: z.preprocess(empty, z.coerce.number().int().min(1).max(65535).default(3978)),
    MicrosoftAppId: z.preprocess(
      empty,
      z.string().regex(guid, 'MicrosoftAppId must be the bot\'s Entra application (client) id, a GUID; leave it empty only for the local sandbox').optional(),
    ),
    MicrosoftAppPassword: z.preprocess(empty, z.string().optional()),
    MicrosoftAppType: z.preprocess(
      empty,
      z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMsi'], {
        error: 'MicrosoftAppType must be MultiTenant, SingleTenant or UserAssignedMsi (as registered in Azure Bot Service)',
      }).default('MultiTenant'),
    ),
    MicrosoftAppTenantId: z.preprocess(empty, z.string().regex(guid, 'MicrosoftAppTenantId must be your Entra tenant id, a GUID').optional()),
    /**
     * Where the Bot Framework's token signing keys are published (botframework-connector's
     * ToBotFromChannelOpenIdMetadataUrl). Unset: the public cloud's. Set it for a sovereign cloud,
     * e.g. https://login.botframework.azure.us/v1/.well-known/openidconfiguration.
     */
    BOT_OPENID_METADATA_URL: z.preprocess(empty, url('BOT_OPENID_METADATA_URL', 'leave it unset for the public cloud').optional()),
    MLOPS_CONFIG: z.preprocess(empty, z.string().default('mlops.config.yaml')),
    AZURE_DEVOPS_ORG_URL: z.preprocess(empty, url('AZURE_DEVOPS_ORG_URL', 'e.g. https://dev.azure.com/contoso').optional()),
    AZURE_DEVOPS_PROJECT: z.preprocess(empty, z.string().min(1).optional()),
    AZURE_DEVOPS_PAT: z.preprocess(empty, z.string().optional()),
    DATABRICKS_HOST: z.preprocess(empty, url('DATABRICKS_HOST', 'e.g. https://adb-123456789.11.azuredatabricks.net').optional()),
    DATABRICKS_TOKEN: z.preprocess(empty, z.string().optional()),
    MLFLOW_TRACKING_URI: z.preprocess(empty, url('MLFLOW_TRACKING_URI', 'e.g. the Databricks workspace URL').optional()),
    AZURE_SUBSCRIPTION_ID: z.preprocess(empty, z.string().regex(guid, 'AZURE_SUBSCRIPTION_ID must be a subscription id (GUID)').optional()),
    AZURE_RESOURCE_GROUP: z.preprocess(empty, z.string().regex(/^[-\w._()]{1,90}$/, 'AZURE_RESOURCE_GROUP must be a resource group name (letters, digits, -_.() up to 90)').optional()),
    AZURE_LOCATION: z.preprocess(empty, z.string().regex(/^[a-z0-9]+$/, 'AZURE_LOCATION must be a region name such as westeurope').optional()),
    /** User-assigned identity of the scoring container groups: pulls the image (AcrPull) and downloads the model. */
    ACI_IDENTITY_ID: z.preprocess(
      empty,
      z.string().regex(/^\/subscriptions\/[^/]+\/resource[gG]roups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/, 'ACI_IDENTITY_ID must be the resource id of a user-assigned identity (output scoringIdentityId of infra/azure/azuredeploy.json)').optional(),
    ),
    ACI_IDENTITY_CLIENT_ID: z.preprocess(empty, z.string().regex(guid, 'ACI_IDENTITY_CLIENT_ID must be the client id (GUID) of that identity (output scoringIdentityClientId)').optional()),
    ARM_ENDPOINT: z.preprocess(empty, url('ARM_ENDPOINT', 'leave it unset for https://management.azure.com').default('https://management.azure.com')),
    /** Microsoft Graph, asked which Entra groups named in roles a user belongs to. */
    GRAPH_ENDPOINT: z.preprocess(empty, url('GRAPH_ENDPOINT', 'leave it unset for https://graph.microsoft.com').default('https://graph.microsoft.com')),
    STATE_STORE: z.preprocess(
      empty,
      z
        .string()
        .regex(
          /^(sqlite:.+|azure-table:(https:\/\/[^\s/]+\/?|(?=.*AccountName=)(?=.*AccountKey=)(?=.*TableEndpoint=https?:\/\/)[^\s]+))$/,
          'STATE_STORE must be sqlite:<path> (e.g. sqlite:./data/mlops-chatops.db), azure-table:<table endpoint> (e.g. azure-table:https://acct.table.core.windows.net, with the bot\'s managed identity) or azure-table:<connection string with AccountName, AccountKey and TableEndpoint>; see docs/scale-out.md',
        )
        .default('sqlite:./data/mlops-chatops.db'),
    ),
    /** The table of the azure-table store (one table holds everything; letters and digits, 3-63, starting with a letter). */
    STATE_TABLE: z.preprocess(empty, z.string().regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, 'STATE_TABLE must be a table name: 3-63 letters and digits, starting with a letter').default('mlopschatops')),
    /** With STATE_STORE=azure-table: the per-instance SQLite file for the state not yet on the table (watch reports). */
    LOCAL_STATE_PATH: z.preprocess(empty, z.string().min(1).default('./data/mlops-chatops.db')),
    /** How long a lease of shared work (tracker, outbox) lasts without renewal: another instance takes over after it. */
    LEASE_TTL_MS: z.preprocess(empty, z.coerce.number().int().min(2000, 'LEASE_TTL_MS must be at least 2000').max(600_000, 'LEASE_TTL_MS must be at most 600000 (10 minutes)').default(30_000)),
    WEBHOOK_SECRET: z.preprocess(empty, z.string().min(16, 'WEBHOOK_SECRET must be at least 16 characters; generate one with `openssl rand -hex 32`').optional()),
    /** App Service's managed-identity endpoint (set by the platform; the sandbox serves the same protocol). */
    IDENTITY_ENDPOINT: z.preprocess(empty, url('IDENTITY_ENDPOINT', 'it is set by App Service; unset it elsewhere').optional()),
    IDENTITY_HEADER: z.preprocess(empty, z.string().optional()),
    /** Client id of a user-assigned managed identity (DefaultAzureCredential reads it too). */
    AZURE_CLIENT_ID: z.preprocess(empty, z.string().optional()),
    /** Not in the design's table: the sandbox launcher sets it; it permits auth-off mode. */
    MLOPS_SANDBOX: z.preprocess(empty, z.enum(['1', 'true', '0', 'false']).optional()),
    /** How often the tracker polls every unfinished run (webhooks make it faster, polling makes it sure). */
    POLL_INTERVAL_MS: z.preprocess(empty, z.coerce.number().int().min(100, 'POLL_INTERVAL_MS must be at least 100').max(3_600_000).default(15_000)),
    /**
     * The dashboard tab's single sign-on (docs/teams-app.md): the Entra app whose API the tab's
     * token is for (webApplicationInfo.id; by default the bot's own app id), the tenants whose
     * users may sign in, and where their keys are published.
     */
    TAB_SSO_CLIENT_ID: z.preprocess(empty, z.string().regex(guid, 'TAB_SSO_CLIENT_ID must be the Entra application (client) id of the tab\'s API (webApplicationInfo.id), a GUID').optional()),
    TAB_APP_ID_URI: z.preprocess(empty, z.string().regex(/^api:\/\/[^\s]+$/, 'TAB_APP_ID_URI must be the Application ID URI, e.g. api://bot.contoso.com/<client id>').optional()),
    TAB_ALLOWED_TENANTS: z.preprocess(
      empty,
      z
        .string()
        .transform((v) => v.split(',').map((t) => t.trim()).filter(Boolean))
        .refine((ts) => ts.length > 0 && ts.every((t) => guid.test(t)), 'TAB_ALLOWED_TENANTS must be a comma-separated list of Entra tenant ids (GUIDs)')
        .optional(),
    ),
    /** The Teams app's id (manifest `id`), for "Open in dashboard" deep links; by default the bot's app id, as the packager does. */
    TEAMS_APP_ID: z.preprocess(empty, z.string().regex(guid, 'TEAMS_APP_ID must be the Teams app id (the manifest id), a GUID').optional()),
    TAB_SSO_AUTHORITY: z.preprocess(empty, url('TAB_SSO_AUTHORITY', 'leave it unset for https://login.microsoftonline.com').default('https://login.microsoftonline.com')),
    LOG_LEVEL: z.preprocess(empty, z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info')),
  })
  .superRefine((env, ctx) => {
    const sandbox = env.MLOPS_SANDBOX === '1' || env.MLOPS_SANDBOX === 'true';
    if (!env.MicrosoftAppId && !sandbox) {
      ctx.addIssue({
        code: 'custom',
        path: ['MicrosoftAppId'],
        message: 'MicrosoftAppId is empty: bot authentication would be off. Set it (with MicrosoftAppPassword) for Teams, or run `npm start`, which runs the bot in sandbox mode',
      });
    }
    if (env.MicrosoftAppId && env.MicrosoftAppType !== 'UserAssignedMsi' && !env.MicrosoftAppPassword) {
      ctx.addIssue({ code: 'custom', path: ['MicrosoftAppPassword'], message: 'MicrosoftAppPassword is required with MicrosoftAppId unless MicrosoftAppType is UserAssignedMsi' });
    }
    if (env.MicrosoftAppType !== 'MultiTenant' && env.MicrosoftAppId && !env.MicrosoftAppTenantId) {
      ctx.addIssue({ code: 'custom', path: ['MicrosoftAppTenantId'], message: `MicrosoftAppTenantId is required when MicrosoftAppType is ${env.MicrosoftAppType}` });
    }
    if (!!env.IDENTITY_ENDPOINT !== !!env.IDENTITY_HEADER) {
      ctx.addIssue({ code: 'custom', path: [env.IDENTITY_ENDPOINT ? 'IDENTITY_HEADER' : 'IDENTITY_ENDPOINT'], message: 'IDENTITY_ENDPOINT and IDENTITY_HEADER go together (App Service sets both)' });
    }
    if (env.AZURE_DEVOPS_ORG_URL && !env.AZURE_DEVOPS_PROJECT) {
      ctx.addIssue({ code: 'custom', path: ['AZURE_DEVOPS_PROJECT'], message: 'AZURE_DEVOPS_PROJECT is required with AZURE_DEVOPS_ORG_URL (the project that holds the pipelines)' });
    }
    if (env.ARM_ENDPOINT.startsWith('http:') && !sandbox && !/^http:\/\/(127\.|localhost|\[::1\])/.test(env.ARM_ENDPOINT)) {
      ctx.addIssue({ code: 'custom', path: ['ARM_ENDPOINT'], message: 'ARM_ENDPOINT may use http only for a local endpoint; use https://management.azure.com' });
    }
    if (env.TAB_SSO_CLIENT_ID && !env.TAB_ALLOWED_TENANTS && !env.MicrosoftAppTenantId) {
      ctx.addIssue({ code: 'custom', path: ['TAB_ALLOWED_TENANTS'], message: 'TAB_ALLOWED_TENANTS is required with TAB_SSO_CLIENT_ID: the Entra tenant ids whose users may open the dashboard' });
    }
    // The sandbox's sign-in keys are trusted only in sandbox mode: anywhere else the authority is Entra's, over https.
    if (!sandbox && !env.TAB_SSO_AUTHORITY.startsWith('https:')) {
      ctx.addIssue({ code: 'custom', path: ['TAB_SSO_AUTHORITY'], message: 'TAB_SSO_AUTHORITY must be https (https://login.microsoftonline.com); a local sign-in authority is trusted only by the sandbox (npm start)' });
    }
    if (env.GRAPH_ENDPOINT.startsWith('http:') && !sandbox && !/^http:\/\/(127\.|localhost|\[::1\])/.test(env.GRAPH_ENDPOINT)) {
      ctx.addIssue({ code: 'custom', path: ['GRAPH_ENDPOINT'], message: 'GRAPH_ENDPOINT may use http only for a local endpoint; use https://graph.microsoft.com' });
    }
  });

export type Env = z.infer<typeof envSchema>;
