'use strict';
// minijail: the public minijail policies of test/fixtures/minijail (crosvm's
// device policies, ChromeOS platform2 services, minijail's example) compiled
// by sbx and by minijail's own compiler, tools/compile_seccomp_policy.py
// (its default, optimised binary-search layout), per architecture:
// BPF instructions executed per syscall (every number of the table, zero
// arguments, counted by the test interpreter; bench/minijail.c) and compile
// time. minijail is not a package of Debian or npm and is never committed
// here: the bench uses $MINIJAIL_DIR (a minijail checkout, the variable
// crosvm's build reads), build/peers/minijail, or compile_seccomp_policy on
// PATH, and otherwise tries a shallow git clone into build/peers/minijail;
// without it the comparison rows say "not measured".
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { table } = require('./harness');
const { nativeHelper } = require('./native');

const MINIJAIL_GIT = 'https://github.com/google/minijail';

/** [command, ...args] that runs minijail's compiler, and where it came from; or { missing: why }. */
function minijailCompiler(root) {
  const peer = path.join(root, 'build', 'peers', 'minijail');
  const script = (dir) => path.join(dir, 'tools', 'compile_seccomp_policy.py');
  const py = spawnSync('python3', ['--version']).status === 0;
  if (process.env.MINIJAIL_DIR && fs.existsSync(script(process.env.MINIJAIL_DIR)) && py) {
    return { cmd: ['python3', script(process.env.MINIJAIL_DIR)], from: '$MINIJAIL_DIR' };
  }
  if (spawnSync('sh', ['-c', 'command -v compile_seccomp_policy']).status === 0) {
    return { cmd: ['compile_seccomp_policy'], from: 'compile_seccomp_policy on PATH' };
  }
  if (!py) return { missing: 'python3 is not installed' };
  if (!fs.existsSync(script(peer))) {
    process.stderr.write(`bench: minijail: cloning minijail's compiler into ${path.relative(root, peer)}\n`);
    fs.rmSync(peer, { recursive: true, force: true });
    spawnSync('git', ['clone', '-q', '--depth', '1', MINIJAIL_GIT, peer], { stdio: 'ignore', timeout: 120_000 });
  }
  if (fs.existsSync(script(peer))) return { cmd: ['python3', script(peer)], from: 'build/peers/minijail' };
  return { missing: `minijail's compiler not found and not fetched (set MINIJAIL_DIR to a checkout of ${MINIJAIL_GIT})` };
}

/** The corpus: { arch: [{ name, file }] }, crosvm's include prefix rewritten in a temporary copy as crosvm's jail/build.rs does. */
function corpus(root, tmp, quick) {
  const fix = path.join(root, 'test', 'fixtures', 'minijail');
  const out = { x86_64: [], aarch64: [] };
  const take = (list) => (quick ? list.slice(0, 3) : list);
  for (const arch of Object.keys(out)) {
    const crosvm = path.join(tmp, 'crosvm', arch);
    fs.mkdirSync(crosvm, { recursive: true });
    for (const f of fs.readdirSync(path.join(fix, 'crosvm', arch))) {
      const text = fs.readFileSync(path.join(fix, 'crosvm', arch, f), 'utf8');
      fs.writeFileSync(path.join(crosvm, f), text.replaceAll('/usr/share/policy/crosvm', '.'));
    }
    const policies = (dir) => fs.readdirSync(dir).filter((f) => f.endsWith('.policy')).sort().map((f) => path.join(dir, f));
    for (const file of take(policies(crosvm))) out[arch].push({ name: `crosvm/${arch}/${path.basename(file)}`, file });
    for (const file of take(policies(path.join(fix, 'platform2', arch)))) out[arch].push({ name: `platform2/${arch}/${path.basename(file)}`, file });
  }
  out.x86_64.push({ name: 'minijail/examples/cat.policy', file: path.join(fix, 'minijail', 'examples', 'cat.policy') });
  return out;
}

const mean = (v) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);
const median = (v) => (v.length ? [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] : NaN);

