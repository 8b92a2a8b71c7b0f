'use strict';
// cli: `sbx run -- /bin/true` as a shell, a Makefile or an agent's harness
// runs it (issue 22): the package's `sbx` command (dist/sbx, the launcher
// as the native front end: no Node) beside bubblewrap --unshare-all,
// firejail --noprofile, the launcher alone (policy on fd 3, as sbx.spawn
// starts it), the shell fallback (bin/sbx.sh), today's TypeScript front
// end (node dist/cli.js) and plain /bin/true, all started the same way
// (child_process.spawn from this process) and run alternately. Then where
// the time of `sbx run` goes, one step added at a time.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { alternate, latencyTable, table, fmt } = require('./harness');

const GOAL = 1.0;
const MOONSHOT = 0.7;
const TRUE = '/bin/true';
const BWRAP_ARGS = ['--unshare-all', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'];

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

/** Start, wait for 'close'; reject unless it exited 0. `input`: written to fd 3 (a socketpair), then closed. */
function run(label, file, args, { cwd, env, input } = {}) {
  return () =>
    new Promise((resolve, reject) => {
      const stdio = ['ignore', 'ignore', 'pipe'];
      if (input !== undefined) stdio.push('pipe');
      const child = spawn(file, args, { cwd, env, stdio });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
      if (input !== undefined) {
        child.stdio[3].on('error', () => {});
        child.stdio[3].resume();
        child.stdio[3].end(input);
      }
      child.once('error', reject);
      child.once('close', (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`${label}: exit ${code ?? signal}: ${stderr.trim().slice(0, 300)}`)),
      );
    });
}

async function tryOnce(fn) {
  try {
    await fn();
    return null;
  } catch (e) {
    return e.message;
  }
}

