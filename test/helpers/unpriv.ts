/**
 * Running sbx as an unprivileged user. The checkout may live where such a user
 * cannot read (CI clones under /root, mode 0700), so the package is mirrored
 * once into a world-readable temp directory: dist/, package.json, the native
 * artifacts and node-gyp-build.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { releaseDir, repoRoot } from './paths';

export const UNPRIV_UID = 65534;

let mirror: string | undefined;

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Path of a copy of the package that uid 65534 can read and execute. */
export function unprivPackage(): string {
  if (mirror) return mirror;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-unpriv-'));
  fs.cpSync(path.join(repoRoot, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(dir, 'package.json'));
  fs.cpSync(path.join(repoRoot, 'node_modules', 'node-gyp-build'), path.join(dir, 'node_modules', 'node-gyp-build'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
  for (const f of ['sbx.node', 'libsbx.so', 'sbx-launcher']) {
    fs.copyFileSync(path.join(releaseDir, f), path.join(dir, 'build', 'Release', f));
  }
  // dist/sbx (the `sbx` command) links to this copy's launcher, as in the
  // package: cpSync made the link absolute, into the checkout.
  fs.rmSync(path.join(dir, 'dist', 'sbx'), { force: true });
  fs.symlinkSync(path.join('..', 'build', 'Release', 'sbx-launcher'), path.join(dir, 'dist', 'sbx'));
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  fs.chmodSync(path.join(dir, 'build', 'Release', 'sbx-launcher'), 0o755);
  mirror = dir;
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let unprivNodePath: string | undefined;

/** Whether every directory above `file` can be searched, and `file` read and run, by anyone. */
function worldRunnable(file: string): boolean {
  try {
    if ((fs.statSync(file).mode & 0o005) !== 0o005) return false;
    for (let d = path.dirname(file); ; d = path.dirname(d)) {
      if ((fs.statSync(d).mode & 0o001) === 0) return false;
      if (d === path.dirname(d)) return true;
    }
  } catch {
    return false;
  }
}

/**
 * The Node under test (process.execPath) as uid 65534 can run it: itself when
 * it is reachable by anyone (the system node), otherwise a copy in the
 * world-readable mirror (an extra Node version under build/nodes/ of a
 * checkout in /root, as in CI). runUnpriv() runs this for process.execPath.
 */
export function unprivNode(): string {
  if (unprivNodePath) return unprivNodePath;
  const node = fs.realpathSync(process.execPath);
  if (worldRunnable(node)) return (unprivNodePath = node);
  const dir = path.join(unprivPackage(), 'node', 'bin');
  fs.mkdirSync(dir, { recursive: true });
  const copy = path.join(dir, 'node');
  fs.copyFileSync(node, copy);
  fs.chmodSync(copy, 0o755);
  spawnSync('chmod', ['-R', 'a+rX', path.join(unprivPackage(), 'node')]);
  return (unprivNodePath = copy);
}

/**
 * Run a command as uid/gid 65534 (via setpriv). Only meaningful as root.
 * `process.execPath` as the command means the Node under test: unprivNode().
 */
export function runUnpriv(cmd: string, args: string[], opts: SpawnSyncOptions = {}) {
  if (cmd === process.execPath) cmd = unprivNode();
  return spawnSync(
    'setpriv',
    [`--reuid=${UNPRIV_UID}`, `--regid=${UNPRIV_UID}`, '--clear-groups', '--', cmd, ...args],
    { encoding: 'utf8', cwd: os.tmpdir(), ...opts },
  );
}
