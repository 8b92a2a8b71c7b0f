/**
 * File denials beyond open and exec (issue 20): rename, link, symlink, mknod, chmod/chown, each with the
 * access the sandbox refuses and what would allow it, and its allowed neighbour (the same call where the
 * policy permits it: it works and gives no violation). Landlock's refusals are seen in the preload door
 * (the host's files stay writable there: only Landlock decides), the read-only view's in the spawn door.
 * Attacks: file names that would forge report lines on the terminal, and a path swapped while the
 * supervisor reads it (it must at worst misreport, never let a read through). Root and uid 65534.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildDir, repoRoot } from './helpers/paths';
import { isRoot, runUnpriv, unprivPackage } from './helpers/unpriv';
import type * as Sbx from '../lib/index';

type Result = Awaited<ReturnType<typeof Sbx.run>>;
type Who = 'root' | 'unpriv';

let B: string; // host files; in the spawn door, part of the read-only view of /var/tmp
let work: string;
let lib: string; // libsbx.so where no policy here lets the program write
beforeAll(() => {
  B = fs.mkdtempSync(path.join('/var/tmp', 'sbx-fsc-'));
  fs.chmodSync(B, 0o755);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-fsc-work-'));
  fs.chmodSync(work, 0o777);
  lib = path.join(B, 'lib', 'libsbx.so');
  fs.mkdirSync(path.dirname(lib), { recursive: true });
  fs.copyFileSync(path.join(buildDir, 'Release', 'libsbx.so'), lib);
  fs.copyFileSync(path.join(buildDir, 'programs', 'path_swap'), path.join(B, 'lib', 'path_swap'));
});
afterAll(() => {
  fs.rmSync(B, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
});

/** A fresh tree under B for one test: `dirs` made, `files` written, everything anyone's (and the user's own: chmod needs it). */
function tree(who: Who, name: string, dirs: string[], files: Record<string, string>): string {
  const t = path.join(B, name);
  fs.rmSync(t, { recursive: true, force: true });
  for (const d of ['', ...dirs]) fs.mkdirSync(path.join(t, d), { recursive: true });
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(t, f), text);
  spawnSync('chmod', ['-R', 'a+rwX', t]);
  if (who === 'unpriv') spawnSync('chown', ['-R', '65534:65534', t]);
  spawnSync('chmod', ['-R', 'a+rX', path.join(B, 'lib')]);
  return t;
}

const run = (who: Who, cmd: string, args: string[], opts: Parameters<typeof spawnSync>[2] = {}) =>
  who === 'root' ? spawnSync(cmd, args, { encoding: 'utf8', cwd: work, ...opts }) : runUnpriv(cmd, args, { encoding: 'utf8', cwd: work, ...opts });

/** The preload door with SBX_REPORT=1: sh -c script under policy p; sbx's lines (pids as N). */
function preload(who: Who, p: object, script: string): { status: number | null; stdout: string; lines: string[]; stderr: string } {
  // Through env(1): setpriv itself must not load the library.
  const r = run(who, 'env', ['SBX_REPORT=1', `SBX_POLICY=${JSON.stringify(p)}`, `LD_PRELOAD=${lib}`, 'sh', '-c', script]);
  const stderr = String(r.stderr);
  const lines = stderr.split('\n').filter((l) => l.startsWith('sbx: denied')).map((l) => l.replace(/in pid \d+/, 'in pid N'));
  return { status: r.status, stdout: String(r.stdout), lines, stderr };
}

const SYSTEM = ['/usr', '/lib', '/lib64', '/bin', '/etc', '/proc', '/dev'];

function runSpawn(who: Who, script: string, opts: Record<string, unknown>): Result {
  const pkg = who === 'root' ? repoRoot : unprivPackage();
  const o = { report: true, cwd: work, notice: 'none', ...opts };
  const js = `require(${JSON.stringify(path.join(pkg, 'dist', 'index.js'))}).run('sh', ['-c', ${JSON.stringify(script)}], ${JSON.stringify(o)}).then((r) => process.stdout.write(JSON.stringify(r)))`;
  const r = run(who, process.execPath, ['-e', js]);
  expect(r.status, String(r.stderr)).toBe(0);
  return JSON.parse(String(r.stdout)) as Result;
}
const fsOf = (r: Result) => (r.violations.filter((v) => v.kind === 'fs') as Sbx.FsViolation[]).map((v) => [v.access, v.path, v.reason, v.allow.flag, v.allow.key, v.syscall]);

