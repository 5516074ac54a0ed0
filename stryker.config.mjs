// Mutation testing (StrykerJS): `npm run mutation` over the rules that must not break silently.
// Not part of `npm test` (it takes long). Scope one folder with MUTATION_SCOPE, e.g.
//   MUTATION_SCOPE=workflow npm run mutation
// Incremental: each scope keeps its results in reports/stryker-incremental-<scope>.json and a rerun
// only tests mutants in code or tests that changed since.
const SCOPES = {
  workflow: ['services/workflow/**/*.ts'],
  auth: ['services/auth/**/*.ts'],
  http: ['services/http/**/*.ts'],
  webhooks: ['bot/webhooks.ts'],
  // The rules that must have no surviving mutant: the approval policy and the transitions.
  approval: ['services/workflow/approval-policy.ts', 'services/workflow/transitions.ts'],
  // The pure rules of services/workflow (no engine): unit tests judge them in seconds a mutant. The
  // engine files are the `engine` scope below.
  'workflow-logic': [
    'services/workflow/approval-policy.ts',
    'services/workflow/transitions.ts',
    'services/workflow/poll-plan.ts',
    'services/workflow/parameters.ts',
    'services/workflow/scoring-container.ts',
    'services/workflow/keyed-lock.ts',
    'services/workflow/devops-relay.ts',
    'services/workflow/run-factory.ts',
    'services/workflow/action-result.ts',
    'services/workflow/active-runs.ts',
    'services/workflow/smoke-test.ts',
    'services/workflow/run-store.ts',
  ],
  // The engine of services/workflow: judged by the in-process engine harness
  // (test/support/engine-harness.ts, test/unit/engine-*.test.ts), milliseconds a test, not the sandbox suites.
  engine: [
    'services/workflow/run-engine.ts',
    'services/workflow/run-step.ts',
    'services/workflow/stage-steps.ts',
    'services/workflow/deploy-steps.ts',
    'services/workflow/smoke-steps.ts',
    'services/workflow/approval-steps.ts',
    'services/workflow/tracker.ts',
    'services/workflow/training-metrics.ts',
    'services/workflow/run-actions.ts',
    'services/workflow/environments.ts',
    'services/workflow/workflow.ts',
    'services/workflow/relay-version.ts',
    'services/workflow/rollback-target.ts',
    // The stage list, the final statuses and the stage lookups every engine file uses.
    'services/workflow/run.types.ts',
  ],
};
// The pure rules in two halves that each finish in well under an hour on the shared cores (Stryker
// writes its report only at the end of a run; the approval scope measures the other two files).
SCOPES['workflow-logic-a'] = ['poll-plan', 'parameters', 'scoring-container', 'keyed-lock', 'action-result', 'active-runs', 'smoke-test'].map((f) => `services/workflow/${f}.ts`);
SCOPES['workflow-logic-b'] = ['devops-relay', 'run-factory', 'run-store'].map((f) => `services/workflow/${f}.ts`);
// One engine file at a time, e.g. MUTATION_SCOPE=engine-deploy-steps: on two shared cores the whole
// engine scope (1,512 mutants) takes hours, and Stryker reports only at the end of a run.
for (const file of SCOPES.engine) SCOPES[`engine-${file.replace(/^.*\//, '').replace(/\.ts$/, '')}`] = [file];
const scope = process.env.MUTATION_SCOPE ?? 'all';
if (scope !== 'all' && !(scope in SCOPES)) throw new Error(`MUTATION_SCOPE must be one of ${Object.keys(SCOPES).join(', ')} (or unset for all)`);
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: { configFile: 'jest.mutation.config.js', enableFindRelatedTests: false },
  checkers: ['typescript'],
  // The engine, http, auth and workflow-logic scopes type-check mutants in a program of services/ and
  // their own tests only (see those files): with the whole project, every file importing the
  // mutated one (bot, tests, bench) was re-checked for each mutant.
  tsconfigFile: scope.startsWith('engine') ? 'tsconfig.mutation-engine.json'
    : scope === 'http' ? 'tsconfig.mutation-http.json'
    : scope === 'auth' ? 'tsconfig.mutation-auth.json'
    : scope.startsWith('workflow-logic') ? 'tsconfig.mutation-logic.json'
    : 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  mutate: scope === 'all' ? [...new Set(Object.values(SCOPES).flat())] : SCOPES[scope],
  incremental: true,
  incrementalFile: `reports/stryker-incremental-${scope}.json`,
  // Two cores shared with other work: one test process by default (MUTATION_CONCURRENCY to change it).
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 1),
  // A mutant that makes a retry loop endless times out: each costs this plus a test-runner restart.
  // 20 s keeps a loaded machine from calling slow-but-finishing tests timeouts; lower it on a quiet one.
  timeoutMS: Number(process.env.MUTATION_TIMEOUT_MS ?? 20000),
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: `reports/mutation/${scope}.json` },
  ignorePatterns: ['dist', 'reports', '.stryker-tmp', 'appPackage/build', 'data', 'test-output'],
  tempDirName: `.stryker-tmp/${scope}`,
  cleanTempDir: true,
};
