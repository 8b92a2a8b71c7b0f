/**
 * For the `sbx learn` tests: the CLI run as root or as uid 65534 (`node dist/cli.js`, as the `sbx`
 * command hands `learn` over), and a fresh working and output directory per test under a host
 * directory the sandbox sees read-only and no default grant covers.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths';
import { runUnpriv, unprivPackage } from './unpriv';

export type Who = 'root' | 'unpriv';

/** A working directory and an output directory, writable by both users, made in `base`. */
export function freshDirs(base: string, who: Who): { work: string; out: string } {
  const work = fs.mkdtempSync(path.join(base, `work-${who}-`));
  const out = fs.mkdtempSync(path.join(base, `out-${who}-`));
  fs.chmodSync(work, 0o777);
  fs.chmodSync(out, 0o777);
  return { work, out };
}

export function sbxCli(who: Who, args: string[], opts: { cwd: string; env?: Record<string, string> }) {
  const pkg = who === 'root' ? repoRoot : unprivPackage();
  const argv = [path.join(pkg, 'dist', 'cli.js'), ...args];
  const o = { cwd: opts.cwd, encoding: 'utf8' as const, env: { ...process.env, ...opts.env }, maxBuffer: 64 * 1024 * 1024 };
  const r = who === 'root' ? spawnSync(process.execPath, argv, o) : runUnpriv(process.execPath, argv, o);
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, any>;

/** `s` quoted for sh. */
export const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
