/**
 * Loads the TypeScript of `npm start` / `npm run demo` fast: esbuild strips the types of each
 * file as Node requires it (about 1 ms a file, where ts-node on TypeScript 6 takes ~60 ms, which
 * made startup ~6 s). Types are checked by `npm run typecheck`, not here, as with
 * `ts-node --transpile-only`. A dynamic import() stays a real import(), so ESM-only packages
 * (fauxqs) load. Use: node --enable-source-maps -r ./local/register-ts.js local/start.ts
 */
'use strict';
const fs = require('node:fs');
const { transformSync } = require('esbuild');

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    loader: 'ts',
    format: 'cjs',
    target: 'node20',
    sourcefile: filename,
    sourcemap: 'inline',
  });
  module._compile(code, filename);
};
