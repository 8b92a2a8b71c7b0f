/**
 * Running the attack programs of test/escape/ (built into build/escape/<name>)
 * and reading their verdict, for the unconfined control test and for every
 * door's test (which passes `wrap` to put the program inside its sandbox).
 *
 * Protocol (test/escape/README.md): one stdout line
 * `ESCAPE <name>: BLOCKED|ESCAPED|ERROR <detail>` and exit 0/1/2. A program
 * killed by SIGSYS (seccomp) is BLOCKED; a bomb killed by SIGKILL (cgroup OOM
 * kill, pids/time limit) is BLOCKED; anything else without a consistent line
 * is ERROR (e.g. the door itself failed with exit 126).
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { escapeDir } from './paths';
import { UNPRIV_UID, isRoot, runUnpriv } from './unpriv';

export type Verdict = 'BLOCKED' | 'ESCAPED' | 'ERROR';

export interface EscapeResult {
  name: string;
  verdict: Verdict;
  /** The verdict line (or a description of what went wrong instead). */
  line: string;
  signal: NodeJS.Signals | null;
  status: number | null;
  stdout: string;
  stderr: string;
  /** The command actually run, for messages. */
  argv: string[];
}

export interface EscapeOptions {
  /** Put the program inside a sandbox: receives the program and its args, returns the command to run. */
  wrap?: (cmd: string, args: string[]) => [string, string[]];
  env?: NodeJS.ProcessEnv;
  /** Run as uid/gid 65534 (through setpriv, outside `wrap`); binaries come from a world-readable copy. */
  asUser?: 'unpriv' | typeof UNPRIV_UID;
  /** Working directory; default: a fresh world-writable temp dir, removed afterwards. */
  cwd?: string;
  /** Extra fds the child gets as fd 3, 4, ... (for fd_leak and the like). */
  extraFds?: number[];
  timeoutMs?: number;
  /**
   * Record the result for the attack table of docs/security-model.md: when
   * $SBX_ESCAPE_RECORD names a directory, one JSON line per run is appended to
   * `<dir>/<door>-<user>.jsonl` (read by scripts/security-table.js). `limit`:
   * the door's documented limit that this run is expected to show (the
   * reason, for the table).
   */
  record?: { door: EscapeDoor; user: 'root' | 'unprivileged'; limit?: string };
}

export type EscapeDoor = 'preload' | 'self' | 'spawn' | 'spawn-no-userns' | 'unconfined';

/** Append one result to $SBX_ESCAPE_RECORD/<door>-<user>.jsonl (O_APPEND: one write per line). */
export function recordEscape(r: EscapeResult, rec: NonNullable<EscapeOptions['record']>): void {
  const dir = process.env.SBX_ESCAPE_RECORD;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  const line = JSON.stringify({ name: r.name, door: rec.door, user: rec.user, verdict: r.verdict, line: r.line, signal: r.signal, ...(rec.limit ? { limit: rec.limit } : {}) });
  fs.appendFileSync(path.join(dir, `${rec.door}-${rec.user}.jsonl`), `${line}\n`);
}

/** Where the programs are: build/escape, or $SBX_TEST_ESCAPE_DIR (another build, e.g. with sanitizers). */
export const escapeBinDir = process.env.SBX_TEST_ESCAPE_DIR || escapeDir;

/** Programs for which SIGKILL means "a limit stopped it". */
export const ESCAPE_BOMBS = new Set(['fork_bomb', 'mem_bomb', 'disk_fill']);
/**
 * Programs with an unconfined outer stage that prepares state before the
 * sandbox exists (sigurg_fsetown: an fd owned by an outside process). runEscape
 * runs `prog -- <wrap(prog, ['--inner', ...args])>`: only the inner stage is wrapped.
 */
export const ESCAPE_OUTER_STAGED = new Set(['sigurg_fsetown']);

/** Names of the built attack programs. */
export function escapeNames(): string[] {
  return fs.existsSync(escapeBinDir) ? fs.readdirSync(escapeBinDir).filter((f) => !f.includes('.')).sort() : [];
}

let unprivDir: string | undefined;

