/**
 * The spawn server (launcher/server.c, lib/spawn-server.ts): sandboxes are
 * forks of one `sbx-launcher --server` per Node process, and a sandbox of a
 * policy already served is prepared ahead of its request. These tests check
 * that the server is what runs them (and the direct launcher where options
 * need it), that a prepared sandbox is really taken, that it never shows a
 * stale view (working directory replaced, policy file changed), that nothing
 * outlives the server or Node, and Node's event semantics.
 */
import { spawn as cpSpawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sbx = require(path.join(repoRoot, 'dist', 'index.js')) as typeof import('../lib/index');

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-srv-'));
  dirs.push(d);
  return d;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ppid(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}
function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) if (/^\d+$/.test(e) && ppid(Number(e)) === pid) out.push(Number(e));
  return out;
}
function descendants(pid: number): number[] {
  const all: number[] = [];
  for (const c of childrenOf(pid)) all.push(c, ...descendants(c));
  return all;
}
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
function cwdOf(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return '';
  }
}

function close(child: import('node:child_process').ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
  return new Promise((r) => child.once('close', (c, s) => r([c, s])));
}

/** The server of this process: the parent of a sandbox's first process. */
async function serverPid(cwd: string): Promise<number> {
  const c = sbx.spawn('/bin/true', [], { cwd, stdio: 'ignore' });
  const pid = c.pid!;
  const server = ppid(pid)!;
  await close(c);
  // 'close' comes before the launcher has torn its namespaces down: wait for it to be gone
  for (let i = 0; i < 200 && alive(pid); i++) await sleep(10);
  return server;
}

/** The first process of the sandbox prepared for `cwd` (its launcher stays there), once made. */
async function preparedSlot(server: number, cwd: string, exclude: number[] = []): Promise<number | undefined> {
  // up to 5 s: a loaded 2-vCPU machine (CI runs the suite beside its own builds)
  for (let i = 0; i < 250; i++) {
    const slot = childrenOf(server).find((p) => !exclude.includes(p) && alive(p) && cwdOf(p) === cwd);
    if (slot) return slot;
    await sleep(20);
  }
  return undefined;
}

