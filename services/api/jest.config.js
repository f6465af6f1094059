// The shared preset, plus one exception: some dependencies of fastify's plugins and of
// light-my-request (content-disposition 3, cookie 1, ...) ship only as ES modules. Node requires
// them natively, but jest only with --experimental-vm-modules, so jest gets them as CommonJS.
const path = require('node:path');

const preset = require('../../jest.preset.js')(__dirname);

module.exports = {
  ...preset,
  transform: {
    ...preset.transform,
    '/node_modules/.+\\.js$': path.join(__dirname, 'jest.esm-to-cjs.js'),
  },
  transformIgnorePatterns: [],
  // testTimeout is a global option: a run from the root ignores the preset's. This applies it here.
  setupFilesAfterEnv: [path.join(__dirname, 'jest.setup.js')],
};
