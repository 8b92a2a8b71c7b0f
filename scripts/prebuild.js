#!/usr/bin/env node
'use strict';
// `npm run prebuild`: all three artifacts into prebuilds/<platform>-<arch>/
// with prebuildify, building in a staging directory so that the developer's
// build/ is left alone (prebuildify moves the .node it finds).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const repo = path.resolve(__dirname, '..');
const stage = path.join(repo, 'build', 'prebuild-stage');
fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(stage, { recursive: true });
fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify({ name: 'sbx' }));

const dest = path.join(repo, 'prebuilds', `${process.platform}-${process.arch}`);
fs.rmSync(dest, { recursive: true, force: true });

execFileSync(
  process.execPath,
  [
    require.resolve('prebuildify/bin.js'),
    '--napi', '--strip', '--tag-libc',
    '--cwd', stage,
    '--out', repo,
    '--node-gyp', path.join(__dirname, 'cmake-js-wrapper.js'),
    '--artifacts', path.join(stage, 'build', 'artifacts'),
  ],
  { stdio: 'inherit', cwd: stage },
);

for (const f of ['libsbx.so', 'sbx-launcher']) {
  if (!fs.existsSync(path.join(dest, f))) throw new Error(`prebuild: ${f} missing from ${dest}`);
}
fs.accessSync(path.join(dest, 'sbx-launcher'), fs.constants.X_OK);
process.stdout.write(`prebuilds: ${fs.readdirSync(dest).join(', ')} in ${path.relative(repo, dest)}/\n`);
