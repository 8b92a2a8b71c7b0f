#!/usr/bin/env node
'use strict';
// `npm test`: build everything the tests need (native artifacts with the C
// tests, their ASan+UBSan build, TypeScript), run vitest over test/ (which
// also runs the C test binaries and fuzzers as cases) on this Node, then the
// suites that depend on the Node version again on Node 22 and 24, and end with
// the plain summary line `N passed, N failed` that CI reads (all runs added).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// The title prefix of a case skipped for a missing host tool (test/helpers/tools.ts).
const MISSING_TOOL = 'missing tool:';

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

// Node 22 and 24 (scripts/nodes.js): the official Linux builds that the npm
// registry ships as node-linux-<arch>, each in its own prefix under
// build/nodes/<major>, installed when missing.
const { EXTRA_NODES, extraNode } = require('./nodes');
// The suites that depend on the Node version (issue 17): the self door's,
// the spawn door's API tests and the preload door's real programs.
const EXTRA_SUITES = [
  'test/self.test.ts',
  'test/self-node.test.ts',
  'test/escape.self.test.ts',
  'test/spawn-api.test.ts',
  'test/preload.test.ts',
];
// Under CI (CI=true, or SBX_REQUIRE_NODES=1 as .ci/run sets) a Node that
// cannot be installed fails the run; elsewhere it is a visible skip.
const nodesRequired = /^(1|true|yes)$/i.test(process.env.CI || '') || process.env.SBX_REQUIRE_NODES === '1';

process.stdout.write('\n== extra Node versions\n');
const extraNodes = EXTRA_NODES.map((major) => extraNode(major));
for (const n of extraNodes) {
  process.stdout.write(n.version ? `Node ${n.version}: ${path.relative(root, n.bin)}\n`
    : `Node ${n.major}: could not be installed (${n.error})\n`);
}

const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-test-')), 'vitest.json');
const mainLabel = process.argv.length > 2 ? process.argv.slice(2).join(' ') : 'all suites';
process.stdout.write(`\n== vitest on Node ${process.version} (${mainLabel})\n`);
// Suites that load the whole machine on purpose (hundreds of sandboxes at
// once, thousands in a row) run after the others, alone: beside them, the
// other files' sandboxes took minutes instead of seconds.
const SOLO_SUITES = ['test/spawn-concurrency.test.ts', 'test/spawn-soak.test.ts'];
const vitestArgs = [
  path.join(root, 'node_modules/vitest/vitest.mjs'), 'run',
  '--reporter=default', '--reporter=json', `--outputFile.json=${report}`,
  ...SOLO_SUITES.flatMap((f) => ['--exclude', f]),
  ...process.argv.slice(2),
];
// The escape suites record every verdict here (test/helpers/escape.ts);
// scripts/security-table.js turns them into build/security-table.md.
const escapeResults = path.join(root, 'build', 'escape-results');
fs.rmSync(escapeResults, { recursive: true, force: true });
const mainStart = Date.now();
const code = run(process.execPath, vitestArgs, { env: { ...process.env, SBX_ESCAPE_RECORD: escapeResults } });

/** Counts of one vitest run from its JSON report and exit code, and the names of what failed. */
function counts(reportFile, exitCode) {
  let passed = 0, failed = 0, skipped = 0;
  const failures = [];
  const missingTools = [];
  try {
    const r = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
    passed = r.numPassedTests;
    failed = r.numFailedTests;
    skipped = r.numPendingTests + r.numTodoTests;
    for (const s of r.testResults) {
      // A suite that failed to load has no tests: count it as a failure.
      if (s.status === 'failed' && s.assertionResults.length === 0) {
        failed++;
        failures.push(`${path.relative(root, s.name)} (did not load)`);
      }
      for (const a of s.assertionResults) {
        if (a.status === 'failed') failures.push(`${path.relative(root, s.name)} > ${a.fullName}`);
        // test/helpers/tools.ts: a suite skipped for a missing tool says what to install.
        if (a.status !== 'passed' && a.status !== 'failed' && a.title.startsWith(MISSING_TOOL)) missingTools.push(a.title);
      }
    }
  } catch (e) {
    failed = Math.max(failed, 1);
    process.stderr.write(`sbx test: could not read vitest's report: ${e.message}\n`);
  }
  if (exitCode !== 0 && failed === 0) failed = 1;
  return { passed, failed, skipped, failures, missingTools };
}

