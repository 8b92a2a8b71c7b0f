import { CORE_ERROR_CODES, type CoreErrorCode } from './error-codes';

export { CORE_ERROR_CODES, type CoreErrorCode };

/** Codes of this package's own layer: `SBX_ENOTBUILT`, no native build to load (see the message). */
export type PackageErrorCode = 'SBX_ENOTBUILT';

/** Every code an SbxError can carry: the C core's (lib/error-codes.ts, generated from its enum) and the package's. */
export type SbxErrorCode = CoreErrorCode | PackageErrorCode;

const KNOWN: ReadonlySet<string> = new Set<string>([...CORE_ERROR_CODES, 'SBX_ENOTBUILT']);

export function isSbxErrorCode(code: unknown): code is SbxErrorCode {
  return typeof code === 'string' && KNOWN.has(code);
}

/**
 * Errors from sbx carry a stable `code` (SBX_E...), the JSON pointer into the
 * policy where it applies, and errno/syscall when a system call failed.
 */
export class SbxError extends Error {
  readonly code: SbxErrorCode;
  readonly pointer: string;
  readonly errno?: number;
  readonly syscall?: string;

  constructor(code: SbxErrorCode, message: string, extra: { pointer?: string; errno?: number; syscall?: string } = {}) {
    super(message);
    this.name = 'SbxError';
    this.code = code;
    this.pointer = extra.pointer ?? '';
    if (extra.errno !== undefined) this.errno = extra.errno;
    if (extra.syscall !== undefined) this.syscall = extra.syscall;
  }
}

interface NativeErrorShape {
  message: string;
  code?: unknown;
  pointer?: unknown;
  errno?: unknown;
  syscall?: unknown;
}

/**
 * A code reported by the native side as the union knows it. A name the list
 * lacks (an addon or launcher from another version of sbx) becomes
 * SBX_EINTERNAL, and `note` gets the name to keep in the message.
 */
export function toSbxErrorCode(code: string): { code: SbxErrorCode; note: string } {
  return isSbxErrorCode(code) ? { code, note: '' } : { code: 'SBX_EINTERNAL', note: ` (native code ${code}, unknown to this version of sbx's JavaScript)` };
}

/** Re-throw an error raised by the addon as an SbxError (anything else unchanged). */
export function fromNative(e: unknown): unknown {
  const n = e as NativeErrorShape;
  if (n && typeof n.code === 'string' && n.code.startsWith('SBX_E')) {
    const { code, note } = toSbxErrorCode(n.code);
    return new SbxError(code, n.message + note, {
      pointer: typeof n.pointer === 'string' ? n.pointer : '',
      errno: typeof n.errno === 'number' ? n.errno : undefined,
      syscall: typeof n.syscall === 'string' ? n.syscall : undefined,
    });
  }
  return e;
}

/** Call into the addon, converting its errors. */
export function callNative<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw fromNative(e);
  }
}
