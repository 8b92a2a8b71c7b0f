/**
 * The `sbx` command as a user runs it: help, version, probe (checked against
 * facts measured here by independent means), preload-path.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { cliPath, repoRoot, sbxBin } from './helpers/paths';
import { isRoot, runUnpriv, unprivPackage } from './helpers/unpriv';

function sbx(args: string[], env: NodeJS.ProcessEnv = process.env) {
  // The command npm installs: the native front end, which hands these to Node.
  return spawnSync(sbxBin, args, { encoding: 'utf8', env });
}

/** Landlock ABI straight from the syscall (landlock_create_ruleset, nr 444 on x86_64 and aarch64). */
function landlockAbi(): number {
  const py =
    'import ctypes,sys;l=ctypes.CDLL(None,use_errno=True);l.syscall.restype=ctypes.c_long;' +
    'r=l.syscall(444,None,ctypes.c_size_t(0),ctypes.c_uint32(1));print(r if r>=0 else -ctypes.get_errno())';
  return Number(execFileSync('python3', ['-c', py], { encoding: 'utf8' }).trim());
}

/** Can this uid create a user namespace? Asked of util-linux's unshare, not of sbx. */
function usernsWorks(asUser?: number): boolean {
  const cmd = asUser === undefined ? ['unshare', '-U', 'true'] : ['setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', 'unshare', '-U', 'true'];
  return spawnSync(cmd[0], cmd.slice(1)).status === 0;
}

describe('sbx CLI', () => {
  test('--help lists exactly the commands that work', () => {
    const r = sbx(['--help']);
    expect(r.status).toBe(0);
    const cmds = [...r.stdout.matchAll(/^ {2}([a-z][a-z-]+)\b/gm)].map((m) => m[1]);
    expect(cmds.sort()).toEqual(['compile', 'explain', 'learn', 'preload-path', 'probe', 'run']);
  });

  test('--version prints the package version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    const r = sbx(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`sbx ${pkg.version}\n`);
  });

  test('the bin runs by itself (shebang and mode), as npx and a linked bin run it', () => {
    // npm does not always mark the project's own bin executable (npx in a
    // clone of this repository): the build does.
    const r = spawnSync(cliPath, ['--version'], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^sbx \d+\.\d+\.\d+\n$/);
  });

  test('an unknown command or flag is a usage error (exit 2) naming it', () => {
    const r = sbx(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
    const f = sbx(['probe', '--jsn']);
    expect(f.status).toBe(2);
    expect(f.stderr).toMatch(/unexpected argument '--jsn'/);
  });

  test('preload-path prints the absolute path of an existing libsbx.so', () => {
    const r = sbx(['preload-path']);
    expect(r.status).toBe(0);
    const p = r.stdout.trim();
    expect(path.isAbsolute(p)).toBe(true);
    expect(path.basename(p)).toBe('libsbx.so');
    expect(fs.statSync(p).isFile()).toBe(true);
  });
});

describe('sbx probe', () => {
  const r = sbx(['probe', '--json']);
  const report = JSON.parse(r.stdout || '{}');

  test('--json is valid JSON with every section', () => {
    expect(r.status, r.stderr).toBe(0);
    for (const k of ['version', 'kernel', 'arch', 'landlock', 'seccomp', 'userns', 'cgroup', 'container', 'process']) {
      expect(report, k).toHaveProperty(k);
    }
  });

  test('kernel and arch are this machine', () => {
    expect(report.kernel.release).toBe(os.release());
    expect(report.arch).toBe(os.arch() === 'x64' ? 'x86_64' : 'aarch64');
  });

  test('Landlock ABI equals what the syscall says', () => {
    const abi = landlockAbi();
    if (abi < 0) {
      expect(report.landlock.abi).toBeNull();
      expect(typeof report.landlock.abiReason).toBe('string');
    } else {
      expect(report.landlock.abi).toBe(abi);
      expect(report.landlock.fs).toContain('execute');
      if (abi >= 4) expect(report.landlock.net).toEqual(expect.arrayContaining(['bind_tcp', 'connect_tcp']));
    }
  });

  test('user namespaces: as root and unprivileged, as util-linux unshare finds them', () => {
    expect(report.userns.unprivileged).toBe(usernsWorks(65534));
    if (process.getuid?.() === 0) expect(report.userns.asRoot).toBe(usernsWorks());
  });

  test('process facts: uid, seccomp mode and no_new_privs of the probing process', () => {
    expect(report.process.uid).toBe(process.getuid?.());
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    // The CLI runs as a child of this process and inherits both.
    expect(report.process.seccompMode).toBe(Number(/^Seccomp:\s+(\d+)/m.exec(status)?.[1]));
    expect(report.process.noNewPrivs).toBe(/^NoNewPrivs:\s+1/m.test(status));
  });

  test('every null field has a reason', () => {
    const missing: string[] = [];
    const walk = (o: Record<string, unknown>, at: string) => {
      for (const [k, v] of Object.entries(o)) {
        if (v === null && typeof o[`${k}Reason`] !== 'string') missing.push(`${at}/${k}`);
        else if (v && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, `${at}/${k}`);
      }
    };
    walk(report, '');
    expect(missing).toEqual([]);
  });

  test('the human table shows the same facts', () => {
    const t = sbx(['probe']);
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(new RegExp(`kernel\\.release\\s+${os.release().replace(/[.+]/g, '\\$&')}`));
    expect(t.stdout).toMatch(new RegExp(`landlock\\.abi\\s+${report.landlock.abi ?? 'unknown'}`));
  });

  test.skipIf(!isRoot())('works as an unprivileged user (skipped when not root: the tests above already run unprivileged)', () => {
    const u = runUnpriv(path.join(unprivPackage(), 'dist', 'sbx'), ['probe', '--json']);
    expect(u.status, String(u.stderr)).toBe(0);
    const rep = JSON.parse(String(u.stdout));
    expect(rep.process.uid).toBe(65534);
    expect(rep.landlock.abi).toBe(report.landlock.abi);
    expect(rep.userns.unprivileged).toBe(report.userns.unprivileged);
  });
});
