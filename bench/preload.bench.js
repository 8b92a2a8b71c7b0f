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
const { alternate, latencyTable, summarize, fmt } = require('./harness');

const GOAL_US = 300;

function libPath(root) {
  const lib = path.join(root, 'build', 'Release', 'libsbx.so');
  if (!fs.existsSync(lib)) throw new Error(`${lib} is not built (npm run build:native)`);
  return lib;
}

const UNPRIV_UID = 65534;

module.exports = {
  name: 'preload',
  title: 'Preload door: process start with and without libsbx.so (strict)',
  async run({ root, quick }) {
    const isRoot = process.getuid() === 0;
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-preload-'));
    // uid 65534 must be able to read the library and use the directory.
    fs.chmodSync(cwd, 0o777);
    const lib = path.join(cwd, 'libsbx.so');
    fs.copyFileSync(libPath(root), lib);
    fs.chmodSync(lib, 0o755);
    const base = { PATH: '/usr/bin:/bin', HOME: cwd, TMPDIR: cwd, LANG: 'C.UTF-8' };
    const door = { ...base, SBX_POLICY: 'strict', LD_PRELOAD: lib };
    const iterations = quick ? 15 : 200;
    const programs = [
      { label: '/bin/true', cmd: '/bin/true', args: [] },
      { label: 'python3 -c pass', cmd: '/usr/bin/python3', args: ['-c', 'pass'] },
    ];
    // As root the door also drops ~40 capabilities from the bounding set (one
    // credential change each); uid 65534 has none to drop. Both alternate in
    // one run when the bench runs as root.
    const users = [{ key: isRoot ? 'root' : 'user', label: isRoot ? 'root' : `uid ${process.getuid()}`, opts: {} }];
    if (isRoot) users.push({ key: 'unpriv', label: `uid ${UNPRIV_UID}`, opts: { uid: UNPRIV_UID, gid: UNPRIV_UID } });
    const sections = [];
    const goals = [];
    const data = {};
    const rows = [];
    try {
      for (const p of programs) {
        const start = (env, opts) => () => {
          const r = spawnSync(p.cmd, p.args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], ...opts });
          if (r.status !== 0) throw new Error(`${p.label} failed (${r.status}): ${r.stderr}`);
        };
        const contenders = users.flatMap((u) => [
          { name: `${p.label} (${u.label})`, run: start(base, u.opts) },
          { name: `${p.label} + preload strict (${u.label})`, run: start(door, u.opts) },
        ]);
        const res = await alternate({ contenders, iterations, warmup: 5 });
        // Each door row against the same user's plain start, run by run.
        res.rows.forEach((r, i) => {
          const plain = res.rows[i - (i % 2)];
          r.ratio = summarize(r.samples.map((v, j) => v / plain.samples[j])).median;
        });
        rows.push(...res.rows);
        const added = [];
        users.forEach((u, k) => {
          const [plain, confined] = res.rows.slice(2 * k, 2 * k + 2);
          const addedUs = (confined.stats.median - plain.stats.median) * 1000;
          data[`${p.label} (${u.label})`] = { plainMs: plain.stats.median, preloadMs: confined.stats.median, addedUs, ratio: confined.ratio };
          goals.push({
            goal: `preload door adds under ${GOAL_US} µs to process start (${p.label}, ${u.label})`,
            measured: `+${fmt(addedUs, 0)} µs (${fmt(plain.stats.median)} → ${fmt(confined.stats.median)} ms)`,
            pass: addedUs < GOAL_US,
          });
          added.push(`${fmt(addedUs, 0)} µs as ${u.label}`);
        });
        sections.push(`### ${p.label}`, '', latencyTable({ ...res, baseline: 'the same user without the door' }), '',
          `Added by the door (difference of medians): ${added.join(', ')}.`, '');
      }
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
    const markdown = [
      `Each start is \`spawnSync\` from Node (fork/exec, wait), ${iterations} iterations per contender after a warm-up,`,
      'contenders alternating. "+ preload strict" is `SBX_POLICY=strict LD_PRELOAD=libsbx.so`: the constructor loads the',
      'strict preset, builds the Landlock ruleset and applies everything before `main()` (the preset\'s filter is',
      'compiled at build time). The spawn overhead of Node itself is in both columns and cancels out in the difference.',
      ...(isRoot
        ? [`As root and as uid ${UNPRIV_UID}, alternating in one run: as root the door also drops about 40 capabilities from`,
            'the bounding set, one credential change each.']
        : []),
      '',
      ...sections,
    ].join('\n');
    const charts = [{ file: 'bench-preload-latency.svg', title: 'Process start with and without the preload door', kind: 'latency', rows }];
    return { markdown, goals, data, charts };
  },
};
