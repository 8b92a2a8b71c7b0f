/**
 * The spawn door under faults (issue 24). Each fault settles every pending
 * spawn with 'error' or 'exit' in bounded time and a clear reason, leaves no
 * process of the sandbox and none of its cgroups (sbx-<launcher pid>-* in
 * Node's own cgroups, limits.c) behind, and the next spawn works (on a new
 * spawn server when the old one died).
 */
import { spawn as cpSpawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createRequire } from 'node:module';
import { repoRoot } from './helpers/paths';

// Node's own cgroup directories, v1 and v2 (where a launcher makes its sbx-<pid>-* ones): the soak's reader.
const { ownCgroupDirs } = createRequire(__filename)('./fixtures/soak/host-state.js') as { ownCgroupDirs: () => string[] };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sbx = require(path.join(repoRoot, 'dist', 'index.js')) as typeof import('../lib/index');

type Child = import('node:child_process').ChildProcess;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-fault-'));
  dirs.push(d);
  return d;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NO_LIMITS = { extends: 'default', limits: { pids: 'unlimited', memory: 'unlimited' } } as const;

function ppid(pid: number): number | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) if (/^\d+$/.test(e) && ppid(Number(e)) === pid) out.push(Number(e));
  return out;
}
function descendants(pid: number): number[] {
  return childrenOf(pid).flatMap((c) => [c, ...descendants(c)]);
}
function cgroupsOf(pids: number[]): string[] {
  const set = new Set(pids);
  return ownCgroupDirs().flatMap((d) =>
    fs
      .readdirSync(d)
      .filter((n) => set.has(Number(/^sbx-(\d+)-[0-9a-f]{8}$/.exec(n)?.[1])))
      .map((n) => path.join(d, n)),
  );
}
/** The cgroups the default policy's limits make: is there any to leave behind here? */
const cgroupsMade = (() => {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(repoRoot, 'dist', 'index.js'))}).run('/bin/true').then((r) => process.stdout.write(JSON.stringify(r.limits)))`], { encoding: 'utf8' });
  return /cgroup/.test(r.stdout);
})();

type End = ['exit', number | null, NodeJS.Signals | null] | ['error', string, string];
function settled(c: Child): Promise<End> {
  return new Promise((r) => {
    c.once('error', (e: Error & { code?: string }) => r(['error', String(e.code), e.message]));
    c.once('exit', (code, sig) => r(['exit', code, sig]));
  });
}
/** Resolves with the ends, or rejects when they take longer than `ms`. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`not settled within ${ms} ms`)))]);
}
/** Nothing of `pids` alive and none of their cgroups, within 5 s. */
// Bounded, not instant: a supervisor told of its parent's death (SIGTERM) removes the cgroups
// itself, which on a loaded machine took more than 5 s once.
async function nothingLeft(pids: number[]): Promise<{ alive: number[]; cgroups: string[] }> {
  const t0 = Date.now();
  let left = { alive: pids.filter(alive), cgroups: cgroupsOf(pids) };
  while ((left.alive.length || left.cgroups.length) && Date.now() - t0 < 15_000) {
    await sleep(50);
    left = { alive: pids.filter(alive), cgroups: cgroupsOf(pids) };
  }
  return left;
}
async function serverOf(cwd: string): Promise<number> {
  // long enough to be seen: a prepared sandbox runs /bin/true and is gone at once
  const c = sbx.spawn('/bin/sleep', ['0.2'], { cwd, stdio: 'ignore' });
  const s = ppid(c.pid!)!;
  await settled(c);
  return s;
}
async function nextWorks(cwd: string, notServer?: number): Promise<void> {
  const c = sbx.spawn('/bin/echo', ['next'], { cwd });
  if (notServer) expect(ppid(c.pid!)).not.toBe(notServer);
  let out = '';
  c.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  await new Promise((r) => c.once('close', r));
  expect([c.exitCode, out]).toEqual([0, 'next\n']);
}

describe('the spawn server killed (SIGKILL)', () => {
  test('while sandboxes run, with and without limits, and one is prepared ahead: each ends with SIGKILL at once, nothing is left', async () => {
    const cwd = tmp();
    const server = await serverOf(cwd);
    const kids = [
      ...Array.from({ length: 4 }, () => sbx.spawn('/bin/sleep', ['100'], { cwd, stdio: 'ignore' })),
      ...Array.from({ length: 4 }, () => sbx.spawn('/bin/sh', ['-c', 'sleep 100 & sleep 100'], { cwd, stdio: 'ignore', policy: NO_LIMITS })),
    ];
    const ends = Promise.all(kids.map(settled));
    await sleep(500);
    const tree = [server, ...descendants(server)];
    expect(tree.length).toBeGreaterThanOrEqual(1 + 8 * 3);
    if (cgroupsMade) expect(cgroupsOf(tree).length).toBeGreaterThan(0);
    process.kill(server, 'SIGKILL');
    expect(await within(3000, ends)).toEqual(kids.map(() => ['exit', null, 'SIGKILL']));
    expect(await nothingLeft(tree)).toEqual({ alive: [], cgroups: [] });
    await nextWorks(cwd, server);
  });

  test('while the next sandbox is being prepared ahead, and once it is: nothing of it is left', async () => {
    for (const wait of [0, 1500]) {
      const cwd = tmp();
      const first = sbx.spawn('/bin/true', [], { cwd, stdio: 'ignore' });
      const server = ppid(first.pid!)!;
      await settled(first);
      await sleep(wait);
      const tree = [server, ...descendants(server)];
      process.kill(server, 'SIGKILL');
      // a slot started meanwhile is a child of the server too
      expect(await nothingLeft([...tree, ...descendants(server)])).toEqual({ alive: [], cgroups: [] });
      await nextWorks(cwd, server);
    }
  });

  test("before it answered a request: that spawn gets 'error' (SBX_ESYS, the server named), it is not run twice, and the next one starts a new server", async () => {
    const cwd = tmp();
    const server = await serverOf(cwd);
    const running = sbx.spawn('/bin/sleep', ['100'], { cwd, stdio: 'ignore' });
    const runningEnd = settled(running);
    await sleep(200);
    // The server holds the request unread (stopped) and dies 500 ms later,
    // while this thread waits for the answer.
    process.kill(server, 'SIGSTOP');
    cpSpawn('/bin/sh', ['-c', `sleep 0.5; kill -KILL ${server}`], { stdio: 'ignore' });
    const c = sbx.spawn('/bin/sh', ['-c', 'echo ran >> ran.txt'], { cwd });
    const end = await within(3000, settled(c));
    expect(end[0]).toBe('error');
    expect(end[1]).toBe('SBX_ESYS');
    expect(end[2]).toMatch(new RegExp(`spawn server \\(pid ${server}\\) ended before it answered the request for /bin/sh`));
    expect((await c.sandbox).started).toBe(false);
    expect(await within(3000, runningEnd)).toEqual(['exit', null, 'SIGKILL']);
    await sleep(300);
    expect(fs.existsSync(path.join(cwd, 'ran.txt'))).toBe(false);
    await nextWorks(cwd, server);
    // sbx.run rejects with the same reason
    const again = await serverOf(cwd);
    process.kill(again, 'SIGSTOP');
    cpSpawn('/bin/sh', ['-c', `sleep 0.3; kill -KILL ${again}`], { stdio: 'ignore' });
    await expect(sbx.run('/bin/true', [], { cwd })).rejects.toThrow(/ended before it answered/);
  });
});

describe('the spawn server alive but not answering (SIGSTOP)', () => {
  /** Runs `f` with SBX_SPAWN_SERVER_TIMEOUT_MS set to `ms`. */
  async function withTimeout<T>(ms: number, f: () => Promise<T>): Promise<T> {
    const old = process.env.SBX_SPAWN_SERVER_TIMEOUT_MS;
    process.env.SBX_SPAWN_SERVER_TIMEOUT_MS = String(ms);
    try {
      return await f();
    } finally {
      if (old === undefined) delete process.env.SBX_SPAWN_SERVER_TIMEOUT_MS;
      else process.env.SBX_SPAWN_SERVER_TIMEOUT_MS = old;
    }
  }

  test("a spawn waits SBX_SPAWN_SERVER_TIMEOUT_MS, then gets 'error' (SBX_ESYS, ETIMEDOUT, the server named); the server is killed with its sandboxes, the program never runs, the next spawn starts a new server", async () => {
    const cwd = tmp();
    const server = await serverOf(cwd);
    const running = sbx.spawn('/bin/sleep', ['100'], { cwd, stdio: 'ignore', policy: NO_LIMITS });
    const runningEnd = settled(running);
    await sleep(300);
    const tree = [server, ...descendants(server)];
    expect(tree.length).toBeGreaterThanOrEqual(4); // server, launcher, init, program
    process.kill(server, 'SIGSTOP');
    await withTimeout(1000, async () => {
      const t0 = Date.now();
      const c = sbx.spawn('/bin/sh', ['-c', 'echo ran >> ran.txt'], { cwd });
      const waited = Date.now() - t0;
      const end = await within(3000, settled(c));
      expect(end.slice(0, 2)).toEqual(['error', 'SBX_ESYS']);
      expect(end[2]).toMatch(new RegExp(`spawn server \\(pid ${server}\\) did not answer the request for /bin/sh within 1000 ms \\(SBX_SPAWN_SERVER_TIMEOUT_MS`));
      // the timeout is what ended the wait (spawn() returns once it passed)
      expect(waited).toBeGreaterThanOrEqual(950);
      expect((await c.sandbox).started).toBe(false);
    });
    expect(await within(3000, runningEnd)).toEqual(['exit', null, 'SIGKILL']);
    expect(await nothingLeft(tree)).toEqual({ alive: [], cgroups: [] });
    expect(fs.existsSync(path.join(cwd, 'ran.txt'))).toBe(false);
    await nextWorks(cwd, server);
  });

  test('child.kill() to a stopped server whose socket is full: the send times out, the server is killed, the sandbox ends', async () => {
    const cwd = tmp();
    const c = sbx.spawn('/bin/sleep', ['100'], { cwd, stdio: 'ignore', policy: NO_LIMITS });
    const end = settled(c);
    await sleep(300);
    const server = ppid(c.pid!)!;
    const tree = [server, ...descendants(server)];
    process.kill(server, 'SIGSTOP');
    await withTimeout(500, async () => {
      // SIGCONT is harmless to sleep: only the queue of kill requests matters,
      // until the socket's buffer is full and the send waits out the timeout.
      let sent = 0;
      while (sent < 100_000 && c.kill('SIGCONT')) sent++;
      expect(sent).toBeGreaterThan(10);
      expect(sent).toBeLessThan(100_000);
    });
    expect(await within(3000, end)).toEqual(['exit', null, 'SIGKILL']);
    expect(await nothingLeft(tree)).toEqual({ alive: [], cgroups: [] });
    await nextWorks(cwd, server);
  });
});

test.skipIf(!cgroupsMade)('the launcher killed mid-setup: SIGKILL at once, its cgroups removed by the server, nothing left', async () => {
  const cwd = tmp();
  for (const policy of ['default', NO_LIMITS] as const) {
    for (const delay of [0, 2, 5, 10, 30]) {
      const c = sbx.spawn('/bin/sleep', ['100'], { cwd, stdio: 'ignore', policy });
      const end = settled(c);
      const pid = c.pid!;
      await sleep(delay);
      const tree = [pid, ...descendants(pid)];
      process.kill(pid, 'SIGKILL');
      expect(await within(3000, end)).toEqual(['exit', null, 'SIGKILL']);
      expect(await nothingLeft(tree)).toEqual({ alive: [], cgroups: [] });
    }
  }
  await nextWorks(cwd);
});

test('a process group that ignores SIGTERM: SIGTERM leaves it, killSignal SIGKILL with a timeout ends all of it', async () => {
  const cwd = tmp();
  const script = 'trap "" TERM; (trap "" TERM; sleep 100) & (trap "" TERM; sleep 100) & echo up; wait';
  for (const policy of ['default', NO_LIMITS] as const) {
    const c = sbx.spawn('/bin/sh', ['-c', script], { cwd, policy, stdio: ['ignore', 'pipe', 'ignore'] });
    const end = settled(c);
    await new Promise((r) => c.stdout!.once('data', r));
    const tree = [c.pid!, ...descendants(c.pid!)];
    expect(c.kill('SIGTERM')).toBe(true);
    await sleep(300);
    expect(tree.filter(alive)).toEqual(tree); // ignored, as by any process
    expect(c.kill('SIGKILL')).toBe(true);
    expect(await within(3000, end)).toEqual(['exit', null, 'SIGKILL']);
    expect(await nothingLeft(tree)).toEqual({ alive: [], cgroups: [] });
    // the same through timeout + killSignal
    const t0 = Date.now();
    const r = await sbx.run('/bin/sh', ['-c', script], { cwd, policy, timeout: 300, killSignal: 'SIGKILL' });
    expect([r.signal, r.stdout]).toEqual(['SIGKILL', 'up\n']);
    expect(Date.now() - t0).toBeLessThan(5000);
  }
  await nextWorks(cwd);
});

test("the parent's fd table full (EMFILE): each spawn gets 'error' EMFILE or runs, never throws; with fds free again it works and no fd is left", () => {
  // RLIMIT_NOFILE 64: also below the fds a prepared sandbox keeps (LN_SLOT_FD_BASE), where the
  // server once placed a request's stdio and failed every spawn with a silent 125.
  const r = spawnSync('prlimit', ['--nofile=64', process.execPath, path.join(repoRoot, 'test', 'fixtures', 'soak', 'emfile.js'), path.join(repoRoot, 'dist', 'index.js')], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const v = JSON.parse(r.stdout) as { out: Array<{ error?: string; code?: number; o?: string; threw?: string }>; after: { o: string; c: number }; base: number; end: number };
  expect(v.out.length).toBe(5);
  for (const o of v.out) {
    expect(o.threw).toBeUndefined();
    if (o.error !== undefined) expect(o.error).toBe('EMFILE');
    else expect([o.code, o.o]).toEqual([0, 'hi\n']);
  }
  expect(v.out[0].error).toBe('EMFILE');
  expect(v.after).toMatchObject({ o: 'again\n', c: 0 });
  expect(v.end).toBe(v.base);
});

test.skipIf(process.getuid?.() !== 0)('/tmp full (ENOSPC; root: a tmpfs mounted in a mount namespace of its own): what writes there fails with the reason, the rest runs; freed, all works and nothing is left', () => {
  const T = tmp();
  const r = spawnSync(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs -o size=256k,nr_inodes=64 tmpfs "$1" && exec "$2" "$3" "$0" "$1"', path.join(repoRoot, 'dist', 'index.js'), T, process.execPath, path.join(repoRoot, 'test', 'fixtures', 'soak', 'enospc.js')],
    { encoding: 'utf8', timeout: 120_000 },
  );
  expect(r.status, r.stderr).toBe(0);
  const v = JSON.parse(r.stdout);
  const { full, freed } = v;
  // sbx itself writes nothing there on the plain path: the sandbox runs, its private TMPDIR writable
  expect(full.plain).toMatchObject({ code: 0, reason: 'exit', stdout: 'hi\nx\n' });
  expect(full.report).toMatchObject({ code: 0, stdout: 'reported\n' });
  // the program's own writes to the full directory fail, as outside
  expect(full.write).toMatchObject({ code: 2, reason: 'exit' });
  expect(full.write.stderr).toMatch(/No space left on device/);
  // a missing protected path whose placeholder cannot be made: fail closed (it once ran, and the
  // sandbox could make .git/hooks/ itself once space was freed: an unprotected hook)
  expect(full.repo).toMatchObject({ code: 125, reason: 'setup-failed', error: { code: 'SBX_ESYS', errno: 28, pointer: '/fs/protect/0' } });
  expect(full.repo.stderr).toMatch(/protecting .*\.git\/hooks: cannot make the empty directory .*No space left on device \(free space there/);
  expect(full.repoSpawn).toEqual({ code: 125, stdout: '', sandbox: 28 });
  // cow's directory for the changes: nothing started, the reason and the way out said
  expect(full.cow.threw).toMatchObject({ code: 'SBX_ESYS', errno: 28, syscall: 'mkdtemp' });
  expect(full.cow.threw.message).toMatch(/^sbx: cow: cannot make the directory for the sandbox's changes in .*no space left on device.*set TMPDIR/);
  // freed: each works, the placeholder made and read-only inside
  expect(freed.plain).toMatchObject({ code: 0, stdout: 'hi\nx\n' });
  expect(freed.write).toMatchObject({ code: 0 });
  expect(freed.repo).toMatchObject({ code: 0, stdout: 'ran\n' });
  expect(freed.repo.stderr).toMatch(/Read-only file system/);
  expect(freed.repoSpawn).toEqual({ code: 0, stdout: 'ran\n' });
  expect(freed.cow).toMatchObject({ code: 0, changes: ['created c.txt'] });
  expect(v.hooks).toBe(true);
  expect([v.left, v.leftAfter]).toEqual([[], []]);
});

/** Where a pids cgroup can be made: the v1 hierarchy, else the unified one. */
const pidsRoot = ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((d) => fs.existsSync(path.join(d, 'cgroup.procs')));
test.skipIf(process.getuid?.() !== 0 || !pidsRoot)("fork failing (EAGAIN; root: a pids cgroup at its limit around Node): the server's fork, the launcher's, the init's, the program's; each settles with the reason, nothing is left, the next works", async (ctx) => {
  const G = path.join(pidsRoot!, `sbx-test-eagain-${process.pid}`);
  try {
    fs.mkdirSync(G);
  } catch (e) {
    ctx.skip(`cannot make a pids cgroup under ${pidsRoot}: ${(e as Error).message}`);
  }
  if (!fs.existsSync(path.join(G, 'pids.max'))) {
    fs.rmdirSync(G);
    ctx.skip(`no pids controller in ${pidsRoot}`);
  }
  try {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'test', 'fixtures', 'soak', 'eagain.js'), path.join(repoRoot, 'dist', 'index.js'), G], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, SBX_SPAWN_PREPARE: '0' }, // a prepared sandbox would hold forks made ahead
    });
    expect(r.status, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v.first).toBe(0);
    // the server cannot fork: it says so, and the direct path's own spawn fails as child_process's does
    expect(v.out[0]).toMatchObject({ error: 'EAGAIN', syscall: expect.stringMatching(/^spawn .*sbx-launcher$/) });
    // the launcher cannot fork the init, the init the program: setup failed, with the reason
    expect(v.out[1]).toMatchObject({ code: 125, started: false, sandboxErrno: 11, stdout: '' });
    expect(v.out[1].stderr).toMatch(/sbx: fork: forking the init: Resource temporarily unavailable/);
    expect(v.out[2]).toMatchObject({ code: 125, started: false, sandboxErrno: 11, stdout: '' });
    expect(v.out[2].stderr).toMatch(/sbx: fork: forking the program: Resource temporarily unavailable/);
    // the program's own fork fails: its own error, it ran
    expect(v.out[3]).toMatchObject({ started: true });
    expect(v.out[3].stdout).toMatch(/^ran\n/);
    expect(v.after).toMatchObject({ code: 0, stdout: 'again\n', started: true });
    // no process of a sandbox (Node's threads and the server are the base) and no sbx-* cgroup left
    expect(v.left).toBe(v.base);
    expect(v.subdirs).toEqual([]);
  } finally {
    // EBUSY while anything is left in it (the server ends with the fixture, at once)
    for (let i = 0; fs.existsSync(G); i++) {
      try {
        fs.rmdirSync(G);
      } catch (e) {
        if (i > 50) throw e;
        await sleep(100);
      }
    }
  }
});

test.skipIf(!cgroupsMade || !fs.existsSync('/usr/bin/python3'))('a memory cgroup at its limit (cgroups, python3 needed): every sandbox of a batch ends with reason memory, the next runs', async () => {
  const cwd = tmp();
  for (const memory of ['32M', '1M']) {
    const policy = { extends: 'default', limits: { memory } };
    const rs = await within(
      60_000,
      Promise.all(Array.from({ length: 4 }, () => sbx.run('/usr/bin/python3', ['-c', 'b = bytearray(200 * 1024 * 1024)'], { cwd, policy }))),
    );
    for (const r of rs) {
      expect([r.reason, r.signal]).toEqual(['memory', 'SIGKILL']);
      expect(r.stderr).toMatch(/sbx: limits\.memory: the memory limit/);
    }
    const ok = await sbx.run('/bin/echo', ['fits'], { cwd, policy });
    expect([ok.code, ok.stdout]).toEqual([0, 'fits\n']);
  }
});
