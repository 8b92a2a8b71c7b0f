#!/usr/bin/env node
'use strict';
// prebuildify calls `node-gyp rebuild --target=... --arch=... --release`.
// sbx builds with cmake-js, so prebuildify is pointed here (--node-gyp): build
// the repository into ./build of the current (staging) directory, where
// prebuildify looks for the .node and the shared libraries, and put the
// launcher executable into ./build/artifacts, which prebuildify copies with
// its file mode (--artifacts).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const repo = path.resolve(__dirname, '..');
const stage = process.cwd();
const args = process.argv.slice(2);
const arch = (args.find((a) => a.startsWith('--arch=')) || '').slice(7);
const debug = args.includes('--debug');

const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const out = path.join(stage, 'build');
execFileSync(
  process.execPath,
  [cmakeJs, 'rebuild', '--directory', repo, '--out', out, ...(arch ? ['--arch', arch] : []), ...(debug ? ['--debug'] : [])],
  { stdio: 'inherit' },
);

const artifacts = path.join(out, 'artifacts');
fs.mkdirSync(artifacts, { recursive: true });
fs.copyFileSync(path.join(out, 'Release', 'sbx-launcher'), path.join(artifacts, 'sbx-launcher'));
fs.chmodSync(path.join(artifacts, 'sbx-launcher'), 0o755);
