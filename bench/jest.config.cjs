// The shared preset with two differences: no global setup, since the bench's unit tests need no
// infrastructure (the benchmark itself, `npm run bench`, is the integration with the real stack);
// and CommonJS output for jest, since the bench is ES modules that Node runs as TypeScript.
const preset = require('../jest.preset.js')(__dirname);

delete preset.globalSetup;
module.exports = {
  ...preset,
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        diagnostics: false,
        tsconfig: { module: 'commonjs', moduleResolution: 'node10', target: 'es2022', esModuleInterop: true, verbatimModuleSyntax: false },
      },
    ],
  },
};
