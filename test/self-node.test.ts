/**
 * The self door on the Node version running this suite: `npm test` runs it on
 * the system Node (20) and again on Node 22 and 24 (scripts/test.js), whose
 * libuv makes an io_uring ring for every event loop when the loop starts and
 * aborts if io_uring_enter is refused later (issue 17). Every test names the
 * Node version. A service locked down with 'node-service', in a child Node
 * process (test/fixtures/self/node-service.js), as root and as uid 65534: it
 * keeps serving HTTP, reads and writes through fs.promises, its workers and
 * the libuv pool keep working, and it still refuses what the preset refuses,
 * each denial beside an allowed neighbour and the same operation shown to work
 * in the same process before lockdown. The test runner is never confined.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';
import { isRoot, runUnpriv, unprivPackage } from './helpers/unpriv';

type User = 'root' | 'unpriv';
const users: User[] = isRoot() ? ['root', 'unpriv'] : ['unpriv'];
const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'self');
const NODE = `Node ${process.version}`;
const MAJOR = Number(process.versions.node.split('.')[0]);
/**
 * libuv 1.49+ (Node 22 and 24) makes a ring for every event loop at its start
 * and never one with a kernel submission thread; Node 20's libuv 1.46 makes
 * rings only with UV_USE_IO_URING=1, and then with SQPOLL.
 */
const RINGS_AT_START = MAJOR >= 22;

let runs: string; // each run's own $CWD (readable by node-service, not writable) and $TMPDIR (writable)
let deniedDir: string; // outside every rule of node-service
let denied: string;
let addonDir: string;
let unprivFixtures: string | undefined;
/** Whether each user can make an io_uring ring here without sbx (the addon's setup()), or why not. */
const uringWorks: Partial<Record<User, true | string>> = {};
let hostname: string;

function pkg(user: User): string {
  return user === 'root' ? repoRoot : unprivPackage();
}
function fixture(user: User): string {
  if (user === 'root') return path.join(FIXTURES, 'node-service.js');
  if (!unprivFixtures) {
    unprivFixtures = path.join(unprivPackage(), 'fixtures-self-node');
    fs.cpSync(FIXTURES, unprivFixtures, { recursive: true });
    spawnSync('chmod', ['-R', 'a+rX', unprivFixtures]);
  }
  return path.join(unprivFixtures, 'node-service.js');
}

