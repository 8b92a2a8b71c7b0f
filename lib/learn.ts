/**
 * `sbx learn` / `sbx.learn()`: run a command in the spawn sandbox with its denials reported, grant what
 * each denial's `allow` names (narrowed: the file, not its directory; names, not contents, for a listing),
 * and run it again, until a round meets no denial it has not seen (or the rounds run out). The result is
 * the base policy plus the smallest additions that let the command run (docs/learn.md).
 *
 * The command never runs unconfined: every round is the sandbox of the policy learned so far, so what it
 * reaches is what the base allows plus grants learn chose. Learn never grants a credential the spawn door
 * hides (the list is the core's: sbx_spawn_secret), a path of the base's `fs.hide`, write access to sbx's
 * own files, nor a directory that holds any of them; each is named on stderr and left out.
 */
import { lstatSync, type Stats } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolvePolicy } from './compile';
import { native } from './native';
import type { Policy } from './policy';
import { type PolicyShortcuts, shortcutPolicy } from './policy-shortcuts';
import { spawn } from './spawn';
import type { UnshownViolations, Violation } from './spawn-result';

export interface LearnOptions {
  /** The base policy (preset name, file path or inline JSON; default `default`): the learned one extends it. */
  policy?: string;
  /** `sbx run`'s flags as the API takes them: part of the learned policy as given. */
  shortcuts?: PolicyShortcuts;
  cwd?: string;
  /** At most this many runs of the command (default 5). */
  rounds?: number;
  /** Grant hosts the egress path refused (`net.hosts`); default false: they are only listed. */
  learnHosts?: boolean;
  /** The command's stdio in each round (default: inherit). */
  stdio?: 'inherit' | 'ignore' | Array<'inherit' | 'ignore' | number>;
  /** Progress lines (the CLI prints them on stderr). */
  log?: (line: string) => void;
  quiet?: boolean;
  verbose?: boolean;
}

/** One addition to the policy and the denial it answers. */
export interface LearnedGrant {
  /** Policy key: `fs.read`, `fs.exec`, `fs.list`, `fs.write`, `net.hosts`, `seccomp.allow`, `net.inet`... */
  key: string;
  value: string | boolean;
  /** The denial, in the words of `sbx run --report`. */
  why: string;
}

/** A denial learn saw and did not turn into a grant. */
export interface LearnRefusal {
  what: string;
  why: string;
}

export interface LearnResult {
  /** The learned policy, loaded back by the core's parser before it is returned. */
  policy: Policy;
  /** The same, as pretty JSON text (what `sbx learn -o` writes). */
  text: string;
  added: LearnedGrant[];
  refused: LearnRefusal[];
  /** The command's end in the last round. */
  code: number | null;
  signal: NodeJS.Signals | null;
  rounds: number;
  /** False when the last round still met a denial it had not seen (the rounds ran out), or denials went unshown. */
  converged: boolean;
  /** Denials of the last round the report only counted (at most 100 lines a call a run): not learned. */
  unshown: number;
  /** The rounds ran out while each still met new denials: more `rounds` may learn more. */
  roundsOut: boolean;
  /** Set when the sandbox could not be set up (nothing learned; exit 125). */
  error?: { code?: string; message: string };
}

/**
 * Calls the base policy leaves denied on purpose: the kernel's attack surface that the sandbox exists to
 * keep away (namespaces, mounts, tracing, BPF, keyrings, io_uring...). A program that probes one and
 * carries on would otherwise widen the policy it is learned into; grant one by hand if the command needs it.
 */
const KEPT_DENIED = new Set([
  'mount', 'umount', 'umount2', 'pivot_root', 'chroot', 'move_mount', 'open_tree', 'fsopen', 'fsmount', 'fsconfig',
  'fspick', 'mount_setattr', 'unshare', 'setns', 'bpf', 'ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp',
  'perf_event_open', 'keyctl', 'add_key', 'request_key', 'kexec_load', 'kexec_file_load', 'init_module',
  'finit_module', 'delete_module', 'reboot', 'swapon', 'swapoff', 'userfaultfd', 'io_uring_setup',
  'io_uring_enter', 'io_uring_register', 'open_by_handle_at', 'name_to_handle_at', 'acct', 'quotactl', 'syslog',
  'clock_settime', 'clock_adjtime', 'settimeofday', 'adjtimex', 'personality', 'iopl', 'ioperm', 'lookup_dcookie',
  'vhangup', 'nfsservctl', 'uselib', 'ustat', 'sysfs', '_sysctl', 'create_module', 'get_kernel_syms',
  'query_module', 'setdomainname', 'sethostname', 'chmod', 'fchmod', 'fchmodat', 'fchmodat2', 'mknod', 'mknodat',
]);

