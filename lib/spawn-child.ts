/**
 * The ChildProcess a spawn through the server returns (spawn-server.ts):
 * the class of node:child_process, so `instanceof` holds, driven by the
 * server's answers instead of a libuv process handle: pid at once, 'spawn',
 * 'exit' and 'close' in Node's order, kill(), ref()/unref(), stdio streams,
 * `timeout` and `signal` as child_process honours them.
 */
import { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import os from 'node:os';

/** What the child asks of the server for its sandbox. */
export interface ServerJobControl {
  /** Send `sig` to the sandbox; false once it is gone (or the server is). */
  kill(sig: number): boolean;
  /** child.ref()/unref(). */
  ref(on: boolean): void;
}

/** The options of a spawn that the child itself honours. */
export interface ServerChildOptions {
  file: string;
  args: readonly string[];
  argv0?: string;
  timeout?: number;
  killSignal?: NodeJS.Signals | number;
  signal?: AbortSignal;
}

const signalNumbers = os.constants.signals as Record<string, number>;

export function signalNumber(name: NodeJS.Signals): number {
  return signalNumbers[name];
}

function signalName(n: number): NodeJS.Signals | null {
  for (const [k, v] of Object.entries(signalNumbers)) if (v === n) return k as NodeJS.Signals;
  return null;
}

/**
 * A ChildProcess with no process handle. `new ChildProcess()` makes a native
 * Process handle that only a spawn through it ever releases: one that is
 * never spawned stays a strong global handle, and its owner, the child with
 * everything it holds, stayed with it (2.3 KB a sandbox, issue 24). So the
 * instance is made as the constructor makes it, less the handle: an
 * EventEmitter with ChildProcess's prototype (instanceof holds) and its
 * fields.
 */
export function bareChildProcess(): ChildProcess {
  const child = Object.create(ChildProcess.prototype) as ChildProcess;
  EventEmitter.call(child);
  Object.assign(child, {
    _closesNeeded: 1,
    _closesGot: 0,
    connected: false,
    signalCode: null,
    exitCode: null,
    killed: false,
    spawnfile: null,
    _handle: null,
  });
  return child;
}

/** Make the bare ChildProcess behave like one child_process.spawn returned. */
export function wireChild(child: ChildProcess, r: ServerChildOptions, pid: number, ours: Array<net.Socket | null>, job: ServerJobControl): void {
  const c = child as unknown as Record<string, unknown>;
  c.pid = pid;
  c.spawnfile = r.file;
  c.spawnargs = [r.argv0 ?? r.file, ...r.args];
  c.stdio = ours;
  c.stdin = ours[0] ?? null;
  c.stdout = ours[1] ?? null;
  c.stderr = ours[2] ?? null;
  // 'close' once the program exited and every stdio stream but stdin is
  // closed, as in Node (internal/child_process.js: _closesNeeded, flushStdio).
  const outputs = ours.filter((s, i) => s && i > 0) as net.Socket[];
  let pending = 1 + outputs.length;
  const closed = () => {
    if (--pending === 0) child.emit('close', child.exitCode, child.signalCode);
  };
  for (const s of outputs) s.once('close', closed);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  c._exited = () => {
    if (timer) clearTimeout(timer);
    if (onAbort) r.signal?.removeEventListener('abort', onAbort);
    // Node destroys stdin at exit and lets unread output drain so that 'close' comes.
    ours[0]?.destroy();
    process.nextTick(() => {
      for (const s of outputs) if (s.readable && s.listenerCount('data') === 0 && !s.readableFlowing) s.resume();
      closed();
    });
  };
  const toNumber = (sig: NodeJS.Signals | number | undefined): number | undefined => {
    if (sig === undefined) return signalNumbers.SIGTERM;
    if (typeof sig === 'number') return sig;
    return signalNumbers[sig];
  };
  c.kill = (sig?: NodeJS.Signals | number): boolean => {
    const num = toNumber(sig);
    if (num === undefined) {
      const e = new TypeError(`Unknown signal: ${String(sig)}`) as TypeError & { code: string };
      e.code = 'ERR_UNKNOWN_SIGNAL';
      throw e;
    }
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const ok = job.kill(num);
    if (ok && num !== 0) c.killed = true;
    return ok;
  };
  c.ref = () => job.ref(true);
  c.unref = () => job.ref(false);
  if (r.timeout && r.timeout > 0) {
    timer = setTimeout(() => child.kill(r.killSignal ?? 'SIGTERM'), r.timeout);
    timer.unref();
  }
  if (r.signal) {
    onAbort = () => {
      child.kill(r.killSignal ?? 'SIGTERM');
      const err = new Error('The operation was aborted') as Error & { code: string; cause: unknown };
      err.name = 'AbortError';
      err.code = 'ABORT_ERR';
      err.cause = r.signal?.reason;
      child.emit('error', err);
    };
    if (r.signal.aborted) process.nextTick(onAbort);
    else r.signal.addEventListener('abort', onAbort, { once: true });
  }
  process.nextTick(() => child.emit('spawn'));
}

/** The sandbox ended with wait status `status`: 'exit', then 'close' once the output streams are closed. */
export function childExited(child: ChildProcess, status: number): void {
  const c = child as unknown as { exitCode: number | null; signalCode: NodeJS.Signals | null; _exited(): void };
  if ((status & 0x7f) === 0) c.exitCode = (status >> 8) & 0xff;
  else c.signalCode = signalName(status & 0x7f);
  child.emit('exit', c.exitCode, c.signalCode);
  c._exited();
}
