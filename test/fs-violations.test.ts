/**
 * Denials an agent can act on (issue 20): with `report`, each file access the spawn sandbox refuses
 * (read, list, write, create, remove, execute) is a violation with its path, the access, why (a
 * Landlock right no rule grants, or the read-only view of the host), and what would allow it as an
 * `sbx run` flag and a policy key; applying that hint makes the same access work. Allowed neighbours
 * give no violation. System calls carry an `allow` too; glibc's nscd lookups are folded in the CLI.
 * Root and uid 65534, through sbx.run() and `sbx run --report`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cliPath, repoRoot } from './helpers/paths';
import { isRoot, runUnpriv, unprivPackage } from './helpers/unpriv';
import type * as Sbx from '../lib/index';

type Result = Awaited<ReturnType<typeof Sbx.run>>;

let B: string; // host files, in the sandbox's read-only view of /var/tmp
let work: string; // the sandboxes' working directory
beforeAll(() => {
  B = fs.mkdtempSync(path.join('/var/tmp', 'sbx-fsv-'));
  fs.mkdirSync(path.join(B, 'rw'));
  fs.writeFileSync(path.join(B, 'secret'), 'S\n');
  fs.writeFileSync(path.join(B, 'ok'), 'O\n');
  fs.writeFileSync(path.join(B, 'tool.sh'), '#!/bin/sh\necho TOOL\n', { mode: 0o755 });
  spawnSync('chmod', ['-R', 'a+rwX', B]);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-fsv-work-'));
  fs.chmodSync(work, 0o777);
});
afterAll(() => {
  fs.rmSync(B, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
});

/** strict, reading B/ok and writing B/rw: everything else of B is refused. */
const policy = () => ({ extends: 'strict', fs: { read: [`${B}/ok`], write: [`${B}/rw`] } });

function runAs(who: 'root' | 'unpriv', script: string, opts: Record<string, unknown> = {}): Result {
  const pkg = who === 'root' ? repoRoot : unprivPackage();
  const o = { policy: policy(), report: true, cwd: work, notice: 'none', rw: [`${B}/rw`], ...opts };
  const js = `require(${JSON.stringify(path.join(pkg, 'dist', 'index.js'))}).run('sh', ['-c', ${JSON.stringify(script)}], ${JSON.stringify(o)}).then((r) => process.stdout.write(JSON.stringify(r)))`;
  const r = who === 'root' ? spawnSync(process.execPath, ['-e', js], { encoding: 'utf8' }) : runUnpriv(process.execPath, ['-e', js], { encoding: 'utf8' });
  expect(r.status, String(r.stderr)).toBe(0);
  return JSON.parse(String(r.stdout)) as Result;
}

const fsOf = (r: Result) => r.violations.filter((v) => v.kind === 'fs') as Sbx.FsViolation[];

describe.each([
  ['root', true],
  ['unpriv', isRoot()],
] as const)('file denials with report, as %s', (who, can) => {
  test.skipIf(!can)('each refused access is one violation with path, access, reason and allow; the neighbours are not', () => {
    const script = [
      `cat ${B}/ok`, // allowed neighbour: read
      `cat ${B}/secret`, // read refused (Landlock)
      `cat ${B}/secret`, // the same again: one line
      `${B}/tool.sh`, // execute refused
      `echo x > ${B}/rw/f`, // allowed neighbour: create beneath fs.write
      `echo y > ${B}/new`, // create refused (read-only view)
      `ls ${B} > /dev/null`, // list refused
      `rm ${B}/ok`, // remove refused (read-only view)
      `cat ${B}/missing`, // ENOENT: not the sandbox's
      'true',
    ].join('; ');
    const r = runAs(who, script);
    expect(r.stdout).toBe('O\n');
    const got = fsOf(r).map((v) => [v.access, v.path, v.reason, v.allow.flag, v.allow.key]);
    expect(got).toEqual([
      ['read', `${B}/secret`, 'landlock', `--ro ${B}/secret`, 'fs.read'],
      ['execute', `${B}/tool.sh`, 'landlock', `--exec ${B}/tool.sh`, 'fs.exec'],
      ['create', `${B}/new`, 'read-only', `--rw ${B}`, 'fs.write'],
      ['list', B, 'landlock', `--ro ${B}`, 'fs.read'],
      ['remove', `${B}/ok`, 'read-only', `--rw ${B}`, 'fs.write'],
    ]);
    const read = fsOf(r)[0];
    expect(read.allow.policy).toEqual({ fs: { read: [`${B}/secret`] } });
    expect(read.syscall).toMatch(/^open/);
    expect(fs.readFileSync(`${B}/rw/f`, 'utf8')).toBe('x\n');
    fs.rmSync(`${B}/rw/f`);
  });

  test.skipIf(!can)('the allow hint, applied, makes the access work and the violation goes', () => {
    const first = runAs(who, `cat ${B}/secret; ${B}/tool.sh; true`);
    const [read, exec] = fsOf(first);
    expect([read.access, exec.access]).toEqual(['read', 'execute']);
    // As an agent would: the policy layer of each hint on top of the policy.
    const p = policy() as { extends: string; fs: Record<string, string[]> };
    for (const h of [read.allow, exec.allow]) {
      for (const [k, v] of Object.entries(h.policy.fs as Record<string, string[]>)) p.fs[k] = [...(p.fs[k] ?? []), ...v];
    }
    const again = runAs(who, `cat ${B}/secret; ${B}/tool.sh; true`, { policy: p });
    expect(again.stdout).toBe('S\nTOOL\n');
    expect(fsOf(again)).toEqual([]);
  });

  test.skipIf(!can)('without report, no file is watched: the same denials, no violations', () => {
    const r = runAs(who, `cat ${B}/secret; true`, { report: false });
    expect(r.stderr).toMatch(/Permission denied/);
    expect(r.violations).toEqual([]);
  });
});

