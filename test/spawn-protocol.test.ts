/**
 * The spawn server's request protocol under hostile input (issue 24): a live
 * `sbx-launcher --server`, started as lib/spawn-server.ts starts it (fd 3 the
 * control stream, fd 4 the request socket), gets malformed, truncated,
 * oversized and out-of-order requests and random datagrams, with and without
 * fds. It answers each with an error or drops the connection, never crashes
 * (the same process is alive at the end, with the fds it had, and serves a
 * real spawn), and never runs a command without its policy: every request
 * here asks to write a marker into a host directory the policy does not
 * show, and the marker never appears; the same request with a policy that
 * grants the directory writes it (the check can fail).
 * test/fuzz/fuzz_request.c fuzzes the decoder alone, at libFuzzer's pace.
 */
import { spawn as cpSpawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';

const dist = path.join(repoRoot, 'dist');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { native, artifactPaths } = require(path.join(dist, 'native.js')) as typeof import('../lib/native');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const wire = require(path.join(dist, 'spawn-wire.js')) as typeof import('../lib/spawn-wire');

const n = native();
const ETIMEDOUT = os.constants.errno.ETIMEDOUT;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deterministic PRNG (mulberry32): a failure names its seed and can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SEED = Number(process.env.SBX_PROTOCOL_SEED ?? Date.now() % 1_000_000);

interface Server {
  proc: ChildProcess;
  pid: number;
  req: number;
  /** Status lines from the control stream: id -> wait status. */
  statuses: Map<number, number>;
  exited: boolean;
}

function startServer(): Server {
  const [ctlOurs, ctlTheirs] = n.fdSocketpair(false);
  const [reqOurs, reqTheirs] = n.fdSocketpair(true);
  const proc = cpSpawn(artifactPaths().launcher, ['--server'], { stdio: ['ignore', 'ignore', 'inherit', ctlTheirs, reqTheirs] });
  n.fdClose(ctlTheirs);
  n.fdClose(reqTheirs);
  const s: Server = { proc, pid: proc.pid!, req: reqOurs, statuses: new Map(), exited: false };
  proc.on('exit', () => (s.exited = true));
  const ctl = new net.Socket({ fd: ctlOurs, readable: true, writable: false });
  let buf = '';
  ctl.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const ev = wire.parseStatusLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (ev) s.statuses.set(ev.id, ev.status);
    }
  });
  ctl.on('error', () => {});
  return s;
}

type Answer = { pid: number } | { error: string } | 'none' | 'dropped';

/** Send one datagram; the server's answer, 'none' within `ms`, or 'dropped' (it closed the socket). */
function ask(s: Server, msg: Buffer, fds: number[], ms = 3000): Answer {
  try {
    n.fdSend(s.req, msg, fds, ms);
  } catch (e) {
    if ((e as { errno?: number }).errno === ETIMEDOUT) throw e;
    return 'dropped';
  }
  try {
    return wire.parseStartAnswer(n.fdRecv(s.req, ms));
  } catch (e) {
    return (e as { errno?: number }).errno === ETIMEDOUT ? 'none' : 'dropped';
  }
}

function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

const dirs: string[] = [];
let cwd: string;
/** The host directory the command writes into: hidden by the policy (the private /tmp). */
let outside: string;
let marker: string;
let devnull: number;
const servers: Server[] = [];

