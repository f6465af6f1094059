// The jest configuration every workspace shares: TypeScript through ts-jest (transpile only; the
// `typecheck` task type-checks), unit tests beside the code as *.test.ts, integration tests
// against the real infrastructure as *.int.test.ts.
const path = require('node:path');

/** @param {string} dir the workspace directory @returns {import('jest').Config} */
module.exports = (dir) => ({
  displayName: require(path.join(dir, 'package.json')).name,
  rootDir: dir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { tsconfig: path.join(dir, 'tsconfig.json'), diagnostics: false },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 60_000,
  globalSetup: path.join(__dirname, 'packages/testing/dist/global-setup.js'),
});
