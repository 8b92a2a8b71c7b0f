/**
 * The launcher's wire formats with Node, both sides at once: the C writer
 * of the event lines (launcher/event_lines.c) against the TS parser
 * (lib/launcher-events.ts), and the TS encoder of the spawn server's
 * requests (lib/spawn-wire.ts) against the C decoder (launcher/request.c).
 * build/tests/launcher_wire is the C side (test/native/launcher_wire.c).
 * The strings are hostile: quotes, backslashes, newlines and controls that
 * would end or forge a line, bytes that are not UTF-8, a line's worth of
 * JSON to inject.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { nativeTestDir, repoRoot } from './helpers/paths';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const events = require(path.join(repoRoot, 'dist', 'launcher-events.js')) as typeof import('../lib/launcher-events');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const wire = require(path.join(repoRoot, 'dist', 'spawn-wire.js')) as typeof import('../lib/spawn-wire');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const policy = require(path.join(repoRoot, 'dist', 'policy.js')) as typeof import('../lib/policy');

const bin = path.join(nativeTestDir, 'launcher_wire');
const built = fs.existsSync(bin);

/** [name, bytes, the text the parser must give back] */
const HOSTILE: Array<[string, Buffer, string]> = [
  ['plain', Buffer.from('connect'), 'connect'],
  ['quotes and backslashes', Buffer.from('a"b\\c\\"d'), 'a"b\\c\\"d'],
  ['a forged next line', Buffer.from('x"}\n{"event":"started"}\n{"event":"end","wallMs":1'), 'x"}\n{"event":"started"}\n{"event":"end","wallMs":1'],
  ['controls', Buffer.from('\x01\x08\t\r\x1b[31m\x1f\x7f'), '\x01\x08\t\r\x1b[31m\x1f\x7f'],
  ['UTF-8 and U+2028', Buffer.from('é ✓ 😀 \u2028\u2029'), 'é ✓ 😀 \u2028\u2029'],
  // every byte that is not UTF-8 is one U+FFFD
  ['not UTF-8', Buffer.from([0x61, 0xff, 0xc3, 0x28, 0x80, 0xed, 0xa0, 0x80, 0x62]), 'a\ufffd\ufffd(\ufffd\ufffd\ufffd\ufffdb'],
  ['a JSON document', Buffer.from('{"event":"error","exitCode":0}'), '{"event":"error","exitCode":0}'],
];

function runEvents(bytes: Buffer): { lines: string[]; out: string } {
  const r = spawnSync(bin, ['events', bytes.toString('hex')], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).not.toMatch(/^FAILED/m);
  return { lines: r.stdout.split('\n').filter((l) => l !== ''), out: r.stdout };
}

