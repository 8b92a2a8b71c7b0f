/**
 * The package as a user loads it: require and import, types, artifact paths,
 * and the preload library loading harmlessly into a real program.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';

let project: string;

beforeAll(() => {
  // A consumer project whose node_modules/sbx is this repository, so that
  // resolution goes through package.json "exports" exactly as for a user.
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-consumer-'));
  fs.mkdirSync(path.join(project, 'node_modules'));
  fs.symlinkSync(repoRoot, path.join(project, 'node_modules', 'sbx'));
  fs.writeFileSync(path.join(project, 'package.json'), '{"name":"consumer","private":true}');
});
afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: project, encoding: 'utf8' });
}

describe('loading', () => {
  test('require("sbx") gives paths to three existing artifacts', () => {
    const out = JSON.parse(node(['-e', 'const s=require("sbx");console.log(JSON.stringify({...s.paths}))']));
    expect(Object.keys(out).sort()).toEqual(['addon', 'launcher', 'preload']);
    for (const p of Object.values(out) as string[]) {
      expect(path.isAbsolute(p)).toBe(true);
      expect(fs.existsSync(p), p).toBe(true);
    }
    expect(path.dirname(out.preload)).toBe(path.dirname(out.addon));
    expect(path.basename(out.preload)).toBe('libsbx.so');
    fs.accessSync(out.launcher, fs.constants.X_OK);
  });

  test('import sbx from "sbx" and named imports give the same objects as require', () => {
    const code =
      'import sbx, { probe, paths } from "sbx"; import { createRequire } from "node:module";' +
      'const r = createRequire(import.meta.url)("sbx");' +
      'console.log(JSON.stringify([sbx.probe === r.probe, probe === r.probe, paths === r.paths, typeof sbx.version]))';
    expect(JSON.parse(node(['--input-type=module', '-e', code]))).toEqual([true, true, true, 'string']);
  });

  test('the loaded core reports the package version', () => {
    const out = node(['-e', 'const s=require("sbx");console.log(s.coreVersion()+" "+s.version)']).trim().split(' ');
    expect(out[0]).toBe(out[1]);
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    expect(out[1]).toBe(pkg.version);
  });

  test('types ship with the package for require and import', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    for (const cond of ['import', 'require']) {
      const types = pkg.exports['.'][cond].types;
      expect(fs.existsSync(path.join(repoRoot, types)), types).toBe(true);
    }
    expect(fs.readFileSync(path.join(repoRoot, 'dist/index.d.ts'), 'utf8')).toMatch(/probe/);
  });

  test('a launcher without its exec bit is reported clearly, not used', () => {
    // Copy the artifacts to a package of their own, drop the exec bit.
    const pkgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-noexec-'));
    try {
      fs.cpSync(path.join(repoRoot, 'dist'), path.join(pkgDir, 'dist'), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(pkgDir, 'package.json'));
      fs.mkdirSync(path.join(pkgDir, 'node_modules'));
      fs.symlinkSync(path.join(repoRoot, 'node_modules', 'node-gyp-build'), path.join(pkgDir, 'node_modules', 'node-gyp-build'));
      const rel = path.join(pkgDir, 'build', 'Release');
      fs.mkdirSync(rel, { recursive: true });
      for (const f of ['sbx.node', 'libsbx.so', 'sbx-launcher']) fs.copyFileSync(path.join(repoRoot, 'build/Release', f), path.join(rel, f));
      fs.chmodSync(path.join(rel, 'sbx-launcher'), 0o644);
      const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(pkgDir)}).probe()`], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/launcher .*sbx-launcher is missing or not executable/);
      // The neighbour: with the bit back, the same copy works.
      fs.chmodSync(path.join(rel, 'sbx-launcher'), 0o755);
      const ok = spawnSync(process.execPath, ['-e', `console.log(typeof require(${JSON.stringify(pkgDir)}).probe().landlock)`], { encoding: 'utf8' });
      expect(ok.stdout.trim(), ok.stderr).toBe('object');
    } finally {
      fs.rmSync(pkgDir, { recursive: true, force: true });
    }
  });
});

describe('libsbx.so', () => {
  test('LD_PRELOAD=libsbx.so with a policy: /bin/true exits 0 and a real program keeps its output', () => {
    const preload = node(['-e', 'console.log(require("sbx").paths.preload)']).trim();
    // cwd and TMPDIR of their own: strict writes both, and the door refuses a
    // libsbx.so it could write (the repository may lie under /tmp)
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-package-'));
    const env = { ...process.env, LD_PRELOAD: preload, SBX_POLICY: 'strict', TMPDIR: own };
    const r = spawnSync('/bin/true', [], { env, encoding: 'utf8', cwd: own });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const echo = spawnSync('/bin/echo', ['hello'], { env, encoding: 'utf8', cwd: own });
    expect(echo.stdout).toBe('hello\n');
    expect(echo.stderr).toBe('');
    // Without a policy it refuses to run the program rather than run it unconfined.
    const none = spawnSync('/bin/echo', ['hello'], { env: { ...process.env, LD_PRELOAD: preload }, encoding: 'utf8' });
    expect(none.status).toBe(126);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^sbx: SBX_POLICY is not set/);
  });

  test('exports no symbols into the host program and links nothing but libc', () => {
    const preload = node(['-e', 'console.log(require("sbx").paths.preload)']).trim();
    const syms = execFileSync('nm', ['-D', '--defined-only', preload], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    expect(syms).toEqual([]);
    const needed = execFileSync('readelf', ['-d', preload], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('(NEEDED)'))
      .map((l) => /\[(.*)\]/.exec(l)?.[1]);
    for (const lib of needed) expect(lib).toMatch(/^libc\.so\.6$/);
  });

  test('the launcher links nothing but libc and never runs a command without a policy', () => {
    const launcher = node(['-e', 'console.log(require("sbx").paths.launcher)']).trim();
    const needed = execFileSync('readelf', ['-d', launcher], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('(NEEDED)'))
      .map((l) => /\[(.*)\]/.exec(l)?.[1]);
    expect(needed).toEqual(['libc.so.6']);
    // No policy channel: setup failure (125), the program never runs.
    const r = spawnSync(launcher, ['--', '/bin/echo', 'unconfined'], { encoding: 'utf8' });
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^sbx: policy: /m);
    const v = spawnSync(launcher, ['--version'], { encoding: 'utf8' });
    expect(v.stdout).toMatch(/^sbx-launcher \d+\.\d+\.\d+\n$/);
  });
});
