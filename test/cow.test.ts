/**
 * Copy-on-write (`cow` / `sbx run --cow`): the program changes an overlay of
 * its working directory; the result lists exactly what it created, modified
 * and deleted, the host stays as it was (discard, keep) or gets exactly those
 * changes (apply). The host tree is snapshotted here before and after and
 * compared to what the sandbox saw from inside.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cliPath, repoRoot } from './helpers/paths';
import { UNPRIV_UID, isRoot, runUnpriv, unprivPackage } from './helpers/unpriv';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sbx = require(path.join(repoRoot, 'dist', 'index.js')) as typeof import('../lib/index');

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A project: files, a subdir, a dir that gets replaced, a file left alone. */
function project(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-cow-test-'));
  fs.chmodSync(d, 0o777);
  dirs.push(d);
  fs.writeFileSync(path.join(d, 'keep.txt'), 'unchanged\n');
  fs.writeFileSync(path.join(d, 'edit.txt'), 'old\n');
  fs.writeFileSync(path.join(d, 'gone.txt'), 'bye\n');
  fs.writeFileSync(path.join(d, 'touched.txt'), 'same\n');
  fs.mkdirSync(path.join(d, 'src'));
  fs.writeFileSync(path.join(d, 'src', 'a.c'), 'int a;\n');
  fs.writeFileSync(path.join(d, 'src', 'b.c'), 'int b;\n');
  fs.mkdirSync(path.join(d, 'build'));
  fs.writeFileSync(path.join(d, 'build', 'old.o'), 'obj\n');
  fs.mkdirSync(path.join(d, 'dead'));
  fs.writeFileSync(path.join(d, 'dead', 'x'), 'x\n');
  return d;
}

/** Creates, modifies and deletes; `touched.txt` is opened for writing and left as it was. */
const SCRIPT = [
  'set -e',
  'echo new >> edit.txt',
  'rm gone.txt',
  'echo made > made.txt',
  'mkdir -p gen/deep && echo g > gen/deep/g.txt',
  'echo changed > src/a.c',
  'rm src/b.c',
  'rm -rf build && mkdir build && echo fresh > build/new.o',
  'rm -rf dead',
  ': >> touched.txt',
  // What the program sees: the tree after its changes.
  'find . -print | LC_ALL=C sort | while read f; do if [ -f "$f" ]; then echo "$f $(cat "$f" | tr "\\n" " ")"; else echo "$f"; fi; done',
].join('\n');

const EXPECTED = [
  ['modified', 'edit.txt', 'file'],
  ['deleted', 'gone.txt', 'file'],
  ['created', 'made.txt', 'file'],
  ['created', 'gen', 'dir'],
  ['created', 'gen/deep', 'dir'],
  ['created', 'gen/deep/g.txt', 'file'],
  ['modified', 'src/a.c', 'file'],
  ['deleted', 'src/b.c', 'file'],
  ['deleted', 'build/old.o', 'file'],
  ['created', 'build/new.o', 'file'],
  ['deleted', 'dead', 'dir'],
];

/** The same listing as the script's last line, made on the host. */
function snapshot(dir: string): string {
  const r = spawnSync('/bin/sh', ['-c', SCRIPT.split('\n').at(-1)!], { cwd: dir, encoding: 'utf8' });
  return r.stdout;
}

function sortChanges(changes: Array<{ kind: string; path: string; type: string }>, root: string) {
  return changes.map((c) => [c.kind, path.relative(root, c.path), c.type]).sort((a, b) => a[1].localeCompare(b[1]));
}

const sorted = (x: string[][]) => [...x].sort((a, b) => a[1].localeCompare(b[1]));

