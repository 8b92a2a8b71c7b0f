/**
 * The attack programs of test/escape/ under `sbx run --policy strict` (the
 * spawn door), with every namespace the host allows, and again where user
 * namespaces are unavailable: a real kernel refusal, made without touching
 * the host the way bubblewrap's --disable-userns does it (a user namespace
 * whose user.max_user_namespaces is 0), with every capability dropped so that
 * no other namespace can be created either. Then only Landlock, seccomp,
 * rlimits and the new session confine, and must still block.
 *
 * The policy is `strict` plus read/exec of the directory holding the attack
 * binaries (strict executes only system directories).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createEscapeFixtures,
  escapeArgs,
  escapeBinDir,
  escapeNames,
  recordEscape,
  runEscape,
  unprivEscapeDir,
  type EscapeFixtures,
} from './helpers/escape';
import { cliPath } from './helpers/paths';
import { isRoot, runUnpriv, unprivPackage } from './helpers/unpriv';

/** The bombs: run below with a policy that sets limits (pids, memory, a sized tmpfs). */
const NEEDS_LIMITS = new Set(['fork_bomb', 'mem_bomb', 'disk_fill']);
/**
 * Cannot start its attack under strict: it needs a handle to `/`, which
 * Landlock does not let it open (open_by_handle_at itself is denied by
 * seccomp too). The line must say so.
 */
const PREREQ_DENIED: Record<string, RegExp> = { open_by_handle_at: /ERROR open\(\/\) = -1 EACCES/ };

const policy = JSON.stringify({ extends: 'strict', fs: { read: [escapeBinDir], exec: [escapeBinDir] } });
const names = escapeNames().filter((n) => !NEEDS_LIMITS.has(n));

const wrapCli = (c: string, a: string[]): [string, string[]] => [process.execPath, [cliPath, 'run', '--policy', policy, '--', c, ...a]];

/** No user namespaces and no capabilities: unshare -U -r, max_user_namespaces 0, then drop every capability. */
const NO_USERNS = 'echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --bounding-set=-all --inh-caps=-all -- "$@"';
const wrapNoUserns = (c: string, a: string[]): [string, string[]] => [
  'unshare',
  ['-U', '-r', 'sh', '-c', NO_USERNS, 'sh', process.execPath, cliPath, 'run', '--verbose', '--policy', policy, '--', c, ...a],
];
const canSimulate = spawnSync('unshare', ['-U', '-r', 'sh', '-c', NO_USERNS, 'sh', 'unshare', '-U', 'true']).status === 1;

let fx: EscapeFixtures;
beforeAll(async () => {
  fx = await createEscapeFixtures();
});
afterAll(() => fx?.close());

function expectBlocked(name: string, wrap: typeof wrapCli) {
  const r = runEscape(name, escapeArgs(name, fx), {
    wrap,
    timeoutMs: 30_000,
    record: { door: wrap === wrapNoUserns ? 'spawn-no-userns' : 'spawn', user: 'root' },
  });
  if (PREREQ_DENIED[name]) {
    expect(r.line, r.stderr).toMatch(PREREQ_DENIED[name]);
    return r;
  }
  expect(`${r.verdict} ${r.line}`, `${r.argv.slice(-3).join(' ')}\n${r.stderr}`).toMatch(/^BLOCKED /);
  return r;
}

describe('escape programs under sbx run --policy strict (all namespaces the host allows)', () => {
  test('the attack programs are built', () => {
    expect(names.length).toBeGreaterThan(40);
  });
  test.each(names)('%s is blocked', (name) => {
    expectBlocked(name, wrapCli);
  });
});

