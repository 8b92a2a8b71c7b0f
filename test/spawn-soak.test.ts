/**
 * Soak of the spawn door (issue 24): an agent server keeps one Node process
 * for days and starts sandboxes all the time. Here a child Node starts some
 * thousands of them (test/fixtures/soak/soak.js: the default policy with its
 * limits and cgroups, one without limits, checked stdout bytes, now and then
 * cow and report), eight at a time, and after each segment, settled and after
 * GC, takes what it and its spawn server hold. Everything must be flat:
 *
 * - JS heap after GC: a slope under 100 bytes a sandbox and under 1.5 MB in
 *   all. The ChildProcess leak fixed today (spawn-heap.test.ts) made 4.8 KB a
 *   sandbox here: 24 MB over the run, 48 times the slope allowed.
 * - anonymous RSS of Node (V8's new space fixed in size, so that its growth
 *   under load is not counted): a slope under 1 KB a sandbox (the leak: 4 KB).
 * - fds of Node and of the server: the same count at every sample.
 * - anonymous RSS of the server: under 1 MB of growth in all.
 * - mounts of this mount namespace: the same count; cgroups named after an
 *   ended sandbox's launcher (sbx-<pid>-*) in Node's own cgroups: none.
 * - one server for the whole run, and every sandbox's result right.
 *
 * SBX_SOAK_TOTAL sizes it (default 7000, about a minute on a loaded 2-vCPU
 * machine).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';

interface Sample {
  done: number;
  heap: number;
  rss: number;
  fds: number;
  serverFds: number;
  serverRss: number;
  mounts: number;
  cgroups: number;
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return num / den;
}

const TOTAL = Number(process.env.SBX_SOAK_TOTAL || 7000);
const SEGMENTS = 5;

test(`${TOTAL} sandboxes from one process: heap, RSS, fds, mounts and cgroups stay flat`, () => {
  const script = path.join(repoRoot, 'test', 'fixtures', 'soak', 'soak.js');
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16', script, path.join(repoRoot, 'dist', 'index.js'), String(TOTAL), String(SEGMENTS), '8'],
    { encoding: 'utf8', timeout: 400_000 },
  );
  expect(r.status, `${r.stderr}\n${r.stdout}`).toBe(0);
  const v = JSON.parse(r.stdout) as { samples: Sample[]; failures: string[]; nfailures: number; servers: number; leftCgroups: string[]; seconds: number };
  const s = v.samples;
  const x = s.map((p) => p.done);
  const report = JSON.stringify({ seconds: v.seconds, samples: s });
  expect(v.failures, report).toEqual([]);
  expect(v.nfailures).toBe(0);
  expect(v.servers, report).toBe(1);
  expect(s.length).toBe(SEGMENTS + 1);
  // kernel objects: exactly as after the warm-up
  expect(s.map((p) => p.fds), report).toEqual(s.map(() => s[0].fds));
  expect(s.map((p) => p.serverFds), report).toEqual(s.map(() => s[0].serverFds));
  expect(s[0].serverFds).toBeGreaterThan(0);
  expect(s.map((p) => p.mounts), report).toEqual(s.map(() => s[0].mounts));
  expect(s.map((p) => p.cgroups), report).toEqual(s.map(() => 0));
  expect(v.leftCgroups).toEqual([]);
  // memory
  const heapSlope = slope(x, s.map((p) => p.heap));
  expect(heapSlope, report).toBeLessThan(100);
  expect(s[s.length - 1].heap - s[0].heap, report).toBeLessThan(1.5 * 1024 * 1024);
  expect(slope(x, s.map((p) => p.rss)), report).toBeLessThan(1024);
  expect(s[s.length - 1].serverRss - s[0].serverRss, report).toBeLessThan(1024 * 1024);
}, 420_000);
