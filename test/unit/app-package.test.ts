// The Teams app package: the committed manifest, and the packager that turns it into the zip
// uploaded to Teams. The schema used here is the test fixture, not the packager's own copy, so
// the two validations are independent.
import { createCommandRegistry } from '../../bot/commands';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { ACCENT_COLOR } from '../../appPackage/icon-spec';
import { unzipSync } from 'fflate';
import { buildManifest, createManifestValidator, PackagingError, packageApp, zipEntries } from '../../appPackage/package';
import type { TeamsManifest } from '../../appPackage/manifest.builder';
import { requireTool, runs } from '../support/tools';

const APP = path.resolve(__dirname, '../../appPackage');
const FIXTURE_SCHEMA = path.resolve(__dirname, '../fixtures/schemas/teams-manifest/v1.24/MicrosoftTeams.schema.json');
const BOT_ID = '6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
const APP_ID = 'a3b2c1d0-1111-4222-8333-944455566677';
const BOT_DOMAIN = 'mlops-bot.contoso.com';
const MAIN_COMMANDS = ['/train', '/status', '/runs', '/approvals', '/deploy', '/rollback', '/cancel', '/logs', '/help'];

const template = JSON.parse(readFileSync(path.join(APP, 'manifest.json'), 'utf8')) as TeamsManifest;

const ajv = new Ajv04({ allErrors: true, strictTypes: false });
addFormats(ajv);
const validateAgainstFixture = ajv.compile(JSON.parse(readFileSync(FIXTURE_SCHEMA, 'utf8')) as object);
const schemaErrors = (manifest: unknown): string[] =>
  validateAgainstFixture(manifest) ? [] : (validateAgainstFixture.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);

interface Bot { botId: string; scopes: string[]; isNotificationOnly: boolean; supportsFiles: boolean; commandLists: Array<{ scopes: string[]; commands: Array<{ title: string; description: string }> }> }
// Under CI=true a missing unzip fails here rather than silently reading the zip with our own code only.
const hasUnzip = (): boolean => requireTool('Info-ZIP unzip', () => runs('unzip', ['-v']), 'apt-get install -y unzip');

const bot = (m: TeamsManifest): Bot => (m.bots?.[0] as unknown as Bot);

describe('committed Teams manifest', () => {
  it('validates offline against the v1.24 schema', () => {
    expect(template.$schema).toBe('https://developer.microsoft.com/json-schemas/teams/v1.24/MicrosoftTeams.schema.json');
    expect(template.manifestVersion).toBe('1.24');
    expect(schemaErrors(template)).toEqual([]);
  });

  it('is checked by a validator that does reject a broken manifest', () => {
    expect(schemaErrors({ ...template, accentColor: 'indigo' })).toContain('/accentColor must match pattern "^#[0-9a-fA-F]{6}$"');
    expect(schemaErrors({ ...template, name: { short: 'x'.repeat(31), full: 'y' } })).toContain('/name/short must NOT have more than 30 characters');
  });

  it('keeps the packager\'s schema copy identical to the reference fixture', () => {
    const copy = readFileSync(path.join(APP, 'schema/v1.24/MicrosoftTeams.schema.json'));
    expect(copy.equals(readFileSync(FIXTURE_SCHEMA))).toBe(true);
  });

  it('declares one conversational bot for personal, team and group chat', () => {
    expect(template.bots).toHaveLength(1);
    expect(bot(template)).toMatchObject({ isNotificationOnly: false, supportsFiles: false });
    expect([...bot(template).scopes].sort()).toEqual(['groupChat', 'personal', 'team']);
  });

  it('offers the main slash commands, each with a description, in every scope', () => {
    const lists = bot(template).commandLists;
    const scopes = lists.flatMap((l) => l.scopes).sort();
    expect(scopes).toEqual(['groupChat', 'personal', 'team']);
    for (const list of lists) {
      expect(list.commands.length).toBeLessThanOrEqual(12);
      expect(list.commands.map((c) => c.title)).toEqual(expect.arrayContaining(MAIN_COMMANDS));
      for (const command of list.commands) {
        expect(command.title).toMatch(/^\/[a-z]+$/);
        expect(command.description.length).toBeGreaterThan(10);
      }
    }
    // Teams shows at most 12 commands per scope (v1.24): every command is in the list of at least
    // one scope (channel ones in team/groupChat, personal ones in personal); /help lists them all.
    const listed = new Set(lists.flatMap((l) => l.commands.map((c) => c.title)));
    expect([...listed].sort()).toEqual(createCommandRegistry().specs().map((c) => `/${c.id}`).sort());
  });

  it('names and describes the product within the Teams limits, with the icons\' accent colour', () => {
    expect(template.name).toEqual({ short: 'MLOps ChatOps', full: 'MLOps ChatOps for Azure Databricks' });
    const description = template.description as { short: string; full: string };
    expect(description.short.length).toBeLessThanOrEqual(80);
    for (const topic of ['/train', 'run card', 'approv', 'Azure Container Instances', 'failure']) expect(description.full).toContain(topic);
    expect(template.accentColor).toBe(ACCENT_COLOR);
    expect(template.icons).toEqual({ color: 'color.png', outline: 'outline.png' });
  });
});

