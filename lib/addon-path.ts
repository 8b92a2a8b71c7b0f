/**
 * Where the addon is, by node-gyp-build's rules (4.8: `require('node-gyp-build').path(dir)`),
 * without loading node-gyp-build: requiring it and reading its environment cost
 * more than a millisecond of the first `lockdown()` in a fresh process, for a
 * lookup that is one directory listing in the usual case. Same order, same
 * answer, same error (test/addon-path.test.ts runs both over the same trees):
 *
 *   1. `<NAME>_PREBUILD` (the package name in upper case, `-` as `_`) replaces the directory;
 *   2. unless PREBUILDS_ONLY is set: the first `*.node` in `build/Release`, then in `build/Debug`;
 *   3. `prebuilds/<platform>-<arch>[+<arch>...]/` of the directory, then of the directory
 *      holding the Node executable: the file whose tags (`<name>.napi.glibc.node`, `node.abi115.node`,
 *      ...) fit this runtime, the most specific first (scripts/prebuild.js writes `sbx.glibc.node`).
 *
 * What node-gyp-build reads once at its load (the environment, /etc/alpine-release) is read here
 * when a prebuild is looked for, which the usual build/Release case never needs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Runtime {
  runtime: string;
  abi: string;
  arch: string;
  platform: string;
  libc: string;
  armv: string;
  uv: string;
}

interface Tags {
  file: string;
  specificity: number;
  runtime?: string;
  napi?: boolean;
  abi?: string;
  uv?: string;
  armv?: string;
  libc?: string;
}

interface Tuple {
  name: string;
  platform: string;
  architectures: string[];
}

declare const __webpack_require__: unknown;

function readdir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

// No regular expressions on the way to the usual answer: V8 compiles each
// on its first use, 0.1-0.5 ms in a fresh process.
function first(dir: string): string | undefined {
  const file = readdir(dir).find((name) => name.endsWith('.node'));
  return file && path.join(dir, file);
}

function isElectron(): boolean {
  if (process.versions?.electron) return true;
  if (process.env.ELECTRON_RUN_AS_NODE) return true;
  const w = (globalThis as { window?: { process?: { type?: string } } }).window;
  return typeof w !== 'undefined' && w.process?.type === 'renderer';
}

function runtimeFacts(): Runtime {
  const vars = ((process.config as { variables?: { arm_version?: string } } | undefined)?.variables ?? {}) as {
    arm_version?: string;
  };
  const arch = process.env.npm_config_arch || os.arch();
  const platform = process.env.npm_config_platform || os.platform();
  return {
    runtime: isElectron() ? 'electron' : process.versions?.nw ? 'node-webkit' : 'node',
    abi: process.versions.modules,
    arch,
    platform,
    libc: process.env.LIBC || (platform === 'linux' && fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc'),
    armv: process.env.ARM_VERSION || (arch === 'arm64' ? '8' : vars.arm_version) || '',
    uv: (process.versions.uv || '').split('.')[0],
  };
}

function parseTuple(name: string): Tuple | undefined {
  const arr = name.split('-');
  if (arr.length !== 2) return undefined;
  const [platform, archs] = arr;
  const architectures = archs.split('+');
  if (!platform || !architectures.length || !architectures.every(Boolean)) return undefined;
  return { name, platform, architectures };
}

function parseTags(file: string): Tags | undefined {
  const arr = file.split('.');
  if (arr.pop() !== 'node') return undefined;
  const tags: Tags = { file, specificity: 0 };
  for (const tag of arr) {
    if (tag === 'node' || tag === 'electron' || tag === 'node-webkit') tags.runtime = tag;
    else if (tag === 'napi') tags.napi = true;
    else if (tag.slice(0, 3) === 'abi') tags.abi = tag.slice(3);
    else if (tag.slice(0, 2) === 'uv') tags.uv = tag.slice(2);
    else if (tag.slice(0, 4) === 'armv') tags.armv = tag.slice(4);
    else if (tag === 'glibc' || tag === 'musl') tags.libc = tag;
    else continue;
    tags.specificity++;
  }
  return tags;
}

function matches(t: Tags, rt: Runtime): boolean {
  if (t.runtime && t.runtime !== rt.runtime && !(t.runtime === 'node' && t.napi)) return false;
  if (t.abi && t.abi !== rt.abi && !t.napi) return false;
  if (t.uv && t.uv !== rt.uv) return false;
  if (t.armv && t.armv !== rt.armv) return false;
  if (t.libc && t.libc !== rt.libc) return false;
  return true;
}

/** Precedence: this runtime over an agnostic one, abi over napi, then the most tags. */
function compareTags(rt: Runtime) {
  return (a: Tags, b: Tags): number => {
    if (a.runtime !== b.runtime) return a.runtime === rt.runtime ? -1 : 1;
    if (a.abi !== b.abi) return a.abi ? -1 : 1;
    if (a.specificity !== b.specificity) return a.specificity > b.specificity ? -1 : 1;
    return 0;
  };
}

function fromPrebuilds(dir: string, rt: Runtime): string | undefined {
  // The single-architecture directory before a multi-architecture one.
  const tuple = readdir(path.join(dir, 'prebuilds'))
    .map(parseTuple)
    .filter((t): t is Tuple => !!t && t.platform === rt.platform && t.architectures.includes(rt.arch))
    .sort((a, b) => a.architectures.length - b.architectures.length)[0];
  if (!tuple) return undefined;
  const prebuilds = path.join(dir, 'prebuilds', tuple.name);
  const winner = readdir(prebuilds)
    .map(parseTags)
    .filter((t): t is Tags => !!t && matches(t, rt))
    .sort(compareTags(rt))[0];
  return winner && path.join(prebuilds, winner.file);
}

/**
 * The environment variable that names another directory for the package in
 * `dir`: its package.json's `name` in upper case, `-` as `_`, then `_PREBUILD`;
 * null without a package.json or a name in it.
 */
export function prebuildVariable(dir: string): string | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { name } = require(path.join(path.resolve(dir), 'package.json')) as { name: string };
    return name.toUpperCase().replaceAll('-', '_') + '_PREBUILD';
  } catch {
    return null;
  }
}

/**
 * The addon's path for the package in `dir`, or an Error whose first line is node-gyp-build's
 * ("No native build was found for platform=... arch=... ..."). `variable`: prebuildVariable(dir),
 * when the caller has it already; otherwise it is read here.
 */
export function addonPath(dir: string, variable: string | null = prebuildVariable(dir)): string {
  dir = path.resolve(dir);
  if (variable && process.env[variable]) dir = process.env[variable] as string;
  if (!process.env.PREBUILDS_ONLY) {
    const found = first(path.join(dir, 'build/Release')) ?? first(path.join(dir, 'build/Debug'));
    if (found) return found;
  }
  const rt = runtimeFacts();
  const found = fromPrebuilds(dir, rt) ?? fromPrebuilds(path.dirname(process.execPath), rt);
  if (found) return found;
  const target = [
    'platform=' + rt.platform,
    'arch=' + rt.arch,
    'runtime=' + rt.runtime,
    'abi=' + rt.abi,
    'uv=' + rt.uv,
    rt.armv ? 'armv=' + rt.armv : '',
    'libc=' + rt.libc,
    'node=' + process.versions.node,
    process.versions.electron ? 'electron=' + process.versions.electron : '',
    typeof __webpack_require__ === 'function' ? 'webpack=true' : '',
  ]
    .filter(Boolean)
    .join(' ');
  throw new Error('No native build was found for ' + target + '\n    loaded from: ' + dir + '\n');
}
