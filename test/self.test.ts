/**
 * The self door: `lockdown(policy)` confines the running Node process, every
 * thread of it. Every lockdown runs in its own child Node process (fixtures
 * in test/fixtures/self), as root and as uid 65534; the test runner is never
 * confined. Each denied operation sits next to an allowed neighbour in the
 * same sandbox, and an unconfined control run shows the denied operations
 * work without sbx for the same user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RINGS_AT_START, forNode } from './helpers/node';
import { repoRoot } from './helpers/paths';
import { UNPRIV_UID, isRoot, runUnpriv, unprivNode, unprivPackage } from './helpers/unpriv';

type User = 'root' | 'unpriv';
const users: User[] = isRoot() ? ['root', 'unpriv'] : ['unpriv'];
const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'self');

let cwd: string;          // the policy's $CWD: allowed.txt, mytrue (not executable by policy)
let deniedDir: string;    // outside every read rule of strict: secret.txt
let allowed: string;
let denied: string;
let execDenied: string;
const listeners: net.Server[] = [];
let connectAllowed = 0;
let connectDenied = 0;
let bindAllowed = 0;
let bindDenied = 0;
const outside: Partial<Record<User, ChildProcess>> = {};
let unprivFixtures: string | undefined;

function listen(): Promise<net.Server> {
  return new Promise((resolve) => {
    const s = net.createServer((c) => c.end());
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}
const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

function pkg(user: User): string {
  return user === 'root' ? repoRoot : unprivPackage();
}
function fixture(user: User, name: string): string {
  if (user === 'root') return path.join(FIXTURES, name);
  if (!unprivFixtures) {
    unprivFixtures = path.join(unprivPackage(), 'fixtures-self');
    fs.cpSync(FIXTURES, unprivFixtures, { recursive: true });
    spawnSync('chmod', ['-R', 'a+rX', unprivFixtures]);
  }
  return path.join(unprivFixtures, name);
}

/** Run a fixture as `user` with `args` (JSON), return its JSON verdict. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function run(user: User, name: string, args: object, timeout = 60_000): any {
  const argv = [fixture(user, name), JSON.stringify({ pkg: pkg(user), cwd, ...args })];
  const opts = { cwd, encoding: 'utf8' as const, timeout, env: { ...process.env, TMPDIR: '/tmp' } };
  const r = user === 'root' ? spawnSync(process.execPath, argv, opts) : runUnpriv(process.execPath, argv, opts);
  let out: unknown;
  try {
    out = JSON.parse(String(r.stdout));
  } catch {
    throw new Error(`${name} as ${user}: status ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  if (r.status !== 0) throw new Error(`${name} as ${user}: status ${r.status}: ${JSON.stringify(out)}\n${r.stderr}`);
  return out;
}

beforeAll(async () => {
  cwd = fs.mkdtempSync(path.join('/tmp', 'sbx-self-cwd-'));
  deniedDir = fs.mkdtempSync(path.join('/var/tmp', 'sbx-self-denied-'));
  for (const d of [cwd, deniedDir]) fs.chmodSync(d, 0o755);
  allowed = path.join(cwd, 'allowed.txt');
  denied = path.join(deniedDir, 'secret.txt');
  execDenied = path.join(cwd, 'mytrue');
  fs.writeFileSync(allowed, 'allowed\n', { mode: 0o644 });
  fs.writeFileSync(denied, 'secret\n', { mode: 0o644 });
  fs.copyFileSync('/usr/bin/true', execDenied);
  fs.chmodSync(execDenied, 0o755);
  const [a, b] = [await listen(), await listen()];
  listeners.push(a, b);
  connectAllowed = portOf(a);
  connectDenied = portOf(b);
  const [c, d] = [await listen(), await listen()];
  bindAllowed = portOf(c);
  bindDenied = portOf(d);
  await Promise.all([c, d].map((s) => new Promise((r) => s.close(r))));
  // A process outside any sandbox, owned by each user: the signal target.
  for (const u of users) {
    outside[u] = u === 'root'
      ? spawn('sleep', ['120'], { stdio: 'ignore' })
      : spawn('setpriv', [`--reuid=${UNPRIV_UID}`, `--regid=${UNPRIV_UID}`, '--clear-groups', '--', 'sleep', '120'], { stdio: 'ignore' });
  }
});

afterAll(() => {
  for (const p of Object.values(outside)) p?.kill('SIGKILL');
  for (const s of listeners) s.close();
  for (const d of [cwd, deniedDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

/** The Node under test as `user` runs it (npm test also runs this suite on Node 22 and 24 from build/nodes/). */
function nodeFor(user: User): string {
  return user === 'root' ? fs.realpathSync(process.execPath) : unprivNode();
}

