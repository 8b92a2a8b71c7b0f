/**
 * TypeScript types mirroring the policy document v1 (docs/policy.md). They
 * give editors completion and catch typos at compile time; the C core is
 * still the only validator (unknown keys, ranges, paths), so a policy built
 * from untyped JSON gets exactly the same checks.
 */

export type Action =
  | 'allow'
  | 'kill'
  | 'kill-process'
  | 'kill-thread'
  | 'trap'
  | 'log'
  | 'notify'
  | `errno:${string}`;

export type Compat = 'enforce' | 'best-effort';

export type PolicyPath = string | { path: string; optional?: boolean };

export interface FsSection {
  read?: PolicyPath[];
  write?: PolicyPath[];
  exec?: PolicyPath[];
  writeFile?: PolicyPath[];
  create?: PolicyPath[];
  makeDir?: PolicyPath[];
  remove?: PolicyPath[];
  truncate?: PolicyPath[];
  ioctlDev?: PolicyPath[];
  refer?: PolicyPath[];
  list?: PolicyPath[];
  compat?: Compat;
  /** Kept read-only even beneath a writable path; relative entries beneath every writable root (docs/policy.md). */
  protect?: PolicyPath[];
  /** Shown empty (neither read nor listed) even beneath a readable path. */
  hide?: PolicyPath[];
}

export interface NetSection {
  inet?: boolean;
  netlink?: boolean;
  other?: boolean;
  unix?: 'none' | 'socketpair' | 'all';
  /**
   * The unix sockets the program may connect (or send datagrams) to, besides
   * its own: when present (even `[]`), AF_UNIX sockets may be created and every
   * other pathname socket is refused (EACCES). Spawn door only; the preload and
   * self doors refuse it unless best-effort. docs/policy.md, "net.unixPaths".
   */
  unixPaths?: PolicyPath[];
  /**
   * Egress by name: the hosts the program may reach, as `HOST[:PORT]` patterns
   * (`registry.npmjs.org`, `*.example.com`, `192.0.2.7:22`, `10.0.0.0/8:*`; no
   * port means 80 and 443). The sandbox keeps its own network and its TCP leaves
   * only through the spawn door's egress path; internet sockets are allowed
   * whatever `inet` says. Spawn door only (the preload and self doors refuse it).
   * docs/network.md, "Egress by name".
   */
  hosts?: string[];
  connect?: number[];
  bind?: number[];
  compat?: Compat;
}

export interface ScopeSection {
  abstractUnix?: boolean;
  signals?: boolean;
  compat?: Compat;
}

export interface SeccompRule {
  syscall: string | string[];
  when?: string;
  action: Action;
  arch?: Array<'x86_64' | 'aarch64'>;
  comment?: string;
}

export interface SeccompSection {
  default?: Action;
  allow?: string[];
  deny?: string[];
  denyAction?: Action;
  rules?: SeccompRule[];
  import?: string;
  foreignArch?: Action;
  compat?: Compat;
}

type Size = number | string;
type Duration = number | string;

export interface RlimitsSection {
  as?: Size; core?: Size; cpu?: Duration; data?: Size; fsize?: Size; locks?: number | 'unlimited';
  memlock?: Size; msgqueue?: Size; nice?: number; nofile?: number | 'unlimited'; nproc?: number | 'unlimited';
  rss?: Size; rtprio?: number; rttime?: Duration; sigpending?: number | 'unlimited'; stack?: Size;
}

export interface NamespacesSection {
  user?: boolean; pid?: boolean; net?: boolean; mount?: boolean; ipc?: boolean; uts?: boolean;
  cgroup?: boolean; time?: boolean; uid?: number; gid?: number; compat?: Compat;
}

export interface Mount {
  type: 'bind' | 'tmpfs' | 'proc' | 'dev' | 'overlay';
  target: string;
  source?: string;
  writable?: boolean;
  size?: Size;
  optional?: boolean;
  upper?: string;
}

export interface Policy {
  version?: 1;
  extends?: string | string[];
  compat?: Compat;
  description?: string;
  fs?: FsSection;
  net?: NetSection;
  scope?: ScopeSection;
  seccomp?: SeccompSection;
  capabilities?: { keep?: string[] };
  rlimits?: RlimitsSection;
  namespaces?: NamespacesSection;
  root?: string;
  mounts?: Mount[];
  env?: { clear?: boolean; keep?: string[]; set?: Record<string, string> };
  /**
   * Spawn door. `memory`: a size, a share of the host's memory (`'50%'`: a cgroup only, never
   * RLIMIT_AS) or `'unlimited'` (lifts a preset's limit); `pids`: a number or `'unlimited'`.
   * The `workspace` and `default` presets set `{ pids: 4096, memory: '50%', compat: 'best-effort' }`.
   */
  limits?: { memory?: Size | `${number}%` | 'unlimited'; pids?: number | 'unlimited'; cpu?: number | string; wallTime?: Duration; cpuTime?: Duration; compat?: Compat };
  session?: 'new' | 'inherit';
  dieWithParent?: boolean;
  hostname?: string;
  cwd?: string;
  /** Spawn door: allow a working directory of /, $HOME or a parent of $HOME. */
  allowBroadCwd?: boolean;
  /** Spawn door: follow symbolic links anywhere on the way to the working directory and bound paths. */
  followSymlinks?: boolean;
  /**
   * Spawn door: the private home. `'hidden'` (unset): nothing of it is granted; `'private'`: writable
   * (caches, settings); `'toolchains'` (the `default` preset): writable, and the toolchains under the
   * host's `$HOME` (its `$PATH` entries there, pyenv, nvm, volta, rustup/cargo, ...) read-only and
   * executable, `~/.gitconfig` readable, credentials hidden. Other doors skip it.
   */
  home?: 'hidden' | 'private' | 'toolchains';
  /** Spawn door: from a subdirectory of a git repository, its top level readable and its git directory writable (hooks and config read-only). */
  git?: boolean;
  report?: boolean;
  preload?: { keepEnv?: boolean };
}

/** A preset name, a file path, inline JSON text, or a policy object. */
export type PolicyInput = string | Policy;

export type SourceKind = 'empty' | 'inline' | 'file' | 'preset';

/**
 * What a policy string is, by the core's rule (src-native/policy/policy_kind.c, the one
 * place that decides; test/launcher-wire.test.ts checks both agree): after blanks
 * (space, tab, newline, return), nothing is `empty` (the `default` preset), `{` is inline
 * JSON, a name with a `/` or ending in `.json` (more than that) is a file, else a preset.
 * `name` is the text after the blanks (for a file, the path as written).
 */
export function sourceKind(text: string): { kind: SourceKind; name: string } {
  let i = 0;
  while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  let name = text.slice(i);
  if (name === '' || name[0] === '\0') return { kind: 'empty', name: '' };
  if (name[0] === '{') return { kind: 'inline', name };
  const nul = name.indexOf('\0');
  if (nul >= 0) name = name.slice(0, nul);
  // bytes, as C counts them: ".json" needs a name before it
  const file = name.includes('/') || (Buffer.byteLength(name) > 5 && name.endsWith('.json'));
  return { kind: file ? 'file' : 'preset', name };
}

/** The text handed to the core: strings go as they are (the core tells presets, paths and JSON apart). */
export function policySource(policy: PolicyInput): string {
  if (typeof policy === 'string') return policy;
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) {
    throw new TypeError('policy must be a preset name, a file path, JSON text or a policy object');
  }
  return JSON.stringify(policy);
}