describe.skipIf(!canSimulate)('escape programs under sbx run --policy strict WITHOUT user namespaces', () => {
  test('the simulation is real: user namespaces fail inside it, and the launcher says what it skipped', () => {
    const r = spawnSync(wrapNoUserns('sh', ['-c', 'ls /proc | grep -c "^[0-9]"; hostname'])[0], wrapNoUserns('sh', ['-c', 'ls /proc | grep -c "^[0-9]"; hostname'])[1], {
      encoding: 'utf8',
      cwd: fx.dir,
    });
    expect(r.status, r.stderr).toBe(0);
    // Said in the host's terms (issue 25), not as unshare's errno.
    expect(r.stderr).toMatch(/^sbx: skipped namespaces\.user: user namespaces are disabled \(user\.max_user_namespaces=0\)$/m);
    for (const layer of ['pid', 'net', 'mount', 'ipc', 'uts', 'cgroup']) {
      expect(r.stderr).toMatch(new RegExp(`^sbx: skipped namespaces\\.${layer}: needs the user namespace, which the host refuses$`, 'm'));
    }
    expect(r.stderr).not.toMatch(/No space left on device|unshare: /);
    expect(r.stderr).toMatch(/^sbx: user namespaces are disabled \(user\.max_user_namespaces=0\): running without a user namespace, the read-only view/m);
    // No pid namespace: the host's processes are visible, and the hostname is the host's.
    expect(Number(r.stdout.split('\n')[0])).toBeGreaterThan(5);
  });

  test('in enforce mode the missing namespaces are a setup error (125) naming the layer', () => {
    const enforce = JSON.stringify({ extends: 'strict', namespaces: { compat: 'enforce' } });
    const [cmd, args] = wrapNoUserns('true', []);
    const i = args.indexOf(policy);
    args[i] = enforce;
    const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: fx.dir });
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/^sbx: namespaces: namespaces\.user: the host refuses it/m);
  });

  test.each(names)('%s is blocked by Landlock + seccomp alone', (name) => {
    const r = expectBlocked(name, wrapNoUserns);
    if (!PREREQ_DENIED[name]) expect(r.stderr).toMatch(/^sbx: skipped namespaces\.user/m);
  });
});

// ---- as an unprivileged user (uid/gid 65534) ----
/**
 * The same programs and policy, started by uid 65534 (setpriv, outside the
 * CLI): the launcher has no privilege of its own, so its namespaces are the
 * ones an unprivileged user may create (a user namespace first). The CLI,
 * the launcher and the programs come from world-readable copies
 * (unprivPackage, unprivEscapeDir), the targets are the fixtures made for
 * that user (its own listeners, a `sleep` it owns, a secret it can read).
 *
 * Documented limits of the spawn door for this user: none so far. An entry
 * here would be asserted to ESCAPE (so the list stays exact) and recorded
 * with its reason for the table.
 */
const UNPRIV_LIMITS: Record<string, string> = {};
/**
 * Cannot start its attack as 65534: host root is not mapped in the
 * sandbox's user namespace, so the setuid-root copy shows as owned by the
 * overflow uid 65534 and the program refuses it as "not setuid-root". The
 * kernel never grants an unmapped uid on exec (and the root is nosuid), so
 * there is nothing to gain; the test checks the file is setuid-root on the
 * host and that this, and only this, is what the line says.
 */
const UNPRIV_PREREQ: Record<string, RegExp> = { setuid_exec: /ERROR \S+ is not setuid-root \(mode 4755, uid 65534\)$/ };

describe.skipIf(!isRoot())('escape programs under sbx run --policy strict as uid 65534 (all namespaces the host allows)', () => {
  let ufx: EscapeFixtures;
  let upolicy: string;
  let ucli: string;
  beforeAll(async () => {
    ufx = await createEscapeFixtures({ forUnpriv: true });
    const bin = unprivEscapeDir();
    upolicy = JSON.stringify({ extends: 'strict', fs: { read: [bin], exec: [bin] } });
    ucli = path.join(unprivPackage(), 'dist', 'cli.js');
  });
  afterAll(() => ufx?.close());

  const wrapUnpriv = (c: string, a: string[]): [string, string[]] => [process.execPath, [ucli, 'run', '--policy', upolicy, '--', c, ...a]];

  test('the launcher really runs as 65534, in its own namespaces', () => {
    const r = runEscape('read_outside', [ufx.secretPath], { wrap: wrapUnpriv, asUser: 'unpriv' });
    // The secret is readable by 65534 on the host (the unconfined control shows it): only the door stops it.
    expect(`${r.verdict} ${r.line}`, r.stderr).toMatch(/^BLOCKED /);
    const id = runUnpriv(process.execPath, [ucli, 'run', '--', 'sh', '-c', 'id -u; ls /proc | grep -c "^[0-9]"; hostname']);
    const [uid, procs, host] = String(id.stdout).trim().split('\n');
    expect(uid, String(id.stderr)).toBe('65534');
    expect(Number(procs), String(id.stdout)).toBeLessThan(5); // a new pid namespace
    expect(host).toBe('sbx'); // a new UTS namespace
  });

  test.each(names)('%s is blocked', (name) => {
    expectUnprivBlocked(name, ufx, wrapUnpriv, 'spawn', UNPRIV_LIMITS);
  });
});

/**
 * One program as uid 65534 through `wrap`: BLOCKED, or exactly its
 * documented prerequisite refusal, or (an entry of `limits`) ESCAPED,
 * recorded with its reason.
 */
