import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './context';

/** What production starts (infra/azure/azuredeploy.json: `node dist/bot/main.js`): the bundled bot. */
export const BOT_ENTRY = 'dist/bot/main.js';

/** Builds the bot as `npm run build` does when this checkout has no build yet (`npm test` builds first). */
export function ensureBotBuilt(): void {
  if (existsSync(join(REPO_ROOT, BOT_ENTRY))) return;
  for (const args of [[require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], ['bot/bundle.mjs']]) {
    const built = spawnSync(process.execPath, args, { cwd: REPO_ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error(`build failed: ${args.join(' ')}`);
  }
}
