#!/usr/bin/env node
'use strict';
// `npm test`: build everything the tests need (native artifacts with the C
// tests, their ASan+UBSan build, TypeScript), run vitest over test/ (which
// also runs the C test binaries and fuzzers as cases), and end with the plain
// summary line `N passed, N failed` that CI reads.
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
// The same C tests and escape programs once more with ASan+UBSan, in their own
// plain-cmake directory (no addon, no injected artifacts: CMakeLists.txt,
// SBX_SANITIZE); test/native.test.ts and test/escape.asan.test.ts run them.
const asanDir = path.join(root, 'build', 'asan');
step('native configure (ASan+UBSan, build/asan)', 'cmake',
  ['-S', root, '-B', asanDir, '-DSBX_BUILD_TESTS=ON', '-DSBX_SANITIZE=ON']);
step('native build (ASan+UBSan)', 'cmake',
  ['--build', asanDir, '--parallel', String(os.availableParallelism?.() ?? os.cpus().length)]);
// The package's own TypeScript build (tsc, the ESM wrapper, the bin's mode).
step('typescript build', 'npm', ['run', '--silent', 'build:ts']);

const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-test-')), 'vitest.json');
process.stdout.write('\n== vitest\n');
const vitestArgs = [
  path.join(root, 'node_modules/vitest/vitest.mjs'), 'run',
  '--reporter=default', '--reporter=json', `--outputFile.json=${report}`,
  ...process.argv.slice(2),
];
// The escape suites record every verdict here (test/helpers/escape.ts);
// scripts/security-table.js turns them into docs/security-model.md's table.
const escapeResults = path.join(root, 'build', 'escape-results');
fs.rmSync(escapeResults, { recursive: true, force: true });
const code = run(process.execPath, vitestArgs, { env: { ...process.env, SBX_ESCAPE_RECORD: escapeResults } });

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
// Regenerate the attack table only from a complete, green run of the escape
// suites (a filtered or failing run would publish a partial table). It never
// changes the test result.
const ESCAPE_SUITES = ['unconfined', 'preload', 'self', 'spawn'].map((d) => `escape.${d}.test.ts`);
try {
  const r = JSON.parse(fs.readFileSync(report, 'utf8'));
  const green = ESCAPE_SUITES.every((f) =>
    r.testResults.some((t) => t.name.endsWith(`/test/${f}`) && t.status === 'passed' && t.assertionResults.length > 0));
  if (green) {
    process.stdout.write('\n== attack table (scripts/security-table.js)\n');
    if (run(process.execPath, [path.join(root, 'scripts/security-table.js')], { env: { ...process.env, SBX_ESCAPE_RECORD: escapeResults } }) !== 0) {
      process.stderr.write('sbx test: the attack table was not regenerated (see above); tests are unaffected\n');
    }
  }
} catch (e) {
  process.stderr.write(`sbx test: attack table skipped: ${e.message}\n`);
}
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed ? 1 : 0);
