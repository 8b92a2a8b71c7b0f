#!/usr/bin/env node
'use strict';
// `npm run bench [-- <name>...] [--quick] [--json] [--no-write] [--write]`
// Runs the benchmarks in bench/*.bench.js (each measures sbx beside its peers
// in the same run), prints their tables, and, for a full run of every
// benchmark, rewrites docs/benchmarks.md. A run of named benchmarks with
// --write replaces only their sections, goal rows and charts there, and says
// in the page's first lines when they were measured again.
const fs = require('node:fs');
const path = require('node:path');
const { machineFacts, table } = require('./harness');

const root = path.resolve(__dirname, '..');

async function main() {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const json = args.includes('--json');
  const names = args.filter((a) => !a.startsWith('--'));
  const all = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.js'))
    .sort()
    .map((f) => require(path.join(__dirname, f)));
  const unknown = names.filter((n) => !all.some((b) => b.name === n));
  if (unknown.length) {
    process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')} (have: ${all.map((b) => b.name).join(', ')})\n`);
    process.exit(2);
  }
  const selected = names.length ? all.filter((b) => names.includes(b.name)) : all;

  installPeers(selected);

  let probe = null;
  try {
    probe = require(root).probe();
  } catch {
    /* facts without Landlock ABI */
  }
  const facts = machineFacts(probe);
  const results = [];
  for (const b of selected) {
    if (!json) process.stderr.write(`bench: ${b.name}...\n`);
    const r = await b.run({ quick, root });
    results.push({ name: b.name, title: b.title, ...r });
  }

  if (json) {
    // Chart specs carry every raw sample: the figures are in `data`.
    process.stdout.write(JSON.stringify({ facts, quick, results: results.map(({ charts, ...r }) => r) }, null, 2) + '\n');
  } else {
    const write = !quick && !args.includes('--no-write') && (!names.length || args.includes('--write'));
    if (write) writeCharts(results);
    const out = render(facts, quick, results);
    process.stdout.write(out);
    const doc = path.join(root, 'docs', 'benchmarks.md');
    if (write) fs.writeFileSync(doc, names.length ? splice(fs.readFileSync(doc, 'utf8'), facts, results, names) : out);
  }
}

/**
 * A benchmark may return `charts: [{ file, title, kind, ... }]` (bench/svg.js);
 * on a full run they are drawn into docs/charts/<file> and linked under the
 * benchmark's section (r.chartLinks, read by render()).
 */
function writeCharts(results) {
  const { renderChart } = require('./svg');
  const dir = path.join(root, 'docs', 'charts');
  fs.mkdirSync(dir, { recursive: true });
  for (const r of results) {
    r.chartLinks = [];
    for (const c of r.charts ?? []) {
      const file = path.basename(c.file);
      fs.writeFileSync(path.join(dir, file), renderChart(c));
      r.chartLinks.push(`![${c.title}](charts/${file})`);
    }
  }
}

/**
 * Peers come from Debian's packages: a benchmark lists them as
 * `aptPackages: { command: package }`; missing ones are installed (as root)
 * so that a fresh machine measures the same contenders. Without root, the
 * benchmark reports the peer as unavailable with the reason.
 */
function installPeers(benches) {
  const { spawnSync } = require('node:child_process');
  const want = Object.assign({}, ...benches.map((b) => b.aptPackages ?? {}));
  const missing = Object.entries(want)
    .filter(([cmd]) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0)
    .map(([, pkg]) => pkg);
  if (!missing.length || process.getuid?.() !== 0) return;
  process.stderr.write(`bench: installing peers: ${missing.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { stdio: 'ignore', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', env });
    r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { stdio: 'ignore', env });
  }
  if (r.status !== 0) process.stderr.write(`bench: could not install ${missing.join(' ')}: those peers will be reported as unavailable\n`);
}

/**
 * docs/benchmarks.md with the sections and goal rows of `results` replaced
 * (a benchmark new to the page is appended), the rest as it was.
 */
function splice(doc, facts, results, names) {
  const today = new Date().toISOString().slice(0, 10);
  // The machine of this run, which may not be the one of the page's table.
  const machine = `*Measured on ${today} (\`npm run bench -- ${names.join(' ')} --write\`) on: ` +
    `${Object.entries(facts).map(([k, v]) => `${k} ${v}`).join(', ')}.*`;
  const parts = doc.split(/^(?=## )/m);
  const goalRows = (r) => (r.goals ?? []).map((g) => `| ${[r.name, g.goal, g.measured, g.pass === null ? 'NOT MEASURED' : g.pass ? 'PASS' : 'FAIL'].join(' | ')} |`);
  for (const r of results) {
    const heading = `## ${r.title ?? r.name}`;
    const body = [heading, '', machine, '', r.markdown.trim(), '', ...(r.chartLinks ?? []).flatMap((l) => [l, '']), ''].join('\n');
    const i = parts.findIndex((p) => p.split('\n')[0].trim() === heading);
    if (i >= 0) parts[i] = body;
    else parts.push(body);
    const g = parts.findIndex((p) => p.startsWith('## Goals'));
    if (g >= 0) {
      const lines = parts[g].split('\n');
      const mine = (l) => l.startsWith(`| ${r.name} | `);
      const at = lines.findIndex(mine);
      const kept = lines.filter((l) => !mine(l));
      const end = kept.reduce((last, l, k) => (l.startsWith('|') ? k : last), 0);
      kept.splice(at >= 0 ? at : end + 1, 0, ...goalRows(r));
      parts[g] = kept.join('\n');
    }
  }
  // The first lines say what was measured when.
  parts[0] = parts[0].replace(/^(Written by `npm run bench`[^\n]*?)(?:; measured again on .*?\))?\.$/m,
    `$1; measured again on ${today}: ${names.join(', ')} (\`npm run bench -- ${names.join(' ')} --write\`).`);
  return parts.join('');
}

function render(facts, quick, results) {
  const goals = results.flatMap((r) => (r.goals ?? []).map((g) => [r.name, g.goal, g.measured, g.pass === null ? 'NOT MEASURED' : g.pass ? 'PASS' : 'FAIL']));
  const parts = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\`${quick ? ' --quick (smoke run: figures not meaningful)' : ''} on ${new Date().toISOString().slice(0, 10)}.`,
    'Each benchmark measures sbx and its peers in the same run on this machine; where processes are timed, contenders',
    'run alternately after a warm-up and ratios are taken per pair of iterations, then the median.',
    '',
    '## Machine',
    '',
    table(['fact', 'value'], Object.entries(facts).map(([k, v]) => [k, String(v)])),
    '',
  ];
  if (goals.length) parts.push('## Goals', '', table(['benchmark', 'goal', 'measured', 'result'], goals), '');
  for (const r of results) {
    parts.push(`## ${r.title ?? r.name}`, '', r.markdown.trim(), '');
    if (r.chartLinks?.length) parts.push(...r.chartLinks.flatMap((l) => [l, '']));
  }
  return parts.join('\n');
}

main().catch((e) => {
  process.stderr.write(`bench: ${e.stack ?? e}\n`);
  process.exit(1);
});
