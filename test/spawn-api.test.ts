/**
 * API completeness of the spawn door: sbx.execFile / sbx.exec behave like
 * node:child_process's (checked side by side on the same commands), `sbx run
 * --explain` shows the plan and runs nothing, and 200 concurrent sandboxes
 * give the right outputs and leave no process, fd or mount behind.
 */
import * as cp from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { cliPath, repoRoot } from './helpers/paths';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sbx = require(path.join(repoRoot, 'dist', 'index.js')) as typeof import('../lib/index');

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-api-'));
  dirs.push(d);
  return d;
}

type CB = (e: (Error & { code?: unknown; killed?: boolean; signal?: unknown; cmd?: string }) | null, o: unknown, er: unknown) => void;

/** Run the same call through node:child_process and sbx; both callbacks' arguments. */
function both(fn: 'execFile' | 'exec', ...args: unknown[]): Promise<Array<Parameters<CB>>> {
  const call = (impl: Record<string, (...a: unknown[]) => unknown>) =>
    new Promise<Parameters<CB>>((resolve) => {
      impl[fn](...args, ((e, o, er) => resolve([e, o, er])) as CB);
    });
  return Promise.all([call(cp as unknown as Record<string, (...a: unknown[]) => unknown>), call(sbx as unknown as Record<string, (...a: unknown[]) => unknown>)]);
}

describe('sbx.execFile / sbx.exec mirror node:child_process', () => {
  test('execFile: stdout, stderr, no error; returns a ChildProcess', async () => {
    const cwd = tmp();
    const [n, s] = await both('execFile', '/bin/sh', ['-c', 'echo out; echo err >&2'], { cwd });
    expect(s).toEqual(n);
    expect(s[0]).toBe(null);
    expect(s[1]).toBe('out\n');
    const child = sbx.execFile('/bin/true', () => {});
    expect(child).toBeInstanceOf(cp.ChildProcess);
    await new Promise((r) => child.once('close', r));
  });

  test('execFile: a failing command gives an error with code, killed, signal, cmd like node', async () => {
    const cwd = tmp();
    const [n, s] = await both('execFile', '/bin/sh', ['-c', 'echo partial; echo oops >&2; exit 3'], { cwd });
    expect(s[0]).toBeInstanceOf(Error);
    for (const k of ['code', 'killed', 'signal', 'cmd', 'message'] as const) expect(s[0]![k]).toEqual(n[0]![k]);
    expect(s[0]!.code).toBe(3);
    expect([s[1], s[2]]).toEqual([n[1], n[2]]);
  });

  test('execFile: options optional, encoding buffer, args omitted', async () => {
    const r = await new Promise<unknown[]>((res) => sbx.execFile('/bin/echo', (...a: unknown[]) => res(a)));
    expect(r[0]).toBe(null);
    expect(r[1]).toBe('\n');
    const b = await new Promise<unknown[]>((res) => sbx.execFile('/bin/echo', ['x'], { encoding: 'buffer' }, (...a: unknown[]) => res(a)));
    expect(Buffer.isBuffer(b[1])).toBe(true);
    expect((b[1] as Buffer).toString()).toBe('x\n');
  });

  test('timeout and maxBuffer kill the sandbox as node does', async () => {
    const [nt, st] = await both('execFile', '/bin/sleep', ['10'], { timeout: 200 });
    expect(st[0]!.killed).toBe(true);
    expect(st[0]!.signal).toBe('SIGTERM');
    expect([st[0]!.killed, st[0]!.signal]).toEqual([nt[0]!.killed, nt[0]!.signal]);
    const [nm, sm] = await both('exec', 'yes | head -c 100000', { maxBuffer: 1000 });
    expect((sm[0] as { code?: unknown }).code).toBe('ERR_CHILD_PROCESS_STDIO_MAXBUFFER');
    expect((sm[0] as { code?: unknown }).code).toBe((nm[0] as { code?: unknown }).code);
    expect(sm[1]).toBe(nm[1]);
  });

  test('exec: a shell command line', async () => {
    const cwd = tmp();
    const [n, s] = await both('exec', 'echo $((6*7)) | tr 4 X; exit 0', { cwd });
    expect(s).toEqual(n);
    expect(s[1]).toBe('X2\n');
  });

  test('util.promisify: { stdout, stderr }, .child, rejection carries the output', async () => {
    const execFileP = util.promisify(sbx.execFile) as unknown as (...a: unknown[]) => Promise<{ stdout: string; stderr: string }> & { child: cp.ChildProcess };
    const p = execFileP('/bin/sh', ['-c', 'echo a; echo b >&2'], { cwd: tmp() });
    expect(p.child).toBeInstanceOf(cp.ChildProcess);
    expect(await p).toEqual({ stdout: 'a\n', stderr: 'b\n' });
    const execP = util.promisify(sbx.exec) as unknown as (c: string, o?: object) => Promise<{ stdout: string; stderr: string }>;
    await expect(execP('echo so; exit 2', { cwd: tmp() })).rejects.toMatchObject({ code: 2, stdout: 'so\n', stderr: '' });
  });

  test('the sandbox is there: the policy applies (home private, own hostname)', async () => {
    // The default home is private: at most the toolchains $PATH points to
    // are bound into it (docs/spawn.md, "The home and the repository"); a
    // file of the host's home is not there.
    const marker = path.join(os.homedir(), `.sbx-spawn-api-${process.pid}`);
    fs.writeFileSync(marker, 'host\n');
    try {
      const { stdout } = await (util.promisify(sbx.exec) as unknown as (c: string, o?: object) => Promise<{ stdout: string }>)(`hostname; ls -A ${os.homedir()}`, { cwd: tmp() });
      const [host, ...entries] = stdout.trim().split('\n');
      expect(host).toBe('sbx');
      expect(entries).not.toContain(path.basename(marker));
      // the neighbour: the host's home does hold it
      expect(fs.readdirSync(os.homedir())).toContain(path.basename(marker));
    } finally {
      fs.rmSync(marker, { force: true });
    }
  });
});

