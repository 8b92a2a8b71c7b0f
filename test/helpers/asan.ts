/**
 * The sanitizer build: plain cmake (no addon) in build/asan with
 * SBX_BUILD_TESTS=ON and SBX_SANITIZE=ON, made by `npm test`
 * (scripts/test.js). The core, the test-support library, the C unit tests and
 * the escape programs in it are compiled with ASan+UBSan; libsbx.so, the
 * launcher and the addon are not built there.
 */
import path from 'node:path';
import { buildDir } from './paths';

export const asanBuildDir = process.env.SBX_TEST_ASAN_DIR || path.join(buildDir, 'asan');
export const asanTestDir = path.join(asanBuildDir, 'tests');
export const asanEscapeDir = path.join(asanBuildDir, 'escape');

/**
 * Sanitizer settings for every program of that build. Leak checking is on
 * everywhere: the C tests' confined children (seccomp, Landlock, dropped
 * capabilities) all leave with _exit(), so LeakSanitizer, which runs at exit()
 * and stops the world with ptrace, only ever runs in unconfined parents. A
 * sanitizer report exits with a status no sbx program uses, so a report can
 * never pass for a verdict (escape programs exit 0/1/2).
 */
export const sanitizerEnv: NodeJS.ProcessEnv = {
  ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1:exitcode=87',
  LSAN_OPTIONS: 'exitcode=88',
};

/** A sanitizer's report in a program's stderr (also from a forked child whose status was not checked). */
export const SANITIZER_REPORT = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: |SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer/;
