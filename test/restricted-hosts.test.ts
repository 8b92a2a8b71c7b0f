/**
 * Restricted hosts (issue 25, docs/security-model.md "Restricted hosts"): each restriction made
 * for real around `sbx run` / `sbx.run`, as root and as uid 65534:
 *
 * - mounting refused inside the user namespace (the pattern of Ubuntu 24.04's AppArmor
 *   restriction): a seccomp layer refusing the mount family, put on by the preload door;
 * - user namespaces disabled: an enclosing user namespace whose user.max_user_namespaces is 0;
 * - a container: Docker's default seccomp profile with Docker's capability set (preload door);
 * - no_new_privs already set; cgroups not delegated.
 *
 * Each asserts that the command runs, that confinement still holds (a host secret stays
 * unreadable while a file of the working directory is read; an internet socket stays refused
 * while socketpair() works) and what is said: one line on stderr naming the layer and the
 * host's reason, the same in result.skipped and `sbx probe`. This machine has no AppArmor
 * (no /sys/kernel/security/apparmor): the real restriction is not tested here.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, releaseDir, repoRoot } from './helpers/paths';
import { isRoot, unprivNode, unprivPackage } from './helpers/unpriv';

const PY = '/usr/bin/python3';
const hasPy = fs.existsSync(PY);
const LIMIT_SH = path.join(repoRoot, 'test', 'helpers', 'userns-limit.sh');
/** Docker's default capability set (moby's oci/caps/defaults.go). */
const DOCKER_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'];
const MOUNT_FAMILY = ['mount', 'mount_setattr', 'open_tree', 'move_mount', 'fsopen', 'fsmount', 'fsconfig', 'fspick', 'pivot_root', 'umount2'];

let base: string; // world-readable: the secret, the working directories, a copy of the profile
let secret: string;

beforeAll(() => {
  // Not under /tmp: without a private /tmp the host's /tmp is what the policy's fs rules allow.
  base = fs.mkdtempSync('/var/tmp/sbx-hosts-');
  fs.chmodSync(base, 0o755);
  fs.mkdirSync(path.join(base, 'private'));
  secret = path.join(base, 'private', 'secret');
  fs.writeFileSync(secret, 'TOPSECRET\n', { mode: 0o644 });
  fs.chmodSync(path.join(base, 'private'), 0o755);
  fs.copyFileSync(path.join(repoRoot, 'test/fixtures/seccomp/docker-default.json'), path.join(base, 'docker-default.json'));
  fs.chmodSync(path.join(base, 'docker-default.json'), 0o644);
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

type User = 'root' | 'unpriv';
const USERS: User[] = ['root', 'unpriv'];

/** A fresh working directory uid 65534 may write, with a file the program may read. */
function workdir(): string {
  const d = fs.mkdtempSync(path.join(base, 'cwd-'));
  fs.chmodSync(d, 0o777);
  fs.writeFileSync(path.join(d, 'allowed'), 'ALLOWED\n', { mode: 0o644 });
  return d;
}

/** What the sandboxed program reports: the secret, the neighbour file, sockets. */
function probeScript(): string[] {
  const py =
    'import socket\n' +
    'try:\n socket.socket(socket.AF_INET, socket.SOCK_STREAM); print("INET-OPEN")\n' +
    'except PermissionError: print("INET-DENIED")\n' +
    'a, b = socket.socketpair(); print("SOCKETPAIR-OK")\n';
  return ['/bin/sh', '-c', `echo hi; cat ${secret} 2>/dev/null || echo SECRET-DENIED; cat ./allowed; ${PY} -c '${py}'`];
}

function expectConfined(stdout: string) {
  expect(stdout).toMatch(/^hi\n/);
  expect(stdout).not.toContain('TOPSECRET');
  expect(stdout).toContain('SECRET-DENIED');
  expect(stdout).toContain('ALLOWED\n'); // the neighbour: a file of the working directory
  expect(stdout).toContain('INET-DENIED');
  expect(stdout).not.toContain('INET-OPEN');
  expect(stdout).toContain('SOCKETPAIR-OK'); // the neighbour: socketpair() is allowed
}

function pkg(user: User) {
  const root = user === 'unpriv' ? unprivPackage() : repoRoot;
  return {
    node: user === 'unpriv' ? unprivNode() : process.execPath,
    cli: user === 'unpriv' ? path.join(root, 'dist', 'cli.js') : cliPath,
    index: path.join(root, 'dist', 'index.js'),
    libsbx: user === 'unpriv' ? path.join(root, 'build', 'Release', 'libsbx.so') : path.join(releaseDir, 'libsbx.so'),
  };
}

/** argv as `user` (setpriv for uid 65534), under `pre` (a command prefix: setpriv, unshare...). */
function run(user: User, argv: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; pre?: string[] }) {
  const as = user === 'unpriv' ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] : [];
  const all = [...(opts.pre ?? []), ...as, ...argv];
  return spawnSync(all[0], all.slice(1), { cwd: opts.cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: base, ...opts.env } });
}

