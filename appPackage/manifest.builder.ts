// Turns the committed manifest template into the one that goes into the package: fills in the
// ids from the environment and validates the result offline against the Teams schema.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { resolveAppFolder } from './app-folder.resolver';

/** Must match `manifestVersion`; the schema pins it with `const`. See schema/SOURCES.md. */
export const SCHEMA_VERSION = '1.24';

// The pattern the v1.24 schema uses for `id` and `botId` (#/definitions/guid).
const GUID = /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
const PLACEHOLDER_GUID = '00000000-0000-0000-0000-000000000000';

/** The parts of the manifest the packager reads or writes; the rest passes through untouched. */
export interface TeamsManifest {
  manifestVersion: string;
  id: string;
  bots?: Array<{ botId: string; [field: string]: unknown }>;
  [field: string]: unknown;
}

/** A problem the person packaging can fix; the message names the variable or file and the fix. */
export class PackagingError extends Error {
  override readonly name = 'PackagingError';
}

export type Env = Readonly<Record<string, string | undefined>>;

export function readManifestTemplate(appFolder = resolveAppFolder(__dirname)): TeamsManifest {
  return JSON.parse(readFileSync(path.join(appFolder, 'manifest.json'), 'utf8')) as TeamsManifest;
}

/**
 * The manifest for this environment: `MicrosoftAppId` (required) becomes the bot id, and
 * `TEAMS_APP_ID` the app id; without it the app id is the bot id, which Teams accepts and which
 * keeps the app id stable across rebuilds for the same bot.
 */
export function buildManifest(env: Env, template: TeamsManifest = readManifestTemplate()): TeamsManifest {
  const botId = requireGuid(env, 'MicrosoftAppId', 'the Microsoft App ID of the Azure Bot registration');
  const appId = env.TEAMS_APP_ID?.trim() ? requireGuid(env, 'TEAMS_APP_ID', 'the Teams app id') : botId;
  const manifest = structuredClone(template);
  if (manifest.manifestVersion !== SCHEMA_VERSION) {
    throw new PackagingError(`manifest.json has manifestVersion ${manifest.manifestVersion}, the packager validates ${SCHEMA_VERSION}; see appPackage/schema/SOURCES.md`);
  }
  const bots = manifest.bots ?? [];
  if (bots.length !== 1) throw new PackagingError(`manifest.json must declare exactly one bot, found ${bots.length}`);
  manifest.id = appId;
  for (const bot of bots) bot.botId = botId;
  fillTab(manifest, env, botId);
  return manifest;
}

/** The host name in the template's tab URLs; the real one comes from BOT_DOMAIN. */
export const TEMPLATE_DOMAIN = 'mlops-bot.example.com';
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/**
 * The dashboard tab lives on the bot's own host: its URLs, the valid domain and the SSO resource
 * (`api://<domain>/<client id>`, as Teams tab SSO requires) all name BOT_DOMAIN. The tab's API is
 * the bot's app registration unless TAB_SSO_CLIENT_ID names another (the bot reads the same variable).
 */
function fillTab(manifest: TeamsManifest, env: Env, botId: string): void {
  const domain = env.BOT_DOMAIN?.trim().toLowerCase();
  if (!domain) throw new PackagingError('BOT_DOMAIN is not set: set it to the host name the bot is served from (e.g. mlops-bot.azurewebsites.net); the dashboard tab and its sign-in live there');
  if (!HOST_NAME.test(domain)) throw new PackagingError(`BOT_DOMAIN must be a host name only, without https:// or a path (e.g. mlops-bot.azurewebsites.net), got ${JSON.stringify(env.BOT_DOMAIN)}`);
  const clientId = env.TAB_SSO_CLIENT_ID?.trim() ? requireGuid(env, 'TAB_SSO_CLIENT_ID', 'the Entra app id of the tab\'s API') : botId;
  const swap = (url: string): string => url.replace(`https://${TEMPLATE_DOMAIN}/`, `https://${domain}/`);
  const tabs = (manifest.staticTabs ?? []) as Array<Record<string, unknown>>;
  for (const tab of tabs) {
    for (const key of ['contentUrl', 'websiteUrl'] as const) if (typeof tab[key] === 'string') tab[key] = swap(tab[key]);
  }
  for (const tab of (manifest.configurableTabs ?? []) as Array<Record<string, unknown>>) {
    if (typeof tab.configurationUrl === 'string') tab.configurationUrl = swap(tab.configurationUrl);
  }
  manifest.validDomains = [domain];
  manifest.webApplicationInfo = { id: clientId, resource: `api://${domain}/${clientId}` };
}

function requireGuid(env: Env, variable: string, meaning: string): string {
  const value = env[variable]?.trim();
  if (!value) {
    throw new PackagingError(`${variable} is not set: set it to ${meaning} (a GUID such as 6f1c2d3e-...) and run npm run package again`);
  }
  if (!GUID.test(value)) {
    throw new PackagingError(`${variable} must be a GUID like 6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f (${meaning}), got ${JSON.stringify(value)}`);
  }
  if (value === PLACEHOLDER_GUID) {
    throw new PackagingError(`${variable} is the all-zero placeholder GUID: set it to ${meaning}`);
  }
  return value;
}

export type ManifestValidator = (manifest: unknown) => string[];

/**
 * A validator for the bundled v1.24 schema, with the options Microsoft's own validator uses.
 * Returns readable errors (`/accentColor must match pattern ...`); an empty list means valid.
 */
export function createManifestValidator(
  schemaFile = path.join(resolveAppFolder(__dirname), 'schema', `v${SCHEMA_VERSION}`, 'MicrosoftTeams.schema.json'),
): ManifestValidator {
  // Draft-04 schema: plain Ajv 8 rejects its `id` keyword. strictTypes off: the schema omits
  // `type` next to some keywords, which is legal draft-04 but Ajv would warn about.
  const ajv = new Ajv04({ allErrors: true, strictTypes: false });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
  return (manifest) => {
    if (validate(manifest)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
  };
}
