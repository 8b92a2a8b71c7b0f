/**
 * The spawn door's extras around a run: copy-on-write (`cow`), violation
 * reports (`report`), and the launcher channel's event lines. Used by
 * spawn.ts; the launcher side is launcher/cow.c and launcher/notify.c.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type FsAccess, type FsViolationEvent, type NetViolationEvent, type SyscallViolationEvent, type UnshownEvent, parseLauncherLine } from './launcher-events';
import { SbxError } from './errors';
import { artifactPaths } from './native';
import { sourceKind } from './policy';

// ---- violations ------------------------------------------------------------

/** A denial reported by the launcher (`report: true`): a file access, a system call, or a connection (`kind: 'net'`). */
export type Violation = FsViolation | SyscallViolation | NetViolation;

/**
 * What would permit a denied access: the `sbx run` flag (null when none says it; `--policy` then), the
 * policy key, and the policy layer to add (`{"fs": {"read": ["/srv/data"]}}`), for `extends` on top of
 * the policy in use. `text` is the CLI's words: `--ro /srv/data (policy fs.read)`.
 */
export interface AllowHint {
  flag: string | null;
  key: string;
  policy: Record<string, unknown>;
  text: string;
}

/**
 * A file access the sandbox refused (spawn door, `report: true`): the file, what was asked, and why: a
 * Landlock right no rule grants beneath it, or a read-only mount (the default view of the host). Seen by
 * the launcher's supervisor from the call's path and the policy's rules (docs/security-model.md,
 * "Which denials each door reports").
 */
export interface FsViolation {
  type: 'violation';
  kind: 'fs';
  syscall: string;
  path: string;
  access: FsAccess;
  reason: 'landlock' | 'read-only';
  /** The process, as the sandbox sees it. */
  pid: number;
  allow: AllowHint;
  /** `read /srv/data/x.csv (openat)` */
  text: string;
}

/**
 * A connection or name the egress path refused (`net.hosts`, docs/network.md):
 * the host as the program named it (a name, or an address), the port, the address
 * when one was involved, and why. `text` is the CLI's words for it.
 */
export interface NetViolation {
  type: 'violation';
  kind: 'net';
  host: string;
  /** 0 for a name lookup the sandbox's resolver refused. */
  port: number;
  ip?: string;
  reason: string;
  /** What would allow it: `--allow-host evil.test:443`, net.hosts. */
  allow: AllowHint;
  text: string;
}

/** A system call the policy denied, reported by the launcher's supervisor (`report: true`). */
export interface SyscallViolation {
  type: 'violation';
  kind: 'syscall';
  /** Syscall name (null for a number the table does not know or a foreign arch). */
  syscall: string | null;
  nr: number;
  /** The six registers; values beyond 2^53 as hex strings. */
  args: Array<number | string>;
  /** The process that made the call, as the sandbox sees it (its own pid namespace). */
  pid: number;
  /** The errno the call failed with (the policy's). */
  errno: number;
  /** Readable form: `socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0)`. */
  text: string;
  /** The last one reported of this call: later denials of it are only counted (`violationsUnshown`). */
  last?: true;
  /** What would allow it (`seccomp.allow`, or the `net` key of a socket family). */
  allow: AllowHint;
  /**
   * Set when the sandbox causes this denial itself by design and the program goes on without it: glibc's
   * name lookups try the nscd daemon (`socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0)`) and fall
   * back to files and DNS. `sbx run --report` shows the first and folds the rest.
   */
  noise?: string;
}

/**
 * Denials of one call beyond those reported one by one (the launcher's
 * supervisor sends up to 100 per call, then counts), known once the sandbox ended.
 */
export interface UnshownViolations {
  /** Syscall name (null for a number the table does not know, or for the shared bucket). */
  syscall: string | null;
  nr: number;
  arch: number;
  /** The bucket of every call beyond the 64 counted by name (nr and arch are its first). */
  shared: boolean;
  /** Denials not reported one by one. */
  count: number;
}

const FAMILIES: Record<number, string> = {
  1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6', 16: 'AF_NETLINK', 17: 'AF_PACKET', 38: 'AF_ALG', 40: 'AF_VSOCK',
};
const SOCK_TYPES = ['', 'SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_RAW', 'SOCK_RDM', 'SOCK_SEQPACKET'];

