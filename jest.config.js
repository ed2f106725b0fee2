/**
 * Three jest projects mirror the code: fast pure/unit tests, integration tests that talk to the
 * in-process emulators (fauxqs for SQS, dynalite for DynamoDB, the fake Traffic Orchestrator and
 * Stripe signatures), and CDK assertion tests. Type-checking runs separately (`npm run typecheck`);
 * ts-jest only transpiles (isolatedModules), which keeps a cold run fast on a 2-core machine.
 */
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
const common = {
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
};

module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
  ],
};
