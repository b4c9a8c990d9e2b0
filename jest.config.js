// ESM mode: @actions/core 3.x and @actions/github 9.x ship only ES modules.
// Two projects: `unit` (src/ modules and the test bed's own tests, no build needed: `npm run test:unit`)
// and `integration` (the built dist/index.js run as the runner runs it: `npm test` builds first).
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.check.json' }]
  }
}

/** @type {import('jest').Config} */
export default {
  // Global, not per project: Jest ignores (with a warning) a testTimeout inside a project.
  testTimeout: 60000,
  // Two test files at a time on CI's 2 cores (Jest's default is one less than the cores): the
  // integration files mostly wait on the action's child process and the local servers' timers.
  maxWorkers: 2,
  verbose: true,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts', '<rootDir>/__tests__/testbed/**/*.test.ts'] },
    { ...shared, displayName: 'integration', testMatch: ['<rootDir>/__tests__/integration/**/*.test.ts'] }
  ]
}
