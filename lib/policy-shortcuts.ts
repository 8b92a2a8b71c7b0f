/**
 * The CLI's shortcuts (`sbx run --ro/--rw/--exec/--net/--unix/--allow-host/--env/--memory/--pids/--timeout`)
 * and the spawn API's options of the same meaning (`ro`, `rw`, `exec`, `net`, `unix`, `hosts`, `setEnv`,
 * `limits`), turned into one policy layer on top of the given policy. One implementation: `sbx run`
 * (commands/run.ts) and `spawn()`/`run()` (spawn.ts) both call `shortcutPolicy`, so an option means
 * exactly what its flag means. An error names the option the caller used (`--ro x` or `ro[0]`).
 */
import { lstatSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Policy, sourceKind } from './policy';

/** The shortcuts, as the API takes them (the CLI's flags parse into the same object). */
export interface PolicyShortcuts {
  /** Bound read-only into the sandbox; reading and executing allowed (`--ro`; fs.read + fs.exec + a bind). */
  ro?: readonly string[];
  /** Bound writable; reading and writing allowed, not executing (`--rw`; fs.read + fs.write + a bind). */
  rw?: readonly string[];
  /** Files beneath may be executed (and read): what a build wrote in a `rw` directory (`--exec`; fs.read + fs.exec, no bind). */
  exec?: readonly string[];
  /** 'none': the sandbox's own network, loopback only; 'host': the host's network (inet and netlink sockets). */
  net?: 'none' | 'host';
  /** Unix sockets outside the sandbox it may connect to (`--unix`; net.unixPaths): every other one is refused. */
  unix?: readonly string[];
  /** Hosts it may reach through the egress path (`--allow-host`; net.hosts): `registry.npmjs.org`, `*.example.com:*`. */
  hosts?: readonly string[];
  /** Variables set in the sandbox whatever the policy's env filter says (`--env NAME=VALUE`; env.set). */
  setEnv?: Readonly<Record<string, string>>;
  /** Limits of the whole sandbox: memory (`512M`, bytes), processes, and wall-clock time (`30s`, seconds as a number). */
  limits?: { memory?: number | string; pids?: number; timeout?: number | string };
}

/** A shortcut that cannot be applied: `option` is how the caller named it (`--ro` or `ro`). */
export class ShortcutError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
    this.name = 'ShortcutError';
  }
}

/** How errors name the shortcuts: the CLI's flags or the API's option keys. */
export type ShortcutNames = 'flags' | 'options';

const FLAG: Record<string, string> = {
  ro: '--ro', rw: '--rw', exec: '--exec', net: '--net', unix: '--unix', hosts: '--allow-host', setEnv: '--env',
  memory: '--memory', pids: '--pids', timeout: '--timeout',
};

