/**
 * Runs every libFuzzer target (test/fuzz/fuzz_*.c) through scripts/fuzz.sh:
 * 60 s each under CI (CI=true), 10 s each locally, or FUZZ_SECONDS. A finding
 * fails the case and leaves the input in build/fuzz/artifacts/<target>/.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';
import { requireTool } from './helpers/tools';

const script = path.join(repoRoot, 'scripts', 'fuzz.sh');
const seconds = Number(process.env.FUZZ_SECONDS ?? (process.env.CI ? 60 : 10));
const targets = fs
  .readdirSync(path.join(repoRoot, 'test', 'fuzz'))
  .filter((f) => /^fuzz_.*\.c$/.test(f))
  .map((f) => f.slice(5, -2))
  .sort();

// scripts/fuzz.sh's own check (clang or clang-14, and a libFuzzer target links),
// asked before anything is built; its one line is the reason when it fails.
const clangCheck = spawnSync('bash', [script], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, FUZZ_CHECK_ONLY: '1' } });
const clang = {
  name: 'clang with its libFuzzer runtime',
  purpose: `the ${targets.length} libFuzzer targets in test/fuzz/`,
  install: 'apt-get install clang libclang-rt-14-dev',
  present: clangCheck.status === 0,
};

describe.runIf(requireTool(clang))('fuzzers', () => {
  beforeAll(() => {
    const r = spawnSync('bash', [script, ...targets], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, FUZZ_BUILD_ONLY: '1' },
    });
    if (r.status !== 0) throw new Error(`building the fuzz targets failed:\n${r.stderr}`);
  }, 600_000);

  for (const t of targets) {
    test(`fuzz_${t} runs ${seconds}s without a finding`, () => {
      const r = spawnSync('bash', [script, t], {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { ...process.env, FUZZ_SECONDS: String(seconds), FUZZ_SKIP_BUILD: '1' },
      });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`fuzz_${t}: no finding`));
      // libFuzzer really ran inputs (not a target that returns at once). A
      // few hundred is enough to show it: fuzz_compile compiles a policy a
      // run and makes ~90 a second on this 2-vCPU machine under load.
      const runs = Number(/stat::number_of_executed_units:\s*(\d+)/.exec(r.stdout)?.[1] ?? 0);
      expect(runs).toBeGreaterThan(200);
    }, (seconds + 120) * 1000);
  }
});
