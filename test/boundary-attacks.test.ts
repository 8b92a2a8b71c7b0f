/**
 * Attacks on where the sandbox meets the host, for three changes merged
 * together (docs/security-model.md, "Placeholders, /dev and the supervisor,
 * attacked"): fs.protect's placeholder when the launcher cannot make it
 * (EACCES, EPERM, EROFS: the sandbox must be unable too), protections under a
 * sandbox running concurrently in the same working directory (the writable
 * root resolved once for several entries), /dev made in the new tmpfs, and the
 * report supervisor reading two paths of rename/link from the program's memory.
 * Each attack beside its allowed neighbour, as root and as uid 65534; the
 * verdict is read on the host. Setup needs root (chown, chattr, mount).
 */
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';
import { UNPRIV_UID, isRoot, unprivPackage } from './helpers/unpriv';

const root = isRoot();
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const bases: string[] = [];
afterAll(() => {
  for (const b of bases) {
    spawnSync('chattr', ['-R', '-i', b], { stdio: 'ignore' });
    fs.rmSync(b, { recursive: true, force: true });
  }
});

type Who = 'root' | 'uid 65534';
const uidOf = (who: Who) => (who === 'root' ? 0 : UNPRIV_UID);

/** A base directory of the user's own (HOME inside it), and a project in it. */
function project(who: Who): { base: string; proj: string; home: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-boundary-'));
  bases.push(base);
  fs.chmodSync(base, 0o755);
  const proj = path.join(base, 'proj');
  const home = path.join(base, 'home');
  fs.mkdirSync(proj);
  fs.mkdirSync(home);
  for (const d of [base, proj, home]) fs.chownSync(d, uidOf(who), uidOf(who));
  return { base, proj, home };
}

function sbxBin(who: Who): string {
  return who === 'root' ? path.join(repoRoot, 'dist', 'sbx') : path.join(unprivPackage(), 'dist', 'sbx');
}

/** argv that runs `sbx run ARGS` as `who` (setpriv for uid 65534). */
function sbxArgv(who: Who, home: string, args: string[]): string[] {
  const run = ['env', `HOME=${home}`, sbxBin(who), 'run', ...args];
  return who === 'root' ? run : ['setpriv', `--reuid=${UNPRIV_UID}`, `--regid=${UNPRIV_UID}`, '--clear-groups', '--', ...run];
}

function sbxRun(who: Who, cwd: string, home: string, args: string[], opts: Omit<SpawnSyncOptions, 'encoding'> = {}) {
  const [cmd, ...rest] = sbxArgv(who, home, args);
  return spawnSync(cmd, rest, { cwd, timeout: 60_000, ...opts, encoding: 'utf8' });
}

/** What a sandbox tries, to make .git/hooks/pre-commit on the host, and its neighbour (ok.txt). */
const PLANT = [
  'mkdir .git/hooks 2>&1',
  'chmod 777 .git 2>&1',
  'chattr -i .git 2>&1',
  'mount -o remount,rw .git 2>&1',
  'mv .git .gitx 2>&1',
  'mkdir -p .git/hooks 2>&1 && echo "touch ../pwned" > .git/hooks/pre-commit 2>&1',
  'echo ran > ok.txt',
].join('; ');

function planted(proj: string) {
  return {
    hook: fs.existsSync(path.join(proj, '.git', 'hooks', 'pre-commit')),
    moved: fs.existsSync(path.join(proj, '.gitx')),
    gitThere: fs.statSync(path.join(proj, '.git')).isDirectory(),
    neighbour: fs.existsSync(path.join(proj, 'ok.txt')) ? fs.readFileSync(path.join(proj, 'ok.txt'), 'utf8') : null,
  };
}

const WHO: Array<[Who, boolean]> = [
  ['root', root],
  ['uid 65534', root],
];

