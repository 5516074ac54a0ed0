// The jest configuration Stryker runs for each mutant. Two shared cores cannot afford the sandbox
// workflows (seconds each, rerun per mutant: a full run was estimated at 27 h), so mutants are
// judged by the unit tests and the light integration tests that exercise the mutated folders
// without starting the whole sandbox. A mutant only the sandbox workflows would catch therefore
// counts as surviving or uncovered here; docs/testing.md reports the scores on that basis.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS jest config, like jest.config.js
const base = require('./jest.config.js');

// The engine scopes (MUTATION_SCOPE=engine, engine-<file>) are judged by the engine harness tests
// alone: loading the whole set's test files for every mutant cost 15-20 s a mutant on the loaded
// cores (and jest --findRelatedTests no less). A mutant only another suite would kill therefore
// counts as surviving there: the engine scores are lower bounds.
const engineOnly = (process.env.MUTATION_SCOPE ?? '').startsWith('engine');
// One engine file (MUTATION_SCOPE=engine-<file>): only the engine test files that reach its code,
// since every file in testMatch is loaded for every mutant (about a second each on the loaded cores).
const ENGINE_FILE_TESTS = {
  'engine-deploy-steps': ['deploy', 'smoke', 'approval'],
  'engine-smoke-steps': ['smoke', 'deploy'],
  'engine-approval-steps': ['approval', 'core', 'relay'],
  'engine-tracker': ['core', 'approval', 'relay', 'deploy', 'tracker'],
  'engine-stage-steps': ['ci', 'training', 'registry', 'stage-edges'],
};
// Engine files whose rules other unit tests also hold (the authorizer of workflow.ts, the tracker's
// paging): those tests join the engine tests for that file's scope.
const ENGINE_FILE_EXTRA = {
  'engine-workflow': ['approval-engine', 'identity-rule', 'workflow-wiring'],
  'engine-environments': ['environments'],
  'engine-tracker': ['active-runs'],
  'engine-run-engine': ['approval-engine'],
  'engine-rollback-target': ['rollback-target'],
  'engine-training-metrics': ['training-metrics'],
  'engine-run.types': ['run-types'],
};
const engineScope = process.env.MUTATION_SCOPE ?? '';
const engineTests = [
  ...(ENGINE_FILE_TESTS[engineScope]?.map((f) => `<rootDir>/test/unit/engine-${f}.test.ts`) ?? ['<rootDir>/test/unit/engine-*.test.ts']),
  ...(ENGINE_FILE_EXTRA[engineScope] ?? []).map((f) => `<rootDir>/test/unit/${f}.test.ts`),
];

// The http and workflow-logic scopes likewise load only the test files that import their code (a
// file in testMatch costs its load for every mutant, whether or not its tests run).
const SCOPE_TESTS = {
  http: [
    '<rootDir>/test/unit/http-*.test.ts',
    '<rootDir>/test/integration/retry-after.test.ts',
    '<rootDir>/test/integration/http-pipeline*.test.ts',
    '<rootDir>/test/integration/identity-refused.test.ts',
  ],
  auth: [
    '<rootDir>/test/unit/roles.test.ts',
    '<rootDir>/test/unit/identity-rule.test.ts',
    '<rootDir>/test/unit/principal-edges.test.ts',
    '<rootDir>/test/unit/group-roles.test.ts',
    '<rootDir>/test/unit/approver-directory.test.ts',
    '<rootDir>/test/unit/approval-engine.test.ts',
    '<rootDir>/test/integration/graph-groups.test.ts',
    '<rootDir>/test/integration/role-table.test.ts',
  ],
  'workflow-logic': [
    'approval-policy', 'identity-rule', 'approval-engine', 'active-runs', 'run-factory', 'run-store-version',
    'run-store-deferred-sync', 'workflow-transitions', 'workflow-poll-plan', 'workflow-parameters',
    'workflow-scoring-container', 'workflow-keyed-lock', 'workflow-devops-relay', 'workflow-run-factory',
    'workflow-smoke-warmup', 'workflow-smoke-sample', 'workflow-action-result',
  ].map((f) => `<rootDir>/test/unit/${f}.test.ts`),
};

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  reporters: ['default'],
  testMatch: engineOnly ? engineTests : SCOPE_TESTS[(process.env.MUTATION_SCOPE ?? '').replace(/^workflow-logic-[ab]$/, 'workflow-logic')] ?? [
    '<rootDir>/test/unit/approval-*.test.ts',
    '<rootDir>/test/unit/run-*.test.ts',
    '<rootDir>/test/unit/webhook-*.test.ts',
    '<rootDir>/test/unit/http-*.test.ts',
    '<rootDir>/test/unit/command-*.test.ts',
    '<rootDir>/test/unit/config.test.ts',
    '<rootDir>/test/unit/roles.test.ts',
    '<rootDir>/test/unit/identity-rule.test.ts',
    '<rootDir>/test/unit/workflow-*.test.ts',
    '<rootDir>/test/unit/engine-*.test.ts',
    '<rootDir>/test/integration/retry-after.test.ts',
    '<rootDir>/test/integration/http-pipeline*.test.ts',
    '<rootDir>/test/integration/identity-refused.test.ts',
    // Every test a narrower scope names, so that the whole set (`npm run mutation`) judges each
    // file with at least the tests of its own scope.
    ...Object.values(SCOPE_TESTS).flat(),
    ...Object.values(ENGINE_FILE_EXTRA).flat().map((f) => `<rootDir>/test/unit/${f}.test.ts`),
  ].filter((p, i, all) => all.indexOf(p) === i),
};