/** The preload door's policy for the enclosing "host": everything readable, the working directory, /dev and /proc writable. */
function hostPolicy(cwd: string, extra: Record<string, unknown>): string {
  return JSON.stringify({ version: 1, fs: { read: ['/'], write: [cwd, '/dev', '/proc'], exec: ['/'] }, ...extra });
}

/** The lines sbx itself wrote on stderr. */
const sbxLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('sbx: '));

/** sbx.run twice from one process (the spawn server: the second sandbox uses what the first learnt). */
function apiScript(index: string, argv: string[], opts: Record<string, unknown> = {}): string {
  return `const sbx = require(${JSON.stringify(index)});
(async () => { const out = [];
  for (let i = 0; i < 2; i++) { const r = await sbx.run(${JSON.stringify(argv[0])}, ${JSON.stringify(argv.slice(1))}, ${JSON.stringify(opts)});
    out.push({ code: r.code, stdout: r.stdout, stderr: r.stderr, skipped: r.skipped, notice: r.notice }); }
  const p = sbx.probe().spawn;
  console.log(JSON.stringify({ runs: out, probe: p })); })();`;
}

interface ApiOut {
  runs: Array<{ code: number; stdout: string; stderr: string; skipped: Array<{ layer: string; reason: string }>; notice?: string }>;
  probe: { skipped: Array<{ layer: string; reason: string }> };
}