module.exports = {
  name: 'minijail',
  title: 'minijail policies: sbx vs minijail\'s compiler',
  async run({ root, quick }) {
    const bin = nativeHelper(root, 'bench_minijail', 'minijail.c');
    const mj = minijailCompiler(root);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-minijail-'));
    const rows = [];
    try {
      const sets = corpus(root, tmp, quick);
      for (const [arch, list] of Object.entries(sets)) {
        const argv = [arch];
        for (const p of list) {
          p.arch = arch;
          p.bpf = '-';
          if (mj.cmd) {
            const bpf = path.join(tmp, `${arch}-${rows.length}-${path.basename(p.file)}.bpf`);
            const denylist = /^\s*@denylist\b/m.test(fs.readFileSync(p.file, 'utf8')) ? ['--denylist'] : [];
            const constants = path.join(root, 'test', 'fixtures', 'minijail', 'crosvm', arch, 'constants.json');
            const t0 = process.hrtime.bigint();
            const r = spawnSync(mj.cmd[0], [...mj.cmd.slice(1), '--use-kill-process', ...denylist, '--arch-json', constants, p.file, bpf], { encoding: 'utf8' });
            p.mjMs = Number(process.hrtime.bigint() - t0) / 1e6;
            if (r.status === 0) p.bpf = bpf;
            else p.mjError = (r.stderr || '').trim().split('\n').pop();
          }
          argv.push(p.file, p.bpf);
          rows.push(p);
        }
        const out = spawnSync(bin, argv, { encoding: 'utf8', maxBuffer: 1 << 26 });
        if (out.status !== 0) throw new Error(`bench_minijail ${arch}: ${out.stderr}`);
        for (const line of out.stdout.trim().split('\n')) {
          const f = line.split(' ');
          const p = list.find((x) => x.file === f[0]);
          if (!p) continue;
          if (f[2] === 'sbx-failed') {
            p.sbxError = f.slice(3).join(' ');
            continue;
          }
          Object.assign(p, { us: +f[2], insns: +f[3], avg: +f[4], worst: +f[5] });
          if (f[6] !== '-') Object.assign(p, { mjInsns: +f[6], mjAvg: +f[7], mjWorst: +f[8] });
        }
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }

    const compiled = rows.filter((r) => r.avg !== undefined);
    const both = compiled.filter((r) => r.mjAvg !== undefined);
    const summary = ['x86_64', 'aarch64', 'all'].map((arch) => {
      const mine = compiled.filter((r) => arch === 'all' || r.arch === arch);
      const pair = both.filter((r) => arch === 'all' || r.arch === arch);
      // sbx's own figures over every policy it compiled when minijail's compiler is missing
      const ours = mj.cmd ? pair : mine;
      return {
        arch,
        policies: mine.length,
        avg: mean(ours.map((r) => r.avg)),
        mjAvg: mean(pair.map((r) => r.mjAvg)),
        insns: mean(ours.map((r) => r.insns)),
        mjInsns: mean(pair.map((r) => r.mjInsns)),
        paired: pair.length,
        usMedian: median(mine.map((r) => r.us)),
        usMax: Math.max(...mine.map((r) => r.us)),
        mjMs: median(pair.map((r) => r.mjMs)),
      };
    });
    const all = summary[2];
    const measured = mj.cmd && all.paired > 0;
    const goals = [
      {
        goal: 'minijail policies: BPF instructions executed per syscall, averaged over the corpus, no more than minijail\'s compiler (BST)',
        measured: measured ? `${all.avg.toFixed(2)} vs ${all.mjAvg.toFixed(2)} (${all.paired} policies)` : `not measured: ${mj.missing ?? 'no policy compiled by minijail'}`,
        pass: measured ? all.avg <= all.mjAvg : null,
      },
      {
        goal: 'minijail policies: every policy compiles (import + resolve + BPF) in under 1 ms',
        measured: compiled.length ? `max ${all.usMax.toFixed(0)} µs, median ${all.usMedian.toFixed(0)} µs (${compiled.length} policies)` : 'no policy compiled',
        pass: compiled.length ? all.usMax < 1000 : false,
      },
    ];
    const failures = rows.filter((r) => r.sbxError || r.mjError);
    const worse = both.filter((r) => r.avg > r.mjAvg).sort((a, b) => (b.avg - b.mjAvg) - (a.avg - a.mjAvg)).slice(0, 5);
    const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '—');
    const markdown = [
      `${rows.length} public minijail policies of test/fixtures/minijail${quick ? ' (quick run: the first 3 of each directory)' : ''}, each compiled by sbx`,
      'and by minijail\'s `tools/compile_seccomp_policy.py` (`--use-kill-process`, `--denylist` for a @denylist policy, its default',
      `binary-search layout, minijail's constants of crosvm's constants.json; source: ${mj.from ?? 'not found'}).`,
      '"insns/syscall" is the number of BPF instructions executed for each syscall number of the architecture\'s table',
      '(zero arguments), averaged over the numbers and then over the policies both compiled; "program" the mean program length.',
      'sbx\'s compile time is the median of 101 runs of the whole import (reading the files, parsing, translating), resolve and',
      'BPF generation; minijail\'s is one run of its compiler process, Python\'s start included, so it says little beside sbx\'s.',
      '',
      table(
        ['arch', 'policies', 'sbx insns/syscall', 'minijail insns/syscall', 'sbx program', 'minijail program', 'sbx compile µs (median / max)', 'minijail compile ms (median)'],
        summary.map((s) => [s.arch, s.policies, f2(s.avg), mj.cmd ? f2(s.mjAvg) : 'not measured', f2(s.insns), mj.cmd ? f2(s.mjInsns) : 'not measured',
          `${s.usMedian.toFixed(1)} / ${s.usMax.toFixed(1)}`, mj.cmd ? s.mjMs.toFixed(0) : 'not measured']),
      ),
      '',
      worse.length
        ? `Policies where sbx executes more per syscall than minijail: ${worse.map((r) => `${r.name} (${f2(r.avg)} vs ${f2(r.mjAvg)})`).join(', ')}${both.filter((r) => r.avg > r.mjAvg).length > 5 ? ', ...' : ''}.`
        : (measured ? 'sbx executes no more instructions per syscall than minijail on any policy of the corpus.' : ''),
      failures.length ? `Not compiled: ${failures.map((r) => `${r.name} (${r.sbxError ? `sbx: ${r.sbxError}` : `minijail: ${r.mjError}`})`).join('; ')}.` : '',
    ].join('\n');
    return { markdown, goals, data: rows.map(({ file, bpf, ...r }) => r) };
  },
};
