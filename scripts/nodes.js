'use strict';
// Node 22 and 24 beside the Node that runs the script: the official Linux
// builds that the npm registry ships as node-linux-<arch>, each in its own
// prefix under build/nodes/<major>, never in the package's own node_modules
// (whose .bin/node would shadow the system Node in npm scripts). Installed
// when missing; pinned to the major. Used by scripts/test.js (the
// Node-dependent suites run again on each) and bench/self.bench.js.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const EXTRA_NODES = [22, 24];

function installCommand(major) {
  const pkg = `node-linux-${process.arch === 'arm64' ? 'arm64' : 'x64'}`;
  return {
    pkg,
    dir: path.join(root, 'build', 'nodes', String(major)),
    text: `d=build/nodes/${major}; mkdir -p $d; echo '{"private":true}' > $d/package.json; ` +
      `npm install --prefix $d --no-save --no-audit --no-fund --no-package-lock ${pkg}@${major}`,
  };
}

/**
 * { major, bin, version } of build/nodes/<major>, installing it when missing;
 * or { major, error, command }. `out`: where the install says what it does
 * (npm's own output goes there too).
 */
function extraNode(major, { out = process.stdout } = {}) {
  const { pkg, dir, text } = installCommand(major);
  const bin = path.join(dir, 'node_modules', pkg, 'bin', 'node');
  const versionOf = () => {
    if (!fs.existsSync(bin)) return null;
    const r = spawnSync(bin, ['-p', 'process.version'], { encoding: 'utf8' });
    const v = r.status === 0 ? r.stdout.trim() : '';
    return v.startsWith(`v${major}.`) ? v : null;
  };
  let version = versionOf();
  let why = '';
  if (!version) {
    out.write(`installing ${pkg}@${major} into build/nodes/${major}\n`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
    const fd = out === process.stderr ? 2 : 1;
    const r = spawnSync('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', `${pkg}@${major}`],
      { stdio: ['inherit', fd, fd], cwd: root });
    version = versionOf();
    why = r.error ? r.error.message : r.status !== 0 ? `npm install exited ${r.status}` : `${bin} is not a Node ${major}`;
  }
  return version ? { major, bin, version } : { major, error: why, command: text };
}

module.exports = { EXTRA_NODES, installCommand, extraNode };
