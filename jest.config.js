// @ts-check
/** Unit and embedded-default tests: SQLite and the in-process transport only. `npm test`. */
/** @type {import('jest').Config} */
const config = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$'],
  // ts-jest transpiles each file on its own because tsconfig sets isolatedModules; `npm run typecheck` checks types.
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFiles: ['reflect-metadata'],
  testTimeout: 20000,
};
module.exports = config;