describe.each(WHO)('a protected path whose placeholder the launcher cannot make, as %s', (who, can) => {
  const skip = !can ? ' (skipped: the setup needs root: chown, chattr, mount)' : '';

  test.skipIf(!can)(`EACCES: .git owned by another user (the launcher's mkdir is refused; the sandbox cannot make hooks either)${skip}`, () => {
    const { proj, home } = project(who);
    const git = path.join(proj, '.git');
    fs.mkdirSync(git);
    const other = who === 'root' ? UNPRIV_UID : 0;   // root's user namespace maps uid 0 only
    fs.chownSync(git, other, other);
    fs.chmodSync(git, 0o755);
    const r = sbxRun(who, proj, home, ['--', 'sh', '-c', PLANT]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\.git\/hooks.*(Permission denied|Read-only)/);
    expect(planted(proj)).toEqual({ hook: false, moved: false, gitThere: true, neighbour: 'ran\n' });
    expect(fs.existsSync(path.join(git, 'hooks'))).toBe(false);
  });

  test.skipIf(!can)(`.git read-only to its owner (0555): the launcher (capabilities in its namespace) still makes the placeholder; the sandbox, as owner, makes .git writable and still cannot plant${skip}`, () => {
    const { proj, home } = project(who);
    const git = path.join(proj, '.git');
    fs.mkdirSync(git);
    fs.chownSync(git, uidOf(who), uidOf(who));
    fs.chmodSync(git, 0o555);
    const r = sbxRun(who, proj, home, ['--', 'sh', '-c', PLANT]);
    expect(r.status, r.stderr).toBe(0);
    expect(planted(proj)).toEqual({ hook: false, moved: false, gitThere: true, neighbour: 'ran\n' });
    expect(fs.statSync(path.join(git, 'hooks')).isDirectory()).toBe(true);   // the placeholder
    expect(fs.readdirSync(path.join(git, 'hooks'))).toEqual([]);
  });

  test.skipIf(!can || !have('chattr'))(`EPERM: .git immutable (chattr +i; the sandbox cannot clear it)${skip}`, () => {
    const { proj, home } = project(who);
    const git = path.join(proj, '.git');
    fs.mkdirSync(git);
    fs.chownSync(git, uidOf(who), uidOf(who));
    const i = spawnSync('chattr', ['+i', git], { encoding: 'utf8' });
    if (i.status !== 0) throw new Error(`chattr +i: ${i.stderr}`);
    try {
      expect(spawnSync('mkdir', [path.join(git, 'probe')]).status).not.toBe(0);   // EPERM even for root
      const r = sbxRun(who, proj, home, ['--', 'sh', '-c', PLANT]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\.git\/hooks.*Operation not permitted/);
      expect(planted(proj)).toEqual({ hook: false, moved: false, gitThere: true, neighbour: 'ran\n' });
      expect(fs.existsSync(path.join(git, 'hooks'))).toBe(false);
    } finally {
      spawnSync('chattr', ['-i', git]);
    }
  });

  test.skipIf(!can || !have('unshare'))(`EROFS: .git a read-only bind on the host (the sandbox sees it read-only and cannot remount it)${skip}`, () => {
    const { proj, home } = project(who);
    const git = path.join(proj, '.git');
    fs.mkdirSync(git);
    fs.chownSync(git, uidOf(who), uidOf(who));
    const argv = sbxArgv(who, home, ['--', 'sh', '-c', PLANT]);
    const r = spawnSync(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind -o ro "$0" "$0" && exec "$@"', git, ...argv],
      { cwd: proj, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\.git\/hooks.*Read-only file system/);
    expect(planted(proj)).toEqual({ hook: false, moved: false, gitThere: true, neighbour: 'ran\n' });
    expect(fs.existsSync(path.join(git, 'hooks'))).toBe(false);
  });
});

describe.each(WHO)('protections under a sandbox running in the same working directory, as %s', (who, can) => {
  test.skipIf(!can || !have('git'))(`a concurrent sandbox swapping .git, its hooks and config (renames, links, replacements) while later sandboxes start there: every protected entry stays read-only, nothing lands on the host${can ? '' : ' (skipped: needs root)'}`, async () => {
    const { proj, home } = project(who);
    const git = (args: string[]) => spawnSync('git', ['-c', 'safe.directory=*', ...args], { cwd: proj, encoding: 'utf8' });
    expect(git(['init', '-q']).status).toBe(0);
    fs.mkdirSync(path.join(proj, 'node_modules', 'sbx'), { recursive: true });
    fs.writeFileSync(path.join(proj, 'node_modules', 'sbx', 'index.js'), 'ok\n');
    spawnSync('chown', ['-R', `${uidOf(who)}:${uidOf(who)}`, proj]);
    const config = fs.readFileSync(path.join(proj, '.git', 'config'), 'utf8');
    // The swapper: everything a sandbox might rename or replace on the way to the protected entries.
    const swap = [
      'end=$(($(date +%s) + 25))',
      'while [ $(date +%s) -lt $end ]; do',
      ' mv .git .g 2>/dev/null && { mkdir -p .git/hooks; mv .g .git.real; }',
      ' mv .git/hooks .git/h 2>/dev/null && ln -s ../../decoy .git/hooks',
      ' mv node_modules nm 2>/dev/null && mkdir -p node_modules/sbx',
      ' mv node_modules/sbx node_modules/s 2>/dev/null',
      ' mkdir -p decoy; rm -rf .git/hooks 2>/dev/null; ln -s decoy x 2>/dev/null; rm -f x',
      'done; echo swapped',
    ].join('\n');
    const [cmd, ...rest] = sbxArgv(who, home, ['--', 'sh', '-c', swap]);
    const swapper = spawn(cmd, rest, { cwd: proj, stdio: ['ignore', 'pipe', 'pipe'] });
    let swapOut = '';
    swapper.stdout.on('data', (d) => (swapOut += d));
    const swapEnd = new Promise<number | null>((res) => swapper.once('close', res));
    await new Promise((res) => setTimeout(res, 1500));   // it is running
    const write = [
      'echo "touch ../pwned" > .git/hooks/pre-commit 2>/dev/null && echo HOOK',
      'echo "[core] fsmonitor = touch ../pwned" >> .git/config 2>/dev/null && echo CONFIG',
      'echo x > node_modules/sbx/index.js 2>/dev/null && echo SBX',
      'echo n >> ok.txt',
    ].join('; ');
    const outs: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await new Promise<{ code: number | null; out: string }>((res) => {
        const [c, ...a] = sbxArgv(who, home, ['--', 'sh', '-c', write]);
        const p = spawn(c, a, { cwd: proj, stdio: ['ignore', 'pipe', 'pipe'] });
        let o = '';
        p.stdout.on('data', (d) => (o += d));
        p.stderr.on('data', (d) => (o += d));
        p.once('close', (code) => res({ code, out: o }));
      });
      outs.push(`${r.code} ${r.out.trim()}`);
    }
    expect(await swapEnd).toBe(0);
    expect(swapOut).toBe('swapped\n');
    // Each later sandbox ran (its neighbour write is there) or refused to start; none planted.
    for (const o of outs) expect(o).not.toMatch(/HOOK|CONFIG|SBX/);
    expect(outs.filter((o) => o.startsWith('0')).length).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(proj, 'ok.txt'), 'utf8').length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(proj, '.git', 'hooks', 'pre-commit'))).toBe(false);
    expect(fs.existsSync(path.join(proj, 'decoy', 'pre-commit'))).toBe(false);
    expect(fs.readFileSync(path.join(proj, '.git', 'config'), 'utf8')).toBe(config);
    expect(fs.readFileSync(path.join(proj, 'node_modules', 'sbx', 'index.js'), 'utf8')).toBe('ok\n');
    // The swapper itself could move none of them (pinned in its view).
    expect(fs.existsSync(path.join(proj, '.git.real'))).toBe(false);
    expect(fs.existsSync(path.join(proj, 'nm'))).toBe(false);
    expect(fs.lstatSync(path.join(proj, '.git', 'hooks')).isDirectory()).toBe(true);
  }, 120_000);
});

