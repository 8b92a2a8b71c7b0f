/**
 * Errors from sbx carry a stable `code` (SBX_E...), the JSON pointer into the
 * policy where it applies, and errno/syscall when a system call failed.
 */
export class SbxError extends Error {
  readonly code: string;
  readonly pointer: string;
  readonly errno?: number;
  readonly syscall?: string;

  constructor(code: string, message: string, extra: { pointer?: string; errno?: number; syscall?: string } = {}) {
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

/** Re-throw an error raised by the addon as an SbxError (anything else unchanged). */
export function fromNative(e: unknown): unknown {
  const n = e as NativeErrorShape;
  if (n && typeof n.code === 'string' && n.code.startsWith('SBX_E')) {
    return new SbxError(n.code, n.message, {
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