describe.each([
  ['root', true],
  ['unpriv', isRoot()],
] as const)('preload door with SBX_REPORT=1, as %s', (who, can) => {
  test.skipIf(!can)('a refused read and create are one line each with the policy key; the allowed read is not', () => {
    // The library outside the policy's writable paths (/tmp is one: the door refuses a replaceable libsbx.so).
    const lib = path.join(B, 'lib', 'libsbx.so');
    fs.mkdirSync(path.dirname(lib), { recursive: true, mode: 0o755 });
    fs.copyFileSync(path.join(repoRoot, 'build', 'Release', 'libsbx.so'), lib);
    fs.chmodSync(lib, 0o755);
    const p = JSON.stringify({ extends: 'strict', fs: { read: ['/usr', '/lib', '/lib64', '/bin', '/etc', '/proc', '/dev', `${B}/ok`], exec: ['/usr', '/bin'] } });
    const script = `cat ${B}/ok; cat ${B}/secret; echo x > ${B}/nope; true`;
    // Through env(1): setpriv itself must not load the library.
    const argv = ['SBX_REPORT=1', `SBX_POLICY=${p}`, `LD_PRELOAD=${lib}`, 'sh', '-c', script];
    const r = who === 'root' ? spawnSync('env', argv, { encoding: 'utf8', cwd: work }) : runUnpriv('env', argv, { encoding: 'utf8', cwd: work });
    expect(r.status, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toBe('O\n');
    const lines = [...String(r.stderr).matchAll(/sbx: denied [^\n]*/g)].map((m) => m[0].replace(/in pid \d+/, 'in pid N'));
    expect(lines).toEqual([
      `sbx: denied read ${B}/secret (openat: no Landlock rule grants it) in pid N; allow it with policy fs.read: "${B}/secret"`,
      `sbx: denied create ${B}/nope (openat: no Landlock rule grants it) in pid N; allow it with policy fs.write: "${B}"`,
    ]);
    expect(fs.existsSync(`${B}/nope`)).toBe(false);
  });
});

describe('sbx run --report', () => {
  test('one line per denial with what allows it; nscd lookups folded into one line', () => {
    const p = JSON.stringify({ extends: 'strict', fs: { read: [`${B}/ok`] } });
    const r = spawnSync(process.execPath, [cliPath, 'run', '--report', '--policy', p, '--', 'sh', '-c', `cat ${B}/secret; getent hosts localhost; getent hosts localhost; true`], {
      encoding: 'utf8',
      cwd: work,
    });
    expect(r.status, r.stderr).toBe(0);
    // The program's own stderr may run into a line of sbx's: each is taken from 'sbx: denied' to its end.
    const lines = [...r.stderr.matchAll(/sbx: denied [^\n]*/g)].map((m) => m[0]);
    expect(lines[0]).toBe(`sbx: denied read ${B}/secret (openat: no Landlock rule grants it) in pid ${/in pid (\d+)/.exec(lines[0])?.[1]}; allow it with --ro ${B}/secret (policy fs.read)`);
    const nscd = lines.filter((l) => l.includes('socket(AF_UNIX'));
    expect(nscd.length, r.stderr).toBe(1);
    expect(nscd[0]).toMatch(/glibc's name lookup tries the nscd daemon.*further ones folded\)$/);
    // Another denied call says what allows it.
    const inet = lines.filter((l) => l.includes('socket(AF_INET'));
    for (const l of inet) expect(l).toMatch(/allow it with --net host \(policy net\.inet\)$/);
  });
});
