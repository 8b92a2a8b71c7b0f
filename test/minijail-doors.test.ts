/**
 * A minijail policy (`seccomp.import` of a `.policy` file, docs/minijail-import.md)
 * confines real programs through each door, as root and as uid 65534:
 *
 * - allowlists (test/fixtures/minijail/doors): /bin/cat works under cat.policy
 *   and /bin/ls, which needs calls it does not list, is killed (SIGSYS), as
 *   minijail kills; python3 works under python.policy, whose argument rules
 *   kill socket() of a family other than AF_UNIX and memory mapped writable
 *   and executable, and an unlisted call (getppid) kills;
 * - a @denylist (denylist.policy): the calls it names return its errno
 *   (socket(AF_INET) EACCES, mkdir EROFS) and everything else works.
 *
 * Doors: spawn (`sbx run --policy FILE`, and `sbx.run()` from Node), preload
 * (`SBX_POLICY=FILE LD_PRELOAD=libsbx.so`) and self (`lockdown()` in a child
 * Node). The self door gets the @denylist only: an allowlist has to name every
 * call Node, V8, libuv's threads and io_uring make, which changes with each
 * Node version (npm test runs Node 20, 22 and 24), so such a test would check
 * the list rather than sbx. Every refusal sits next to an allowed neighbour in
 * the same sandbox, and the refused programs are shown to work without sbx.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { forNode } from './helpers/node';
import { releaseDir, repoRoot } from './helpers/paths';
import { isRoot, runUnpriv, unprivNode, unprivPackage } from './helpers/unpriv';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sbx = require(path.join(repoRoot, 'dist', 'index.js')) as typeof import('../lib/index');

type User = 'root' | 'unpriv';
const users: User[] = isRoot() ? ['root', 'unpriv'] : ['unpriv'];
const PY = '/usr/bin/python3';
const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'minijail', 'doors');
const BASE_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };

/** World-readable, root-owned, outside /tmp (the spawn door's /tmp is its own): the policies (JSON beside each .policy, importing it by a relative path), probe.py, libsbx.so. */
let shared: string;
let home: string;
let lib: string;
const policy = (name: string) => path.join(shared, `${name}.json`);
const probe = () => path.join(shared, 'probe.py');

beforeAll(() => {
  shared = fs.mkdtempSync(path.join('/var/tmp', 'sbx-minijail-doors-'));
  fs.cpSync(FIXTURES, shared, { recursive: true });
  for (const name of ['cat', 'python', 'denylist']) {
    fs.writeFileSync(policy(name), JSON.stringify({ version: 1, seccomp: { import: `${name}.policy` } }));
  }
  home = fs.mkdtempSync(path.join('/var/tmp', 'sbx-minijail-home-'));
  lib = path.join(shared, 'libsbx.so');
  fs.copyFileSync(path.join(releaseDir, 'libsbx.so'), lib);
  spawnSync('chmod', ['-R', 'a+rX', shared, home]);
});
afterAll(() => {
  for (const d of [shared, home]) fs.rmSync(d, { recursive: true, force: true });
});

/** A working directory the user may write, with hello.txt in it. */
function workDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-minijail-cwd-'));
  fs.chmodSync(d, 0o777);
  fs.writeFileSync(path.join(d, 'hello.txt'), 'hello\n', { mode: 0o666 });
  return d;
}