/** A copy of build/escape that uid 65534 can read and execute. */
export function unprivEscapeDir(): string {
  if (unprivDir) return unprivDir;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-escape-bin-'));
  for (const f of escapeNames()) {
    fs.copyFileSync(path.join(escapeBinDir, f), path.join(dir, f));
    fs.chmodSync(path.join(dir, f), 0o755);
  }
  fs.chmodSync(dir, 0o755);
  unprivDir = dir;
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function escapeBinary(name: string, opts: { unpriv?: boolean } = {}): string {
  return path.join(opts.unpriv ? unprivEscapeDir() : escapeBinDir, name);
}

export function parseEscape(
  name: string,
  r: { stdout: string; stderr: string; status: number | null; signal: NodeJS.Signals | null },
): { verdict: Verdict; line: string } {
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('ESCAPE '));
  if (lines.length === 1) {
    const m = /^ESCAPE (\S+): (BLOCKED|ESCAPED|ERROR) (.*)$/.exec(lines[0]);
    const rc: Record<string, number> = { BLOCKED: 0, ESCAPED: 1, ERROR: 2 };
    if (m && m[1] === name && r.signal === null && r.status === rc[m[2]]) {
      return { verdict: m[2] as Verdict, line: lines[0] };
    }
    return { verdict: 'ERROR', line: `inconsistent report (status ${r.status}, signal ${r.signal}): ${lines[0]}` };
  }
  if (lines.length > 1) return { verdict: 'ERROR', line: `${lines.length} verdict lines: ${lines.join(' | ')}` };
  if (r.signal === 'SIGSYS') return { verdict: 'BLOCKED', line: `killed by SIGSYS (seccomp)` };
  if (r.signal === 'SIGKILL' && ESCAPE_BOMBS.has(name)) return { verdict: 'BLOCKED', line: 'killed by SIGKILL (limit)' };
  const err = r.stderr.trim().split('\n').slice(-3).join(' | ');
  return { verdict: 'ERROR', line: `no verdict (status ${r.status}, signal ${r.signal}); stderr: ${err}` };
}

/** Run one attack program and read its verdict. */
export function runEscape(name: string, args: string[] = [], opts: EscapeOptions = {}): EscapeResult {
  const unpriv = opts.asUser !== undefined;
  const bin = escapeBinary(name, { unpriv });
  if (!fs.existsSync(bin)) throw new Error(`escape program ${bin} is not built`);
  const wrap = opts.wrap ?? ((c: string, a: string[]) => [c, a] as [string, string[]]);
  let cmd: string;
  let argv: string[];
  if (ESCAPE_OUTER_STAGED.has(name)) {
    const [ic, ia] = wrap(bin, ['--inner', ...args]);
    [cmd, argv] = [bin, ['--', ic, ...ia]];
  } else {
    [cmd, argv] = wrap(bin, args);
  }
  let cwd = opts.cwd;
  let tmpCwd: string | undefined;
  if (!cwd) {
    tmpCwd = cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-escape-cwd-'));
    fs.chmodSync(cwd, 0o777);
  }
  const spawnOpts: SpawnSyncOptions = {
    encoding: 'utf8',
    cwd,
    env: opts.env ?? process.env,
    timeout: opts.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
    stdio: ['pipe', 'pipe', 'pipe', ...(opts.extraFds ?? [])],
  };
  try {
    const r = unpriv ? runUnpriv(cmd, argv, spawnOpts) : spawnSync(cmd, argv, spawnOpts);
    if (r.error) throw r.error;
    const out = { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), status: r.status, signal: r.signal };
    const result = { name, ...out, ...parseEscape(name, out), argv: [cmd, ...argv] };
    if (opts.record) recordEscape(result, opts.record);
    return result;
  } finally {
    if (tmpCwd) fs.rmSync(tmpCwd, { recursive: true, force: true });
  }
}

/**
 * What the attack programs aim at, outside any sandbox: listeners, a target
 * process, a secret file, a place to write, a setuid copy. `forUnpriv` makes
 * everything reachable by uid 65534 on the host (so that the unconfined
 * control run shows the attack working for that user too).
 */
export interface EscapeFixtures {
  dir: string;
  /** A readable file in a directory no policy should allow (under $HOME for root, /var/tmp for 65534). */
  secretPath: string;
  /** A fresh, not-yet-existing path next to the secret, for write_outside. */
  outsidePath(): string;
  /** A root-owned 0755 copy of an executable, standing in for libsbx.so/the launcher. */
  artifactPath: string;
  /** Setuid-root copy of setuid_exec (root only; else undefined). */
  setuidPath?: string;
  tcpPort: number;
  udpPort: number;
  unixPath: string;
  abstractName: string;
  /** A process outside the sandbox (`sleep`), owned by the user the attack runs as. */
  targetPid: number;
  close(): void;
}