describe('buildManifest', () => {
  it('puts MicrosoftAppId into the bot id and, without TEAMS_APP_ID, the app id', () => {
    const manifest = buildManifest({ MicrosoftAppId: BOT_ID, BOT_DOMAIN }, template);
    expect(bot(manifest).botId).toBe(BOT_ID);
    expect(manifest.id).toBe(BOT_ID);
    expect(schemaErrors(manifest)).toEqual([]);
    expect(bot(template).botId).toBe('00000000-0000-0000-0000-000000000000'); // template untouched
  });

  it('uses TEAMS_APP_ID for the app id when it is set', () => {
    const manifest = buildManifest({ MicrosoftAppId: BOT_ID, TEAMS_APP_ID: APP_ID, BOT_DOMAIN }, template);
    expect(manifest.id).toBe(APP_ID);
    expect(bot(manifest).botId).toBe(BOT_ID);
  });

  it('points the dashboard tab, its valid domain and its SSO resource at BOT_DOMAIN', () => {
    const manifest = buildManifest({ MicrosoftAppId: BOT_ID, TEAMS_APP_ID: APP_ID, BOT_DOMAIN }, template);
    const tabs = manifest.staticTabs as Array<{ entityId: string; contentUrl?: string; websiteUrl?: string; scopes: string[] }>;
    expect(tabs[0]).toMatchObject({ entityId: 'dashboard', contentUrl: `https://${BOT_DOMAIN}/tabs/dashboard?theme={theme}`, websiteUrl: `https://${BOT_DOMAIN}/tabs/dashboard`, scopes: ['personal'] });
    expect(manifest.configurableTabs).toEqual([expect.objectContaining({ configurationUrl: `https://${BOT_DOMAIN}/tabs/dashboard/configure`, scopes: ['team', 'groupChat'] })]);
    expect(manifest.validDomains).toEqual([BOT_DOMAIN]);
    expect(manifest.webApplicationInfo).toEqual({ id: BOT_ID, resource: `api://${BOT_DOMAIN}/${BOT_ID}` });
    expect(schemaErrors(manifest)).toEqual([]);
    const ownApi = buildManifest({ MicrosoftAppId: BOT_ID, BOT_DOMAIN, TAB_SSO_CLIENT_ID: APP_ID }, template);
    expect(ownApi.webApplicationInfo).toEqual({ id: APP_ID, resource: `api://${BOT_DOMAIN}/${APP_ID}` });
    expect(JSON.stringify(ownApi)).not.toContain('example.com/tabs');
  });

  it.each([
    ['BOT_DOMAIN is missing', { MicrosoftAppId: BOT_ID }, /BOT_DOMAIN is not set/],
    ['BOT_DOMAIN is a URL', { MicrosoftAppId: BOT_ID, BOT_DOMAIN: 'https://bot.contoso.com/' }, /BOT_DOMAIN must be a host name only/],
    ['TAB_SSO_CLIENT_ID is not a GUID', { MicrosoftAppId: BOT_ID, BOT_DOMAIN, TAB_SSO_CLIENT_ID: 'tab' }, /TAB_SSO_CLIENT_ID must be a GUID/],
    ['MicrosoftAppId is missing', {}, /MicrosoftAppId is not set/],
    ['MicrosoftAppId is blank', { MicrosoftAppId: '  ' }, /MicrosoftAppId is not set/],
    ['MicrosoftAppId is not a GUID', { MicrosoftAppId: 'my-bot' }, /MicrosoftAppId must be a GUID.*"my-bot"/],
    ['MicrosoftAppId is the placeholder', { MicrosoftAppId: '00000000-0000-0000-0000-000000000000' }, /MicrosoftAppId is the all-zero placeholder/],
    ['TEAMS_APP_ID is not a GUID', { MicrosoftAppId: BOT_ID, TEAMS_APP_ID: '1234', BOT_DOMAIN }, /TEAMS_APP_ID must be a GUID/],
  ])('refuses to build when %s, naming the variable', (_case, env, message) => {
    expect(() => buildManifest(env, template)).toThrow(PackagingError);
    expect(() => buildManifest(env, template)).toThrow(message);
  });
});

