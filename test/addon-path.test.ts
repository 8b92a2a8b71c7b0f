/**
 * lib/addon-path.ts finds the addon by node-gyp-build's rules without loading
 * node-gyp-build (on the first lockdown()'s path). Both run here over the same
 * directory trees and environments, in fresh Node processes (node-gyp-build
 * reads its environment when it loads), and must give the same path, or the
 * same first line of error.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';

let work: string;
const tag = `${process.platform}-${process.arch}`;

/** A package directory named `name` holding `files` (relative paths; empty content). */
function tree(name: string, files: string[], pkgName: string | null = 'sbx'): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  if (pkgName !== null) fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: pkgName }));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), '');
  }
  return dir;
}

/** [ours, node-gyp-build's] for `dir` under `env`: a path, or `Error: <first line>`. */
function both(dir: string, env: Record<string, string> = {}): [string, string] {
  const code = `
    const one = (f) => { try { return f(); } catch (e) { return 'Error: ' + e.message.split('\\n')[0]; } };
    const ours = one(() => require(${JSON.stringify(path.join(repoRoot, 'dist', 'addon-path.js'))}).addonPath(${JSON.stringify(dir)}));
    const ngb = one(() => require(${JSON.stringify(path.join(repoRoot, 'node_modules', 'node-gyp-build'))}).path(${JSON.stringify(dir)}));
    process.stdout.write(JSON.stringify([ours, ngb]));`;
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(SBX_PREBUILD|PREBUILDS_ONLY|LIBC|ARM_VERSION|npm_config_arch|npm_config_platform)$/.test(k)),
  );
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...clean, ...env } });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-addon-path-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('addonPath() answers as node-gyp-build does', () => {
  const cases: Array<[string, string[], Record<string, string>?]> = [
    ['build/Release only', ['build/Release/sbx.node', 'build/Release/libsbx.so']],
    ['build/Release before prebuilds', ['build/Release/sbx.node', `prebuilds/${tag}/sbx.glibc.node`]],
    ['build/Debug when no Release', ['build/Debug/sbx.node', `prebuilds/${tag}/sbx.glibc.node`]],
    ['build/Release without a .node file', ['build/Release/libsbx.so', `prebuilds/${tag}/sbx.glibc.node`]],
    ['prebuildify --napi --tag-libc (scripts/prebuild.js)', [`prebuilds/${tag}/sbx.glibc.node`, `prebuilds/${tag}/libsbx.so`]],
    ['libc tags: glibc and musl', [`prebuilds/${tag}/sbx.musl.node`, `prebuilds/${tag}/sbx.glibc.node`]],
    ['only musl: no match', [`prebuilds/${tag}/sbx.musl.node`]],
    ['musl asked for', [`prebuilds/${tag}/sbx.musl.node`, `prebuilds/${tag}/sbx.glibc.node`], { LIBC: 'musl' }],
    ['abi over napi, runtime over agnostic', [
      `prebuilds/${tag}/node.napi.node`,
      `prebuilds/${tag}/node.abi${process.versions.modules}.node`,
      `prebuilds/${tag}/node.abi1.node`,
      `prebuilds/${tag}/electron.napi.node`,
    ]],
    ['the most specific first', [`prebuilds/${tag}/node.napi.node`, `prebuilds/${tag}/node.napi.glibc.node`]],
    ['uv and armv tags', [`prebuilds/${tag}/node.napi.uv1.node`, `prebuilds/${tag}/node.napi.uv99.node`, `prebuilds/${tag}/node.napi.armv7.node`]],
    ['single-arch directory before multi-arch', [`prebuilds/${process.platform}-${process.arch}+other/sbx.glibc.node`, `prebuilds/${tag}/node.napi.node`]],
    ['multi-arch directory alone', [`prebuilds/${process.platform}-other+${process.arch}/sbx.glibc.node`]],
    ['other platforms and arches only', ['prebuilds/darwin-x64/sbx.node', 'prebuilds/win32-x64/sbx.node', `prebuilds/${process.platform}-nosuch/sbx.node`]],
    ['malformed prebuild names', ['prebuilds/linux/sbx.node', `prebuilds/${tag}-x/sbx.node`, `prebuilds/${tag}/sbx.node.txt`]],
    ['nothing at all', []],
    ['PREBUILDS_ONLY skips build/', ['build/Release/sbx.node', `prebuilds/${tag}/sbx.glibc.node`], { PREBUILDS_ONLY: '1' }],
    ['PREBUILDS_ONLY with no prebuild', ['build/Release/sbx.node'], { PREBUILDS_ONLY: '1' }],
    ['another arch asked for', [`prebuilds/${process.platform}-arm64/sbx.glibc.node`, `prebuilds/${tag}/sbx.glibc.node`], { npm_config_arch: 'arm64' }],
  ];
  for (const [name, files, env] of cases) {
    test(name, () => {
      const dir = tree(name.replace(/\W+/g, '-'), files);
      const [ours, ngb] = both(dir, env);
      expect(ours).toBe(ngb);
    });
  }

  test('<NAME>_PREBUILD names another directory; the name comes from package.json', () => {
    const elsewhere = tree('elsewhere', [`prebuilds/${tag}/sbx.glibc.node`], null);
    const dir = tree('prebuild-env', ['build/Release/sbx.node']);
    expect(both(dir, { SBX_PREBUILD: elsewhere })).toEqual([path.join(elsewhere, 'prebuilds', tag, 'sbx.glibc.node'), path.join(elsewhere, 'prebuilds', tag, 'sbx.glibc.node')]);
    const scoped = tree('prebuild-env-named', ['build/Release/sbx.node'], 'my-sbx');
    const [ours, ngb] = both(scoped, { MY_SBX_PREBUILD: elsewhere });
    expect(ours).toBe(ngb);
    expect(ours).toContain(elsewhere);
    const none = tree('no-package-json', ['build/Release/sbx.node'], null);
    expect(new Set(both(none, { SBX_PREBUILD: elsewhere })).size).toBe(1);
  });

  test('the error names the runtime the same way', () => {
    const [ours, ngb] = both(tree('empty', []));
    expect(ours).toMatch(/^Error: No native build was found for platform=\S+ arch=\S+ runtime=node abi=\d+ uv=\d+ .*libc=\S+ node=\S+$/);
    expect(ours).toBe(ngb);
  });
});

