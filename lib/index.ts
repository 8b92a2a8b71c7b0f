/**
 * sbx — Linux sandbox SDK. This is the package's API; the policy semantics
 * live in the C core (see docs/architecture.md).
 */
import { compile, explain, presets, resolvePolicy, type Arch, type CompiledPolicy, type CompileOptions } from './compile';
import { CORE_ERROR_CODES, type CoreErrorCode, type PackageErrorCode, SbxError, type SbxErrorCode, isSbxErrorCode } from './errors';
import { artifactPaths, native, type ArtifactPaths } from './native';
import { formatProbe, probe, type ProbeReport } from './probe';
import {
  run,
  spawn,
  type RunReason,
  type RunResult,
  type SandboxedChildProcess,
  type SandboxReport,
  type SandboxRunOptions,
  type SandboxSpawnOptions,
  type SetupError,
  type SkippedLayer,
} from './spawn';
import { learn, type LearnedGrant, type LearnOptions, type LearnRefusal, type LearnResult } from './learn';
import { exec, execFile, type ExecCallback, type SandboxExecFileOptions, type SandboxExecOptions, type SbxExecError } from './exec';
import {
  describeCall,
  formatViolation,
  type CowChange,
  type CowMode,
  type CowResult,
  type AllowHint,
  type FsViolation,
  type NetViolation,
  type SyscallViolation,
  type UnshownViolations,
  type Violation,
} from './spawn-result';
import {
  lockdown,
  prepareLockdown,
  type LandlockReport,
  type LockdownEnforced,
  type LockdownOptions,
  type LockdownReport,
  type PreparedLockdown,
  type SeccompReport,
} from './self';

export { CORE_ERROR_CODES, SbxError, isSbxErrorCode, compile, explain, formatProbe, lockdown, prepareLockdown, presets, probe, resolvePolicy, run, spawn };
export { exec, execFile, describeCall, formatViolation, learn };
export type { LearnedGrant, LearnOptions, LearnRefusal, LearnResult };
export type { CoreErrorCode, PackageErrorCode, SbxErrorCode };
export type {
  CowChange,
  CowMode,
  CowResult,
  ExecCallback,
  AllowHint,
  FsViolation,
  NetViolation,
  SandboxExecFileOptions,
  SandboxExecOptions,
  SbxExecError,
  SyscallViolation,
  UnshownViolations,
  Violation,
};
export type { PolicyShortcuts } from './policy-shortcuts';
export type { Arch, ArtifactPaths, CompiledPolicy, CompileOptions, ProbeReport };
export type {
  RunReason,
  RunResult,
  SandboxedChildProcess,
  SandboxReport,
  SandboxRunOptions,
  SandboxSpawnOptions,
  SetupError,
  SkippedLayer,
};
export type { LandlockReport, LockdownEnforced, LockdownOptions, LockdownReport, PreparedLockdown, SeccompReport };

/**
 * The doors that confine, by what they confine: `sandbox.self(policy)` is
 * `lockdown(policy)` (this process, every thread); `sandbox.spawn` / `sandbox.run`
 * start a child in a new sandbox (spawn door).
 */
export const sandbox = {
  self: lockdown,
  spawn,
  run,
  exec,
  execFile,
};
export type * from './policy';

/** Absolute paths of the three native artifacts (addon, libsbx.so, launcher). */
export const paths: ArtifactPaths = {} as ArtifactPaths;
for (const key of ['addon', 'preload', 'launcher'] as const) {
  // Resolved on first use, so that `require('sbx')` itself never throws.
  Object.defineProperty(paths, key, { enumerable: true, get: () => artifactPaths()[key] });
}

/** Version of the package; the loaded core reports the same (checked by tests). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const version: string = (require('../package.json') as { version: string }).version;

/** Version of the native core that was loaded. */
export function coreVersion(): string {
  return native().version();
}

const sbx = {
  SbxError,
  paths,
  probe,
  formatProbe,
  compile,
  explain,
  resolvePolicy,
  presets,
  version,
  coreVersion,
  lockdown,
  prepareLockdown,
  spawn,
  run,
  exec,
  execFile,
  learn,
  sandbox,
};
export default sbx;
