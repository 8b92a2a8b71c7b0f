/**
 * `sbx.execFile` and `sbx.exec`: `child_process.execFile` / `exec` inside a
 * sandbox, same signatures and results — a ChildProcess back, the callback
 * gets (error, stdout, stderr), `util.promisify` gives { stdout, stderr } (the
 * promise has `.child`), and the error has `code`, `killed`, `signal`, `cmd`,
 * plus `stdout`/`stderr` in the promise form. Built on `spawn` (spawn.ts), so
 * `policy`, `cow`, `report` work here too.
 */
import type { ExecException } from 'node:child_process';
import util from 'node:util';
import { type SandboxedChildProcess, type SandboxSpawnOptions, spawn } from './spawn';

export interface SandboxExecFileOptions extends SandboxSpawnOptions {
  /** 'utf8' (default), any Buffer encoding, or 'buffer' / null for Buffers. */
  encoding?: BufferEncoding | 'buffer' | null;
  /** Kill the sandbox after this many ms (0: never). */
  timeout?: number;
  /** Largest stdout or stderr, in bytes; more kills the sandbox (default 1 MiB, as Node). */
  maxBuffer?: number;
  /** Signal for timeout and maxBuffer (default SIGTERM). */
  killSignal?: NodeJS.Signals | number;
}

export type SandboxExecOptions = SandboxExecFileOptions;

export type ExecOutput = string | Buffer;
export type ExecCallback = (error: SbxExecError | null, stdout: ExecOutput, stderr: ExecOutput) => void;

export interface SbxExecError extends Omit<ExecException, 'stdout' | 'stderr'> {
  stdout?: ExecOutput;
  stderr?: ExecOutput;
}

function normalize(rest: unknown[]): { argv: string[]; options: SandboxExecFileOptions; callback?: ExecCallback } {
  // (args?, options?, callback?), each of the first two may be omitted, null or undefined.
  let pos = 0;
  let argv: string[] = [];
  let options: SandboxExecFileOptions = {};
  let callback: ExecCallback | undefined;
  if (Array.isArray(rest[pos])) argv = (rest[pos++] as unknown[]).map(String);
  else if (rest[pos] == null && pos < rest.length) pos++;
  if (rest[pos] !== null && typeof rest[pos] === 'object') options = rest[pos++] as SandboxExecFileOptions;
  else if (rest[pos] == null && pos < rest.length) pos++;
  if (typeof rest[pos] === 'function') callback = rest[pos++] as ExecCallback;
  while (pos < rest.length && rest[pos] == null) pos++;
  if (pos < rest.length) throw new TypeError('sbx.execFile: expected (file, args, options, callback)');
  return { argv, options, callback };
}

function run(file: string, argv: string[], options: SandboxExecFileOptions, cmd: string, callback?: ExecCallback): SandboxedChildProcess {
  const { encoding = 'utf8', timeout = 0, maxBuffer = 1024 * 1024, killSignal = 'SIGTERM', ...spawnOpts } = options;
  if (typeof file !== 'string' || !file) throw new TypeError('sbx.execFile: file must be a non-empty string');
  const child = spawn(file, argv, { ...spawnOpts, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outLen = 0;
  let errLen = 0;
  let killed = false;
  let exErr: (Error & { code?: string }) | null = null;
  let timer: NodeJS.Timeout | undefined;
  let done = false;

  const decode = (bufs: Buffer[]): ExecOutput => {
    const b = Buffer.concat(bufs);
    return encoding && encoding !== 'buffer' && Buffer.isEncoding(encoding) ? b.toString(encoding) : b;
  };
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null && !killed) {
      killed = true;
      try {
        child.kill(killSignal);
      } catch (e) {
        exErr ??= e as Error;
      }
    }
  };
  const finish = (code: number | null, signal: NodeJS.Signals | null, spawnErr?: Error & { code?: string }) => {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    const stdout = decode(out);
    const stderr = decode(err);
    if (!callback) return;
    if (!spawnErr && !exErr && code === 0 && signal === null) {
      callback(null, stdout, stderr);
      return;
    }
    const own = spawnErr ?? exErr;
    const e = (own ?? new Error(`Command failed: ${cmd}\n${String(stderr)}`)) as SbxExecError;
    // Node: the exit code (a number), or the spawn/maxBuffer error's own code.
    if (!own) e.code = code ?? undefined;
    e.killed = child.killed || killed;
    e.signal = signal as NodeJS.Signals; // null when it exited, as node says
    e.cmd = cmd;
    callback(e, stdout, stderr);
  };

  const collect = (list: Buffer[], which: 'stdout' | 'stderr') => (chunk: Buffer) => {
    const n = which === 'stdout' ? (outLen += chunk.length) : (errLen += chunk.length);
    if (n > maxBuffer) {
      const room = maxBuffer - (n - chunk.length);
      if (room > 0) list.push(chunk.subarray(0, room));
      const e = new RangeError(`${which} maxBuffer length exceeded`) as RangeError & { code?: string };
      e.code = 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
      exErr ??= e;
      kill();
    } else {
      list.push(chunk);
    }
  };
  child.stdout?.on('data', collect(out, 'stdout'));
  child.stderr?.on('data', collect(err, 'stderr'));
  child.stdin?.on('error', () => {});
  child.stdin?.end();
  if (timeout > 0) timer = setTimeout(kill, timeout);
  child.once('close', (code: number | null, signal: NodeJS.Signals | null) => finish(code, signal));
  child.once('error', (e: Error & { code?: string }) => {
    // Spawn failed: no 'close' with stdio may follow.
    if (!child.stdout && !child.stderr) finish(null, null, e);
    else exErr ??= e;
  });
  return child;
}

