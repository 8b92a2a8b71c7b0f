'use strict';
// preload: what the preload door adds to a process start. `/bin/true` and
// `python3 -c pass`, each with and without `SBX_POLICY=strict
// LD_PRELOAD=libsbx.so`, run alternately in one process (harness.alternate);
// the difference of the medians is the door's cost (load the library, parse
// and merge the preset, compile the filter, build the Landlock ruleset,
// apply), and the goal of the preload issue is under 300 µs. Beside them,
// the kernel floor: bench/preload_floor.c makes the same system calls for
// the same rules and program (taken from sbx) and does nothing else, so the
// floor row is what the kernel and this machine charge for confining a
// process this way, and the rest of the door's cost is sbx's own work.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { alternate, latencyTable, summarize, fmt } = require('./harness');
const { nativeHelper } = require('./native');

const GOAL_US = 300;

function libPath(root) {
  const lib = path.join(root, 'build', 'Release', 'libsbx.so');
  if (!fs.existsSync(lib)) throw new Error(`${lib} is not built (npm run build:native)`);
  return lib;
}

const UNPRIV_UID = 65534;

// Landlock's bit order (include/uapi/linux/landlock.h), for sbx's names.
const FS_RIGHTS = ['execute', 'write_file', 'read_file', 'read_dir', 'remove_dir', 'remove_file', 'make_char',
  'make_dir', 'make_reg', 'make_sock', 'make_fifo', 'make_block', 'make_sym', 'refer', 'truncate', 'ioctl_dev'];
const SCOPES = ['abstract_unix_socket', 'signal'];
const bits = (names, order) => names.reduce((v, n) => {
  const i = order.indexOf(n);
  if (i < 0) throw new Error(`unknown Landlock name ${n}`);
  return v | (1n << BigInt(i));
}, 0n).toString(16);

