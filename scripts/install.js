#!/usr/bin/env node
'use strict';
// npm `install` script. node-gyp-build's own script falls back to node-gyp,
// which cannot build a cmake-js project, so sbx has its own:
//   1. a prebuild (prebuilds/linux-<arch>/) or an earlier build (build/Release/)
//      that carries all three artifacts → nothing to do;
//   2. otherwise build from source with cmake-js, after checking that cmake and
//      a compiler are there, with a one-line message when they are not.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const ARTIFACTS = ['libsbx.so', 'sbx-launcher'];

function fail(msg) {
  process.stderr.write(`sbx: ${msg}\n`);
  process.exit(1);
}

function findExisting() {
  let addon;
  try {
    addon = require('node-gyp-build').path(root);
  } catch {
    return null;
  }
  const dir = path.dirname(addon);
  return ARTIFACTS.every((a) => fs.existsSync(path.join(dir, a))) ? dir : null;
}

function onPath(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
  return r.status === 0;
}

function main() {
  const force = process.env.SBX_BUILD_FROM_SOURCE === '1';
  const found = force ? null : findExisting();
  if (found) return;
  buildFromSource();
}

function buildFromSource() {
  const tag = `${process.platform}-${process.arch}`;
  const why = `no prebuild for ${tag} in this package`;
  if (process.platform !== 'linux') fail(`sbx runs on Linux only (this is ${process.platform})`);
  if (!onPath('cmake')) fail(`${why} and cmake is not on PATH: install cmake >= 3.16 and a C/C++ compiler (e.g. apt-get install cmake g++), then run npm install again`);
  const cc = ['cc', 'gcc', 'clang'].find(onPath);
  const cxx = ['c++', 'g++', 'clang++'].find(onPath);
  if (!cc || !cxx) fail(`${why} and no ${cc ? 'C++' : 'C'} compiler is on PATH: install one (e.g. apt-get install g++), then run npm install again`);

  let cmakeJs;
  try {
    cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  } catch {
    fail(`${why} and cmake-js is not installed: run npm install again with dependencies`);
  }
  try {
    execFileSync(process.execPath, [cmakeJs, 'compile', '--directory', root], { stdio: 'inherit', cwd: root });
  } catch (e) {
    fail(`native build failed (cmake-js exit ${e.status}); see the output above`);
  }
}

main();
// dist/sbx: a link to the launcher, so that `sbx run` starts without Node
// (scripts/link-bin.js; without dist/ yet, in a checkout, `prepare` does it).
if (fs.existsSync(path.join(root, 'dist', 'addon-path.js'))) require('./link-bin').linkBin();