function lstatOk(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** True when no shortcut is given (the policy stays as it is). */
export function noShortcuts(s: PolicyShortcuts): boolean {
  return (
    !s.ro?.length &&
    !s.rw?.length &&
    !s.exec?.length &&
    s.net === undefined &&
    !s.unix?.length &&
    !s.hosts?.length &&
    !Object.keys(s.setEnv ?? {}).length &&
    s.limits?.memory === undefined &&
    s.limits?.pids === undefined &&
    s.limits?.timeout === undefined
  );
}

/**
 * The policy text for `base` (preset name, file path, inline JSON; undefined: `default`) with the shortcuts
 * on top. Relative paths (and `~/`) are resolved against `cwd`. Returns the base as it is (a file path made
 * absolute) when no shortcut is given.
 */
export function shortcutPolicy(base: string | undefined, s: PolicyShortcuts, opts: { cwd: string; names: ShortcutNames }): string {
  const name = (key: string, i?: number) => {
    if (opts.names === 'flags') return FLAG[key];
    const k = key === 'memory' || key === 'pids' || key === 'timeout' ? `limits.${key}` : key;
    return i === undefined ? k : `${k}[${i}]`;
  };
  const fail = (key: string, msg: string, i?: number): never => {
    throw new ShortcutError(name(key, i), msg);
  };
  const src = base ?? 'default';
  const { kind, name: fileName } = sourceKind(src);
  const ref = kind === 'file' ? path.resolve(opts.cwd, fileName) : src;
  if (noShortcuts(s)) return ref;
  // An inline base is the starting object; a preset or file is extended.
  const p: Policy = kind === 'inline' ? (JSON.parse(src) as Policy) : { extends: ref };
  const abs = (x: string) => path.resolve(opts.cwd, x.replace(/^~(?=$|\/)/, os.homedir()));
  const strings = (key: string, v: unknown): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) return fail(key, `${name(key)} must be an array of paths or patterns`);
    v.forEach((x, i) => {
      if (typeof x !== 'string' || x === '' || x.includes('\0')) fail(key, `${name(key, i)} must be a non-empty string without NUL`, i);
    });
    return v as string[];
  };
  for (const key of ['ro', 'rw', 'exec'] as const) {
    strings(key, s[key]).forEach((x, i) => {
      const a = abs(x);
      // Said in the shortcut's terms: the core's message would name a policy
      // pointer (/fs/read/0) the caller never wrote. (The launcher still
      // resolves the path itself, once, when it binds it.)
      if (!lstatOk(a)) {
        const hint = key === 'rw' ? ` (mkdir -p ${JSON.stringify(x)})` : '';
        fail(key, `${name(key, i)} ${x}: ${a} does not exist; create it first${hint}, or leave ${opts.names === 'flags' ? 'the flag' : 'it'} out`, i);
      }
      if (key !== 'exec') (p.mounts ??= []).push({ type: 'bind', source: a, target: a, writable: key === 'rw' });
      const fs = (p.fs ??= {});
      (fs.read ??= []).push(a);
      // ro also allows executing, as bubblewrap's --ro-bind does: a read-only
      // bind holds nothing this sandbox wrote, and a toolchain bound that way
      // (--ro ~/.cargo) must run. rw does not: whether what the sandbox
      // writes may run is the policy's (workspace: only in $CWD; strict:
      // never), or the caller's, with exec.
      if (key === 'rw') (fs.write ??= []).push(a);
      else (fs.exec ??= []).push(a);
    });
  }
  // The host's network does not open the host's unix daemons (docker.sock,
  // D-Bus, ssh-agent): unix sockets may be made and connected to the
  // sandbox's own and to those of `unix` (net.unixPaths), nothing else.
  if (s.net === 'host') {
    p.namespaces = { ...p.namespaces, net: false };
    p.net = { ...p.net, inet: true, netlink: true, unixPaths: [...(p.net?.unixPaths ?? [])] };
  } else if (s.net === 'none') {
    p.namespaces = { ...p.namespaces, net: true };
  } else if (s.net !== undefined) {
    fail('net', `${name('net')} must be none or host, not '${String(s.net)}'`);
  }
  const unix = strings('unix', s.unix);
  if (unix.length) p.net = { ...p.net, unixPaths: [...(p.net?.unixPaths ?? []), ...unix.map(abs)] };
  // Egress by name (net.hosts, docs/network.md): the sandbox keeps its own
  // network; the launcher's egress path reaches these hosts and no other.
  const hosts = strings('hosts', s.hosts);
  if (hosts.length) {
    if (s.net === 'host') fail('hosts', `${name('hosts')} limits the network to some hosts; ${name('net')} host opens all of it: drop one`);
    p.net = { ...p.net, hosts: [...(p.net?.hosts ?? []), ...hosts] };
  }
  if (s.setEnv !== undefined) {
    if (typeof s.setEnv !== 'object' || s.setEnv === null || Array.isArray(s.setEnv)) fail('setEnv', `${name('setEnv')} must be an object of NAME: VALUE`);
    for (const [k, v] of Object.entries(s.setEnv)) {
      if (!/^[^=\0]+$/.test(k) || typeof v !== 'string' || v.includes('\0')) fail('setEnv', `${name('setEnv')} expects NAME=VALUE (a name without '=', a string value), not '${k}'`);
      ((p.env ??= {}).set ??= {})[k] = v;
    }
  }
  // ---- limits (launcher/limits.c): the core checks the values ----
  const lim = s.limits ?? {};
  const numOrText = (v: number | string) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);
  if (lim.memory !== undefined) (p.limits ??= {}).memory = numOrText(lim.memory) as never;
  if (lim.pids !== undefined) {
    const n = typeof lim.pids === 'string' && /^\d+$/.test(lim.pids) ? Number(lim.pids) : lim.pids;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) fail('pids', `${name('pids')} expects a number, not '${String(lim.pids)}'`);
    (p.limits ??= {}).pids = n;
  }
  // A bare number is seconds, as for GNU timeout.
  if (lim.timeout !== undefined) (p.limits ??= {}).wallTime = numOrText(lim.timeout) as never;
  return JSON.stringify(p);
}
