/**
 * The spawn server's client (launcher/server.c; docs/spawn.md, "The spawn
 * server"). Forking Node costs milliseconds (its address space is large);
 * forking a small C process costs a tenth of that. So sbx.spawn starts
 * `sbx-launcher --server` once and each sandbox is then a fork of it, which
 * runs the launcher's own code with the request's stdio, channel, argv,
 * environment and working directory.
 *
 * This file is the server's life cycle and the start of one sandbox; the
 * bytes of a request are spawn-wire.ts's, the ChildProcess the caller gets
 * is spawn-child.ts's. Options this cannot honour (stdio 'ipc', detached,
 * uid/gid) take the direct launcher path (spawn.ts).
 */
import { type ChildProcess, spawn as cpSpawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import type { Readable } from 'node:stream';
import { isMainThread } from 'node:worker_threads';
import { artifactPaths, native } from './native';
import { bareChildProcess, childExited, signalNumber, wireChild } from './spawn-child';
import { MAX_FDS, encodeKillRequest, encodeSpawnRequest, parseStartAnswer, parseStatusLine, setRequestId } from './spawn-wire';

export interface ServerSpawnRequest {
  file: string;
  args: string[];
  argv0?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  policy: string;
  verbose: boolean;
  /** A sandbox prepared ahead may serve this request (no per-request policy additions). */
  warm: boolean;
  /** 'exit' may come once the sandbox's processes are gone, before its namespaces are (not with cow). */
  earlyExit: boolean;
  /** The launcher prints the notice on refused layers itself (else Node does, lib/spawn.ts). */
  notice?: boolean;
  stdio: unknown[];
  timeout?: number;
  killSignal?: NodeJS.Signals | number;
  signal?: AbortSignal;
}

interface Job {
  refd: boolean;
  onStatus(status: number): void;
}

/**
 * The server took a request and ended before answering it (killed, or out of
 * memory): the sandbox did not start, or ended with the server. It is not
 * started again on the direct path: had the server forked it just before
 * dying, the program could run twice.
 */
export class ServerLostError extends Error {
  readonly code = 'SBX_ESYS';
  readonly errno: number;
  readonly syscall = 'recv';
  constructor(serverPid: number | undefined, file: string, cause: { errno?: number; message?: string }) {
    const what =
      cause.errno === ETIMEDOUT
        ? `did not answer the request for ${file} within ${answerTimeoutMs()} ms (SBX_SPAWN_SERVER_TIMEOUT_MS; stopped or stuck) and was killed`
        : `ended before it answered the request for ${file} (${cause.message ?? 'no answer'})`;
    super(
      `sbx spawn server (pid ${serverPid ?? '?'}) ${what}: ` +
        'the sandbox did not start, or ended with the server; it is not started again, so that the program never runs twice (the next spawn starts a new server)',
    );
    this.errno = cause.errno ?? 0;
  }
}

const ETIMEDOUT = os.constants.errno.ETIMEDOUT;
const DEFAULT_ANSWER_TIMEOUT_MS = 10_000;

/**
 * How long Node waits for the server to take a request and answer it, in ms:
 * SBX_SPAWN_SERVER_TIMEOUT_MS, else 10 s (docs/spawn.md). Node's thread
 * waits (the pid is part of spawn()'s result), so this bounds the stall a
 * stopped or stuck server causes; an answer normally takes a fork.
 */
export function answerTimeoutMs(): number {
  const v = Number(process.env.SBX_SPAWN_SERVER_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_ANSWER_TIMEOUT_MS;
}

const timedOut = (e: unknown) => (e as { errno?: number }).errno === ETIMEDOUT;

class Server {
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private refs = 0;
  dead = false;
  readonly pid: number | undefined;
  private readonly ctl: net.Socket;
  readonly req: number;

  constructor() {
    const n = native();
    const [ctlOurs, ctlTheirs] = n.fdSocketpair(false);
    const [reqOurs, reqTheirs] = n.fdSocketpair(true);
    let proc: ChildProcess;
    try {
      proc = cpSpawn(artifactPaths().launcher, ['--server'], {
        stdio: ['ignore', 'ignore', 'inherit', ctlTheirs, reqTheirs],
      });
    } finally {
      n.fdClose(ctlTheirs);
      n.fdClose(reqTheirs);
    }
    proc.on('error', () => this.fail());
    proc.unref();
    this.pid = proc.pid;
    this.req = reqOurs;
    this.ctl = new net.Socket({ fd: ctlOurs, readable: true, writable: false });
    this.ctl.unref();
    let buf = '';
    this.ctl.setEncoding('utf8');
    this.ctl.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const ev = parseStatusLine(line);
        const job = ev ? this.jobs.get(ev.id) : undefined;
        if (!ev || !job) continue;
        this.forget(ev.id, job);
        job.onStatus(ev.status);
      }
    });
    this.ctl.on('error', () => {});
    this.ctl.on('close', () => this.fail());
  }

  /**
   * The server is alive but does not take or answer requests: it is killed,
   * and its sandboxes with it (their parent-death signal), then failed as if
   * it had died (the next spawn starts a new one).
   */
  private hung(): void {
    if (this.dead || this.pid === undefined) return;
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
    this.fail();
  }

  /** The server is gone: its sandboxes went with it (parent-death signal). */
  private fail(): void {
    if (this.dead) return;
    this.dead = true;
    native().fdClose(this.req);
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    this.refs = 0;
    for (const j of jobs) j.onStatus(9); // as if killed by SIGKILL
  }

  private forget(id: number, job: Job): void {
    this.jobs.delete(id);
    if (job.refd) this.setRef(-1);
  }

  setRef(delta: number): void {
    this.refs += delta;
    if (this.refs > 0) this.ctl.ref();
    else this.ctl.unref();
  }

  /** child.ref()/unref(): a running job counts toward keeping Node alive only while ref'd. */
  jobRef(id: number, job: Job, on: boolean): void {
    const running = this.jobs.get(id) === job;
    if (running && job.refd !== on) this.setRef(on ? 1 : -1);
    job.refd = on;
  }

  /** Send one spawn request (throws when it cannot be sent); its answer comes after the server's fork. */
  send(msg: Buffer, fds: number[]): void {
    try {
      native().fdSend(this.req, msg, fds, answerTimeoutMs());
    } catch (e) {
      if (timedOut(e)) this.hung(); // not sent: the direct path may take it
      throw e;
    }
  }

  /**
   * The answer to the request just sent: its pid, the job registered. Requests are answered
   * in order and nothing else is sent between a request and this call (JS runs it in one go).
   */
  started(id: number, job: Job, file: string): number {
    let text: string;
    try {
      text = native().fdRecv(this.req, answerTimeoutMs());
    } catch (e) {
      if (timedOut(e)) this.hung();
      else this.fail();
      throw new ServerLostError(this.pid, file, e as { errno?: number; message?: string });
    }
    const a = parseStartAnswer(text);
    if ('error' in a) throw new Error(`sbx spawn server: ${a.error}`);
    this.jobs.set(id, job);
    job.refd = true;
    this.setRef(1);
    return a.pid;
  }

  takeId(): number {
    return this.nextId++;
  }

  kill(id: number, sig: number): boolean {
    if (!this.jobs.has(id) || this.dead) return false;
    try {
      native().fdSend(this.req, encodeKillRequest(id, sig), [], answerTimeoutMs());
      return true;
    } catch (e) {
      if (!timedOut(e)) return false;
      this.hung(); // the sandbox ends with the server
      return true;
    }
  }
}

