/**
 * Loads sbx.node (prebuild or local build, found by node-gyp-build's rules:
 * lib/addon-path.ts) and finds the two other artifacts next to it. They are
 * always used as a set from one directory: a libsbx.so from one build with a
 * launcher from another would be a version skew nobody could debug.
 */
import fs from 'node:fs';
import path from 'node:path';
import { addonPath, prebuildVariable } from './addon-path';
import { SbxError } from './errors';

export interface NativeAddon {
  version(): string;
  probeJson(): string;
  compile(source: string, arch: string | undefined, opts: object): unknown;
  explain(source: string, opts: object): string;
  policyJson(source: string, opts: object): string;
  presets(): string[];
  /** A credential location the spawn door hides that `path` is in (or, whole, holds); null when none. */
  secretPath(path: string, home: string, whole: boolean): string | null;
  lockdown(source: string, opts: object): string;
  prepareSelf(source: string, opts: object): unknown;
  reportPrepared(handle: unknown): string;
  lockdownPrepared(handle: unknown): string;
  /** bindings/fdpass.cc: the spawn server's plumbing. */
  fdSocketpair(seqpacket: boolean): [number, number];
  fdPipe(): [number, number];
  /** timeoutMs: ETIMEDOUT (errno 110) once a full socket buffer stayed full that long. */
  fdSend(fd: number, data: Buffer, fds: number[], timeoutMs?: number): void;
  /** timeoutMs: ETIMEDOUT (errno 110) once no datagram came that long. */
  fdRecv(fd: number, timeoutMs?: number): string;
  fdClose(fd: number): void;
  /** environ as the spawn request encodes it (u32 count, u32 length + bytes each); bindings/environ.cc. */
  environBlock(): Buffer;
}

export interface ArtifactPaths {
  /** The Node-API addon that was loaded. */
  addon: string;
  /** The preload library: `LD_PRELOAD=<preload> app`. */
  preload: string;
  /** The spawn door's launcher executable. */
  launcher: string;
}

const packageRoot = path.resolve(__dirname, '..');
// Read with the package (index.ts reads the same file for its version): not on
// the first call's path.
const prebuildVar = prebuildVariable(packageRoot);

let cached: { addon: NativeAddon; paths: ArtifactPaths } | undefined;

function locate(): string {
  // build/Release first, then prebuilds/<platform>-<arch> (node-gyp-build's order).
  try {
    return addonPath(packageRoot, prebuildVar);
  } catch {
    throw new SbxError('SBX_ENOTBUILT', notBuiltMessage());
  }
}

/**
 * Why there is no addon, and what to run, in one line. Installed as a
 * dependency, the usual cause is an install script that did not run (npm 12
 * runs a dependency's only once the project approves it; --ignore-scripts
 * never does) on a machine no prebuild fits; in a clone, no build yet.
 */
function notBuiltMessage(): string {
  const libc = fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
  const what = `no native build of sbx for ${process.platform}-${process.arch} (${libc}) in ${packageRoot}`;
  if (packageRoot.split(path.sep).includes('node_modules')) {
    return `${what}: the package has no prebuild for this machine, and its install script, which builds one, ` +
      `has not run (npm 12 runs a dependency's install script only once the project approves it): ` +
      `run \`npm approve-scripts sbx && npm rebuild sbx\` (needs cmake and a C compiler)`;
  }
  return `${what}: no prebuilds/ fit this machine and nothing is built here: ` +
    `run \`npm install\` (or \`npm run build\`) in ${packageRoot} (needs cmake and a C compiler)`;
}

function load(): { addon: NativeAddon; paths: ArtifactPaths } {
  if (cached) return cached;
  if (process.platform !== 'linux') {
    throw new SbxError('SBX_EUNSUPPORTED', `sbx runs on Linux only (this is ${process.platform})`);
  }
  const addonPath = locate();
  const dir = path.dirname(addonPath);
  const paths: ArtifactPaths = {
    addon: addonPath,
    preload: path.join(dir, 'libsbx.so'),
    launcher: path.join(dir, 'sbx-launcher'),
  };
  // accessSync for both: each fs function a process calls for the first time
  // costs tens of µs here (existsSync is access(F_OK) too).
  try {
    fs.accessSync(paths.preload, fs.constants.F_OK);
  } catch {
    throw new SbxError('SBX_ENOTBUILT', `${paths.preload} is missing next to ${addonPath}: reinstall sbx`);
  }
  try {
    fs.accessSync(paths.launcher, fs.constants.X_OK);
  } catch {
    throw new SbxError(
      'SBX_ENOTBUILT',
      `the launcher ${paths.launcher} is missing or not executable (was the package unpacked without ` +
        `file modes?): run \`chmod +x ${paths.launcher}\` or reinstall sbx`,
    );
  }
  // What require() does for a .node file, without its module resolution and
  // cache (0.5-1 ms of cold code in a fresh Node 24 process): nothing else
  // requires the addon.
  const mod = { exports: {} };
  process.dlopen(mod, addonPath);
  const addon = mod.exports as NativeAddon;
  cached = { addon, paths };
  return cached;
}

export function native(): NativeAddon {
  return load().addon;
}

export function artifactPaths(): ArtifactPaths {
  return load().paths;
}
