/**
 * Unix sockets of the host (issue 18, item 6): `--net host` used to set
 * `net.unix: "all"`, so a sandbox reached every host daemon's socket it could
 * see (docker.sock, the user's D-Bus, ssh-agent). Now `net.unixPaths`
 * (`--unix PATH`, the `unixPaths` option) names the sockets a command may
 * reach besides its own; the spawn door's supervisor (launcher/unixsup.c)
 * performs each connect/sendto/sendmsg/sendmmsg after checking the socket by
 * inode, and refuses every other one with EACCES.
 *
 * Every run is a real `sbx run` (or sbx.run), as root and as uid 65534. Host
 * servers (test/programs/unix_probe serve) answer each stream connection with
 * their tag and print each datagram they get, so "reached" means the host
 * daemon saw it. Each refusal sits next to an allowed neighbour in the same
 * sandbox; the attacks are shown to work under `net.unix: "all"` (what
 * `--net host` meant before) first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildDir, cliPath, escapeDir, releaseDir, repoRoot } from './helpers/paths';
import { UNPRIV_UID, isRoot, unprivPackage } from './helpers/unpriv';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sbx = require(path.join(repoRoot, 'dist', 'index.js')) as typeof import('../lib/index');

const PROBE = path.join(buildDir, 'programs', 'unix_probe');
const T = 90_000;

// ---- the host's daemons -------------------------------------------------------

interface Server {
  proc: ChildProcess;
  out: string;
}

const servers: Server[] = [];
const dirs: string[] = [];
let hostDir = ''; // the host's read-only view (/run when we may write there)
let tcp: net.Server;
let tcpPort = 0;
let udp: dgram.Socket;
let udpPort = 0;
const udpGot: string[] = [];
const abstractName = `sbx-unix-test-${process.pid}`;

function serve(tag: string, specs: string[]): Promise<Server> {
  return new Promise((resolve, reject) => {
    const proc = spawn(PROBE, ['serve', tag, ...specs], { stdio: ['ignore', 'pipe', 'inherit'] });
    const s: Server = { proc, out: '' };
    proc.stdout!.on('data', (d: Buffer) => {
      s.out += d.toString();
      if (s.out.startsWith('READY\n')) resolve(s);
    });
    proc.on('exit', (code) => reject(new Error(`server ${tag} exited ${code}: ${s.out}`)));
    servers.push(s);
  });
}

const sock = (name: string) => path.join(hostDir, name);

beforeAll(async () => {
  let runOk = false;
  try {
    fs.accessSync('/run', fs.constants.W_OK);
    runOk = true;
  } catch {
    /* not root: a directory the sandbox sees read-only all the same */
  }
  hostDir = fs.mkdtempSync(path.join(runOk ? '/run' : '/var/tmp', 'sbx-unix-test-'));
  fs.chmodSync(hostDir, 0o755);
  dirs.push(hostDir);
  await serve('allow', [`stream:${sock('allow.stream')}`, `dgram:${sock('allow.dgram')}`]);
  await serve('deny', [
    `stream:${sock('deny.stream')}`,
    `dgram:${sock('deny.dgram')}`,
    `seqpacket:${sock('deny.seqpacket')}`,
    `abstract:${abstractName}`,
  ]);
  tcp = net.createServer((c) => {
    c.on('error', () => {});
    c.end('tcp\n');
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  tcpPort = (tcp.address() as net.AddressInfo).port;
  udp = dgram.createSocket('udp4');
  udp.on('message', (m) => udpGot.push(m.toString()));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  udpPort = udp.address().port;
}, T);