// What libsbx.so enforces for `policy` started in `cwd` with `env` ($HOME,
// $TMPDIR), as the floor library's environment: the ruleset sbx prepares
// (its report) and the program it loads.
function floorEnv(root, policy, cwd, env) {
  const addon = require(path.join(root, 'build', 'Release', 'sbx.node'));
  const saved = { HOME: process.env.HOME, TMPDIR: process.env.TMPDIR };
  let report;
  try {
    Object.assign(process.env, { HOME: env.HOME, TMPDIR: env.TMPDIR });
    report = JSON.parse(addon.reportPrepared(addon.prepareSelf(policy, { cwd, noPathCheck: true })));
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const ll = report.enforced.landlock;
  const { bpf } = addon.compile(policy, undefined, { cwd });
  return {
    SBX_FLOOR_FS: bits(ll.handledFs, FS_RIGHTS),
    SBX_FLOOR_SCOPED: bits(ll.scopes, SCOPES),
    SBX_FLOOR_RULES: ll.fs.map((r) => `${bits(r.access, FS_RIGHTS)}=${r.path}`).join('\n'),
    SBX_FLOOR_BPF: Buffer.from(bpf).toString('hex'),
  };
}

// The floor must confine as the door does, or it measures nothing: seccomp
// and no_new_privs on, a file outside the rules unreadable, one inside read.
function checkFloor(env, cwd) {
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-outside-'));
  try {
    fs.writeFileSync(path.join(outside, 'f'), 'x');
    fs.writeFileSync(path.join(cwd, 'inside'), 'x');
    const cat = (f) => spawnSync('/bin/cat', [f], { cwd, env, encoding: 'utf8' });
    const status = cat('/proc/self/status').stdout;
    if (!/^Seccomp:\s+2$/m.test(status) || !/^NoNewPrivs:\s+1$/m.test(status)) {
      throw new Error(`the kernel floor library did not confine cat: ${status}`);
    }
    if (cat(path.join(outside, 'f')).status === 0 || cat(path.join(cwd, 'inside')).status !== 0) {
      throw new Error('the kernel floor library does not enforce the Landlock rules of strict');
    }
  } finally {
    fs.rmSync(outside, { recursive: true, force: true });
  }
}

module.exports = {
  name: 'preload',
  title: 'Preload door: process start with and without libsbx.so (strict)',
  async run({ root, quick }) {
    const isRoot = process.getuid() === 0;
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-preload-'));
    // uid 65534 must be able to read the library and use the directory.
    fs.chmodSync(cwd, 0o777);
    // The libraries outside the writable working directory: the door
    // refuses to load from where the program may write (preload_guard.c).
    const libDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-preload-lib-'));
    fs.chmodSync(libDir, 0o755);
    const lib = path.join(libDir, 'libsbx.so');
    fs.copyFileSync(libPath(root), lib);
    fs.chmodSync(lib, 0o755);
    const floorLib = path.join(libDir, 'preload_floor.so');
    fs.copyFileSync(nativeHelper(root, 'bench_preload_floor', 'preload_floor.c', 'preload_floor.so'), floorLib);
    fs.chmodSync(floorLib, 0o755);
    const base = { PATH: '/usr/bin:/bin', HOME: cwd, TMPDIR: cwd, LANG: 'C.UTF-8' };
    const door = { ...base, SBX_POLICY: 'strict', LD_PRELOAD: lib };
    const floor = { ...base, ...floorEnv(root, 'strict', cwd, base), LD_PRELOAD: floorLib };
    checkFloor(floor, cwd);
    // A python3 start (~8-15 ms, p90 about 1 ms above the median here) needs
    // more samples than /bin/true for its difference of medians to be
    // within a few tens of µs: at 200 it moved by ±100 µs between runs.
    const programs = [
      { label: '/bin/true', cmd: '/bin/true', args: [], iterations: quick ? 15 : 300 },
      { label: 'python3 -c pass', cmd: '/usr/bin/python3', args: ['-c', 'pass'], iterations: quick ? 15 : 500 },
    ];
    // As root the door also drops ~40 capabilities from the bounding set (one
    // credential change each); uid 65534 has none to drop. Both alternate in
    // one run when the bench runs as root.
    // The floor drops capabilities where the door has some to drop (root).
    const users = [{ key: isRoot ? 'root' : 'user', label: isRoot ? 'root' : `uid ${process.getuid()}`, opts: {}, caps: isRoot }];
    if (isRoot) users.push({ key: 'unpriv', label: `uid ${UNPRIV_UID}`, opts: { uid: UNPRIV_UID, gid: UNPRIV_UID }, caps: false });
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
          { name: `${p.label} + kernel floor (${u.label})`, run: start(u.caps ? { ...floor, SBX_FLOOR_CAPS: '1' } : floor, u.opts) },
          { name: `${p.label} + preload strict (${u.label})`, run: start(door, u.opts) },
        ]);
        const res = await alternate({ contenders, iterations: p.iterations, warmup: 5 });
        // Each row against the same user's plain start, run by run.
        res.rows.forEach((r, i) => {
          const plain = res.rows[i - (i % 3)];
          r.ratio = summarize(r.samples.map((v, j) => v / plain.samples[j])).median;
        });
        rows.push(...res.rows);
        const added = [];
        users.forEach((u, k) => {
          const [plain, bare, confined] = res.rows.slice(3 * k, 3 * k + 3);
          const addedUs = (confined.stats.median - plain.stats.median) * 1000;
          const floorUs = (bare.stats.median - plain.stats.median) * 1000;
          data[`${p.label} (${u.label})`] = {
            plainMs: plain.stats.median, floorMs: bare.stats.median, preloadMs: confined.stats.median,
            addedUs, floorUs, aboveFloorUs: addedUs - floorUs, ratio: confined.ratio,
          };
          goals.push({
            goal: `preload door adds under ${GOAL_US} µs to process start (${p.label}, ${u.label})`,
            measured: `+${fmt(addedUs, 0)} µs (${fmt(plain.stats.median)} → ${fmt(confined.stats.median)} ms)`,
            pass: addedUs < GOAL_US,
          });
          added.push(`${fmt(addedUs, 0)} µs as ${u.label} (kernel floor ${fmt(floorUs, 0)} µs, sbx's own work ${fmt(addedUs - floorUs, 0)} µs)`);
        });
        sections.push(`### ${p.label}`, '', `${p.iterations} iterations per contender.`, '', latencyTable({ ...res, baseline: 'the same user without the door' }), '',
          `Added by the door (difference of medians): ${added.join(', ')}.`, '');
      }
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
      fs.rmSync(libDir, { recursive: true, force: true });
    }
    const markdown = [
      'Each start is `spawnSync` from Node (fork/exec, wait), contenders alternating after a warm-up (iterations per',
      'program below).',
      '"+ preload strict" is `SBX_POLICY=strict LD_PRELOAD=libsbx.so`: the constructor loads the',
      'strict preset, builds the Landlock ruleset and applies everything before `main()` (the preset\'s filter is',
      'compiled at build time). The spawn overhead of Node itself is in both columns and cancels out in the difference.',
      '"+ kernel floor" is bench/preload_floor.c in LD_PRELOAD: a constructor that makes only the system calls libsbx.so',
      'makes for strict (the same Landlock rules and seccomp program, taken from sbx; rlimit, no_new_privs, and as root',
      'the capability drops), with nothing read, checked or reported: what the kernel and this machine charge. The',
      "door's cost minus the floor's is sbx's own work (library, policy, checks, page faults).",
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
