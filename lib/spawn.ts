/**
 * The spawn door from Node: `spawn` is `child_process.spawn` with a
 * `policy` option. The sandbox is a fork of the spawn server
 * (spawn-server.ts) where the options allow it, else the launcher
 * (build/Release/sbx-launcher) started by child_process.spawn; either way
 * the launcher's code sets the sandbox up and execs the command in place of
 * its last process. docs/spawn.md has the protocol.
 *
 * Direct path: the policy goes on an extra stdio entry (a socketpair)
 * placed right after the caller's own stdio entries, so the caller's fds 3,
 * 4, ... keep their numbers in the program. The launcher answers on that
 * channel (the server path has its own, in the same place): layers it
 * skipped (best-effort) and its setup error, if any.
 */
import { spawn as cpSpawn, type ChildProcess, type SpawnOptions, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { SbxError, type SbxErrorCode, toSbxErrorCode } from './errors';
import { artifactPaths } from './native';
import { type ChannelEvent, EventLines, type LauncherEvent, type LimitMechanism, type LimitName, type EndReason } from './launcher-events';
import { serverSpawn, serverUnsuitable } from './spawn-server';
import { type PolicyInput, policySource, sourceKind } from './policy';
import { type PolicyShortcuts, ShortcutError, shortcutPolicy } from './policy-shortcuts';
import {
  type CowChange,
  type CowMode,
  type CowResult,
  type CowState,
  type Violation,
  cowFinish,
  cowPrepare,
  extendPolicyText,
  violationFromEvent,
  unshownFromEvent,
  type UnshownViolations,
} from './spawn-result';

/**
 * `ro`, `rw`, `exec`, `net`, `unix`, `hosts`, `setEnv`, `limits`: the `sbx run` flags of the same meaning
 * (policy-shortcuts.ts), applied on top of `policy`; relative paths are resolved against `cwd`. (`env` is
 * child_process's: the environment the policy's `env` section filters; `setEnv` sets variables past it, as
 * `--env` does. `timeout` is child_process's too; the sandbox's wall-clock limit is `limits.timeout`.)
 */
export interface SandboxSpawnOptions extends SpawnOptions, PolicyShortcuts {
  /** Preset name, policy file path, JSON text or object; default: the `default` preset. */
  policy?: PolicyInput;
  /** Launcher prints skipped layers on stderr (`sbx: skipped ...`). */
  verbose?: boolean;
  /**
   * Where the one line goes that says which layers the host refused and what still holds
   * (docs/security-model.md, "Restricted hosts"): 'warning' (default) a process warning
   * (`process.emitWarning`, code SBX_LAYER_SKIPPED), once per process and message; 'stderr' the
   * sandbox's stderr, before the program starts (`sbx run`); 'none' nowhere (`sbx run --quiet`).
   * `skipped` and `notice` in the report say it either way.
   */
  notice?: 'warning' | 'stderr' | 'none';
  /** Copy-on-write working directory (spawn-result.ts): changes land in an overlay and are listed after exit. */
  cow?: CowMode;
  /** Report denied system calls (`report: true` in the policy): `child.on('violation')`, `result.violations`. */
  report?: boolean;
  /**
   * Unix sockets the program may connect (or send datagrams) to, added to the policy's
   * `net.unixPaths` (`sbx run --unix`): with it, AF_UNIX sockets may be created and every
   * other socket outside the sandbox is refused (EACCES). Absolute paths, or relative to `cwd`.
   */
  unixPaths?: readonly string[];
  /**
   * Fork the sandbox from the spawn server (default true; docs/spawn.md, "The spawn server").
   * false: start the launcher with child_process.spawn, a libuv-backed ChildProcess (what `sbx run`
   * does: a one-shot command gains nothing from a server).
   */
  server?: boolean;
}

/** A layer the launcher could not set up and skipped (best-effort mode). */
export interface SkippedLayer {
  layer: string;
  reason: string;
}

/** The launcher's setup error (exit code 125), or the exec failure (126/127). */
export interface SetupError {
  step: string;
  code: SbxErrorCode;
  errno: number;
  pointer: string;
  message: string;
  exitCode: number;
}

export interface SandboxReport {
  /** The program was executed (false: setup or exec failed; see `error`). */
  started: boolean;
  skipped: SkippedLayer[];
  /** The host refused layers that change isolation: which, why in the host's terms, what still holds (one line). */
  notice?: string;
  /** Setup failed (exit 125): nothing ran. */
  error?: SetupError;
  /** The sandbox was set up but the command could not be executed (126/127). */
  execError?: SetupError;
  /** `limits`: the mechanism that enforces each limit the policy sets (docs/spawn.md, "Limits"). */
  limits: LimitMechanisms;
}

// ---- limits (launcher/limits.c) ----
export type { LimitMechanism, LimitName };
export type LimitMechanisms = Partial<Record<LimitName, LimitMechanism>>;
/** How a sandbox with limits ended (the launcher's last line); undefined without limits. */
export interface SandboxEnd {
  /** A limit ended it: wallTime reached, cpuTime reached, or the memory limit killed a process. */
  reason?: EndReason;
  wallMs: number;
  /** CPU time of the whole tree, where a cgroup measured it. */
  cpuMs?: number;
}

function endOf(events: readonly LauncherEvent[]): SandboxEnd | undefined {
  let end: SandboxEnd | undefined;
  for (const ev of events) {
    if (ev.event !== 'end') continue;
    end = { wallMs: ev.wallMs };
    if (ev.cpuMs !== undefined) end.cpuMs = ev.cpuMs;
    if (ev.reason !== undefined) end.reason = ev.reason;
  }
  return end;
}
// ---- end limits ----

export interface SandboxedChildProcess extends ChildProcess {
  /** Resolves once the program was executed or the launcher failed; never rejects. */
  readonly sandbox: Promise<SandboxReport>;
  /** Denied system calls reported so far (policy `report: true`); also emitted as 'violation' events. */
  readonly violations: Violation[];
  /** Denials only counted, per call, beyond the 100 per call reported one by one; complete after 'close'. */
  readonly violationsUnshown: UnshownViolations[];
  /** With `cow`: the changes, once the sandbox is gone (after 'close'); else resolves undefined. */
  readonly cow: Promise<CowResult | undefined>;
  /** With `limits`: how the sandbox ended (a limit's kill, usage), after the launcher is gone; else undefined. */
  readonly ended: Promise<SandboxEnd | undefined>;
}

/** 'timeout' (limits.wallTime), 'cpu-time' (limits.cpuTime), 'memory' (the memory limit killed a process). */
export type RunReason = 'exit' | 'signal' | 'setup-failed' | 'timeout' | 'cpu-time' | 'memory';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  reason: RunReason;
  /** Setup error message (reason 'setup-failed'). */
  error?: SetupError;
  execError?: SetupError;
  skipped: SkippedLayer[];
  /** The host refused layers that change isolation: the one line that says so (SandboxReport.notice). */
  notice?: string;
  /** Denied system calls (policy `report: true`). */
  violations: Violation[];
  /** Denials beyond the 100 per call reported one by one: counted per call. */
  violationsUnshown: UnshownViolations[];
  /** The mechanism that enforced each limit the policy sets. */
  limits: LimitMechanisms;
  /** With `limits`: wall and CPU time used (ms). */
  usage?: { wallMs: number; cpuMs?: number };
  /** With `cow`: files created, modified and deleted under the working directory. */
  changes?: CowChange[];
  /** With `cow`: the whole copy-on-write result (kept upper dir, applied, error). */
  cow?: CowResult;
  /** Output beyond `maxBuffer` was cut: the bytes the program wrote to each stream, in all. */
  truncated?: { stdout?: number; stderr?: number };
}