afterAll(() => {
  for (const s of servers) s.proc.kill('SIGKILL');
  tcp?.close();
  udp?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** All datagrams the host servers printed so far. */
const datagrams = () => servers.map((s) => s.out).join('');

/** A fresh workspace (the sandbox's working directory) with the probe in it. */
function workspace(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-unix-ws-'));
  fs.chmodSync(d, 0o777);
  dirs.push(d);
  fs.copyFileSync(PROBE, path.join(d, 'unix_probe'));
  fs.chmodSync(path.join(d, 'unix_probe'), 0o755);
  return d;
}

// ---- running probes in one sandbox ------------------------------------------------

type User = 'root' | 'unpriv';
const USERS: User[] = isRoot() ? ['root', 'unpriv'] : ['root'];
const asName = (u: User) => (u === 'root' ? (isRoot() ? 'root' : 'the calling user') : 'uid 65534');

interface Batch {
  lines: string[];
  status: number | null;
  stderr: string;
}

/** A command run to its end without blocking this process's event loop (the TCP and UDP servers live in it). */
function runAsync(cmd: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string; status: number | null }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (status) => setTimeout(() => resolve({ stdout, stderr, status }), 100));
  });
}

/**
 * `sbx run FLAGS -- sh -c ...` running each probe in turn, one line each
 * ("[i] <probe's line>"), in `cwd`; as uid 65534 through setpriv, from the
 * world-readable copy of the package.
 */
async function runProbes(user: User, flags: string[], probes: string[][], cwd = workspace()): Promise<Batch> {
  const script = probes.map((p, i) => `echo "[${i}] $(./unix_probe ${p.join(' ')} 2>&1)"`).join('\n');
  const args = ['run', ...flags, '--', 'sh', '-c', script];
  const r =
    user === 'root'
      ? await runAsync(process.execPath, [cliPath, ...args], cwd)
      : await runAsync(
          'setpriv',
          [`--reuid=${UNPRIV_UID}`, `--regid=${UNPRIV_UID}`, '--clear-groups', '--', process.execPath, path.join(unprivPackage(), 'dist', 'cli.js'), ...args],
          cwd,
        );
  const lines = probes.map((_, i) => {
    const m = new RegExp(`^\\[${i}\\] (.*)$`, 'm').exec(r.stdout);
    return m ? m[1] : `(no line for probe ${i})`;
  });
  return { lines, status: r.status, stderr: r.stderr };
}

const HOST_NET = ['--net', 'host'];
/** What `--net host` set before: the host network and every unix socket. */
const OLD_HOST_NET = [
  '--policy',
  JSON.stringify({ extends: 'default', namespaces: { net: false }, net: { inet: true, netlink: true, unix: 'all' } }),
];

/** The host daemons' sockets, each tried in every way that reaches a pathname socket. */
function daemonProbes(tag: string, ws: string): string[][] {
  return [
    ['stream', sock('deny.stream')],
    ['seqpacket', sock('deny.seqpacket')],
    ['dgram-connect', sock('deny.dgram'), `${tag}-connect`],
    ['dgram-sendto', sock('deny.dgram'), `${tag}-sendto`],
    ['dgram-sendmsg', sock('deny.dgram'), `${tag}-sendmsg`],
    ['dgram-sendmmsg', sock('deny.dgram'), `${tag}-sendmmsg`],
    ['dgram-pair-sendto', sock('deny.dgram'), `${tag}-pair`],
    // a host daemon's socket in the writable workspace
    ['stream', path.join(ws, 'host.stream')],
  ];
}

/** A host daemon inside the workspace (a socket the sandbox did not make). */
async function workspaceDaemon(ws: string): Promise<void> {
  await serve('ws', [`stream:${path.join(ws, 'host.stream')}`]);
}

let seq = 0;
const tagOf = (what: string, user: User) => `${what}-${user}-${process.pid}-${++seq}`;

