'use strict';
// self: latency of lockdown() in fresh Node processes with their usual
// threads (V8 platform workers, the inspector's signal thread, a warmed-up
// libuv pool, one worker_thread), split into prepare (parse, compile, open
// paths, build the Landlock ruleset) and apply (every thread confined,
// seccomp with TSYNC). Beside it: the same process doing nothing, timed
// from spawn to exit, so the cost is seen against a process's own start-up.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { alternate, summarize, table, fmt } = require('./harness');

const POLICY = 'node-service';

// The child: load the addon first (not part of lockdown), start a worker
// and warm the pool, then time prepare and apply; print µs as JSON.
function childSource(root, doLockdown) {
  return `
const { Worker } = require('node:worker_threads');
const fs = require('node:fs');
const sbx = require(${JSON.stringify(root)});
sbx.presets();
const w = new Worker('require("node:worker_threads").parentPort.postMessage(1)', { eval: true });
w.once('message', async () => {
  await Promise.all([1, 2, 3, 4].map(() => fs.promises.stat('/')));
  const threads = fs.readdirSync('/proc/self/task').length;
  let prep = 0, apply = 0;
  if (${doLockdown}) {
    const t0 = process.hrtime.bigint();
    const p = sbx.prepareLockdown(${JSON.stringify(POLICY)}, { cwd: '/tmp' });
    const t1 = process.hrtime.bigint();
    p.apply();
    const t2 = process.hrtime.bigint();
    prep = Number(t1 - t0) / 1e3;
    apply = Number(t2 - t1) / 1e3;
  }
  process.stdout.write(JSON.stringify({ prep, apply, threads }));
  process.exit(0);
});`;
}

module.exports = {
  name: 'self',
  title: 'Self door: lockdown() latency in a running Node process',
  async run({ root, quick }) {
    const iterations = quick ? 10 : 200;
    const file = (name) => path.join(os.tmpdir(), `sbx-bench-self-${process.pid}-${name}.js`);
    const scripts = { nothing: file('nothing'), lockdown: file('lockdown') };
    fs.writeFileSync(scripts.nothing, childSource(root, false));
    fs.writeFileSync(scripts.lockdown, childSource(root, true));
    const inner = { prep: [], apply: [], total: [], threads: [] };
    const once = (script, record) => () => {
      const r = spawnSync(process.execPath, [script], { encoding: 'utf8', cwd: '/tmp' });
      if (r.status !== 0) throw new Error(`bench child failed (${r.status}): ${r.stderr}`);
      if (record) {
        const v = JSON.parse(r.stdout);
        inner.prep.push(v.prep);
        inner.apply.push(v.apply);
        inner.total.push(v.prep + v.apply);
        inner.threads.push(v.threads);
      }
    };
    let result;
    try {
      // Warm-up runs are recorded too; drop them below.
      result = await alternate({
        contenders: [
          { name: 'node, nothing', run: once(scripts.nothing, false) },
          { name: 'node + lockdown()', run: once(scripts.lockdown, true) },
        ],
        iterations,
      });
    } finally {
      for (const f of Object.values(scripts)) fs.rmSync(f, { force: true });
    }
    const warm = inner.prep.length - iterations;
    const stats = Object.fromEntries(Object.entries(inner).map(([k, v]) => [k, summarize(v.slice(warm))]));
    const goals = [
      { goal: 'lockdown() under 1 ms in total (median)', measured: `${fmt(stats.total.median, 0)} µs`, pass: stats.total.median < 1000 },
      { goal: 'lockdown() under 1 ms in total (p99)', measured: `${fmt(stats.total.p99, 0)} µs`, pass: stats.total.p99 < 1000 },
      { goal: 'apply under 300 µs (median)', measured: `${fmt(stats.apply.median, 0)} µs`, pass: stats.apply.median < 300 },
      { goal: 'apply under 300 µs (p99)', measured: `${fmt(stats.apply.p99, 0)} µs`, pass: stats.apply.p99 < 300 },
    ];
    const row = (name, s) => [name, fmt(s.median, 0), fmt(s.p90, 0), fmt(s.p99, 0), fmt(s.min, 0), fmt(s.max, 0)];
    const markdown = [
      `\`lockdown('${POLICY}')\` measured inside ${iterations} fresh Node processes each (after one warm-up), each with`,
      `its usual threads plus one worker_thread and a warmed libuv pool (median ${stats.threads.median} threads).`,
      '"prepare" is `prepareLockdown()` (parse, compile the filter, open paths, build the Landlock ruleset: nothing',
      'applied), "apply" is `.apply()` (rlimits, capabilities, no_new_privs and Landlock on every thread by signal,',
      'seccomp with TSYNC, the report). Wall time of the whole process beside the same process without lockdown:',
      '',
      table(['inside the process', 'median µs', 'p90 µs', 'p99 µs', 'min µs', 'max µs'], [
        row('prepare', stats.prep),
        row('apply', stats.apply),
        row('total', stats.total),
      ]),
      '',
      table(
        ['whole process (spawn to exit)', 'median ms', 'p90 ms', 'p99 ms', 'ratio'],
        result.rows.map((r) => [r.name, fmt(r.stats.median, 1), fmt(r.stats.p90, 1), fmt(r.stats.p99, 1), `${fmt(r.ratio, 3)}x`]),
      ),
    ].join('\n');
    const inside = [['prepare', 'prep'], ['apply', 'apply'], ['total', 'total']].map(([name, k]) => ({ name, samples: inner[k].slice(warm) }));
    const charts = [
      { file: 'bench-self-lockdown.svg', title: `lockdown('${POLICY}') inside the process`, kind: 'latency', unit: 'µs', rows: inside },
      { file: 'bench-self-process.svg', title: 'Whole Node process, spawn to exit', kind: 'latency', rows: result.rows },
    ];
    return { markdown, goals, data: { inner: stats, processes: result.rows.map(({ samples, ...r }) => r) }, charts };
  },
};