/** Run the fixture as `user`; its JSON verdict. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function run(user: User, scenario: string, extra: object = {}, env: Record<string, string> = {}): any {
  // Fresh directories for every run, world-writable: uid 65534 shows that
  // writing $CWD works without sbx, and no run meets another's files.
  const dir = fs.mkdtempSync(path.join(runs, `${user}-`));
  const [cwd, tmpdir] = [path.join(dir, 'cwd'), path.join(dir, 'tmp')];
  for (const d of [cwd, tmpdir]) {
    fs.mkdirSync(d);
    fs.chmodSync(d, 0o777);
  }
  fs.chmodSync(dir, 0o755);
  const cwdFile = path.join(cwd, 'config.txt');
  fs.writeFileSync(cwdFile, 'config\n', { mode: 0o644 });
  const cfg = { pkg: pkg(user), cwd, tmpdir, denied, cwdFile, scenario, ...extra };
  const argv = [fixture(user), JSON.stringify(cfg)];
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmpdir, ...env };
  if (!('UV_USE_IO_URING' in env)) delete childEnv.UV_USE_IO_URING;
  const opts = { cwd, encoding: 'utf8' as const, timeout: 90_000, env: childEnv };
  const r = user === 'root' ? spawnSync(process.execPath, argv, opts) : runUnpriv(process.execPath, argv, opts);
  let out: unknown;
  try {
    out = JSON.parse(String(r.stdout));
  } catch {
    throw new Error(`${scenario} as ${user} on ${NODE}: status ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  if (r.status !== 0) throw new Error(`${scenario} as ${user} on ${NODE}: status ${r.status}: ${JSON.stringify(out)}\n${r.stderr}`);
  return out;
}

beforeAll(() => {
  runs = fs.mkdtempSync(path.join('/tmp', 'sbx-self-node-'));
  deniedDir = fs.mkdtempSync(path.join('/var/tmp', 'sbx-self-node-denied-'));
  for (const d of [runs, deniedDir]) fs.chmodSync(d, 0o755);
  denied = path.join(deniedDir, 'secret.txt');
  fs.writeFileSync(denied, 'secret\n', { mode: 0o644 });
  hostname = fs.readFileSync('/etc/hostname', 'utf8');

  // The io_uring addon (test/fixtures/self/uring.c), built for this run.
  addonDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-self-node-addon-'));
  fs.chmodSync(addonDir, 0o755);
  const headers = path.join(path.dirname(require.resolve('node-api-headers/package.json')), 'include');
  const cc = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-Wall', '-Werror', '-I', headers, '-o',
    path.join(addonDir, 'uring.node'), path.join(FIXTURES, 'uring.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`building test/fixtures/self/uring.c: ${cc.error?.message ?? ''}${cc.stderr}`);
  fs.chmodSync(path.join(addonDir, 'uring.node'), 0o755);
  const js = `process.stdout.write(String(require(${JSON.stringify(path.join(addonDir, 'uring.node'))}).setup()))`;
  for (const u of users) {
    const r = u === 'root' ? spawnSync(process.execPath, ['-e', js], { encoding: 'utf8' }) : runUnpriv(process.execPath, ['-e', js]);
    const v = Number(r.stdout);
    uringWorks[u] = r.status === 0 && v >= 0 ? true
      : `io_uring_setup fails here without sbx (${r.status === 0 ? `errno ${-v}` : String(r.stderr).trim().slice(0, 200)})`;
  }
});

afterAll(() => {
  for (const d of [runs, deniedDir, addonDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

const WORKER_CONFINED = { readAllowed: 'ok', write: 'ok', readBack: 'ok', readDenied: 'EACCES', readDeniedSync: 'EACCES' };
const ringNotes = (report: { notes: string[] }) => report.notes.filter((n) => /^self: io_uring_enter kept for the \d+ io_uring ring/.test(n));

describe.each(users)(`self door on ${NODE} as %s: lockdown('node-service')`, (user) => {
  // One locked-down service per user; the tests below read its verdict.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let svc: any;
  const service = () => (svc ??= run(user, 'service'));

  test('unconfined before lockdown, the same process reads the denied file, writes $CWD and executes', () => {
    expect(service().before).toEqual({ readDenied: 'ok', writeCwd: 'ok', exec: 'ok' });
    expect(service().workerBeforeWarm).toEqual({ ...WORKER_CONFINED, readDenied: 'ok', readDeniedSync: 'ok' });
  });

  test('it is applied: every layer, Seccomp 2 and no_new_privs in /proc/self/status', () => {
    const out = service();
    expect(out.version).toBe(process.version);
    expect(out.report.door).toBe('self');
    expect(Object.keys(out.report.enforced)).toEqual(expect.arrayContaining(['noNewPrivs', 'landlock', 'seccomp', 'capabilities']));
    expect(out.status).toEqual({ seccomp: '2', nnp: '1' });
  });

  test('an HTTP server started before keeps serving: 200 requests from an outside client over loopback, a file-backed response, and a server started after', () => {
    const out = service();
    expect(out.client).toEqual({ ok: 200, errors: 0, bad: 0 });
    expect(out.fileGet).toBe(`200 file ${hostname}`);
    expect(out.lateGet).toBe('200 hello /late');
  });

  test('fs.promises writes and reads back in $TMPDIR and reads /etc/hostname and $CWD; writing $CWD and reading outside the rules get EACCES', () => {
    expect(service().fs).toEqual({
      writeTmp: 'ok',
      readBackTmp: 'ok',
      readHostname: 'ok',
      readCwd: 'ok',
      writeCwd: 'EACCES',
      readDenied: 'EACCES',
      readDeniedSync: 'EACCES',
    });
  });

  test('exec is refused; the same executable is still readable', () => {
    const out = service();
    expect(out.exec).toMatch(/^(EPERM|EACCES)$/);
    expect(out.readExecutable).toBe('ok');
  });

  test('workers started before and after lockdown do fs I/O and message back, confined', () => {
    const out = service();
    expect(out.workerBefore).toEqual(WORKER_CONFINED);
    expect(out.workerAfter).toEqual(WORKER_CONFINED);
  });

  test('the libuv pool: 64+64 concurrent fs.promises, 16 pbkdf2, 16 gzip round trips, dns.lookup; denied reads in the pool get EACCES', () => {
    expect(service().pool).toEqual({ fsWrite: 64, fsRead: 64, pbkdf2: 16, zlib: 16, denied: ['EACCES'], dnsSame: true });
  });

  test(`the report's notes name the io_uring rings held at lockdown (${RINGS_AT_START ? 'Node 22+: libuv made them at start' : 'none on Node 20'})`, (ctx) => {
    if (RINGS_AT_START && uringWorks[user] !== true) ctx.skip(`${uringWorks[user]}: libuv makes no ring`);
    const out = service();
    const notes = ringNotes(out.report);
    if (RINGS_AT_START) {
      expect(out.ringsAtLockdown).toBeGreaterThan(0);
      expect(notes, JSON.stringify(out.report.notes)).toHaveLength(1);
      expect(notes[0]).toMatch(new RegExp(`^self: io_uring_enter kept for the ${out.ringsAtLockdown} io_uring rings? held before lockdown`));
      // A worker's loop makes its ring before lockdown; after, io_uring_setup
      // is refused, so libuv falls back (the worker still works, above).
      expect(out.ringsForWorkerBefore).toBeGreaterThan(0);
      expect(out.ringsForWorkerAfter).toBe(0);
    } else {
      expect(out.ringsAtLockdown).toBe(0);
      expect(notes).toEqual([]);
      expect(out.report.notes.join('\n')).not.toMatch(/io_uring/);
      expect([out.ringsForWorkerBefore, out.ringsForWorkerAfter]).toEqual([0, 0]);
    }
  });

  test('a new io_uring ring and registrations are refused (EPERM); io_uring_enter on a ring held from before still works', (ctx) => {
    if (uringWorks[user] !== true) ctx.skip(String(uringWorks[user]));
    const out = run(user, 'uring', { uring: path.join(addonDir, 'uring.node') });
    expect(out.before).toEqual({ setup: 'ok', setup2: 'ok', probe: 'ok', enter: 'ok' });
    expect(out.status).toEqual({ seccomp: '2', nnp: '1' });
    expect(out.after).toEqual({ setup: 'EPERM', probe: 'EPERM', enter: 'ok' });
    expect(out.fs).toEqual({ readHostname: 'ok', readDenied: 'EACCES' });
    // The addon's ring is held at lockdown on every version: named in the notes.
    expect(ringNotes(out.report)).toHaveLength(1);
  });

  test(`UV_USE_IO_URING=1 after a file operation: ${RINGS_AT_START
    ? 'lockdown applies (no SQPOLL ring) and denied reads through libuv get EACCES'
    : 'lockdown() throws SBX_EUNSUPPORTED (SQPOLL) and leaves the process unchanged'}`, (ctx) => {
    if (uringWorks[user] !== true) ctx.skip(String(uringWorks[user]));
    const out = run(user, 'uvIoUring', {}, { UV_USE_IO_URING: '1' });
    expect(out.env).toBe('1');
    expect(out.readBefore).toBe('ok');
    const sqThreads = Object.values(out.rings as Record<string, number>);
    if (RINGS_AT_START) {
      expect(sqThreads.length).toBeGreaterThan(0);
      expect(sqThreads.every((t) => t === -1), JSON.stringify(out.rings)).toBe(true);
      expect(out.lockdown).toBe('applied');
      expect(out.status).toEqual({ seccomp: '2', nnp: '1' });
      expect(out.fs).toEqual({ readDenied: ['EACCES'], readDeniedSync: 'EACCES', readHostname: 'ok', writeTmp: 'ok', writeCwd: 'EACCES' });
    } else {
      expect(sqThreads.some((t) => t > 0), JSON.stringify(out.rings)).toBe(true);
      expect(out.lockdown).toEqual({ name: 'SbxError', code: 'SBX_EUNSUPPORTED', isSbxError: true, message: expect.any(String) });
      expect(out.lockdown.message).toMatch(/SQPOLL/);
      expect(out.lockdown.message).toMatch(/UV_USE_IO_URING/);
      // Nothing applied: no filter, no no_new_privs, no Landlock.
      expect(out.status).toEqual({ seccomp: '0', nnp: '0' });
      expect(out.fs).toEqual({ readDenied: ['ok'], readDeniedSync: 'ok', readHostname: 'ok', writeTmp: 'ok', writeCwd: 'ok' });
    }
  });
});

describe(`self door on ${NODE}: other spellings of lockdown('node-service')`, () => {
  const user = users[0];
  test.each(['sandbox.self', 'prepareLockdown', 'compile'])('%s', (via) => {
    const out = run(user, 'service', { via });
    expect(out.status).toEqual({ seccomp: '2', nnp: '1' });
    expect(out.client).toEqual({ ok: 200, errors: 0, bad: 0 });
    expect(out.fileGet).toBe(`200 file ${hostname}`);
    expect(out.fs).toMatchObject({ writeTmp: 'ok', readHostname: 'ok', writeCwd: 'EACCES', readDenied: 'EACCES' });
    expect(out.workerBefore).toEqual(WORKER_CONFINED);
    expect(out.workerAfter).toEqual(WORKER_CONFINED);
    expect(out.pool).toEqual({ fsWrite: 64, fsRead: 64, pbkdf2: 16, zlib: 16, denied: ['EACCES'], dnsSame: true });
    expect(ringNotes(out.report)).toHaveLength(RINGS_AT_START && uringWorks[user] === true ? 1 : 0);
  });
});
