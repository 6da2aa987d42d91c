'use strict';
// Lets the capture process, the bench's measuring process and the inference worker run straight from
// src/, where tests run the daemon's side (ts-jest compiles only the test process): `.ts` files are
// compiled as they are required, with the project's TypeScript and tsconfig.json's compiler options,
// so the process under test runs what `npm run build` would emit from the same sources. Used only
// when the code starting them is itself running as TypeScript (capture/child-path.ts,
// bench/child-run.ts, detect/inference-session.ts); dist/ never loads it (TypeScript is a dev
// dependency).
//
// Compiled files are cached by content in node_modules/.cache: loading the compiler costs each new
// capture process most of a second on a small machine, and tests start many of them.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const configFile = path.join(root, 'tsconfig.json');
const cacheDir = path.join(root, 'node_modules', '.cache', 'lookout-source-loader');
const configText = fs.readFileSync(configFile, 'utf8');
const compilerVersion = JSON.parse(fs.readFileSync(require.resolve('typescript/package.json'), 'utf8')).version;

let compile;
function compiler() {
  if (compile) return compile;
  const ts = require('typescript');
  const read = ts.readConfigFile(configFile, ts.sys.readFile);
  if (read.error) throw new Error(`${configFile}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
  const { options } = ts.convertCompilerOptionsFromJson(read.config.compilerOptions, root);
  // Stack traces of the capture process should point at the .ts lines.
  const compilerOptions = { ...options, sourceMap: false, inlineSourceMap: true, declaration: false, noEmit: false };
  compile = (source, fileName) => ts.transpileModule(source, { compilerOptions, fileName, reportDiagnostics: false }).outputText;
  return compile;
}

process.setSourceMapsEnabled(true);

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha256').update(`${compilerVersion}\0${configText}\0${filename}\0${source}`).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let out;
  try {
    out = fs.readFileSync(cached, 'utf8');
  } catch {
    out = compiler()(source, filename);
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      // Written aside and renamed: processes starting together never read half a file.
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, out);
      fs.renameSync(tmp, cached);
    } catch {
      // a read-only tree only loses the cache
    }
  }
  module._compile(out, filename);
};
