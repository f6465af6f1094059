// One jest run over every workspace (npm test): each workspace with tests is a project.
const fs = require('node:fs');
const path = require('node:path');

const groups = ['packages', 'services', 'tools'];
const projects = groups
  .flatMap((group) =>
    fs.readdirSync(path.join(__dirname, group)).map((name) => path.join(__dirname, group, name)),
  )
  .concat(path.join(__dirname, 'tests'), path.join(__dirname, 'bench'))
  .filter((dir) => ['jest.config.js', 'jest.config.cjs'].some((name) => fs.existsSync(path.join(dir, name))));

/** @type {import('jest').Config} */
module.exports = {
  projects,
  // A global option: the projects' own testTimeout is ignored when jest runs them together.
  testTimeout: 60_000,
  reporters: ['default', path.join(__dirname, 'packages/testing/jest-summary-reporter.js')],
  // Deletes the topics the tests' consumer groups made (see packages/testing/src/global-teardown.ts).
  globalTeardown: path.join(__dirname, 'packages/testing/dist/global-teardown.js'),
};