describe('sbx itself reports a missing build in one line, saying what to run', () => {
  /** A copy of the package (dist/ and package.json, no build, no prebuilds) at `dir`; the error of its probe(). */
  function probeError(dir: string): string {
    fs.mkdirSync(dir, { recursive: true });
    fs.cpSync(path.join(repoRoot, 'dist'), path.join(dir, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(dir, 'package.json'));
    const r = spawnSync(process.execPath, ['-e', `
      try { require(${JSON.stringify(dir)}).probe(); } catch (e) { console.error(e.name + ' ' + e.code + ': ' + e.message); process.exit(1); }`], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    return lines[0];
  }
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  test('installed as a dependency: approve the install script and rebuild', () => {
    const dir = path.join(work, 'consumer', 'node_modules', 'sbx');
    expect(probeError(dir)).toMatch(new RegExp(
      `^SbxError SBX_ENOTBUILT: no native build of sbx for ${tag} \\((glibc|musl)\\) in ${esc(dir)}: ` +
        'the package has no prebuild for this machine, and its install script, which builds one, has not run .*npm 12.*: ' +
        'run `npm approve-scripts sbx && npm rebuild sbx` \\(needs cmake and a C compiler\\)$'));
  });

  test('a clone without a build: npm install there', () => {
    const dir = tree('no-build', []);
    expect(probeError(dir)).toMatch(new RegExp(
      `^SbxError SBX_ENOTBUILT: no native build of sbx for ${tag} \\((glibc|musl)\\) in ${esc(dir)}: ` +
        `no prebuilds/ fit this machine and nothing is built here: run \`npm install\` .*in ${esc(dir)}`));
  });
});
