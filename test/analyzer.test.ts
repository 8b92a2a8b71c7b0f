/**
 * Static analysis: GCC's -fanalyzer over every C file of the core
 * (src-native/), of the preload door (preload/) and of the spawn door's
 * launcher (launcher/), one vitest case per file,
 * zero findings expected. Each file is compiled as the build compiles it (the
 * core's flags, warnings not errors) with -fanalyzer at -O2, near the
 * optimisation the artifacts are built with (-O3): at -O0 the analyzer reports
 * a subset of what it reports here.
 *
 * Nothing is switched off for a whole class. The one false-positive pattern
 * met so far (GCC 12 forgetting a pointer stored into a heap array once the
 * loop calls a function it does not model) is silenced around those stores
 * only, in the source, with the reason (src-native/confine/prepare_landlock.c).
 *
 * By hand: gcc -fanalyzer -O2 -std=gnu11 -D_GNU_SOURCE -Isrc-native/include
 *          -Isrc-native/base -Isrc-native/kernel ... (every stage) -c -o /dev/null
 *          src-native/<stage>/<file>.c
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';

// The core's stages (src-native/<stage>/, CMakeLists.txt), then the doors.
const STAGES = ['base', 'kernel', 'seccomp', 'policy', 'confine', 'doors', 'probe'];
const DIRS = [...STAGES.map((s) => path.join('src-native', s)), 'preload', 'launcher'];
const CC = process.env.SBX_ANALYZER_CC || 'gcc';
const FLAGS = [
  '-std=gnu11', '-D_GNU_SOURCE', '-O2', '-fanalyzer',
  // The core's warnings (CMakeLists.txt, SBX_CORE_WARNINGS) without -Werror:
  // every diagnostic is collected and reported by the case.
  '-Wall', '-Wextra', '-Wshadow', '-Wformat=2', '-Wstrict-prototypes', '-Wmissing-prototypes',
  '-Wno-unused-parameter',
  '-fdiagnostics-plain-output',
  `-I${path.join(repoRoot, 'src-native', 'include')}`,
  ...STAGES.map((s) => `-I${path.join(repoRoot, 'src-native', s)}`),
];

const files = DIRS.flatMap((d) =>
  fs
    .readdirSync(path.join(repoRoot, d))
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => path.join(d, f)),
);

interface Result {
  status: number | null;
  stderr: string;
}

function analyze(rel: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(CC, [...FLAGS, '-c', '-o', '/dev/null', rel], { cwd: repoRoot });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => resolve({ status: null, stderr: String(e) }));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

const results = new Map<string, Result>();

beforeAll(async () => {
  // Half the CPUs (vitest runs other files beside this one, some of them
  // timing-sensitive): about 17 s of CPU in all on this machine.
  const queue = [...files];
  const cpus = os.availableParallelism?.() ?? os.cpus().length;
  const workers = Array.from({ length: Math.max(1, Math.floor(cpus / 2)) }, async () => {
    for (let f = queue.shift(); f; f = queue.shift()) results.set(f, await analyze(f));
  });
  await Promise.all(workers);
}, 600_000);

test(`${CC} has the static analyzer (GCC >= 12)`, () => {
  const v = spawnSync(CC, ['-dumpversion'], { encoding: 'utf8' });
  expect(v.status, `${CC} not found`).toBe(0);
  expect(Number(v.stdout.split('.')[0])).toBeGreaterThanOrEqual(12);
  // A leak the analyzer must see: the flags really run it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-analyzer-'));
  try {
    const src = path.join(dir, 'leak.c');
    fs.writeFileSync(src, '#include <stdlib.h>\nint f(int x);\nint f(int x) { char *p = malloc(8); if (!p) return -1; p[0] = (char)x; return p[0]; }\n');
    const r = spawnSync(CC, [...FLAGS, '-c', '-o', '/dev/null', src], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/-Wanalyzer-malloc-leak/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('gcc -fanalyzer', () => {
  for (const f of files) {
    test(`${f}: no finding`, () => {
      const r = results.get(f);
      expect(r, 'not analysed').toBeDefined();
      const findings = (r!.stderr.match(/^.*(warning|error): .*$/gm) ?? []).join('\n');
      expect(findings, r!.stderr.slice(0, 8000)).toBe('');
      expect(r!.status).toBe(0);
    });
  }
});
