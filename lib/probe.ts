/**
 * `probe`: what this kernel and this process can enforce. The core measures
 * and returns JSON (schema: docs/probe.md); this file only types it and
 * renders the human table.
 */
import { callNative } from './errors';
import { native } from './native';

/** A measured value, or null with a `<field>Reason` sibling saying why. */
export type Measured<T> = T | null;

export interface ProbeReport {
  version: string;
  kernel: { release: string; machine: string };
  arch: string;
  landlock: Record<string, unknown> & { abi: Measured<number> };
  seccomp: Record<string, unknown>;
  userns: Record<string, unknown>;
  cgroup: Record<string, unknown>;
  container: Record<string, unknown>;
  process: Record<string, unknown>;
  /** The spawn door's layers on this host and what `sbx run` would skip (docs/probe.md). */
  spawn: Record<string, unknown> & { skipped: Measured<Array<{ layer: string; reason: string }>> };
  [key: string]: unknown;
}

let measured: string | undefined;

/**
 * Measured once per process (the probe forks children that try namespaces, filters and
 * Landlock; the host does not change under a running program): later calls get a fresh copy
 * of the same answer. `{ fresh: true }` measures again.
 */
export function probe(opts: { fresh?: boolean } = {}): ProbeReport {
  if (measured === undefined || opts.fresh) measured = callNative(() => native().probeJson());
  return JSON.parse(measured) as ProbeReport;
}

function scalar(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length ? v.map(scalar).join(', ') : '(none)';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}=${Array.isArray(x) ? x.join('+') : String(x)}`)
      .join(' ');
  }
  return String(v);
}

/**
 * Flatten nested objects into `section.key  value` rows; a null value is
 * shown with its reason from the `<key>Reason` sibling.
 */
function rows(obj: Record<string, unknown>, prefix: string, out: [string, string][]): void {
  for (const [k, v] of Object.entries(obj)) {
    if (k.endsWith('Reason')) continue;
    const name = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      rows(v as Record<string, unknown>, name, out);
    } else if (v === null && typeof obj[`${k}Reason`] === 'string') {
      out.push([name, `unknown (${obj[`${k}Reason`] as string})`]);
    } else {
      out.push([name, scalar(v)]);
    }
  }
}

export function formatProbe(report: ProbeReport): string {
  const out: [string, string][] = [];
  rows(report as unknown as Record<string, unknown>, '', out);
  const width = Math.min(48, Math.max(...out.map(([k]) => k.length)));
  return out.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}