describe.each(USERS)('pathname unix sockets of the host, as %s', (user) => {
  test(
    'the attack: under net.unix "all" (what --net host set before) the sandbox reaches every host daemon',
    async () => {
      const ws = workspace();
      await workspaceDaemon(ws);
      const tag = tagOf('old', user);
      const b = await runProbes(user, OLD_HOST_NET, daemonProbes(tag, ws), ws);
      expect(b.status, b.stderr).toBe(0);
      expect(b.lines[0]).toBe(`OK connect ${sock('deny.stream')} -> deny:stream:${sock('deny.stream')}`);
      expect(b.lines[1]).toMatch(/^OK connect .* -> deny:seqpacket:/);
      for (const i of [2, 3, 4, 5, 6]) expect(b.lines[i]).toMatch(/^OK /);
      expect(b.lines[7]).toMatch(/^OK connect .*host\.stream -> ws:stream:/);
      for (const how of ['connect', 'sendto', 'sendmsg', 'sendmmsg', 'pair']) expect(datagrams()).toContain(`${tag}-${how}`);
    },
    T,
  );

  test(
    '--net host: every host daemon is refused (EACCES), while its own sockets, socketpair, TCP and UDP work',
    async () => {
      const ws = workspace();
      await workspaceDaemon(ws);
      const tag = tagOf('host', user);
      const probes = [
        ...daemonProbes(tag, ws),
        ['own', '/tmp'],
        ['inet', String(tcpPort)],
        ['udp', String(udpPort), tag],
      ];
      const b = await runProbes(user, HOST_NET, probes, ws);
      expect(b.status, b.stderr).toBe(0);
      expect(b.lines.slice(0, 8)).toEqual([
        'DENIED connect EACCES',
        'DENIED connect EACCES',
        'DENIED connect EACCES',
        'DENIED sendto EACCES',
        'DENIED sendmsg EACCES',
        'DENIED sendmmsg EACCES',
        'DENIED sendto EACCES',
        'DENIED connect EACCES',
      ]);
      expect(datagrams()).not.toContain(tag);
      // the neighbours, in the same sandbox
      expect(b.lines[8]).toBe('OK own stream, dgram and abstract servers in /tmp reached; socketpair works');
      expect(b.lines[9]).toBe(`OK tcp 127.0.0.1:${tcpPort} -> tcp`);
      expect(b.lines[10]).toBe(`OK udp 127.0.0.1:${udpPort}: 2 datagrams`);
      await new Promise((r) => setTimeout(r, 200));
      expect(udpGot.filter((m) => m === tag)).toHaveLength(2);
    },
    T,
  );

  test(
    '--unix names the sockets that work; the unlisted one beside it is refused (with --net host and without)',
    async () => {
      const tag = tagOf('list', user);
      const allow = sock('allow.stream');
      const probes = [
        ['stream', allow],
        ['stream', sock('deny.stream')],
        ['dgram-connect', sock('allow.dgram'), `${tag}-a-connect`],
        ['dgram-connect', sock('deny.dgram'), `${tag}-d-connect`],
        ['dgram-sendto', sock('allow.dgram'), `${tag}-a-sendto`],
        ['dgram-sendto', sock('deny.dgram'), `${tag}-d-sendto`],
        ['dgram-sendmsg', sock('allow.dgram'), `${tag}-a-sendmsg`],
        ['dgram-sendmsg', sock('deny.dgram'), `${tag}-d-sendmsg`],
        ['dgram-sendmmsg', sock('allow.dgram'), `${tag}-a-sendmmsg`],
        ['dgram-sendmmsg', sock('deny.dgram'), `${tag}-d-sendmmsg`],
        ['seqpacket', sock('deny.seqpacket')],
      ];
      for (const flags of [HOST_NET, []]) {
        const b = await runProbes(user, [...flags, '--unix', allow, '--unix', sock('allow.dgram')], probes);
        expect(b.status, b.stderr).toBe(0);
        expect(b.lines).toEqual([
          `OK connect ${allow} -> allow:stream:${allow}`,
          'DENIED connect EACCES',
          `OK send ${sock('allow.dgram')}: ${`${tag}-a-connect`.length} bytes`,
          'DENIED connect EACCES',
          `OK sendto ${sock('allow.dgram')}: ${`${tag}-a-sendto`.length} bytes`,
          'DENIED sendto EACCES',
          `OK sendmsg ${sock('allow.dgram')}: ${`${tag}-a-sendmsg`.length} bytes`,
          'DENIED sendmsg EACCES',
          `OK sendmmsg ${sock('allow.dgram')}: 2 datagrams of ${`${tag}-a-sendmmsg`.length} bytes`,
          'DENIED sendmmsg EACCES',
          'DENIED connect EACCES',
        ]);
      }
      const got = datagrams();
      for (const how of ['connect', 'sendto', 'sendmsg', 'sendmmsg']) {
        expect(got).toContain(`GOT allow:dgram:${sock('allow.dgram')} ${tag}-a-${how}`);
        expect(got).not.toContain(`${tag}-d-${how}`);
      }
    },
    T,
  );

  test(
    'other names for a socket: a symlink, a relative path, /proc/self/root, /proc/self/fd of an O_PATH fd, a bind-mount alias',
    async () => {
      const allow = sock('allow.stream');
      const deny = sock('deny.stream');
      const alias = (n: string) => `/tmp/alias/${n}`;
      const probes = [
        ['symlink', allow],
        ['symlink', deny],
        ['relative', allow],
        ['relative', deny],
        ['procroot', deny],
        ['magic', deny],
        ['stream', alias('allow.stream')],
        ['stream', alias('deny.stream')],
        ['procroot', allow],
        ['magic', allow],
      ];
      const mounts = [{ type: 'bind', source: hostDir, target: '/tmp/alias' }];
      const old = await runProbes(user, [
        '--policy',
        JSON.stringify({ extends: 'default', namespaces: { net: false }, net: { inet: true, unix: 'all' }, mounts }),
      ], probes);
      expect(old.status, old.stderr).toBe(0);
      // every route reaches the daemon without the check
      expect(old.lines.every((l) => l.startsWith('OK connect')), old.lines.join('\n')).toBe(true);
      const b = await runProbes(user, [
        '--policy',
        JSON.stringify({ extends: 'default', namespaces: { net: false }, net: { inet: true, unixPaths: [allow] }, mounts }),
      ], probes);
      expect(b.status, b.stderr).toBe(0);
      expect(b.lines).toEqual([
        `OK connect probe-link -> allow:stream:${allow}`,
        'DENIED connect EACCES',
        `OK connect allow.stream -> allow:stream:${allow}`,
        'DENIED connect EACCES',
        'DENIED connect EACCES',
        'DENIED connect EACCES',
        // the alias is the same inode as the listed socket
        `OK connect ${alias('allow.stream')} -> allow:stream:${allow}`,
        'DENIED connect EACCES',
        // documented: paths through /proc magic links are refused, listed or not
        'DENIED connect EACCES',
        'DENIED connect EACCES',
      ]);
    },
    T,
  );

  test(
    'races: a symlink flipped, the sockaddr flipped in memory, the fd number swapped while connect() waits: never the unlisted socket',
    async () => {
      const allow = sock('allow.stream');
      const deny = sock('deny.stream');
      const races = [
        ['race-link', allow, deny, '1500'],
        ['race-mem', allow, deny, '1500'],
        ['race-fd', deny, String(tcpPort), '1500'],
      ];
      const count = (line: string, k: string) => Number(new RegExp(`\\b${k}=(\\d+)`).exec(line)?.[1] ?? NaN);
      // Without the check the same races reach the unlisted daemon.
      const old = await runProbes(user, OLD_HOST_NET, races.slice(0, 2));
      expect(old.status, old.stderr).toBe(0);
      for (const l of old.lines) expect(count(l, 'denied'), l).toBeGreaterThan(0);
      const b = await runProbes(user, [...HOST_NET, '--unix', allow], races);
      expect(b.status, b.stderr).toBe(0);
      for (const l of b.lines.slice(0, 2)) {
        expect(l).toMatch(/^RACE /);
        expect(count(l, 'denied'), l).toBe(0);
        // both sides were met: the listed socket reached, the other refused
        expect(count(l, 'allowed'), l).toBeGreaterThan(0);
        expect(count(l, 'refused'), l).toBeGreaterThan(0);
        expect(l).toMatch(/refusedErrno=EACCES/);
      }
      const fdLine = b.lines[2];
      expect(fdLine).toMatch(/^RACE /);
      expect(count(fdLine, 'denied'), fdLine).toBe(0);
      expect(count(fdLine, 'refused'), fdLine).toBeGreaterThan(0);
    },
    T,
  );

  test(
    'a blocking connect() interrupted by a signal fails with EINTR, and no connect completes behind the program\'s back afterwards',
    async () => {
      const full = sock('full.stream');
      const gate = sock('full.gate');
      if (!fs.existsSync(full)) {
        await new Promise<void>((resolve, reject) => {
          const proc = spawn(PROBE, ['serve-full', full, gate], { stdio: ['ignore', 'pipe', 'inherit'] });
          const s: Server = { proc, out: '' };
          servers.push(s);
          proc.stdout!.on('data', (d: Buffer) => {
            s.out += d.toString();
            if (s.out.startsWith('READY\n')) resolve();
          });
          proc.on('exit', (code) => reject(new Error(`serve-full exited ${code}: ${s.out}`)));
        });
      }
      const probe = [['stream-intr', full, gate, '300']];
      const want = 'OK connect interrupted: EINTR, and not connected after the backlog drained';
      // the kernel's own behaviour, without the supervisor
      const old = await runProbes(user, OLD_HOST_NET, probe);
      expect(old.lines[0], old.stderr).toBe(want);
      // the same through the supervisor: its worker is interrupted with the caller
      const b = await runProbes(user, [...HOST_NET, '--unix', full, '--unix', gate], probe);
      expect(b.lines[0], b.stderr).toBe(want);
    },
    T,
  );

  test(
    'abstract sockets: the host\'s is refused by Landlock\'s scope (EPERM), not by the list; with the scope off it is reached',
    async () => {
      const b = await runProbes(user, HOST_NET, [['abstract', abstractName], ['own', '/tmp']]);
      expect(b.status, b.stderr).toBe(0);
      expect(b.lines[0]).toBe('DENIED connect EPERM');
      expect(b.lines[1]).toMatch(/^OK own stream, dgram and abstract servers/);
      const off = await runProbes(user, [
        '--policy',
        JSON.stringify({ extends: 'default', namespaces: { net: false }, net: { unixPaths: [] }, scope: { abstractUnix: false } }),
      ], [['abstract', abstractName], ['stream', sock('deny.stream')]]);
      expect(off.status, off.stderr).toBe(0);
      expect(off.lines).toEqual([`OK connect ${abstractName} -> deny:abstract:${abstractName}`, 'DENIED connect EACCES']);
    },
    T,
  );
});

