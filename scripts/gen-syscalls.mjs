#!/usr/bin/env node
// Turns the syscall data in src-native/kernel/syscalls/ into src-native/kernel/syscall_table.c.
//
//   node scripts/gen-syscalls.mjs              write src-native/kernel/syscall_table.c
//   node scripts/gen-syscalls.mjs --out FILE   write FILE instead
//   node scripts/gen-syscalls.mjs --check      exit 1 if the committed file differs
//
// The output depends only on the data files (no dates, no paths), so the
// committed file can be checked by regenerating it. The data is validated
// here, at build time, so the C side can trust it: no duplicate names or
// numbers in a table, every group member is a syscall of some table or a
// group, no empty group, no cycle between groups, arg32 names exist.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = join(root, 'src-native', 'kernel', 'syscalls');
const defaultOut = join(root, 'src-native', 'kernel', 'syscall_table.c');

// Order matches enum sbx_arch in src-native/kernel/syscalls.h. The audit values are
// AUDIT_ARCH_* from <linux/audit.h> (EM_* | __AUDIT_ARCH_64BIT | _LE); x32
// syscalls on x86_64 are the native numbers with __X32_SYSCALL_BIT set.
const ARCH_INFO = [
  { name: 'x86_64', audit: '0xc000003e', x32Bit: '0x40000000' },
  { name: 'aarch64', audit: '0xc00000b7', x32Bit: '0' },
];
const ARCHES = ARCH_INFO.map((a) => a.name);

const errors = [];
function fail(file, line, msg) {
  errors.push(`${file}:${line}: ${msg}`);
}

// Byte order, as strcmp() sees it, so the C side can binary-search.
function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function lines(file) {
  const text = readFileSync(join(dataDir, file), 'utf8');
  return text.split('\n').map((raw, i) => ({ raw, no: i + 1 }));
}

function stripComment(s) {
  const i = s.indexOf('#');
  return i < 0 ? s : s.slice(0, i);
}

const NAME_RE = /^[a-z_][a-z0-9_]*$/;

function readTable(arch) {
  const file = `${arch}.tsv`;
  const byNr = new Map();
  const byName = new Map();
  for (const { raw, no } of lines(file)) {
    const s = stripComment(raw).trim();
    if (!s) continue;
    const f = s.split('\t');
    if (f.length !== 2 || !/^\d+$/.test(f[0]) || !NAME_RE.test(f[1])) {
      fail(file, no, `expected "number<TAB>name", got ${JSON.stringify(raw)}`);
      continue;
    }
    const nr = Number(f[0]);
    const name = f[1];
    if (nr > 1023) fail(file, no, `number ${nr} out of range`);
    if (byNr.has(nr)) fail(file, no, `number ${nr} used twice (${byNr.get(nr)}, ${name})`);
    if (byName.has(name)) fail(file, no, `name ${name} used twice`);
    byNr.set(nr, name);
    byName.set(name, nr);
  }
  if (byName.size === 0) fail(file, 0, 'empty table');
  return { byNr, byName };
}

function readGroups(known) {
  const file = 'groups.txt';
  const groups = new Map();
  let cur = null;
  for (const { raw, no } of lines(file)) {
    const s = stripComment(raw);
    if (!s.trim()) continue;
    if (/^\S/.test(s)) {
      const m = /^(@[a-z][a-z0-9-]*)\t+(\S.*)$/.exec(s.trimEnd());
      if (!m) {
        fail(file, no, `expected "@name<TAB>description", got ${JSON.stringify(raw)}`);
        cur = null;
        continue;
      }
      if (groups.has(m[1])) fail(file, no, `group ${m[1]} defined twice`);
      // The pool counts one byte per character and writes it as a C string.
      if (!/^[\x20-\x7e]*$/.test(m[2]) || /["\\]/.test(m[2])) {
        fail(file, no, `description of ${m[1]}: printable ASCII without quotes or backslashes only`);
      }
      cur = { name: m[1], description: m[2].trim(), members: new Set(), line: no };
      groups.set(cur.name, cur);
      continue;
    }
    if (!cur) {
      fail(file, no, 'member line outside a group');
      continue;
    }
    for (const member of s.trim().split(/\s+/)) {
      if (cur.members.has(member)) fail(file, no, `${member} listed twice in ${cur.name}`);
      cur.members.add(member);
    }
  }
  for (const g of groups.values()) {
    if (g.members.size === 0) fail(file, g.line, `group ${g.name} is empty`);
    for (const m of g.members) {
      if (m.startsWith('@')) {
        if (!groups.has(m)) fail(file, g.line, `${g.name}: unknown group ${m}`);
      } else if (!known.has(m)) {
        fail(file, g.line, `${g.name}: ${m} is not a syscall of any table`);
      }
    }
  }
  // A cycle would make group expansion loop in the compiler.
  const state = new Map();
  const visit = (name, path) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'open') {
      fail(file, groups.get(name).line, `group cycle: ${[...path, name].join(' -> ')}`);
      return;
    }
    state.set(name, 'open');
    for (const m of groups.get(name)?.members ?? []) {
      if (m.startsWith('@') && groups.has(m)) visit(m, [...path, name]);
    }
    state.set(name, 'done');
  };
  for (const name of groups.keys()) visit(name, []);
  return groups;
}

