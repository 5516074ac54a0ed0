// The scripts run from source (ts-jest, ts-node) and compiled (`dist/appPackage/*.js`); both
// must read and write the repo's `appPackage/` folder, never `dist/`, which holds no icons.
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The folder that holds manifest.json and the icons, given the running module's directory. */
export function resolveAppFolder(moduleDir: string): string {
  if (existsSync(path.join(moduleDir, 'manifest.json'))) return moduleDir;
  // Compiled layout: <repo>/dist/appPackage/x.js → <repo>/appPackage
  const fromDist = path.resolve(moduleDir, '../../appPackage');
  if (existsSync(path.join(fromDist, 'manifest.json'))) return fromDist;
  throw new Error(`cannot find appPackage/manifest.json from ${moduleDir} (looked there and in ${fromDist})`);
}