describe.skipIf(!built)(`the launcher's event lines, C to TS${built ? '' : ` (skipped: ${bin} not built; npm test builds it)`}`, () => {
  for (const [name, bytes, text] of HOSTILE) {
    test(`every event parses, strings intact: ${name}`, () => {
      const { lines } = runEvents(bytes);
      // one line per event, none forged by the strings
      expect(lines).toHaveLength(18);
      const evs = lines.map((l) => events.parseLauncherLine(l));
      expect(evs.every((e) => e !== null), lines.filter((_, i) => !evs[i]).join('\n')).toBe(true);
      const hex = bytes.toString('hex');
      const err = { code: 'SBX_EVALUE', errno: 13, pointer: text, message: text };
      const args = [0, 1, 9007199254740991, '0x20000000000000', '0xffffffffffffffff', 0xdeadbeef];
      expect(evs).toEqual([
        { event: 'started' },
        { event: 'skipped', layer: text, reason: text },
        { event: 'notice', message: text },
        { event: 'limit', limit: 'wallTime', mechanism: 'timer' },
        { event: 'error', exitCode: 125, step: text, ...err },
        { event: 'exec-error', exitCode: 127, step: 'exec', ...err },
        { event: 'end', wallMs: 42, cpuMs: 1234, reason: 'cpu-time' },
        { event: 'end', wallMs: 7 },
        { event: 'violation', kind: 'syscall', syscall: text, nr: 41, arch: 0xc000003e, args, pid: 3, errno: 13, last: true },
        { event: 'violation', kind: 'syscall', syscall: null, nr: -1, arch: 0x40000003, args, pid: 1, errno: 1 },
        { event: 'violation', kind: 'net', host: text, port: 443, ip: text, reason: text },
        { event: 'violation', kind: 'net', host: text, port: 80, reason: text },
        { event: 'violation', kind: 'fs', syscall: 'openat', path: text, access: 'read', reason: 'landlock', allow: text, key: 'fs.read', flag: '--ro', pid: 2 },
        { event: 'violations-unshown', syscall: text, nr: 42, arch: 0xc000003e, shared: false, count: 9007199254740991 },
        { event: 'violations-unshown', syscall: null, nr: 7, arch: 0xc000003e, shared: true, count: 900 },
        { event: 'change', kind: 'created', type: 'file', hex },
        { event: 'change', kind: 'modified', type: 'symlink', hex, applied: false, reason: text, leftover: hex },
        { event: 'abort', hex, reason: text },
      ]);
    });
  }

  test('long strings are cut, never a line lost or split', () => {
    const long = Buffer.from('x'.repeat(4000));
    const { lines } = runEvents(long);
    expect(lines).toHaveLength(18);
    const skipped = events.parseLauncherLine(lines[1]);
    expect(skipped).toEqual({ event: 'skipped', layer: 'x'.repeat(640), reason: 'x'.repeat(640) });
    expect(events.parseLauncherLine(lines[2])).toEqual({ event: 'notice', message: 'x'.repeat(640) });
    const error = events.parseLauncherLine(lines[4]);
    // the error's own fields are bounded before (struct sbx_error)
    expect(error).toMatchObject({ event: 'error', step: 'x'.repeat(640), pointer: 'x'.repeat(255), message: 'x'.repeat(511) });
    // a copy-on-write name is a path: written whole (up to 4096 bytes)
    expect(events.parseLauncherLine(lines[15])).toMatchObject({ event: 'change', hex: long.toString('hex') });
  });

  test('the parser refuses what is not an event, and the stream splitter joins chunks', () => {
    for (const bad of [
      '',
      'sbx: skipped',
      '{"event":"started"',
      '[1]',
      '{"event":"nope"}',
      '{"event":"limit","limit":"disk","mechanism":"timer"}',
      '{"event":"end","wallMs":"5"}',
      '{"event":"violation","kind":"syscall","syscall":"x","nr":1,"arch":1,"args":[1,2,3],"pid":1,"errno":1}',
      '{"event":"violation","kind":"other","host":"h","port":1,"reason":"r"}',
      '{"event":"violation","kind":"fs","syscall":"openat","path":"/x","access":"steal","reason":"landlock","allow":"/x","key":"fs.read","flag":"--ro","pid":1}',
      '{"event":"change","kind":"created","type":"file","hex":"zz"}',
      '{"event":"error","exitCode":125,"step":"s","code":"SBX_EVALUE","errno":1,"pointer":"","message":5}',
    ]) {
      expect(events.parseLauncherLine(bad), bad).toBeNull();
    }
    const got: unknown[] = [];
    const split = new events.EventLines();
    const text = '{"event":"skipped","layer":"a","reason":"b"}\nnoise\n{"event":"started"}\n{"event":"end","wal';
    for (let i = 0; i < text.length; i += 7) split.push(text.slice(i, i + 7), (e) => got.push(e));
    expect(got).toEqual([{ event: 'skipped', layer: 'a', reason: 'b' }, { event: 'started' }]);
  });
});

