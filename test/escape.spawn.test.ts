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
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createEscapeFixtures,
  escapeArgs,
  escapeBinDir,
  escapeNames,
  runEscape,
  type EscapeFixtures,
} from './helpers/escape';
import { cliPath } from './helpers/paths';

/** Need `limits` (cgroup pids/memory, sized tmpfs): not enforced by the launcher yet. */
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
  const r = runEscape(name, escapeArgs(name, fx), { wrap, timeoutMs: 30_000 });
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
    for (const layer of ['user', 'pid', 'net', 'mount', 'ipc', 'uts', 'cgroup']) {
      expect(r.stderr).toMatch(new RegExp(`^sbx: skipped namespaces\\.${layer}: unshare: `, 'm'));
    }
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
