/**
 * The two front ends of `sbx run` say the same (issue 22): the native one
 * (dist/sbx, the launcher named `sbx`: launcher/cli_*.c) and the TypeScript
 * one (dist/cli.js, lib/commands/run.ts). One table of argument vectors,
 * good and bad, run by both: stdout, stderr, exit code and signal must be
 * equal. Then the policy text the flags make, byte for byte against
 * runPolicy() itself; and the native one without Node on PATH, where `run`
 * works and the rest says in one line that it needs Node.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runPolicy } from '../lib/commands/run';
import { cliPath, sbxBin } from './helpers/paths';
import { isRoot, runUnpriv, unprivPackage } from './helpers/unpriv';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-cli-native-'));
fs.chmodSync(work, 0o777);
fs.mkdirSync(path.join(work, 'sub'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

type R = Pick<SpawnSyncReturns<string>, 'stdout' | 'stderr' | 'status' | 'signal'>;
const pick = (r: SpawnSyncReturns<string>): R => ({ stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal });
const opts = { encoding: 'utf8' as const, cwd: work, env: { ...process.env, PWD: work }, timeout: 60_000 };
const viaNode = (args: string[]) => pick(spawnSync(process.execPath, [cliPath, ...args], opts));
const viaNative = (args: string[]) => pick(spawnSync(sbxBin, args, opts));

const TABLE: string[][] = [
  // help and usage errors (lib/cli.ts, args.ts, run.ts)
  ['run'],
  ['run', '--help'],
  ['run', '-h'],
  ['run', '--bogus', '--help'],
  ['run', '--policy', '--help'],
  ['run', '--bogus'],
  ['run', '--bogus=1', '--', 'true'],
  ['run', '--verbose=1', '--', 'true'],
  ['run', '--policy'],
  ['run', '--timeout'],
  ['run', '--policy', 'a', '--policy=b', '--', 'true'],
  ['run', '--net', 'maybe', '--', 'true'],
  ['run', '--net=', '--env', 'A=1', '--', 'true'],
  ['run', '--env', 'A', '--', 'true'],
  ['run', '--env', '=1', '--', 'true'],
  ['run', '--env', 'A=1', '--env', 'nope', '--', 'true'],
  ['run', '--pids', 'many', '--', 'true'],
  ['run', '--pids=', '--memory', '1G', '--', 'true'],
  ['run', '--ro', '/nonexistent-sbx-x', '--', 'true'],
  ['run', '--rw', 'no such "dir"\n', '--', 'true'],
  ['run', '--ro', 'sub', '--rw', 'missing', '--', 'true'],
  ['run', '--allow-host', 'x.test', '--net', 'host', '--', 'true'],
  ['run', '--verbose'],
  ['run', '--', '--help'],
  // handed to Node by the native front end: the same by construction, but the hand-over itself is checked
  ['run', '--cow=maybe', '--', 'true'],
  ['run', '--explain', '--bogus'],
  ['run', '--policy', '{bad', '--env', 'A=1', '--', 'true'],
  ['run', '--policy', '{"env":{"set":{"A":"1"}},"env":{}}', '--env', 'B=2', '--', '/bin/sh', '-c', 'echo "[$A$B]"'],
  ['frobnicate'],
  ['--version'],
  // the launcher's own answers
  ['run', '--policy', 'nosuchpreset', '--', 'true'],
  ['run', '--memory', 'lots', '--', 'true'],
  ['run', '--', '/nonexistent/cmd'],
  ['run', '--', 'sh', '-c', 'exit 7'],
  ['run', '--', 'sh', '-c', 'kill -TERM $$'],
  ['run', '--env', 'A=1', '--env', 'B=x=y', '--', 'sh', '-c', 'echo "$A $B"'],
  ['run', 'echo', 'positional', '-x', '-'],
  ['run', '--ro', 'sub', '--rw', '.', '--', 'sh', '-c', 'echo w > sub/f; echo $?; echo ok > g && cat g'],
  ['run', '--policy', '{"extends":"default","env":{"set":{"Z":"z"}}}', '--env', 'Y=y', '--', 'sh', '-c', 'echo "$Y$Z"'],
  ['run', '--net', 'host', '--', 'sh', '-c', 'cat /proc/net/dev >/dev/null && echo host-net'],
  ['run', '--timeout', '1', '--', 'sleep', '30'],
  ['run', '--pids', '5', '--timeout=20s', '--', 'sh', '-c', 'exit 3'],
];

describe('sbx run: the native front end and the TypeScript one say the same', () => {
  test('the command under test is a link to the launcher (the native front end)', () => {
    expect(fs.lstatSync(sbxBin).isSymbolicLink()).toBe(true);
    expect(path.basename(fs.realpathSync(sbxBin))).toBe('sbx-launcher');
  });

  test.each(TABLE.map((a) => [a.join(' '), a]))('%s', (_name, args) => {
    const native = viaNative(args as string[]);
    const node = viaNode(args as string[]);
    expect(native).toEqual(node);
  });

  test('the table holds runs that worked, usage errors and limits (it is not all one kind)', () => {
    const codes = new Set(TABLE.map((a) => viaNative(a).status));
    for (const c of [0, 2, 7, 124, 125, 127]) expect(codes.has(c), `exit ${c}`).toBe(true);
  });
});

describe('sbx run: the policy text the flags make', () => {
  const FLAGS: Array<{ policy?: string; ro?: string[]; rw?: string[]; exec?: string[]; net?: string; unix?: string[]; allowHost?: string[]; env?: string[]; memory?: string; pids?: string; timeout?: string }> = [
    {},
    { policy: 'strict' },
    { policy: ' ./p.json' },
    { policy: 'x.json', env: ['A=1'] },
    { policy: '  {"fs":{"read":["/etc"]}}' },
    { ro: ['sub', '/etc/../etc/', '~', '~/'], rw: ['.', 'sub/..'] },
    { exec: ['sub'], rw: ['sub'] },
    { policy: '{"version":1}', exec: ['.'] },
    { net: 'host', unix: ['s.sock', '/run/a.sock'] },
    { net: 'none', allowHost: ['*.example.com', 'x.test:*'] },
    { env: ['A=1', 'B=', 'A=2', 'C=x=y', '7=seven', '1=one'] },
    { memory: '512M', pids: '0042', timeout: '99999999999999999999999' },
    { memory: '', timeout: '' },
    { memory: '1073741824', timeout: '2m' },
    { policy: '{"extends":"default","net":{"unixPaths":["/a"],"hosts":["h"]},"namespaces":{"pid":false},"limits":{"memory":1e3,"cpu":0.50,"x":-0}}', net: 'host', unix: ['u'], env: ['K=v'], pids: '3' },
    { policy: '{"env":{"clear":true},"mounts":[{"type":"tmpfs","target":"/t"}],"fs":{"write":["/tmp"]},"z":"\\u00e9\\u0001\\t\\"\\\\/"}', ro: ['sub'], rw: ['sub'], timeout: '5' },
    { policy: '{"a":[1,2.5e-7,123456789012345678901234,0.000001,1e21]}', env: ['A=1'] },
  ];

  const argv = (f: (typeof FLAGS)[number]): string[] => {
    const a: string[] = ['run'];
    if (f.policy !== undefined) a.push('--policy', f.policy);
    for (const x of f.ro ?? []) a.push('--ro', x);
    for (const x of f.rw ?? []) a.push('--rw', x);
    for (const x of f.exec ?? []) a.push('--exec', x);
    if (f.net !== undefined) a.push('--net', f.net);
    for (const x of f.unix ?? []) a.push('--unix', x);
    for (const x of f.allowHost ?? []) a.push('--allow-host', x);
    for (const x of f.env ?? []) a.push('--env', x);
    if (f.memory !== undefined) a.push(`--memory=${f.memory}`);
    if (f.pids !== undefined) a.push('--pids', f.pids);
    if (f.timeout !== undefined) a.push(`--timeout=${f.timeout}`);
    return [...a, '--', 'true'];
  };

  test.each(FLAGS.map((f) => [JSON.stringify(f), f]))('%s', (_name, f) => {
    const flags = f as (typeof FLAGS)[number];
    // runPolicy() resolves against this process's directory: both from `work`.
    const here = process.cwd();
    process.chdir(work);
    let want: string;
    try {
      want = runPolicy(flags.policy, { ro: flags.ro ?? [], rw: flags.rw ?? [], exec: flags.exec ?? [], net: flags.net, unix: flags.unix ?? [], allowHost: flags.allowHost ?? [], env: flags.env ?? [], memory: flags.memory, pids: flags.pids, timeout: flags.timeout });
    } finally {
      process.chdir(here);
    }
    const r = spawnSync(sbxBin, argv(flags), { ...opts, env: { ...opts.env, SBX_RUN_PRINT_POLICY: '1' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${want}\n`);
  });
});

describe('sbx without Node on PATH', () => {
  const noNode = { ...opts, env: { ...opts.env, PATH: '/nonexistent-sbx-path' } };

  test('sbx run works; the other subcommands and run --cow/--report/--explain say in one line that they need Node', () => {
    const ok = spawnSync(sbxBin, ['run', '--env', 'A=1', '--', '/bin/sh', '-c', 'echo "ran $A"'], noNode);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('ran 1\n');
    expect(ok.status).toBe(0);
    const probe = spawnSync(sbxBin, ['probe'], noNode);
    expect(probe.stdout).toBe('');
    expect(probe.stderr).toBe('sbx: sbx probe needs Node.js, which is not on PATH (sbx run works without it)\n');
    expect(probe.status).toBe(1);
    for (const flag of ['--cow', '--report', '--explain']) {
      const r = spawnSync(sbxBin, ['run', flag, '--', '/bin/true'], noNode);
      expect(r.stderr).toBe(`sbx: sbx run ${flag} needs Node.js, which is not on PATH (sbx run without --cow, --report and --explain works without it)\n`);
      expect(r.status).toBe(125);
    }
  });

  test.skipIf(!isRoot())('as uid 65534 too (skipped when not root: the test above is then unprivileged)', () => {
    const bin = path.join(unprivPackage(), 'dist', 'sbx');
    // PATH without node for sbx only: setpriv itself is found on the usual one.
    const env = ['/usr/bin/env', 'PATH=/nonexistent-sbx-path'];
    const ok = runUnpriv(env[0], [env[1], bin, 'run', '--', '/bin/sh', '-c', '/usr/bin/id -u'], { cwd: work });
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('65534\n');
    const probe = runUnpriv(env[0], [env[1], bin, 'probe'], { cwd: work });
    expect(probe.stderr).toMatch(/^sbx: sbx probe needs Node\.js, which is not on PATH/);
  });
});

describe('bin/sbx.sh, the command where no link can be made', () => {
  test('finds the launcher through a chain of links, and hands the rest to Node', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-cli-sh-'));
    try {
      // As a package unpacked from a tarball: dist/sbx a copy of bin/sbx.sh, linked from node_modules/.bin.
      const pkg = path.join(dir, 'node_modules', 'sbx');
      fs.mkdirSync(path.join(pkg, 'dist'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'node_modules', '.bin'));
      fs.copyFileSync(path.join(__dirname, '..', 'bin', 'sbx.sh'), path.join(pkg, 'dist', 'sbx'));
      fs.chmodSync(path.join(pkg, 'dist', 'sbx'), 0o755);
      fs.symlinkSync(path.join(__dirname, '..', 'build'), path.join(pkg, 'build'));
      fs.symlinkSync(path.join('..', 'sbx', 'dist', 'sbx'), path.join(dir, 'node_modules', '.bin', 'sbx'));
      const bin = path.join(dir, 'node_modules', '.bin', 'sbx');
      const r = spawnSync(bin, ['run', '--', '/bin/sh', '-c', 'echo via-sh'], opts);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('via-sh\n');
      expect(viaNative(['run', '--bogus'])).toEqual(pick(spawnSync(bin, ['run', '--bogus'], opts)));
      // The rest goes to Node, by way of the launcher found (its own package's dist/cli.js).
      const v = spawnSync(bin, ['--version'], opts);
      expect(v.stderr).toBe('');
      expect(v.stdout).toMatch(/^sbx \d+\.\d+\.\d+\n$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