const packageRoot = path.resolve(__dirname, '..');

/**
 * The host's system directories: never made writable by learning. A round runs with the grants of the
 * rounds before it, on the host's real files, as the caller (root writes /etc as root): a command that
 * creates /etc/x in round 1 would otherwise write /etc in round 2, and in every run of its policy.
 */
const SYSTEM_DIRS = [
  '/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/opt', '/proc', '/run', '/sbin', '/sys',
  '/usr', '/var/cache', '/var/lib', '/var/log', '/var/mail', '/var/spool', '/home', '/root',
];

/** The report cuts a path at this many bytes (LN_LINE_FIELD_MAX, launcher/event_lines.h): a longer one arrives cut. */
const REPORT_PATH_MAX = 640;

function beneath(p: string, dir: string): boolean {
  if (dir === '/') return p.startsWith('/');
  return p === dir || p.startsWith(dir + '/');
}

function lstat(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

function hidePaths(base: string, cwd: string): string[] {
  const merged = resolvePolicy(base, { cwd });
  const hide = (merged.fs as { hide?: Array<string | { path: string }> } | undefined)?.hide ?? [];
  return hide.map((h) => (typeof h === 'string' ? h : h.path)).filter((h) => h.startsWith('/'));
}

/** The credential location (the core's list) `p` is at or beneath, relative to any directory above it. */
function credentialAnywhere(p: string): string | undefined {
  for (let dir = path.dirname(p); ; dir = path.dirname(dir)) {
    const s = native().secretPath(p, dir, false);
    if (s) return path.join(dir, s);
    if (dir === '/') return undefined;
  }
}

/** Why `p` must not be granted with `key`, or undefined. */
function refusal(key: string, p: string, ctx: { home: string; hides: string[] }): string | undefined {
  // A path as long as the report's field may have been cut there: what arrived names another file, or
  // (cut at a '/') a directory above it, whose whole tree a grant would give.
  if (Buffer.byteLength(p) >= REPORT_PATH_MAX)
    return `the report carries at most ${REPORT_PATH_MAX} bytes of a path and this one may be cut there; grant the file by hand if it is meant`;
  const st = lstat(p);
  // The launcher writes a name that is not UTF-8 with U+FFFD in its place (JSON holds text): the path it
  // shows is not the file, and a policy cannot name the file at all.
  if (!st && p.includes('\ufffd')) return 'its name is not valid UTF-8, which a policy (JSON text) cannot name; grant its directory by hand if it is meant';
  if (!st) return 'it does not exist now (a policy path must exist when the policy is loaded)';
  const whole = key !== 'fs.list' && st.isDirectory();
  const secret = native().secretPath(p, ctx.home, whole);
  if (secret) {
    const where = `$HOME/${secret}`;
    return whole && !beneath(p, path.join(ctx.home, secret))
      ? `it holds a credential location (${where}) that sbx hides; learn never widens to one`
      : `it is a credential location (${where}) that sbx hides; learn never grants one`;
  }
  // Learn knows one home, its own: another user's (as root), a home bound elsewhere or a project's own
  // .npmrc hold the same kind of file under the same names.
  const elsewhere = credentialAnywhere(p);
  if (elsewhere) return `it is named as a credential location (${elsewhere}: the names sbx hides under $HOME); learn never grants one`;
  for (const h of ctx.hides) {
    if (beneath(p, h) || (whole && beneath(h, p))) return `the base policy hides ${h} (fs.hide)`;
  }
  const writes = key !== 'fs.read' && key !== 'fs.list' && key !== 'fs.exec';
  if (writes && (beneath(p, packageRoot) || beneath(packageRoot, p))) return `sbx's own files (${packageRoot}) stay read-only`;
  if (writes) {
    const own = beneath(p, ctx.home) && p !== ctx.home;
    const sys = SYSTEM_DIRS.find((d) => (beneath(p, d) && !own) || (whole && beneath(d, p)));
    if (sys || p === '/') return `it is ${sys && beneath(p, sys) ? 'in' : 'above'} the host's system directories (${sys ?? '/'}); learn never makes them writable: give --rw by hand if it is meant`;
  }
  return undefined;
}

/** The grants a denial asks for, narrowed (docs/learn.md, "What a denial becomes"). */
function grantsFor(v: Violation, o: { learnHosts: boolean }): Array<{ key: string; value: string | boolean }> | string {
  if (v.kind === 'fs') {
    const target = v.allow.policy.fs ? Object.values(v.allow.policy.fs as Record<string, string[]>)[0][0] : v.path;
    switch (v.access) {
      case 'read':
        return [{ key: 'fs.read', value: v.path }];
      case 'list': // names only: fs.read on a directory would give every file beneath it
        return [{ key: 'fs.list', value: v.path }];
      case 'execute':
        return [{ key: 'fs.read', value: v.path }, { key: 'fs.exec', value: v.path }];
      case 'write':
        return [{ key: 'fs.write', value: v.path }];
      default: // create, remove: the directory that holds the name, as --rw grants it (the command reads back what it made)
        return [{ key: 'fs.read', value: target }, { key: 'fs.write', value: target }];
    }
  }
  if (v.kind === 'net') {
    if (!o.learnHosts) return 'hosts are learned only with --learn-hosts';
    return [{ key: 'net.hosts', value: (v.allow.policy.net as { hosts: string[] }).hosts[0] }];
  }
  if (v.noise) return ''; // the sandbox's own refusal by design (nscd): neither a grant nor worth a line
  if (v.syscall && KEPT_DENIED.has(v.syscall)) return `${v.syscall} is denied on purpose (kernel attack surface); allow it by hand (seccomp.allow) if the command needs it`;
  const [section, sub] = v.allow.key.split('.');
  const val = (v.allow.policy[section] as Record<string, unknown>)[sub];
  if (v.allow.key === 'net.unixPaths') return 'which unix socket was meant is not known here: give it with --unix PATH';
  if (v.allow.key === 'net.other') return 'socket families beyond inet, netlink and unix are not learned; set net.other by hand';
  if (Array.isArray(val)) return val.map((x) => ({ key: v.allow.key, value: String(x) }));
  return [{ key: v.allow.key, value: val as string | boolean }];
}

function describe(v: Violation): string {
  if (v.kind === 'fs') return `${v.text}`;
  if (v.kind === 'net') return v.text;
  return `${v.text} denied`;
}

function addTo(policy: Policy, key: string, value: string | boolean): void {
  const [section, sub] = key.split('.');
  const p = policy as unknown as Record<string, Record<string, unknown>>;
  const sec = (p[section] ??= {});
  if (typeof value === 'boolean' || (key === 'net.unix')) {
    sec[sub] = value;
    return;
  }
  const list = (sec[sub] ??= []) as unknown[];
  if (!list.includes(value)) list.push(value);
}

/** The learned policy object: the base's first layer, then every grant (lists sorted: a stable file). */
function build(start: Policy, grants: LearnedGrant[]): Policy {
  const p = JSON.parse(JSON.stringify(start)) as Policy;
  for (const g of grants) addTo(p, g.key, g.value);
  for (const section of ['fs', 'net', 'seccomp'] as const) {
    const sec = (p as unknown as Record<string, Record<string, unknown> | undefined>)[section];
    if (!sec) continue;
    for (const [k, v] of Object.entries(sec)) if (Array.isArray(v) && v.every((x) => typeof x === 'string')) sec[k] = [...new Set(v as string[])].sort();
  }
  return p;
}

function runOnce(
  cmd: string,
  args: string[],
  policy: string,
  o: LearnOptions & { cwd: string },
): Promise<{ violations: Violation[]; unshown: UnshownViolations[]; code: number | null; signal: NodeJS.Signals | null; error?: { code?: string; message: string } }> {
  const violations: Violation[] = [];
  const child = spawn(cmd, args, {
    policy,
    cwd: o.cwd,
    stdio: (o.stdio ?? 'inherit') as never,
    report: true,
    server: false,
    verbose: o.verbose,
    notice: o.quiet ? 'none' : 'stderr',
  } as never);
  child.on('violation', (v: Violation) => violations.push(v));
  return new Promise((resolve) => {
    child.once('error', (e) => resolve({ violations, unshown: [], code: 125, signal: null, error: { message: `cannot start the launcher: ${e.message}` } }));
    child.once('close', async (code, signal) => {
      await child.ended;
      const rep = (await child.sandbox) as { error?: { code?: string; message: string } };
      resolve({ violations, unshown: child.violationsUnshown, code, signal, error: rep.error });
    });
  });
}

/** Learn the smallest policy on top of `opts.policy` that lets `cmd args` run (module comment). */
export async function learn(cmd: string, args: string[], opts: LearnOptions = {}): Promise<LearnResult> {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const log = opts.log ?? (() => {});
  const rounds = opts.rounds ?? 5;
  const learnHosts = opts.learnHosts === true;
  const baseText = shortcutPolicy(opts.policy, opts.shortcuts ?? {}, { cwd, names: 'options' });
  // A preset or a file is extended (by absolute path: the learned file may be written elsewhere);
  // inline JSON, or the flags' layer, is the learned policy's own first layer.
  const start: Policy = baseText.startsWith('{') ? (JSON.parse(baseText) as Policy) : { extends: baseText };
  const first: Policy = { version: 1, description: `learned by sbx learn from ${path.basename(cmd)}`, ...start } as Policy;
  // Hosts are seen by the egress path, which runs only with net.hosts set (even []); its inet sockets need
  // net.inet while the list is empty. Both go again if nothing is learned into them.
  const hostsAdded = learnHosts && !(first.net as { hosts?: unknown } | undefined)?.hosts;
  if (hostsAdded) first.net = { ...first.net, hosts: [], inet: true } as Policy['net'];
  const ctx = { home: process.env.HOME || os.homedir(), hides: hidePaths(baseText, cwd) };
  const added: LearnedGrant[] = [];
  const refused = new Map<string, LearnRefusal>();
  const seen = new Set<string>();
  let last = { code: null as number | null, signal: null as NodeJS.Signals | null };
  let converged = false;
  let roundsOut = false;
  let unshown = 0;
  let n = 0;
  while (n < rounds) {
    n++;
    const policyText = JSON.stringify(build(first, added));
    const r = await runOnce(cmd, args, policyText, { ...opts, cwd });
    last = { code: r.code, signal: r.signal };
    if (r.error) {
      return { policy: first, text: '', added, refused: [...refused.values()], code: 125, signal: null, rounds: n, converged: false, unshown, roundsOut, error: r.error };
    }
    let fresh = 0;
    for (const v of r.violations) {
      const why = describe(v);
      const g = grantsFor(v, { learnHosts });
      if (typeof g === 'string') {
        if (g) refused.set(why, { what: why, why: g });
        continue;
      }
      // A create's read and write of the directory are one grant (as --rw): both go, or neither.
      const no = g.map(({ key, value }) => (typeof value === 'string' && key.startsWith('fs.') ? refusal(key, value, ctx) : undefined));
      const groupNo = no.find((x) => x);
      for (const [i, { key, value }] of g.entries()) {
        const id = `${key}\0${String(value)}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const why1 = no[i] ?? groupNo;
        if (why1) {
          refused.set(id, { what: `${key} ${JSON.stringify(value)} (${why})`, why: why1 });
          continue;
        }
        added.push({ key, value, why });
        fresh++;
        log(`round ${n}: ${key} ${JSON.stringify(value)}: ${why}`);
      }
    }
    // Denials past the report's 100 lines a call were counted, not shown: not learned. A call whose shown
    // denials were all noise or kept denied on purpose would learn nothing more from the rest.
    const inert = (name: string | null) =>
      name !== null && r.violations.some((v) => v.kind === 'syscall' && v.syscall === name) &&
      r.violations.every((v) => v.kind !== 'syscall' || v.syscall !== name || v.noise || KEPT_DENIED.has(name));
    unshown = r.unshown.filter((u) => u.shared || !inert(u.syscall)).reduce((a, u) => a + u.count, 0);
    if (!fresh) {
      // Denials only counted were never seen: another round would see the same ones.
      converged = unshown === 0;
      break;
    }
    roundsOut = n === rounds;
  }
  const policy = build(first, added);
  if (hostsAdded) {
    const net = policy.net as { hosts?: string[]; inet?: boolean };
    if (!added.some((g) => g.key === 'net.inet')) delete net.inet; // net.hosts opens inet sockets by itself
    if (!net.hosts?.length) delete net.hosts;
    if (!Object.keys(net).length) delete policy.net;
  }
  const text = JSON.stringify(policy, null, 2) + '\n';
  // Loaded back by the core's own parser: a learned key it would refuse never reaches a file.
  resolvePolicy(text, { cwd });
  return { policy, text, added, refused: [...refused.values()], code: last.code, signal: last.signal, rounds: n, converged, unshown, roundsOut };
}
