/**
 * The launcher's lines for Node, parsed in one place: the events on the
 * spawn door's channel and the copy-on-write walk's lines (written by
 * launcher/event_lines.c; the table is docs/spawn.md, "Events").
 * `parseLauncherLine` returns a discriminated union on `event`, or null for
 * a line that is not one of ours (or not well-formed: a line is never
 * half-read). test/launcher-wire.test.ts parses what the C writer writes.
 */

export type LimitName = 'memory' | 'pids' | 'cpu' | 'wallTime' | 'cpuTime';
/** cgroup-v2 / cgroup-v1: the whole tree; rlimit: per process (RLIMIT_AS, RLIMIT_NPROC, RLIMIT_CPU); timer: the launcher. */
export type LimitMechanism = 'cgroup-v2' | 'cgroup-v1' | 'rlimit' | 'timer';
export type EndReason = 'timeout' | 'cpu-time' | 'memory';
export type CowChangeKind = 'created' | 'modified' | 'deleted';
export type CowFileType = 'file' | 'dir' | 'symlink' | 'other';

const LIMIT_NAMES: readonly string[] = ['memory', 'pids', 'cpu', 'wallTime', 'cpuTime'];
const LIMIT_MECHANISMS: readonly string[] = ['cgroup-v2', 'cgroup-v1', 'rlimit', 'timer'];
const END_REASONS: readonly string[] = ['timeout', 'cpu-time', 'memory'];
const COW_KINDS: readonly string[] = ['created', 'modified', 'deleted'];
const COW_TYPES: readonly string[] = ['file', 'dir', 'symlink', 'other'];

/** The program was executed. */
export interface StartedEvent {
  event: 'started';
}
/** Best-effort left a layer out. */
export interface SkippedEvent {
  event: 'skipped';
  layer: string;
  reason: string;
}
/** The one line on layers the host refused (launcher/host.c), for Node to say when the launcher does not. */
export interface NoticeEvent {
  event: 'notice';
  message: string;
}
/** The mechanism that enforces a limit of the policy. */
export interface LimitEvent {
  event: 'limit';
  limit: LimitName;
  mechanism: LimitMechanism;
}
/** The setup failed (`error`, exit 125) or the exec did (`exec-error`, 126/127). */
export interface ErrorEvent {
  event: 'error' | 'exec-error';
  exitCode: number;
  step: string;
  /** The core's code name (SBX_E...), unchecked here (errors.ts maps it). */
  code: string;
  errno: number;
  pointer: string;
  message: string;
}
/** A sandbox with limits ended: its wall time, CPU time where measured, and the limit that ended it. */
export interface EndEvent {
  event: 'end';
  wallMs: number;
  cpuMs?: number;
  reason?: EndReason;
}
/** A system call the policy denied (`report: true`). */
export interface SyscallViolationEvent {
  event: 'violation';
  kind: 'syscall';
  syscall: string | null;
  nr: number;
  arch: number;
  /** The six registers; values beyond 2^53 as "0x..." strings. */
  args: Array<number | string>;
  pid: number;
  errno: number;
  /** Further denials of this call are counted, not sent. */
  last?: true;
}
/** A connection or name the egress path refused (`net.hosts`). */
export interface NetViolationEvent {
  event: 'violation';
  kind: 'net';
  host: string;
  port: number;
  ip?: string;
  reason: string;
}
/** A file access the sandbox refuses (`report: true`; launcher/notify.c, confine/fs_denial.c). */
export interface FsViolationEvent {
  event: 'violation';
  kind: 'fs';
  syscall: string;
  path: string;
  access: FsAccess;
  reason: 'landlock' | 'read-only';
  /** The path to grant: the file, or its directory for create and remove. */
  allow: string;
  key: 'fs.read' | 'fs.write' | 'fs.exec';
  flag: '--ro' | '--rw' | '--exec';
  pid: number;
}
/** `refer`: a rename or link into another directory (Landlock's right of that name, part of fs.write). */
export type FsAccess = 'read' | 'list' | 'write' | 'create' | 'remove' | 'refer' | 'execute';
const FS_ACCESS = ['read', 'list', 'write', 'create', 'remove', 'refer', 'execute'] as const;
/** Denials of one call beyond those sent one by one (at the end). */
export interface UnshownEvent {
  event: 'violations-unshown';
  syscall: string | null;
  nr: number;
  arch: number;
  shared: boolean;
  count: number;
}
/** The copy-on-write walk: one change (names as hex of their bytes). */
export interface CowChangeEvent {
  event: 'change';
  kind: CowChangeKind;
  type: CowFileType;
  hex: string;
  /** --cow-apply only. */
  applied?: boolean;
  reason?: string;
  leftover?: string;
}
/** The copy-on-write apply stopped at `hex`. */
export interface CowAbortEvent {
  event: 'abort';
  hex: string;
  reason: string;
}

export type ChannelEvent =
  | StartedEvent
  | SkippedEvent
  | NoticeEvent
  | LimitEvent
  | ErrorEvent
  | EndEvent
  | SyscallViolationEvent
  | NetViolationEvent
  | FsViolationEvent
  | UnshownEvent;
export type CowEvent = CowChangeEvent | CowAbortEvent;
export type LauncherEvent = ChannelEvent | CowEvent;

type Obj = Record<string, unknown>;

const isStr = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isUint = (v: unknown): v is number => isInt(v) && v >= 0;
const isHex = (v: unknown): v is string => isStr(v) && /^(?:[0-9a-f]{2})*$/.test(v);
const oneOf = <T extends string>(v: unknown, set: readonly string[]): v is T => isStr(v) && set.includes(v);