function readArg32(tables) {
  const file = 'arg32.tsv';
  const masks = new Map();
  for (const { raw, no } of lines(file)) {
    const s = stripComment(raw).trim();
    if (!s) continue;
    const f = s.split('\t');
    if (f.length !== 2 || !/^[0-5](,[0-5])*$/.test(f[1])) {
      fail(file, no, `expected "name<TAB>i,j,...", got ${JSON.stringify(raw)}`);
      continue;
    }
    const name = f[0];
    if (!tables.some((t) => t.byName.has(name))) fail(file, no, `${name} is not a syscall of any table`);
    if (masks.has(name)) fail(file, no, `${name} listed twice`);
    let mask = 0;
    for (const i of f[1].split(',')) mask |= 1 << Number(i);
    masks.set(name, mask);
  }
  return masks;
}

function parseValue(s) {
  if (/^0x[0-9a-fA-F]+$/.test(s) || /^\d+$/.test(s)) {
    const v = BigInt(s);
    return v < 1n << 64n ? v : null;
  }
  if (/^-\d+$/.test(s)) {
    const v = BigInt(s);
    return v >= -(1n << 63n) ? (1n << 64n) + v : null;
  }
  return null;
}

function readConstants() {
  const file = 'constants.tsv';
  const consts = new Map();
  for (const { raw, no } of lines(file)) {
    const s = stripComment(raw).trim();
    if (!s) continue;
    const f = s.split('\t');
    const name = f[0];
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || f.length < 2) {
      fail(file, no, `expected "NAME<TAB>value[<TAB>arch=value...]", got ${JSON.stringify(raw)}`);
      continue;
    }
    if (consts.has(name)) fail(file, no, `${name} defined twice`);
    const base = parseValue(f[1]);
    if (base === null) fail(file, no, `bad value ${JSON.stringify(f[1])}`);
    const values = ARCHES.map(() => base);
    for (const o of f.slice(2)) {
      const m = /^([a-z0-9_]+)=(.*)$/.exec(o);
      const ai = m ? ARCHES.indexOf(m[1]) : -1;
      if (ai < 0) {
        fail(file, no, `bad override ${JSON.stringify(o)}`);
        continue;
      }
      if (m[2] === '-') {
        values[ai] = null;
      } else {
        const v = parseValue(m[2]);
        if (v === null) fail(file, no, `bad value in ${JSON.stringify(o)}`);
        values[ai] = v;
      }
    }
    if (values.every((v) => v === null)) fail(file, no, `${name} exists on no arch`);
    consts.set(name, values);
  }
  return consts;
}

const cstr = (s) => JSON.stringify(s); // names and descriptions are plain ASCII
const hex = (v) => `UINT64_C(0x${v.toString(16)})`;
const enumOf = (arch) => `SBX_ARCH_${arch.toUpperCase()}`;

// Every string of the tables goes into one pool and the tables hold offsets
// into it (sbx_strofs, 16 bits), never pointers: libsbx.so is preloaded into
// every sandboxed process, and each pointer in its tables would be a
// relocation the loader applies, on a page it copies, at every start.
// Offset 0 is the empty string: by_nr's mark for a hole.
const STR_MAX = 0xffff;

class StringPool {
  constructor() {
    this.offsets = new Map([['', 0]]);
    this.order = [''];
    this.size = 1;
  }

  add(s) {
    if (!this.offsets.has(s)) {
      this.offsets.set(s, this.size);
      this.order.push(s);
      this.size += s.length + 1;
    }
    return this.offsets.get(s);
  }

