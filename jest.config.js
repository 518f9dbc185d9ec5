// Jest runs TypeScript through swc (transpile only); `npm test` type-checks first with tsc.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // generous: on a busy 2-core machine child-process tests run several times slower; a limit is never a pass/fail criterion
  testTimeout: 10 * 60_000,
  maxWorkers: 2,
};
