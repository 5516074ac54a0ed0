import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './context';

/** A private copy of a store written by an earlier version (test/fixtures/stores), so a migration test never changes the fixture. */
export function copyStoreFixture(name: 'v1.sqlite' | 'v2.sqlite'): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `store-${name.replace('.sqlite', '')}-`));
  const path = join(dir, name);
  copyFileSync(join(REPO_ROOT, 'test', 'fixtures', 'stores', name), path);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
