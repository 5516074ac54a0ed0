// Bundles the dashboard tab into static files (no CDN): dist/dashboard/{index.html,dashboard.js,dashboard.css}.
// esbuild: one well-kept bundler, no config beyond this; run by `npm run build`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const out = join(root, 'dist', 'dashboard');
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: { dashboard: join(here, 'main.ts') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022', 'chrome120'],
  outdir: out,
  sourcemap: 'linked',
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  tsconfig: join(here, 'tsconfig.json'),
});
copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
const sizes = Object.entries(result.metafile.outputs)
  .filter(([f]) => !f.endsWith('.map') && !f.endsWith('.LEGAL.txt'))
  .map(([f, o]) => `${f.split('/').pop()} ${(o.bytes / 1024).toFixed(0)} KiB`);
if (process.env.DASHBOARD_BUILD_VERBOSE) console.log(`dashboard bundle: ${sizes.join(', ')}`);
