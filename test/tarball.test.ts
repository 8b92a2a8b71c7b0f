/**
 * The package as published: `npm run prebuild`, `npm pack`, then install the
 * tarball into an empty project on a PATH without cmake or a compiler. It must
 * load its prebuilds and build nothing; without a prebuild the install script
 * must say in one line what is missing.
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
let noToolsPath: string;

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

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-pack-'));
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts/prebuild.js')], { cwd: repoRoot, stdio: 'pipe' });
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: repoRoot, encoding: 'utf8' });
  tarball = path.join(work, JSON.parse(out.slice(out.indexOf('[')))[0].filename);
  noToolsPath = makeNoToolsPath(work);
  project = path.join(work, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), '{"name":"consumer","private":true}');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', tarball], {
    cwd: project,
    env: { ...process.env, PATH: noToolsPath },
    stdio: 'pipe',
  });
}, 300_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('installed tarball', () => {
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

  test('npx sbx preload-path prints a loadable libsbx.so', () => {
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