export interface SandboxRunOptions extends Omit<SandboxSpawnOptions, 'stdio'> {
  /** Written to the program's stdin, which is then closed. */
  input?: string | Buffer;
  /** 'inherit' passes stdout/stderr through (then not captured). Default 'pipe'. */
  output?: 'pipe' | 'inherit';
  /**
   * The most bytes kept of stdout and of stderr, each (default 16 MiB: an agent's tool call). Beyond it the
   * output is cut there and `truncated` says how much there was; with `onMaxBuffer: 'kill'` the sandbox is
   * also killed (SIGKILL), as child_process.execFile does.
   */
  maxBuffer?: number;
  onMaxBuffer?: 'truncate' | 'kill';
}

/** The default `maxBuffer` of `run()`, per stream. */
export const RUN_MAX_BUFFER = 16 * 1024 * 1024;

function stdioArray(stdio: StdioOptions | undefined): Array<unknown> {
  if (stdio === undefined) return ['pipe', 'pipe', 'pipe'];
  if (typeof stdio === 'string') return [stdio, stdio, stdio];
  const a: unknown[] = [...stdio];
  // child_process treats missing entries 0-2 as 'pipe'.
  for (let i = 0; i < 3; i++) if (a[i] === undefined || a[i] === null) a[i] = 'pipe';
  return a;
}