/** Argument counts of the calls policies typically deny; others show all six. */
const NARGS: Record<string, number> = {
  accept: 3, bind: 3, bpf: 3, chroot: 1, clone: 5, connect: 3, execve: 3, getsockopt: 5, init_module: 3,
  ioctl: 3, kexec_load: 4, keyctl: 5, kill: 2, listen: 2, memfd_create: 2, mknod: 3, mknodat: 4, mount: 5,
  open_tree: 3, perf_event_open: 5, personality: 1, pivot_root: 2, ptrace: 4, reboot: 4, recvmsg: 3,
  sendmsg: 3, sendto: 6, setns: 2, setsockopt: 5, sethostname: 2, socket: 3, socketpair: 4, swapon: 2,
  syslog: 3, umount2: 2, unshare: 1, userfaultfd: 1, io_uring_setup: 2, add_key: 5, request_key: 4,
};

function num(a: number | string): string {
  return typeof a === 'string' ? a : a >= 65536 ? `0x${a.toString(16)}` : String(a);
}

/** `name(args)` for a denied call: socket families and types by name, numbers otherwise (no pointer is read). */
export function describeCall(syscall: string | null, nr: number, args: Array<number | string>): string {
  const name = syscall ?? `syscall_${nr}`;
  if ((syscall === 'socket' || syscall === 'socketpair') && typeof args[0] === 'number' && typeof args[1] === 'number') {
    const t = args[1];
    let type = SOCK_TYPES[t & 0xf] || String(t & 0xf);
    if (t & 0o4000) type += '|SOCK_NONBLOCK';
    if (t & 0o2000000) type += '|SOCK_CLOEXEC';
    return `${name}(${FAMILIES[args[0]] ?? args[0]}, ${type}, ${num(args[2])})`;
  }
  const n = syscall && NARGS[syscall] !== undefined ? NARGS[syscall] : 6;
  return `${name}(${args.slice(0, n).map(num).join(', ')})`;
}