describe('the spawn server', () => {
  test('sandboxes are children of one `sbx-launcher --server`; detached or server: false take the direct launcher', async () => {
    const cwd = tmp();
    const a = sbx.spawn('/bin/sleep', ['0.3'], { cwd, stdio: 'ignore' });
    const b = sbx.spawn('/bin/sleep', ['0.3'], { cwd, stdio: 'ignore' });
    expect(typeof a.pid).toBe('number');
    const server = ppid(a.pid!)!;
    expect(ppid(b.pid!)).toBe(server);
    expect(cmdline(server)).toMatch(/sbx-launcher --server$/);
    expect(ppid(server)).toBe(process.pid);
    // detached: child_process.spawn of the launcher itself, a child of this process
    const d = sbx.spawn('/bin/sleep', ['0.3'], { cwd, stdio: 'ignore', detached: true });
    expect(ppid(d.pid!)).toBe(process.pid);
    expect(cmdline(d.pid!)).toContain('sbx-launcher');
    // server: false, the same
    const e = sbx.spawn('/bin/sleep', ['0.3'], { cwd, stdio: 'ignore', server: false });
    expect(ppid(e.pid!)).toBe(process.pid);
    const ends = await Promise.all([close(a), close(b), close(d), close(e)]);
    expect(ends).toEqual([[0, null], [0, null], [0, null], [0, null]]);
  });

  test('a sandbox prepared ahead serves the next request of the same policy, and only once', async () => {
    const cwd = tmp();
    const server = await serverPid(cwd);
    const slot = await preparedSlot(server, cwd);
    expect(slot).toBeDefined();
    const c = sbx.spawn('/bin/sh', ['-c', 'echo "$0 $(hostname) $$"', 'ran'], { cwd });
    expect(c.pid).toBe(slot);
    let out = '';
    c.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    expect(await close(c)).toEqual([0, null]);
    // its own pid namespace: the program is pid 2 under the init
    expect(out).toBe('ran sbx 2\n');
    for (let i = 0; i < 200 && alive(slot!); i++) await sleep(10);
    // the next one is a new sandbox, not the same one again
    const next = await preparedSlot(server, cwd, [slot!]);
    expect(next).toBeDefined();
    expect(next).not.toBe(slot);
    expect(alive(slot!)).toBe(false);
  });

  test("'exit' comes when nothing of the program is left: its status at once, or after the kernel killed what it left behind", async () => {
    const cwd = tmp();
    const server = await serverPid(cwd);
    const leftovers = () => descendants(server).filter((p) => alive(p) && cmdline(p) === '/bin/sleep 7.123');
    // Nothing left behind: the init reports the program's own status (prepared ahead, then cold).
    expect(await close(sbx.spawn('/bin/sh', ['-c', 'exit 4'], { cwd, stdio: 'ignore' }))).toEqual([4, null]);
    expect(await close(sbx.spawn('/bin/sh', ['-c', 'kill -USR1 $$'], { cwd, stdio: 'ignore' }))).toEqual([null, 'SIGUSR1']);
    expect(await close(sbx.spawn('/bin/sh', ['-c', 'exit 5'], { cwd: tmp(), stdio: 'ignore' }))).toEqual([5, null]);
    // A process left behind: it really runs while the program does, and is gone by 'exit'.
    // The program ends only once the test has seen what it leaves behind (a line on its stdin), so a
    // loaded machine that starts the sandbox slowly cannot make the program end first.
    const c = sbx.spawn('/bin/sh', ['-c', '/bin/sleep 7.123 & read go; exit 3'], { cwd, stdio: ['pipe', 'ignore', 'ignore'] });
    let seen = 0;
    for (let i = 0; i < 3000 && seen === 0; i++) {
      await sleep(10);
      seen = leftovers().length;
    }
    expect(seen).toBe(1);
    c.stdin!.end('go\n');
    const atExit = await new Promise<[number | null, number]>((r) => c.once('exit', (code) => r([code, leftovers().length])));
    expect(atExit).toEqual([3, 0]);
  });

  test("the environment is the one at the call: process.env as changed since start, an env option, an object assigned over process.env, a worker thread's copy", async () => {
    const cwd = tmp();
    const policy = { extends: 'default', env: { keep: ['SBXT_*'] } };
    const script = 'env | grep ^SBXT_ | sort | tr "\\n" " "';
    const show = async (opts: { env?: NodeJS.ProcessEnv } = {}) => (await sbx.run('/bin/sh', ['-c', script], { cwd, policy, ...opts })).stdout;
    const real = process.env;
    try {
      process.env.SBXT_A = 'one';
      expect(await show()).toBe('SBXT_A=one ');
      process.env.SBXT_B = 'two=2 ü';
      delete process.env.SBXT_A;
      // twice: the second is served by the sandbox prepared ahead
      expect(await show()).toBe('SBXT_B=two=2 ü ');
      expect(await show()).toBe('SBXT_B=two=2 ü ');
      expect(await show({ env: { PATH: real.PATH, SBXT_C: 'three' } })).toBe('SBXT_C=three ');
      // child_process takes an object assigned over process.env; so does sbx
      process.env = { ...real, SBXT_D: 'four' };
      try {
        expect(await show()).toBe('SBXT_B=two=2 ü SBXT_D=four ');
      } finally {
        process.env = real;
      }
      expect(await show()).toBe('SBXT_B=two=2 ü ');
      // a worker's process.env is its own copy: what it sets there is not in environ
      const file = path.join(cwd, 'worker.js');
      fs.writeFileSync(
        file,
        `const { parentPort, workerData } = require('node:worker_threads');
         const sbx = require(workerData.index);
         process.env.SBXT_W = 'worker';
         sbx.run('/bin/sh', ['-c', workerData.script], { cwd: workerData.cwd, policy: workerData.policy })
           .then((r) => parentPort.postMessage(r.stdout), (e) => parentPort.postMessage('error: ' + e.message));`,
      );
      const { Worker } = await import('node:worker_threads');
      const w = new Worker(file, { workerData: { index: path.join(repoRoot, 'dist', 'index.js'), script, cwd, policy } });
      const fromWorker = await new Promise((r) => w.once('message', r));
      await w.terminate();
      expect(fromWorker).toBe('SBXT_B=two=2 ü SBXT_W=worker ');
    } finally {
      delete real.SBXT_A;
      delete real.SBXT_B;
    }
  });

  test('the program holds its stdio and nothing else, cold or prepared ahead', async () => {
    const cwd = tmp();
    const fds = async () => {
      const r = await sbx.run('/bin/ls', ['-l', '/proc/self/fd/'], { cwd });
      expect(r.code).toBe(0);
      // ls's own directory fd is the one entry pointing into /proc
      return r.stdout
        .split('\n')
        .map((l) => /(\d+ -> .*)$/.exec(l)?.[1])
        .filter((l): l is string => !!l && !l.includes('/proc/'))
        .map((l) => l.replace(/\[\d+\]/, '[]'));
    };
    const server = await serverPid(cwd);
    const cold = await fds();
    expect(await preparedSlot(server, cwd)).toBeDefined();
    const warm = await fds();
    expect(cold).toEqual(['0 -> /dev/null', '1 -> socket:[]', '2 -> socket:[]']);
    expect(warm).toEqual(cold);
  });

  test('a prepared program is confined before its request; its filter too when it allows the hand-over', async () => {
    const status = (pid: number) => {
      const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      return { seccomp: /^Seccomp:\s+(\d)/m.exec(st)?.[1], nnp: /^NoNewPrivs:\s+(\d)/m.exec(st)?.[1], capEff: /^CapEff:\s+(\w+)/m.exec(st)?.[1] };
    };
    // the prepared sandbox's program: launcher -> init -> program. Not the
    // first sandbox's launcher: 'close' can come before it has finished
    // tearing its namespaces down.
    const preparedProgram = async (server: number, cwd: string, first: number) => {
      const slot = await preparedSlot(server, cwd, [first]);
      expect(slot).toBeDefined();
      // up to 5 s: on a loaded 2-vCPU machine the sandbox built ahead can take over 2 s
      for (let i = 0; i < 250; i++) {
        const prog = childrenOf(slot!).flatMap(childrenOf)[0];
        if (prog && status(prog).nnp === '1') return prog;
        await sleep(20);
      }
      throw new Error('no prepared program');
    };
    for (const [policy, early] of [
      ['default', true],
      // a filter that denies a call of the hand-over (dup3) is loaded after it, as in the cold path
      [{ extends: 'default', seccomp: { deny: ['dup3'] } }, false],
    ] as const) {
      const cwd = tmp();
      const first = sbx.spawn('/bin/true', [], { cwd, stdio: 'ignore', policy });
      const server = ppid(first.pid!)!;
      await close(first);
      const prog = await preparedProgram(server, cwd, first.pid!);
      expect(status(prog)).toEqual({ seccomp: early ? '2' : '0', nnp: '1', capEff: '0000000000000000' });
      // and the request it then serves is fully confined either way
      const r = await sbx.run('/bin/sh', ['-c', 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; echo $$'], { cwd, policy });
      expect(r.stdout).toBe('NoNewPrivs:\t1\nSeccomp:\t2\n2\n');
    }
  });

  test('a replaced working directory is never served from an old prepared sandbox', async () => {
    const cwd = tmp();
    fs.writeFileSync(path.join(cwd, 'old'), '');
    const first = await sbx.run('/bin/ls', [], { cwd });
    expect(first.stdout).toBe('old\n');
    const server = await serverPid(cwd);
    expect(await preparedSlot(server, cwd)).toBeDefined();
    fs.rmSync(cwd, { recursive: true });
    fs.mkdirSync(cwd);
    fs.writeFileSync(path.join(cwd, 'new'), '');
    const second = await sbx.run('/bin/ls', [], { cwd });
    expect(second.stdout).toBe('new\n');
  });

  test('a policy that extends a file is read again each time (never cached)', async () => {
    const cwd = tmp();
    const file = path.join(tmp(), 'p.json');
    const policy = JSON.stringify({ extends: file });
    fs.writeFileSync(file, JSON.stringify({ extends: 'default', env: { set: { FOO: 'one' } } }));
    const a = await sbx.run('/bin/sh', ['-c', 'echo $FOO'], { cwd, policy });
    expect(a.stdout).toBe('one\n');
    await sleep(100);
    fs.writeFileSync(file, JSON.stringify({ extends: 'default', env: { set: { FOO: 'two' } } }));
    const b = await sbx.run('/bin/sh', ['-c', 'echo $FOO'], { cwd, policy });
    expect(b.stdout).toBe('two\n');
  });

  test('the server killed: its sandboxes end with SIGKILL, nothing is left, the next spawn starts a new server', async () => {
    const cwd = tmp();
    const c = sbx.spawn('/bin/sleep', ['100'], { cwd, stdio: 'ignore' });
    const server = ppid(c.pid!)!;
    await sleep(100);
    const tree = descendants(server);
    expect(tree.length).toBeGreaterThan(0);
    process.kill(server, 'SIGKILL');
    expect(await close(c)).toEqual([null, 'SIGKILL']);
    const t0 = Date.now();
    while (tree.some(alive) && Date.now() - t0 < 5000) await sleep(50);
    expect(tree.filter(alive)).toEqual([]);
    const r = await sbx.run('/bin/echo', ['again'], { cwd });
    expect(r.stdout).toBe('again\n');
  });

  test('SIGKILL of Node: the server and every sandbox, prepared or running, go with it', async () => {
    const cwd = tmp();
    const js = `
      const sbx = require(${JSON.stringify(path.join(repoRoot, 'dist', 'index.js'))});
      (async () => {
        await sbx.run('/bin/true', [], { cwd: ${JSON.stringify(cwd)} });
        const c = sbx.spawn('/bin/sleep', ['100'], { cwd: ${JSON.stringify(cwd)}, stdio: 'ignore', policy: 'workspace' });
        await new Promise((r) => setTimeout(r, 300));
        process.stdout.write(String(c.pid) + '\\n');
        setInterval(() => {}, 1000);
      })();`;
    const node = cpSpawn(process.execPath, ['-e', js], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) => {
      let b = '';
      node.stdout!.on('data', (d) => {
        b += d;
        if (b.includes('\n')) resolve(Number(b.trim()));
      });
    });
    const server = ppid(pid)!;
    expect(cmdline(server)).toMatch(/--server$/);
    const tree = [server, ...descendants(server)];
    // the running sandbox (launcher, init, sleep) and a prepared one (launcher, init, its program)
    expect(tree.length).toBeGreaterThanOrEqual(6);
    node.kill('SIGKILL');
    const t0 = Date.now();
    while (tree.some(alive) && Date.now() - t0 < 5000) await sleep(50);
    expect(tree.filter(alive)).toEqual([]);
  });

  test("Node's semantics: 'close' without reading the output, kill() with a signal, stdio numbers and inherit", async () => {
    const cwd = tmp();
    // nobody reads stdout or ends stdin: 'close' still comes after 'exit'
    const a = sbx.spawn('/bin/sh', ['-c', 'echo unread; echo more >&2'], { cwd });
    const order: string[] = [];
    a.on('exit', () => order.push('exit'));
    a.on('close', () => order.push('close'));
    await close(a);
    expect(order).toEqual(['exit', 'close']);
    // kill: the signal ends the program, exitCode null, killed true
    const b = sbx.spawn('/bin/sleep', ['100'], { cwd, stdio: 'ignore' });
    await new Promise((r) => b.once('spawn', r));
    expect(b.kill('SIGTERM')).toBe(true);
    expect(await close(b)).toEqual([null, 'SIGTERM']);
    expect(b.killed).toBe(true);
    expect(b.exitCode).toBe(null);
    expect(b.kill()).toBe(false);
    // a file fd by number, an extra pipe at 3, 'ignore' for stdin
    const f = path.join(cwd, 'out.txt');
    const fd = fs.openSync(f, 'w');
    const c = sbx.spawn('/bin/sh', ['-c', 'echo to-file; echo to-three >&3; cat'], { cwd, stdio: ['ignore', fd, 'pipe', 'pipe'] });
    fs.closeSync(fd);
    let three = '';
    (c.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (d: string) => (three += d));
    expect(await close(c)).toEqual([0, null]);
    expect(fs.readFileSync(f, 'utf8')).toBe('to-file\n');
    expect(three).toBe('to-three\n');
    // an extra pipe is duplex, as in child_process: the program reads what the parent writes on it
    const d = sbx.spawn('/bin/sh', ['-c', 'head -c 5 <&3'], { cwd, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    (d.stdio[3] as NodeJS.WritableStream).write('hello');
    let got = '';
    d.stdout!.setEncoding('utf8').on('data', (x: string) => (got += x));
    expect(await close(d)).toEqual([0, null]);
    expect(got).toBe('hello');
    // the same through node:child_process, for the record of what Node does
    const n = cpSpawn('/bin/sh', ['-c', 'echo unread'], { cwd });
    expect(await close(n)).toEqual([0, null]);
  });

  test("a missing working directory is an 'error' event (ENOENT), as with child_process", async () => {
    const cwd = path.join(tmp(), 'gone');
    const errorOf = (child: import('node:child_process').ChildProcess) =>
      new Promise<NodeJS.ErrnoException>((r) => child.once('error', (e) => r(e as NodeJS.ErrnoException)));
    const [n, s] = await Promise.all([errorOf(cpSpawn('/bin/true', [], { cwd })), errorOf(sbx.spawn('/bin/true', [], { cwd }))]);
    expect(n.code).toBe('ENOENT');
    expect(s.code).toBe(n.code);
  });

  test('a setup error of a server sandbox is reported like the direct launcher reports it', async () => {
    const cwd = tmp();
    const missing = path.join(cwd, 'does-not-exist');
    const viaServer = await sbx.run('/bin/true', [], { cwd, policy: { extends: 'default', fs: { read: [missing] } } });
    const direct = await sbx.run('/bin/true', [], { cwd, detached: true, policy: { extends: 'default', fs: { read: [missing] } } });
    expect(viaServer.reason).toBe('setup-failed');
    expect(viaServer.code).toBe(125);
    expect(viaServer.error).toEqual(direct.error);
    expect(viaServer.error!.pointer).toBe('/fs/read/0');
    // and a good neighbour runs
    expect((await sbx.run('/bin/echo', ['fine'], { cwd })).stdout).toBe('fine\n');
  });
});

test('no stray server children after many sandboxes: only prepared ones remain', async () => {
  const cwd = tmp();
  const server = await serverPid(cwd);
  await Promise.all(Array.from({ length: 40 }, (_, i) => sbx.run('/bin/echo', [String(i)], { cwd })));
  await sleep(300);
  // one prepared sandbox per policy served (at most 8), each a launcher and its tree
  const kids = childrenOf(server).filter(alive);
  expect(kids.length).toBeLessThanOrEqual(8);
  for (const k of kids) expect(cmdline(k)).toMatch(/--server$/);
  expect(spawnSync('pgrep', ['-P', String(server), '-f', 'echo']).status).toBe(1);
});