/**
 * The working directory as the caller names it: `cwd` made absolute (links
 * kept), else the shell's `$PWD` when it is this process's directory under
 * another name (`cd sub` through a link), else process.cwd(). The launcher
 * walks this name (launcher/paths.c): a link planted by an earlier sandbox
 * on the way is refused, not followed.
 */
function callerCwd(cwdOpt: string | undefined): string {
  if (cwdOpt !== undefined) return path.resolve(cwdOpt);
  const here = process.cwd();
  const pwd = process.env.PWD;
  if (pwd && pwd !== here && path.isAbsolute(pwd)) {
    try {
      const a = fs.statSync(pwd);
      const b = fs.statSync(here);
      if (a.dev === b.dev && a.ino === b.ino) return pwd;
    } catch {
      // not the same directory: the kernel's name
    }
  }
  return here;
}

/** Policy text for the launcher; relative file paths are the caller's, not the child's cwd. */
function launcherPolicy(policy: PolicyInput | undefined): string {
  const src = policySource(policy ?? 'default');
  const { kind, name } = sourceKind(src);
  return kind === 'file' ? path.resolve(name) : src;
}

function reportOf(events: readonly ChannelEvent[]): SandboxReport {
  const report: SandboxReport = { started: true, skipped: [], limits: {} };
  for (const ev of events) {
    if (ev.event === 'skipped') {
      report.skipped.push({ layer: ev.layer, reason: ev.reason });
    } else if (ev.event === 'notice') {
      report.notice = ev.message;
    } else if (ev.event === 'limit') {
      report.limits[ev.limit] = ev.mechanism;
    } else if (ev.event === 'error' || ev.event === 'exec-error') {
      const { code, note } = toSbxErrorCode(ev.code);
      const e: SetupError = {
        step: ev.step,
        code,
        errno: ev.errno,
        pointer: ev.pointer,
        message: ev.message + note,
        exitCode: ev.exitCode,
      };
      if (ev.event === 'error') report.error = e;
      else report.execError = e;
      report.started = false;
    }
  }
  return report;
}

/** Notices already given as process warnings: a host that refuses a layer says so once per process. */
const warned = new Set<string>();
function warnOnce(text: string | undefined): void {
  if (!text || warned.has(text)) return;
  warned.add(text);
  process.emitWarning(text, { code: 'SBX_LAYER_SKIPPED' });
}