describe('copy-on-write', () => {
  test('created, modified and deleted files are reported exactly; the host is untouched', async () => {
    const d = project();
    const before = snapshot(d);
    const temps = () => fs.readdirSync(os.tmpdir()).filter((f) => /^sbx-cow-[A-Za-z0-9]{6}$/.test(f));
    const tempsBefore = temps();
    const r = await sbx.run('/bin/sh', ['-c', SCRIPT], { cwd: d, cow: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(sortChanges(r.changes!, d)).toEqual(sorted(EXPECTED));
    // Discarded: the host is exactly as before, and the sandbox did see its changes.
    expect(snapshot(d)).toBe(before);
    expect(r.stdout).not.toBe(before);
    expect(r.stdout).toContain('./made.txt made');
    expect(r.stdout).not.toContain('./gone.txt');
    expect(r.cow!.upper).toBeUndefined();
    // The upper directory is gone.
    expect(temps().filter((f) => !tempsBefore.includes(f))).toEqual([]);
  });

  test('without cow the same script changes the host (the control)', async () => {
    const d = project();
    const before = snapshot(d);
    const r = await sbx.run('/bin/sh', ['-c', SCRIPT], { cwd: d });
    expect(r.code).toBe(0);
    expect(r.changes).toBeUndefined();
    expect(snapshot(d)).not.toBe(before);
    expect(snapshot(d)).toBe(r.stdout);
  });

  test("cow: 'apply' leaves the host as the sandbox saw it", async () => {
    const d = project();
    const r = await sbx.run('/bin/sh', ['-c', SCRIPT], { cwd: d, cow: 'apply' });
    expect(r.code).toBe(0);
    expect(r.cow!.applied).toBe(true);
    expect(sortChanges(r.changes!, d)).toEqual(sorted(EXPECTED));
    expect(snapshot(d)).toBe(r.stdout);
  });

  test("cow: 'keep' returns the upper directory with the changed files", async () => {
    const d = project();
    const before = snapshot(d);
    const r = await sbx.run('/bin/sh', ['-c', SCRIPT], { cwd: d, cow: 'keep' });
    expect(r.code).toBe(0);
    const upper = r.cow!.upper!;
    dirs.push(path.dirname(upper));
    expect(fs.readFileSync(path.join(upper, 'made.txt'), 'utf8')).toBe('made\n');
    expect(fs.readFileSync(path.join(upper, 'edit.txt'), 'utf8')).toBe('old\nnew\n');
    expect(snapshot(d)).toBe(before);
  });

  test('sbx run --cow prints the changes on stderr; --cow=apply applies them', () => {
    const d = project();
    const before = snapshot(d);
    const r = spawnSync(process.execPath, [cliPath, 'run', '--cow', '--', 'sh', '-c', SCRIPT], { cwd: d, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => /^sbx: [AMD] /.test(l));
    const mark = { created: 'A', modified: 'M', deleted: 'D' } as Record<string, string>;
    expect(lines.sort()).toEqual(
      EXPECTED.map(([k, p, t]) => `sbx: ${mark[k]} ${path.join(d, p)}${t === 'dir' ? '/' : ''}`).sort(),
    );
    expect(snapshot(d)).toBe(before);

    const a = spawnSync(process.execPath, [cliPath, 'run', '--cow=apply', '--', 'sh', '-c', SCRIPT], { cwd: d, encoding: 'utf8' });
    expect(a.status).toBe(0);
    expect(a.stderr).toContain('applied');
    expect(snapshot(d)).toBe(a.stdout);
  });

  test("cow: 'apply' carries type changes (file, directory, symlink into one another), also beneath a replaced directory", async () => {
    const d = project();
    fs.writeFileSync(path.join(d, 'f1'), 'file\n');
    fs.mkdirSync(path.join(d, 'd1', 'deep'), { recursive: true });
    fs.writeFileSync(path.join(d, 'd1', 'deep', 'x'), 'x\n');
    fs.symlinkSync('src', path.join(d, 's1'));
    fs.writeFileSync(path.join(d, 'f2'), 'file\n');
    fs.mkdirSync(path.join(d, 'd2'));
    fs.writeFileSync(path.join(d, 'd2', 'y'), 'y\n');
    fs.writeFileSync(path.join(d, 'build', 'x'), 'was a file\n');
    // Each entry: its type, mode, link text or content; symlinks are not followed.
    const list = "find . -mindepth 1 -printf '%y %m %p %l\\n' | LC_ALL=C sort; find . -type f | LC_ALL=C sort | xargs cat";
    const script = [
      'set -e',
      'rm f1 && mkdir f1 && echo in > f1/in',
      'rm -r d1 && echo now-a-file > d1',
      'rm s1 && mkdir s1 && echo s > s1/s',
      'rm f2 && ln -s elsewhere f2',
      'rm -r d2 && ln -s ../elsewhere d2',
      'rm -rf build && mkdir -p build/x && echo deeper > build/x/y',
      list,
    ].join('\n');
    const r = await sbx.run('/bin/sh', ['-c', script], { cwd: d, cow: 'apply' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.cow!.applied).toBe(true);
    expect(r.changes!.every((c) => c.applied)).toBe(true);
    const host = spawnSync('/bin/sh', ['-c', list], { cwd: d, encoding: 'utf8' }).stdout;
    expect(host).toBe(r.stdout);
    expect(host).toContain('l 777 ./d2 ../elsewhere');
    expect(host).toContain('d 755 ./build/x');
  });

  test.skipIf(!isRoot())('works as uid 65534 too', () => {
    const pkg = unprivPackage();
    const d = project();
    spawnSync('chown', ['-R', `${UNPRIV_UID}:${UNPRIV_UID}`, d]);
    const before = snapshot(d);
    const r = runUnpriv(process.execPath, [path.join(pkg, 'dist', 'cli.js'), 'run', '--cow', '--', 'sh', '-c', SCRIPT], {
      cwd: d,
      env: { ...process.env, HOME: '/var/tmp' },
    });
    expect(r.stderr).not.toMatch(/^sbx: (?![AMD] )/m);
    expect(r.status).toBe(0);
    expect(r.stderr.split('\n').filter((l) => /^sbx: [AMD] /.test(l))).toHaveLength(EXPECTED.length);
    expect(snapshot(d)).toBe(before);
  });
});
