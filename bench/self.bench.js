'use strict';
// self: latency of lockdown() in fresh Node processes with their usual
// threads (V8 platform workers, the inspector's signal thread, a warmed-up
// libuv pool, one worker_thread), on every Node version sbx supports (the
// system Node, and Node 22 and 24 from build/nodes/, scripts/nodes.js), as
// a service sees it:
//   - the first call: `lockdown()` right after `require('sbx')`, the call
//     that loads the addon (locating it, dlopen, the core's first run);
//   - with the addon loaded beforehand (`sbx.presets()` at start), split
//     into prepare (parse, compile, open paths, build the Landlock ruleset)
//     and apply (every thread confined, seccomp with TSYNC).
// Two users, alternating in one run: root (every thread also drops its
// bounding set) and, when the bench runs as root, uid 65534 (no
// capabilities: the path of most services). Beside each: the same process
// doing nothing, timed from spawn to exit, so the cost is seen against a
// process's own start-up.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { alternate, summarize, table, fmt } = require('./harness');
const { EXTRA_NODES, extraNode } = require('../scripts/nodes');

const POLICY = 'node-service';
const UNPRIV_UID = 65534;
const GOAL_NODE = 24;

// The child: its mode is 'nothing', 'first' (lockdown() is the first use of
// the addon) or 'loaded' (the addon loaded at start, then prepare and apply
// timed apart). It starts a worker and warms the pool first; prints µs as JSON.
function childSource(root, mode) {
  return `
const { Worker } = require('node:worker_threads');
const fs = require('node:fs');
const now = () => process.hrtime.bigint();
const us = (a, b) => Number(b - a) / 1e3;
const r0 = now();
const sbx = require(${JSON.stringify(root)});
const r1 = now();
if (${JSON.stringify(mode)} === 'loaded') sbx.presets();
const w = new Worker('require("node:worker_threads").parentPort.postMessage(1)', { eval: true });
w.once('message', async () => {
  await Promise.all([1, 2, 3, 4].map(() => fs.promises.stat('/')));
  const threads = fs.readdirSync('/proc/self/task').length;
  const out = { req: us(r0, r1), threads, uid: process.getuid(), node: process.version };
  if (${JSON.stringify(mode)} === 'first') {
    const t0 = now();
    sbx.lockdown(${JSON.stringify(POLICY)}, { cwd: '/tmp' });
    out.first = us(t0, now());
  } else if (${JSON.stringify(mode)} === 'loaded') {
    const t0 = now();
    const p = sbx.prepareLockdown(${JSON.stringify(POLICY)}, { cwd: '/tmp' });
    const t1 = now();
    p.apply();
    out.prep = us(t0, t1);
    out.apply = us(t1, now());
  }
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
});`;
}

// The checkout may live where uid 65534 cannot read (a clone under /root):
// the package is mirrored into a world-readable temp directory, as the
// tests do (test/helpers/unpriv.ts), and so is a Node binary out of its reach.
function unprivPackage(root, dir) {
  fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
  for (const f of ['sbx.node', 'libsbx.so', 'sbx-launcher']) {
    fs.copyFileSync(path.join(root, 'build', 'Release', f), path.join(dir, 'build', 'Release', f));
  }
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  return dir;
}

function worldRunnable(file) {
  try {
    if ((fs.statSync(file).mode & 0o005) !== 0o005) return false;
    for (let d = path.dirname(file); ; d = path.dirname(d)) {
      if ((fs.statSync(d).mode & 0o001) === 0) return false;
      if (d === path.dirname(d)) return true;
    }
  } catch {
    return false;
  }
}

function unprivNode(bin, dir, major) {
  const real = fs.realpathSync(bin);
  if (worldRunnable(real)) return real;
  const copy = path.join(dir, `node${major}`, 'node');
  fs.mkdirSync(path.dirname(copy), { recursive: true });
  fs.copyFileSync(real, copy);
  spawnSync('chmod', ['-R', 'a+rX', path.dirname(copy)]);
  fs.chmodSync(copy, 0o755);
  return copy;
}

/** The Nodes to measure: this one, and 22 and 24 (installed when missing); [{ major, bin, version } | { major, error }]. */
function nodes() {
  const own = Number(process.versions.node.split('.')[0]);
  const list = [{ major: own, bin: process.execPath, version: process.version }];
  for (const major of EXTRA_NODES) {
    if (major === own) continue;
    list.push(extraNode(major, { out: process.stderr }));
  }
  return list.sort((a, b) => a.major - b.major);
}

