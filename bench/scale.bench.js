'use strict';
// scale: how loading, preparing and applying a policy grow with the number
// of Landlock rules (1, 100, 1000 directories in fs.read) and with the size
// of a seccomp allowlist (10, 100, 400 syscalls). bench/scale.c measures
// (a forked child per case per round, cases rotating); this module
// tabulates the medians. The spawn door's setup against the number of bind
// mounts (1, 10, 100) is timed here with sbx.run, cases alternating.
// No goal: issue 7 asks for the curves.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { alternate, summarize, table, fmt, latencyTable } = require('./harness');
const { nativeHelper } = require('./native');

const median = (v) => summarize(v).median;

function section(cases, unit) {
  const rows = cases.map((c) => {
    const total = c.prepare.map((v, i) => v + c.apply[i]);
    const st = summarize(total);
    return [
      c.actual === c.asked ? String(c.asked) : `${c.actual} (${c.asked} asked: all the arch has)`,
      c.insns || '—',
      fmt(median(c.load), 1),
      fmt(median(c.compile), 1),
      fmt(median(c.prepare), 1),
      fmt(median(c.apply), 1),
      fmt(st.median, 1),
      fmt(st.p90, 1),
    ];
  });
  const first = cases[0];
  const last = cases[cases.length - 1];
  const slope = (sel) => (median(sel(last)) - median(sel(first))) / (last.actual - first.actual);
  const both = (c) => c.prepare.map((v, i) => v + c.apply[i]);
  return [
    table([unit, 'program insns', 'load µs', 'compile µs', 'prepare µs', 'apply µs', 'prepare+apply µs', 'prepare+apply p90 µs'], rows),
    '',
    `Growth from ${first.actual} to ${last.actual} ${unit}: ${fmt(slope(both), 2)} µs of prepare+apply and ` +
      `${fmt(slope((c) => c.load), 2)} µs of load per ${unit.replace(/s$/, '')}.`,
  ].join('\n');
}

/** sbx.run('/bin/true') with N bind mounts (directories under /tmp, which the sandbox's private /tmp hides). */
async function mountScale(root, quick) {
  const sbx = require(root);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-mounts-'));
  const sizes = [1, 10, 100];
  try {
    const contenders = sizes.map((n) => {
      const dirs = Array.from({ length: n }, (_, i) => {
        const d = path.join(base, `${n}-${i}`);
        fs.mkdirSync(d);
        return d;
      });
      const policy = { extends: 'default', mounts: dirs.map((d) => ({ type: 'bind', source: d, target: d })) };
      return {
        name: `${n} bind mount${n > 1 ? 's' : ''}`,
        run: async () => {
          const r = await sbx.run('/bin/true', [], { policy, cwd: base });
          if (r.code !== 0) throw new Error(`sbx.run with ${n} mounts failed: ${r.reason} ${r.stderr}`);
        },
      };
    });
    const result = await alternate({ contenders, iterations: quick ? 5 : 41, warmup: 2 });
    const markdown = [
      '### Bind mounts (spawn door: `sbx.run(\'/bin/true\')` with N `mounts` of type bind)',
      '',
      'Whole spawn, all namespaces, default policy plus N read-only binds of directories under `/tmp` (each target',
      'is created in the private `/tmp`); cases alternate, ratios to 1 mount.',
      '',
      latencyTable(result),
    ].join('\n');
    const chart = {
      file: 'bench-scale-mounts.svg',
      title: 'Spawn setup against bind mounts',
      kind: 'lines',
      logX: false,
      xLabel: 'bind mounts',
      yLabel: 'median ms (sbx.run /bin/true)',
      series: [{ name: 'sbx.run', points: result.rows.map((r, i) => [sizes[i], r.stats.median]) }],
    };
    return { markdown, chart, data: result.rows.map((r, i) => ({ mounts: sizes[i], ...r.stats })) };
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

module.exports = {
  name: 'scale',
  title: 'Scale: setup time against Landlock rules and filter size',
  async run({ root, quick }) {
    const bin = nativeHelper(root, 'bench_scale', 'scale.c');
    const rounds = quick ? 15 : 201;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-scale-'));
    let out;
    try {
      out = JSON.parse(execFileSync(bin, [String(rounds), dir], { encoding: 'utf8', maxBuffer: 64 << 20 }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const landlock = out.cases.filter((c) => c.kind === 'landlock');
    const seccomp = out.cases.filter((c) => c.kind === 'seccomp');
    const data = out.cases.map((c) => ({
      kind: c.kind,
      asked: c.asked,
      actual: c.actual,
      insns: c.insns,
      ...Object.fromEntries(['load', 'compile', 'prepare', 'apply'].map((s) => [`${s}Us`, summarize(c[s])])),
    }));
    const markdown = [
      `Medians over ${rounds} rounds; each round forks one child per case (cases rotating) that loads the policy text`,
      '(`sbx_policy_load_text`: parse, expand, check that paths exist), prepares it for the self door (`sbx_prepare`:',
      'open the paths, build the Landlock ruleset, compile the filter) and applies it to itself (`sbx_prepared_apply`).',
      '"compile" is `sbx_compile_policy` alone (timed in the parent; it is also inside "prepare"), and "program insns"',
      'the length of the BPF program ("—": the policy has no seccomp section, so no filter).',
      '',
      '### Landlock rules (`fs.read` of N directories)',
      '',
      section(landlock, 'paths'),
      '',
      '### Filter size (seccomp allowlist of N syscalls, default `errno:EPERM`)',
      '',
      'The names are spread evenly over the native syscall table (exit_group, exit and write always in), so the',
      'allowlist is not one range; when the arch has fewer syscalls than asked, all of them are allowed.',
      '',
      section(seccomp, 'syscalls'),
    ].join('\n');
    // Linear x: the growth per path or per syscall reads as the slope.
    const curve = (file, title, cases, xLabel) => ({
      file,
      title,
      kind: 'lines',
      logX: false,
      xLabel,
      yLabel: 'median µs',
      series: [
        ['load', (c) => c.load],
        ['prepare', (c) => c.prepare],
        ['apply', (c) => c.apply],
        ['prepare+apply', (c) => c.prepare.map((v, i) => v + c.apply[i])],
      ].map(([name, sel]) => ({ name, points: cases.map((c) => [c.actual, median(sel(c))]) })),
    });
    const charts = [
      curve('bench-scale-landlock.svg', 'Setup time against Landlock rules', landlock, 'directories in fs.read'),
      curve('bench-scale-seccomp.svg', 'Setup time against filter size', seccomp, 'syscalls in the allowlist'),
    ];
    const mounts = await mountScale(root, quick);
    return {
      markdown: [markdown, '', mounts.markdown].join('\n'),
      goals: [],
      data: { cases: data, mounts: mounts.data },
      charts: [...charts, mounts.chart],
    };
  },
};
