// The jest configuration Stryker runs for each mutant: the tests that exercise the mutated
// folders (services/workflow, services/auth, services/http, bot/webhooks.ts). Browser, e2e and
// packaging suites cover none of them and would only slow every mutant down.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS jest config, like jest.config.js
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  reporters: ['default'],
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/e2e/',
    '<rootDir>/test/unit/app-package',
    '<rootDir>/test/unit/arm-templates',
    '<rootDir>/test/unit/workflow-cards',
    '<rootDir>/test/unit/cards',
    '<rootDir>/test/integration/notifier',
    '<rootDir>/test/integration/aci-',
  ],
};