describe('sbx run --explain', () => {
  test('prints namespaces, mounts (with the overlay of --cow), the Landlock/seccomp summary; runs nothing', () => {
    const cwd = tmp();
    const r = cp.spawnSync(process.execPath, [cliPath, 'run', '--explain', '--cow', '--report', '--rw', cwd, '--', 'sh', '-c', 'touch ran'], {
      cwd,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/namespaces: user pid net mount ipc uts cgroup/);
    expect(r.stdout).toMatch(new RegExp(`overlay +${cwd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(host\\)`));
    expect(r.stdout).toMatch(/proc +\/proc/);
    expect(r.stdout).toContain('denied calls reported: yes');
    // sbx.explain's text and the merged policy follow.
    expect(r.stdout).toMatch(/^Built from, in order: preset strict.*inline policy\.$/m);
    expect(r.stdout).toMatch(/^System calls: /m);
    expect(r.stdout).toContain('merged policy:');
    expect(fs.existsSync(path.join(cwd, 'ran'))).toBe(false);
  });
});

/** Processes whose command line contains `marker` (anywhere on the host). */
function procsWith(marker: string): number[] {
  const out: number[] = [];
  for (const f of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(f)) continue;
    try {
      if (fs.readFileSync(`/proc/${f}/cmdline`, 'utf8').includes(marker)) out.push(Number(f));
    } catch {
      /* gone */
    }
  }
  return out;
}

const children = () =>
  cp
    .spawnSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);

interface Mount {
  line: string;
  point: string;
  shared: string[];
}

/** A mountinfo file: each mount's point (octal escapes undone) and its shared:N peer groups. */
function mountinfo(file = '/proc/self/mountinfo'): Mount[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const f = line.split(' ');
      const sep = f.indexOf('-');
      return {
        line,
        point: f[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))),
        shared: f.slice(6, sep).filter((x) => x.startsWith('shared:')).map((x) => x.slice(7)),
      };
    });
}