const LISTENERS = `
const net = require('node:net'), dgram = require('node:dgram'), fs = require('node:fs');
const [unixPath, abstractName] = process.argv.slice(1);
const keep = [];
const tcp = net.createServer((s) => { keep.push(s); s.on('error', () => {}); }).listen(0, '127.0.0.1');
const unix = net.createServer((s) => { keep.push(s); s.on('error', () => {}); }).listen(unixPath);
const abs = net.createServer((s) => { keep.push(s); s.on('error', () => {}); }).listen('\\0' + abstractName);
const udp = dgram.createSocket('udp4');
udp.on('message', (m, r) => udp.send(m, r.port, r.address));
udp.bind(0, '127.0.0.1');
let n = 0;
const ready = () => { if (++n < 4) return; fs.chmodSync(unixPath, 0o777);
  process.stdout.write(JSON.stringify({ tcp: tcp.address().port, udp: udp.address().port }) + '\\n'); };
for (const s of [tcp, unix, abs]) s.on('listening', ready);
udp.on('listening', ready);
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
`;

export async function createEscapeFixtures(opts: { forUnpriv?: boolean } = {}): Promise<EscapeFixtures> {
  const base = opts.forUnpriv || !isRoot() ? '/var/tmp' : os.homedir();
  const dir = fs.mkdtempSync(path.join(base, '.sbx-escape-fx-'));
  fs.chmodSync(dir, opts.forUnpriv ? 0o777 : 0o700);
  const secretPath = path.join(dir, 'secret');
  fs.writeFileSync(secretPath, 'sbx escape test secret\n', { mode: 0o644 });
  fs.chmodSync(secretPath, 0o644);
  const artifactPath = path.join(dir, 'artifact.so');
  fs.copyFileSync('/bin/true', artifactPath);
  fs.chmodSync(artifactPath, 0o755);
  let setuidPath: string | undefined;
  if (isRoot()) {
    // Its own 0755 directory: reachable by 65534 even when `dir` is 0700.
    const sdir = fs.mkdtempSync('/var/tmp/.sbx-escape-suid-');
    fs.chmodSync(sdir, 0o755);
    setuidPath = path.join(sdir, 'setuid_exec');
    fs.copyFileSync(path.join(escapeBinDir, 'setuid_exec'), setuidPath);
    fs.chownSync(setuidPath, 0, 0);
    fs.chmodSync(setuidPath, 0o4755);
  }
  let n = 0;
  const outsidePath = () => path.join(dir, `written-${process.pid}-${n++}`);
  const unixPath = path.join(dir, 'listener.sock');
  const abstractName = `sbx-escape-${process.pid}-${Math.random().toString(36).slice(2)}`;

  const listeners: ChildProcess = spawn(process.execPath, ['-e', LISTENERS, unixPath, abstractName], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ports = await new Promise<{ tcp: number; udp: number }>((resolve, reject) => {
    let buf = '';
    listeners.stdout!.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(JSON.parse(buf));
    });
    listeners.on('exit', (c) => reject(new Error(`listener process exited (${c})`)));
  });
  const ids = opts.forUnpriv ? { uid: UNPRIV_UID, gid: UNPRIV_UID } : {};
  const target = spawn('sleep', ['3600'], { stdio: 'ignore', ...ids });
  await new Promise<void>((resolve, reject) => {
    target.once('spawn', () => resolve());
    target.once('error', reject);
  });
  return {
    dir,
    secretPath,
    outsidePath,
    artifactPath,
    setuidPath,
    tcpPort: ports.tcp,
    udpPort: ports.udp,
    unixPath,
    abstractName,
    targetPid: target.pid!,
    close() {
      target.kill('SIGKILL');
      listeners.stdin!.end();
      listeners.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
      if (setuidPath) fs.rmSync(path.dirname(setuidPath), { recursive: true, force: true });
    },
  };
}

/** The standard arguments of each attack program against the fixtures. */
export function escapeArgs(name: string, fx: EscapeFixtures): string[] {
  switch (name) {
    case 'read_outside':
    case 'symlink_swap': return [fx.secretPath];
    case 'notify_toctou': return [fx.secretPath, String(fx.tcpPort)];
    case 'write_outside': return [fx.outsidePath()];
    case 'tcp_connect': return [String(fx.tcpPort)];
    case 'udp_send': return [String(fx.udpPort)];
    case 'unix_path': return [fx.unixPath];
    case 'unix_abstract': return [fx.abstractName];
    case 'ptrace_attach':
    case 'process_vm_readv':
    case 'proc_mem':
    case 'kill_outside':
    case 'setns': return [String(fx.targetPid)];
    case 'setuid_exec': return fx.setuidPath ? [fx.setuidPath] : [];
    case 'write_sbx_binary': return [fx.artifactPath];
    case 'fork_bomb': return ['64'];
    case 'mem_bomb': return ['64'];
    case 'disk_fill': return ['sbx-escape-fill', '8']; // relative: inside the working directory
    default: return [];
  }
}