module.exports = {
  name: 'self',
  title: 'Self door: lockdown() latency in a running Node process',
  async run({ root, quick }) {
    const iterations = quick ? 10 : 200;
    const isRoot = process.getuid() === 0;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-self-'));
    fs.chmodSync(tmp, 0o755);
    const all = nodes();
    const versions = all.filter((n) => n.version);
    const missing = all.filter((n) => !n.version);
    const users = [isRoot ? { key: 'root', label: 'root', opts: {}, pkg: root } : { key: 'user', label: `uid ${process.getuid()}`, opts: {}, pkg: root }];
    if (isRoot) {
      users.push({ key: 'unpriv', label: `uid ${UNPRIV_UID}`, opts: { uid: UNPRIV_UID, gid: UNPRIV_UID }, pkg: unprivPackage(root, path.join(tmp, 'pkg')) });
    }
    // One case per Node version and user: its samples from inside the processes.
    const cases = [];
    const contenders = [];
    for (const n of versions) {
      for (const u of users) {
        const node = u.opts.uid !== undefined ? unprivNode(n.bin, tmp, n.major) : n.bin;
        const c = { key: `${n.major}-${u.key}`, node: n, user: u, rec: { req: [], first: [], prep: [], apply: [], total: [], threads: [] } };
        cases.push(c);
        for (const mode of ['nothing', 'first', 'loaded']) {
          const script = path.join(tmp, `${c.key}-${mode}.js`);
          fs.writeFileSync(script, childSource(u.pkg, mode), { mode: 0o644 });
          const name = `Node ${n.major}, ${mode === 'nothing' ? 'nothing' : mode === 'first' ? 'first lockdown()' : 'addon loaded + lockdown()'} (${u.label})`;
          contenders.push({
            name,
            run: () => {
              // libuv drops the supplementary groups with setgid(): uid 65534
              // runs with no capabilities at all, as after setpriv --clear-groups.
              const r = spawnSync(node, [script], { encoding: 'utf8', cwd: '/tmp', ...u.opts });
              if (r.status !== 0) throw new Error(`bench child (${name}) failed (${r.status}): ${r.stderr}`);
              if (mode === 'nothing') return;
              const v = JSON.parse(r.stdout);
              if (u.opts.uid !== undefined && v.uid !== u.opts.uid) throw new Error(`bench child ran as uid ${v.uid}`);
              if (v.node !== n.version) throw new Error(`bench child ran on Node ${v.node}, not ${n.version}`);
              c.rec.req.push(v.req);
              c.rec.threads.push(v.threads);
              if (mode === 'first') c.rec.first.push(v.first);
              else {
                c.rec.prep.push(v.prep);
                c.rec.apply.push(v.apply);
                c.rec.total.push(v.prep + v.apply);
              }
            },
          });
        }
      }
    }
    let result;
    try {
      // Warm-up runs are recorded too; dropped below.
      result = await alternate({ contenders, iterations });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    const stats = {};
    for (const c of cases) {
      const s = {};
      for (const [k, v] of Object.entries(c.rec)) {
        // Each mode recorded iterations + warm-up samples (req and threads: two modes).
        const keep = k === 'req' || k === 'threads' ? 2 * iterations : iterations;
        s[k] = summarize(v.slice(v.length - keep));
        c.rec[k] = v.slice(v.length - keep);
      }
      stats[c.key] = s;
    }
    const goalCases = cases.filter((c) => c.node.major === GOAL_NODE);
    const goals = goalCases.flatMap((c) => {
      const s = stats[c.key];
      const who = `Node ${c.node.major}, ${c.user.label}`;
      return [
        {
          goal: `first lockdown() in a fresh process, loading the addon, under 1 ms (median, ${who})`,
          measured: `${fmt(s.first.median / 1000, 2)} ms`,
          pass: s.first.median < 1000,
        },
        { goal: `lockdown() with the addon loaded under 1 ms in total (median, ${who})`, measured: `${fmt(s.total.median, 0)} µs`, pass: s.total.median < 1000 },
        { goal: `apply under 300 µs (median, ${who})`, measured: `${fmt(s.apply.median, 0)} µs`, pass: s.apply.median < 300 },
      ];
    });
    if (!goalCases.length) {
      goals.push({ goal: `first lockdown() in a fresh process under 1 ms on Node ${GOAL_NODE}`, measured: `not measured: Node ${GOAL_NODE} unavailable`, pass: false });
    }
    const row = (name, s, d = 0) => [name, fmt(s.median, d), fmt(s.p90, d), fmt(s.p99, d), fmt(s.min, d), fmt(s.max, d)];
    const who = (c) => `Node ${c.node.major} (${c.node.version}), ${c.user.label}`;
    const markdown = [
      `\`lockdown('${POLICY}')\` measured inside ${iterations} fresh Node processes per Node version, user and case (after`,
      `warm-ups), each with its usual threads plus one worker_thread and a warmed libuv pool (median ${stats[cases[0].key].threads.median}`,
      `threads on ${cases[0].node.version}). Node versions: ${versions.map((n) => n.version).join(', ')} (the system Node and the`,
      'official builds in build/nodes/, scripts/nodes.js)' +
        (missing.length ? `; not measured: ${missing.map((n) => `Node ${n.major} (${n.error}; install with: ${n.command})`).join(', ')}.` : '.'),
      ...(isRoot
        ? [`As root and as uid ${UNPRIV_UID} (no capabilities), alternating in one run: as root every thread also drops its`,
            `bounding set (about 40 capabilities, one credential change each); uid ${UNPRIV_UID} has nothing to drop.`]
        : [`As uid ${process.getuid()} only (the bench did not run as root: no root row).`]),
      '',
      '**The first call**, as a service makes it: `require(\'sbx\')` at start, and `lockdown()` later as the first use of',
      'the addon, which it loads (finds `sbx.node`, checks its two siblings, dlopen) before the core prepares and',
      'applies for the first time in the process. Timed from before the call to its return; `require(\'sbx\')` is timed',
      'on its own (its medians over both kinds of process):',
      '',
      table(
        ['Node, user', "require('sbx') median ms", 'first lockdown() median ms', 'p90 ms', 'p99 ms', 'min ms', 'max ms'],
        cases.map((c) => {
          const s = stats[c.key];
          return [who(c), fmt(s.req.median / 1000, 2), fmt(s.first.median / 1000, 2), fmt(s.first.p90 / 1000, 2), fmt(s.first.p99 / 1000, 2), fmt(s.first.min / 1000, 2), fmt(s.first.max / 1000, 2)];
        }),
      ),
      '',
      '**With the addon loaded beforehand** (`sbx.presets()` right after `require(\'sbx\')`): "prepare" is',
      '`prepareLockdown()` (parse, compile the filter, open paths, build the Landlock ruleset: nothing applied),',
      '"apply" is `.apply()` (rlimits, capabilities, no_new_privs and Landlock on every thread by signal, seccomp',
      'with TSYNC, loaded while the threads work when the filter allows what they still do; and the report it',
      'returns):',
      '',
      table(['inside the process', 'median µs', 'p90 µs', 'p99 µs', 'min µs', 'max µs'], cases.flatMap((c) => [
        row(`prepare (${who(c)})`, stats[c.key].prep),
        row(`apply (${who(c)})`, stats[c.key].apply),
        row(`total (${who(c)})`, stats[c.key].total),
      ])),
      '',
      'Wall time of the whole process beside the same process doing nothing (same Node, same user):',
      '',
      table(
        ['whole process (spawn to exit)', 'median ms', 'p90 ms', 'p99 ms', 'ratio'],
        // Each lockdown row against the same Node and user's process doing nothing.
        result.rows.map((r, i) => {
          const base = result.rows[i - (i % 3)];
          const ratio = summarize(r.samples.map((v, j) => v / base.samples[j])).median;
          return [r.name, fmt(r.stats.median, 1), fmt(r.stats.p90, 1), fmt(r.stats.p99, 1), `${fmt(ratio, 3)}x`];
        }),
      ),
    ].join('\n');
    const charts = [
      {
        file: 'bench-self-first.svg',
        title: `First lockdown('${POLICY}') in a fresh process, addon load included`,
        kind: 'latency',
        unit: 'µs',
        rows: cases.map((c) => ({ name: `Node ${c.node.major}, ${c.user.label}`, samples: c.rec.first })),
      },
      {
        file: 'bench-self-lockdown.svg',
        title: `lockdown('${POLICY}') with the addon loaded, inside the process`,
        kind: 'latency',
        unit: 'µs',
        rows: cases.flatMap((c) => [
          { name: `prepare (Node ${c.node.major}, ${c.user.label})`, samples: c.rec.prep },
          { name: `apply (Node ${c.node.major}, ${c.user.label})`, samples: c.rec.apply },
        ]),
      },
      { file: 'bench-self-process.svg', title: 'Whole Node process, spawn to exit', kind: 'latency', rows: result.rows },
    ];
    return {
      markdown,
      goals,
      data: { inner: stats, nodes: all.map(({ major, version, error }) => ({ major, version, error })), processes: result.rows.map(({ samples, ...r }) => r) },
      charts,
    };
  },
};
