/**
 * `npm run bench -- --quick`: the smoke run CI keeps working. Every
 * benchmark in bench/*.bench.js must run to the end and put at least one
 * table with data rows under its own heading. No goal is asserted: the
 * figures of a quick run on a shared CI machine mean nothing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';

const benchDir = path.join(repoRoot, 'bench');

interface Bench {
  name: string;
  title?: string;
}

function benches(): Bench[] {
  return fs
    .readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.js'))
    .sort()
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    .map((f) => require(path.join(benchDir, f)) as Bench);
}

/** The markdown under `## heading`, up to the next `## ` heading. */
function section(out: string, heading: string): string | undefined {
  const parts = out.split(/^## /m);
  const hit = parts.find((p) => p.split('\n')[0].trim() === heading);
  return hit?.slice(heading.length);
}

/** Tables in a markdown text: runs of `|` lines with a `| --- |` separator. */
function tables(md: string): string[][] {
  const found: string[][] = [];
  let run: string[] = [];
  for (const line of [...md.split('\n'), '']) {
    if (line.startsWith('|')) {
      run.push(line);
      continue;
    }
    if (run.length >= 2 && /^\|( --- \|)+$/.test(run[1])) found.push(run);
    run = [];
  }
  return found;
}

test('bench --quick: every benchmark runs and produces a table', () => {
  const all = benches();
  expect(all.length).toBeGreaterThan(0);
  const r = spawnSync(process.execPath, [path.join(benchDir, 'run.js'), '--quick', '--no-write'], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 170_000,
  });
  expect(r.error, String(r.error)).toBeUndefined();
  expect(r.stderr, 'exit status ' + r.status).not.toMatch(/bench: .*Error/);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^# Benchmarks\n/);
  for (const b of all) {
    const md = section(r.stdout, b.title ?? b.name);
    expect(md, `no section for benchmark ${b.name}`).toBeDefined();
    const t = tables(md ?? '');
    expect(t.length, `benchmark ${b.name} produced no table`).toBeGreaterThan(0);
    // a header, the separator and at least one row of figures
    expect(Math.max(...t.map((x) => x.length)), `benchmark ${b.name}: empty table`).toBeGreaterThan(2);
  }
}, 180_000);
