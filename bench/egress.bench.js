'use strict';
// egress: what egress by name (net.hosts, docs/network.md) costs, with the
// goals of issue 19:
//   - spawning with net.hosts at most 1.2x a spawn without (sbx.spawn of
//     /bin/true, alternating; the direct launcher and the spawn server);
//   - time to first byte through the egress path within 1 ms of a direct
//     connection to a local server from `--net host` (curl, a process per
//     request; and one client process making many connections);
//   - a 100 MB download through it at least 0.8x the direct throughput.
// The server is in a network namespace the bench makes (bench/egress_world.sh:
// a veth pair, 10.78.0.2), so it needs root; without, those rows say NOT
// MEASURED and why.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { alternate, latencyTable, summarize, table, fmt } = require('./harness');

const GOAL_SPAWN_RATIO = 1.2;
const GOAL_TTFB_MS = 1;
const GOAL_DOWNLOAD_RATIO = 0.8;
const TRUE = '/bin/true';
const HOSTS = { extends: 'default', net: { hosts: ['10.78.0.2:8080'] } };

function startChecked(label, start) {
  return () =>
    new Promise((resolve, reject) => {
      const child = start();
      let err = '';
      child.stderr?.setEncoding('utf8').on('data', (d) => (err += d));
      child.once('error', reject);
      child.once('close', (code, sig) => (code === 0 ? resolve() : reject(new Error(`${label}: exit ${code ?? sig}: ${err.slice(0, 300)}`))));
    });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = {
  name: 'egress',
  title: 'Egress by name: spawn, time to first byte and throughput through the egress path',
  async run({ root, quick }) {
    const sbx = require(root);
    const goals = [];
    const notes = [];
    // 2 vCPUs shared with other work: the figures depend on how busy it was
    const loadAtStart = os.loadavg();
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-egress-'));
    const opts = { cwd, stdio: ['ignore', 'ignore', 'pipe'] };
    const pause = 20; // off the clock: a network namespace is torn down after its sandbox

    // --- spawn ---
    const iterations = quick ? 10 : 60;
    const paced = (f) => async () => {
      await f();
      await sleep(pause);
    };
    const rows = [
      { name: 'sbx.spawn default, direct launcher', run: paced(startChecked('default', () => sbx.spawn(TRUE, [], { ...opts, server: false }))) },
      { name: 'sbx.spawn net.hosts, direct launcher', run: paced(startChecked('hosts', () => sbx.spawn(TRUE, [], { ...opts, server: false, policy: HOSTS }))) },
      { name: 'sbx.spawn default, spawn server', run: paced(startChecked('default server', () => sbx.spawn(TRUE, [], opts))) },
      { name: 'sbx.spawn net.hosts, spawn server', run: paced(startChecked('hosts server', () => sbx.spawn(TRUE, [], { ...opts, policy: HOSTS }))) },
    ];
    const lat = await alternate({ contenders: rows, iterations, warmup: 3 });
    // The pause is inside each timed run: the same for every row, taken out of the figures.
    for (const r of lat.rows) {
      r.samples = r.samples.map((v) => v - pause);
      r.stats = summarize(r.samples);
    }
    const pairRatio = (a, b) => summarize(lat.rows[a].samples.map((v, i) => v / lat.rows[b].samples[i])).median;
    const directRatio = pairRatio(1, 0);
    const serverRatio = pairRatio(3, 2);
    for (const r of lat.rows) r.ratio = summarize(r.samples.map((v, i) => v / lat.rows[0].samples[i])).median;
    goals.push({
      goal: `spawning with net.hosts ≤ ${GOAL_SPAWN_RATIO}x a spawn without (direct launcher)`,
      measured: `${fmt(directRatio, 2)}x (${fmt(lat.rows[1].stats.median)} vs ${fmt(lat.rows[0].stats.median)} ms)`,
      pass: directRatio <= GOAL_SPAWN_RATIO,
    });
    goals.push({
      goal: `spawning with net.hosts ≤ ${GOAL_SPAWN_RATIO}x a spawn without (spawn server)`,
      measured: `${fmt(serverRatio, 2)}x (${fmt(lat.rows[3].stats.median)} vs ${fmt(lat.rows[2].stats.median)} ms)`,
      pass: serverRatio <= GOAL_SPAWN_RATIO,
    });

    // --- the network: in a namespace of the bench's own ---
    const need = ['ip', 'unshare', 'nsenter', 'curl'].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
    let why = '';
    if (process.getuid?.() !== 0) why = 'needs root (the bench makes a network namespace with a veth pair)';
    else if (need.length) why = `needs ${need.join(', ')}`;
    else if (!fs.existsSync('/usr/bin/python3')) why = 'needs /usr/bin/python3 (the local server)';
    let net = null;
    const bytes = 100 * 1000 * 1000;
    const rounds = quick ? 3 : 10;
    const perRound = quick ? 10 : 30;
    // a download takes well under a second: enough of them that a loaded machine's noise evens out
    const dlRounds = quick ? 4 : 15;
    if (!why) {
      const r = spawnSync(
        path.join(__dirname, 'egress_world.sh'),
        [cwd, '--', process.execPath, path.join(__dirname, 'egress_net.js'), path.join(root, 'dist', 'cli.js'), String(rounds), String(perRound), String(dlRounds), String(bytes)],
        { encoding: 'utf8', cwd, timeout: 1_800_000 },
      );
      if (r.status === 0) net = JSON.parse(r.stdout.trim().split('\n').pop());
      else why = `the bench's network did not run: exit ${r.status}: ${(r.stderr || '').trim().slice(0, 300)}`;
    }
    const ttfbRows = [];
    const ttfbClientRows = [];
    const dlRows = [];
    if (net) {
      const med = (k) => summarize(net.ttfb[k]).median;
      for (const k of ['direct', 'transparent', 'proxy']) {
        const s = summarize(net.ttfb[k]);
        ttfbRows.push([k, fmt(s.median), fmt(s.p90), fmt(s.min), fmt(s.max), k === 'direct' ? '' : `+${fmt(s.median - med('direct'))}`]);
        const d = summarize(net.download[k]);
        dlRows.push([k, fmt(d.median / 1e6, 0), fmt(d.min / 1e6, 0), fmt(d.max / 1e6, 0), `${fmt(d.median / summarize(net.download.direct).median, 2)}x`]);
      }
      const medC = (k) => summarize(net.ttfbClient[k]).median;
      for (const k of ['direct', 'transparent', 'proxy']) {
        const s = summarize(net.ttfbClient[k]);
        ttfbClientRows.push([k, fmt(s.median), fmt(s.p90), fmt(s.min), fmt(s.max), k === 'direct' ? '' : `+${fmt(s.median - medC('direct'))}`]);
      }
      for (const k of ['transparent', 'proxy']) {
        const extra = med(k) - med('direct');
        goals.push({
          goal: `time to first byte through the egress path (${k}) within ${GOAL_TTFB_MS} ms of a direct connection (curl, a process per request)`,
          measured: `+${fmt(extra)} ms (${fmt(med(k))} vs ${fmt(med('direct'))} ms)`,
          pass: extra <= GOAL_TTFB_MS,
        });
        const extraC = medC(k) - medC('direct');
        goals.push({
          goal: `time to first byte through the egress path (${k}) within ${GOAL_TTFB_MS} ms of a direct connection (one client, many connections)`,
          measured: `+${fmt(extraC)} ms (${fmt(medC(k))} vs ${fmt(medC('direct'))} ms)`,
          pass: extraC <= GOAL_TTFB_MS,
        });
        const ratio = summarize(net.download[k]).median / summarize(net.download.direct).median;
        goals.push({
          goal: `100 MB download through the egress path (${k}) ≥ ${GOAL_DOWNLOAD_RATIO}x direct`,
          measured: `${fmt(ratio, 2)}x (${fmt(summarize(net.download[k]).median / 1e6, 0)} vs ${fmt(summarize(net.download.direct).median / 1e6, 0)} MB/s)`,
          pass: ratio >= GOAL_DOWNLOAD_RATIO,
        });
      }
    } else {
      for (const g of [
        `time to first byte through the egress path within ${GOAL_TTFB_MS} ms of a direct connection`,
        `100 MB download through the egress path ≥ ${GOAL_DOWNLOAD_RATIO}x direct`,
      ])
        goals.push({ goal: g, measured: why, pass: null });
      notes.push(`Not measured: ${why}.`);
    }
    fs.rmSync(cwd, { recursive: true, force: true });

    const load = (l) => l.map((x) => x.toFixed(1)).join(' ');
    const md = [
      `Load average (1, 5, 15 min) at the start: ${load(loadAtStart)}; at the end: ${load(os.loadavg())}.`,
      '',
      `Spawn: \`sbx.spawn('${TRUE}')\` with the \`default\` policy, and with \`net.hosts\` added (${JSON.stringify(HOSTS.net.hosts)}:`,
      'the egress process, the listeners and the resolver in the sandbox\'s namespace, the socket supervisor);',
      `${iterations} iterations per row after 3 warm-up rounds, alternating, ${pause} ms pause after each run (taken out).`,
      'Ratios pair by pair, then the median; the goal compares the rows of the same path (direct launcher, spawn server).',
      '',
      latencyTable(lat),
      '',
      'Network: a server in a network namespace the bench makes (`bench/egress_world.sh`: veth pair, 10.78.0.2:8080,',
      '`bench/egress_server.py`); the same `curl` requests from a sandbox with `--net host` (direct), from one with',
      "`--allow-host 10.78.0.2:8080` and `--noproxy '*'` (transparent: `connect()` caught by the supervisor, the",
      'egress process connects), and from that one through `HTTP_PROXY` (proxy). Times are curl\'s own',
      '(`time_starttransfer`, `speed_download`), so no process start is in them.',
      '',
      ...(net
        ? [
            `Time to first byte: ${rounds} rounds of ${perRound} requests per kind (a new connection each), kinds alternating.`,
            '',
            table(['path', 'median ms', 'p90 ms', 'min ms', 'max ms', 'vs direct ms'], ttfbRows),
            '',
            `The same from one client process (\`bench/egress_client.py\`): ${rounds} rounds of ${perRound * 5} connections per kind,`,
            'each timed from `connect()` to the first byte of the reply, kinds alternating: no process start between',
            'connections, where curl\'s rows have one per request (its start, its resolver thread) and, on a loaded',
            'machine, a wait for a CPU at each of them.',
            '',
            table(['path', 'median ms', 'p90 ms', 'min ms', 'max ms', 'vs direct ms'], ttfbClientRows),
            '',
            `Download of ${bytes / 1e6} MB: ${dlRounds} per kind, alternating.`,
            '',
            table(['path', 'median MB/s', 'min MB/s', 'max MB/s', 'ratio to direct'], dlRows),
            '',
          ]
        : []),
      ...notes.flatMap((n) => [n, '']),
    ].join('\n');
    return { markdown: md, goals, data: { spawn: lat.rows.map((r) => ({ name: r.name, stats: r.stats })), net } };
  },
};