const NODES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

describe.each(WHO)('/dev made in the new tmpfs, as %s', (who, can) => {
  test.skipIf(!can)(`only the listed nodes, each the host's device with its mode; nothing new can be made or opened; the host's /dev unchanged${can ? '' : ' (skipped: needs root)'}`, () => {
    const { proj, home } = project(who);
    const hostDev = fs.readdirSync('/dev').sort();
    const fmt = '%n %f %t:%T %u';   // raw mode (type and permissions), major:minor, owner
    const stat = NODES.map((n) => `stat -c '${fmt}' /dev/${n} 2>/dev/null`).join('; ');
    const prog = [
      stat,
      'echo "LIST $(ls -A /dev | sort | tr "\\n" " ")"',
      'mknod /dev/sda b 8 0 2>/dev/null && echo MKNOD',
      'mknod /dev/shm/null c 1 3 2>/dev/null && { echo x > /dev/shm/null && echo OPENED; }',
      'echo x > /dev/newfile 2>/dev/null && echo NEWFILE',
      'echo x > /dev/null && head -c 4 /dev/zero | wc -c',
    ].join('; ');
    const r = sbxRun(who, proj, home, ['--', 'sh', '-c', prog]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const present = NODES.filter((n) => fs.existsSync(`/dev/${n}`));
    for (const n of present) {
      const h = spawnSync('stat', ['-c', fmt, `/dev/${n}`], { encoding: 'utf8' }).stdout.trim().split(' ');
      const inside = lines.find((l) => l.startsWith(`/dev/${n} `))?.split(' ');
      expect(inside, `/dev/${n} inside`).toBeDefined();
      // type, major:minor, mode as on the host; the owner as the user namespace maps it
      expect(inside!.slice(0, 3)).toEqual(h.slice(0, 3));
      const hostUid = Number(h[3]);
      expect(Number(inside![3])).toBe(hostUid === uidOf(who) ? 0 : hostUid === 0 && who === 'root' ? 0 : 65534);
    }
    const listed = lines.find((l) => l.startsWith('LIST '))!.slice(5).trim().split(' ').sort();
    expect(listed).toEqual([...present, 'fd', 'stdin', 'stdout', 'stderr', 'ptmx', 'pts', 'shm'].sort());
    expect(r.stdout).not.toMatch(/MKNOD|OPENED|NEWFILE/);
    expect(lines.at(-1)).toBe('4');
    expect(fs.readdirSync('/dev').sort()).toEqual(hostDev);
  });
});

/** A program that hands rename/link odd paths: what each call returns, as JSON. */
const ODD_CALLS = String.raw`
import ctypes, ctypes.util, json, mmap, os
libc = ctypes.CDLL(None, use_errno=True)
P = ctypes.c_void_p
os.mkfifo('ff')
open('f', 'w').close()
m = mmap.mmap(-1, 8192)
m[:] = b'a' * 8192
base = ctypes.addressof(ctypes.c_char.from_buffer(m))
libc.mprotect(P(base + 4096), 4096, 0)
end = P(base + 4096 - 64)            # 64 bytes of 'a', then a page that cannot be read
r, w = os.pipe()
out = []
def call(tag, name, *a):
    ctypes.set_errno(0)
    rc = getattr(libc, name)(*a)
    out.append([tag, rc, ctypes.get_errno() if rc else 0])
call('unmapped', 'rename', P(8), b'x')
call('unmapped-2nd', 'rename', b'f', P(8))
call('into-unreadable-page', 'rename', end, b'x')
call('into-unreadable-page-2nd', 'link', b'f', end)
call('fifo', 'rename', b'ff', b'ff2')
call('fifo-back', 'rename', b'ff2', b'ff')
call('fifo-link', 'link', b'ff', b'ff3')
call('proc-self-fd', 'link', b'/proc/self/fd/0', b'l0')
call('proc-loop', 'rename', b'/proc/self/root' * 200 + b'/etc/passwd', b'x')
call('proc-1-fd', 'rename', b'/proc/1/fd/0', b'x')
call('too-long', 'rename', b'a' * 5000, b'x')
call('long-name', 'rename', b'f', b'b' * 300)
call('deep', 'rename', b'f', (b'c' * 250 + b'/') * 20 + b'x')
call('pipe-dirfd', 'renameat', r, b'x', -100, b'y')
call('bad-dirfd', 'linkat', 12345, b'x', -100, b'y', 0)
call('follow-ro', 'linkat', -100, b'/etc/passwd', -100, b'pw', 0x400)
call('ro', 'rename', b'/etc/passwd', b'/etc/passwd2')
call('exchange-ro', 'renameat2', -100, b'/etc/passwd', -100, b'/etc/group', 2)
print(json.dumps(out))
`;

describe.each(WHO)('the report supervisor reading rename/link paths from the program, as %s', (who, can) => {
  test.skipIf(!can || !fs.existsSync('/usr/bin/python3'))(`unmapped pointers, a string running into an unreadable page, fifos, /proc loops, over-long and deep paths, bad dirfds: each call returns what it returns without report, nothing hangs, only the view's names are reported${can ? '' : ' (skipped: needs root and /usr/bin/python3)'}`, () => {
    const outs = ['', '--report'].map((flag) => {
      const { proj, home } = project(who);
      const r = sbxRun(who, proj, home, [...(flag ? [flag] : []), '--', '/usr/bin/python3', '-c', ODD_CALLS], { timeout: 60_000 });
      return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, proj };
    });
    for (const o of outs) expect([o.status, o.signal], o.stderr).toEqual([0, null]);
    const [plain, reported] = outs.map((o) => JSON.parse(o.stdout.trim()) as Array<[string, number, number]>);
    expect(reported).toEqual(plain);
    expect(Object.fromEntries(plain.map(([t, rc, e]) => [t, rc === 0 ? 0 : e]))).toMatchObject({
      unmapped: 14, 'into-unreadable-page': 14, fifo: 0, 'fifo-back': 0, 'too-long': 36, 'long-name': 36, ro: 30,
    });
    // The read-only view's refusals are reported, named as the view shows them.
    const lines = reported.length && outs[1].stderr.split('\n').filter((l) => l.startsWith('sbx: denied'));
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^sbx: denied .*\/etc\/passwd.*rename/)]));
    // Nothing the supervisor alone sees: its own process, the init's descriptors.
    for (const l of lines as string[]) expect(l).not.toMatch(/\/proc\/\d+\/|socket:|pipe:|anon_inode|\/oldroot|\/newroot/);
  }, 120_000);
});
