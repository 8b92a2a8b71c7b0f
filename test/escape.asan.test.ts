/**
 * The escape programs of the ASan+UBSan build (build/asan/escape, see
 * helpers/asan.ts) through the unconfined control run (escape.unconfined.test.ts,
 * imported here with the program directory switched): a memory error or
 * undefined behaviour in an attack program would make its verdict worthless,
 * under any door. A sanitizer report ends the program with a status outside
 * the protocol's 0/1/2, so it shows as an ERROR verdict and fails the case.
 * mem_bomb is built without sanitizers (its limit is RLIMIT_AS, which ASan's
 * shadow reservation cannot live with). The doors are not run here: libsbx.so
 * cannot be preloaded into an ASan program (the runtime must come first), and
 * LeakSanitizer cannot stop the world in a process seccomp keeps from ptrace.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { asanEscapeDir, sanitizerEnv } from './helpers/asan';

// Before the helpers are loaded: they read the directory once, at import.
process.env.SBX_TEST_ESCAPE_DIR = asanEscapeDir;
Object.assign(process.env, sanitizerEnv);
// Not a source of the attack table (scripts/security-table.js): the plain
// control run records the unconfined verdicts once.
delete process.env.SBX_ESCAPE_RECORD;

test('the ASan+UBSan build has the escape programs, instrumented', () => {
  const names = fs.existsSync(asanEscapeDir) ? fs.readdirSync(asanEscapeDir).filter((f) => !f.includes('.')) : [];
  expect(names.length, `no escape programs in ${asanEscapeDir}: run npm test (it builds them)`).toBeGreaterThan(0);
  // The runtimes are in the link map of every program but mem_bomb.
  for (const n of names) {
    const elf = fs.readFileSync(path.join(asanEscapeDir, n)).toString('latin1');
    expect(elf.includes('libasan.so') && elf.includes('libubsan.so'), n).toBe(n !== 'mem_bomb');
  }
});

await import('./escape.unconfined.test');