export interface PromiseWithChild<T> extends Promise<T> {
  child: SandboxedChildProcess;
}

type Args = readonly string[] | null | undefined;
type BufferOpts = SandboxExecFileOptions & { encoding: 'buffer' | null };
type StringOpts = SandboxExecFileOptions & { encoding?: BufferEncoding };

/** `child_process.execFile(file, args, options, callback)` in a sandbox. */
export function execFile(file: string, callback?: ExecCallback): SandboxedChildProcess;
export function execFile(file: string, args: Args, callback?: ExecCallback): SandboxedChildProcess;
export function execFile(file: string, options: SandboxExecFileOptions | null | undefined, callback?: ExecCallback): SandboxedChildProcess;
export function execFile(file: string, args: Args, options: SandboxExecFileOptions | null | undefined, callback?: ExecCallback): SandboxedChildProcess;
export function execFile(file: string, ...rest: unknown[]): SandboxedChildProcess {
  const { argv, options, callback } = normalize(rest);
  return run(file, argv, options, [file, ...argv].join(' '), callback);
}
// What util.promisify(sbx.execFile) returns, typed as @types/node types child_process.execFile's.
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace execFile {
  function __promisify__(file: string): PromiseWithChild<{ stdout: string; stderr: string }>;
  function __promisify__(file: string, args: Args): PromiseWithChild<{ stdout: string; stderr: string }>;
  function __promisify__(file: string, options: BufferOpts): PromiseWithChild<{ stdout: Buffer; stderr: Buffer }>;
  function __promisify__(file: string, args: Args, options: BufferOpts): PromiseWithChild<{ stdout: Buffer; stderr: Buffer }>;
  function __promisify__(file: string, options: StringOpts | null | undefined): PromiseWithChild<{ stdout: string; stderr: string }>;
  function __promisify__(file: string, args: Args, options: StringOpts | null | undefined): PromiseWithChild<{ stdout: string; stderr: string }>;
}

/** `child_process.exec(command, options, callback)` in a sandbox: `command` runs with /bin/sh -c (or `options.shell`). */
export function exec(command: string, callback?: ExecCallback): SandboxedChildProcess;
export function exec(command: string, options: SandboxExecOptions | null | undefined, callback?: ExecCallback): SandboxedChildProcess;
export function exec(command: string, ...rest: unknown[]): SandboxedChildProcess {
  const { options, callback } = normalize([null, ...rest]);
  if (typeof command !== 'string' || !command) throw new TypeError('sbx.exec: command must be a non-empty string');
  const shell = typeof options.shell === 'string' ? options.shell : '/bin/sh';
  return run(shell, ['-c', command], { ...options, shell: false }, command, callback);
}
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace exec {
  function __promisify__(command: string): PromiseWithChild<{ stdout: string; stderr: string }>;
  function __promisify__(command: string, options: BufferOpts): PromiseWithChild<{ stdout: Buffer; stderr: Buffer }>;
  function __promisify__(command: string, options: StringOpts | null | undefined): PromiseWithChild<{ stdout: string; stderr: string }>;
}

function promised(fn: (...a: unknown[]) => SandboxedChildProcess) {
  return (...args: unknown[]): PromiseWithChild<{ stdout: ExecOutput; stderr: ExecOutput }> => {
    let child!: SandboxedChildProcess;
    const p = new Promise<{ stdout: ExecOutput; stderr: ExecOutput }>((resolve, reject) => {
      child = fn(...args, (e: SbxExecError | null, stdout: ExecOutput, stderr: ExecOutput) => {
        if (e) {
          e.stdout = stdout;
          e.stderr = stderr;
          reject(e);
        } else {
          resolve({ stdout, stderr });
        }
      });
    }) as PromiseWithChild<{ stdout: ExecOutput; stderr: ExecOutput }>;
    p.child = child;
    return p;
  };
}

// util.promisify(sbx.execFile) / util.promisify(sbx.exec), as for node:child_process.
Object.defineProperty(execFile, util.promisify.custom, {
  enumerable: false,
  value: promised(execFile as (...a: unknown[]) => SandboxedChildProcess),
});
Object.defineProperty(exec, util.promisify.custom, {
  enumerable: false,
  value: promised(exec as (...a: unknown[]) => SandboxedChildProcess),
});
