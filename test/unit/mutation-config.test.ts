import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../support/context';

// The mutation set names its test files by path (jest.mutation.config.js) and type-checks them in
// programs of their own (tsconfig.mutation-*.json). A test file moved or renamed left a scope
// judging its mutants without it, silently: a stale name matched nothing and the mutants it would
// have killed counted as surviving. Every name must match a file.

/** Files matching a testMatch entry: a path whose last part may hold `*`. */
function matches(pattern: string): string[] {
  const path = pattern.replace('<rootDir>', REPO_ROOT);
  const dir = dirname(path);
  const name = new RegExp(`^${path.slice(dir.length + 1).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return existsSync(dir) ? readdirSync(dir).filter((f) => name.test(f)) : [];
}

function testMatchOf(scope: string): string[] {
  const saved = process.env.MUTATION_SCOPE;
  process.env.MUTATION_SCOPE = scope;
  let config: { testMatch: string[] } | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS config as Stryker loads it
    config = require(join(REPO_ROOT, 'jest.mutation.config.js')) as { testMatch: string[] };
  });
  if (saved === undefined) delete process.env.MUTATION_SCOPE;
  else process.env.MUTATION_SCOPE = saved;
  return config?.testMatch ?? [];
}

const configText = readFileSync(join(REPO_ROOT, 'jest.mutation.config.js'), 'utf8');
const engineScopes = [...new Set(configText.match(/'engine-[\w.-]+'/g) ?? [])].map((s) => s.slice(1, -1));
const scopes = ['all', 'http', 'auth', 'workflow-logic-a', 'workflow-logic-b', 'webhooks', 'approval', 'engine', ...engineScopes];

describe('the mutation set names only test files that exist', () => {
  it.each(scopes)('scope %s', (scope) => {
    const patterns = testMatchOf(scope);
    expect(patterns.length).toBeGreaterThan(0);
    expect(patterns.filter((p) => matches(p).length === 0)).toEqual([]);
  });

  it.each(readdirSync(REPO_ROOT).filter((f) => /^tsconfig\.mutation-.*\.json$/.test(f)))('type-check program %s', (file) => {
    const include = (JSON.parse(readFileSync(join(REPO_ROOT, file), 'utf8')) as { include: string[] }).include;
    expect(include.length).toBeGreaterThan(0);
    expect(include.filter((p) => (p.includes('*') ? matches(`<rootDir>/${p}`).length === 0 : !existsSync(join(REPO_ROOT, p))))).toEqual([]);
  });

  it('finds a stale name (the check can fail)', () => {
    expect(matches('<rootDir>/test/unit/workflow-environments.test.ts')).toEqual([]);
    expect(matches('<rootDir>/test/unit/engine-*.test.ts').length).toBeGreaterThan(5);
  });
});