function parseObject(o: Obj): LauncherEvent | null {
  switch (o.event) {
    case 'started':
      return { event: 'started' };
    case 'skipped':
      return isStr(o.layer) && isStr(o.reason) ? { event: 'skipped', layer: o.layer, reason: o.reason } : null;
    case 'notice':
      return isStr(o.message) ? { event: 'notice', message: o.message } : null;
    case 'limit':
      return oneOf<LimitName>(o.limit, LIMIT_NAMES) && oneOf<LimitMechanism>(o.mechanism, LIMIT_MECHANISMS)
        ? { event: 'limit', limit: o.limit, mechanism: o.mechanism }
        : null;
    case 'error':
    case 'exec-error':
      if (!isInt(o.exitCode) || !isStr(o.step) || !isStr(o.code) || !isInt(o.errno) || !isStr(o.pointer) || !isStr(o.message)) return null;
      return { event: o.event, exitCode: o.exitCode, step: o.step, code: o.code, errno: o.errno, pointer: o.pointer, message: o.message };
    case 'end': {
      if (!isUint(o.wallMs)) return null;
      const e: EndEvent = { event: 'end', wallMs: o.wallMs };
      if (o.cpuMs !== undefined) {
        if (!isUint(o.cpuMs)) return null;
        e.cpuMs = o.cpuMs;
      }
      if (o.reason !== undefined) {
        if (!oneOf<EndReason>(o.reason, END_REASONS)) return null;
        e.reason = o.reason;
      }
      return e;
    }
    case 'violation':
      if (o.kind === 'net') {
        if (!isStr(o.host) || !isUint(o.port) || !isStr(o.reason) || (o.ip !== undefined && !isStr(o.ip))) return null;
        const v: NetViolationEvent = { event: 'violation', kind: 'net', host: o.host, port: o.port, reason: o.reason };
        if (o.ip !== undefined) v.ip = o.ip as string;
        return v;
      }
      if (o.kind === 'fs') {
        if (!isStr(o.syscall) || !isStr(o.path) || !isStr(o.allow) || !isInt(o.pid)) return null;
        if (!oneOf<FsAccess>(o.access, FS_ACCESS) || !oneOf<FsViolationEvent['reason']>(o.reason, ['landlock', 'read-only'] as const)) return null;
        if (!oneOf<FsViolationEvent['key']>(o.key, ['fs.read', 'fs.write', 'fs.exec'] as const)) return null;
        if (!oneOf<FsViolationEvent['flag']>(o.flag, ['--ro', '--rw', '--exec'] as const)) return null;
        return { event: 'violation', kind: 'fs', syscall: o.syscall, path: o.path, access: o.access, reason: o.reason, allow: o.allow, key: o.key, flag: o.flag, pid: o.pid };
      }
      if (o.kind === 'syscall') {
        const args = o.args;
        if (!(o.syscall === null || isStr(o.syscall)) || !isInt(o.nr) || !isUint(o.arch) || !isInt(o.pid) || !isInt(o.errno)) return null;
        if (!Array.isArray(args) || args.length !== 6 || !args.every((a) => isUint(a) || (isStr(a) && /^0x[0-9a-f]+$/.test(a)))) return null;
        if (o.last !== undefined && o.last !== true) return null;
        const v: SyscallViolationEvent = {
          event: 'violation',
          kind: 'syscall',
          syscall: o.syscall as string | null,
          nr: o.nr,
          arch: o.arch,
          args: args as Array<number | string>,
          pid: o.pid,
          errno: o.errno,
        };
        if (o.last === true) v.last = true;
        return v;
      }
      return null;
    case 'violations-unshown':
      if (!(o.syscall === null || isStr(o.syscall)) || !isInt(o.nr) || !isUint(o.arch) || typeof o.shared !== 'boolean' || !isUint(o.count)) return null;
      return { event: 'violations-unshown', syscall: o.syscall as string | null, nr: o.nr, arch: o.arch, shared: o.shared, count: o.count };
    case 'change': {
      if (!oneOf<CowChangeKind>(o.kind, COW_KINDS) || !oneOf<CowFileType>(o.type, COW_TYPES) || !isHex(o.hex)) return null;
      const c: CowChangeEvent = { event: 'change', kind: o.kind, type: o.type, hex: o.hex };
      if (o.applied !== undefined) {
        if (typeof o.applied !== 'boolean') return null;
        c.applied = o.applied;
      }
      if (o.reason !== undefined) {
        if (!isStr(o.reason)) return null;
        c.reason = o.reason;
      }
      if (o.leftover !== undefined) {
        if (!isHex(o.leftover)) return null;
        c.leftover = o.leftover;
      }
      return c;
    }
    case 'abort':
      return isHex(o.hex) && isStr(o.reason) ? { event: 'abort', hex: o.hex, reason: o.reason } : null;
    default:
      return null;
  }
}

/** One line of the launcher (without its newline), or null when it is not one of its events. */
export function parseLauncherLine(line: string): LauncherEvent | null {
  if (!line.startsWith('{')) return null;
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return null;
  return parseObject(o as Obj);
}

/** Every event of a text of lines, in order (lines that are not events are left out). */
export function parseLauncherLines(text: string): LauncherEvent[] {
  const out: LauncherEvent[] = [];
  for (const line of text.split('\n')) {
    const ev = parseLauncherLine(line);
    if (ev) out.push(ev);
  }
  return out;
}

/** Splits the launcher channel into events as its bytes arrive (violations come while the program runs). */
export class EventLines {
  private rest = '';
  push(chunk: string, onEvent: (ev: LauncherEvent) => void): void {
    this.rest += chunk;
    let nl: number;
    while ((nl = this.rest.indexOf('\n')) >= 0) {
      const raw = this.rest.slice(0, nl);
      this.rest = this.rest.slice(nl + 1);
      const ev = parseLauncherLine(raw);
      if (ev) onEvent(ev);
    }
  }
}
