#!/usr/bin/env node
'use strict';
// `npm test`: build everything the tests need (native artifacts with the C
// tests, TypeScript), run vitest over test/ (which also runs the C test
// binaries and fuzzers as cases), and end with the plain summary line
// `N passed, N failed` that CI reads.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 128 + (r.signal ? 1 : 0);
}

function step(name, cmd, args) {
  process.stdout.write(`\n== ${name}\n`);
  const code = run(cmd, args);
  if (code !== 0) {
    process.stdout.write(`\n0 passed, 1 failed\n`);
    process.stderr.write(`sbx test: ${name} failed (exit ${code})\n`);
    process.exit(1);
  }
}

// `cmake-js compile` only builds an existing configuration: configure first so
// the tests are switched on even when `npm install` configured without them.
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
step('native configure (with tests)', process.execPath, [cmakeJs, 'configure', '--CDSBX_BUILD_TESTS=ON']);
step('native build', process.execPath, [cmakeJs, 'build']);
step('typescript build', process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
step('esm wrapper', process.execPath, [path.join(root, 'scripts/write-esm-wrapper.js')]);

const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-test-')), 'vitest.json');
process.stdout.write('\n== vitest\n');
const vitestArgs = [
  path.join(root, 'node_modules/vitest/vitest.mjs'), 'run',
  '--reporter=default', '--reporter=json', `--outputFile.json=${report}`,
  ...process.argv.slice(2),
];
const code = run(process.execPath, vitestArgs);

let passed = 0, failed = 0, skipped = 0;
try {
  const r = JSON.parse(fs.readFileSync(report, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests;
  skipped = r.numPendingTests + r.numTodoTests;
  // A suite that failed to load has no tests: count it as a failure.
  for (const s of r.testResults) if (s.status === 'failed' && s.assertionResults.length === 0) failed++;
} catch (e) {
  failed = Math.max(failed, 1);
  process.stderr.write(`sbx test: could not read vitest's report: ${e.message}\n`);
}
if (code !== 0 && failed === 0) failed = 1;
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed ? 1 : 0);
