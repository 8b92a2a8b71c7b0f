/**
 * Compile and inspect policies. The core does all of it (parse, merge,
 * resolve, compile); these functions pass the policy text down and type
 * what comes back.
 */
import { callNative } from './errors';
import { native } from './native';
import { type Policy, type PolicyInput, policySource } from './policy';
import { lockdown, type LockdownReport } from './self';

export type Arch = 'x86_64' | 'aarch64';

export interface CompileOptions {
  /** Architecture to compile for; default: this machine's. */
  arch?: Arch;
  /** Value of $CWD in the policy; default: process.cwd(). */
  cwd?: string;
  /** Do not require that non-optional paths exist (compiling for another machine). */
  noPathCheck?: boolean;
}

export interface CompiledPolicy {
  arch: Arch;
  /** The seccomp program: struct sock_filter[] as bytes (8 per instruction). Empty when the policy asks for no filter. */
  bpf: Buffer;
  /** One instruction per line, with syscall names. */
  disassembly: string;
  /** What was skipped and why (syscalls absent on this arch, imported rules, optional paths). */
  notes: string[];
  instructions: number;
  /**
   * Lock down this process with the same policy and `cwd` (the self door).
   * The policy is prepared again at this call for the running kernel and
   * the self door (paths opened, Landlock ruleset built); the BPF above is
   * what it installs. Not enumerable, so printing the object shows data only.
   */
  self(): LockdownReport;
}

interface NativeCompiled extends Omit<CompiledPolicy, 'arch' | 'self'> {
  arch: string;
}

function nativeOpts(opts: CompileOptions) {
  return { cwd: opts.cwd ?? process.cwd(), noPathCheck: opts.noPathCheck === true };
}

/** Compile a policy's seccomp filter (nothing is applied). */
export function compile(policy: PolicyInput, opts: CompileOptions = {}): CompiledPolicy {
  const source = policySource(policy);
  const r = callNative(() => native().compile(source, opts.arch, nativeOpts(opts)) as NativeCompiled);
  const out = { ...r, arch: r.arch as Arch } as CompiledPolicy;
  const cwd = nativeOpts(opts).cwd;
  Object.defineProperty(out, 'self', { enumerable: false, value: () => lockdown(source, { cwd }) });
  return out;
}

/** What the policy allows and denies, in plain words. */
export function explain(policy: PolicyInput, opts: CompileOptions = {}): string {
  return callNative(() => native().explain(policySource(policy), nativeOpts(opts)));
}

/** The fully merged policy (extends resolved, paths expanded), as the core sees it. */
export function resolvePolicy(policy: PolicyInput, opts: CompileOptions = {}): Policy {
  return JSON.parse(callNative(() => native().policyJson(policySource(policy), nativeOpts(opts)))) as Policy;
}

/** Names of the built-in presets. */
export function presets(): string[] {
  return native().presets();
}
