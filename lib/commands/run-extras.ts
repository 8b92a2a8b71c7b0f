/**
 * `sbx run` flags for copy-on-write (`--cow`, `--cow=apply|keep`), violation
 * reports (`--report`) and `--explain` (the plan, nothing run). Kept apart
 * from run.ts so that the command itself stays a list of flags.
 */
import { spawn as cpSpawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { explain, resolvePolicy } from '../compile';
import { artifactPaths } from '../native';
import type { SandboxedChildProcess } from '../spawn';
import { type CowMode, type CowResult, type Violation, extendPolicyText, formatChanges, formatLastViolation, formatUnshown, formatViolation } from '../spawn-result';
import { UsageError } from './command';

export const RUN_EXTRAS_HELP = [
  '  --cow[=MODE]        copy-on-write working directory: the command changes an overlay,',
  '                      the changes are listed on stderr afterwards; MODE: discard',
  '                      (default), apply (copy them onto the host), keep (leave them in',
  '                      a directory, printed)',
  '  --report            report denials on stderr, one line each with what would allow',
  '                      it: files (read, write, create, remove, execute), system',
  '                      calls and connections (sbx: denied ...; allow it with ...)',
  '  --explain           print the plan (namespaces, mounts, environment, Landlock,',
  '                      seccomp) and the merged policy; run nothing',
];

/** `--cow` is a switch with an optional `=MODE`: taken out before the strict parser sees it. */
/** 3159519744 -> "2.9 GiB" (what a person reads in --explain). */
function bytesText(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u ? v.toFixed(1).replace(/\.0$/, '') : v} ${units[u]}`;
}

export function takeCowFlag(args: string[]): { args: string[]; cow?: CowMode } {
  const out: string[] = [];
  let cow: CowMode | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (a === '--cow' || a.startsWith('--cow=')) {
      const mode = a === '--cow' ? 'discard' : a.slice(6);
      if (mode !== 'discard' && mode !== 'apply' && mode !== 'keep') {
        throw new UsageError(`run: --cow takes discard, apply or keep, not '${mode}'`);
      }
      cow = mode;
      continue;
    }
    out.push(a);
  }
  return { args: out, cow };
}

/** Violations on stderr as they happen, in the preload door's words. */
export function printViolations(child: SandboxedChildProcess): void {
  const shown = new Map<string, number>();
  let noise = 0;
  child.on('violation', (v: Violation) => {
    if (v.kind !== 'syscall') {
      process.stderr.write(formatViolation(v) + '\n');
      return;
    }
    // Denials the sandbox causes by design (nscd lookups): the first says so, the rest are folded.
    if (v.noise && noise++) return;
    const key = `${v.nr}/${v.syscall}`;
    shown.set(key, (shown.get(key) ?? 0) + 1);
    process.stderr.write(formatViolation(v) + '\n');
    if (v.last) process.stderr.write(formatLastViolation(v, shown.get(key)!) + '\n');
  });
}

/** After the command: how many denials of each call were only counted. */
export async function printUnshown(child: SandboxedChildProcess): Promise<void> {
  await child.ended;
  for (const u of child.violationsUnshown) process.stderr.write(formatUnshown(u) + '\n');
}

/** After the command: the change list (and where they are kept, or that they were applied). */
export async function printChanges(child: SandboxedChildProcess): Promise<CowResult | undefined> {
  const r = await child.cow;
  if (r) process.stderr.write(formatChanges(r));
  return r ?? undefined;
}

interface PlanMount {
  type: string;
  target: string;
  source: string | null;
  writable: boolean;
  optional: boolean;
  default: boolean;
  size: number;
  upper: string | null;
}
interface Plan {
  namespaces: string[];
  namespacesCompat: string;
  uid: number;
  gid: number;
  root: string;
  rootDir: string | null;
  mounts: PlanMount[];
  protect: Array<{ path: string; host: string; hide: boolean; optional: boolean; implicit: boolean; pointer: string | null }>;
  grants?: Array<{ path: string; read: boolean; write: boolean; exec: boolean; why: string }>;
  allowBroadCwd: boolean;
  followSymlinks: boolean;
  env: { clear: boolean; keep: string[]; set: Record<string, string> };
  hostname: string;
  cwd: string;
  newSession: boolean;
  dieWithParent: boolean;
  limitsAsked: boolean;
  /** Each limit the launcher will ask for (a memory share already in bytes). */
  limits?: Partial<Record<'memory' | 'pids' | 'cpuMilli' | 'wallMs' | 'cpuTimeMs', { value: number; bestEffort: boolean; cgroupOnly?: boolean }>>;
  report: boolean;
  /** With report: the calls the supervisor judges for file denials, and what it cannot see. */
  reportFs?: { calls: string[]; unseen: string };
}

function limitsText(plan: Plan): string {
  const l = plan.limits ?? {};
  const parts: string[] = [];
  const be = (x: { bestEffort: boolean }) => (x.bestEffort ? ', best-effort' : '');
  if (l.memory) parts.push(`memory ${bytesText(l.memory.value)}${l.memory.cgroupOnly ? ' (a cgroup only)' : ''}${be(l.memory)}`);
  if (l.pids) parts.push(`pids ${l.pids.value}${be(l.pids)}`);
  if (l.cpuMilli) parts.push(`cpu ${l.cpuMilli.value / 1000}${be(l.cpuMilli)}`);
  if (l.wallMs) parts.push(`wall time ${l.wallMs.value} ms${be(l.wallMs)}`);
  if (l.cpuTimeMs) parts.push(`CPU time ${l.cpuTimeMs.value} ms${be(l.cpuTimeMs)}`);
  return parts.length ? parts.join('; ') : plan.limitsAsked ? 'asked (see the policy below)' : 'none';
}

/** The launcher's own plan for this policy here (`sbx-launcher --explain`): nothing is set up. */
function launcherPlan(text: string): Promise<Plan> {
  return new Promise((resolve, reject) => {
    const child = cpSpawn(artifactPaths().launcher, ['--policy-fd', '3', '--keep-fds', '3', '--explain', '--', 'true'], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    const chan = child.stdio[3] as NodeJS.WritableStream & { on: (e: string, f: () => void) => void };
    chan.on('error', () => {});
    chan.end(text);
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(err.trim() || `sbx-launcher --explain: exit ${code}`));
      else resolve(JSON.parse(out) as Plan);
    });
  });
}

function formatPlan(plan: Plan, cmd: string[]): string {
  const id = (v: number) => (v < 0 ? 'the caller\'s own' : String(v));
  const lines = [
    `sbx run plan${cmd.length ? ` for: ${cmd.join(' ')}` : ''}`,
    `  namespaces: ${plan.namespaces.join(' ') || 'none'} (${plan.namespacesCompat}: ${plan.namespacesCompat === 'best-effort' ? 'those the host refuses are skipped and reported' : 'fail if the host refuses one'})`,
    `  uid/gid inside: ${id(plan.uid)} / ${id(plan.gid)}`,
    `  root: ${plan.root}${plan.rootDir ? ` (${plan.rootDir})` : ''}`,
  ];
  if (plan.mounts.length) {
    lines.push('  mounts, in this order:');
    for (const m of plan.mounts) {
      const from = m.source && m.source !== m.target ? ` <- ${m.source}` : m.source ? ' (host)' : '';
      const bits = [m.writable ? 'writable' : m.type === 'bind' ? 'read-only' : '', m.optional ? 'if present' : '', m.size ? `size ${bytesText(m.size)}` : '', m.upper ? `changes kept in ${m.upper}` : m.type === 'overlay' ? 'changes on a tmpfs, lost' : '', m.default ? 'default' : 'policy'].filter(Boolean);
      lines.push(`    ${m.type.padEnd(8)} ${m.target}${from}  [${bits.join(', ')}]`);
    }
  } else {
    lines.push('  mounts: none (no mount namespace)');
  }
  if (plan.protect.length) {
    lines.push('  then, over the mounts (fs.protect: read-only, fs.hide: shown empty):');
    for (const e of plan.protect) {
      const bits = [e.hide ? 'hidden' : 'read-only', e.optional ? 'if present' : e.hide ? '' : 'an empty directory if missing', e.implicit ? "sbx's own" : e.pointer ?? ''].filter(Boolean);
      lines.push(`    ${e.path}${e.host !== e.path ? ` <- ${e.host}` : ''}  [${bits.join(', ')}]`);
    }
  }
  if (plan.grants?.length) {
    lines.push('  Landlock grants the view adds (policy keys home and git):');
    for (const g of plan.grants) {
      const rights = [g.read && 'read', g.write && 'write', g.exec && 'exec'].filter(Boolean).join(', ');
      lines.push(`    ${g.path}  [${rights}; ${g.why}]`);
    }
  }
  lines.push(
    `  working directory / or home (or a parent of it): ${plan.allowBroadCwd ? 'allowed (allowBroadCwd)' : 'refused'}   symbolic links outside / and the home's parents: ${plan.followSymlinks ? 'followed (followSymlinks)' : 'refused'}`,
  );
  const set = Object.entries(plan.env.set).map(([k, v]) => `${k}=${v}`);
  lines.push(
    `  environment: ${plan.env.clear ? 'cleared' : 'inherited'}${plan.env.keep.length ? `; kept: ${plan.env.keep.join(' ')}` : ''}${set.length ? `; set: ${set.join(' ')}` : ''}`,
    `  hostname: ${plan.hostname}   working directory: ${plan.cwd}`,
    `  session: ${plan.newSession ? 'new (setsid)' : 'inherited'}   killed with the caller: ${plan.dieWithParent ? 'yes' : 'no'}`,
    `  limits: ${limitsText(plan)}   denied calls reported: ${plan.report ? 'yes' : 'no'}`,
  );
  if (plan.reportFs) {
    lines.push(`  file denials reported from: ${plan.reportFs.calls.join(' ')}`, `  file denials not seen: ${plan.reportFs.unseen}`);
  }
  return lines.join('\n') + '\n';
}

/** `sbx run --explain`: the launcher's plan, the Landlock/seccomp summary and the merged policy. */
export async function explainRun(policy: string, opts: { cow?: CowMode; report?: boolean }, cmd: string[], cwd = process.cwd()): Promise<number> {
  const target = path.resolve(cwd);
  const mounts = opts.cow ? [{ type: 'overlay', source: target, target, upper: path.join(os.tmpdir(), 'sbx-cow-XXXXXX', 'upper') }] : [];
  const text = extendPolicyText(policy, { report: opts.report, mounts });
  const plan = await launcherPlan(text);
  const out = [formatPlan(plan, cmd), explain(text).trimEnd(), '', 'merged policy:', JSON.stringify(resolvePolicy(text), null, 2), ''];
  process.stdout.write(out.join('\n'));
  return 0;
}
