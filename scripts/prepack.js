#!/usr/bin/env node
'use strict';
// npm `prepack` (npm pack, npm publish): the tarball always carries the
// prebuilds of the machine that packs it, built fresh (scripts/prebuild.js
// into prebuilds/linux-<arch>/), so that installing it needs no compiler and
// no install script. Prebuilds of other architectures already in prebuilds/
// (copied there from a machine of that architecture, see README "Releasing")
// ship as they are, and are listed here.
//
//   SBX_RELEASE_ARCHES=x64,arm64 npm pack    refuse to pack unless each of
//                                            these has all three artifacts
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const repo = path.resolve(__dirname, '..');
const prebuilds = path.join(repo, 'prebuilds');

function fail(msg) {
  process.stderr.write(`sbx prepack: ${msg}\n`);
  process.exit(1);
}

/** What is missing from prebuilds/linux-<arch>/ (empty: a complete prebuild). */
function missing(arch) {
  const dir = path.join(prebuilds, `linux-${arch}`);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  const out = [];
  if (!files.some((f) => f.startsWith('sbx') && f.endsWith('.node'))) out.push('sbx.*.node');
  if (!files.includes('libsbx.so')) out.push('libsbx.so');
  try {
    fs.accessSync(path.join(dir, 'sbx-launcher'), fs.constants.X_OK);
  } catch {
    out.push('sbx-launcher (executable)');
  }
  return out;
}

if (process.platform !== 'linux') fail(`sbx packs on Linux only (this is ${process.platform})`);
execFileSync(process.execPath, [path.join(__dirname, 'prebuild.js')], { stdio: 'inherit', cwd: repo });

const own = missing(process.arch);
if (own.length) fail(`prebuilds/linux-${process.arch}/ lacks ${own.join(', ')} after the build`);

const wanted = (process.env.SBX_RELEASE_ARCHES || '').split(',').map((s) => s.trim()).filter(Boolean);
for (const arch of wanted) {
  const m = missing(arch);
  if (m.length) {
    fail(`SBX_RELEASE_ARCHES names ${arch}, but prebuilds/linux-${arch}/ lacks ${m.join(', ')}: ` +
      `run \`npm run prebuild\` on a ${arch} Linux machine and copy its prebuilds/linux-${arch}/ here`);
  }
}

for (const dir of fs.readdirSync(prebuilds).sort()) {
  const when = fs.statSync(path.join(prebuilds, dir)).mtime.toISOString().slice(0, 16).replace('T', ' ');
  const m = dir.startsWith('linux-') ? missing(dir.slice(6)) : ['not a linux-<arch> directory'];
  process.stdout.write(`sbx prepack: ships prebuilds/${dir}/ (built ${when} UTC)${m.length ? `, INCOMPLETE: lacks ${m.join(', ')}` : ''}\n`);
}

// dist/sbx: the script in the tarball (a link would point nowhere once unpacked);
// `postpack` links it again here, the install script links it where installed.
require('./link-bin').linkBin();