let server: Server | undefined;

function theServer(): Server {
  if (!server || server.dead) server = new Server();
  return server;
}

/** Why this spawn cannot go through the server, or null when it can. */
export function serverUnsuitable(opts: { stdio: unknown[]; detached?: boolean; uid?: number; gid?: number }): string | null {
  if (process.env.SBX_SPAWN_SERVER === '0') return 'SBX_SPAWN_SERVER=0';
  if (os.endianness() !== 'LE') return 'big-endian host';
  if (opts.detached) return 'detached';
  if (opts.uid !== undefined || opts.gid !== undefined) return 'uid/gid';
  if (opts.stdio.length > MAX_FDS) return 'too many stdio entries';
  for (const e of opts.stdio) {
    if (e === 'ipc') return "stdio 'ipc'";
    if (e === null || e === undefined || e === 'pipe' || e === 'overlapped' || e === 'inherit' || e === 'ignore') continue;
    if (typeof e === 'number') continue;
    if (fdOf(e) === undefined) return 'a stdio entry without a file descriptor';
  }
  return null;
}

function fdOf(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const o = e as { fd?: unknown; _handle?: { fd?: unknown } };
  if (typeof o.fd === 'number' && o.fd >= 0) return o.fd;
  if (o._handle && typeof o._handle.fd === 'number' && o._handle.fd >= 0) return o._handle.fd;
  return undefined;
}

/** Objects that were process.env at a spawn: true for Node's own view of environ. */
const probed = new WeakMap<object, boolean>();

/**
 * Is `env` the process's environment itself, so that environ can be read
 * in place of it (bindings/environ.cc)? Only on the main thread (a
 * worker's process.env is a copy) and for Node's own process.env object,
 * not one assigned over it: that one refuses an accessor property
 * (ERR_INVALID_OBJECT_DEFINE_PROPERTY) and changes nothing; any other object
 * takes the probe and loses it again at once.
 */
function isEnviron(env: NodeJS.ProcessEnv): boolean {
  if (env !== process.env || !isMainThread) return false;
  let live = probed.get(env);
  if (live === undefined) {
    const probe = '__sbx_environ_probe__';
    try {
      Object.defineProperty(env, probe, { get: () => '', configurable: true, enumerable: false });
      delete (env as Record<string, unknown>)[probe];
      live = false;
    } catch (e) {
      live = (e as { code?: string }).code === 'ERR_INVALID_OBJECT_DEFINE_PROPERTY';
    }
    probed.set(env, live);
  }
  return live;
}