/** `child_process.spawn(command, args, options)` inside a sandbox. */
export function spawn(command: string, args?: readonly string[] | SandboxSpawnOptions, options?: SandboxSpawnOptions): SandboxedChildProcess {
  if (!Array.isArray(args)) {
    options = args as SandboxSpawnOptions | undefined;
    args = [];
  }
  if (typeof command !== 'string' || command.length === 0) throw new TypeError('command must be a non-empty string');
  const { policy, verbose, notice = 'warning', shell, argv0, cow, report: reportOpt, unixPaths, server, ro, rw, exec, net, unix, hosts, setEnv, limits, ...rest } =
    options ?? {};
  if (notice !== 'warning' && notice !== 'stderr' && notice !== 'none') throw new TypeError("notice must be 'warning', 'stderr' or 'none'");
  let cmd = command;
  let argv = [...(args as readonly string[])];
  if (shell) {
    // What child_process does with `shell`: one command line for sh -c.
    argv = ['-c', [command, ...argv].join(' ')];
    cmd = typeof shell === 'string' ? shell : '/bin/sh';
  }
  const stdio = stdioArray(rest.stdio);
  const policyFd = stdio.length;
  stdio.push('pipe');
  const cwdOpt = typeof rest.cwd === 'string' ? rest.cwd : rest.cwd ? rest.cwd.pathname : undefined;
  const cwd = callerCwd(cwdOpt);
  const launcherArgs = ['--policy-fd', String(policyFd), '--keep-fds', String(policyFd), '--cwd', cwd];
  if (verbose) launcherArgs.push('--verbose');
  if (notice !== 'stderr') launcherArgs.push('--quiet');
  if (argv0 !== undefined) launcherArgs.push('--argv0', argv0);
  launcherArgs.push('--', cmd, ...argv);

  // ---- cow / report (spawn-result.ts) ----
  let cowState: CowState | undefined;
  let text = launcherPolicy(policy);
  try {
    text = shortcutPolicy(text, { ro, rw, exec, net, unix, hosts, setEnv, limits }, { cwd, names: 'options' });
  } catch (e) {
    if (e instanceof ShortcutError) throw new SbxError('SBX_EINVAL', `sbx.spawn: ${e.message}`);
    throw e;
  }
  if (cow || reportOpt || unixPaths) {
    const cowSetup = cow ? cowPrepare(cow, cwd) : undefined;
    cowState = cowSetup?.state;
    text = extendPolicyText(text, {
      report: reportOpt,
      mounts: cowSetup ? [cowSetup.mount] : [],
      unixPaths: unixPaths?.map((u) => path.resolve(cwd, u)),
    });
  }
  // ---- end cow / report ----
  // The spawn server (spawn-server.ts) when the options allow it; else the
  // launcher itself through child_process.spawn, the policy on its channel.
  let child: SandboxedChildProcess | undefined;
  let chan: (Readable & Writable) | null | undefined;
  const unsuitable = serverUnsuitable({ stdio, detached: rest.detached, uid: rest.uid, gid: rest.gid });
  if (server !== false && !unsuitable) {
    const started = serverSpawn({
      file: cmd,
      args: argv,
      argv0,
      cwd,
      env: rest.env ?? process.env,
      policy: text,
      verbose: Boolean(verbose),
      warm: !cow && !reportOpt && process.env.SBX_SPAWN_PREPARE !== '0',
      earlyExit: !cow,
      notice: notice === 'stderr',
      stdio: stdio.slice(0, policyFd),
      timeout: rest.timeout,
      killSignal: rest.killSignal,
      signal: rest.signal,
    });
    if (started) {
      child = started.child as SandboxedChildProcess;
      chan = started.chan as Readable & Writable;
    }
  }
  if (!child) {
    child = cpSpawn(artifactPaths().launcher, launcherArgs, { ...rest, stdio: stdio as StdioOptions }) as SandboxedChildProcess;
    // EMFILE/ENFILE: child_process returns before making stdio, and emits 'error'
    chan = child.stdio?.[policyFd] as (Readable & Writable) | null | undefined;
    chan?.end(text);
  }
  let resolveReport!: (r: SandboxReport) => void;
  const report = new Promise<SandboxReport>((r) => (resolveReport = r));
  if (notice === 'warning') void report.then((r) => warnOnce(r.notice));
  Object.defineProperty(child, 'sandbox', { value: report, enumerable: false });
  // ---- cow / report (spawn-result.ts) ----
  const violations: Violation[] = [];
  Object.defineProperty(child, 'violations', { value: violations, enumerable: false });
  const unshown: UnshownViolations[] = [];
  Object.defineProperty(child, 'violationsUnshown', { value: unshown, enumerable: false });
  const cowDone = new Promise<CowResult | undefined>((resolve) => {
    if (!cowState) return resolve(undefined);
    const st = cowState;
    // 'close': the launcher is gone, so is its pid namespace, so nothing writes to the upper dir.
    child.once('close', () => resolve(cowFinish(st)));
    child.once('error', () => resolve(cowFinish(st)));
  });
  Object.defineProperty(child, 'cow', { value: cowDone, enumerable: false });
  // ---- end cow / report ----
  if (!chan) {
    // spawn failed (child 'error' follows): nothing started.
    child.once('error', (e) =>
      resolveReport({ started: false, skipped: [], limits: {}, error: { step: 'spawn', code: 'SBX_ESYS', errno: 0, pointer: '', message: e.message, exitCode: 125 } }),
    );
    Object.defineProperty(child, 'ended', { value: Promise.resolve(undefined), enumerable: false });
    return child;
  }
  const events: ChannelEvent[] = [];
  chan.setEncoding('utf8');
  // ---- report (spawn-result.ts): violations arrive while the program runs;
  // with a supervisor the channel stays open to the end, so 'started' (or an
  // error line) resolves the setup report.
  const lines = new EventLines();
  chan.on('data', (d: string) => {
    lines.push(d, (ev) => {
      if (ev.event === 'change' || ev.event === 'abort') return; // the cow walk's, never on the channel
      events.push(ev);
      if (ev.event === 'violation') {
        const v = violationFromEvent(ev);
        violations.push(v);
        child.emit('violation', v);
      } else if (ev.event === 'violations-unshown') {
        unshown.push(unshownFromEvent(ev));
      } else if (ev.event === 'started' || ev.event === 'error' || ev.event === 'exec-error') {
        resolveReport(reportOf(events));
      }
    });
  });
  // ---- end report ----
  chan.on('error', () => {});
  chan.once('close', () => resolveReport(reportOf(events)));
  // ---- limits: the launcher's last line says how the sandbox ended ----
  Object.defineProperty(child, 'ended', {
    value: new Promise<SandboxEnd | undefined>((resolve) => chan.once('close', () => resolve(endOf(events)))),
    enumerable: false,
  });
  return child;
}