beforeAll(() => {
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-proto-cwd-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-proto-out-'));
  dirs.push(cwd, outside);
  marker = path.join(outside, 'marker');
  devnull = fs.openSync('/dev/null', 'r+');
});
afterAll(() => {
  for (const s of servers) if (!s.exited) s.proc.kill('SIGKILL');
  fs.closeSync(devnull);
  dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

const GRANTING = () => JSON.stringify({ extends: 'default', fs: { write: [outside] } });
function request(over: Partial<import('../lib/spawn-wire').SpawnRequestWire> = {}): Buffer {
  const env = [`PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, `HOME=${os.homedir()}`, `TMPDIR=${os.tmpdir()}`];
  const b = wire.encodeSpawnRequest({
    id: 1, file: '/bin/sh', args: ['-c', `echo ran > ${marker}`], cwd, policy: 'default',
    verbose: false, warm: true, earlyExit: true, nfds: 3, env, ...over,
  });
  if (!b) throw new Error('request not encodable');
  return b;
}
/** The request's fds as Node sends them: stdio 0-2 (/dev/null here) and the channel. */
function fdsFor(nfds = 3): { fds: number[]; done(): void } {
  const [ours, theirs] = n.fdSocketpair(false);
  return {
    fds: [...Array.from({ length: nfds }, () => devnull), theirs],
    done: () => {
      n.fdClose(ours);
      n.fdClose(theirs);
    },
  };
}

/** Every sandbox a request started has ended (its status came), within 20 s. */
async function allEnded(s: Server, ids: number[]): Promise<number[]> {
  const t0 = Date.now();
  while (ids.some((id) => !s.statuses.has(id)) && Date.now() - t0 < 20_000) await sleep(50);
  return ids.filter((id) => !s.statuses.has(id));
}

/** The server still serves a real spawn: /bin/echo through it writes to a pipe we read. */
async function serves(s: Server, id: number): Promise<string> {
  const [r, w] = n.fdPipe();
  const f = fdsFor();
  // not warm: no sandbox is prepared after it, which would hold an fd of the server
  const msg = request({ id, file: '/bin/echo', args: ['served'], warm: false });
  const a = ask(s, msg, [devnull, w, devnull, f.fds[3]]);
  n.fdClose(w);
  f.done();
  expect(a).toHaveProperty('pid');
  expect(await allEnded(s, [id])).toEqual([]);
  expect(s.statuses.get(id)).toBe(0);
  const out = fs.readFileSync(r, 'utf8');
  n.fdClose(r);
  return out;
}

describe('the spawn server under hostile requests', () => {
  let s: Server;
  let fds0: number;
  beforeAll(async () => {
    s = startServer();
    servers.push(s);
    expect(await serves(s, 1000)).toBe('served\n');
    fds0 = fdCount(s.pid); // its own: no sandbox running or prepared
  });

  test('the marker check can fail: a policy that grants the directory writes it', async () => {
    const f = fdsFor();
    const a = ask(s, request({ id: 2000, policy: GRANTING() }), f.fds);
    f.done();
    expect(a).toHaveProperty('pid');
    expect(await allEnded(s, [2000])).toEqual([]);
    expect(fs.existsSync(marker)).toBe(true);
    fs.rmSync(marker);
    // the default policy hides it: the same command writes nowhere on the host
    const g = fdsFor();
    expect(ask(s, request({ id: 2001 }), g.fds)).toHaveProperty('pid');
    g.done();
    expect(await allEnded(s, [2001])).toEqual([]);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('every truncation of a request (fds attached or not): an error answer, nothing runs', () => {
    const full = request({ id: 3000, policy: GRANTING() });
    for (let len = 0; len < full.length; len++) {
      const f = fdsFor();
      const a = ask(s, full.subarray(0, len), len % 2 ? f.fds : []);
      f.done();
      expect([len, a]).toEqual([len, { error: 'malformed request' }]);
    }
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('a policy cut short inside a well-formed request: the sandbox fails closed (exit 125), the command never runs', async () => {
    const text = GRANTING();
    const ids: number[] = [];
    // every cut but the empty text (which is the default preset by definition: docs/spawn.md)
    for (let cut = 1; cut < text.length; cut++) {
      const id = 4000 + cut;
      const f = fdsFor();
      const a = ask(s, request({ id, policy: text.slice(0, cut) }), f.fds);
      f.done();
      expect(a).toHaveProperty('pid'); // taken; the launcher refuses the policy
      ids.push(id);
    }
    expect(await allEnded(s, ids)).toEqual([]);
    for (const id of ids) expect([id, s.statuses.get(id)]).toEqual([id, 125 << 8]);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('the policy length field moved (cut, or past the end): malformed, nothing runs', () => {
    const full = request({ id: 5000, policy: GRANTING() });
    const cwdLen = full.readUInt32LE(20);
    const at = 24 + cwdLen; // the policy's length
    const plen = full.readUInt32LE(at);
    for (const v of [0, 1, plen - 1, plen + 1, plen + 4, 0xffffffff, 0x80000000]) {
      const b = Buffer.from(full);
      b.writeUInt32LE(v >>> 0, at);
      const f = fdsFor();
      const a = ask(s, b, f.fds);
      f.done();
      expect([v, a]).toEqual([v, { error: 'malformed request' }]);
    }
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('fds that do not match the request (none, too few, too many, above the limit): an error answer, no fd kept', () => {
    // (a prepared sandbox of an earlier test may expire meanwhile: one fd fewer)
    const before = fdCount(s.pid);
    const cases: Array<[number, number]> = [[3, 0], [3, 2], [3, 3], [3, 5], [2, 3], [0, 1], [60, 80], [3, 120]];
    for (const [nfds, sent] of cases) {
      const fds = Array.from({ length: sent }, () => devnull);
      const a = ask(s, request({ id: 6000, nfds, policy: GRANTING() }), fds);
      expect([nfds, sent, a]).toEqual([nfds, sent, expect.objectContaining({ error: expect.stringMatching(/request carries \d+ fds|request too large/) })]);
    }
    // nfds above LN_REQ_MAX_FDS in the header: not even decoded
    const b = request({ id: 6001 });
    b.writeUInt32LE(61, 16);
    expect(ask(s, b, [devnull])).toEqual({ error: 'malformed request' });
    expect(fdCount(s.pid)).toBeLessThanOrEqual(before);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('oversized: a request above LN_REQ_MAX_BYTES is refused whole', () => {
    const big = request({ id: 7000, policy: GRANTING() });
    // the encoder refuses it (MAX_BYTES); hand-made: a valid request padded past the limit
    expect(wire.encodeSpawnRequest({ id: 1, file: '/bin/sh', args: ['x'.repeat(wire.MAX_BYTES)], cwd, policy: 'default', verbose: false, warm: false, earlyExit: false, nfds: 3, env: [] })).toBeNull();
    const padded = Buffer.concat([big, Buffer.alloc(wire.MAX_BYTES + 1 - big.length, 0x41)]);
    const f = fdsFor();
    const a = ask(s, padded, f.fds);
    f.done();
    expect(a).toEqual(expect.objectContaining({ error: expect.stringMatching(/malformed request|request too large/) }));
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('out of order: kills before, after and for no spawn, with odd signals and fds; empty datagrams; unknown types', async () => {
    // kill requests are not answered; nothing may come back for them
    for (const [id, sig] of [[1, 9], [999_999, 15], [0, 0], [1000, 0xffffffff], [2000, 65], [1, 0x7fffffff]] as const) {
      expect(ask(s, wire.encodeKillRequest(id, sig), [], 200)).toBe('none');
      expect(ask(s, wire.encodeKillRequest(id, sig), [devnull, devnull], 200)).toBe('none');
    }
    // a kill that is too short or too long is malformed
    const k = wire.encodeKillRequest(1, 9);
    expect(ask(s, k.subarray(0, 12), [])).toEqual({ error: 'malformed request' });
    expect(ask(s, Buffer.concat([k, Buffer.alloc(4)]), [])).toEqual({ error: 'malformed request' });
    // an empty datagram is not the end of the connection
    expect(ask(s, Buffer.alloc(0), [])).toEqual({ error: 'malformed request' });
    expect(ask(s, Buffer.alloc(0), [devnull])).toEqual({ error: 'malformed request' });
    // unknown type, bad magic
    const t = request({ id: 8000, policy: GRANTING() });
    t.writeUInt32LE(3, 4);
    const tf = fdsFor();
    expect(ask(s, t, tf.fds)).toEqual({ error: 'malformed request' });
    tf.done();
    const m = request({ id: 8001, policy: GRANTING() });
    m.writeUInt32LE(0x31584254, 0);
    expect(ask(s, m, [])).toEqual({ error: 'malformed request' });
    // two spawns with one id, and a kill of that id: both end (SIGKILL), the others' ids are untouched
    const a1 = fdsFor();
    const a2 = fdsFor();
    expect(ask(s, request({ id: 8100, file: '/bin/sleep', args: ['30'] }), a1.fds)).toHaveProperty('pid');
    expect(ask(s, request({ id: 8100, file: '/bin/sleep', args: ['30'] }), a2.fds)).toHaveProperty('pid');
    a1.done();
    a2.done();
    await sleep(200);
    expect(ask(s, wire.encodeKillRequest(8100, 9), [], 200)).toBe('none');
    const t0 = Date.now();
    while (Date.now() - t0 < 10_000 && !s.statuses.has(8100)) await sleep(50);
    expect(s.statuses.get(8100)).toBe(9);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test(`random datagrams, and requests with random bytes changed (seed ${SEED}): an error or a sandbox under its policy, never the marker`, async () => {
    const rand = rng(SEED);
    const int = (k: number) => Math.floor(rand() * k);
    const started: number[] = [];
    const valid = request({ id: 0 });
    for (let i = 0; i < 600; i++) {
      let msg: Buffer;
      if (i % 3 === 0) {
        // garbage, sometimes with the magic in front
        msg = Buffer.from(Array.from({ length: int(300) }, () => int(256)));
        if (msg.length >= 4 && rand() < 0.5) msg.writeUInt32LE(wire.REQ_MAGIC, 0);
      } else {
        // a request with 1-4 bytes changed (lengths, counts, strings, flags)
        msg = Buffer.from(valid);
        msg.writeUInt32LE(9000 + i, 8);
        for (let k = 1 + int(4); k > 0; k--) {
          const at = 12 + int(msg.length - 12); // the id stays: statuses are told by it
          msg[at] = rand() < 0.5 ? int(256) : msg[at] ^ (1 << int(8));
        }
      }
      const f = fdsFor(rand() < 0.8 ? 3 : int(6));
      const a = ask(s, msg, rand() < 0.9 ? f.fds : []);
      f.done();
      expect(a).not.toBe('dropped');
      expect(a).not.toBe('none');
      if (typeof a === 'object' && 'pid' in a) started.push(msg.readUInt32LE(8));
    }
    // a spawn that was decoded ran under the policy it carried (default, or a
    // changed text that loaded): none can show the directory outside
    expect(await allEnded(s, started)).toEqual([]);
    expect(fs.existsSync(marker)).toBe(false);
    expect(fs.readdirSync(outside)).toEqual([]);
  }, 180_000);

  test('afterwards: the same server is alive, with the fds it had, and serves a real spawn', { timeout: 30_000 }, async () => {
    expect(alive(s.pid)).toBe(true);
    expect(s.exited).toBe(false);
    expect(await serves(s, 10_000)).toBe('served\n');
    // prepared sandboxes are dropped after 10 s (SLOT_MAX_AGE_MS): then only its own fds are left
    const t0 = Date.now();
    while (fdCount(s.pid) !== fds0 && Date.now() - t0 < 15_000) await sleep(100);
    expect(fdCount(s.pid)).toBe(fds0);
  });

  test('Node closing its end ends the server (and only that)', async () => {
    const t = startServer();
    servers.push(t);
    expect(await serves(t, 1)).toBe('served\n');
    n.fdClose(t.req);
    const t0 = Date.now();
    while (!t.exited && Date.now() - t0 < 5000) await sleep(20);
    expect(t.exited).toBe(true);
    expect(t.proc.exitCode).toBe(0);
    expect(alive(s.pid)).toBe(true);
  });
});
