/**
 * A listener of the program's own in place of sbx's (found in the attack pass
 * on issue 18). Where sbx's filter notifies a call (net.unixPaths: every
 * connect and addressed send; report: every denial), the kernel gives the
 * notification to the newest filter that asks for one, and refuses a second
 * listener (EBUSY) only while sbx's is open. The unix-socket supervisor runs in
 * the program's Landlock domain and can be killed by it; a reporter can be
 * killed where the policy does not scope signals. Before the fix the program
 * then installed its own listener and answered SECCOMP_USER_NOTIF_FLAG_CONTINUE:
 * a host daemon's socket reached under `--net host` (no pid namespace, no
 * cgroup to end the tree), every errno denial run under `report` (spawn and
 * preload doors). Now the filter refuses seccomp() with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER (EBUSY) whenever sbx's filter has a
 * listener (src-native/prepare_listener.c); a filter without a listener still
 * installs.
 *
 * test/programs/listener_steal does the attack; the host daemon is
 * test/programs/unix_probe's server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildDir, cliPath, releaseDir } from './helpers/paths';
import { UNPRIV_UID, isRoot, unprivPackage } from './helpers/unpriv';

const STEAL = path.join(buildDir, 'programs', 'listener_steal');
const PROBE = path.join(buildDir, 'programs', 'unix_probe');
const T = 60_000;

let daemon: ChildProcess | undefined;
let hostDir = '';
const dirs: string[] = [];
const sock = () => path.join(hostDir, 'daemon.stream');

beforeAll(async () => {
  let run = false;
  try {
    fs.accessSync('/run', fs.constants.W_OK);
    run = true;
  } catch {
    /* a directory the sandbox sees read-only all the same */
  }
  hostDir = fs.mkdtempSync(path.join(run ? '/run' : '/var/tmp', 'sbx-steal-test-'));
  fs.chmodSync(hostDir, 0o755);
  dirs.push(hostDir);
  await new Promise<void>((resolve, reject) => {
    const proc = spawn(PROBE, ['serve', 'daemon', `stream:${sock()}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('READY\n')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`daemon exited ${code}: ${out}`)));
    daemon = proc;
  });
}, T);

afterAll(() => {
  daemon?.kill('SIGKILL');
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh working directory with the programs in it (the presets execute from it). */
function workspace(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-steal-ws-'));
  fs.chmodSync(d, 0o777);
  dirs.push(d);
  for (const p of [STEAL, PROBE]) {
    fs.copyFileSync(p, path.join(d, path.basename(p)));
    fs.chmodSync(path.join(d, path.basename(p)), 0o755);
  }
  return d;
}

type User = 'root' | 'unpriv';
const USERS: User[] = isRoot() ? ['root', 'unpriv'] : ['root'];
const asUser = (user: User, cmd: string, args: string[]): [string, string[]] =>
  user === 'root' ? [cmd, args] : ['setpriv', [`--reuid=${UNPRIV_UID}`, `--regid=${UNPRIV_UID}`, '--clear-groups', '--', cmd, ...args]];
const cli = (user: User) => (user === 'root' ? cliPath : path.join(unprivPackage(), 'dist', 'cli.js'));
/** libsbx.so where neither user nor the policy may write (the preload door refuses one in /tmp). */
function lib(): string {
  const dir = path.join(hostDir, 'lib');
  const so = path.join(dir, 'libsbx.so');
  if (!fs.existsSync(so)) {
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.copyFileSync(path.join(releaseDir, 'libsbx.so'), so);
    fs.chmodSync(so, 0o755);
  }
  return so;
}

/** Run to the end of every writer of stdout (the attack's child outlives the program). */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ stdout: string; stderr: string; status: number | null }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (status) => resolve({ stdout, stderr, status }));
  });
}

const sbxRun = (user: User, policy: object, argv: string[], cwd: string, pre: string[] = []) =>
  run(...asUser(user, process.execPath, [cli(user), 'run', ...pre, '--policy', JSON.stringify(policy), '--', ...argv]), cwd);

/** The report policy of the attack: signals not scoped, so the reporter can be killed. */
const REPORT_UNSCOPED = { extends: 'default', report: true, scope: { signals: false } };

describe.each(USERS)('a listener of the program\'s own, as %s', (user) => {
  test(
    'report (spawn door): the reporter killed, no listener of the program\'s own (EBUSY), the denial stays; a filter without a listener installs',
    async () => {
      const ws = workspace();
      // pid 3: the init's second child, after the program (launcher/notify.c)
      const r = await sbxRun(user, REPORT_UNSCOPED, ['./listener_steal', 'report', '3', '1000'], ws);
      expect(r.stdout.trim(), r.stderr).toMatch(/^BLOCKED reporter killed; seccomp\(NEW_LISTENER\) = -1 EBUSY after \d+ tries; unshare = -1 ENOSYS$/);
      const plain = await sbxRun(user, REPORT_UNSCOPED, ['sh', '-c', './listener_steal plain; ./listener_steal report 999999 1'], ws);
      expect(plain.stdout.split('\n')[0], plain.stderr).toBe('OK a filter without a listener installs');
      // the neighbour's denial is reported and answered with the policy's errno while the reporter lives
      expect(plain.stdout).toMatch(/unshare = -1 EPERM/);
    },
    T,
  );

  test(
    'report (preload door): the reporter killed, no listener of the program\'s own (EBUSY), the denial stays',
    async () => {
      const ws = workspace();
      // env(1) sets them for the program alone (setpriv must not run confined)
      const preload = (args: string[]) =>
        run(
          ...asUser(user, 'env', [
            `SBX_POLICY=${JSON.stringify({ extends: 'workspace', report: true, scope: { signals: false } })}`,
            `LD_PRELOAD=${lib()}`,
            './listener_steal',
            ...args,
          ]),
          ws,
        );
      const r = await preload(['report', 'auto', '1000']);
      expect(r.stdout.trim(), r.stderr).toMatch(/^BLOCKED reporter killed; seccomp\(NEW_LISTENER\) = -1 EBUSY after \d+ tries; unshare = -1 ENOSYS$/);
      const plain = await preload(['plain']);
      expect(plain.stdout.trim(), plain.stderr).toBe('OK a filter without a listener installs');
    },
    T,
  );
});

// ---- without user namespaces: no pid namespace, and without limits no cgroup, to end the tree ----
const NO_USERNS = 'echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --bounding-set=-all --inh-caps=-all -- "$@"';
const canSimulate = spawnSync('unshare', ['-U', '-r', 'sh', '-c', NO_USERNS, 'sh', 'unshare', '-U', 'true']).status === 1;

describe.skipIf(!canSimulate).each(USERS)('a listener of the program\'s own, without user namespaces, as %s', (user) => {
  test(
    'net.unixPaths: the program\'s child outlives the killed supervisor, but gets no listener (EBUSY) and no host daemon; the listed socket works',
    async () => {
      const ws = workspace();
      // strict has no limits: nothing kills what the program leaves behind
      const policy = JSON.stringify({ extends: 'strict', fs: { exec: ['$CWD'] } });
      const sbx = (extra: string[], argv: string[]) =>
        run(
          ...asUser(user, 'unshare', ['-U', '-r', 'sh', '-c', NO_USERNS, 'sh', process.execPath, cli(user), 'run', '--verbose', '--policy', policy, '--net', 'host', ...extra, '--', ...argv]),
          ws,
        );
      const r = await sbx([], ['./listener_steal', 'unix', sock(), '1000']);
      expect(r.stderr).toMatch(/^sbx: skipped namespaces\.pid/m);
      // connect fails with ENOSYS: the filter's notification has no listener any more
      expect(r.stdout.trim(), r.stderr).toMatch(/^BLOCKED seccomp\(NEW_LISTENER\) = -1 EBUSY after \d+ tries; connect = -1 ENOSYS$/);
      const listed = await sbx(['--unix', sock()], ['./unix_probe', 'stream', sock()]);
      expect(listed.stdout.trim(), listed.stderr).toBe(`OK connect ${sock()} -> daemon:stream:${sock()}`);
    },
    T,
  );
});
