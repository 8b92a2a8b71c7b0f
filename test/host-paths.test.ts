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
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';
import { isRoot, runUnpriv, unprivPackage } from './helpers/unpriv';

const SCENARIO = path.join(repoRoot, 'test', 'fixtures', 'host-paths', 'scenario.js');
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

interface Verdict {
  attack?: { blocked: boolean; detail: string };
  neighbour?: { ok: boolean; detail: string };
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
  ['git-fsmonitor', 'core.fsmonitor written to .git/config, the host runs git status', ['git']],
  ['git-hookspath', 'core.hooksPath pointed at a directory the sandbox wrote', ['git']],
  ['git-replace', '.git moved away and replaced by a repository the sandbox made', ['git']],
  ['git-file', "a worktree's .git file pointed at a repository the sandbox made", ['git']],
  ['sbx-package', "sbx's installed files (dist/index.js, package.json, libsbx.so, the launcher) rewritten or moved", ['npm']],
  ['policy-file', 'the policy file kept in the project rewritten or moved (sbx run --policy ./file)', []],
  ['vscode', '.vscode/tasks.json added to an existing .vscode, settings rewritten', []],
  ['home-bashrc', 'with a writable home (--rw ~): ~/.bashrc and ~/.ssh/authorized_keys', []],
  ['cwd-symlink', 'sub/ replaced by a symlink to ~/.ssh, then sbx.spawn({ cwd: sub })', []],
  ['cwd-symlink-relative', 'the same with a relative link (../home/.ssh)', []],
  ['cwd-symlink-direct', 'the same through the direct path (server: false)', []],
  ['cwd-symlink-cli', 'the same through `cd sub && sbx run` (PWD is sub)', []],
  ['rw-symlink', '--rw sub/data where sub was replaced by a symlink to another directory', []],
  ['cwd-home', 'a working directory of $HOME or its parent', []],
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
    });
  }
});
