// Bundles the bot's compiled entry (dist/bot/index.js) into one file, dist/bot/main.js: the
// production start command (infra/azure/azuredeploy.json) runs it. Loading several hundred
// CommonJS files one by one (resolving, stat-ing and reading each, and their package.json files)
// was most of the bot's cold start (issue 13, docs/performance.md, eighth round).
// esbuild, as for the dashboard (bot/dashboard/web/build.mjs); run by `npm run build`.
// Left outside the bundle, loaded from node_modules at run time:
// - better-sqlite3: a native addon, found by `bindings` next to its own files;
// - dtrace-provider: restify's optional native tracing, required by a computed path;
// - the first-use packages (services/lazy-package.ts), required by a name in a variable on their
//   first use, as before.
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const result = await build({
  entryPoints: [join(root, 'dist', 'bot', 'index.js')],
  outfile: join(root, 'dist', 'bot', 'main.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['better-sqlite3', 'dtrace-provider'],
  sourcemap: 'linked',
  legalComments: 'linked',
  // The first-use packages' require(name) cannot be resolved at build time, by design: not an error.
  logOverride: { 'unsupported-require-call': 'silent' },
  logLevel: 'warning',
  metafile: true,
});
// What went into the bundle (test/integration/start-up-modules.test.ts checks that no first-use package did).
writeFileSync(join(root, 'dist', 'bot', 'main.meta.json'), JSON.stringify({ inputs: Object.keys(result.metafile.inputs) }));
