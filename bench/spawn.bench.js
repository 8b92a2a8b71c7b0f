'use strict';
// spawn: what the spawn door costs beside its peers, all measured in this
// one Node process. Latency: `/bin/true` started by plain
// `child_process.spawn`, by `sbx.spawn` (default policy: every namespace +
// Landlock + seccomp; and the same policy without namespaces), by bubblewrap
// `--unshare-all`, by firejail `--noprofile` and by
// @anthropic-ai/sandbox-runtime (which drives bubblewrap on Linux), run
// alternately after a warm-up, with a pause off the clock between runs; `sbx run` from a shell is
// timed against `sh -c /bin/true` in a second table, because a Node start is
// in it. Then throughput (sandboxes per second at concurrency 1, 8, 32, 128)
// and memory (RSS of the parent and of each live sandbox's own processes).
// A peer that cannot run here is listed with the exact reason, never faked.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { latencyTable, summarize, table, fmt } = require('./harness');

const GOAL_PLAIN_RATIO = 1.5;
const GOAL_BWRAP_FACTOR = 3;
// issue 24: at least 0.9x plain child_process.spawn at concurrency 32
const GOAL_THROUGHPUT = 0.9;

const TRUE = '/bin/true';
const KINDS = ['user', 'pid', 'net', 'mount', 'ipc', 'uts', 'cgroup'];
/** The default policy with only the namespace kinds named (docs/policy.md, `namespaces`). */
const nsPolicy = (...on) => ({ extends: 'default', namespaces: Object.fromEntries(KINDS.map((k) => [k, on.includes(k)])) });
const NO_NAMESPACES = nsPolicy();
const BWRAP_ARGS = ['--unshare-all', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'];
const FIREJAIL_ARGS = ['--noprofile', '--quiet'];

function which(name) {
  for (const dir of (process.env.PATH || '/usr/bin:/bin').split(':')) {
    const p = path.join(dir || '.', name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** Start a process, wait for 'close'; resolve with { code, signal, stderr }. */
function runChild(start) {
  return new Promise((resolve, reject) => {
    const child = start();
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stderr, child }));
  });
}

/** A contender's run(): fails loudly if the command did not exit 0. */
function checked(label, start) {
  return async () => {
    const r = await runChild(start);
    if (r.code !== 0) throw new Error(`${label}: exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(0, 400)}`);
  };
}

const quiet = { stdio: ['ignore', 'ignore', 'pipe'] };

const COLD = 'sbx.spawn default, nothing prepared ahead';
const DIRECT = 'sbx.spawn default, direct launcher (server: false)';

/** Run fn with one environment variable set (read by sbx.spawn at the call). */
function withEnv(name, value, fn) {
  const old = process.env[name];
  process.env[name] = value;
  try {
    return fn();
  } finally {
    if (old === undefined) delete process.env[name];
    else process.env[name] = old;
  }
}

/** The spawn server of this process and what it keeps besides running sandboxes: its RSS/PSS and its prepared sandboxes'. */
function serverFootprint(serverPid, running) {
  const self = readStatus(serverPid);
  const prepared = childrenOf(serverPid).filter((p) => !running.has(p));
  let rss = 0;
  let pss = 0;
  let procs = 0;
  for (const top of prepared) {
    for (const p of [top, ...descendantsOf(top)]) {
      const st = readStatus(p);
      if (!st) continue;
      procs++;
      rss += st.rss;
      pss += st.pss;
    }
  }
  return { self, prepared: prepared.length, procs, rss, pss };
}

function descendantsOf(pid) {
  const out = [];
  for (const c of childrenOf(pid)) out.push(c, ...descendantsOf(c));
  return out;
}

/** Try a peer once; null when it works, else the reason it cannot run here. */
async function tryOnce(run) {
  try {
    await run();
    return null;
  } catch (e) {
    return String(e.message ?? e).split('\n')[0];
  }
}

async function sandboxRuntime(cwd) {
  let mod;
  try {
    mod = await import('@anthropic-ai/sandbox-runtime');
  } catch (e) {
    return { reason: `@anthropic-ai/sandbox-runtime is not installed (npm install): ${e.message}` };
  }
  const { SandboxManager } = mod;
  const config = {
    network: { allowedDomains: [], deniedDomains: [] },
    filesystem: { denyRead: [], allowWrite: [cwd], denyWrite: [] },
  };
  const missing = ['bwrap', 'socat', 'rg'].filter((t) => !which(t));
  if (missing.length) return { reason: `needs ${missing.join(', ')} on PATH (Debian: bubblewrap, socat, ripgrep)` };
  try {
    await SandboxManager.initialize(config);
  } catch (e) {
    return { reason: `SandboxManager.initialize failed: ${String(e.message ?? e).split('\n')[0]}` };
  }
  const wrapMs = [];
  const run = async () => {
    const t0 = process.hrtime.bigint();
    const cmd = await SandboxManager.wrapWithSandbox(TRUE);
    wrapMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const r = await runChild(() => spawn(cmd, { shell: true, cwd, ...quiet }));
    if (r.code !== 0) throw new Error(`sandbox-runtime: exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(0, 400)}`);
  };
  const reason = await tryOnce(run);
  return { run, reason, wrapMs, reset: () => SandboxManager.reset() };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * harness.alternate with a pause before each timed run, off the clock. A
 * network namespace is torn down after its last process exits, by a kernel
 * worker (cleanup_net, with RCU grace periods): without the pause that work
 * lands on whichever contender runs next (on this 2-CPU machine the pid row
 * of the breakdown, which follows the net row, showed +3.7 ms without the
 * pause and +1.2 ms with it), so the row after sbx, bwrap or sandbox-runtime
 * would pay for them. The teardown is still counted where it belongs, in the
 * throughput table, where nothing pauses.
 */
async function alternateSettled({ contenders, iterations, warmup = 3, settleMs }) {
  const samples = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (let i = 0; i < warmup + iterations; i++) {
    for (const c of contenders) {
      await sleep(settleMs);
      const t0 = process.hrtime.bigint();
      await c.run();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (i >= warmup) samples[c.name].push(ms);
    }
  }
  const base = contenders[0].name;
  const rows = contenders.map((c) => ({
    name: c.name,
    stats: summarize(samples[c.name]),
    ratio: pairRatio(samples[c.name], samples[base]),
    samples: samples[c.name],
  }));
  return { baseline: base, rows };
}

/** Pair by pair ratio a[i] / b[i], median. */
function pairRatio(a, b) {
  return summarize(a.map((v, i) => v / b[i])).median;
}

// --- where the time goes ---------------------------------------------------

/** The launcher started directly, the policy on fd 3 from a file (no channel). */
function launcherRun(launcher, dir, label, policy) {
  const file = path.join(dir, `policy-${label.replace(/[^a-z0-9]+/gi, '-')}.json`);
  fs.writeFileSync(file, typeof policy === 'string' ? policy : JSON.stringify(policy));
  return checked(label, () => {
    const fd = fs.openSync(file, 'r');
    try {
      return spawn(launcher, ['--policy-fd', '3', '--', TRUE], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe', fd] });
    } finally {
      fs.closeSync(fd);
    }
  });
}

/**
 * Each step of the default sandbox alone, timed in one alternating run: the
 * exec hop (`env /bin/true`), the launcher with an empty policy, with the
 * default policy's Landlock + seccomp, then one namespace kind at a time on
 * top, then all of them (the default). Costs are pairwise differences.
 */
async function breakdown(launcher, dir, iterations, settleMs) {
  const steps = [
    ['/bin/true', null, 'the baseline'],
    ['env /bin/true', 'ENV', 'one more exec: what any wrapper pays'],
    ['launcher, empty policy', { namespaces: nsPolicy().namespaces }, 'the launcher binary: load, read the policy, setsid, no_new_privs, exec'],
    ['launcher, default, no namespaces', nsPolicy(), 'the default policy: parse + merge the preset, compile seccomp, Landlock ruleset, apply'],
    ['+ user', nsPolicy('user'), 'unshare(CLONE_NEWUSER) and the setgroups/uid_map/gid_map writes'],
    ['+ user, ipc, uts, cgroup', nsPolicy('user', 'ipc', 'uts', 'cgroup'), 'three cheap namespaces'],
    ['+ user, net', nsPolicy('user', 'net'), "a network namespace (the kernel's setup_net) and loopback up"],
    ['+ user, pid', nsPolicy('user', 'pid'), 'a pid namespace: the init process (one more fork, exit and reap)'],
    ['+ user, mount', nsPolicy('user', 'mount'), 'mount namespace and the new root: tmpfs, binds, /proc, /dev, pivot_root'],
    ['default (all)', 'default', 'everything'],
  ];
  const contenders = steps.map(([name, pol]) => ({
    name,
    run:
      pol === null
        ? checked(name, () => spawn(TRUE, [], { cwd: dir, ...quiet }))
        : pol === 'ENV'
          ? checked(name, () => spawn('/usr/bin/env', [TRUE], { cwd: dir, ...quiet }))
          : launcherRun(launcher, dir, name, pol),
  }));
  const res = await alternateSettled({ contenders, iterations, warmup: 3, settleMs });
  const med = Object.fromEntries(res.rows.map((r) => [r.name, r.stats.median]));
  const ref = {
    'env /bin/true': '/bin/true',
    'launcher, empty policy': 'env /bin/true',
    'launcher, default, no namespaces': 'launcher, empty policy',
    '+ user': 'launcher, default, no namespaces',
    '+ user, ipc, uts, cgroup': '+ user',
    '+ user, net': '+ user',
    '+ user, pid': '+ user',
    '+ user, mount': '+ user',
    'default (all)': '/bin/true',
  };
  const diff = {};
  const rows = steps.map(([name, , what]) => {
    const r = res.rows.find((x) => x.name === name);
    const base = ref[name];
    if (!base) return [name, fmt(r.stats.median), fmt(r.stats.p90), '', what];
    const b = res.rows.find((x) => x.name === base);
    const d = summarize(r.samples.map((v, i) => (v - b.samples[i]) * 1000)).median;
    diff[name] = d;
    return [name, fmt(r.stats.median), fmt(r.stats.p90), `${d < 0 ? '−' : '+'}${fmt(Math.abs(d), 0)} µs over ${base}`, what];
  });
  return { res, med, diff, rows };
}

// --- throughput ------------------------------------------------------------

async function throughput(start, total, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      await start();
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return total / s;
}

// --- memory ----------------------------------------------------------------

function readStatus(pid) {
  try {
    const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(st)?.[1] ?? NaN);
    let pss = NaN;
    try {
      pss = Number(/^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN);
    } catch {
      /* no smaps_rollup */
    }
    return { rss, pss };
  } catch {
    return null;
  }
}

function childrenOf(pid) {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function comm(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * The sandbox's own processes: everything from the started process down to,
 * not including, the program (`sleep`). For sbx: launcher + init.
 */
function overheadProcesses(pid) {
  const out = [];
  let frontier = [pid];
  while (frontier.length) {
    const next = [];
    for (const p of frontier) {
      if (comm(p) === 'sleep') continue;
      out.push(p);
      next.push(...childrenOf(p));
    }
    frontier = next;
  }
  return out;
}

async function waitFor(cond, ms) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** Start n sandboxes running `sleep 5`, measure, kill them. */
async function memory(label, start, n) {
  global.gc?.();
  const before = process.memoryUsage().rss;
  const children = [];
  const closed = [];
  for (let i = 0; i < n; i++) {
    const c = start();
    children.push(c);
    closed.push(new Promise((r) => c.once('close', r)));
  }
  // live = the program (sleep) runs under every one of them
  const live = (c) => {
    const stack = [c.pid];
    while (stack.length) {
      const p = stack.pop();
      if (comm(p) === 'sleep') return true;
      stack.push(...childrenOf(p));
    }
    return false;
  };
  const ok = await waitFor(() => children.every(live), 10_000);
  const parentRss = process.memoryUsage().rss;
  let rss = 0;
  let pss = 0;
  let procs = 0;
  for (const c of children) {
    for (const p of overheadProcesses(c.pid)) {
      const s = readStatus(p);
      if (!s) continue;
      procs++;
      rss += s.rss;
      pss += s.pss;
    }
  }
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(closed);
  if (!ok) throw new Error(`${label}: not all ${n} sandboxes were running sleep within 10 s`);
  return {
    label,
    n,
    parentDeltaKiB: (parentRss - before) / 1024 / n,
    procsPer: procs / n,
    rssKiB: rss / n,
    pssKiB: pss / n,
  };
}

module.exports = {
  name: 'spawn',
  // Debian packages of the peers; bench/run.js installs the missing ones first.
  aptPackages: { bwrap: 'bubblewrap', firejail: 'firejail', socat: 'socat', rg: 'ripgrep' },
  title: 'Spawn door: sbx.spawn beside child_process.spawn, bubblewrap, firejail and sandbox-runtime',
  async run({ root, quick }) {
    const sbx = require(root);
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-spawn-'));
    const opts = { cwd, ...quiet };
    const iterations = quick ? 10 : 120;
    const shellIterations = quick ? 4 : 40;
    const settleMs = quick ? 2 : 10;
    const goals = [];
    const data = {};
    const notes = [];
    const unavailable = [];
    let srt = null;

    // The default really has every namespace here (else the figure is of something else).
    const probeRun = await sbx.run(TRUE, [], { cwd });
    if (probeRun.code !== 0) throw new Error(`sbx.spawn ${TRUE} failed: ${JSON.stringify(probeRun)}`);
    const nsSkipped = probeRun.skipped.filter((s) => s.layer.startsWith('namespaces'));
    const first = sbx.spawn(TRUE, [], opts);
    const serverPid = Number(fs.readFileSync(`/proc/${first.pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    await new Promise((r) => first.once('close', r));
    const sbxDefault = nsSkipped.length ? `sbx.spawn default (skipped: ${nsSkipped.map((s) => s.layer).join(', ')})` : 'sbx.spawn default (all namespaces)';

    try {
      const contenders = [
        { name: 'child_process.spawn', run: checked('spawn', () => spawn(TRUE, [], opts)) },
        { name: sbxDefault, run: checked('sbx.spawn', () => sbx.spawn(TRUE, [], opts)) },
        { name: COLD, run: checked('sbx.spawn cold', () => withEnv('SBX_SPAWN_PREPARE', '0', () => sbx.spawn(TRUE, [], opts))) },
        { name: DIRECT, run: checked('sbx.spawn direct', () => sbx.spawn(TRUE, [], { ...opts, server: false })) },
        { name: 'sbx.spawn, no namespaces', run: checked('sbx.spawn no-ns', () => sbx.spawn(TRUE, [], { ...opts, policy: NO_NAMESPACES })) },
      ];
      const bwrap = which('bwrap');
      const bwrapRun = bwrap && checked('bwrap', () => spawn(bwrap, [...BWRAP_ARGS, TRUE], opts));
      const bwrapWhy = bwrap ? await tryOnce(bwrapRun) : 'bwrap not found (Debian package bubblewrap)';
      const bwrapName = 'bwrap --unshare-all';
      if (bwrapWhy) unavailable.push([bwrapName, bwrapWhy]);
      else contenders.push({ name: bwrapName, run: bwrapRun });

      const firejail = which('firejail');
      const fjRun = firejail && checked('firejail', () => spawn(firejail, [...FIREJAIL_ARGS, TRUE], opts));
      const fjWhy = firejail ? await tryOnce(fjRun) : 'firejail not found (Debian package firejail)';
      if (fjWhy) unavailable.push(['firejail --noprofile', fjWhy]);
      else contenders.push({ name: 'firejail --noprofile', run: fjRun });

      srt = await sandboxRuntime(cwd);
      const srtName = 'sandbox-runtime (wrap + sh)';
      if (srt.reason) unavailable.push([srtName, srt.reason]);
      else contenders.push({ name: srtName, run: srt.run });
      if (srt.wrapMs) srt.wrapMs.length = 0;

      const lat = await alternateSettled({ contenders, iterations, warmup: 3, settleMs });
      const row = (n) => lat.rows.find((r) => r.name === n);
      const plain = lat.rows[0];
      const def = row(sbxDefault);
      data.latency = lat.rows.map((r) => ({ name: r.name, ...r.stats, ratio: r.ratio }));
      data.unavailable = unavailable;
      goals.push({
        goal: `sbx.spawn with all namespaces ≤ ${GOAL_PLAIN_RATIO}x plain child_process.spawn`,
        measured: `${fmt(def.ratio, 2)}x (median ${fmt(def.stats.median)} ms vs ${fmt(plain.stats.median)} ms)${nsSkipped.length ? '; namespaces skipped here' : ''}`,
        pass: def.ratio <= GOAL_PLAIN_RATIO && nsSkipped.length === 0,
      });
      const bw = row(bwrapName);
      if (bw) {
        const factor = pairRatio(bw.samples, def.samples);
        data.bwrapFactor = factor;
        goals.push({
          goal: `sbx.spawn with all namespaces ≥ ${GOAL_BWRAP_FACTOR}x faster than bwrap --unshare-all`,
          measured: `${fmt(factor, 2)}x (median ${fmt(bw.stats.median)} ms vs ${fmt(def.stats.median)} ms)`,
          pass: factor >= GOAL_BWRAP_FACTOR,
        });
      } else {
        goals.push({ goal: `sbx.spawn with all namespaces ≥ ${GOAL_BWRAP_FACTOR}x faster than bwrap --unshare-all`, measured: `not measured: ${bwrapWhy}`, pass: false });
      }

      // sbx run from a shell: a Node start is in it, so its baseline is a shell.
      const cli = path.join(root, 'dist', 'cli.js');
      const sh = await alternateSettled({
        settleMs,
        contenders: [
          { name: 'sh -c /bin/true', run: checked('sh', () => spawn('/bin/sh', ['-c', TRUE], opts)) },
          { name: "sh -c 'node dist/cli.js run -- /bin/true'", run: checked('sbx run', () => spawn('/bin/sh', ['-c', `"${process.execPath}" "${cli}" run -- ${TRUE}`], opts)) },
          { name: "sh -c 'node -e 0'", run: checked('node -e 0', () => spawn('/bin/sh', ['-c', `"${process.execPath}" -e 0`], opts)) },
        ],
        iterations: shellIterations,
        warmup: 2,
      });
      data.shell = sh.rows.map((r) => ({ name: r.name, ...r.stats, ratio: r.ratio }));

      // Where the time goes: the launcher alone, step by step.
      const bd = await breakdown(sbx.paths.launcher, cwd, quick ? 8 : 60, settleMs);
      data.breakdown = { medianMs: bd.med, addedUs: bd.diff };

      // Throughput: a fixed number of sandboxes per level, contenders alternating per level.
      const total = quick ? 32 : 256;
      const levels = [1, 8, 32, 128];
      const startPlain = checked('spawn', () => spawn(TRUE, [], opts));
      const startSbx = checked('sbx.spawn', () => sbx.spawn(TRUE, [], opts));
      const rounds = quick ? 1 : 3;
      const tp = [];
      // The machine may be shared: its load beside the figures (1-minute average, before and after).
      const loadBefore = os.loadavg()[0];
      for (const c of levels) {
        const p = [];
        const s = [];
        for (let r = 0; r < rounds; r++) {
          p.push(await throughput(startPlain, total, c));
          s.push(await throughput(startSbx, total, c));
        }
        const pm = summarize(p).median;
        const sm = summarize(s).median;
        tp.push({ concurrency: c, plain: pm, sbx: sm, ratio: pairRatio(s, p) });
      }
      const load = [loadBefore, os.loadavg()[0]];
      data.throughput = tp;
      data.throughputLoad = load;
      const at32 = tp.find((t) => t.concurrency === 32);
      goals.push({
        goal: `sbx.spawn throughput at concurrency 32 ≥ ${GOAL_THROUGHPUT}x plain spawn's`,
        measured: `${fmt(at32.ratio, 2)}x (${fmt(at32.sbx, 0)} vs ${fmt(at32.plain, 0)} per second; load average ${fmt(load[0], 1)}-${fmt(load[1], 1)})`,
        pass: at32.ratio >= GOAL_THROUGHPUT,
      });

      // Memory while n sandboxes sleep.
      const n = quick ? 8 : 64;
      const live = { cwd, stdio: 'ignore' };
      const mem = [
        await memory('child_process.spawn', () => spawn('sleep', ['5'], live), n),
        await memory('sbx.spawn default', () => sbx.spawn('sleep', ['5'], live), n),
      ];
      // --die-with-parent so that killing bwrap after the measurement ends its sandbox too.
      if (!bwrapWhy) mem.push(await memory('bwrap --unshare-all', () => spawn(bwrap, ['--die-with-parent', ...BWRAP_ARGS, 'sleep', '5'], live), n));
      data.memory = mem;
      // The server itself and its prepared sandboxes (one per policy used above), with nothing running.
      await sleep(500);
      const fp = serverFootprint(serverPid, new Set());
      data.server = fp;

      // --- report ---
      const srtWrap = srt.wrapMs?.length ? summarize(srt.wrapMs) : null;
      if (srtWrap) {
        notes.push(
          `sandbox-runtime: \`SandboxManager.wrapWithSandbox(cmd)\` alone took a median ${fmt(srtWrap.median)} ms ` +
            `(p90 ${fmt(srtWrap.p90)}) of its row; the wrapped command runs bubblewrap (\`--unshare-net --unshare-pid ` +
            `--unshare-user\`, binds) with its socat proxy bridges and its seccomp helper, through \`sh -c\`, as its README shows.`,
        );
      }
      const md = [
        `Each row starts \`${TRUE}\` with \`child_process.spawn\` from this Node process and waits for \`close\`;`,
        `${iterations} iterations per contender after 3 warm-up rounds, contenders alternating (A B C … A B C …), with a`,
        `${settleMs} ms pause before each run, off the clock (a network namespace is torn down by a kernel worker after`,
        'its sandbox exits; without the pause the next row would pay for it);',
        'the ratio is taken pair by pair (iteration i over iteration i of the first row), then the median.',
        '',
        `- **${sbxDefault}**: \`sbx.spawn('${TRUE}')\` with no policy: the \`default\` preset inside user, pid, net, mount,`,
        '  ipc, uts and cgroup namespaces, read-only host root with tmpfs and binds, Landlock, seccomp.',
        '  The sandbox is a fork of the spawn server (one `sbx-launcher --server` per Node process), and the server has',
        '  prepared it ahead: after a sandbox of a policy ends, the next one of that policy is built (namespaces, view,',
        '  Landlock paths, its program confined up to seccomp) and waits for its request (docs/spawn.md, "The spawn',
        '  server"); the pause between runs leaves time for that, as a caller that spawns now and then would.',
        `- **${COLD}**: the same with \`SBX_SPAWN_PREPARE=0\`: the server forks and builds the whole sandbox at the`,
        '  request (the cost of a first spawn of a policy, or of a burst larger than what was prepared).',
        `- **${DIRECT}**: the same with \`server: false\`: \`child_process.spawn\` of the launcher itself, as \`sbx run\` does.`,
        '- **sbx.spawn, no namespaces**: the same policy with every `namespaces` key false (Landlock + seccomp + rlimits + setsid).',
        `- **bwrap --unshare-all**: \`bwrap ${BWRAP_ARGS.join(' ')} ${TRUE}\` (Debian bubblewrap; no seccomp, no Landlock).`,
        `- **firejail --noprofile**: \`firejail ${FIREJAIL_ARGS.join(' ')} ${TRUE}\` (Debian firejail; running as ${os.userInfo().uid === 0 ? 'root' : 'an unprivileged user'}).`,
        '- **sandbox-runtime**: @anthropic-ai/sandbox-runtime (npm), `SandboxManager.initialize()` once, then per command',
        '  `wrapWithSandbox(cmd)` and `spawn(wrapped, { shell: true })` as its README says; on Linux it drives bubblewrap.',
        '',
        latencyTable(lat),
        '',
        ...(unavailable.length ? ['Peers that could not run here:', '', table(['contender', 'why'], unavailable), ''] : []),
        ...notes.flatMap((x) => [x, '']),
        `### \`sbx run\` from a shell`,
        '',
        `${shellIterations} iterations each, alternating; a Node start (\`node -e 0\`) is part of \`sbx run\` and shown for scale.`,
        '',
        latencyTable(sh),
        '',
        '### Where the time goes',
        '',
        `The launcher (\`${path.relative(root, sbx.paths.launcher)}\`) started directly by \`child_process.spawn\` with the policy on fd 3`,
        `(no channel, no TS layer), one step added at a time; ${quick ? 8 : 60} iterations each, alternating. Cost: the median of the differences taken`,
        'pair by pair (iteration i of the row minus iteration i of the row it builds on).',
        '',
        table(['run', 'median ms', 'p90 ms', 'cost', 'what it adds'], bd.rows),
        '',
        '### Throughput',
        '',
        `${total} sandboxes of \`${TRUE}\` per level, started by that many concurrent workers, ${rounds} round(s) per level with`,
        `the contenders alternating; median sandboxes per second (machine: ${os.cpus().length} CPUs, load average`,
        `${fmt(load[0], 1)} before and ${fmt(load[1], 1)} after).`,
        '',
        table(
          ['concurrency', 'child_process.spawn /s', 'sbx.spawn default /s', 'ratio sbx / plain'],
          tp.map((t) => [String(t.concurrency), fmt(t.plain, 0), fmt(t.sbx, 0), `${fmt(t.ratio, 2)}x`]),
        ),
        '',
        '### Memory',
        '',
        `${n} sandboxes of \`sleep 5\` alive at once. Parent: growth of this Node process's RSS per live sandbox.`,
        "Per sandbox: the sandbox's own processes (everything between the parent and `sleep`; for sbx the launcher and",
        'the init, for bwrap its two processes), their RSS and PSS (shared pages divided among sharers) from /proc.',
        '',
        table(
          ['contender', 'parent RSS per sandbox KiB', 'own processes', 'RSS per sandbox KiB', 'PSS per sandbox KiB'],
          mem.map((m) => [m.label, fmt(m.parentDeltaKiB, 0), fmt(m.procsPer, 1), fmt(m.rssKiB, 0), fmt(m.pssKiB, 0)]),
        ),
        '',
        `Besides, once per Node process: the spawn server, RSS ${fmt(fp.self?.rss ?? NaN, 0)} KiB (PSS ${fmt(fp.self?.pss ?? NaN, 0)} KiB), and`,
        `${fp.prepared} prepared sandbox(es) (one per policy served, ${fp.procs} processes in all): RSS ${fmt(fp.rss, 0)} KiB, PSS ${fmt(fp.pss, 0)} KiB.`,
      ].join('\n');
      const charts = [
        { file: 'bench-spawn-latency.svg', title: `Spawn latency: ${TRUE} per contender`, kind: 'latency', rows: lat.rows },
        { file: 'bench-spawn-shell.svg', title: '`sbx run` from a shell', kind: 'latency', rows: sh.rows },
        {
          file: 'bench-spawn-throughput.svg',
          title: 'Spawn throughput against concurrency',
          kind: 'lines',
          xLabel: 'concurrent workers',
          yLabel: 'sandboxes per second (median)',
          series: [
            { name: 'child_process.spawn', points: tp.map((t) => [t.concurrency, t.plain]) },
            { name: 'sbx.spawn default', points: tp.map((t) => [t.concurrency, t.sbx]) },
          ],
        },
      ];
      return { markdown: md, goals, data, charts };
    } finally {
      if (srt?.reset) await srt.reset().catch(() => {});
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  },
};
