/**
 * Runs every C unit-test binary (test/native/test_*.c, built by npm test into
 * build/tests/) and turns each TAP line into one vitest case, so the C and TS
 * tests share one count. A binary that crashes or exits non-zero without a
 * failing line is itself a failed case.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { nativeTestDir } from './helpers/paths';

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

const binaries = fs.existsSync(nativeTestDir)
  ? fs.readdirSync(nativeTestDir).filter((f) => f.startsWith('test_')).sort()
  : [];

test('C unit-test binaries were built', () => {
  expect(binaries.length, `no test binaries in ${nativeTestDir}: run npm test (it builds them)`).toBeGreaterThan(0);
});

for (const bin of binaries) {
  const r = spawnSync(path.join(nativeTestDir, bin), [], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, SBX_TEST_BUILD_DIR: path.dirname(nativeTestDir) },
  });
  const cases = parseTap(r.stdout ?? '');
  describe(bin, () => {
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
  });
}
