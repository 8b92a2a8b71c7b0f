'use strict';
// self: latency of lockdown() in fresh Node processes with their usual
// threads (V8 platform workers, the inspector's signal thread, a warmed-up
// libuv pool, one worker_thread), split into prepare (parse, compile, open
// paths, build the Landlock ruleset) and apply (every thread confined,
// seccomp with TSYNC). Two users, alternating in one run: root (every thread
// also drops its bounding set) and, when the bench runs as root, uid 65534
// (no capabilities: the path of most services). Beside each: the same
// process doing nothing, timed from spawn to exit, so the cost is seen
// against a process's own start-up.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { alternate, summarize, table, fmt } = require('./harness');

const POLICY = 'node-service';
const UNPRIV_UID = 65534;

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
  process.stdout.write(JSON.stringify({ prep, apply, threads, uid: process.getuid() }));
  process.exit(0);
});`;
}

// The checkout may live where uid 65534 cannot read (a clone under /root):
// the package is mirrored into a world-readable temp directory, as the
// tests do (test/helpers/unpriv.ts).
function unprivPackage(root, dir) {
  fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  fs.cpSync(path.join(root, 'node_modules', 'node-gyp-build'), path.join(dir, 'node_modules', 'node-gyp-build'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
  for (const f of ['sbx.node', 'libsbx.so', 'sbx-launcher']) {
    fs.copyFileSync(path.join(root, 'build', 'Release', f), path.join(dir, 'build', 'Release', f));
  }
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  return dir;
}

module.exports = {
  name: 'self',
  title: 'Self door: lockdown() latency in a running Node process',
  async run({ root, quick }) {
    const iterations = quick ? 10 : 200;
    const isRoot = process.getuid() === 0;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-self-'));
    fs.chmodSync(tmp, 0o755);
    // Each user: a label, spawn options, and the package it loads.
    const users = [
      isRoot
        ? { key: 'root', label: 'root', opts: {}, pkg: root }
        : { key: 'user', label: `uid ${process.getuid()}`, opts: {}, pkg: root },
    ];
    if (isRoot) {
      users.push({
        key: 'unpriv',
        label: `uid ${UNPRIV_UID}`,
        opts: { uid: UNPRIV_UID, gid: UNPRIV_UID },
        pkg: unprivPackage(root, path.join(tmp, 'pkg')),
      });
    }
    const inner = {};
    const contenders = [];
    for (const u of users) {
      const scripts = { nothing: path.join(tmp, `${u.key}-nothing.js`), lockdown: path.join(tmp, `${u.key}-lockdown.js`) };
      fs.writeFileSync(scripts.nothing, childSource(u.pkg, false), { mode: 0o644 });
      fs.writeFileSync(scripts.lockdown, childSource(u.pkg, true), { mode: 0o644 });
      const rec = (inner[u.key] = { prep: [], apply: [], total: [], threads: [] });
      const once = (script, record) => () => {
        // libuv drops the supplementary groups with setgid(): uid 65534 runs
        // with no capabilities at all, as after setpriv --clear-groups.
        const r = spawnSync(process.execPath, [script], { encoding: 'utf8', cwd: '/tmp', ...u.opts });
        if (r.status !== 0) throw new Error(`bench child (${u.label}) failed (${r.status}): ${r.stderr}`);
        if (record) {
          const v = JSON.parse(r.stdout);
          if (u.opts.uid !== undefined && v.uid !== u.opts.uid) throw new Error(`bench child ran as uid ${v.uid}`);
          rec.prep.push(v.prep);
          rec.apply.push(v.apply);
          rec.total.push(v.prep + v.apply);
          rec.threads.push(v.threads);
        }
      };
      contenders.push({ name: `node, nothing (${u.label})`, run: once(scripts.nothing, false) });
      contenders.push({ name: `node + lockdown() (${u.label})`, run: once(scripts.lockdown, true) });
    }
    let result;
    try {
      // Warm-up runs are recorded too; dropped below.
      result = await alternate({ contenders, iterations });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    const stats = {};
    for (const u of users) {
      const rec = inner[u.key];
      const warm = rec.prep.length - iterations;
      for (const k of Object.keys(rec)) rec[k] = rec[k].slice(warm);
      stats[u.key] = Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, summarize(v)]));
    }
    const goals = users.flatMap((u) => {
      const s = stats[u.key];
      return [
        { goal: `lockdown() under 1 ms in total (median, ${u.label})`, measured: `${fmt(s.total.median, 0)} µs`, pass: s.total.median < 1000 },
        { goal: `apply under 300 µs (median, ${u.label})`, measured: `${fmt(s.apply.median, 0)} µs`, pass: s.apply.median < 300 },
      ];
    });
    const row = (name, s) => [name, fmt(s.median, 0), fmt(s.p90, 0), fmt(s.p99, 0), fmt(s.min, 0), fmt(s.max, 0)];
    const markdown = [
      `\`lockdown('${POLICY}')\` measured inside ${iterations} fresh Node processes per user (after warm-ups), each with`,
      `its usual threads plus one worker_thread and a warmed libuv pool (median ${stats[users[0].key].threads.median} threads).`,
      ...(isRoot
        ? [`As root and as uid ${UNPRIV_UID} (no capabilities), alternating in one run: as root every thread also drops its`,
            `bounding set (about 40 capabilities, one credential change each); uid ${UNPRIV_UID} has nothing to drop.`]
        : [`As uid ${process.getuid()} only (the bench did not run as root: no root row).`]),
      '"prepare" is `prepareLockdown()` (parse, compile the filter, open paths, build the Landlock ruleset: nothing',
      'applied), "apply" is `.apply()` (rlimits, capabilities, no_new_privs and Landlock on every thread by signal,',
      'seccomp with TSYNC, loaded while the threads work when the filter allows what they still do; and the report',
      'it returns). Wall time of the whole process beside the same process without lockdown:',
      '',
      table(['inside the process', 'median µs', 'p90 µs', 'p99 µs', 'min µs', 'max µs'], users.flatMap((u) => [
        row(`prepare (${u.label})`, stats[u.key].prep),
        row(`apply (${u.label})`, stats[u.key].apply),
        row(`total (${u.label})`, stats[u.key].total),
      ])),
      '',
      table(
        ['whole process (spawn to exit)', 'median ms', 'p90 ms', 'p99 ms', 'ratio'],
        // Each lockdown row against the same user's process doing nothing.
        result.rows.map((r, i) => {
          const base = result.rows[i - (i % 2)];
          const ratio = summarize(r.samples.map((v, j) => v / base.samples[j])).median;
          return [r.name, fmt(r.stats.median, 1), fmt(r.stats.p90, 1), fmt(r.stats.p99, 1), `${fmt(ratio, 3)}x`];
        }),
      ),
    ].join('\n');
    const inside = users.flatMap((u) =>
      [['prepare', 'prep'], ['apply', 'apply'], ['total', 'total']].map(([name, k]) => ({ name: `${name} (${u.label})`, samples: inner[u.key][k] })),
    );
    const charts = [
      { file: 'bench-self-lockdown.svg', title: `lockdown('${POLICY}') inside the process`, kind: 'latency', unit: 'µs', rows: inside },
      { file: 'bench-self-process.svg', title: 'Whole Node process, spawn to exit', kind: 'latency', rows: result.rows },
    ];
    return { markdown, goals, data: { inner: stats, processes: result.rows.map(({ samples, ...r }) => r) }, charts };
  },
};