function decode(msg: Buffer): Record<string, unknown> {
  const r = spawnSync(bin, ['request'], { input: msg, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

describe.skipIf(!built)(`the spawn server's requests, TS to C${built ? '' : ` (skipped: ${bin} not built)`}`, () => {
  const base = {
    id: 7,
    file: '/bin/sh',
    args: ['-c', 'echo "$1"', '', 'é ✓ 😀', 'a\nb"c\\'],
    cwd: '/tmp/a dir/é',
    policy: '{"extends":"strict"}\0after a NUL',
    verbose: false,
    warm: true,
    earlyExit: true,
    nfds: 3,
    env: ['A=1', 'PATH=/usr/bin:/bin', 'EMPTY=', 'U=é\n✓'],
  };

  test("the numbers are request.h's", () => {
    const r = spawnSync(bin, ['constants'], { encoding: 'utf8' });
    expect(JSON.parse(r.stdout)).toEqual({
      magic: wire.REQ_MAGIC,
      spawn: wire.REQ_SPAWN,
      kill: wire.REQ_KILL,
      verbose: wire.FLAG_VERBOSE,
      warm: wire.FLAG_WARM,
      argv0: wire.FLAG_ARGV0,
      earlyExit: wire.FLAG_EARLY_EXIT,
      notice: wire.FLAG_NOTICE,
      maxFds: wire.MAX_FDS,
      maxBytes: wire.MAX_BYTES,
    });
  });

  test('a spawn request decodes to what was encoded, flags and all', () => {
    for (const flags of [
      { verbose: false, warm: true, earlyExit: true },
      { verbose: true, warm: false, earlyExit: false, argv0: 'my name', notice: true },
    ]) {
      const req = { ...base, ...flags };
      const msg = wire.encodeSpawnRequest(req);
      expect(msg).not.toBeNull();
      wire.setRequestId(msg!, 4000000000);
      const expected =
        (req.verbose ? wire.FLAG_VERBOSE : 0) | (req.warm ? wire.FLAG_WARM : 0) | ('argv0' in req ? wire.FLAG_ARGV0 : 0) | (req.earlyExit ? wire.FLAG_EARLY_EXIT : 0) | ('notice' in req && req.notice ? wire.FLAG_NOTICE : 0);
      expect(decode(msg!)).toEqual({
        type: wire.REQ_SPAWN,
        id: 4000000000,
        flags: expected,
        nfds: 3,
        cwd: hex(req.cwd),
        policy: hex(req.policy),
        ...('argv0' in req ? { argv0: hex(req.argv0 as string) } : {}),
        argv: [req.file, ...req.args],
        envp: req.env,
      });
    }
  });

  test('an environment block (bindings/environ.cc) is carried as it is', () => {
    const entries = ['X=1', 'Y=two words'];
    const parts = [Buffer.alloc(4)];
    parts[0].writeUInt32LE(entries.length);
    for (const e of entries) {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(Buffer.byteLength(e));
      parts.push(len, Buffer.from(e));
    }
    const msg = wire.encodeSpawnRequest({ ...base, env: Buffer.concat(parts) });
    expect(decode(msg!)).toMatchObject({ argv: [base.file, ...base.args], envp: entries });
  });

  test('a kill request decodes; what C refuses, TS does not encode', () => {
    expect(decode(wire.encodeKillRequest(9, 15))).toEqual({ type: wire.REQ_KILL, id: 9, sig: 15 });
    // NULs where the launcher needs C strings: not encoded (C would refuse them: checked here)
    for (const bad of [{ cwd: '/a\0b' }, { file: 'sh\0' }, { args: ['x\0y'] }, { env: ['A=\0'] }, { argv0: 'n\0' }]) {
      expect(wire.encodeSpawnRequest({ ...base, ...bad }), JSON.stringify(bad)).toBeNull();
    }
    const withNul = Buffer.from(wire.encodeSpawnRequest(base)!);
    const at = withNul.indexOf('/tmp/a dir');
    withNul[at + 2] = 0;
    expect(decode(withNul)).toEqual({ error: -22 });
    // too large for one datagram: not encoded
    expect(wire.encodeSpawnRequest({ ...base, policy: 'x'.repeat(wire.MAX_BYTES) })).toBeNull();
    // the largest the C side takes is the largest TS encodes
    const fixed = wire.encodeSpawnRequest({ ...base, policy: '' })!.length;
    const edge = wire.encodeSpawnRequest({ ...base, policy: 'p'.repeat(wire.MAX_BYTES - fixed) });
    expect(edge?.length).toBe(wire.MAX_BYTES);
    expect(decode(edge!)).toMatchObject({ type: wire.REQ_SPAWN, nfds: 3 });
  });
});

describe.skipIf(!built)(`a policy source's kind, C and TS${built ? '' : ` (skipped: ${bin} not built)`}`, () => {
  test('preset, file, inline and blank are told apart by one rule on both sides', () => {
    const cases = [
      'strict', ' \t\n\rstrict', 'default', '', '   ', ' \n', '{"extends":"strict"}', '\n  {}', 'a/b', './p', '/etc/p.json',
      'p.json', '.json', 'x.json', 'a.jsonx', 'strict\n', 'my policy.json ', '\u00a0strict', '\u00e9.json', '\u00e9t\u00e9',
      '[1]', '"strict"', 'strict\0/x', '  \0{', '..', 'C:\\p.json',
    ];
    for (const text of cases) {
      const r = spawnSync(bin, ['kind', Buffer.from(text).toString('hex')], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const out = r.stdout.replace(/\n$/, '');
      const sp = out.indexOf(' ');
      const cKind = out.slice(0, sp);
      const ts = policy.sourceKind(text);
      expect(ts.kind, JSON.stringify(text)).toBe(cKind);
      if (ts.kind === 'file' || ts.kind === 'preset') expect(ts.name, JSON.stringify(text)).toBe(out.slice(sp + 1));
    }
  });
});
