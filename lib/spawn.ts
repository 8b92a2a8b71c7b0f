/**
 * The spawn door from Node: `spawn` is `child_process.spawn` with a
 * `policy` option, returning the genuine ChildProcess of the launcher
 * (build/Release/sbx-launcher), which sets the sandbox up and execs the
 * command in place of its last process. docs/spawn.md has the protocol.
 *
 * The policy goes on an extra stdio entry (a socketpair) placed right after
 * the caller's own stdio entries, so the caller's fds 3, 4, ... keep their
 * numbers in the program. The launcher answers on the same socket: layers it
 * skipped (best-effort) and its setup error, if any.
 */
import { spawn as cpSpawn, type ChildProcess, type SpawnOptions, type StdioOptions } from 'node:child_process';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { SbxError } from './errors';
import { artifactPaths } from './native';
import { type PolicyInput, policySource } from './policy';

export interface SandboxSpawnOptions extends SpawnOptions {
  /** Preset name, policy file path, JSON text or object; default: the `default` preset. */
  policy?: PolicyInput;
  /** Launcher prints skipped layers on stderr (`sbx: skipped ...`). */
  verbose?: boolean;
}

/** A layer the launcher could not set up and skipped (best-effort mode). */
export interface SkippedLayer {
  layer: string;
  reason: string;
}

/** The launcher's setup error (exit code 125), or the exec failure (126/127). */
export interface SetupError {
  step: string;
  code: string;
  errno: number;
  pointer: string;
  message: string;
  exitCode: number;
}

export interface SandboxReport {
  /** The program was executed (false: setup or exec failed; see `error`). */
  started: boolean;
  skipped: SkippedLayer[];
  /** Setup failed (exit 125): nothing ran. */
  error?: SetupError;
  /** The sandbox was set up but the command could not be executed (126/127). */
  execError?: SetupError;
}

export interface SandboxedChildProcess extends ChildProcess {
  /** Resolves once the program was executed or the launcher failed; never rejects. */
  readonly sandbox: Promise<SandboxReport>;
}

export type RunReason = 'exit' | 'signal' | 'setup-failed';

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
}

export interface SandboxRunOptions extends Omit<SandboxSpawnOptions, 'stdio'> {
  /** Written to the program's stdin, which is then closed. */
  input?: string | Buffer;
  /** 'inherit' passes stdout/stderr through (then not captured). Default 'pipe'. */
  output?: 'pipe' | 'inherit';
}

function stdioArray(stdio: StdioOptions | undefined): Array<unknown> {
  if (stdio === undefined) return ['pipe', 'pipe', 'pipe'];
  if (typeof stdio === 'string') return [stdio, stdio, stdio];
  const a: unknown[] = [...stdio];
  // child_process treats missing entries 0-2 as 'pipe'.
  for (let i = 0; i < 3; i++) if (a[i] === undefined || a[i] === null) a[i] = 'pipe';
  return a;
}

/** Policy text for the launcher; relative file paths are the caller's, not the child's cwd. */
function launcherPolicy(policy: PolicyInput | undefined): string {
  const src = policySource(policy ?? 'default');
  const t = src.trimStart();
  if (!t.startsWith('{') && (t.includes('/') || t.endsWith('.json'))) return path.resolve(t);
  return src;
}

function parseEvents(text: string): SandboxReport {
  const report: SandboxReport = { started: true, skipped: [] };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (ev.event === 'skipped') {
      report.skipped.push({ layer: String(ev.layer), reason: String(ev.reason) });
    } else if (ev.event === 'error' || ev.event === 'exec-error') {
      const e: SetupError = {
        step: String(ev.step),
        code: String(ev.code),
        errno: Number(ev.errno),
        pointer: String(ev.pointer ?? ''),
        message: String(ev.message),
        exitCode: Number(ev.exitCode),
      };
      if (ev.event === 'error') report.error = e;
      else report.execError = e;
      report.started = false;
    }
  }
  return report;
}

/** `child_process.spawn(command, args, options)` inside a sandbox. */
export function spawn(command: string, args?: readonly string[] | SandboxSpawnOptions, options?: SandboxSpawnOptions): SandboxedChildProcess {
  if (!Array.isArray(args)) {
    options = args as SandboxSpawnOptions | undefined;
    args = [];
  }
  if (typeof command !== 'string' || command.length === 0) throw new TypeError('command must be a non-empty string');
  const { policy, verbose, shell, argv0, ...rest } = options ?? {};
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
  const launcherArgs = ['--policy-fd', String(policyFd), '--keep-fds', String(policyFd)];
  if (verbose) launcherArgs.push('--verbose');
  if (argv0 !== undefined) launcherArgs.push('--argv0', argv0);
  launcherArgs.push('--', cmd, ...argv);

  const text = launcherPolicy(policy);
  const child = cpSpawn(artifactPaths().launcher, launcherArgs, { ...rest, stdio: stdio as StdioOptions }) as SandboxedChildProcess;
  const chan = child.stdio[policyFd] as (Readable & Writable) | null | undefined;
  let resolveReport!: (r: SandboxReport) => void;
  const report = new Promise<SandboxReport>((r) => (resolveReport = r));
  Object.defineProperty(child, 'sandbox', { value: report, enumerable: false });
  if (!chan) {
    // spawn failed (child 'error' follows): nothing started.
    child.once('error', (e) =>
      resolveReport({ started: false, skipped: [], error: { step: 'spawn', code: 'SBX_ESYS', errno: 0, pointer: '', message: e.message, exitCode: 125 } }),
    );
    return child;
  }
  let events = '';
  chan.setEncoding('utf8');
  chan.on('data', (d: string) => (events += d));
  chan.on('error', () => {});
  chan.once('close', () => resolveReport(parseEvents(events)));
  chan.end(text);
  return child;
}

function reasonOf(code: number | null, signal: NodeJS.Signals | null, rep: SandboxReport): RunReason {
  if (rep.error) return 'setup-failed';
  if (signal) return 'signal';
  return 'exit';
}

/** Run a command in a sandbox to its end: exit code or signal, output, and why it ended. */
export function run(command: string, args: readonly string[] = [], options: SandboxRunOptions = {}): Promise<RunResult> {
  const { input, output, ...rest } = options;
  const out = output ?? 'pipe';
  const child = spawn(command, args, { ...rest, stdio: [input === undefined ? 'ignore' : 'pipe', out, out] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  if (input !== undefined && child.stdin) {
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  }
  return new Promise((resolve, reject) => {
    child.once('error', (e) => reject(new SbxError('SBX_ESYS', `sbx: cannot start the launcher: ${e.message}`)));
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      void child.sandbox.then((rep) => {
        resolve({
          code,
          signal,
          stdout,
          stderr,
          reason: reasonOf(code, signal, rep),
          ...(rep.error ? { error: rep.error } : {}),
          ...(rep.execError ? { execError: rep.execError } : {}),
          skipped: rep.skipped,
        });
      });
    });
  });
}
