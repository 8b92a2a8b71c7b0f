/**
 * src-native/kernel/syscall_table.c is generated from src-native/kernel/syscalls/* and
 * committed; this checks that the committed file is what the generator makes
 * of the committed data, and that the generator refuses broken data.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';

const generator = path.join(repoRoot, 'scripts', 'gen-syscalls.mjs');
const committed = path.join(repoRoot, 'src-native', 'kernel', 'syscall_table.c');
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-syscalls-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(script: string, args: string[]) {
  return spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
}

test('committed syscall_table.c equals a fresh generation', () => {
  const out = path.join(tmp, 'syscall_table.c');
  const r = run(generator, ['--out', out]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const fresh = fs.readFileSync(out, 'utf8');
  expect(fresh).toContain('Do not edit');
  expect(fresh === fs.readFileSync(committed, 'utf8')).toBe(true);
});

test('generation is deterministic', () => {
  const a = path.join(tmp, 'a.c');
  const b = path.join(tmp, 'b.c');
  expect(run(generator, ['--out', a]).status).toBe(0);
  expect(run(generator, ['--out', b]).status).toBe(0);
  expect(fs.readFileSync(a, 'utf8') === fs.readFileSync(b, 'utf8')).toBe(true);
});

// A copy of the generator next to a copy of the data, with one defect each:
// the generator must refuse, naming the file and the problem.
function brokenCopy(edit: (dir: string) => void) {
  const root = fs.mkdtempSync(path.join(tmp, 'copy-'));
  fs.mkdirSync(path.join(root, 'scripts'));
  fs.mkdirSync(path.join(root, 'src-native', 'kernel'), { recursive: true });
  fs.copyFileSync(generator, path.join(root, 'scripts', 'gen-syscalls.mjs'));
  fs.cpSync(path.join(repoRoot, 'src-native', 'kernel', 'syscalls'), path.join(root, 'src-native', 'kernel', 'syscalls'), {
    recursive: true,
  });
  edit(path.join(root, 'src-native', 'kernel', 'syscalls'));
  return run(path.join(root, 'scripts', 'gen-syscalls.mjs'), ['--out', path.join(root, 'out.c')]);
}

function append(file: string, text: string) {
  fs.appendFileSync(file, text);
}

test('the unmodified copy generates', () => {
  expect(brokenCopy(() => {}).status).toBe(0);
});

test('duplicate number in a table is refused', () => {
  const r = brokenCopy((d) => append(path.join(d, 'x86_64.tsv'), '59\tnot_execve\n'));
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/x86_64\.tsv:\d+: number 59 used twice/);
});

test('duplicate name in a table is refused', () => {
  const r = brokenCopy((d) => append(path.join(d, 'aarch64.tsv'), '999\texecve\n'));
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/name execve used twice/);
});

test('a group member that no table knows is refused', () => {
  const r = brokenCopy((d) => append(path.join(d, 'groups.txt'), '\n@typo\tA group with a typo\n\texceve\n'));
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/@typo: exceve is not a syscall of any table/);
});

test('an empty group and a group cycle are refused', () => {
  const r = brokenCopy((d) =>
    append(path.join(d, 'groups.txt'), '\n@empty\tNothing\n\n@a\tA\n\t@b\n\n@b\tB\n\t@a\n'),
  );
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/group @empty is empty/);
  expect(r.stderr).toMatch(/group cycle/);
});

test('arg32 and constants are validated', () => {
  const r = brokenCopy((d) => {
    append(path.join(d, 'arg32.tsv'), 'no_such_call\t0\n');
    append(path.join(d, 'constants.tsv'), 'BAD_VALUE\t12z\nBAD_ARCH\t1\tsparc=2\n');
  });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/no_such_call is not a syscall of any table/);
  expect(r.stderr).toMatch(/bad value "12z"/);
  expect(r.stderr).toMatch(/bad override "sparc=2"/);
});

test('a group description that the string pool would not hold verbatim is refused', () => {
  const r = brokenCopy((d) => append(path.join(d, 'groups.txt'), '\n@quoted\tSays "hi"\n\tread\n'));
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/description of @quoted: printable ASCII/);
});