function reasonOf(code: number | null, signal: NodeJS.Signals | null, rep: SandboxReport, end?: SandboxEnd): RunReason {
  if (rep.error) return 'setup-failed';
  if (end?.reason) return end.reason;
  if (signal) return 'signal';
  return 'exit';
}

/** Run a command in a sandbox to its end: exit code or signal, output, and why it ended. */
export function run(command: string, args: readonly string[] = [], options: SandboxRunOptions = {}): Promise<RunResult> {
  const { input, output, maxBuffer = RUN_MAX_BUFFER, onMaxBuffer = 'truncate', ...rest } = options;
  if (!(Number.isSafeInteger(maxBuffer) && maxBuffer >= 0)) throw new TypeError('sbx.run: maxBuffer must be a non-negative integer');
  if (onMaxBuffer !== 'truncate' && onMaxBuffer !== 'kill') throw new TypeError("sbx.run: onMaxBuffer must be 'truncate' or 'kill'");
  const out = output ?? 'pipe';
  let child: SandboxedChildProcess;
  try {
    child = spawn(command, args, { ...rest, stdio: [input === undefined ? 'ignore' : 'pipe', out, out] });
  } catch (e) {
    // A bad option (a missing `ro` path...) rejects: the caller awaits a promise, not a throw.
    return Promise.reject(e as Error);
  }
  // Bytes, kept up to maxBuffer and decoded at the end: a string grown without
  // bound ends the caller ("Invalid string length"), not the program.
  const streams = { stdout: { parts: [] as Buffer[], kept: 0, seen: 0 }, stderr: { parts: [] as Buffer[], kept: 0, seen: 0 } };
  const collect = (which: 'stdout' | 'stderr') => (d: Buffer) => {
    const s = streams[which];
    s.seen += d.length;
    if (s.kept < maxBuffer) {
      const part = d.length > maxBuffer - s.kept ? d.subarray(0, maxBuffer - s.kept) : d;
      s.parts.push(part);
      s.kept += part.length;
    }
    if (s.seen > maxBuffer && onMaxBuffer === 'kill' && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  child.stdout?.on('data', collect('stdout'));
  child.stderr?.on('data', collect('stderr'));
  if (input !== undefined && child.stdin) {
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  }
  return new Promise((resolve, reject) => {
    child.once('error', (e) => {
      // options.signal: the standard AbortError, as child_process gives it.
      if (e.name === 'AbortError') reject(e);
      else reject(new SbxError('SBX_ESYS', `sbx: cannot start the launcher: ${e.message}`));
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      void Promise.all([child.sandbox, child.cow, child.ended ?? Promise.resolve(undefined)]).then(([rep, cowRes, end]) => {
        const text = (which: 'stdout' | 'stderr') => Buffer.concat(streams[which].parts).toString('utf8');
        const cut = (which: 'stdout' | 'stderr') => (streams[which].seen > maxBuffer ? { [which]: streams[which].seen } : {});
        const truncated = { ...cut('stdout'), ...cut('stderr') };
        resolve({
          code,
          signal,
          stdout: text('stdout'),
          stderr: text('stderr'),
          ...(Object.keys(truncated).length ? { truncated } : {}),
          reason: reasonOf(code, signal, rep, end),
          ...(rep.error ? { error: rep.error } : {}),
          ...(rep.execError ? { execError: rep.execError } : {}),
          skipped: rep.skipped,
          ...(rep.notice ? { notice: rep.notice } : {}),
          violations: child.violations,
          violationsUnshown: child.violationsUnshown,
          limits: rep.limits,
          ...(end ? { usage: { wallMs: end.wallMs, ...(end.cpuMs !== undefined ? { cpuMs: end.cpuMs } : {}) } } : {}),
          ...(cowRes ? { changes: cowRes.changes, cow: cowRes } : {}),
        });
      });
    });
  });
}