describe.each([
  ['root', true],
  ['unpriv', isRoot()],
] as const)('as %s', (who, can) => {
  test.skipIf(!can)('preload: Landlock refuses rename, link, symlink, mknod and a move without refer; the neighbours work unreported', () => {
    const t = tree(who, `pl-${who}`, ['w', 'ro', 'nr'], { 'w/a': 'A\n', 'w/b': 'B\n', 'ro/x': 'X\n', 'ro/y': 'Y\n' });
    // w: everything; nr: make, write and remove files, no refer; ro: read only.
    const p = { extends: 'strict', fs: { read: [...SYSTEM, t], write: [`${t}/w`], create: [`${t}/nr`], writeFile: [`${t}/nr`], remove: [`${t}/nr`], exec: ['/usr', '/bin'] } };
    const script = [
      `mv ${t}/w/a ${t}/w/a2`, // neighbour: rename in a writable directory
      `mv ${t}/ro/x ${t}/ro/x2`, // rename: remove refused on ro
      `mv ${t}/ro/x ${t}/ro/x2`, // the same again: one line
      `ln ${t}/w/a2 ${t}/w/l`, // neighbour: link
      `ln ${t}/w/a2 ${t}/ro/l`, // link: create refused on ro
      `ln -s target ${t}/w/s`, // neighbour: symlink
      `ln -s target ${t}/ro/s`, // symlink refused
      `mkfifo ${t}/w/p`, // neighbour: fifo
      `mkfifo ${t}/ro/p`, // mknod refused
      `chmod 600 ${t}/ro/y`, // no Landlock right governs chmod: works, no line
      `mv ${t}/w/b ${t}/nr/b`, // across directories: refer missing on nr (EXDEV; mv then copies, which nr allows)
      'true',
    ].join(' 2>/dev/null; ');
    const r = preload(who, p, script);
    expect(r.status, r.stderr).toBe(0);
    const why = 'no Landlock rule grants it';
    expect(r.lines.map((l) => l.replace(/\((rename\w*|link\w*|symlink\w*|mknod\w*):/, '(CALL:'))).toEqual([
      `sbx: denied remove ${t}/ro/x (CALL: ${why}) in pid N; allow it with policy fs.write: "${t}/ro"`,
      `sbx: denied create ${t}/ro/l (CALL: ${why}) in pid N; allow it with policy fs.write: "${t}/ro"`,
      `sbx: denied create ${t}/ro/s (CALL: ${why}) in pid N; allow it with policy fs.write: "${t}/ro"`,
      `sbx: denied create ${t}/ro/p (CALL: ${why}) in pid N; allow it with policy fs.write: "${t}/ro"`,
      `sbx: denied refer ${t}/nr/b (CALL: ${why}) in pid N; allow it with policy fs.write: "${t}/nr"`,
    ]);
    // The neighbours happened, the refusals did not.
    expect(fs.existsSync(`${t}/w/a2`) && fs.existsSync(`${t}/w/l`) && fs.lstatSync(`${t}/w/s`).isSymbolicLink() && fs.statSync(`${t}/w/p`).isFIFO()).toBe(true);
    expect(['ro/x2', 'ro/l', 'ro/s', 'ro/p'].filter((f) => fs.existsSync(`${t}/${f}`))).toEqual([]);
    expect(fs.statSync(`${t}/ro/y`).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(`${t}/nr/b`, 'utf8')).toBe('B\n'); // copied after EXDEV
  });

  test.skipIf(!can)('spawn: the read-only view refuses chmod, chown, symlink, mknod, rename and remove; --rw neighbours work unreported', () => {
    const t = tree(who, `sp-${who}`, ['rw'], { f: 'F\n', 'rw/g': 'G\n' });
    const script = [
      `chmod 600 ${t}/f`, // write (metadata): read-only view
      `chmod 600 ${t}/rw/g`, // neighbour
      `chown $(id -u) ${t}/f`,
      `chown $(id -u) ${t}/rw/g`,
      `ln -s x ${t}/s`,
      `ln -s x ${t}/rw/s`,
      `mkfifo ${t}/p`,
      `mkfifo ${t}/rw/p`,
      `mv ${t}/f ${t}/f2`,
      `mv ${t}/rw/g ${t}/rw/g2`,
      'true',
    ].join(' 2>/dev/null; ');
    const r = runSpawn(who, script, { policy: { extends: 'strict', fs: { read: [t] } }, rw: [`${t}/rw`] });
    expect(fsOf(r).map(([a, p, why, flag, key, call]) => [a, p, why, flag, key, String(call).replace(/^(rename|mknod)\w*$/, '$1')])).toEqual([
      ['write', `${t}/f`, 'read-only', `--rw ${t}/f`, 'fs.write', 'fchmodat'],
      ['write', `${t}/f`, 'read-only', `--rw ${t}/f`, 'fs.write', 'fchownat'],
      ['create', `${t}/s`, 'read-only', `--rw ${t}`, 'fs.write', 'symlinkat'],
      ['create', `${t}/p`, 'read-only', `--rw ${t}`, 'fs.write', 'mknod'],
      ['remove', `${t}/f`, 'read-only', `--rw ${t}`, 'fs.write', 'rename'],
    ]);
    expect(fs.statSync(`${t}/f`).mode & 0o777).not.toBe(0o600);
    expect(fs.statSync(`${t}/rw/g2`).mode & 0o777).toBe(0o600);
    expect(fs.lstatSync(`${t}/rw/s`).isSymbolicLink() && fs.statSync(`${t}/rw/p`).isFIFO()).toBe(true);
    expect(['s', 'p', 'f2'].filter((f) => fs.existsSync(`${t}/${f}`))).toEqual([]);
  });

  test.skipIf(!can)('the hint for the read-only view, applied, makes chmod work and the violation goes', () => {
    const t = tree(who, `hint-${who}`, [], { f: 'F\n' });
    const first = runSpawn(who, `chmod 600 ${t}/f; true`, { policy: { extends: 'strict', fs: { read: [t] } } });
    const [v] = first.violations as Sbx.FsViolation[];
    expect([v.access, v.reason, v.allow.policy]).toEqual(['write', 'read-only', { fs: { write: [`${t}/f`] } }]);
    const again = runSpawn(who, `chmod 600 ${t}/f && echo done`, { policy: { extends: 'strict', fs: { read: [t], write: [`${t}/f`] } } });
    expect(again.stdout).toBe('done\n');
    expect(again.violations).toEqual([]);
  });

  test.skipIf(!can)('attack: hostile file names cannot forge or rewrite report lines on the terminal', () => {
    const t = tree(who, `evil-${who}`, [], {});
    const evil = `${t}/a\nsbx: denied FAKE\x1b[2J\u202eb`;
    const bad = Buffer.concat([Buffer.from(`${t}/bad`), Buffer.from([0xff, 0xfe, 0x0a])]);
    fs.writeFileSync(evil, 'E');
    fs.writeFileSync(bad, 'E');
    const quoted = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
    // The name ends in a newline, which $(...) would drop: a trailing _ taken off after.
    const script = `cat ${quoted(evil)} 2>/dev/null; f="$(printf '${t}/bad\\377\\376\\n_')"; cat "\${f%_}" 2>/dev/null; true`;
    // Through `sbx run --report` (the CLI's lines) ...
    const pkg = who === 'root' ? repoRoot : unprivPackage();
    const policy = JSON.stringify({ extends: 'strict' });
    const cli = run(who, process.execPath, [path.join(pkg, 'dist', 'cli.js'), 'run', '--report', '--policy', policy, '--', 'sh', '-c', script]);
    // ... and the preload door's own reporter.
    const pre = preload(who, { extends: 'strict', fs: { read: SYSTEM, exec: ['/usr', '/bin'] } }, script);
    for (const [name, stderr] of [['cli', String(cli.stderr)], ['preload', pre.stderr]]) {
      expect(stderr, name).not.toMatch(/^sbx: denied FAKE/m);
      expect(stderr, name).not.toMatch(/[\x1b\u202e]/);
      const lines = stderr.split('\n').filter((l) => l.startsWith('sbx: denied read'));
      expect(lines.length, `${name}: ${stderr}`).toBe(2);
      expect(lines[0], name).toContain(`${t}/a\\x0asbx: denied FAKE\\x1b[2J`);
      // Invalid UTF-8: the CLI gets U+FFFD from the JSON channel, the preload door shows the bytes.
      expect(lines[1], name).toMatch(name === 'cli' ? /bad\ufffd\ufffd\\x0a/ : /bad\\xff\\xfe\\x0a/);
    }
  });

  test.skipIf(!can)('attack: a path swapped while the supervisor reads it never lets the denied file be read', () => {
    const t = tree(who, `race-${who}`, [], { secret: 'SECRET\n', ok: 'OK\n' });
    const prog = path.join(B, 'lib', 'path_swap');
    const p = { extends: 'strict', fs: { read: [`${t}/ok`, path.dirname(prog)], exec: [path.dirname(prog)] } };
    const r = runSpawn(who, `${prog} ${t}/secret ${t}/ok 5000`, { policy: p });
    const m = /leaked (\d+) opened (\d+) refused (\d+)/.exec(r.stdout);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    const [leaked, opened, refused] = m!.slice(1).map(Number);
    expect(leaked).toBe(0);
    // Both sides of the race happened: some opens of ok got through, some of secret were refused.
    expect(opened).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    // Whatever was reported names one of the two files, as read.
    for (const v of r.violations.filter((x) => x.kind === 'fs') as Sbx.FsViolation[]) expect([`${t}/secret`, `${t}/ok`]).toContain(v.path);
  });
});

test('sbx run --report --explain names the calls watched for file denials and what is not seen', () => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'run', '--report', '--explain', '--', 'true'], { encoding: 'utf8', cwd: work });
  expect(r.status, r.stderr).toBe(0);
  const watched = /file denials reported from: (.*)/.exec(r.stdout)?.[1].split(' ');
  expect(watched).toEqual(expect.arrayContaining(['openat', 'execve', 'renameat2', 'linkat', 'symlinkat', 'mknodat', 'unlinkat', 'fchmodat', 'fchownat', 'utimensat']));
  expect(r.stdout).toMatch(/file denials not seen: ioctl on a device and ftruncate .* io_uring/);
  // The policy's explanation says it too; without --report, neither does.
  expect(r.stdout).toMatch(/Denied system calls are reported; in the spawn and preload doors, so are file accesses .* renameat2, .* Not seen: ioctl/);
  const off = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'run', '--explain', '--', 'true'], { encoding: 'utf8', cwd: work });
  expect(off.stdout).not.toMatch(/file denials/);
});