function exec(user: User, cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  // HOME: without it python3 asks the passwd database (nscd's socket), which the allowlist does not grant;
  // its own directory: the spawn door refuses a working directory that is $HOME, and hides $HOME.
  const opts = { encoding: 'utf8' as const, cwd, env: { ...BASE_ENV, HOME: home }, timeout: 60_000 };
  const r = user === 'root' ? spawnSync(cmd, args, opts) : runUnpriv(cmd, args, opts);
  if (r.error) throw r.error;
  return r as SpawnSyncReturns<string>;
}
const show = (r: SpawnSyncReturns<string>) => `status ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

/** The program under a door, or (door null) unconfined: the control. */
type Door = 'spawn' | 'preload' | null;
function confined(door: Door, user: User, cwd: string, name: string, cmd: string, args: string[]) {
  if (door === 'spawn') {
    const cli = path.join(user === 'root' ? repoRoot : unprivPackage(), 'dist', 'cli.js');
    return exec(user, process.execPath, [cli, 'run', '--policy', policy(name), '--', cmd, ...args], cwd);
  }
  if (door === 'preload') return exec(user, '/usr/bin/env', [`SBX_POLICY=${policy(name)}`, `LD_PRELOAD=${lib}`, cmd, ...args], cwd);
  return exec(user, cmd, args, cwd);
}

/** Killed by the filter: SIGSYS. The spawn door's CLI dies of its command's signal; env exec()s into the program. */
function killedBySigsys(r: SpawnSyncReturns<string>) {
  expect(r.signal, show(r)).toBe('SIGSYS');
}

const ALL_STEPS = ['read', 'write', 'unix', 'inet', 'pair', 'rw', 'rwx', 'mkdir', 'getppid'];

for (const door of ['spawn', 'preload'] as const) {
  for (const user of users) {
    describe(`minijail policy, ${door} door, as ${user}`, () => {
      test('allowlist cat.policy: cat reads a file; ls, which needs calls the policy does not list, is killed', () => {
        const cwd = workDir();
        try {
          const cat = confined(door, user, cwd, 'cat', '/bin/cat', ['hello.txt']);
          expect(cat.status, show(cat)).toBe(0);
          expect(cat.stdout).toBe('hello\n');
          const lsFree = confined(null, user, cwd, 'cat', '/bin/ls', []);
          expect(lsFree.stdout, show(lsFree)).toContain('hello.txt'); // control
          const ls = confined(door, user, cwd, 'cat', '/bin/ls', []);
          killedBySigsys(ls);
          expect(ls.stdout).toBe('');
        } finally {
          fs.rmSync(cwd, { recursive: true, force: true });
        }
      });

      test('allowlist python.policy: python3 does files, unix sockets and W^X memory; AF_INET, RWX memory and getppid kill', () => {
        const cwd = workDir();
        try {
          const free = confined(null, user, cwd, 'python', PY, [probe(), ...ALL_STEPS]);
          expect(free.stdout, show(free)).toBe(ALL_STEPS.map((s) => `${s} ok\n`).join('')); // control
          fs.rmSync(path.join(cwd, 'newdir'), { recursive: true });
          const ok = ['read', 'write', 'unix', 'pair', 'rw', 'mkdir'];
          const r = confined(door, user, cwd, 'python', PY, [probe(), ...ok]);
          expect(r.status, show(r)).toBe(0);
          expect(r.stdout).toBe(ok.map((s) => `${s} ok\n`).join(''));
          expect(fs.readFileSync(path.join(cwd, 'out.txt'), 'utf8')).toBe('x');
          expect(fs.statSync(path.join(cwd, 'newdir')).isDirectory()).toBe(true);
          for (const step of ['inet', 'rwx', 'getppid']) {
            // The listed neighbour runs first in the same process, then the refused call kills it.
            const k = confined(door, user, cwd, 'python', PY, [probe(), 'read', step]);
            killedBySigsys(k);
            expect(k.stdout, step).toBe('read ok\n');
          }
        } finally {
          fs.rmSync(cwd, { recursive: true, force: true });
        }
      });

      test('@denylist: socket(AF_INET) returns EACCES and mkdir EROFS, as the policy says; every other call works', () => {
        const cwd = workDir();
        try {
          const r = confined(door, user, cwd, 'denylist', PY, [probe(), ...ALL_STEPS]);
          expect(r.status, show(r)).toBe(0);
          const want = Object.fromEntries(ALL_STEPS.map((s) => [s, 'ok']));
          want.inet = 'EACCES';
          want.mkdir = 'EROFS';
          expect(r.stdout).toBe(ALL_STEPS.map((s) => `${s} ${want[s]}\n`).join(''));
          expect(fs.existsSync(path.join(cwd, 'newdir'))).toBe(false);
          expect(fs.readFileSync(path.join(cwd, 'out.txt'), 'utf8')).toBe('x');
        } finally {
          fs.rmSync(cwd, { recursive: true, force: true });
        }
      });
    });
  }
}

describe('minijail policy, spawn door from Node (sbx.run)', () => {
  test('the import named in a policy object: cat works, ls is killed by SIGSYS', async () => {
    const cwd = workDir();
    try {
      const p = { version: 1, seccomp: { import: path.join(shared, 'cat.policy') } };
      const cat = await sbx.run('/bin/cat', ['hello.txt'], { cwd, policy: p });
      expect(cat.code, cat.stderr).toBe(0);
      expect(cat.stdout).toBe('hello\n');
      const ls = await sbx.run('/bin/ls', [], { cwd, policy: p });
      expect(ls.signal, JSON.stringify(ls)).toBe('SIGSYS');
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  test('a policy key after the import replaces its kill: default errno:EPERM makes ls fail instead of die', async () => {
    const cwd = workDir();
    try {
      const p = { version: 1, seccomp: { import: path.join(shared, 'cat.policy'), default: 'errno:EPERM' } };
      const ls = await sbx.run('/bin/ls', [], { cwd, policy: p });
      expect(ls.signal, JSON.stringify(ls)).toBeNull();
      expect(ls.code).not.toBe(0);
      expect(ls.stderr).toMatch(/Operation not permitted/);
      const cat = await sbx.run('/bin/cat', ['hello.txt'], { cwd, policy: p });
      expect(cat.stdout).toBe('hello\n');
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  test('--explain names the minijail policy and its kill for unlisted calls', () => {
    const r = exec('root', process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'run', '--explain', '--policy', policy('cat'), '--', '/bin/cat'], shared);
    expect(r.stdout, show(r)).toMatch(/unless a rule below says otherwise, a call will kill the process\./);
    expect(r.stdout).toContain(`the rules of the minijail policy ${path.join(shared, 'cat.policy')}.`);
  });
});

/** A child Node that locks itself down with the minijail policy (its absolute path), then tries each operation and prints one JSON line. */
const SELF_SCRIPT = `
const [pkg, minijail, extra] = process.argv.slice(1);
const fs = require('node:fs'), net = require('node:net'), cp = require('node:child_process');
const sbx = require(pkg + '/dist/index.js');
const tryOp = (fn) => { try { fn(); return 'ok'; } catch (e) { return e.code || String(e); } };
const sock = (o) => new Promise((resolve) => {
  const s = net.createServer();
  s.on('error', (e) => resolve(e.code));
  s.listen(o, () => s.close(() => resolve('ok')));
});
(async () => {
  const out = {};
  // minijail '-': the control, no lockdown
  out.lockdown = minijail === '-' ? 'none'
    : tryOp(() => sbx.lockdown({ version: 1, seccomp: { import: minijail }, ...JSON.parse(extra) }));
  out.status = Object.fromEntries(fs.readFileSync('/proc/self/status', 'utf8').split('\\n')
    .filter((l) => /^(Seccomp|NoNewPrivs):/.test(l)).map((l) => l.split(/:\\s+/)));
  out.read = tryOp(() => fs.readFileSync('hello.txt', 'utf8'));
  out.write = tryOp(() => fs.writeFileSync('out.txt', 'x'));
  out.mkdir = tryOp(() => fs.mkdirSync('newdir'));
  out.child = tryOp(() => cp.execFileSync('/bin/echo', ['sub']));
  out.inet = await sock({ host: '127.0.0.1', port: 0 });
  out.unix = await sock({ path: require('node:path').join(process.cwd(), 's.sock') });
  console.log(JSON.stringify(out));
})();
`;

describe.each(users)('minijail policy, self door (lockdown in a child Node) as %s', (user) => {
  test('@denylist: mkdir EROFS, an AF_INET server EACCES; files, a unix server and a child process work', () => {
    const cwd = workDir();
    try {
      const pkg = user === 'root' ? repoRoot : unprivPackage();
      const node = user === 'root' ? process.execPath : unprivNode();
      // With io_uring rings held (Node 22+) a policy that refuses sockets needs net.compat best-effort (helpers/node.ts).
      const extra = JSON.stringify(forNode({}));
      const run = (file: string) => exec(user, node, ['-e', SELF_SCRIPT, pkg, file, extra], cwd);
      const control = JSON.parse(run('-').stdout);
      expect(control).toMatchObject({ lockdown: 'none', mkdir: 'ok', inet: 'ok', unix: 'ok' }); // control: only sbx refuses
      fs.rmSync(path.join(cwd, 'newdir'), { recursive: true });
      fs.rmSync(path.join(cwd, 's.sock'), { force: true });
      const r = run(path.join(shared, 'denylist.policy'));
      expect(r.status, show(r)).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({
        lockdown: 'ok',
        status: { Seccomp: '2', NoNewPrivs: '1' },
        read: 'ok',
        write: 'ok',
        mkdir: 'EROFS',
        child: 'ok',
        inet: 'EACCES',
        unix: 'ok',
      });
      expect(fs.existsSync(path.join(cwd, 'newdir'))).toBe(false);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});
