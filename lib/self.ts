/**
 * The self door: confine the running Node process, every thread of it
 * (main, libuv pool, V8 platform workers, worker_threads), irreversibly.
 * The core prepares and applies (src-native/self.c); this file passes the
 * policy down and types the report.
 */
import { fromNative } from './errors';
import { native } from './native';
import { type PolicyInput, policySource } from './policy';

export interface LockdownOptions {
  /** Value of $CWD in the policy; default: process.cwd(). */
  cwd?: string;
}

export interface LandlockReport {
  /** The Landlock ABI the ruleset was built for. */
  abi: number;
  /** Filesystem rights the ruleset handles: denied wherever no rule grants them. */
  handledFs: string[];
  /** Network rights handled (bind_tcp, connect_tcp). */
  handledNet: string[];
  fs: Array<{ path: string; access: string[] }>;
  net: Array<{ port: number; access: string[] }>;
  /** abstract_unix_socket, signal. */
  scopes: string[];
}

export interface SeccompReport {
  instructions: number;
  tsync: boolean;
  listener: boolean;
  notifyDenials: boolean;
  /** Spawn door with `net.unixPaths`: the unix-socket calls go to the launcher's supervisor. */
  unixSupervisor: boolean;
}

/** What is enforced now, one key per layer that applied. */
export interface LockdownEnforced {
  rlimits?: Record<string, number | string>;
  capabilities?: { keep: string[]; keepAcrossExec: boolean };
  noNewPrivs?: boolean;
  landlock?: LandlockReport;
  seccomp?: SeccompReport;
}

export interface LockdownReport {
  door: 'self';
  state: string;
  enforced: LockdownEnforced;
  /** Asked for and not enforced (best-effort drops, optional paths that are missing), one line each. */
  skipped: string[];
  /** Everything else worth knowing (how the threads were confined, sections left alone). */
  notes: string[];
}

function nativeOpts(opts: LockdownOptions) {
  // Paths are checked once, when prepare opens them for Landlock (same
  // code, pointer and message as the load's check would give).
  return { cwd: opts.cwd ?? process.cwd(), noPathCheck: true };
}

/**
 * Confine this process and every thread in it with `policy` (a preset name
 * such as 'node-service', a path, JSON text or a policy object). Synchronous
 * and irreversible; a later call can only narrow further.
 *
 * Throws SbxError (code, pointer, message) for anything wrong with the
 * policy or the kernel, before anything is applied: the process is then
 * unchanged. Once threads have started to change, a failure cannot be
 * undone, and the process exits with status 126 instead of running half
 * confined (docs/security-model.md, "Self door").
 */
export function lockdown(policy: PolicyInput, opts: LockdownOptions = {}): LockdownReport {
  return prepareLockdown(policy, opts).apply();
}

/** A policy prepared for the self door: checked and built, applied by `apply()`. */
export interface PreparedLockdown {
  /** Confines this process; returns what is now enforced. */
  apply(): LockdownReport;
}

/**
 * Everything `lockdown()` does before changing the process (parse, compile,
 * open paths, build the Landlock ruleset); `apply()` then confines. Lets a
 * service fail early at start-up and lock down later; also measures the two
 * halves separately (bench/self.bench.js).
 */
export function prepareLockdown(policy: PolicyInput, opts: LockdownOptions = {}): PreparedLockdown {
  const addon = native();
  let handle: unknown;
  let expected: LockdownReport;
  try {
    handle = addon.prepareSelf(policySource(policy), nativeOpts(opts));
    // What will be enforced, read now: apply() then only adds what it
    // learnt while applying, and the process spends less time half done.
    expected = JSON.parse(addon.reportPrepared(handle)) as LockdownReport;
  } catch (e) {
    throw fromNative(e);
  }
  let used = false;
  return {
    apply(): LockdownReport {
      if (used) throw new TypeError('this prepared lockdown was already applied');
      used = true;
      let added: Pick<LockdownReport, 'state' | 'skipped' | 'notes'>;
      try {
        added = JSON.parse(addon.lockdownPrepared(handle));
      } catch (e) {
        throw fromNative(e);
      }
      return {
        ...expected,
        state: added.state,
        skipped: added.skipped.length ? [...expected.skipped, ...added.skipped] : expected.skipped,
        notes: [...expected.notes, ...added.notes],
      };
    },
  };
}
