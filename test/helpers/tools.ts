/**
 * Host tools some suites need beyond the build (clang for the fuzzers,
 * libseccomp-dev for the compiler's differential test, valgrind for the leak
 * check). Where one is missing the suite does not fail with the tool's own
 * error: it is a visible skip whose title says in one line what to install,
 * and scripts/test.js repeats those lines at the end of `npm test`. Under CI
 * (CI=true) or SBX_REQUIRE_TOOLS=1 (.ci/run sets it, after installing them)
 * the same line is a failure instead: there a missing tool is a broken setup.
 */
import { spawnSync } from 'node:child_process';
import { test } from 'vitest';

/** Prefix of the skipped test's title; scripts/test.js collects those titles. */
export const MISSING_TOOL = 'missing tool:';

export const toolsRequired =
  /^(1|true|yes)$/i.test(process.env.CI ?? '') || /^(1|true|yes)$/i.test(process.env.SBX_REQUIRE_TOOLS ?? '');

export interface Tool {
  /** What is missing, as a user would name it ("clang with libFuzzer"). */
  name: string;
  /** What it is for here ("the libFuzzer targets"). */
  purpose: string;
  /** The command that installs it (Debian/Ubuntu, as .ci/run does). */
  install: string;
  present: boolean;
}

/** The one line: "missing tool: valgrind (for the addon leak check): apt-get install valgrind". */
export function missingLine(t: Tool): string {
  return `${MISSING_TOOL} ${t.name} (for ${t.purpose}): ${t.install}`;
}

/** True when `cmd args` can be run and exits 0. */
export function runs(cmd: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/**
 * When `t` is missing, registers the case that says so (a skip, or under CI
 * a failure) and returns false; the caller then registers nothing else.
 */
export function requireTool(t: Tool): boolean {
  if (t.present) return true;
  const line = missingLine(t);
  if (toolsRequired) {
    test(`${t.name} is installed (CI requires it)`, () => {
      throw new Error(line);
    });
  } else {
    test.skip(line, () => {});
  }
  return false;
}
