'use strict';
// compile: sbx's seccomp compiler beside libseccomp on the same policies
// (bench/compile.c does the measuring in C; this module runs it, tabulates,
// and checks the goals of the compiler issue).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { table } = require('./harness');

function binary(root) {
  const bin = path.join(root, 'build', 'bench', 'bench_compile');
  if (!fs.existsSync(bin)) {
    const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
    execFileSync(process.execPath, [cmakeJs, 'configure', '--CDSBX_BUILD_TESTS=ON'], { cwd: root, stdio: 'ignore' });
    execFileSync(process.execPath, [cmakeJs, 'build'], { cwd: root, stdio: 'ignore' });
  }
  if (!fs.existsSync(bin)) throw new Error(`bench_compile was not built (is libseccomp-dev installed?)`);
  return bin;
}

module.exports = {
  name: 'compile',
  title: 'Seccomp compiler: sbx vs libseccomp',
  async run({ root }) {
    const out = execFileSync(binary(root), [], { encoding: 'utf8' });
    const rows = out
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .map(([policy, arch, compiler, us, insns, avg, worst]) => ({ policy, arch, compiler, us: +us, insns: +insns, avg: +avg, worst: +worst }));
    const find = (policy, arch, compiler) => rows.find((r) => r.policy === policy && r.arch === arch && r.compiler === compiler);
    const sbx = find('docker-default', 'x86_64', 'sbx');
    const lsc = find('docker-default', 'x86_64', 'libseccomp-O2');
    const goals = [];
    if (sbx && lsc) {
      goals.push({
        goal: 'Docker profile (x86_64): fewer BPF instructions executed per syscall on average than libseccomp binary tree',
        measured: `${sbx.avg} vs ${lsc.avg}`,
        pass: sbx.avg < lsc.avg,
      });
      goals.push({ goal: 'Docker profile (x86_64): compile in under 200 µs', measured: `${sbx.us} µs`, pass: sbx.us < 200 });
    }
    const markdown = [
      'Compile time is the median over repeated runs of resolving and compiling the same rules (sbx: spec → model → BPF;',
      'libseccomp: `seccomp_init` + the same rules + `seccomp_export_bpf`); parsing the JSON is outside both.',
      '"avg exec" and "worst" are BPF instructions executed per syscall number over every number of the table,',
      'counted by the interpreter in test/support. libseccomp-O2 is its binary-tree optimisation, O1 its default.',
      '',
      table(
        ['policy', 'arch', 'compiler', 'compile µs (median)', 'instructions', 'avg exec', 'worst exec'],
        rows.map((r) => [r.policy, r.arch, r.compiler, r.us.toFixed(1), r.insns, r.avg.toFixed(2), r.worst]),
      ),
    ].join('\n');
    return { markdown, goals, data: rows };
  },
};
