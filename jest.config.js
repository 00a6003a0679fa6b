// Four projects, one per test layer. Servers start once per run in each layer's global setup:
// the dev server and PostgreSQL for integration, the time-skipping server's binary for workflows.
/** @type {import('jest').Config} */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };

const project = (name, extra = {}) => ({
  displayName: name,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  testEnvironment: 'node',
  transform,
  setupFiles: ['<rootDir>/test/support/quietRuntime.ts'],
  ...extra,
});

module.exports = {
  // Workflow tests wait on real servers; unit tests finish far inside this.
  testTimeout: 60_000,
  projects: [
    project('unit'),
    project('workflows', { globalSetup: '<rootDir>/test/support/workflowsSetup.ts' }),
    project('integration', {
      globalSetup: '<rootDir>/test/support/integrationSetup.ts',
      globalTeardown: '<rootDir>/test/support/integrationTeardown.ts',
    }),
    project('replay'),
  ],
};