function encode(r: ServerSpawnRequest): Buffer | null {
  const block = isEnviron(r.env) ? native().environBlock() : null;
  const env: string[] = [];
  if (!block) {
    for (const k in r.env) {
      const v = r.env[k];
      if (v !== undefined) env.push(`${k}=${v}`);
    }
  }
  return encodeSpawnRequest({ ...r, id: 0, nfds: r.stdio.length, env: block ?? env });
}

/**
 * Start the sandbox through the server. Returns null when the request cannot
 * be encoded or the server cannot take it (the caller then uses the direct
 * launcher); the child and its event channel otherwise.
 */
export function serverSpawn(r: ServerSpawnRequest): { child: ChildProcess; chan: Readable | null } | null {
  const msg = encode(r);
  if (!msg) return null;
  // A missing working directory: child_process emits 'error' (ENOENT) for
  // it, and so does the direct path; keep that behaviour.
  try {
    if (!fs.statSync(r.cwd).isDirectory()) return null;
  } catch {
    return null;
  }
  const n = native();
  const child = bareChildProcess();
  // Only the fds before the request: the streams on our ends are made
  // while the server forks and the sandbox starts (a net.Socket costs tens
  // of µs), then the answer is taken.
  const pipes: Array<{ i: number; fd: number }> = [];
  const theirs: number[] = [];
  const closeAfter: number[] = [];
  let devnull = -1;
  let chanOurs = -1;
  // A stream Node could not make after the request went out: thrown, never a fallback.
  let unheld: unknown;
  const ours: Array<net.Socket | null> = r.stdio.map(() => null);
  let chan: net.Socket | undefined;
  try {
    const srv = theServer();
    for (let i = 0; i < r.stdio.length; i++) {
      const e = r.stdio[i] ?? 'pipe';
      if (e === 'pipe' || e === 'overlapped') {
        const [a, b] = n.fdSocketpair(false);
        pipes.push({ i, fd: a });
        theirs.push(b);
        closeAfter.push(b);
      } else if (e === 'inherit') {
        theirs.push(i);
      } else if (e === 'ignore') {
        if (devnull < 0) closeAfter.push((devnull = fs.openSync('/dev/null', 'r+')));
        theirs.push(devnull);
      } else if (typeof e === 'number') {
        theirs.push(e);
      } else {
        theirs.push(fdOf(e)!);
      }
    }
    const pair = n.fdSocketpair(false);
    chanOurs = pair[0];
    closeAfter.push(pair[1]);
    theirs.push(pair[1]);
    const id = srv.takeId();
    setRequestId(msg, id);
    srv.send(msg, theirs);
    for (const fd of closeAfter.splice(0)) n.fdClose(fd);
    // From here the request is the server's: its answer is taken whatever
    // happens, or the next request would read this one's.
    try {
      // As child_process makes them: every pipe is a socketpair; stdin is not readable, the rest are duplex.
      for (const p of pipes) {
        ours[p.i] = new net.Socket({ fd: p.fd, readable: p.i !== 0 });
        p.fd = -1;
      }
      chan = new net.Socket({ fd: chanOurs, readable: true, writable: false });
      chanOurs = -1;
    } catch (e) {
      unheld = e;
    }
    const job: Job = { refd: true, onStatus: (st) => childExited(child, st) };
    const pid = srv.started(id, job, r.file);
    if (unheld !== undefined) {
      // Started, but Node cannot hold its stdio: end it, and say so (a
      // second start on the direct path could run the program twice).
      srv.kill(id, signalNumber('SIGKILL'));
      throw unheld;
    }
    wireChild(child, r, pid, ours, { kill: (sig) => srv.kill(id, sig), ref: (on) => srv.jobRef(id, job, on) });
    return { child, chan: chan! };
  } catch (e) {
    chan?.destroy();
    for (const s of ours) s?.destroy();
    for (const p of pipes) if (p.fd >= 0) n.fdClose(p.fd);
    if (chanOurs >= 0) n.fdClose(chanOurs);
    if (unheld !== undefined) throw e;
    if (e instanceof ServerLostError) {
      // Node's way for a spawn that failed at run time: 'error', then 'close'.
      const c = child as unknown as Record<string, unknown>;
      c.spawnfile = r.file;
      c.spawnargs = [r.argv0 ?? r.file, ...r.args];
      c.stdio = [];
      process.nextTick(() => {
        child.emit('error', e);
        child.emit('close', null, null);
      });
      return { child, chan: null };
    }
    // not taken: the caller uses the direct launcher
    return null;
  } finally {
    for (const fd of closeAfter) n.fdClose(fd);
  }
}

