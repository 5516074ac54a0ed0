import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/context';
import { ensureBotBuilt } from '../support/bot-process';

/**
 * The packages the bot loads on first use (services/lazy-package.ts, issue 13, cold start): none of
 * them may be loaded by importing the bot's modules, which is what a start-up pays before /healthz.
 * Found once: an enum imported from node-api's build interfaces loaded ~130 KB at start.
 */
const LAZY = ['azure-devops-node-api', '@azure/arm-containerinstance', 'adaptivecards-templating', 'adaptive-expressions', 'jwks-rsa', 'cron-parser', 'undici'];

describe('start-up modules', () => {
  it('loads none of the first-use packages when the bot\'s modules are imported', () => {
    if (!existsSync(join(REPO_ROOT, 'dist/bot/index.js'))) {
      const built = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
      if (built.status !== 0) throw new Error('build failed');
    }
    const script = `require('./dist/bot/index.js'); require('./dist/bot/app.js');
      const loaded = new Set(Object.keys(require.cache).map((f) => (f.match(/node_modules\\/((@[^/]+\\/)?[^/]+)/) || [])[1]).filter(Boolean));
      process.stdout.write(JSON.stringify([...loaded]));`;
    const out = spawnSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(out.status).toBe(0);
    const loaded = JSON.parse(out.stdout) as string[];
    // The check can fail: the bot's own framework packages are there.
    expect(loaded).toEqual(expect.arrayContaining(['botbuilder', 'restify', 'zod']));
    expect(LAZY.filter((p) => loaded.includes(p))).toEqual([]);
  });

  it('leaves the first-use packages and the native addon out of the bundle production starts (dist/bot/main.js)', () => {
    ensureBotBuilt();
    const { inputs } = JSON.parse(readFileSync(join(REPO_ROOT, 'dist/bot/main.meta.json'), 'utf8')) as { inputs: string[] };
    const packages = new Set(inputs.map((f) => (/node_modules\/((@[^/]+\/)?[^/]+)/.exec(f) ?? [])[1]).filter(Boolean));
    // The check can fail: the framework packages are inside.
    expect([...packages]).toEqual(expect.arrayContaining(['botbuilder', 'restify', 'zod']));
    expect([...LAZY, 'better-sqlite3'].filter((p) => packages.has(p))).toEqual([]);
    // The bot's own modules are in it, the entry among them.
    expect(inputs).toContain('dist/bot/index.js');
  });
});
