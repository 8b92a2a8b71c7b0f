/**
 * `sbx run` as a user types it, as root and as uid 65534: the sandbox's view,
 * the flags (--ro, --rw, --net, --env), exit codes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { sbxBin } from './helpers/paths';
import { UNPRIV_UID, isRoot, runUnpriv, unprivPackage } from './helpers/unpriv';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(base = os.tmpdir()): string {
  const d = fs.mkdtempSync(path.join(base, 'sbx-run-cli-'));
  fs.chmodSync(d, 0o777);
  dirs.push(d);
  return d;
}

function sbx(args: string[], cwd: string) {
  return spawnSync(sbxBin, ['run', ...args], { encoding: 'utf8', cwd, env: process.env });
}

const VIEW = 'id -u; hostname; echo ---; ls /proc; echo ---; ls ~; echo home=$?';

function checkView(stdout: string, uid: number) {
  const [head, proc, home] = stdout.split('---\n');
  expect(head.split('\n').slice(0, 2)).toEqual([String(uid), 'sbx']);
  const pids = proc.split('\n').filter((l) => /^\d+$/.test(l));
  expect(pids.length).toBeGreaterThan(0);
  expect(pids.length).toBeLessThanOrEqual(5);
  // ls ~ fails (hidden) or lists an empty tmpfs: nothing of the real home.
  expect(/^([\s\S]*?)home=\d+/.exec(home)?.[1].trim()).toBe('');
}

describe('sbx run (CLI)', () => {
  test('the sandbox\'s view as the calling user', () => {
    const r = sbx(['--', 'sh', '-c', VIEW], tmp());
    expect(r.status).toBe(0);
    checkView(r.stdout, process.getuid!());
  });

  test.skipIf(!isRoot())('the sandbox\'s view as uid 65534', () => {
    const pkg = unprivPackage();
    const cwd = tmp();
    const r = runUnpriv(path.join(pkg, 'dist', 'sbx'), ['run', '--', 'sh', '-c', `${VIEW}; echo w > inside && cat inside`], {
      cwd,
      env: { ...process.env, HOME: '/var/tmp' },
    });
    expect(r.stderr).not.toMatch(/^sbx: /m);
    expect(r.status).toBe(0);
    checkView(r.stdout, UNPRIV_UID);
    expect(r.stdout).toContain('w\n');
    expect(fs.statSync(path.join(cwd, 'inside')).uid).toBe(UNPRIV_UID);
  });

  test('exit codes: own, 127, 126, 125, and death by the same signal', () => {
    const cwd = tmp();
    expect(sbx(['--', 'sh', '-c', 'exit 42'], cwd).status).toBe(42);
    expect(sbx(['--', 'no-such-cmd-sbx'], cwd).status).toBe(127);
    fs.writeFileSync(path.join(cwd, 'x.sh'), 'echo\n', { mode: 0o644 });
    expect(sbx(['--', './x.sh'], cwd).status).toBe(126);
    const bad = sbx(['--policy', 'no-such-preset', '--', 'true'], cwd);
    expect(bad.status).toBe(125);
    expect(bad.stderr).toMatch(/^sbx: policy: .*no-such-preset/m);
    const sig = sbx(['--', 'sh', '-c', 'kill -TERM $$'], cwd);
    expect(sig.signal).toBe('SIGTERM');
  });

  test('--rw binds a directory writable, --ro read-only; without them it is not reachable', () => {
    const cwd = tmp();
    const rw = tmp('/var/tmp');
    const ro = tmp('/var/tmp');
    fs.writeFileSync(path.join(ro, 'r.txt'), 'readable\n');
    const script = `cat ${ro}/r.txt; echo x > ${rw}/w.txt && echo wrote; echo y > ${ro}/n.txt || echo ro-denied`;
    const r = sbx(['--ro', ro, '--rw', rw, '--', 'sh', '-c', script], cwd);
    expect(r.stdout).toBe('readable\nwrote\nro-denied\n');
    expect(fs.readFileSync(path.join(rw, 'w.txt'), 'utf8')).toBe('x\n');
    expect(fs.existsSync(path.join(ro, 'n.txt'))).toBe(false);
    const without = sbx(['--', 'sh', '-c', `cat ${ro}/r.txt || echo denied`], cwd);
    expect(without.stdout).toBe('denied\n');
  });

  test('--net host shares the host network; the default has only loopback', () => {
    const cwd = tmp();
    const count = (out: string) => out.split('\n').slice(2).filter((l) => l.includes(':')).length;
    const host = count(fs.readFileSync('/proc/net/dev', 'utf8'));
    expect(count(sbx(['--', 'cat', '/proc/net/dev'], cwd).stdout)).toBe(1);
    expect(count(sbx(['--net', 'host', '--', 'cat', '/proc/net/dev'], cwd).stdout)).toBe(host);
  });

  test('--env sets a variable; the caller\'s other variables are cleared', () => {
    const r = spawnSync(sbxBin, ['run', '--env', 'A=1', '--', 'sh', '-c', 'echo "$A/$SBX_CALLER_SECRET"'], {
      encoding: 'utf8',
      cwd: tmp(),
      env: { ...process.env, SBX_CALLER_SECRET: 's' },
    });
    expect(r.stdout).toBe('1/\n');
  });

  test('the README\'s command: `sbx run -- ls /` lists the root; file contents outside the read list stay denied', () => {
    const cwd = tmp();
    const ls = sbx(['--', 'ls', '/'], cwd);
    expect(ls.status, String(ls.stderr)).toBe(0);
    expect(String(ls.stdout).split('\n')).toEqual(expect.arrayContaining(['usr', 'etc', 'proc', 'tmp', 'var']));
    // Names may be listed everywhere, contents only under the read list:
    // a world-readable file in /var/tmp is listed but cannot be read...
    const secret = path.join('/var/tmp', `sbx-list-only-${process.pid}`);
    fs.writeFileSync(secret, 'secret\n', { mode: 0o644 });
    try {
      const listed = sbx(['--', 'ls', '/var/tmp'], cwd);
      expect(String(listed.stdout)).toContain(path.basename(secret));
      const read = sbx(['--', 'cat', secret], cwd);
      expect(read.status).not.toBe(0);
      expect(String(read.stderr)).toMatch(/Permission denied/);
      expect(String(read.stdout)).toBe('');
    } finally {
      fs.rmSync(secret, { force: true });
    }
    // ...while a file under the read list is readable.
    const inside = sbx(['--', 'cat', '/etc/hostname'], cwd);
    expect(inside.status, String(inside.stderr)).toBe(0);
  });

  test('paths the fs section names are shown in the new root: writable ones bound rw, hidden ones (/tmp) ro', () => {
    const cwd = tmp();
    const hiddenDir = tmp();                               // under /tmp: hidden by the sandbox's private /tmp
    fs.writeFileSync(path.join(hiddenDir, 'data'), 'visible\n', { mode: 0o644 });
    const out = fs.mkdtempSync('/var/tmp/sbx-fs-bind-');   // outside cwd: read-only in the host view
    fs.chmodSync(out, 0o777);
    dirs.push(out);
    const policy = JSON.stringify({ extends: 'default', fs: { read: [hiddenDir], write: [out] } });
    const r = sbx(['--policy', policy, '--', 'sh', '-c', `cat ${hiddenDir}/data && echo w > ${out}/f && echo x > /var/tmp/sbx-not-granted-${process.pid}`], cwd);
    expect(String(r.stdout)).toBe('visible\n');
    expect(fs.readFileSync(path.join(out, 'f'), 'utf8')).toBe('w\n');
    // The neighbour: a path the policy does not grant stays read-only.
    expect(r.status).not.toBe(0);
    expect(fs.existsSync(`/var/tmp/sbx-not-granted-${process.pid}`)).toBe(false);
    // Without the fs entry the hidden directory is not there at all.
    const hidden = sbx(['--', 'cat', `${hiddenDir}/data`], cwd);
    expect(hidden.status).not.toBe(0);
  });

  // script(1) (util-linux) gives the run a pseudo-terminal.
  const havePty = spawnSync('sh', ['-c', 'command -v script && command -v stty']).status === 0;
  test.skipIf(!havePty)('terminal settings the program changes are the caller\'s again after the run (Node restores its stdio\'s at exit; a pty from script(1); skipped without util-linux)', () => {
    const inPty = (cmd: string) =>
      spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', cwd: tmp(), env: process.env, timeout: 30_000 });
    const echoState = (out: string) => /(^|\s)(-?echo)(\s|$)/m.exec(out.replace(/\r/g, ''))?.[2];
    // The control: a program run by the shell leaves echo off behind it.
    const control = inPty(`sh -c 'stty -echo'; stty -a`);
    expect(echoState(control.stdout), control.stdout).toBe('-echo');
    // After sbx run the caller's settings are back (Node's own exit puts
    // back the terminal settings it found at start); the program did run
    // (it printed, and its own stty saw echo off).
    const r = inPty(`${sbxBin} run -- sh -c 'stty -echo; stty -a | grep -o -- " -echo " ; echo ran'; stty -a`);
    expect(r.stdout, r.stdout).toMatch(/ -echo \r?\nran/);
    expect(echoState(r.stdout.split('ran')[1]), r.stdout).toBe('echo');
  });

  test.skipIf(!havePty)('the program cannot make the caller\'s terminal exclusive (TIOCEXCL refused; TIOCGWINSZ works)', () => {
    const py = (ioctl: string) =>
      `import fcntl,termios\ntry:\n    fcntl.ioctl(0, termios.${ioctl}, bytes(8))\n    print("${ioctl} ok")\nexcept OSError as e:\n    print("${ioctl} errno", e.errno)`;
    // The control: without sbx the ioctl works on the pty.
    const control = spawnSync('script', ['-qec', `/usr/bin/python3 -c '${py('TIOCEXCL')}'`, '/dev/null'], { encoding: 'utf8', cwd: tmp(), timeout: 30_000 });
    expect(control.stdout).toContain('TIOCEXCL ok');
    const r = spawnSync('script', ['-qec', `${sbxBin} run -- /usr/bin/python3 -c '${py('TIOCEXCL')}'; ${sbxBin} run -- /usr/bin/python3 -c '${py('TIOCGWINSZ')}'`, '/dev/null'],
      { encoding: 'utf8', cwd: tmp(), env: process.env, timeout: 30_000 });
    expect(r.stdout, r.stdout).toContain('TIOCEXCL errno 1');
    expect(r.stdout, r.stdout).toContain('TIOCGWINSZ ok');
  });

  test('usage errors exit 2', () => {
    expect(sbx([], tmp()).status).toBe(2);
    expect(sbx(['--net', 'bogus', '--', 'true'], tmp()).status).toBe(2);
  });
});