function expectUnprivBlocked(
  name: string,
  ufx: EscapeFixtures,
  wrap: (c: string, a: string[]) => [string, string[]],
  door: 'spawn' | 'spawn-no-userns',
  limits: Record<string, string>,
) {
  const known = limits[name];
  const args = name === 'setuid_exec' ? escapeArgs(name, fx) : escapeArgs(name, ufx);
  const r = runEscape(name, args, {
    wrap,
    asUser: 'unpriv',
    timeoutMs: 30_000,
    record: { door, user: 'unprivileged', ...(known ? { limit: known } : {}) },
  });
  const msg = `${r.argv.slice(-3).join(' ')}\n${r.stderr}`;
  if (known) {
    expect(r.verdict, msg).toBe('ESCAPED');
    return r;
  }
  if (PREREQ_DENIED[name]) {
    expect(r.line, msg).toMatch(PREREQ_DENIED[name]);
    return r;
  }
  if (UNPRIV_PREREQ[name]) {
    const st = fs.statSync(args[0]);
    expect([st.uid, st.mode & 0o7777]).toEqual([0, 0o4755]);
    expect(r.line, msg).toMatch(UNPRIV_PREREQ[name]);
    return r;
  }
  expect(`${r.verdict} ${r.line}`, msg).toMatch(/^BLOCKED /);
  return r;
}

/**
 * uid 65534 where user namespaces are unavailable: the same simulation as
 * for root (`unshare -U -r` as 65534 makes it root of a namespace it owns,
 * which may set its own user.max_user_namespaces to 0; then every capability
 * is dropped). Inside, uid 0 is host uid 65534: no privilege on the host,
 * and RLIMIT_NPROC binds it. Documented limits: none so far (an entry would
 * be asserted to ESCAPE and recorded with its reason).
 */
const UNPRIV_NO_USERNS_LIMITS: Record<string, string> = {};
const canSimulateUnpriv =
  isRoot() && runUnpriv('unshare', ['-U', '-r', 'sh', '-c', NO_USERNS, 'sh', 'unshare', '-U', 'true']).status === 1;