/** The --allow-host pattern for a host and port (brackets around an IPv6 address; no port for 80 and 443 would be wider, so the port is kept). */
export function allowHostPattern(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function hint(flag: string | null, key: string, value: unknown): AllowHint {
  const [section, sub] = key.split('.');
  const policy = { [section]: { [sub]: value } };
  return { flag, key, policy, text: flag ? `${flag} (policy ${key})` : `policy ${key}: ${JSON.stringify(policy)}` };
}

/** What would allow a denied system call: the socket family's `net` key, else `seccomp.allow`. */
export function syscallAllow(syscall: string | null, nr: number, args: Array<number | string>): AllowHint {
  if ((syscall === 'socket' || syscall === 'socketpair') && typeof args[0] === 'number') {
    const fam = args[0];
    if (fam === 2 || fam === 10) return hint('--net host', 'net.inet', true);
    if (fam === 16) return hint('--net host', 'net.netlink', true);
    if (fam === 1) return syscall === 'socketpair' ? hint(null, 'net.unix', 'socketpair') : hint('--unix PATH', 'net.unixPaths', ['PATH']);
    return hint(null, 'net.other', true);
  }
  return hint(null, 'seccomp.allow', [syscall ?? `syscall_${nr}`]);
}

/** glibc's attempt to reach nscd: denied by design where unix sockets are, harmless. */
function nscdNoise(syscall: string | null, args: Array<number | string>): boolean {
  return syscall === 'socket' && args[0] === 1 && args[1] === (1 | 0o4000 | 0o2000000) && args[2] === 0;
}

function fsText(ev: FsViolationEvent): string {
  const why = ev.reason === 'read-only' ? 'a read-only mount' : 'no Landlock rule grants it';
  return `${ev.access} ${ev.path} (${ev.syscall}: ${why})`;
}

/**
 * A name from the sandbox as the terminal may show it: a file name can hold a newline (which would forge a
 * line of sbx's), escape sequences (which would rewrite the screen) or bidirectional overrides (which would
 * reorder what is read). Those, C1 controls and the backslash itself are written as escapes.
 */
export function terminalSafe(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\\\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g, (c) => {
    if (c === '\\') return '\\\\';
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

export function violationFromEvent(ev: SyscallViolationEvent | NetViolationEvent | FsViolationEvent): Violation {
  if (ev.kind === 'fs') {
    const allow = hint(`${ev.flag} ${ev.allow}`, ev.key, [ev.allow]);
    // As --exec does: running a script (or a binary ld.so maps) reads it too.
    if (ev.access === 'execute') allow.policy = { fs: { read: [ev.allow], exec: [ev.allow] } };
    return { type: 'violation', kind: 'fs', syscall: ev.syscall, path: ev.path, access: ev.access, reason: ev.reason, pid: ev.pid, allow, text: fsText(ev) };
  }
  if (ev.kind === 'net') {
    const { host, port, reason } = ev;
    // port 0: a name the sandbox's resolver refused (no connection yet: the name's web ports)
    const pattern = port === 0 ? host : allowHostPattern(host, port);
    const allow = hint(`--allow-host ${pattern}`, 'net.hosts', [pattern]);
    const v: NetViolation = { type: 'violation', kind: 'net', host, port, reason, allow, text: '' };
    if (ev.ip !== undefined) v.ip = ev.ip;
    v.text =
      port === 0
        ? `name lookup of ${host}: ${v.reason}`
        : `connection to ${host}:${port}${v.ip && v.ip !== host ? ` (${v.ip})` : ''}: ${v.reason}`;
    return v;
  }
  const { syscall, nr, args } = ev;
  const v: SyscallViolation = {
    type: 'violation',
    kind: 'syscall',
    syscall,
    nr,
    args,
    pid: ev.pid,
    errno: ev.errno,
    text: describeCall(syscall, nr, args),
    allow: syscallAllow(syscall, nr, args),
  };
  if (ev.last) v.last = true;
  if (nscdNoise(syscall, args)) v.noise = "glibc's name lookup tries the nscd daemon, then files and DNS";
  return v;
}

export function unshownFromEvent(ev: UnshownEvent): UnshownViolations {
  return { syscall: ev.syscall, nr: ev.nr, arch: ev.arch, shared: ev.shared, count: ev.count };
}

function callName(syscall: string | null, nr: number, shared = false): string {
  return shared ? 'other calls' : `${syscall ?? `syscall_${nr}`}()`;
}

/** The CLI's line after the last violation of a call reported one by one (the preload door's words). */
export function formatLastViolation(v: SyscallViolation, perCall: number): string {
  return `sbx: ${callName(v.syscall, v.nr)} denied ${perCall} times: further denials are counted, not shown`;
}

/** The CLI's line at the end for the denials of a call that were only counted. */
export function formatUnshown(u: UnshownViolations): string {
  return `sbx: ${callName(u.syscall, u.nr, u.shared)} denied ${u.count} more times (not shown)`;
}

/** The CLI's line for a violation. */
export function formatViolation(v: Violation): string {
  if (v.kind === 'net') return `sbx: denied ${terminalSafe(v.text)}; allow it with ${terminalSafe(v.allow.flag ?? '')}`;
  if (v.kind === 'fs') return `sbx: denied ${terminalSafe(v.text)} in pid ${v.pid}; allow it with ${terminalSafe(v.allow.text)}`;
  if (v.noise) return `sbx: denied ${v.text} in pid ${v.pid} (${v.noise}; harmless, further ones folded)`;
  return `sbx: denied ${v.text} in pid ${v.pid}; allow it with ${v.allow.text}`;
}

// ---- policy additions ----------------------------------------------------------

/** Add keys to the policy text the launcher gets (preset name, absolute file path or JSON text). */
export function extendPolicyText(text: string, add: { report?: boolean; mounts?: unknown[]; unixPaths?: string[] }): string {
  if (!add.report && !add.mounts?.length && !add.unixPaths) return text;
  const kind = sourceKind(text).kind;
  const p: Record<string, unknown> =
    kind === 'inline' ? (JSON.parse(text) as Record<string, unknown>) : { extends: kind === 'empty' ? 'default' : text.trim() };
  if (add.report) p.report = true;
  if (add.mounts?.length) p.mounts = [...((p.mounts as unknown[] | undefined) ?? []), ...add.mounts];
  if (add.unixPaths) {
    // net.unixPaths of the layer: a list (even empty) turns the allowlist on.
    const net = (p.net as Record<string, unknown> | undefined) ?? {};
    p.net = { ...net, unixPaths: [...((net.unixPaths as unknown[] | undefined) ?? []), ...add.unixPaths] };
  }
  return JSON.stringify(p);
}

// ---- copy-on-write -----------------------------------------------------------------

/** `true` / `'discard'`: report and drop the changes; `'keep'`: leave the upper dir; `'apply'`: copy them onto the host. */
export type CowMode = boolean | 'discard' | 'keep' | 'apply';

export interface CowChange {
  kind: 'created' | 'modified' | 'deleted';
  /**
   * Absolute host path, decoded as UTF-8 for convenience: a name that is not
   * UTF-8 shows U+FFFD here. `pathBuffer` has the exact bytes.
   */
  path: string;
  /** The exact bytes of the path (a file name is bytes, not text). */
  pathBuffer: Buffer;
  type: 'file' | 'dir' | 'symlink' | 'other';
  /** `cow: 'apply'`: this change is on the host now. */
  applied?: boolean;
  /** `cow: 'apply'`, not applied: `fifo`, `socket`, `device`, the failure that stopped the apply here, or that it stopped earlier. */
  reason?: string;
  /** `cow: 'apply'`: a temporary name beside the path that holds what the change displaced and could not be removed. */
  leftover?: Buffer;
}

export interface CowResult {
  /** What the program changed under the copy-on-write directory, in the order found. */
  changes: CowChange[];
  /** `cow: 'keep'`: the overlay's upper directory (the changed files), left for the caller. */
  upper?: string;
  /**
   * `cow: 'apply'`: true when the apply went to the end (every change is on the host but fifos, sockets and
   * devices, whose `applied: false` says so); false when it stopped (`error` says where; each change's
   * `applied` says exactly what was done).
   */
  applied?: boolean;
  /** Reading or applying the changes failed. */
  error?: string;
}

export interface CowState {
  mode: 'discard' | 'keep' | 'apply';
  /** Host directory made copy-on-write (the working directory). */
  target: string;
  /** `dev:ino` of target when the sandbox was set up: the apply refuses another directory. */
  targetId: string;
  /** Temporary directory holding upper/ and upper.work/. */
  dir: string;
  upper: string;
}

function inside(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** A fresh directory for the overlay's upper layer, outside `target` (overlayfs refuses overlapping layers). */
export function cowPrepare(mode: CowMode, cwd: string): { state: CowState; mount: Record<string, unknown> } {
  const target = path.resolve(cwd);
  const bases = [os.tmpdir(), '/var/tmp', '/dev/shm'];
  const base = bases.find((b) => !inside(b, target) && fs.existsSync(b));
  if (!base) throw new Error(`sbx: cow: no temporary directory outside ${target} for the changes`);
  const st = fs.statSync(target, { bigint: true });
  let dir: string;
  try {
    dir = fs.mkdtempSync(path.join(base, 'sbx-cow-'));
  } catch (e) {
    // nothing is started: the sandbox's changes would have nowhere to go (a full /tmp: ENOSPC)
    const x = e as NodeJS.ErrnoException;
    throw new SbxError('SBX_ESYS', `sbx: cow: cannot make the directory for the sandbox's changes in ${base}: ${x.message} (free space there, or set TMPDIR to a directory with room)`, {
      errno: Math.abs(x.errno ?? 0),
      syscall: 'mkdtemp',
    });
  }
  const upper = path.join(dir, 'upper');
  const m = mode === true || mode === 'discard' ? 'discard' : mode === 'keep' ? 'keep' : 'apply';
  return {
    state: { mode: m, target, targetId: `${st.dev}:${st.ino}`, dir, upper },
    mount: { type: 'overlay', source: target, target, upper },
  };
}

const SLASH = 0x2f;

/** target + '/' + rel, as bytes. */
function joinBytes(target: string, rel: Buffer): Buffer {
  const t = Buffer.from(target);
  return Buffer.concat(t.length && t[t.length - 1] === SLASH ? [t, rel] : [t, Buffer.from('/'), rel]);
}

/**
 * Read (`--cow-diff`) or apply (`--cow-apply`) the changes: the launcher walks the overlay's upper dir against
 * the host directory (whiteouts and opaque dirs are xattrs, which Node cannot read) and applies by file
 * descriptor (launcher/cow_apply.c). Names come as hex of their bytes; nothing here touches a host path.
 */
function cowWalk(state: CowState, apply: boolean): { changes: CowChange[]; aborts: string[]; status: number | null; stderr: string } {
  const args = apply ? ['--cow-apply', state.upper, state.target, state.targetId] : ['--cow-diff', state.upper, state.target];
  const r = spawnSync(artifactPaths().launcher, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  const changes: CowChange[] = [];
  const aborts: string[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const c = parseLauncherLine(line);
    if (c?.event !== 'change' && c?.event !== 'abort') throw new Error(`sbx: the copy-on-write walk wrote an unknown line: ${line.slice(0, 200)}`);
    const rel = Buffer.from(c.hex, 'hex');
    const abs = joinBytes(state.target, rel);
    if (c.event === 'abort') {
      aborts.push(`apply stopped at ${escapeBytes(abs)}: ${c.reason}`);
      continue;
    }
    const ch: CowChange = { kind: c.kind, path: path.join(state.target, rel.toString('utf8')), pathBuffer: abs, type: c.type };
    if (c.applied !== undefined) ch.applied = c.applied;
    if (c.reason !== undefined) ch.reason = c.reason;
    if (c.leftover) {
      const cut = rel.lastIndexOf(SLASH);
      ch.leftover = joinBytes(state.target, Buffer.concat([cut < 0 ? Buffer.alloc(0) : rel.subarray(0, cut + 1), Buffer.from(c.leftover, 'hex')]));
    }
    changes.push(ch);
  }
  return { changes, aborts, status: r.status, stderr: r.stderr };
}

/** The changes the overlay's upper dir holds, applied onto the host with `cow: 'apply'`. */
function cowChanges(state: CowState, res: CowResult): void {
  if (!fs.existsSync(state.upper)) {
    if (state.mode === 'apply') res.applied = true;
    return;
  }
  const apply = state.mode === 'apply';
  const r = cowWalk(state, apply);
  res.changes = r.changes;
  if (apply) res.applied = r.status === 0;
  const errs = [...r.aborts];
  if (r.status !== 0 && !(apply && r.status === 3 && r.aborts.length)) {
    errs.push(`${apply ? 'applying' : 'reading'} the changes failed: ${r.stderr.trim() || `exit ${r.status}`}`);
  }
  if (errs.length) res.error = errs.join('; ');
}

function removeTree(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // overlayfs leaves a mode-0 work/work directory: make it removable.
    const walk = (d: string) => {
      try {
        fs.chmodSync(d, 0o700);
        for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
      } catch {
        /* best effort */
      }
    };
    walk(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** After the run: the changes, then discard / keep / apply as asked. Never throws. */
export function cowFinish(state: CowState): CowResult {
  const res: CowResult = { changes: [] };
  try {
    cowChanges(state, res);
  } catch (e) {
    res.error = (e as Error).message;
    if (state.mode === 'apply') res.applied = false;
  }
  if (state.mode === 'keep') {
    res.upper = state.upper;
    try {
      removeTree(`${state.upper}.work`);
    } catch {
      /* left behind */
    }
  } else {
    try {
      removeTree(state.dir);
    } catch {
      /* left behind */
    }
  }
  return res;
}

/**
 * A name for a terminal: every byte that is not printable ASCII as `\\xHH` (`\\n`, `\\r`, `\\t` for those), and
 * `\\` doubled, so the text shows exactly one name and nothing else (no line ends, no escape sequences).
 */
export function escapeBytes(b: Buffer): string {
  let s = '';
  for (const c of b) {
    if (c === 0x5c) s += '\\\\';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c === 0x09) s += '\\t';
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return s;
}

/** A message for a terminal: what is not printable ASCII as `\\xHH` (its names are already escaped). */
function printable(t: string): string {
  return t.replace(/[^\x20-\x7e]+/g, (m) => [...Buffer.from(m)].map((c) => `\\x${c.toString(16).padStart(2, '0')}`).join(''));
}

/** The CLI's lines for the changes: one per change, names escaped (escapeBytes). */
export function formatChanges(r: CowResult): string {
  const mark = { created: 'A', modified: 'M', deleted: 'D' } as const;
  const lines = r.changes.map((c) => {
    let l = `sbx: ${mark[c.kind]} ${escapeBytes(c.pathBuffer)}${c.type === 'dir' ? '/' : ''}`;
    if (c.applied === false) l += ` (not applied: ${printable(c.reason ?? 'unknown')})`;
    if (c.leftover) l += ` (what it replaced is left in ${escapeBytes(c.leftover)})`;
    return l;
  });
  if (!r.changes.length) lines.push('sbx: cow: no changes');
  if (r.error) lines.push(`sbx: cow: ${printable(r.error)}`);
  if (r.upper) lines.push(`sbx: cow: changes kept in ${printable(r.upper)}`);
  if (r.applied !== undefined) lines.push(`sbx: cow: ${r.changes.filter((c) => c.applied).length} of ${r.changes.length} changes applied`);
  return lines.join('\n') + '\n';
}
