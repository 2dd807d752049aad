// @ts-check
/**
 * Real-service suites: MariaDB and RabbitMQ. `npm run test:int`.
 * They need TEST_MYSQL_URL and TEST_AMQP_URL (see README) and fail, never skip, without them.
 */
/** @type {import('jest').Config} */
const config = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.int.test.ts'],
  // ts-jest transpiles each file on its own because tsconfig sets isolatedModules; `npm run typecheck` checks types.
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFiles: ['reflect-metadata'],
  testTimeout: 60000,
};
module.exports = config;
