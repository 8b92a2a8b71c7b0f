#!/usr/bin/env node
'use strict';
// dist/sbx, the package's `sbx` command (package.json "bin"): a symbolic link
// to the launcher that the Node API uses (found by the same rules,
// lib/addon-path.ts: build/Release/, then prebuilds/linux-<arch>/), which is
// `sbx` when named so (launcher/cli_main.c): `sbx run` starts no Node at all
// (issue 22). Where there is no launcher yet, or when packing (a tarball
// holds no links), dist/sbx is bin/sbx.sh, which finds the launcher each time.
// Run by `prepare` (npm install in a checkout), the install script
// (scripts/install.js), `prepack` (the script) and `postpack` (the link again).
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function launcher() {
  try {
    const { addonPath } = require(path.join(root, 'dist', 'addon-path.js'));
    const l = path.join(path.dirname(addonPath(root)), 'sbx-launcher');
    fs.accessSync(l, fs.constants.X_OK);
    return l;
  } catch {
    return null;
  }
}

function linkBin() {
  const bin = path.join(root, 'dist', 'sbx');
  const tmp = `${bin}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  fs.rmSync(tmp, { force: true });
  // `prepack` and `prepare` while packing: the tarball gets the script.
  const packing = ['pack', 'publish'].includes(process.env.npm_command ?? '') && process.env.npm_lifecycle_event !== 'postpack';
  const target = packing ? null : launcher();
  if (target) {
    fs.symlinkSync(path.relative(path.dirname(bin), target), tmp);
  } else {
    fs.copyFileSync(path.join(root, 'bin', 'sbx.sh'), tmp);
    fs.chmodSync(tmp, 0o755);
  }
  fs.renameSync(tmp, bin);
  return target;
}

module.exports = { linkBin };
if (require.main === module) linkBin();