describe.skipIf(!canSimulateUnpriv)('escape programs under sbx run --policy strict as uid 65534 WITHOUT user namespaces', () => {
  let ufx: EscapeFixtures;
  let upolicy: string;
  let ucli: string;
  beforeAll(async () => {
    ufx = await createEscapeFixtures({ forUnpriv: true });
    const bin = unprivEscapeDir();
    upolicy = JSON.stringify({ extends: 'strict', fs: { read: [bin], exec: [bin] } });
    ucli = path.join(unprivPackage(), 'dist', 'cli.js');
  });
  afterAll(() => ufx?.close());

  const wrapUnprivNoUserns = (c: string, a: string[]): [string, string[]] => [
    'unshare',
    ['-U', '-r', 'sh', '-c', NO_USERNS, 'sh', process.execPath, ucli, 'run', '--verbose', '--policy', upolicy, '--', c, ...a],
  ];

  test('the simulation is real: host uid 65534, no user namespaces, the launcher says what it skipped', () => {
    const [cmd, args] = wrapUnprivNoUserns('sh', ['-c', 'id -u; grep CapEff /proc/self/status; ls /proc | grep -c "^[0-9]"; cat /proc/self/uid_map']);
    const r = runUnpriv(cmd, args);
    expect(r.status, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toMatch(/^sbx: skipped namespaces\.user: user namespaces are disabled \(user\.max_user_namespaces=0\)$/m);
    for (const layer of ['pid', 'net', 'mount', 'ipc', 'uts', 'cgroup']) {
      expect(String(r.stderr)).toMatch(new RegExp(`^sbx: skipped namespaces\\.${layer}: needs the user namespace, which the host refuses$`, 'm'));
    }
    const [uid, capEff, procs, map] = String(r.stdout).trim().split('\n');
    expect(uid).toBe('0'); // root of the unshare namespace ...
    expect(capEff).toMatch(/^CapEff:\s+0+$/); // ... without any capability ...
    expect(map.trim().split(/\s+/)).toEqual(['0', '65534', '1']); // ... which is host uid 65534, and nothing else
    expect(Number(procs)).toBeGreaterThan(5); // no pid namespace: the host's processes are visible
  });

  test.each(names)('%s is blocked by Landlock + seccomp alone', (name) => {
    const r = expectUnprivBlocked(name, ufx, wrapUnprivNoUserns, 'spawn-no-userns', UNPRIV_NO_USERNS_LIMITS);
    if (!PREREQ_DENIED[name] && !UNPRIV_PREREQ[name]) expect(r.stderr).toMatch(/^sbx: skipped namespaces\.user/m);
  });

  test.each([...NEEDS_LIMITS])('%s is blocked under limits (rlimits)', (name) => {
    expectBombBlocked(name, true, true);
  });
});

// ---- the bombs, under limits (launcher/limits.c) ----
/**
 * strict + the limit each bomb meets: pids (fork_bomb), memory (mem_bomb;
 * cgroups where writable, else rlimits), the working directory on a 4 MiB
 * tmpfs (disk_fill writes there) and, for the run without namespaces (no
 * mount namespace, so no tmpfs), RLIMIT_FSIZE.
 */
const BOMB_LIMITS: Record<string, object> = {
  fork_bomb: { limits: { pids: 32, wallTime: '20s' } },
  mem_bomb: { limits: { memory: '32M', wallTime: '20s' } },
  disk_fill: { rlimits: { fsize: '4M' } },
};
function bombPolicy(name: string, cwd: string, bin: string): string {
  return JSON.stringify({
    extends: 'strict',
    fs: { read: [bin], exec: [bin] },
    mounts: [{ type: 'tmpfs', target: cwd, size: '4M' }],
    ...BOMB_LIMITS[name],
  });
}
/**
 * `unpriv`: started by uid 65534 (runUnpriv), from the world-readable copies.
 * The cgroups here are not writable by that user, so the limits fall back to
 * rlimits: RLIMIT_NPROC (which binds a non-root uid, also when it is root of
 * the `unshare -U -r` namespace: it maps to host uid 65534), RLIMIT_AS, and
 * the sized tmpfs or RLIMIT_FSIZE.
 */
function expectBombBlocked(name: string, noUserns: boolean, unpriv = false) {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bomb-'));
  fs.chmodSync(cwd, 0o777);
  try {
    const cli = unpriv ? path.join(unprivPackage(), 'dist', 'cli.js') : cliPath;
    const pol = bombPolicy(name, cwd, unpriv ? unprivEscapeDir() : escapeBinDir);
    const wrap = (c: string, a: string[]): [string, string[]] =>
      noUserns
        ? ['unshare', ['-U', '-r', 'sh', '-c', NO_USERNS, 'sh', process.execPath, cli, 'run', '--verbose', '--policy', pol, '--', c, ...a]]
        : [process.execPath, [cli, 'run', '--policy', pol, '--', c, ...a]];
    const r = runEscape(name, escapeArgs(name, fx), { wrap, cwd, timeoutMs: 30_000, ...(unpriv ? { asUser: 'unpriv' as const } : {}) });
    const door = noUserns ? 'spawn-no-userns' : 'spawn';
    const user = unpriv ? 'unprivileged' : 'root';
    const msg = `${r.argv.slice(-3).join(' ')}\n${r.stderr}`;
    // Root (host uid 0, also as uid 0 of the simulation's namespace) without a
    // writable pids cgroup: RLIMIT_NPROC does not bind it, so enforce mode
    // refuses to start. (Uid 0 of a namespace mapped to host uid 65534 is
    // bound by RLIMIT_NPROC, and the launcher uses it: the bomb is BLOCKED.)
    if (!unpriv && name === 'fork_bomb' && /status 125\b/.test(r.line)) {
      expect(r.stderr).toMatch(/sbx: limits: limits\.pids: no writable cgroup with the pids controller .*RLIMIT_NPROC does not apply to root/);
      const why = 'limits.pids: no writable pids cgroup, and RLIMIT_NPROC does not bind host root; the sandbox is refused (125), not run';
      recordEscape({ ...r, verdict: 'BLOCKED', line: 'refused to start: limits.pids needs a writable pids cgroup here (enforce mode)' }, {
        door, user, limit: why,
      });
      return r;
    }
    // A limit's kill is the launcher's SIGKILL of the program; the CLI reports it as exit 123.
    const killed = r.verdict === 'ERROR' && /status 123\b/.test(r.line) && /sbx: limits\.memory/.test(r.stderr);
    const verdict = killed ? 'BLOCKED' : r.verdict;
    expect(`${verdict} ${r.line}`, msg).toMatch(/^BLOCKED /);
    recordEscape(killed ? { ...r, verdict: 'BLOCKED', line: 'killed by limits.memory (exit 123)' } : r, { door, user });
    return r;
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}
describe('the bombs under sbx run with limits', () => {
  test.each([...NEEDS_LIMITS])('%s is blocked (all namespaces the host allows)', (name) => {
    expectBombBlocked(name, false);
  });
  test.skipIf(!canSimulate).each([...NEEDS_LIMITS])('%s is blocked without user namespaces', (name) => {
    expectBombBlocked(name, true);
  });
});
describe.skipIf(!isRoot())('the bombs under sbx run with limits as uid 65534 (rlimits: no writable cgroup)', () => {
  test.each([...NEEDS_LIMITS])('%s is blocked (all namespaces the host allows)', (name) => {
    expectBombBlocked(name, false, true);
  });
});
// ---- end bombs ----