module.exports = {
  name: 'cli',
  aptPackages: { bwrap: 'bubblewrap', firejail: 'firejail' },
  title: '`sbx run` from a shell: the native front end beside bubblewrap, firejail and the launcher alone',
  async run({ root, quick }) {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-cli-'));
    const env = { ...process.env, PWD: cwd };
    const o = { cwd, env };
    const sbxBin = path.join(root, 'dist', 'sbx');
    const launcher = fs.realpathSync(sbxBin);
    const iterations = quick ? 15 : 150;
    const goals = [];
    const notes = [];
    const unavailable = [];
    try {
      const isNative = fs.lstatSync(sbxBin).isSymbolicLink() && path.basename(launcher) === 'sbx-launcher';
      if (!isNative) notes.push(`dist/sbx is not a link to the launcher here (${launcher}): run \`npm run build:ts\` after the native build`);
      const SBX = 'sbx run -- /bin/true (dist/sbx: native)';
      const BWRAP = 'bwrap --unshare-all';
      const contenders = [];
      const bwrap = which('bwrap');
      if (bwrap) contenders.push({ name: BWRAP, run: run(BWRAP, bwrap, [...BWRAP_ARGS, TRUE], o) });
      contenders.push({ name: SBX, run: run(SBX, sbxBin, ['run', '--', TRUE], o) });
      contenders.push({ name: 'sbx-launcher alone (policy on fd 3)', run: run('launcher', launcher, ['--', TRUE], { ...o, input: 'default' }) });
      contenders.push({ name: 'sbx run via bin/sbx.sh (the fallback)', run: run('sh fallback', path.join(root, 'bin', 'sbx.sh'), ['run', '--', TRUE], o) });
      const firejail = which('firejail');
      const fj = { name: 'firejail --noprofile', run: run('firejail', firejail ?? 'firejail', ['--noprofile', '--quiet', TRUE], o) };
      const fjWhy = firejail ? await tryOnce(fj.run) : 'not installed (Debian: firejail)';
      if (fjWhy) unavailable.push(`firejail: ${fjWhy.split('\n')[0]}`);
      else contenders.push(fj);
      contenders.push({ name: '/bin/true (no sandbox)', run: run('true', TRUE, [], o) });
      for (const c of contenders) {
        const why = await tryOnce(c.run);
        if (why) throw new Error(`cli bench: ${why}`);
      }
      const lat = await alternate({ contenders, iterations, warmup: 3, baseline: bwrap ? BWRAP : SBX });

      // The TypeScript front end costs a Node start: measured apart, fewer times.
      const ts = await alternate({
        contenders: [
          { name: SBX, run: run(SBX, sbxBin, ['run', '--', TRUE], o) },
          { name: 'node dist/cli.js run -- /bin/true (before)', run: run('node cli', process.execPath, [path.join(root, 'dist', 'cli.js'), 'run', '--', TRUE], o) },
        ],
        iterations: quick ? 5 : 30,
        warmup: 1,
      });

      // Where the time goes: each row adds one step to the one before.
      const steps = await alternate({
        contenders: [
          { name: 'exec of the binary (sbx-launcher --version)', run: run('version', launcher, ['--version'], o) },
          { name: '+ flags and policy text (sbx run, SBX_RUN_PRINT_POLICY=1)', run: run('print', sbxBin, ['run', '--', TRUE], { ...o, env: { ...env, SBX_RUN_PRINT_POLICY: '1' } }) },
          { name: '+ policy load and plan (sbx-launcher --explain)', run: run('explain', launcher, ['--explain', '--', TRUE], { ...o, input: 'default' }) },
          { name: '+ namespaces, view, confinement, exec, wait (launcher alone)', run: run('launcher', launcher, ['--', TRUE], { ...o, input: 'default' }) },
          { name: '= sbx run -- /bin/true', run: run(SBX, sbxBin, ['run', '--', TRUE], o) },
        ],
        iterations,
        warmup: 3,
      });
      const med = steps.rows.map((r) => r.stats.median);
      const stepRows = steps.rows.map((r, i) => [r.name, fmt(r.stats.median), i === 0 ? fmt(med[0]) : i === 4 ? `${fmt(med[4] - med[3])} (front end beyond the launcher)` : fmt(med[i] - med[i - 1])]);

      const row = (n) => lat.rows.find((r) => r.name === n);
      const s = row(SBX);
      const data = { latency: lat.rows.map((r) => ({ name: r.name, ...r.stats, ratio: r.ratio })), ts: ts.rows.map((r) => ({ name: r.name, ...r.stats })), steps: steps.rows.map((r) => ({ name: r.name, ...r.stats })), unavailable };
      if (bwrap) {
        const b = row(BWRAP);
        const ratio = s.stats.median / b.stats.median;
        data.ratio = ratio;
        goals.push({
          goal: `sbx run -- /bin/true from a shell ≤ ${GOAL}x bwrap --unshare-all (median, same run)`,
          measured: `${fmt(ratio, 2)}x (median ${fmt(s.stats.median)} ms vs ${fmt(b.stats.median)} ms; pairwise ${fmt(s.ratio, 2)}x)${isNative ? '' : '; dist/sbx not native'}`,
          pass: ratio <= GOAL && isNative,
        });
        goals.push({
          goal: `moonshot: ≤ ${MOONSHOT}x bwrap --unshare-all`,
          measured: `${fmt(ratio, 2)}x`,
          pass: ratio <= MOONSHOT && isNative,
        });
      } else {
        unavailable.push('bwrap: not installed (Debian: bubblewrap)');
        goals.push({ goal: `sbx run -- /bin/true from a shell ≤ ${GOAL}x bwrap --unshare-all`, measured: 'not measured: bwrap is not installed', pass: false });
      }
      const md = [
        `\`/bin/true\` started by child_process.spawn from one Node process, ${iterations} iterations after 3 of warm-up, all contenders alternating; ratio: the median of the pairwise ratios to ${lat.baseline}. Every sbx row uses the default policy (every namespace, Landlock, seccomp).`,
        '',
        latencyTable(lat),
        '',
        ...(unavailable.length ? [`Unavailable here: ${unavailable.join('; ')}.`, ''] : []),
        `Before issue 22 the \`sbx\` command was Node (${quick ? 5 : 30} iterations each, alternating):`,
        '',
        table(['front end', 'median ms', 'p90 ms'], ts.rows.map((r) => [r.name, fmt(r.stats.median), fmt(r.stats.p90)])),
        '',
        'Where the time of `sbx run -- /bin/true` goes (one step added per row, alternating; step: the difference of the medians):',
        '',
        table(['up to', 'median ms', 'step ms'], stepRows),
        '',
        ...notes.map((n) => `Note: ${n}.`),
        '',
        table(['goal', 'measured', 'result'], goals.map((g) => [g.goal, g.measured, g.pass ? 'PASS' : 'FAIL'])),
      ].join('\n');
      return { markdown: md, goals, data };
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  },
};