/**
 * Our mounts where a sandbox's could appear if one leaked: the launcher's own
 * mount points (rootfs.c, cow.c, secrets.c: /tmp, /newroot, /oldroot,
 * /.sbx-hide) and the places a sandbox is given (temporary directory, home,
 * working directory, the package). Mounts elsewhere on the host are not the
 * sandboxes' and may change during the run (other programs mount and unmount).
 */
function sbxRelevantMounts(cwd: string): string[] {
  const roots = ['/tmp', '/newroot', '/oldroot', '/.sbx-hide', os.tmpdir(), os.homedir(), cwd, repoRoot];
  const under = (p: string) => roots.some((r) => p === r || p.startsWith(r.endsWith('/') ? r : `${r}/`));
  return mountinfo().filter((m) => under(m.point)).map((m) => m.line).sort();
}

// Where our namespace has shared mounts (a systemd host: / is shared), a
// sandbox whose tree was not made private would be their peer, and its mounts
// would appear here. On a host whose mounts are all private nothing can
// propagate, and there is nothing to compare.
const sharedGroups = new Set(mountinfo().flatMap((m) => m.shared));
test.skipIf(sharedGroups.size === 0)(
  "a sandbox's mounts share no peer group with ours (skipped where this namespace has no shared mount)",
  async () => {
    const cwd = tmp();
    const marker = `sbx-peer-${process.pid}-${Date.now()}`;
    const child = sbx.spawn('/bin/sh', ['-c', 'while [ ! -e go ]; do sleep 0.05; done', marker], { cwd });
    const closed = new Promise((r) => child.once('close', r));
    let pids: number[] = [];
    for (const until = Date.now() + 30_000; Date.now() < until && !pids.length; await new Promise((r) => setTimeout(r, 50))) {
      pids = procsWith(marker);
    }
    expect(pids.length, 'the sandbox started').toBeGreaterThan(0);
    const theirs = mountinfo(`/proc/${pids[0]}/mountinfo`);
    fs.writeFileSync(path.join(cwd, 'go'), '');
    await closed;
    expect(theirs.length).toBeGreaterThan(3); // its own tree: root, /proc, /dev, /tmp, ...
    expect(theirs.filter((m) => m.shared.some((g) => sharedGroups.has(g))).map((m) => m.line)).toEqual([]);
  },
  60_000,
);

describe('200 concurrent sandboxes', () => {
  test('correct outputs; no leaked processes, fds or mounts', async () => {
    const marker = `sbx-conc-${process.pid}-${Date.now()}`;
    const cwd = tmp();
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    const mountsBefore = sbxRelevantMounts(cwd);
    const kidsBefore = children();
    const N = 200;
    const runs = Array.from({ length: N }, (_, i) =>
      new Promise<{ i: number; out: string; err: string; code: number | null }>((resolve, reject) => {
        // Each waits for `go` in the working directory, so that all of them
        // are alive when the test looks, however slowly 200 start.
        const child = sbx.spawn('/bin/sh', ['-c', `echo "$1 $(id -u) $(hostname)"; while [ ! -e go ]; do sleep 0.05; done`, marker, String(i)], { cwd });
        let out = '';
        let err = '';
        child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
        child.once('error', reject);
        child.once('close', (code) => resolve({ i, out, err, code }));
      }),
    );
    // While they run, they are there (the marker is a real test): all 200,
    // looked for until they are (or 120 s), then released.
    let seen = 0;
    for (const until = Date.now() + 120_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      seen = procsWith(marker).length;
      if (seen >= N) break;
    }
    expect(seen).toBeGreaterThanOrEqual(N);
    fs.writeFileSync(path.join(cwd, 'go'), '');
    const results = await Promise.all(runs);
    for (const r of results) {
      expect(r.code, `sandbox ${r.i}: ${r.err}`).toBe(0);
      expect(r.out, `sandbox ${r.i}: ${r.err}`).toBe(`${r.i} ${process.getuid!()} sbx\n`);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(procsWith(marker)).toEqual([]);
    expect(children()).toEqual(kidsBefore);
    expect(fs.readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(fdsBefore);
    expect(sbxRelevantMounts(cwd)).toEqual(mountsBefore);
  }, 300_000);
});
