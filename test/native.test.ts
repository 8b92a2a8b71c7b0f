/**
 * Runs every C unit-test binary (test/native/test_*.c, built by npm test into
 * build/tests/) and turns each TAP line into one vitest case, so the C and TS
 * tests share one count. A binary that crashes or exits non-zero without a
 * failing line is itself a failed case.
 *
 * The same binaries from the ASan+UBSan build (build/asan/tests, see
 * helpers/asan.ts) run again as `asan/<name>`, with leak checking on; there a
 * sanitizer report anywhere in stderr (also from a forked child) fails too.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { SANITIZER_REPORT, asanTestDir, sanitizerEnv } from './helpers/asan';
import { nativeTestDir } from './helpers/paths';
import { requireTool } from './helpers/tools';

interface TapCase {
  ok: boolean;
  name: string;
  skip?: string;
  diag: string[];
}

function parseTap(out: string): TapCase[] {
  const cases: TapCase[] = [];
  let diag: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^(not ok|ok) \d+ - (.*?)(?: # SKIP (.*))?$/.exec(line);
    if (m) {
      // Diagnostics ("# ..." lines) precede the result line of their case.
      cases.push({ ok: m[1] === 'ok', name: m[2], skip: m[3], diag });
      diag = [];
    } else if (line.startsWith('#')) {
      diag.push(line);
    }
  }
  return cases;
}

function listBinaries(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith('test_')).sort() : [];
}

function runBinaries(dir: string, prefix: string, extraEnv: NodeJS.ProcessEnv, sanitized: boolean): void {
  for (const bin of listBinaries(dir)) {
    const r = spawnSync(path.join(dir, bin), [], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, ...extraEnv, SBX_TEST_BUILD_DIR: path.dirname(dir) },
    });
    const cases = parseTap(r.stdout ?? '');
    describe(`${prefix}${bin}`, () => {
      for (const c of cases) {
        if (c.skip !== undefined) {
          test.skip(`${c.name} (skipped: ${c.skip})`, () => {});
        } else {
          test(c.name, () => {
            expect(c.ok, c.diag.join('\n')).toBe(true);
          });
        }
      }
      test('exits cleanly', () => {
        const failedCases = cases.filter((c) => !c.ok).length;
        const detail = `status ${r.status}, signal ${r.signal}, stderr:\n${(r.stderr ?? '').slice(-4000)}`;
        expect(r.signal, detail).toBeNull();
        expect(r.status === 0 || failedCases > 0, detail).toBe(true);
        expect(/^1\.\.\d+$/m.test(r.stdout ?? ''), `no TAP plan line: ${detail}`).toBe(true);
      });
      if (sanitized) {
        test('no sanitizer report', () => {
          const err = r.stderr ?? '';
          const at = err.search(SANITIZER_REPORT);
          expect(at, at < 0 ? '' : err.slice(Math.max(0, at - 200), at + 6000)).toBe(-1);
        });
      }
    });
  }
}

const binaries = listBinaries(nativeTestDir);
const asanBinaries = listBinaries(asanTestDir);

test('C unit-test binaries were built', () => {
  expect(binaries.length, `no test binaries in ${nativeTestDir}: run npm test (it builds them)`).toBeGreaterThan(0);
});

test('the ASan+UBSan build has every C unit test, and they are instrumented', () => {
  expect(asanBinaries, `${asanTestDir} differs from ${nativeTestDir}: run npm test (it builds both)`).toEqual(binaries);
  // Linked against the runtimes (not a plain build in the wrong directory).
  for (const bin of asanBinaries) {
    const ldd = spawnSync('ldd', [path.join(asanTestDir, bin)], { encoding: 'utf8' }).stdout ?? '';
    expect(ldd, bin).toMatch(/libasan\.so/);
    expect(ldd, bin).toMatch(/libubsan\.so/);
  }
});

// The compiler's differential test links libseccomp, which CMakeLists.txt
// builds it with only where libseccomp-dev is installed.
requireTool({
  name: 'libseccomp-dev',
  purpose: 'the seccomp compiler\'s differential test against libseccomp (test_libseccomp_diff)',
  install: 'apt-get install libseccomp-dev, then npm test again (it configures anew)',
  present: binaries.length === 0 || binaries.includes('test_libseccomp_diff'),
});

runBinaries(nativeTestDir, '', {}, false);
runBinaries(asanTestDir, 'asan/', sanitizerEnv, true);