const main = counts(report, code);
// The solo suites (above), one file at a time, with the same filters.
{
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const options = process.argv.slice(2).filter((a) => a.startsWith('-'));
  const solo = filters.length ? SOLO_SUITES.filter((f) => filters.some((x) => f.includes(x))) : SOLO_SUITES;
  if (solo.length) {
    process.stdout.write(`\n== vitest on Node ${process.version}, alone (${solo.join(' ')})\n`);
    const soloReport = path.join(path.dirname(report), 'vitest-solo.json');
    const t0 = Date.now();
    const c = counts(soloReport, run(process.execPath, [
      path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--no-file-parallelism',
      '--reporter=default', '--reporter=json', `--outputFile.json=${soloReport}`, ...options, ...solo,
    ]));
    process.stdout.write(`(alone: ${c.passed} passed, ${c.failed} failed in ${Math.round((Date.now() - t0) / 1000)} s)\n`);
    main.passed += c.passed;
    main.failed += c.failed;
    main.skipped += c.skipped;
    main.failures.push(...c.failures);
    main.missingTools.push(...c.missingTools);
  }
}
const mainSecs = Math.round((Date.now() - mainStart) / 1000);  // with the solo suites
let { passed, failed, skipped } = main;
if (main.failed) process.stderr.write(`sbx test: ${main.failed} failed on Node ${process.version}\n`);
// From a complete, green run of the escape suites (a filtered or failing run
// would give a partial table), the attack table of this run goes to
// build/security-table.md, with a line saying whether it differs from
// docs/security-model.md's. Tests never rewrite tracked files: publishing it
// is `node scripts/security-table.js --write`. It never changes the result.
const ESCAPE_SUITES = ['unconfined', 'preload', 'self', 'spawn'].map((d) => `escape.${d}.test.ts`);
try {
  const r = JSON.parse(fs.readFileSync(report, 'utf8'));
  const green = ESCAPE_SUITES.every((f) =>
    r.testResults.some((t) => t.name.endsWith(`/test/${f}`) && t.status === 'passed' && t.assertionResults.length > 0));
  if (green) {
    process.stdout.write('\n== attack table (scripts/security-table.js)\n');
    if (run(process.execPath, [path.join(root, 'scripts/security-table.js')], { env: { ...process.env, SBX_ESCAPE_RECORD: escapeResults } }) !== 0) {
      process.stderr.write('sbx test: the attack table was not generated (see above); tests are unaffected\n');
    }
  }
} catch (e) {
  process.stderr.write(`sbx test: attack table skipped: ${e.message}\n`);
}
// The Node-dependent suites again on each extra Node (after the attack
// table: these runs record no verdicts). Arguments given to npm test filter
// them too: options pass through, and a file filter keeps the suites whose
// path contains it (none left: no run).
const userArgs = process.argv.slice(2);
const fileFilters = userArgs.filter((a) => !a.startsWith('-'));
const extraSuites = fileFilters.length ? EXTRA_SUITES.filter((f) => fileFilters.some((x) => f.includes(x))) : EXTRA_SUITES;
const extraOptions = fileFilters.length ? userArgs.filter((a) => a.startsWith('-')) : userArgs;
const perNode = [`Node ${process.version}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''} in ${mainSecs} s (${mainLabel})`];
for (const n of extraSuites.length ? extraNodes : []) {
  if (!n.version) {
    if (nodesRequired) {
      process.stdout.write(`\n== vitest on Node ${n.major}: FAILED, not installed (${n.error})\n`);
      process.stderr.write(`sbx test: Node ${n.major} could not be installed, and CI requires it (${n.error}); run: ${n.command}\n`);
      failed++;
    } else {
      process.stdout.write(`\n== vitest on Node ${n.major}: SKIPPED, not installed (${n.error}); to run it: ${n.command}\n`);
    }
    continue;
  }
  process.stdout.write(`\n== vitest on Node ${n.version} (${extraSuites.join(' ')})\n`);
  const nodeReport = path.join(path.dirname(report), `vitest-node${n.major}.json`);
  const env = { ...process.env };
  delete env.SBX_ESCAPE_RECORD;
  const t0 = Date.now();
  const c = counts(nodeReport, run(n.bin, [
    path.join(root, 'node_modules/vitest/vitest.mjs'), 'run',
    '--reporter=default', '--reporter=json', `--outputFile.json=${nodeReport}`,
    ...extraOptions, ...extraSuites,
  ], { env }));
  const secs = Math.round((Date.now() - t0) / 1000);
  perNode.push(`Node ${n.version}: ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''} in ${secs} s`);
  passed += c.passed;
  failed += c.failed;
  skipped += c.skipped;
  if (c.failed) {
    process.stderr.write(`sbx test: ${c.failed} failed on Node ${n.version}:\n`);
    for (const f of c.failures) process.stderr.write(`  [Node ${n.version}] ${f}\n`);
  }
}
if (perNode.length > 1) process.stdout.write(`\n== per Node version\n${perNode.join('\n')}\n`);
if (main.missingTools.length) {
  process.stdout.write(`\n== skipped: host tools missing (.ci/run installs them; CI=true or SBX_REQUIRE_TOOLS=1 makes them failures)\n`);
  for (const line of [...new Set(main.missingTools)]) process.stdout.write(`${line}\n`);
}
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed ? 1 : 0);
