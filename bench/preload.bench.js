'use strict';
// preload: what the preload door adds to a process start. `/bin/true` and
// `python3 -c pass`, each with and without `SBX_POLICY=strict
// LD_PRELOAD=libsbx.so`, run alternately in one process (harness.alternate);
// the difference of the medians is the door's cost (load the library, parse
// and merge the preset, compile the filter, build the Landlock ruleset,
// apply), and the goal of the preload issue is under 300 µs.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { alternate, latencyTable, fmt } = require('./harness');

const GOAL_US = 300;

function libPath(root) {
  const lib = path.join(root, 'build', 'Release', 'libsbx.so');
  if (!fs.existsSync(lib)) throw new Error(`${lib} is not built (npm run build:native)`);
  return lib;
}

module.exports = {
  name: 'preload',
  title: 'Preload door: process start with and without libsbx.so (strict)',
  async run({ root, quick }) {
    const lib = libPath(root);
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-preload-'));
    const base = { PATH: '/usr/bin:/bin', HOME: cwd, TMPDIR: cwd, LANG: 'C.UTF-8' };
    const door = { ...base, SBX_POLICY: 'strict', LD_PRELOAD: lib };
    const iterations = quick ? 15 : 200;
    const programs = [
      { label: '/bin/true', cmd: '/bin/true', args: [] },
      { label: 'python3 -c pass', cmd: '/usr/bin/python3', args: ['-c', 'pass'] },
    ];
    const sections = [];
    const goals = [];
    const data = {};
    const rows = [];
    try {
      for (const p of programs) {
        const start = (env) => () => {
          const r = spawnSync(p.cmd, p.args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
          if (r.status !== 0) throw new Error(`${p.label} failed (${r.status}): ${r.stderr}`);
        };
        const res = await alternate({
          contenders: [
            { name: `${p.label}`, run: start(base) },
            { name: `${p.label} + preload strict`, run: start(door) },
          ],
          iterations,
          warmup: 5,
        });
        const [plain, confined] = res.rows;
        rows.push(...res.rows);
        const addedUs = (confined.stats.median - plain.stats.median) * 1000;
        data[p.label] = { plainMs: plain.stats.median, preloadMs: confined.stats.median, addedUs, ratio: confined.ratio };
        goals.push({
          goal: `preload door adds under ${GOAL_US} µs to process start (${p.label})`,
          measured: `+${fmt(addedUs, 0)} µs (${fmt(plain.stats.median)} → ${fmt(confined.stats.median)} ms)`,
          pass: addedUs < GOAL_US,
        });
        sections.push(`### ${p.label}`, '', latencyTable(res), '', `Added by the door (difference of medians): ${fmt(addedUs, 0)} µs.`, '');
      }
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
    const markdown = [
      `Each start is \`spawnSync\` from Node (fork/exec, wait), ${iterations} iterations per contender after a warm-up,`,
      'contenders alternating. "+ preload strict" is `SBX_POLICY=strict LD_PRELOAD=libsbx.so`: the constructor loads the',
      'strict preset, compiles its seccomp filter, builds the Landlock ruleset and applies everything before `main()`.',
      'The spawn overhead of Node itself is in both columns and cancels out in the difference.',
      '',
      ...sections,
    ].join('\n');
    const charts = [{ file: 'bench-preload-latency.svg', title: 'Process start with and without the preload door', kind: 'latency', rows }];
    return { markdown, goals, data, charts };
  },
};
