// Builds the Teams app package that is uploaded to Teams ("Upload a custom app"):
//   MicrosoftAppId=<bot app id> BOT_DOMAIN=<bot host name> [TEAMS_APP_ID=<guid>] [TAB_SSO_CLIENT_ID=<guid>] npm run package
// → appPackage/build/mlops-chatops.zip with manifest.json, color.png and outline.png at the root.
// This file is the script's entry: only here are process.env and the exit code touched.
// The zip is written by fflate (a maintained, dependency-free zip/deflate library) and the icons
// are read by pngjs: Teams rejects a malformed zip or PNG, so neither is written by hand here.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';
import { resolveAppFolder } from './app-folder.resolver';
import { COLOR_ICON_SIZE, OUTLINE_ICON_SIZE } from './icon-spec';
import {
  buildManifest, createManifestValidator, PackagingError, readManifestTemplate,
  type Env, type ManifestValidator, type TeamsManifest,
} from './manifest.builder';

export { buildManifest, createManifestValidator, PackagingError } from './manifest.builder';

interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
}

/**
 * The package bytes: entries in the given order at the root, deflated, with a fixed timestamp so
 * that the same inputs give the same zip (reproducible packages).
 */
export function zipEntries(entries: readonly ZipEntry[]): Buffer {
  const names = new Set<string>();
  const files: Record<string, Uint8Array> = {};
  for (const e of entries) {
    if (names.has(e.name)) throw new PackagingError(`two package entries are named ${e.name}`);
    names.add(e.name);
    files[e.name] = new Uint8Array(e.data);
  }
  return Buffer.from(zipSync(files, { level: 9, mtime: new Date('2020-01-01T00:00:00Z') }));
}

export const PACKAGE_FILE_NAME = 'mlops-chatops.zip';

export interface PackageOptions {
  readonly env: Env;
  /** Folder with manifest.json and the icons; default: the repo's appPackage/. */
  readonly appFolder?: string;
  /** Where to write the zip; default: <appFolder>/build/mlops-chatops.zip. */
  readonly outFile?: string;
  readonly validator?: ManifestValidator;
}

export interface PackageResult {
  readonly file: string;
  readonly manifest: TeamsManifest;
  readonly entries: readonly string[];
}

export function packageApp(options: PackageOptions): PackageResult {
  const appFolder = options.appFolder ?? resolveAppFolder(__dirname);
  const manifest = buildManifest(options.env, readManifestTemplate(appFolder));
  const errors = (options.validator ?? createManifestValidator())(manifest);
  if (errors.length > 0) {
    throw new PackagingError(`manifest.json does not validate against the Teams v1.24 schema:\n  ${errors.join('\n  ')}`);
  }
  const icons = readIcons(appFolder, manifest);
  const entries: ZipEntry[] = [{ name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) }, ...icons];
  const file = options.outFile ?? path.join(appFolder, 'build', PACKAGE_FILE_NAME);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, zipEntries(entries));
  return { file, manifest, entries: entries.map((e) => e.name) };
}

// The schema checks neither that the icon files exist nor their size, but Teams rejects the
// upload when they are wrong, so check here where the message can say which file.
function readIcons(appFolder: string, manifest: TeamsManifest): ZipEntry[] {
  const icons = manifest.icons as { color: string; outline: string };
  const expected: Array<[string, number]> = [[icons.color, COLOR_ICON_SIZE], [icons.outline, OUTLINE_ICON_SIZE]];
  return expected.map(([name, size]) => {
    if (path.basename(name) !== name) throw new PackagingError(`icon ${name} must be a file name at the package root`);
    let data: Buffer;
    try {
      data = readFileSync(path.join(appFolder, name));
    } catch (cause) {
      throw new PackagingError(`cannot read icon ${path.join(appFolder, name)}`, { cause });
    }
    let width: number;
    let height: number;
    try {
      ({ width, height } = PNG.sync.read(data));
    } catch (cause) {
      throw new PackagingError(`icon ${name} is not a valid PNG file`, { cause });
    }
    if (width !== size || height !== size) throw new PackagingError(`icon ${name} is ${width}x${height}, Teams requires ${size}x${size}`);
    return { name, data };
  });
}

if (require.main === module) {
  try {
    const result = packageApp({ env: process.env });
    console.log(`wrote ${result.file} (${result.entries.join(', ')}) for bot ${result.manifest.bots?.[0]?.botId}, app id ${result.manifest.id}`);
  } catch (error) {
    if (!(error instanceof PackagingError)) throw error;
    console.error(`npm run package: ${error.message}`);
    process.exitCode = 1;
  }
}
