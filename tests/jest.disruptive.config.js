// System tests that stop shared infrastructure (Kafka, Mailpit): run alone, one file at a time,
// after every other test (npm test does so).
const path = require('node:path');
const preset = require('../jest.preset.js')(__dirname);

/** @type {import('jest').Config} */
module.exports = {
  ...preset,
  displayName: '@herald/tests (disruptive)',
  testMatch: ['<rootDir>/disruptive/**/*.test.ts'],
  reporters: ['default', path.join(__dirname, '../packages/testing/jest-summary-reporter.js')],
  testTimeout: 180_000,
  globalTeardown: path.join(__dirname, '../packages/testing/dist/global-teardown.js'),
};