describe('packageApp', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'app-package-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a zip with the manifest and both icons at the root, carrying the bot id and still valid', () => {
    const outFile = path.join(dir, 'mlops-chatops.zip');
    const result = packageApp({ env: { MicrosoftAppId: BOT_ID, TEAMS_APP_ID: APP_ID, BOT_DOMAIN }, appFolder: APP, outFile });
    expect(result.file).toBe(outFile);
    expect(result.entries).toEqual(['manifest.json', 'color.png', 'outline.png']);

    if (hasUnzip()) {
      const listing = execFileSync('unzip', ['-Z1', outFile], { encoding: 'utf8' }).trim().split('\n');
      expect(listing).toEqual(['manifest.json', 'color.png', 'outline.png']);
      const manifest = JSON.parse(execFileSync('unzip', ['-p', outFile, 'manifest.json'], { encoding: 'utf8' })) as TeamsManifest;
      expect(bot(manifest).botId).toBe(BOT_ID);
      expect(manifest.id).toBe(APP_ID);
      expect(schemaErrors(manifest)).toEqual([]);
      expect(execFileSync('unzip', ['-p', outFile, 'outline.png']).equals(readFileSync(path.join(APP, 'outline.png')))).toBe(true);
    }
    // Read back with an independent reader too (fflate's unzip), whether or not unzip is installed.
    const files = unzipSync(new Uint8Array(readFileSync(outFile)));
    expect(Object.keys(files)).toEqual(['manifest.json', 'color.png', 'outline.png']);
    expect(bot(JSON.parse(Buffer.from(files['manifest.json']!).toString('utf8')) as TeamsManifest).botId).toBe(BOT_ID);
    expect(Buffer.from(files['color.png']!).equals(readFileSync(path.join(APP, 'color.png')))).toBe(true);
  });

  it('is reproducible: the same inputs give the same bytes', () => {
    const a = packageApp({ env: { MicrosoftAppId: BOT_ID, TEAMS_APP_ID: APP_ID, BOT_DOMAIN }, appFolder: APP, outFile: path.join(dir, 'a.zip') });
    const b = packageApp({ env: { MicrosoftAppId: BOT_ID, TEAMS_APP_ID: APP_ID, BOT_DOMAIN }, appFolder: APP, outFile: path.join(dir, 'b.zip') });
    expect(readFileSync(a.file).equals(readFileSync(b.file))).toBe(true);
    expect(() => zipEntries([{ name: 'x', data: Buffer.from('1') }, { name: 'x', data: Buffer.from('2') }])).toThrow(/two package entries are named x/);
  });

  it('refuses an icon that is not a PNG, or not the size Teams requires, naming the file', () => {
    const folder = path.join(dir, 'app');
    cpSync(APP, folder, { recursive: true, filter: (src) => !src.includes(`${path.sep}build`) });
    writeFileSync(path.join(folder, 'outline.png'), 'not a png');
    expect(() => packageApp({ env: { MicrosoftAppId: BOT_ID, BOT_DOMAIN }, appFolder: folder, outFile: path.join(dir, 'y.zip') })).toThrow('icon outline.png is not a valid PNG file');
    writeFileSync(path.join(folder, 'outline.png'), readFileSync(path.join(APP, 'color.png')));
    expect(() => packageApp({ env: { MicrosoftAppId: BOT_ID, BOT_DOMAIN }, appFolder: folder, outFile: path.join(dir, 'y.zip') })).toThrow('icon outline.png is 192x192, Teams requires 32x32');
  });

  it('refuses to package without MicrosoftAppId and writes nothing', () => {
    const outFile = path.join(dir, 'never.zip');
    expect(() => packageApp({ env: {}, appFolder: APP, outFile })).toThrow(/MicrosoftAppId/);
    expect(() => readFileSync(outFile)).toThrow(/ENOENT/);
  });

  it('refuses a manifest that fails the schema, listing the errors', () => {
    const alwaysInvalid = (): string[] => ['/accentColor must match pattern "^#[0-9a-fA-F]{6}$"'];
    expect(() => packageApp({ env: { MicrosoftAppId: BOT_ID, BOT_DOMAIN }, appFolder: APP, outFile: path.join(dir, 'x.zip'), validator: alwaysInvalid }))
      .toThrow(/does not validate against the Teams v1.24 schema:\n {2}\/accentColor/);
  });

  it('validates with its bundled schema copy the same way as the reference', () => {
    const validate = createManifestValidator();
    expect(validate(buildManifest({ MicrosoftAppId: BOT_ID, BOT_DOMAIN }, template))).toEqual([]);
    expect(validate({ ...template, bots: [{ botId: 'nope', scopes: ['personal'] }] })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/bots\/0\/botId must match pattern/)]),
    );
  });
});