describe.skipIf(!hasPy)('restricted hosts (needs /usr/bin/python3 for the socket checks)', () => {
  describe('mounting refused inside the user namespace (a seccomp layer: the AppArmor pattern)', () => {
    for (const user of USERS) {
      it.skipIf(user === 'unpriv' && !isRoot())(`${user}: runs without the view, confined, one line; --quiet; enforce refuses`, () => {
        const cwd = workdir();
        const p = pkg(user);
        const env = { SBX_POLICY: hostPolicy(cwd, { seccomp: { default: 'allow', deny: MOUNT_FAMILY } }), LD_PRELOAD: p.libsbx };
        const r = run(user, [p.node, p.cli, 'run', '--', ...probeScript()], { cwd, env });
        expect(r.status, r.stderr).toBe(0);
        expectConfined(r.stdout);
        const lines = sbxLines(r.stderr);
        expect(lines, r.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(/^sbx: a seccomp filter on this process refuses mount \(EPERM[^)]*\): running without the read-only view and private \/tmp \(the host's \/tmp/);
        expect(lines[0]).toMatch(/still enforced: the policy's Landlock and seccomp rules, the user\/pid\/network\/ipc\/uts\/cgroup namespaces/);
        expect(r.stderr).not.toMatch(/No space left|unshare:|\(\/root\)/);

        const q = run(user, [p.node, p.cli, 'run', '--quiet', '--', ...probeScript()], { cwd, env });
        expect(q.status, q.stderr).toBe(0);
        expectConfined(q.stdout);
        expect(sbxLines(q.stderr)).toEqual([]);

        const e = run(user, [p.node, p.cli, 'run', '--policy', '{"extends":"default","namespaces":{"compat":"enforce"}}', '--', '/bin/echo', 'ran'], { cwd, env });
        expect(e.status).toBe(125);
        expect(e.stdout).toBe('');
        expect(e.stderr).toMatch(/^sbx: rootfs: root and mounts: the host refuses it: a seccomp filter on this process refuses mount .*the policy requires it .*\(in the policy at \/namespaces\)\n/);
      });

      it.skipIf(user === 'unpriv' && !isRoot())(`${user}: sbx.run says it in result.skipped and notice, sbx probe says the same first`, () => {
        const cwd = workdir();
        const p = pkg(user);
        const env = { SBX_POLICY: hostPolicy(cwd, { seccomp: { default: 'allow', deny: MOUNT_FAMILY } }), LD_PRELOAD: p.libsbx };
        const r = run(user, [p.node, '-e', apiScript(p.index, probeScript())], { cwd, env });
        expect(r.status, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout) as ApiOut;
        for (const x of out.runs) {
          expect(x.code, x.stderr).toBe(0);
          expectConfined(x.stdout);
          expect(x.stderr).toBe(''); // the program's stderr stays the program's
          const view = x.skipped.find((s) => s.layer === 'root and mounts');
          expect(view?.reason).toMatch(/^a seccomp filter on this process refuses mount \(EPERM/);
          expect(x.skipped.map((s) => s.layer)).not.toContain('namespaces.user');
          expect(x.notice).toMatch(/running without the read-only view/);
        }
        // The probe, before any sandbox of its own: the same layer and words.
        expect(out.probe.skipped).toEqual([out.runs[0].skipped.find((s) => s.layer === 'root and mounts')]);
        // Said once per process, as a warning on Node's own stderr.
        expect(r.stderr.match(/SBX_LAYER_SKIPPED/g) ?? []).toHaveLength(1);
      });
    }
  });

  describe('user namespaces disabled (an enclosing user namespace with user.max_user_namespaces=0)', () => {
    for (const user of USERS) {
      it.skipIf(!isRoot())(`${user}: runs with Landlock and seccomp, one line naming the sysctl`, () => {
        const cwd = workdir();
        const p = pkg(user);
        const uid = user === 'root' ? '0' : '65534';
        const r = run('root', [LIMIT_SH, uid, p.node, p.cli, 'run', '--', ...probeScript()], { cwd });
        expect(r.status, r.stderr).toBe(0);
        expectConfined(r.stdout);
        const lines = sbxLines(r.stderr);
        expect(lines, r.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(/^sbx: user namespaces are disabled \(user\.max_user_namespaces=0\): running without a user namespace/);
        if (user === 'unpriv') {
          // Without a user namespace an unprivileged caller gets none of the others.
          expect(lines[0]).toMatch(/the read-only view and private \/tmp .*a pid namespace .*a network namespace \(the policy's net rules still hold: seccomp and Landlock\)/);
        } else {
          // Root of the enclosing namespace makes the other kinds without one.
          expect(lines[0]).toMatch(/still enforced: .*the pid\/network\/mount\/ipc\/uts\/cgroup namespaces/);
        }
        expect(r.stderr).not.toMatch(/No space left on device/);

        const a = run('root', [LIMIT_SH, uid, p.node, '-e', apiScript(p.index, probeScript())], { cwd });
        expect(a.status, a.stderr).toBe(0);
        const out = JSON.parse(a.stdout) as ApiOut;
        for (const x of out.runs) {
          expect(x.code, x.stderr).toBe(0);
          expectConfined(x.stdout);
          expect(x.skipped).toContainEqual({ layer: 'namespaces.user', reason: 'user namespaces are disabled (user.max_user_namespaces=0)' });
        }
        expect(out.probe.skipped).toContainEqual({ layer: 'namespaces.user', reason: 'user namespaces are disabled (user.max_user_namespaces=0)' });
        // The probe lists the layers refused, not what follows from them (limits, fs.protect with the view).
        const loud = out.runs[0].skipped.filter((s) => !s.layer.startsWith('limits.') && !s.reason.startsWith('no mount namespace'));
        expect(out.probe.skipped).toEqual(loud);

        // enforce: refused, naming the layer and the sysctl
        const e = run('root', [LIMIT_SH, uid, p.node, p.cli, 'run', '--policy', '{"extends":"default","namespaces":{"compat":"enforce"}}', '--', '/bin/echo', 'ran'], { cwd });
        expect(e.status).toBe(125);
        expect(e.stdout).toBe('');
        expect(e.stderr).toMatch(/namespaces\.user: the host refuses it: user namespaces are disabled \(user\.max_user_namespaces=0\)/);
      });
    }
  });

  describe('no network namespace: the net section by seccomp and Landlock alone', () => {
    it.skipIf(!isRoot())('unpriv: internet sockets a policy kept to its own network namespace are refused; --net host still opens them', () => {
      const cwd = workdir();
      const p = pkg('unpriv');
      const inet = JSON.stringify({ extends: 'default', net: { inet: true } });
      const a = run('root', [LIMIT_SH, '65534', p.node, '-e', apiScript(p.index, probeScript(), { policy: inet })], { cwd });
      expect(a.status, a.stderr).toBe(0);
      const out = JSON.parse(a.stdout) as ApiOut;
      for (const x of out.runs) {
        expect(x.code, x.stderr).toBe(0);
        expectConfined(x.stdout);
        expect(x.skipped).toContainEqual({ layer: 'net.inet', reason: "no network namespace: internet sockets are refused (they would reach the host's network)" });
        expect(x.notice).toMatch(/a network namespace \(internet sockets are refused instead, loopback too\)/);
      }
      // The neighbour: --net host asks for no namespace, and gets internet sockets.
      const h = run('root', [LIMIT_SH, '65534', p.node, p.cli, 'run', '--net', 'host', '--', ...probeScript()], { cwd });
      expect(h.status, h.stderr).toBe(0);
      expect(h.stdout).toContain('INET-OPEN');
      expect(h.stdout).toContain('SECRET-DENIED');
    });
  });

  describe("a container: Docker's default seccomp profile and capability set", () => {
    for (const user of USERS) {
      it.skipIf(user === 'unpriv' && !isRoot())(`${user}: runs with Landlock and seccomp, one line`, () => {
        const cwd = workdir();
        const p = pkg(user);
        // Root gets Docker's capability set; uid 65534 has none to keep (and its setpriv could
        // not switch uid without CAP_SETUID kept).
        const policy = hostPolicy(cwd, {
          ...(user === 'root' ? { capabilities: { keep: DOCKER_CAPS.map((c) => `CAP_${c}`) } } : {}),
          seccomp: { import: path.join(base, 'docker-default.json') },
        });
        const env = { SBX_POLICY: policy, LD_PRELOAD: p.libsbx };
        const r = run(user, [p.node, p.cli, 'run', '--', ...probeScript()], { cwd, env });
        expect(r.status, r.stderr).toBe(0);
        expectConfined(r.stdout);
        const lines = sbxLines(r.stderr);
        expect(lines, r.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(/^sbx: (inside a container without CAP_SYS_ADMIN \(its seccomp profile refuses unshare: EPERM\)|a seccomp filter on this process refuses unshare \(EPERM)/);
        expect(lines[0]).toMatch(/running without a user namespace/);
      });
    }
  });

  describe('no_new_privs already set', () => {
    for (const user of USERS) {
      it.skipIf(user === 'unpriv' && !isRoot())(`${user}: every layer the host gives, nothing said`, () => {
        const cwd = workdir();
        const p = pkg(user);
        const probe = run(user, [p.node, p.cli, 'probe', '--json'], { cwd });
        const expected = (JSON.parse(probe.stdout) as { spawn: { skipped: unknown[] } }).spawn.skipped;
        const r = run(user, [p.node, p.cli, 'run', '--', ...probeScript()], { cwd, pre: ['setpriv', '--no-new-privs', '--'] });
        expect(r.status, r.stderr).toBe(0);
        expectConfined(r.stdout);
        // What the probe said of this host without no_new_privs: no_new_privs changes nothing of it.
        expect(sbxLines(r.stderr).length).toBe(expected.length ? 1 : 0);
        const s = fs.readFileSync('/proc/self/status', 'utf8');
        expect(s).toMatch(/NoNewPrivs:\s+0/); // the test runner itself was not changed
      });
    }
  });

  describe('cgroups not delegated (the default presets\' best-effort limits)', () => {
    for (const user of USERS) {
      it.skipIf(!isRoot())(`${user}: limits skipped quietly, listed in result.skipped`, () => {
        const cwd = workdir();
        const p = pkg(user);
        // An empty tmpfs over /sys/fs/cgroup (a private mount namespace): no cgroup for sbx.
        // (Under the preload door Landlock would refuse the view's mounts too.)
        const pre = ['unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c', 'mount -t tmpfs none /sys/fs/cgroup && exec "$@"', 'sh'];
        const env = {};
        const r = run(user, [p.node, p.cli, 'run', '--', ...probeScript()], { cwd, pre });
        expect(r.status, r.stderr).toBe(0);
        expectConfined(r.stdout);
        expect(sbxLines(r.stderr)).toEqual([]);
        const a = run(user, [p.node, '-e', apiScript(p.index, probeScript())], { cwd, env, pre });
        expect(a.status, a.stderr).toBe(0);
        const out = JSON.parse(a.stdout) as ApiOut;
        // pids falls back to RLIMIT_NPROC for uid 65534 (docs/spawn.md, "Limits"): not skipped.
        expect(out.runs[0].skipped.map((s) => s.layer)).toEqual(user === 'root' ? ['limits.memory', 'limits.pids'] : ['limits.memory']);
        expect(out.runs[0].skipped.every((s) => s.layer.startsWith('limits.'))).toBe(true);
        expect(out.runs[0].notice).toBeUndefined();
        expect(a.stderr).not.toMatch(/SBX_LAYER_SKIPPED/);
      });
    }
  });
});

describe('sbx probe: the spawn section', () => {
  it('says what this host gives, in the words of result.skipped', () => {
    const r = spawnSync(process.execPath, [cliPath, 'probe', '--json'], { encoding: 'utf8', cwd: os.tmpdir() });
    expect(r.status, r.stderr).toBe(0);
    const s = (JSON.parse(r.stdout) as { spawn: Record<string, unknown> }).spawn;
    // Independent check: util-linux's unshare on the same host.
    const userns = spawnSync('unshare', ['-U', 'true']).status === 0;
    expect(s.userNamespace).toBe(userns);
    expect(Array.isArray(s.skipped)).toBe(true);
    if (userns) expect(s.skipped).not.toContainEqual(expect.objectContaining({ layer: 'namespaces.user' }));
  });
});
