/**
 * The spawn API takes `sbx run`'s shortcuts as options (issue 20, "API parity"): `ro`, `rw`, `exec`, `net`,
 * `unix`, `hosts`, `setEnv` and `limits`, one implementation with the CLI (lib/policy-shortcuts.ts). Each
 * option is checked by what it changes in a real sandbox: a denial without it (or beyond it) and the allowed
 * neighbour with it, as root and as uid 65534, through `sbx.run()` in a child Node (the caller's own
 * process, as an application would).
 */
import { spawn as cpSpawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cliPath, repoRoot } from './helpers/paths';
import { isRoot, runUnpriv, unprivNode, unprivPackage } from './helpers/unpriv';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sbx = require(path.join(repoRoot, 'dist', 'index.js')) as typeof import('../lib/index');

type Result = Awaited<ReturnType<typeof sbx.run>>;
type Opts = Record<string, unknown>;

let base: string;
let work: string;
beforeAll(() => {
  // Under /tmp: the sandbox has its own /tmp, so the host's directories there
  // are not seen unless an option shows them. Readable by uid 65534.
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-shortcuts-'));
  fs.chmodSync(base, 0o755);
  // The sandboxes' working directory (writable and, in the default preset,
  // executable): apart from the directories the options name.
  work = path.join(base, 'work');
  fs.mkdirSync(work, { mode: 0o777 });
  fs.chmodSync(work, 0o777);
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

/** A fresh directory under base that `who` owns (uid 65534 writes its own). */
function dir(who: 'root' | 'unpriv', files: Record<string, { text: string; mode?: number }> = {}): string {
  const d = fs.mkdtempSync(path.join(base, 'd-'));
  for (const [name, f] of Object.entries(files)) fs.writeFileSync(path.join(d, name), f.text, { mode: f.mode ?? 0o644 });
  fs.chmodSync(d, 0o755);
  if (who === 'unpriv') spawnSync('chown', ['-R', '65534:65534', d]);
  return d;
}

/** sbx.run(cmd, args, opts) in a child Node as root or uid 65534; the result. */
function runAs(who: 'root' | 'unpriv', cmd: string, args: string[], opts: Opts): Result {
  const pkg = who === 'root' ? repoRoot : unprivPackage();
  const js =
    `require(${JSON.stringify(path.join(pkg, 'dist', 'index.js'))}).run(${JSON.stringify(cmd)}, ${JSON.stringify(args)}, ${JSON.stringify({ cwd: work, notice: 'none', ...opts })})` +
    `.then((r) => process.stdout.write(JSON.stringify(r)), (e) => process.stdout.write(JSON.stringify({ thrown: e.code, message: e.message })))`;
  const r = who === 'root' ? spawnSync(process.execPath, ['-e', js], { encoding: 'utf8' }) : runUnpriv(process.execPath, ['-e', js], { encoding: 'utf8' });
  expect(r.status, String(r.stderr)).toBe(0);
  return JSON.parse(String(r.stdout)) as Result;
}

const WHO = [
  ['root', true],
  ['unpriv', isRoot()],
] as const;

describe.each(WHO)('spawn options = run flags, as %s', (who, can) => {
  test.skipIf(!can)('ro: a host directory is readable and executable, not writable; without it, not there', () => {
    const d = dir(who, { 'data.txt': { text: 'DATA\n' }, 'tool.sh': { text: '#!/bin/sh\necho TOOL\n', mode: 0o755 } });
    const without = runAs(who, 'cat', [path.join(d, 'data.txt')], {});
    expect(without.code).not.toBe(0);
    const r = runAs(who, 'sh', ['-c', `cat ${d}/data.txt && ${d}/tool.sh && (echo x > ${d}/data.txt) 2>/dev/null; echo "w=$?"`], { ro: [d] });
    expect(r.stdout).toMatch(/^DATA\nTOOL\nw=[12]\n$/);
    expect(fs.readFileSync(path.join(d, 'data.txt'), 'utf8')).toBe('DATA\n');
  });

  test.skipIf(!can)('rw: a host directory is writable (the write lands on the host), not executable; exec adds executing', () => {
    const d = dir(who, { 'run.sh': { text: '#!/bin/sh\necho RAN\n', mode: 0o755 } });
    const w = runAs(who, 'sh', ['-c', `echo made > ${d}/new.txt; ${d}/run.sh; echo "x=$?"`], { rw: [d] });
    expect(fs.readFileSync(path.join(d, 'new.txt'), 'utf8')).toBe('made\n');
    expect(w.stdout).toBe('x=126\n');
    const x = runAs(who, 'sh', ['-c', `${d}/run.sh; echo "x=$?"`], { rw: [d], exec: [d] });
    expect(x.stdout).toBe('RAN\nx=0\n');
  });

  test.skipIf(!can)('net: none has loopback only; host has the host interfaces', () => {
    const ifaces = (t: string) => t.split('\n').slice(2).map((l) => l.split(':')[0].trim()).filter(Boolean).sort();
    const none = runAs(who, 'cat', ['/proc/net/dev'], { net: 'none' });
    expect(ifaces(none.stdout)).toEqual(['lo']);
    const host = runAs(who, 'cat', ['/proc/net/dev'], { net: 'host' });
    expect(ifaces(host.stdout)).toEqual(ifaces(fs.readFileSync('/proc/net/dev', 'utf8')));
    expect(ifaces(host.stdout).length).toBeGreaterThan(1);
  });

  test.skipIf(!can)('setEnv: set in the sandbox past the policy env filter; env alone is filtered as before', () => {
    const r = runAs(who, 'sh', ['-c', 'echo "a=$SBX_SC_A k=$AWS_SECRET_ACCESS_KEY"'], { setEnv: { SBX_SC_A: 'one two', AWS_SECRET_ACCESS_KEY: 'given' } });
    expect(r.stdout).toBe('a=one two k=given\n');
    // Without it, the policy's env section filters what `env` passes.
    const f = runAs(who, 'sh', ['-c', 'echo "a=$SBX_SC_A k=$AWS_SECRET_ACCESS_KEY"'], { env: { PATH: '/usr/bin:/bin', SBX_SC_A: 'one', AWS_SECRET_ACCESS_KEY: 'leak' } });
    expect(f.stdout).toBe('a= k=\n');
  });

  test.skipIf(!can)('limits: timeout kills the sandbox (reason timeout), pids stops a fork past the count', () => {
    const t = runAs(who, 'sleep', ['5'], { limits: { timeout: '300ms' } });
    expect(t.reason).toBe('timeout');
    expect(runAs(who, 'sleep', ['0'], { limits: { timeout: '5s' } }).reason).toBe('exit');
    const forks = 'import os,time\nn=0\nfor i in range(12):\n  try: pid=os.fork()\n  except OSError: break\n  if pid==0: time.sleep(1); os._exit(0)\n  n+=1\nprint("n=%d" % n)';
    const p = runAs(who, '/usr/bin/python3', ['-c', forks], { limits: { pids: 6 } });
    const n = Number(/n=(\d+)/.exec(p.stdout)?.[1]);
    expect(n, p.stdout + p.stderr).toBeLessThan(6);
    const q = runAs(who, '/usr/bin/python3', ['-c', forks], { limits: { pids: 64 } });
    expect(q.stdout).toBe('n=12\n');
  });

  test.skipIf(!can)('unix: a host socket may be connected to only when listed', async () => {
    const d = dir(who);
    const sock = path.join(d, 's.sock');
    const server = net.createServer((c) => c.end('HELLO\n'));
    await new Promise<void>((r) => server.listen(sock, r));
    fs.chmodSync(sock, 0o777);
    try {
      const client = `import socket,sys\ntry:\n  s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print(s.recv(10).decode().strip())\nexcept OSError as e:\n  print('ERR', e.errno)`;
      const go = (opts: Opts) =>
        new Promise<Result>((resolve) => {
          // Async: the server answers from this process's event loop.
          const pkg = who === 'root' ? repoRoot : unprivPackage();
          const js = `require(${JSON.stringify(path.join(pkg, 'dist', 'index.js'))}).run('/usr/bin/python3', ['-c', ${JSON.stringify(client)}, ${JSON.stringify(sock)}], ${JSON.stringify({ cwd: work, notice: 'none', ...opts })}).then((r) => process.stdout.write(JSON.stringify(r)))`;
          const argv = who === 'root' ? [process.execPath, '-e', js] : ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', unprivNode(), '-e', js];
          const c = cpSpawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          c.stdout.on('data', (b: Buffer) => (out += b.toString()));
          c.on('close', () => resolve(JSON.parse(out) as Result));
        });
      const denied = await go({ ro: [d] });
      expect(denied.stdout).toMatch(/^ERR (13|1)\n$/);
      const ok = await go({ ro: [d], unix: [sock] });
      expect(ok.stdout).toBe('HELLO\n');
    } finally {
      server.close();
    }
  });

  test.skipIf(!can)('hosts: the egress path is there and refuses a host not listed; without it, no proxy at all', () => {
    // No name resolves or connects anywhere here: the proxy refuses denied.test by name; allowed.test
    // passes the check (then fails to resolve: 502), which is the allowed neighbour.
    const script = 'echo "p=${HTTP_PROXY:+set}"; curl -sS -m 5 http://denied.test/ 2>&1 | head -1; curl -sS -m 5 -o /dev/null -w "%{http_code}\\n" http://allowed.test/';
    const r = runAs(who, 'sh', ['-c', script], { hosts: ['allowed.test'] });
    expect(r.stdout).toBe('p=set\nsbx: denied.test port 80 is not allowed (net.hosts): --allow-host denied.test:80\n502\n');
    const none = runAs(who, 'sh', ['-c', 'echo "p=${HTTP_PROXY:+set}"'], {});
    expect(none.stdout).toBe('p=\n');
  });

  test.skipIf(!can)('bad options are SBX_EINVAL naming the option, and nothing runs', () => {
    const miss = runAs(who, 'true', [], { ro: ['/nonexistent-sbx-sc'] }) as unknown as { thrown: string; message: string };
    expect(miss.thrown).toBe('SBX_EINVAL');
    expect(miss.message).toMatch(/^sbx\.spawn: ro\[0\] \/nonexistent-sbx-sc: \/nonexistent-sbx-sc does not exist/);
    const bad = runAs(who, 'true', [], { net: 'all' }) as unknown as { thrown: string; message: string };
    expect(bad.message).toBe("sbx.spawn: net must be none or host, not 'all'");
    const both = runAs(who, 'true', [], { net: 'host', hosts: ['a.test'] }) as unknown as { thrown: string; message: string };
    expect(both.message).toMatch(/hosts limits the network to some hosts; net host opens all of it/);
  });
});

describe('one implementation: the options and the flags make the same policy', () => {
  test('sbx run --explain shows the same merged policy as the options', () => {
    const d = fs.mkdtempSync(path.join(base, 'x-'));
    fs.writeFileSync(path.join(d, 's'), ''); // net.unixPaths entries must exist
    const flags = ['--ro', d, '--rw', d, '--exec', d, '--net', 'none', '--unix', `${d}/s`, '--allow-host', 'a.test:8080', '--env', 'A=1', '--memory', '256M', '--pids', '9', '--timeout', '7s'];
    const { shortcutPolicy } = require(path.join(repoRoot, 'dist', 'policy-shortcuts.js')) as typeof import('../lib/policy-shortcuts');
    const fromOptions = shortcutPolicy(
      undefined,
      { ro: [d], rw: [d], exec: [d], net: 'none', unix: [`${d}/s`], hosts: ['a.test:8080'], setEnv: { A: '1' }, limits: { memory: '256M', pids: 9, timeout: '7s' } },
      { cwd: base, names: 'options' },
    );
    const { runPolicy } = require(path.join(repoRoot, 'dist', 'commands', 'run.js')) as typeof import('../lib/commands/run');
    const fromFlags = runPolicy(undefined, { ro: [d], rw: [d], exec: [d], net: 'none', unix: [`${d}/s`], allowHost: ['a.test:8080'], env: ['A=1'], memory: '256M', pids: '9', timeout: '7s' });
    expect(JSON.parse(fromOptions)).toEqual(JSON.parse(fromFlags));
    // And the CLI takes every one of those flags.
    const r = spawnSync(process.execPath, [cliPath, 'run', ...flags, '--explain'], { encoding: 'utf8', cwd: base });
    expect(r.status, r.stderr).toBe(0);
  });
});


