/**
 * The spawn server's wire format, Node's side (launcher/request.h is the C
 * side; test/launcher-wire.test.ts has the C decoder read what this
 * encodes). Requests: one SOCK_SEQPACKET datagram each, u32 little-endian
 * (the server refuses big-endian hosts: serverUnsuitable), a string is a u32
 * length and its bytes. Answers: `{"pid":N}` or `{"error":"..."}` on the
 * request socket, then `{"id":N,"status":W}` (a wait status) on the control
 * socket when the sandbox ended.
 */

export const REQ_MAGIC = 0x31584253; // "SBX1"
export const REQ_SPAWN = 1;
export const REQ_KILL = 2;
export const FLAG_VERBOSE = 1;
export const FLAG_WARM = 2;
export const FLAG_ARGV0 = 4;
export const FLAG_EARLY_EXIT = 8;
/** The launcher writes its one line on refused layers to the sandbox's stderr (launcher/host.c). */
export const FLAG_NOTICE = 16;
/** stdio entries a request may carry (LN_REQ_MAX_FDS). */
export const MAX_FDS = 60;
/** The largest request datagram (LN_REQ_MAX_BYTES). */
export const MAX_BYTES = 192 * 1024;

export interface SpawnRequestWire {
  id: number;
  file: string;
  args: readonly string[];
  argv0?: string;
  cwd: string;
  policy: string;
  verbose: boolean;
  warm: boolean;
  earlyExit: boolean;
  /** The launcher prints the notice on refused layers itself (LN_REQ_NOTICE). */
  notice?: boolean;
  /** stdio entries (their fds travel with the datagram, the channel's after them). */
  nfds: number;
  /** `NAME=value` entries, or the environment already encoded (u32 count, then strings: bindings/environ.cc). */
  env: readonly string[] | Buffer;
}

/**
 * The request's bytes, or null when it cannot be sent: a NUL in a string the
 * launcher needs as a C string (child_process refuses them too: the direct
 * path then says so), or more than MAX_BYTES.
 */
export function encodeSpawnRequest(r: SpawnRequestWire): Buffer | null {
  const block = Buffer.isBuffer(r.env) ? r.env : null;
  const env = block ? [] : (r.env as readonly string[]);
  const strs = [r.cwd, r.policy, r.argv0 ?? '', r.file, ...r.args, ...env];
  // the policy (index 1) may hold NULs: its length counts
  for (let i = 0; i < strs.length; i++) if (i !== 1 && strs[i].includes('\0')) return null;
  let size = 4 * 6 + 4 * strs.length + (block ? block.length : 4);
  for (const x of strs) size += Buffer.byteLength(x, 'utf8');
  if (size > MAX_BYTES) return null;
  const b = Buffer.allocUnsafe(size);
  let o = 0;
  const u32 = (v: number) => (o = b.writeUInt32LE(v >>> 0, o));
  const str = (x: string) => {
    const n = b.write(x, o + 4, 'utf8');
    b.writeUInt32LE(n, o);
    o += 4 + n;
  };
  u32(REQ_MAGIC);
  u32(REQ_SPAWN);
  u32(r.id);
  u32((r.verbose ? FLAG_VERBOSE : 0) | (r.warm ? FLAG_WARM : 0) | (r.argv0 !== undefined ? FLAG_ARGV0 : 0) | (r.earlyExit ? FLAG_EARLY_EXIT : 0) | (r.notice ? FLAG_NOTICE : 0));
  u32(r.nfds);
  str(r.cwd);
  str(r.policy);
  str(r.argv0 ?? '');
  u32(1 + r.args.length);
  str(r.file);
  for (const a of r.args) str(a);
  if (block) {
    o += block.copy(b, o);
  } else {
    u32(env.length);
    for (const e of env) str(e);
  }
  return o === size ? b : null;
}

/** A request encoded before its id was known gets it here (the id is the third u32). */
export function setRequestId(msg: Buffer, id: number): void {
  msg.writeUInt32LE(id >>> 0, 8);
}

export function encodeKillRequest(id: number, sig: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(REQ_MAGIC, 0);
  b.writeUInt32LE(REQ_KILL, 4);
  b.writeUInt32LE(id >>> 0, 8);
  b.writeUInt32LE(sig >>> 0, 12);
  return b;
}

/** The server's answer to a spawn request: the sandbox's pid, or why it was not started. */
export function parseStartAnswer(text: string): { pid: number } | { error: string } {
  try {
    const a = JSON.parse(text) as { pid?: unknown; error?: unknown };
    if (typeof a.pid === 'number') return { pid: a.pid };
    if (typeof a.error === 'string') return { error: a.error };
  } catch {
    /* the text itself says it */
  }
  return { error: text };
}

/** A line of the control socket: a sandbox ended with wait status `status`; null for anything else. */
export function parseStatusLine(line: string): { id: number; status: number } | null {
  try {
    const ev = JSON.parse(line) as { id?: unknown; status?: unknown };
    if (typeof ev.id === 'number' && typeof ev.status === 'number') return { id: ev.id, status: ev.status };
  } catch {
    /* not a status */
  }
  return null;
}
