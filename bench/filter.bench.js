'use strict';
// filter: what an installed seccomp filter costs per system call, for the
// Docker default profile compiled by sbx and by libseccomp, beside no filter
// and a one-instruction allow-all filter (the floor any filter pays).
// bench/filter.c does the measuring (a forked child per contender per round,
// contenders rotating); this module summarises, tabulates and checks the
// goals of issue 7.
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { summarize, table, fmt } = require('./harness');
const { nativeHelper } = require('./native');

const CACHED = 'getppid';
const ARGS = 'personality(0xffffffff)';
const NONE = 'no filter';
const FLOOR = 'allow-all filter (1 insn)';
const SBX = 'sbx';

const median = (v) => summarize(v).median;
const pct = (r) => `${r >= 1 ? '+' : ''}${fmt((r - 1) * 100, 1)}%`;

module.exports = {
  name: 'filter',
  title: 'Seccomp filter runtime cost: sbx vs libseccomp (Docker profile)',
  async run({ root, quick }) {
    const bin = nativeHelper(root, 'bench_filter', 'filter.c');
    const rounds = quick ? 7 : 81;
    const calls = quick ? 5000 : 20000;
    const profile = path.join(root, 'test', 'fixtures', 'seccomp', 'docker-default.json');
    const out = JSON.parse(execFileSync(bin, [String(rounds), String(calls), profile], { encoding: 'utf8', maxBuffer: 64 << 20 }));

    const get = (contender, sc) => out.contenders.find((c) => c.name === contender).syscalls.find((s) => s.name === sc);
    const rows = [];
    const data = { arch: out.arch, rounds, calls, batches: out.batches, cpu: out.cpu, results: [] };
    for (const sc of [CACHED, ARGS]) {
      const base = get(NONE, sc).ns;
      for (const c of out.contenders) {
        const s = get(c.name, sc);
        const st = summarize(s.ns);
        const added = median(s.ns.map((v, i) => v - base[i]));
        const ratio = median(s.ns.map((v, i) => v / base[i]));
        data.results.push({ contender: c.name, syscall: sc, insns: c.insns, cacheable: s.cacheable, executed: s.executed, ...st, addedNs: added, ratio });
        rows.push([
          sc,
          c.name,
          c.insns || '—',
          s.cacheable === null ? '—' : s.cacheable ? 'yes' : 'no',
          c.insns ? s.executed : '—',
          fmt(st.median, 1),
          fmt(st.p90, 1),
          fmt(st.min, 1),
          c.name === NONE ? '—' : `+${fmt(added, 1)}`,
          `${fmt(ratio, 3)}x`,
        ]);
      }
    }
    const res = (contender, sc) => data.results.find((r) => r.contender === contender && r.syscall === sc);

    const goals = [];
    const cached = res(SBX, CACHED);
    const floor = res(FLOOR, CACHED);
    goals.push({
      goal: `cached syscalls within 5% of no filter (${CACHED}, Docker profile compiled by sbx)`,
      measured:
        `${pct(cached.ratio)} (${fmt(res(NONE, CACHED).median, 1)} → ${fmt(cached.median, 1)} ns/call; ` +
        `kernel cache ${cached.cacheable ? 'applies' : 'does NOT apply'}; a 1-instruction allow-all filter: ${pct(floor.ratio)})`,
      pass: cached.ratio <= 1.05,
    });
    const mine = res(SBX, ARGS);
    for (const c of out.contenders.filter((x) => x.name.startsWith('libseccomp'))) {
      const theirs = res(c.name, ARGS);
      goals.push({
        goal: `argument-checked syscalls (${ARGS}): sbx's added cost at most half of ${c.name}'s`,
        measured: `+${fmt(mine.addedNs, 1)} vs +${fmt(theirs.addedNs, 1)} ns/call (${fmt(mine.addedNs / theirs.addedNs, 2)}x)`,
        pass: mine.addedNs <= 0.5 * theirs.addedNs,
      });
    }

    const markdown = [
      `Nanoseconds per system call (raw \`syscall()\`, ${out.arch}) with the Docker default profile installed, compiled by`,
      'sbx (`{"seccomp":{"import":...}}` → `sbx_compile_policy`) and by libseccomp from the same resolved rules',
      '(test/support/lsc_model.h; "tree" is `SCMP_FLTATR_CTL_OPTIMIZE=2`, "default" its default priority list).',
      `Each of ${rounds} rounds forks one child per contender (order rotated every round); the child sets no_new_privs,`,
      `installs the filter, pins itself to CPU ${out.cpu} and times ${out.batches} batches of ${calls} calls per syscall;`,
      'its figure is the median batch. Medians, p90 and min are over rounds; "added" and "ratio" are taken per round',
      'against the no-filter child of the same round, then the median.',
      '',
      `- \`${CACHED}\` is allowed unconditionally: the kernel's per-arch bitmap cache can answer it without running the`,
      '  filter when the program\'s verdict for that number depends on nothing but the number and arch ("kernel cache",',
      '  decided by the same emulation as the kernel\'s `seccomp_is_const_allow`).',
      `- \`${ARGS}\` is allowed for five values of arg0 only, so the filter runs and compares the argument.`,
      '- "BPF insns executed" is counted by the test interpreter (test/support/bpf_interp.h) for that call.',
      `- The "${FLOOR}" row is the floor every filter pays: a task with seccomp takes the kernel's slower syscall`,
      '  entry path even when the cache spares running the program.',
      '',
      table(
        ['syscall', 'contender', 'program insns', 'kernel cache', 'BPF insns executed', 'median ns', 'p90 ns', 'min ns', 'added ns', 'ratio to no filter'],
        rows,
      ),
    ].join('\n');
    return { markdown, goals, data };
  },
};
