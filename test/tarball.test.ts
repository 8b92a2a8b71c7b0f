/**
 * The package as published: `npm pack` alone (its prepack builds the
 * prebuilds of this machine), then install the tarball into an empty project
 * on a PATH without cmake or a compiler, once with install scripts and once
 * without (`--ignore-scripts`, as npm 12 does for a dependency whose scripts
 * the project has not approved). It must load its prebuilds and build nothing;
 * without a prebuild the install script, `require('sbx')` and the `sbx` command
 * must each say in one line what is missing and what to run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';

let work: string;
let tarball: string;
let project: string;
let bare: string; // installed with --ignore-scripts
let noToolsPath: string;
let packStart: number;

/** A PATH holding only node, npm/npx and a shell: no cmake, cc, gcc, g++. */
function makeNoToolsPath(dir: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const npmBin = path.dirname(fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim()));
  const links: Record<string, string> = {
    node: process.execPath,
    sh: '/bin/sh',
    npm: path.join(npmBin, 'npm-cli.js'),
    npx: path.join(npmBin, 'npx-cli.js'),
  };
  for (const [name, target] of Object.entries(links)) fs.symlinkSync(target, path.join(bin, name));
  return bin;
}

/** An empty project at `dir` with the tarball installed (npm `args` added). */
function installInto(dir: string, args: string[]): void {
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"consumer","private":true}');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', ...args, tarball], {
    cwd: dir,
    env: { ...process.env, PATH: noToolsPath },
    stdio: 'pipe',
  });
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-pack-'));
  // Second resolution of mtimes: allow the clock's rounding.
  packStart = Date.now() - 2000;
  execFileSync('npm', ['pack', '--pack-destination', work], { cwd: repoRoot, stdio: 'pipe' });
  const tgz = fs.readdirSync(work).filter((f) => f.endsWith('.tgz'));
  expect(tgz).toHaveLength(1);
  tarball = path.join(work, tgz[0]);
  noToolsPath = makeNoToolsPath(work);
  project = path.join(work, 'project');
  installInto(project, []);
  bare = path.join(work, 'bare');
  installInto(bare, ['--ignore-scripts']);
}, 900_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('installed tarball', () => {
  test('npm pack alone built fresh prebuilds for this machine (prepack)', () => {
    const dir = path.join(repoRoot, 'prebuilds', `linux-${process.arch}`);
    for (const f of ['libsbx.so', 'sbx-launcher']) {
      expect(fs.statSync(path.join(dir, f)).mtimeMs, `${f} older than this npm pack`).toBeGreaterThanOrEqual(packStart);
    }
  });

  test('carries the three artifacts for this platform with the launcher executable', () => {
    const listing = execFileSync('tar', ['-tvzf', tarball], { encoding: 'utf8' });
    const dir = `package/prebuilds/linux-${process.arch}/`;
    expect(listing).toMatch(new RegExp(`^-rwxr-xr-x .* ${dir}sbx-launcher$`, 'm'));
    expect(listing).toMatch(new RegExp(`${dir}libsbx\\.so$`, 'm'));
    expect(listing).toMatch(new RegExp(`${dir}sbx[.a-z]*\\.node$`, 'm'));
  });

  test('was installed without building anything', () => {
    const pkg = path.join(project, 'node_modules', 'sbx');
    expect(fs.existsSync(path.join(pkg, 'build'))).toBe(false);
  });

  test('the sbx command is a link to the prebuild\'s launcher: sbx run works without node on PATH', () => {
    const pkg = path.join(project, 'node_modules', 'sbx');
    expect(fs.lstatSync(path.join(pkg, 'dist', 'sbx')).isSymbolicLink()).toBe(true);
    expect(fs.realpathSync(path.join(pkg, 'dist', 'sbx'))).toBe(fs.realpathSync(path.join(pkg, 'prebuilds', `linux-${process.arch}`, 'sbx-launcher')));
    const r = spawnSync(path.join(project, 'node_modules', '.bin', 'sbx'), ['run', '--', '/bin/sh', '-c', 'echo in-sandbox; /bin/hostname'], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, PATH: '/nonexistent-sbx-path' },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('in-sandbox\nsbx\n');
    // The tarball itself holds the script (a link would point nowhere once unpacked).
    const listing = execFileSync('tar', ['-tvzf', tarball], { encoding: 'utf8' });
    expect(listing).toMatch(/^-rwxr-xr-x .* package\/dist\/sbx$/m);
  });

  test('require("sbx").probe() works and the artifacts come from prebuilds/', () => {
    const r = spawnSync(process.execPath, ['-e', 'const s=require("sbx");console.log(JSON.stringify({abi:s.probe().landlock.abi,paths:{...s.paths}}))'], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, PATH: noToolsPath },
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.paths.addon).toContain(`${path.sep}prebuilds${path.sep}linux-${process.arch}${path.sep}`);
    expect(path.dirname(out.paths.launcher)).toBe(path.dirname(out.paths.addon));
    expect(out.abi === null || typeof out.abi === 'number').toBe(true);
  });

  test('installed without install scripts (--ignore-scripts, npm 12 unapproved): require and the sbx command work', () => {
    const pkg = path.join(bare, 'node_modules', 'sbx');
    expect(fs.existsSync(path.join(pkg, 'build'))).toBe(false);
    const r = spawnSync(process.execPath, ['-e', 'const s=require("sbx");console.log(JSON.stringify({v:s.probe().kernel.release,addon:s.paths.addon}))'], {
      cwd: bare,
      encoding: 'utf8',
      env: { ...process.env, PATH: noToolsPath },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).addon).toContain(path.join(pkg, 'prebuilds', `linux-${process.arch}`));
    const bin = spawnSync(path.join(bare, 'node_modules', '.bin', 'sbx'), ['run', '--', '/bin/sh', '-c', 'echo in-sandbox; hostname'], {
      cwd: bare,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${noToolsPath}:/usr/bin:/bin` },
    });
    expect(bin.status, bin.stderr).toBe(0);
    expect(bin.stdout).toBe('in-sandbox\nsbx\n');
  });

  test('without a prebuild and without install scripts, require("sbx") and sbx say in one line what to run', () => {
    // The same package where no prebuild fits: a copy without prebuilds/, as installed.
    const consumer = path.join(work, 'noprebuild-consumer');
    const pkg = path.join(consumer, 'node_modules', 'sbx');
    fs.mkdirSync(path.dirname(pkg), { recursive: true });
    fs.cpSync(path.join(bare, 'node_modules', 'sbx'), pkg, { recursive: true });
    fs.rmSync(path.join(pkg, 'prebuilds'), { recursive: true, force: true });
    const want = new RegExp(
      `no native build of sbx for linux-${process.arch} \\((glibc|musl)\\) in ${pkg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ` +
        'the package has no prebuild for this machine, and its install script, which builds one, has not run .*: ' +
        'run `npm approve-scripts sbx && npm rebuild sbx` \\(needs cmake and a C compiler\\)');
    const api = spawnSync(process.execPath, ['-e', 'try { require("sbx").probe() } catch (e) { console.error(`${e.code}: ${e.message}`); process.exit(1) }'], {
      cwd: consumer,
      encoding: 'utf8',
    });
    expect(api.status).toBe(1);
    expect(api.stderr.trim().split('\n')).toHaveLength(1);
    expect(api.stderr).toMatch(new RegExp(`^SBX_ENOTBUILT: ${want.source}`));
    const cli = spawnSync(process.execPath, [path.join(pkg, 'dist', 'cli.js'), 'probe'], { cwd: consumer, encoding: 'utf8' });
    expect(cli.status).toBe(1);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.stderr.trim()).toMatch(new RegExp(`^sbx: ${want.source} \\[SBX_ENOTBUILT\\]$`));
    expect(cli.stderr).not.toMatch(/Cannot find module|MODULE_NOT_FOUND/);
  });

  test('npx --no-install sbx preload-path prints a loadable libsbx.so', () => {
    const r = spawnSync(path.join(noToolsPath, 'npx'), ['--no-install', 'sbx', 'preload-path'], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, PATH: noToolsPath },
    });
    expect(r.status, r.stderr).toBe(0);
    const preload = r.stdout.trim();
    expect(preload).toContain(path.join(project, 'node_modules', 'sbx', 'prebuilds'));
    // Started from a directory beside the project, with its own $TMPDIR:
    // strict writes both, and the door refuses to load a library that lies
    // where the program may write (preload/preload_guard.c).
    const runDir = fs.mkdtempSync(path.join(work, 'run-'));
    const run = spawnSync('/bin/true', [], { env: { ...process.env, LD_PRELOAD: preload, SBX_POLICY: 'strict', TMPDIR: runDir }, cwd: runDir, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
  });

  test('without a prebuild and without cmake, the install script fails with one clear line', () => {
    const copy = path.join(work, 'noprebuild');
    fs.cpSync(path.join(project, 'node_modules', 'sbx'), copy, { recursive: true });
    fs.rmSync(path.join(copy, 'prebuilds'), { recursive: true, force: true });
    fs.symlinkSync(path.join(project, 'node_modules'), path.join(copy, 'node_modules'));
    const r = spawnSync(process.execPath, [path.join(copy, 'scripts', 'install.js')], {
      cwd: copy,
      encoding: 'utf8',
      env: { ...process.env, PATH: noToolsPath },
    });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^sbx: no prebuild for linux-\w+ in this package and cmake is not on PATH: install cmake/);
  });
});
