/**
 * What a sandbox leaves behind must not run on the host, and must not
 * redirect the next sandbox (issue 18, items 3 and 5). Each case is an attack
 * made by a real sandbox (the spawn door, default policy) followed by what the
 * host does next (git status/commit, require('sbx'), sbx run --policy FILE, a
 * later sandbox in a directory); its allowed neighbour (git add/commit, npm
 * install, new files, a real directory) runs beside it. The verdict is read on
 * the host: a marker that planted code would write, files that must not
 * change. As root and as uid 65534 (test/fixtures/host-paths/scenario.js).
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';
import { UNPRIV_UID, isRoot, runUnpriv, unprivPackage } from './helpers/unpriv';

const SCENARIO = path.join(repoRoot, 'test', 'fixtures', 'host-paths', 'scenario.js');
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

interface Verdict {
  attack?: { blocked: boolean; detail: string };
  neighbour?: { ok: boolean; detail: string };
  limit?: { reported: boolean; planted: boolean; detail: string };
  error?: string;
}

function run(user: 'root' | 'unpriv', name: string): Verdict {
  const r =
    user === 'root'
      ? spawnSync(process.execPath, [SCENARIO, repoRoot, name], { encoding: 'utf8', timeout: 120_000 })
      : runUnpriv(process.execPath, [SCENARIO, unprivPackage(), name], { timeout: 120_000 });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Verdict;
  } catch {
    return { error: `no verdict (status ${r.status}): ${r.stdout} ${r.stderr}` };
  }
}

const CASES: Array<[string, string, string[]]> = [
  // name, what the attack is, tools it needs on the host
  ['git-hook', '.git/hooks/pre-commit planted, the host commits', ['git']],
  ['git-hook-missing', '.git/hooks absent, made by the sandbox with a pre-commit hook', ['git']],
  ['git-init-after-prepare', 'the host runs git init after the server prepared the next sandbox (its view had no .git)', ['git']],
  ['git-fsmonitor', 'core.fsmonitor written to .git/config, the host runs git status', ['git']],
  ['git-hookspath', 'core.hooksPath pointed at a directory the sandbox wrote', ['git']],
  ['git-replace', '.git moved away and replaced by a repository the sandbox made', ['git']],
  ['git-file', "a worktree's .git file pointed at a repository the sandbox made", ['git']],
  ['sbx-package', "sbx's installed files (dist/index.js, package.json, libsbx.so, the launcher) rewritten or moved", ['npm']],
  ['policy-file', 'the policy file kept in the project rewritten or moved (sbx run --policy ./file)', []],
  ['vscode', '.vscode/tasks.json added to an existing .vscode, settings rewritten', []],
  ['home-bashrc', 'with a writable home (--rw ~): ~/.bashrc and ~/.ssh/authorized_keys', []],
  ['cwd-inside-git', 'a working directory inside .git: hooks/ and config stay read-only', ['git']],
  ['hide', 'fs.hide: a project file and directory and a host file shown empty and not writable', []],
  ['cwd-symlink', 'sub/ replaced by a symlink to ~/.ssh, then sbx.spawn({ cwd: sub })', []],
  ['cwd-symlink-relative', 'the same with a relative link (../home/.ssh)', []],
  ['cwd-symlink-direct', 'the same through the direct path (server: false)', []],
  ['cwd-symlink-cli', 'the same through `cd sub && sbx run` (PWD is sub)', []],
  ['rw-symlink', '--rw sub/data where sub was replaced by a symlink to another directory', []],
  ['cwd-home', 'a working directory of $HOME or its parent', []],
  ['trusted-symlink', 'a link in the project is refused; one in $HOME, or with followSymlinks, is followed', []],
  ['no-userns', 'without user namespaces: the planted link is still refused; protections are not applied, and that is reported (limit)', ['git', 'unshare']],
];

describe.each([
  ['root', true],
  ['uid 65534', isRoot()],
] as const)('planted code and redirected paths, as %s', (who, can) => {
  const user = who === 'root' ? 'root' : 'unpriv';
  for (const [name, what, tools] of CASES) {
    const missing = tools.filter((t) => !have(t));
    const why = !can ? ' (skipped: uid 65534 needs root to start)' : missing.length ? ` (skipped: no ${missing.join(', ')} here)` : '';
    test.skipIf(!can || missing.length > 0)(`${name}: ${what}${why}`, () => {
      const v = run(user, name);
      expect(v.error).toBeUndefined();
      expect(v.attack?.blocked, v.attack?.detail).toBe(true);
      expect(v.neighbour?.ok, v.neighbour?.detail).toBe(true);
      // A documented limit is asserted as what it is: not protected, and said so.
      if (v.limit) {
        expect(v.limit.reported, v.limit.detail).toBe(true);
        expect(v.limit.planted, v.limit.detail).toBe(true);
      }
    });
  }
});

/**
 * The preload and self doors have no view of their own: Landlock cannot take
 * a path back out of a tree it grants. They refuse (exit 126 / SbxError) when
 * a protected path lies where the program may write, and say so; where none
 * does, they run. Best-effort runs without the protection: the attack then
 * works, which is what the refusal is for.
 */
