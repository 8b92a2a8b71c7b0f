/**
 * Violation reports (`report: true` / `options.report` / `sbx run --report`):
 * a supervisor answers each denied call with the policy's errno (the program
 * sees the same failure as without reporting and goes on) and reports it as
 * a 'violation' event and in `result.violations`. An allowed neighbour call
 * (an AF_UNIX socket) is not reported; without `report` nothing is.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cliPath, repoRoot } from './helpers/paths';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sbx = require(path.join(repoRoot, 'dist', 'index.js')) as typeof import('../lib/index');

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-viol-'));
  dirs.push(d);
  return d;
}

// The system python: a pyenv shim under $HOME would not be visible inside.
const PY = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SCRIPT = `
import errno, os, socket
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(("127.0.0.1", 9))
    print("inet: connected")
except OSError as e:
    print("inet:", errno.errorcode.get(e.errno, e.errno))
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    u.connect("/nonexistent-sbx-socket")
except OSError as e:
    print("unix:", errno.errorcode.get(e.errno, e.errno))
print("pid", os.getpid())
print("went on")
`;

// AF_UNIX sockets allowed (the default denies them): the allowed neighbour.
const POLICY = { extends: 'default', net: { unix: 'all' as const } };
// Without the preset's limits: with limits and no pid namespace the launcher
// stays as their supervisor and forks the program (docs/spawn.md, "Limits").
const NO_NS = { ...POLICY, namespaces: { user: false, pid: false, net: false, mount: false, ipc: false, uts: false, cgroup: false }, limits: { pids: 'unlimited', memory: 'unlimited' } };

describe('violation reports', () => {
  test('report: socket(AF_INET) fails with EPERM, the program goes on, the event names socket and its family', async () => {
    const child = sbx.spawn(PY, ['-c', SCRIPT], { cwd: tmp(), report: true, policy: POLICY });
    const events: Array<import('../lib/index').Violation> = [];
    child.on('violation', (v) => events.push(v));
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const code = await new Promise((r) => child.once('close', r));
    expect(code).toBe(0);
    expect(out).toContain('inet: EPERM\n');
    expect(out).toContain('unix: ENOENT\n');
    expect(out).toContain('went on\n');
    const inet = events.filter((v) => v.syscall === 'socket');
    expect(inet).toHaveLength(1);
    expect(inet[0]).toMatchObject({ type: 'violation', syscall: 'socket', errno: 1, nr: expect.any(Number) });
    expect(inet[0].args[0]).toBe(2); // AF_INET
    expect(inet[0].text).toMatch(/^socket\(AF_INET, SOCK_STREAM/);
    // The pid is the program's, as the sandbox sees it.
    expect(out).toContain(`pid ${inet[0].pid}\n`);
    // The AF_UNIX socket and its connect were allowed: not reported.
    expect(events.filter((v) => v.args[0] === 1)).toEqual([]);
    expect(child.violations).toEqual(events);
  });

  test('without report: the same EPERM, no event', async () => {
    const child = sbx.spawn(PY, ['-c', SCRIPT], { cwd: tmp(), policy: POLICY });
    let n = 0;
    child.on('violation', () => n++);
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    await new Promise((r) => child.once('close', r));
    expect(out).toContain('inet: EPERM\n');
    expect(out).toContain('went on\n');
    expect(n).toBe(0);
    expect(child.violations).toEqual([]);
  });

  test('sbx.run: result.violations; a policy errno other than EPERM is kept', async () => {
    const policy = { extends: 'default', seccomp: { rules: [{ syscall: 'uname', action: 'errno:EACCES' }] } };
    const r = await sbx.run(PY, ['-c', 'import os\ntry: os.uname()\nexcept OSError as e: print(e.errno)'], { cwd: tmp(), policy, report: true });
    expect(r.stdout.trim()).toBe(String(os.constants.errno.EACCES));
    const v = r.violations.filter((x) => x.syscall === 'uname');
    expect(v).toHaveLength(1);
    expect(v[0].errno).toBe(os.constants.errno.EACCES);
  });

  test('child.sandbox resolves while the program still runs (the supervisor holds the channel)', async () => {
    const child = sbx.spawn('/bin/sh', ['-c', 'read x; echo got $x'], { cwd: tmp(), report: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const rep = await child.sandbox;
    expect(rep.started).toBe(true);
    expect(child.exitCode).toBe(null);
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stdin!.end('hi\n');
    await new Promise((r) => child.once('close', r));
    expect(out).toBe('got hi\n');
  });

  test('without namespaces: reported with the host pid of the program', async () => {
    const child = sbx.spawn(PY, ['-c', SCRIPT], { cwd: tmp(), report: true, policy: NO_NS });
    const events: Array<import('../lib/index').Violation> = [];
    child.on('violation', (v) => events.push(v));
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    await new Promise((r) => child.once('close', r));
    expect(out).toContain('went on\n');
    const inet = events.filter((v) => v.syscall === 'socket');
    expect(inet).toHaveLength(1);
    // No pid namespace: the launcher became the program.
    expect(inet[0].pid).toBe(child.pid);
  });

  // A program that retries a denied call: 100 reported one by one, the rest
  // counted; a different denied call after them is still reported.
  const RETRY = `
import errno, os, socket
n = 0
for i in range(1000):
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    except OSError as e:
        n += e.errno == errno.EPERM
print("eperm", n)
try: os.uname()
except OSError as e: print("uname", errno.errorcode.get(e.errno, e.errno))
`;
  const RETRY_POLICY = { extends: 'default', seccomp: { rules: [{ syscall: 'uname', action: 'errno:EACCES' }] } };
  for (const [label, policy] of [['pid namespace', RETRY_POLICY], ['no namespaces', { ...RETRY_POLICY, namespaces: NO_NS.namespaces }]] as const) {
    test(`a call denied 1000 times: 100 violations, then a count of 900 (${label}); the program sees every EPERM`, async () => {
      const r = await sbx.run(PY, ['-c', RETRY], { cwd: tmp(), policy, report: true });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('eperm 1000\nuname EACCES\n');
      const sock = r.violations.filter((v) => v.syscall === 'socket');
      expect(sock).toHaveLength(100);
      expect(sock.slice(0, 99).every((v) => v.last === undefined)).toBe(true);
      expect(sock[99].last).toBe(true);
      // The neighbour: another call, denied after the cap, is reported in full.
      expect(r.violations.filter((v) => v.syscall === 'uname')).toHaveLength(1);
      expect(r.violationsUnshown).toEqual([{ syscall: 'socket', nr: sock[0].nr, arch: expect.any(Number), shared: false, count: 900 }]);
    });
  }

  test('sbx run --report: 100 lines of a call, then what was only counted', () => {
    const r = spawnSync(process.execPath, [cliPath, 'run', '--report', '--policy', JSON.stringify(RETRY_POLICY), '--', PY, '-c', RETRY], { cwd: tmp(), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('eperm 1000\nuname EACCES\n');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.filter((l) => l.startsWith('sbx: denied socket('))).toHaveLength(100);
    expect(lines).toContain('sbx: socket() denied 100 times: further denials are counted, not shown');
    expect(lines.filter((l) => /^sbx: denied uname\(/.test(l))).toHaveLength(1);
    expect(lines[lines.length - 1]).toBe('sbx: socket() denied 900 more times (not shown)');
  });

  test('a policy that denies sendmsg cannot report: a clear setup error', async () => {
    const r = await sbx.run('/bin/true', [], { cwd: tmp(), report: true, policy: { extends: 'default', seccomp: { deny: ['sendmsg'] } } });
    expect(r.reason).toBe('setup-failed');
    expect(r.error?.step).toBe('report');
    expect(r.error?.message).toMatch(/sendmsg/);
  });

  test('sbx run --report prints the denial on stderr', () => {
    const r = spawnSync(process.execPath, [cliPath, 'run', '--report', '--policy', JSON.stringify(POLICY), '--', PY, '-c', SCRIPT], { cwd: tmp(), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('went on');
    expect(r.stderr).toMatch(/^sbx: denied socket\(AF_INET, SOCK_STREAM(\|SOCK_CLOEXEC)?, 0\) in pid \d+; allow it with --net host \(policy net\.inet\)$/m);
    const plain = spawnSync(process.execPath, [cliPath, 'run', '--policy', JSON.stringify(POLICY), '--', PY, '-c', SCRIPT], { cwd: tmp(), encoding: 'utf8' });
    expect(plain.stdout).toContain('inet: EPERM');
    expect(plain.stderr).not.toContain('sbx: denied');
  });
});
