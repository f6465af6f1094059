// A jest transformer for node_modules (see jest.config.js): a file of a `"type": "module"`
// package is converted to CommonJS; every other file is left as it is.
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const typeOfDir = new Map();

/** The "type" of the package that holds `dir`. */
function packageType(dir) {
  if (typeOfDir.has(dir)) return typeOfDir.get(dir);
  let type = 'commonjs';
  const manifest = path.join(dir, 'package.json');
  if (fs.existsSync(manifest)) type = JSON.parse(fs.readFileSync(manifest, 'utf8')).type ?? 'commonjs';
  else if (path.dirname(dir) !== dir) type = packageType(path.dirname(dir));
  typeOfDir.set(dir, type);
  return type;
}

module.exports = {
  process(source, filename) {
    if (packageType(path.dirname(filename)) !== 'module') return { code: source };
    const { outputText } = ts.transpileModule(source, {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    });
    return { code: outputText };
  },
};