/**
 * strict (temp $CWD), plus IPv4/6 with one port to connect to and one to
 * bind, plus reading and executing (execve opens the file for reading) the
 * Node under test, which may live outside strict's system directories
 * (build/nodes/24/...): the probes start it as a child.
 */
function policyP(user: User) {
  const nodeDir = path.dirname(nodeFor(user));
  return forNode({ extends: 'strict', fs: { read: [nodeDir], exec: [nodeDir] }, net: { inet: true, connect: [connectAllowed], bind: [bindAllowed] } });
}
function probeCfg(user: User) {
  return {
    allowed,
    denied,
    connectAllowed,
    connectDenied,
    bindAllowed,
    bindDenied,
    execAllowed: nodeFor(user),
    execDenied,
    outsidePid: outside[user]!.pid,
  };
}

const CONFINED = {
  readAllowed: 'ok',
  readDenied: 'EACCES',
  connectAllowed: 'ok',
  connectDenied: 'EACCES',
  listenAllowed: 'ok',
  listenDenied: 'EACCES',
  execAllowed: 'ok',
  execDenied: 'EACCES',
  killOutside: 'EPERM',
  killSelf: 'ok',
};

describe.each(users)(`self door on Node ${process.version} as %s`, (user) => {
  test('unconfined control: everything the sandbox denies works without it', () => {
    const out = run(user, 'probe.js', { policy: null, probe: probeCfg(user), child: true });
    const all = { ...CONFINED, readDenied: 'ok', connectDenied: 'ok', listenDenied: 'ok', execDenied: 'ok', killOutside: 'ok' };
    for (const ctx of ['main', 'workerBefore', 'workerAfter', 'child']) expect(out[ctx], ctx).toEqual(all);
    expect(out.promises).toEqual({ readAllowed: 'ok', readDenied: 'ok' });
  });

  test('after lockdown: files, connect, listen, exec and signals from main, workers before/after, libuv pool and a child', () => {
    const out = run(user, 'probe.js', { policy: policyP(user), probe: probeCfg(user), child: true });
    expect(out.report.door).toBe('self');
    expect(Object.keys(out.report.enforced)).toEqual(
      expect.arrayContaining(['noNewPrivs', 'landlock', 'seccomp', 'capabilities', 'rlimits']),
    );
    expect(out.report.enforced.seccomp.tsync).toBe(true);
    expect(Array.isArray(out.report.skipped) && Array.isArray(out.report.notes)).toBe(true);
    for (const ctx of ['main', 'workerBefore', 'workerAfter', 'child']) expect(out[ctx], ctx).toEqual(CONFINED);
    expect(out.promises).toEqual({ readAllowed: 'ok', readDenied: 'EACCES' });
  });

  test("lockdown()'s report is the core's report after apply (read before, completed after)", () => {
    // best-effort with an optional missing path: a skipped line from prepare
    const policy = JSON.stringify({
      extends: 'node-service',
      fs: { read: [{ path: '/nonexistent-sbx-path', optional: true }] },
      capabilities: { keep: [] },
    });
    const api = run(user, 'report.js', { policy, way: 'api' });
    const core = run(user, 'report.js', { policy, way: 'core' });
    // The thread count in the apply note may differ between two processes,
    // and so may the io_uring rings libuv holds (Node 22+: one per event
    // loop, the fixture's worker's among them or not yet): their count and fds.
    const norm = (r: { notes: string[] }) => ({
      ...r,
      notes: r.notes
        .map((n) => n.replace(/\d+ other thread/, 'N other thread').replace(/the \d+ io_uring rings? held before lockdown \(fd [^;]*;/, 'the N io_uring rings held before lockdown (fd ...;'))
        .sort(),
    });
    expect(api.state).toBe('applied');
    expect(api.notes.some((n: string) => /other threads? confined by signal/.test(n))).toBe(true);
    expect(api.enforced.landlock.fs.length).toBeGreaterThan(3);
    expect(norm(api)).toEqual(norm(core));
  });

  test('no thread is left unconfined: every task in /proc, and a denied read from every JS thread', () => {
    const out = run(user, 'threads.js', { policy: forNode('strict'), allowed, denied });
    // main, V8 platform workers, libuv pool, inspector, 6 workers and theirs
    expect(out.tasks.length).toBeGreaterThanOrEqual(10);
    for (const t of out.tasks) {
      expect({ ...t, tid: 0 }, `task ${t.tid} (${t.name})`).toEqual({
        tid: 0,
        name: t.name,
        seccomp: '2',
        nnp: '1',
        capEff: '0000000000000000',
      });
    }
    expect(out.reads).toHaveLength(6);
    for (const r of out.reads) expect(r).toEqual({ denied: 'EACCES', allowed: 'ok' });
    expect(out.pool).toEqual(Array(8).fill('EACCES'));
    expect(out.mainRead).toBe('EACCES');
  });

  test('a filter that denies what the threads need to confine themselves is loaded after them, not while they work', () => {
    // seccomp is loaded while the other threads confine themselves only when
    // the filter allows their system calls whatever the arguments; denying
    // capget (every handler's first call) must keep it last: a handler that
    // met the filter would fail and the process would exit with 126.
    for (const [policy, early] of [
      ['strict', true],
      [{ extends: 'strict', seccomp: { deny: ['capget'] } }, false],
      [{ extends: 'strict', seccomp: { deny: ['landlock_restrict_self'] } }, false],
    ] as const) {
      const out = run(user, 'threads.js', { policy: forNode(policy), allowed, denied });
      expect(out.tasks.length).toBeGreaterThanOrEqual(10);
      for (const t of out.tasks) {
        expect({ seccomp: t.seccomp, nnp: t.nnp, capEff: t.capEff }, `task ${t.tid} (${t.name})`).toEqual({
          seccomp: '2',
          nnp: '1',
          capEff: '0000000000000000',
        });
      }
      for (const r of out.reads) expect(r).toEqual({ denied: 'EACCES', allowed: 'ok' });
      expect(out.pool).toEqual(Array(8).fill('EACCES'));
      // With io_uring rings held (Node 22+) seccomp always comes last.
      expect(out.notes.some((n: string) => n.includes('seccomp loaded meanwhile')), JSON.stringify(policy)).toBe(early && !RINGS_AT_START);
    }
  });

  test("an HTTP server started before lockdown('node-service') serves 10 000 requests; outbound to another port and exec fail", () => {
    const out = run(user, 'http.js', { requests: 10_000, deniedPort: connectDenied }, 120_000);
    expect(out.client).toEqual({ ok: 10_000, errors: 0, bad: 0 });
    expect(out.selfGet).toBe('hello /self');
    expect(out.outbound).toBe('EACCES');
    expect(out.exec).toMatch(/^(EPERM|EACCES)$/);
    expect(out.report.enforced.landlock.net).toEqual([{ port: expect.any(Number), access: ['connect_tcp'] }]);
  });

  test(`lockdown('strict') ${RINGS_AT_START
    ? 'is refused while libuv holds io_uring rings (SBX_EUNSUPPORTED), the process unchanged; with net.compat best-effort it applies'
    : 'applies: Node 20 holds no io_uring ring'}`, () => {
    const confined = { lockdown: 'applied', status: { seccomp: '2', nnp: '1' }, readDenied: 'EACCES', readAllowed: 'ok' };
    const out = run(user, 'node-service.js', { scenario: 'preset', policy: 'strict', denied });
    if (RINGS_AT_START) {
      expect(out.rings).toBeGreaterThan(0);
      expect(out.lockdown).toEqual({ name: 'SbxError', code: 'SBX_EUNSUPPORTED', isSbxError: true, message: expect.any(String) });
      expect(out.lockdown.message).toMatch(/io_uring ring/);
      expect(out.lockdown.message).toMatch(/best-effort/);
      expect({ status: out.status, readDenied: out.readDenied, readAllowed: out.readAllowed })
        .toEqual({ status: { seccomp: '0', nnp: '0' }, readDenied: 'ok', readAllowed: 'ok' });
      const be = run(user, 'node-service.js', { scenario: 'preset', policy: forNode('strict'), denied });
      expect(be).toMatchObject(confined);
    } else {
      expect(out.rings).toBe(0);
      expect(out).toMatchObject(confined);
    }
  });

  test('bad input throws SbxError before anything is applied; the process stays usable', () => {
    const out = run(user, 'bad.js', { denied, strict: forNode('strict') });
    const sbxErr = (code: string, pointer: string | RegExp) => ({
      thrown: true,
      name: 'SbxError',
      isSbxError: true,
      code,
      pointer: typeof pointer === 'string' ? pointer : expect.stringMatching(pointer),
      message: expect.any(String),
    });
    expect(out.syntax).toEqual(sbxErr('SBX_ESYNTAX', /.*/));
    expect(out.unknownKey).toEqual(sbxErr('SBX_EUNKNOWNKEY', '/fs/raed'));
    expect(out.namespaces).toEqual(sbxErr('SBX_EUNSUPPORTED', '/namespaces/net'));
    expect(out.namespaces.message).toMatch(/spawn/);
    expect(out.unknownPreset).toEqual(sbxErr('SBX_EPRESET', /.*/));
    expect(out.unknownPreset.message).toMatch(/node-service/);
    expect(out.missingPath).toEqual(sbxErr('SBX_EPATH', '/fs/read/0'));
    // The path is checked where prepare opens it: the same words as the
    // policy load's check (sbx compile, the spawn door).
    expect(out.missingPath.message).toContain('/nonexistent/sbx-self: No such file or directory (mark it {"path": ..., "optional": true}');
    expect(out.notDirPath).toEqual(sbxErr('SBX_EPATH', '/fs/read/1'));
    expect(out.notDirPath.message).toContain('/etc/passwd/sbx-self: Not a directory');
    expect(out.readAfter).toBe('ok');
    expect(out.seccomp).toBe('0');
    expect(out.nnp).toBe('0');
    expect(out.readLocked).toBe('EACCES');
  });

  test('a second lockdown only narrows, and a wider third one does not widen', () => {
    const out = run(user, 'stack.js', { deniedDir, denied, strict: forNode('strict') });
    expect(out.first).toEqual({ main: 'ok', worker: 'ok' });
    expect(out.second).toEqual({ main: 'EACCES', worker: 'EACCES' });
    expect(out.third).toEqual({ main: 'EACCES', worker: 'EACCES' });
    expect(out.filters).toBe('3');
  });
});

describe(`other spellings of the same call on Node ${process.version}`, () => {
  const user = users[0];
  test.each(['sandbox', 'compile'])('%s', (via) => {
    const out = run(user, 'probe.js', { policy: via === 'sandbox' ? forNode('strict') : policyP(user), via, probe: { allowed, denied } });
    for (const ctx of ['main', 'workerBefore', 'workerAfter']) {
      expect(out[ctx].readDenied, ctx).toBe('EACCES');
      expect(out[ctx].readAllowed, ctx).toBe('ok');
    }
    expect(out.report.enforced.landlock.abi).toBeGreaterThan(0);
  });
});

test('the package exports lockdown, prepareLockdown and sandbox.self', async () => {
  const sbx = await import('../lib/index');
  expect(typeof sbx.lockdown).toBe('function');
  expect(typeof sbx.prepareLockdown).toBe('function');
  expect(sbx.sandbox.self).toBe(sbx.lockdown);
  expect(sbx.default.lockdown).toBe(sbx.lockdown);
  expect(os.platform()).toBe('linux');
});