  at(s) {
    const off = this.offsets.get(s);
    if (off === undefined) throw new Error(`gen-syscalls: ${JSON.stringify(s)} not in the pool`);
    return off;
  }
}

function generate() {
  const tables = ARCHES.map(readTable);
  const known = new Set(tables.flatMap((t) => [...t.byName.keys()]));
  const groups = readGroups(known);
  const arg32 = readArg32(tables);
  const consts = readConstants();
  for (const [name] of consts) {
    if (!/^[A-Z_]/.test(name)) fail('constants.tsv', 0, `${name}: constants start with a capital`);
  }
  if (errors.length) {
    for (const e of errors) process.stderr.write(`gen-syscalls: ${e}\n`);
    process.exit(1);
  }

  const all = [...known].sort(cmp);
  const gnames = [...groups.keys()].sort(cmp);
  const cnames = [...consts.keys()].sort(cmp);
  const pool = new StringPool();
  for (const n of all) pool.add(n);
  for (const g of gnames) pool.add(g);
  for (const g of gnames) pool.add(groups.get(g).description);
  for (const n of cnames) pool.add(n);
  // The last string's offset must fit; the array itself may end past it.
  if (pool.size - 1 - pool.order.at(-1).length > STR_MAX) {
    process.stderr.write(`gen-syscalls: string pool of ${pool.size} bytes: offsets do not fit in 16 bits\n`);
    process.exit(1);
  }

  const out = [];
  const w = (s = '') => out.push(s);
  w('/*');
  w(' * Generated by scripts/gen-syscalls.mjs from the data in src-native/kernel/syscalls/.');
  w(' * Do not edit: change the data and run `node scripts/gen-syscalls.mjs`.');
  w(' * Layout (offsets into sbx_syscall_strings, no pointers) in syscall_table.h.');
  w(' */');
  w('#include "syscall_table.h"');
  w();

  w(`/* Every string below, NUL-terminated: syscall names, group names and`);
  w(` * descriptions, constant names. The comments are offsets. */`);
  w('const char sbx_syscall_strings[] =');
  {
    let off = 0;
    for (const s of pool.order) {
      w(`\t/* ${String(off).padStart(5)} */ ${cstr(s).slice(0, -1)}\\0"`);
      off += s.length + 1;
    }
  }
  w('\t;');
  w();

  // Per arch: a range of the shared by_name, by_nr and arg32 arrays.
  const ranges = [];
  let byName = 0;
  let byNr = 0;
  let a32Pos = 0;
  const a32ByArch = tables.map((t) =>
    [...arg32.entries()]
      .filter(([n]) => t.byName.has(n))
      .map(([n, mask]) => [t.byName.get(n), mask, n])
      .sort((a, b) => a[0] - b[0]),
  );
  tables.forEach((t, ai) => {
    const maxNr = Math.max(...t.byNr.keys());
    ranges.push({ byName, count: t.byName.size, byNr, maxNr, arg32: a32Pos, arg32Count: a32ByArch[ai].length });
    byName += t.byName.size;
    byNr += maxNr + 1;
    a32Pos += a32ByArch[ai].length;
  });

  w(`const struct sbx_syscall_entry sbx_syscall_by_name[${byName}] = {`);
  ARCHES.forEach((arch, ai) => {
    const t = tables[ai];
    const names = [...t.byName.keys()].sort(cmp);
    w(`\t/* ---- ${arch}: ${names.length} syscalls, highest number ${ranges[ai].maxNr} */`);
    for (const n of names) w(`\t{ ${pool.at(n)}, ${t.byName.get(n)} }, /* ${n} */`);
  });
  w('};');
  w();
  w(`const sbx_strofs sbx_syscall_by_nr[${byNr}] = {`);
  ARCHES.forEach((arch, ai) => {
    const t = tables[ai];
    const base = ranges[ai].byNr;
    w(`\t/* ---- ${arch}: from ${base}, holes are SBX_STR_NONE */`);
    for (const nr of [...t.byNr.keys()].sort((a, b) => a - b)) {
      w(`\t[${base} + ${nr}] = ${pool.at(t.byNr.get(nr))}, /* ${t.byNr.get(nr)} */`);
    }
  });
  w('};');
  w();
  w(`const struct sbx_arg32_entry sbx_syscall_arg32[${a32Pos}] = {`);
  ARCHES.forEach((arch, ai) => {
    w(`\t/* ---- ${arch} */`);
    for (const [nr, mask, n] of a32ByArch[ai]) w(`\t{ ${nr}, 0x${mask.toString(16)} }, /* ${n} */`);
  });
  w('};');
  w();

  w('const struct sbx_arch_info sbx_arch_infos[SBX_ARCH_COUNT] = {');
  ARCH_INFO.forEach((a, ai) => {
    w(`\t[${enumOf(a.name)}] = { ${cstr(a.name)}, ${a.audit}u, ${ranges[ai].maxNr}, ${a.x32Bit}u },`);
  });
  w('};');
  w();
  w('const struct sbx_syscall_arch_table sbx_syscall_tables[SBX_ARCH_COUNT] = {');
  ARCHES.forEach((arch, ai) => {
    const r = ranges[ai];
    w(`\t[${enumOf(arch)}] = {`);
    w(`\t\t.by_name = ${r.byName},`);
    w(`\t\t.count = ${r.count},`);
    w(`\t\t.by_nr = ${r.byNr},`);
    w(`\t\t.max_nr = ${r.maxNr},`);
    w(`\t\t.arg32 = ${r.arg32},`);
    w(`\t\t.arg32_count = ${r.arg32Count},`);
    w('\t},');
  });
  w('};');
  w();

  w(`const sbx_strofs sbx_syscall_names_all[${all.length}] = {`);
  for (const n of all) w(`\t${pool.at(n)}, /* ${n} */`);
  w('};');
  w(`const size_t sbx_syscall_names_all_count = ${all.length};`);
  w();

  // Each member's number per arch, resolved here once instead of by a name
  // search on every compile: SBX_GROUP_NR_GROUP for a member that is a
  // group, SBX_GROUP_NR_ABSENT for a syscall this arch does not have.
  const firstMember = [];
  let nmembers = 0;
  const memberLines = [];
  gnames.forEach((g) => {
    const members = [...groups.get(g).members].sort(cmp);
    firstMember.push(nmembers);
    memberLines.push(`\t/* ---- ${nmembers}: ${g} */`);
    for (const m of members) {
      const nrs = tables.map((t) =>
        m.startsWith('@') ? 'SBX_GROUP_NR_GROUP' : t.byName.has(m) ? String(t.byName.get(m)) : 'SBX_GROUP_NR_ABSENT',
      );
      memberLines.push(`\t{ ${pool.at(m)}, { ${nrs.join(', ')} } }, /* ${m} */`);
    }
    nmembers += members.length;
  });
  w(`const struct sbx_syscall_group_member sbx_syscall_group_members[${nmembers}] = {`);
  for (const l of memberLines) w(l);
  w('};');
  w();
  w(`const struct sbx_syscall_group sbx_syscall_group_table[${gnames.length}] = {`);
  gnames.forEach((g, i) => {
    const d = groups.get(g).description;
    w(`\t{ ${pool.at(g)}, ${pool.at(d)}, ${firstMember[i]}, ${groups.get(g).members.size} }, /* ${g} */`);
  });
  w('};');
  w(`const size_t sbx_syscall_group_table_count = ${gnames.length};`);
  w();

  w(`const struct sbx_const_entry sbx_const_table[${cnames.length}] = {`);
  for (const n of cnames) {
    const values = consts.get(n);
    const present = values.reduce((acc, v, i) => (v === null ? acc : acc | (1 << i)), 0);
    const vals = values.map((v) => hex(v ?? 0n)).join(', ');
    w(`\t{ { ${vals} }, ${pool.at(n)}, 0x${present.toString(16)} }, /* ${n} */`);
  }
  w('};');
  w(`const size_t sbx_const_count = ${cnames.length};`);
  return out.join('\n') + '\n';
}

function main(argv) {
  let outPath = defaultOut;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && i + 1 < argv.length) outPath = argv[++i];
    else if (argv[i] === '--check') check = true;
    else {
      process.stderr.write('usage: gen-syscalls.mjs [--out FILE] [--check]\n');
      process.exit(2);
    }
  }
  const text = generate();
  if (check) {
    let current = '';
    try {
      current = readFileSync(defaultOut, 'utf8');
    } catch {}
    if (current !== text) {
      process.stderr.write('gen-syscalls: src-native/kernel/syscall_table.c is stale; run node scripts/gen-syscalls.mjs\n');
      process.exit(1);
    }
    return;
  }
  writeFileSync(outPath, text);
}

main(process.argv.slice(2));