describe.each([
  ['root', true],
  ['uid 65534', isRoot()],
] as const)('preload and self doors refuse what they cannot protect, as %s', (who, can) => {
  const user = who === 'root' ? 'root' : 'unpriv';
  const pkg = () => (user === 'root' ? repoRoot : unprivPackage());
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  function project(repo: boolean): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-hostpaths-door-'));
    dirs.push(d);
    if (repo) spawnSync('git', ['init', '-q', d]);
    if (user !== 'root') spawnSync('chown', ['-R', `${UNPRIV_UID}:${UNPRIV_UID}`, d]);
    return d;
  }
  const as = (cmd: string, args: string[], opts: SpawnSyncOptions) =>
    user === 'root' ? spawnSync(cmd, args, { encoding: 'utf8', ...opts }) : runUnpriv(cmd, args, opts);
  const preload = (cwd: string, policy: string, script: string) =>
    // $TMPDIR in the project: the library's copy for uid 65534 lies in /tmp, which the preload door refuses to leave writable.
    as('/usr/bin/env', [`LD_PRELOAD=${path.join(pkg(), 'build', 'Release', 'libsbx.so')}`, `SBX_POLICY=${policy}`, `HOME=${cwd}/nohome`, `TMPDIR=${cwd}`, '/bin/sh', '-c', script], { cwd });
  const why = !can ? ' (skipped: uid 65534 needs root to start)' : !have('git') ? ' (skipped: no git here)' : '';

  test.skipIf(!can || !have('git'))(`preload, workspace: refused in a repository, runs outside one; best-effort lets the hook in${why}`, () => {
    const repo = project(true);
    const r = preload(repo, 'workspace', 'echo planted > .git/hooks/pre-commit');
    expect(r.status, String(r.stderr)).toBe(126);
    expect(String(r.stderr)).toMatch(/protected path .*\/\.git\/hooks lies where this policy lets the program write .*\(\/fs\/protect\/0\)$/m);
    expect(fs.existsSync(path.join(repo, '.git', 'hooks', 'pre-commit'))).toBe(false);

    const plain = project(false);
    const ok = preload(plain, 'workspace', 'echo fine > f && cat f');
    expect(ok.status, String(ok.stderr)).toBe(0);
    expect(String(ok.stdout)).toBe('fine\n');

    const be = preload(repo, '{"extends":"workspace","fs":{"compat":"best-effort"}}', 'echo planted > .git/hooks/pre-commit && echo wrote');
    expect(be.status, String(be.stderr)).toBe(0);
    expect(fs.readFileSync(path.join(repo, '.git', 'hooks', 'pre-commit'), 'utf8')).toBe('planted\n');
  });

  test.skipIf(!can || !have('git'))(`self door: lockdown(workspace) throws SBX_EUNSUPPORTED in a repository, locks down outside one${why}`, () => {
    const js = `const sbx = require(${JSON.stringify(path.join(pkg(), 'dist', 'index.js'))});
      try { sbx.lockdown({ extends: 'workspace' }); console.log('locked'); } catch (e) { console.log(e.code, e.pointer, e.message); }`;
    const repo = project(true);
    const r = as(process.execPath, ['-e', js], { cwd: repo, env: { ...process.env, HOME: `${repo}/nohome` } });
    expect(String(r.stdout)).toMatch(/^SBX_EUNSUPPORTED \/fs\/protect\/0 .*\.git\/hooks lies where/);
    const plain = project(false);
    const ok = as(process.execPath, ['-e', js], { cwd: plain, env: { ...process.env, HOME: `${plain}/nohome` } });
    expect(String(ok.stdout), String(ok.stderr)).toBe('locked\n');
  });
});
