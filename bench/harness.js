'use strict';
// Benchmark harness: contenders run alternately (A B C A B C ...) after a
// warm-up, so that drift in machine load hits every contender alike; ratios
// are computed pair by pair (iteration i of X over iteration i of the
// baseline) and summarised by their median.
const os = require('node:os');

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, median: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99), min: s[0], max: s[s.length - 1] };
}

/**
 * contenders: [{ name, run: async () => void }], the first is the baseline
 * unless `baseline` names another. Returns { rows: [{ name, stats(ms), ratio }] }.
 */
async function alternate({ contenders, iterations, warmup = 3, baseline }) {
  const base = baseline ?? contenders[0].name;
  const samples = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (let i = 0; i < warmup + iterations; i++) {
    for (const c of contenders) {
      const t0 = process.hrtime.bigint();
      await c.run();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (i >= warmup) samples[c.name].push(ms);
    }
  }
  const rows = contenders.map((c) => {
    const ratios = samples[c.name].map((v, i) => v / samples[base][i]);
    return { name: c.name, stats: summarize(samples[c.name]), ratio: summarize(ratios).median, samples: samples[c.name] };
  });
  return { baseline: base, rows };
}

function machineFacts(probe) {
  return {
    kernel: os.release(),
    arch: os.arch(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    landlockAbi: probe?.landlock?.abi ?? null,
  };
}

const fmt = (v, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

function table(headers, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

function latencyTable(result, unit = 'ms') {
  return table(
    ['contender', `median ${unit}`, `p90 ${unit}`, `p99 ${unit}`, `min ${unit}`, `max ${unit}`, `ratio to ${result.baseline}`],
    result.rows.map((r) => [r.name, fmt(r.stats.median), fmt(r.stats.p90), fmt(r.stats.p99), fmt(r.stats.min), fmt(r.stats.max), `${fmt(r.ratio, 2)}x`]),
  );
}

module.exports = { alternate, summarize, quantile, machineFacts, table, latencyTable, fmt };