describe('unix sockets: the rest', () => {
  test(
    'a listed socket beneath a hidden directory (/tmp: an ssh-agent\'s) is bound into the view; unlisted it is not there',
    async () => {
      const agentDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-unix-agent-'));
      fs.chmodSync(agentDir, 0o755);
      dirs.push(agentDir);
      const agent = path.join(agentDir, 'agent.sock');
      await serve('agent', [`stream:${agent}`]);
      for (const user of USERS) {
        const b = await runProbes(user, ['--unix', agent], [['stream', agent]]);
        expect(b.lines[0], b.stderr).toBe(`OK connect ${agent} -> agent:stream:${agent}`);
        const n = await runProbes(user, [], [['stream', agent]], workspace());
        expect(n.lines[0]).toMatch(/^DENIED (socket EPERM|connect ENOENT)$/);
        const h = await runProbes(user, HOST_NET, [['stream', agent]]);
        expect(h.lines[0]).toBe('DENIED connect ENOENT');
      }
    },
    T,
  );

  test('setup: a listed path that is not a socket, or missing, or with net.unix "none", fails before anything runs', () => {
    const ws = workspace();
    fs.writeFileSync(path.join(ws, 'plain'), 'x');
    const notSock = spawnSync(process.execPath, [cliPath, 'run', '--unix', path.join(ws, 'plain'), '--', 'true'], { encoding: 'utf8', cwd: ws });
    expect(notSock.status).toBe(125);
    expect(notSock.stderr).toMatch(/plain is not a unix socket \(in the policy at \/net\/unixPaths\/0\)/);
    const missing = spawnSync(process.execPath, [cliPath, 'run', '--unix', '/no/such.sock', '--', 'true'], { encoding: 'utf8', cwd: ws });
    expect(missing.status).toBe(125);
    expect(missing.stderr).toMatch(/\/no\/such\.sock: No such file or directory.*\(in the policy at \/net\/unixPaths\/0\)/);
    const none = spawnSync(
      process.execPath,
      [cliPath, 'run', '--policy', JSON.stringify({ extends: 'default', net: { unix: 'none', unixPaths: [] } }), '--', 'true'],
      { encoding: 'utf8', cwd: ws },
    );
    expect(none.status).toBe(125);
    expect(none.stderr).toMatch(/net\.unix is "none"/);
    // the neighbour: the same with a socket runs
    const ok = spawnSync(process.execPath, [cliPath, 'run', '--unix', sock('allow.stream'), '--', 'true'], { encoding: 'utf8', cwd: ws });
    expect(ok.status, ok.stderr).toBe(0);
  });

  test(
    'Node API: the unixPaths option (server and direct paths), and report: a refused socket is a violation',
    async () => {
      const ws = workspace();
      const allow = sock('allow.stream');
      for (const server of [true, false]) {
        const a = await sbx.run('./unix_probe', ['stream', allow], { cwd: ws, unixPaths: [allow], server });
        expect(a.stdout.trim(), a.stderr).toBe(`OK connect ${allow} -> allow:stream:${allow}`);
        const d = await sbx.run('./unix_probe', ['stream', sock('deny.stream')], { cwd: ws, unixPaths: [allow], server });
        expect(d.stdout.trim()).toBe('DENIED connect EACCES');
        // without the option the default policy makes no AF_UNIX socket at all
        const n = await sbx.run('./unix_probe', ['stream', allow], { cwd: ws, server });
        expect(n.stdout.trim()).toBe('DENIED socket EPERM');
      }
      const r = await sbx.run('sh', ['-c', `./unix_probe stream ${sock('deny.stream')}; ./unix_probe stream ${allow}`], {
        cwd: ws,
        unixPaths: [allow],
        report: true,
      });
      expect(r.stdout.trim().split('\n')).toEqual(['DENIED connect EACCES', `OK connect ${allow} -> allow:stream:${allow}`]);
      const connects = r.violations.filter((v) => v.syscall === 'connect');
      expect(connects).toHaveLength(1);
      expect(connects[0].errno).toBe(13);
    },
    T,
  );

  test.skipIf(fs.readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim() !== '0')(
    'io_uring_setup is denied with net.unixPaths even where the policy allows it (a ring connects beside seccomp)',
    async () => {
      const ws = workspace();
      fs.copyFileSync(path.join(escapeDir, 'io_uring'), path.join(ws, 'io_uring'));
      fs.chmodSync(path.join(ws, 'io_uring'), 0o755);
      const policy = { extends: 'default', seccomp: { allow: ['io_uring_setup', 'io_uring_enter', 'io_uring_register'] } };
      const without = await sbx.run('./io_uring', [], { cwd: ws, policy });
      expect(without.stdout).toMatch(/ESCAPED io_uring_setup\(4\) = \d+/);
      const withList = await sbx.run('./io_uring', [], { cwd: ws, policy, unixPaths: [] });
      expect(withList.stdout).toMatch(/BLOCKED io_uring_setup\(4\) = -1 EPERM/);
    },
    T,
  );

  test('the preload and self doors refuse net.unixPaths in enforce mode, and run without it in best-effort', () => {
    const lib = path.join(releaseDir, 'libsbx.so');
    const enforce = JSON.stringify({ extends: 'strict', net: { unixPaths: [] } });
    const best = JSON.stringify({ extends: 'strict', net: { compat: 'best-effort', unixPaths: [] } });
    // (the working directory is writable under strict: not the repository, which holds libsbx.so)
    const cwd = workspace();
    // TMPDIR too: strict writes it, and /tmp may hold the repository (a clone there)
    const pre = spawnSync('/bin/true', [], { encoding: 'utf8', cwd, env: { ...process.env, SBX_POLICY: enforce, LD_PRELOAD: lib, TMPDIR: cwd } });
    expect(pre.status).toBe(126);
    expect(pre.stderr).toMatch(/preload door cannot restrict which unix sockets .*\(\/net\/unixPaths\)/);
    const preBest = spawnSync('/bin/true', [], { encoding: 'utf8', cwd, env: { ...process.env, SBX_POLICY: best, LD_PRELOAD: lib, TMPDIR: cwd } });
    expect(preBest.status, preBest.stderr).toBe(0);
    const self = (policy: string) =>
      spawnSync(
        process.execPath,
        [
          '-e',
          `const sbx = require(${JSON.stringify(path.join(repoRoot, 'dist', 'index.js'))});
           try { const r = sbx.lockdown(${JSON.stringify(policy)}); console.log('LOCKED', JSON.stringify(r.skipped)); }
           catch (e) { console.log('THROWN', e.code, e.pointer, e.message); }`,
        ],
        { encoding: 'utf8', cwd },
      );
    const s = self(enforce);
    expect(s.stdout).toMatch(/^THROWN SBX_EUNSUPPORTED \/net\/unixPaths .*io_uring/);
    const sb = self(best);
    expect(sb.stdout).toMatch(/^LOCKED .*\/net\/unixPaths: not enforced by the self door/);
  });

  test('sbx explain says what is enforced', () => {
    const text = sbx.explain({ extends: 'default', net: { unixPaths: [sock('allow.stream')] } });
    expect(text).toContain(`reach only the sandbox's own pathname sockets (made in its private /tmp, $TMPDIR, $HOME or /dev/shm) and ${sock('allow.stream')}`);
    expect(sbx.explain({ extends: 'default', net: { unix: 'all' } })).toMatch(/including connecting to every host daemon's socket/);
    const p = sbx.resolvePolicy({ extends: 'default', net: { unixPaths: [sock('allow.stream')] } });
    expect(p.net?.unixPaths).toEqual([sock('allow.stream')]);
  });
});

// ---- without user namespaces (a real kernel refusal, as escape.spawn.test.ts) ----
const NO_USERNS = 'echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --bounding-set=-all --inh-caps=-all -- "$@"';
const canSimulate = spawnSync('unshare', ['-U', '-r', 'sh', '-c', NO_USERNS, 'sh', 'unshare', '-U', 'true']).status === 1;

describe.skipIf(!canSimulate)('unix sockets without user namespaces (Landlock + seccomp + the supervisor only)', () => {
  test(
    'listed sockets work, host daemons are refused; own sockets in the host\'s /tmp are refused too (no private tmpfs)',
    async () => {
      const ws = workspace();
      const allow = sock('allow.stream');
      const script = [
        ['stream', allow],
        ['stream', sock('deny.stream')],
        ['dgram-sendto', sock('deny.dgram'), 'nouserns'],
        ['own', '/tmp'],
        ['race-link', allow, sock('deny.stream'), '1000'],
      ]
        .map((p, i) => `echo "[${i}] $(./unix_probe ${p.join(' ')} 2>&1)"`)
        .join('\n');
      const r = await runAsync(
        'unshare',
        ['-U', '-r', 'sh', '-c', NO_USERNS, 'sh', process.execPath, cliPath, 'run', '--verbose', '--net', 'host', '--unix', allow, '--', 'sh', '-c', script],
        ws,
      );
      expect(r.stderr).toMatch(/^sbx: skipped namespaces\.user/m);
      const line = (i: number) => new RegExp(`^\\[${i}\\] (.*)$`, 'm').exec(r.stdout)?.[1];
      expect(line(0)).toBe(`OK connect ${allow} -> allow:stream:${allow}`);
      expect(line(1)).toBe('DENIED connect EACCES');
      expect(line(2)).toBe('DENIED sendto EACCES');
      expect(line(3)).toBe('DENIED own-child exit 10 (10 connect, 11 write, 12 sendto, 13 abstract)');
      expect(line(4)).toMatch(/^RACE .* denied=0 refused=[1-9]/);
    },
    T,
  );
});
