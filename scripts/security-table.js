#!/usr/bin/env node
'use strict';
// The attack table of docs/security-model.md ("Attack classes × doors"),
// generated from the verdicts the escape suites recorded in their last run:
//
//   SBX_ESCAPE_RECORD=build/escape-results npx vitest run test/escape.*.test.ts
//   node scripts/security-table.js [DIR]          write the table to build/security-table.md
//   node scripts/security-table.js --write [DIR]  and into docs/security-model.md
//   (DIR: default $SBX_ESCAPE_RECORD or build/escape-results)
//
// npm test runs the first form after a green run of the escape suites and
// says when the table differs from the document's; publishing it is a
// deliberate step (--write), never a side effect of testing. The columns of
// the document's rows that do not depend on the host (each attack's name,
// class and source, and the legend) are checked by test/security-table.test.ts.
//
// Each line of DIR/<door>-<user>.jsonl is one run ({ name, door, user,
// verdict, line, signal, limit? }, test/helpers/escape.ts). Rows are the attack
// classes (their "Class:" and "Source:" header lines in test/escape/<name>.c),
// columns door × user. What blocked an attack is inferred from its verdict line,
// conservatively: only what the errno or the signal shows (see the legend
// written with the table). Rewrites only the text between the
// `<!-- escape-table:begin -->` and `<!-- escape-table:end -->` markers.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const writeDoc = args.includes('--write');
const dir = path.resolve(args.find((a) => a !== '--write') || process.env.SBX_ESCAPE_RECORD || path.join(root, 'build', 'escape-results'));
const doc = path.join(root, 'docs', 'security-model.md');
const outFile = path.join(root, 'build', 'security-table.md');
const BEGIN = '<!-- escape-table:begin -->';
const END = '<!-- escape-table:end -->';

const DOORS = ['unconfined', 'preload', 'self', 'spawn', 'spawn-no-userns'];
const USERS = ['root', 'unprivileged'];
const DOOR_TITLE = {
  unconfined: 'unconfined (control)',
  preload: 'preload',
  self: 'self',
  spawn: 'spawn',
  'spawn-no-userns': 'spawn, no user ns',
};
const BOMBS = new Set(['fork_bomb', 'mem_bomb', 'disk_fill']);

function die(msg) {
  process.stderr.write(`security-table: ${msg}\n`);
  process.exit(1);
}

// ---- the recorded runs ------------------------------------------------------

function readResults() {
  if (!fs.existsSync(dir)) die(`no results in ${dir}: run the escape suites with SBX_ESCAPE_RECORD=${dir}`);
  const cells = new Map(); // `${name}|${door}|${user}` -> record
  let n = 0;
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.jsonl')).sort()) {
    for (const text of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!text.trim()) continue;
      let r;
      try {
        r = JSON.parse(text);
      } catch {
        die(`${f}: not a JSON line: ${text.slice(0, 80)}`);
      }
      n++;
      const key = `${r.name}|${r.door}|${r.user}`;
      const prev = cells.get(key);
      // A repeated run: an unexplained escape wins over anything else.
      if (!prev || !(prev.verdict === 'ESCAPED' && !prev.limit)) cells.set(key, r);
    }
  }
  if (n === 0) die(`no results in ${dir}`);
  return { cells, n };
}

// ---- the attack classes -----------------------------------------------------

/** "Class:" and "Source:" of a program's header comment (each may run over several lines). */
function header(name) {
  const src = fs.readFileSync(path.join(root, 'test', 'escape', `${name}.c`), 'utf8');
  const end = src.indexOf('*/');
  const lines = src.slice(0, end < 0 ? 0 : end).split('\n').map((l) => l.replace(/^\s*\/?\*+ ?/, '').trimEnd());
  const fields = {};
  let cur = null;
  for (const l of lines) {
    const m = /^(Class|Source|Usage[^:]*|BLOCKED|ESCAPED|ERROR|SAFE|Safe[^:]*|Calls|Flags|How|Nothing[^:]*):\s*(.*)$/.exec(l);
    if (m) {
      cur = m[1];
      fields[cur] = m[2];
    } else if (cur && l.trim()) {
      fields[cur] += ` ${l.trim()}`;
    } else {
      cur = null;
    }
  }
  const cls = (fields.Class || name).replace(new RegExp(`^${name}\\s*[—-]\\s*`), '');
  return { what: cls.replace(/\.$/, ''), source: shortSource(fields.Source || '') };
}

/** The first clause of the source (up to ';' or ': ' outside parentheses), plus any CVE named later. */
function shortSource(s) {
  let depth = 0;
  let cut = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && (c === ';' || (c === ':' && s[i + 1] === ' ') || (c === '.' && s[i + 1] === ' '))) {
      cut = i;
      break;
    }
  }
  let first = s.slice(0, cut).trim().replace(/\.$/, '');
  if (first.length > 110) first = `${first.slice(0, 107).replace(/\s+\S*$/, '')}…`;
  const cves = [...new Set(s.match(/CVE-\d{4}-\d+/g) || [])].filter((c) => !first.includes(c));
  return cves.length ? `${first} (${cves.join(', ')})` : first;
}

// ---- reading a verdict ------------------------------------------------------

const ERRNOS = new Set([
  'EPERM', 'EACCES', 'ENOSYS', 'ENOENT', 'ESRCH', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'EAFNOSUPPORT',
  'EINVAL', 'EBADF', 'ENOTTY', 'EIO', 'EROFS', 'EXDEV', 'ENODEV', 'ENXIO', 'ETIMEDOUT', 'EOPNOTSUPP',
  'EPROTONOSUPPORT', 'EAGAIN', 'ENOMEM', 'EFBIG', 'ENOSPC', 'EDQUOT', 'ENOTDIR', 'EMFILE', 'ENOTSUP',
]);
const NAMESPACE_ERRNOS = new Set(['ESRCH', 'ENOENT', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH']);

function errnosOf(line) {
  return [...new Set((line.match(/\bE[A-Z0-9]{2,}\b/g) || []).filter((e) => ERRNOS.has(e)))];
}

/** What stopped it, as far as the line shows. `control`: the same user's unconfined run. */
function blockedBy(r, control) {
  if (r.signal === 'SIGSYS' || /killed by SIGSYS/.test(r.line)) return 'seccomp (SIGSYS kill)';
  if (/killed by SIGKILL/.test(r.line)) return r.door.startsWith('spawn') ? 'limit (SIGKILL: cgroup or time)' : 'limit (SIGKILL)';
  const errs = errnosOf(r.line);
  const ctlErrs = control && control.verdict === 'BLOCKED' ? errnosOf(control.line) : [];
  const ctlEscaped = control && control.verdict === 'ESCAPED';
  if (BOMBS.has(r.name)) {
    const spawn = r.door.startsWith('spawn');
    if (errs.includes('EAGAIN')) return spawn ? 'pids limit: rlimit or cgroup (EAGAIN)' : 'rlimit nproc (EAGAIN)';
    if (errs.includes('ENOMEM')) return 'rlimit as/data (ENOMEM)';
    if (errs.includes('EFBIG')) return 'rlimit fsize (EFBIG)';
    if (errs.includes('ENOSPC')) return 'sized filesystem (ENOSPC)';
    if (errs.includes('EDQUOT')) return 'quota (EDQUOT)';
  }
  const labels = [];
  for (const e of errs) {
    if (ctlErrs.includes(e)) labels.push(e === 'ENOSYS' ? 'kernel (ENOSYS, also unconfined)' : `host (${e}, also unconfined)`);
    else if (e === 'EACCES') labels.push(ctlEscaped ? 'Landlock (EACCES)' : 'EACCES');
    else if (e === 'EPERM') labels.push('EPERM†');
    else if (e === 'ENOSYS') labels.push('ENOSYS‡');
    else if (NAMESPACE_ERRNOS.has(e) && r.door === 'spawn') labels.push(`namespace (${e})`);
    else labels.push(e);
  }
  if (labels.length) return [...new Set(labels)].join(', ');
  const phrases = [
    [/only the allowed fds/, 'no fd leaked'],
    [/lead back to our root/, 'no way out of the root'],
    [/gained nothing/, 'nothing gained'],
    [/received no signal/, 'no signal arrived'],
    [/no echo/, 'no reply'],
    [/not in effect|neither/, 'no effect'],
    [/no block device/, 'no device visible'],
  ];
  for (const [re, label] of phrases) if (re.test(r.line)) return label;
  return '';
}

function cell(r, control) {
  if (!r) return 'not run';
  const unconfined = r.door === 'unconfined';
  if (r.verdict === 'ESCAPED') {
    if (unconfined) return 'works';
    if (r.limit) return `limit: ${r.limit.replace(/^door limit:\s*/, '')}`;
    return '**ESCAPED**';
  }
  if (r.verdict === 'BLOCKED') {
    if (unconfined) {
      const errs = errnosOf(r.line);
      const by = errs.length ? errs.join(', ') : blockedBy(r, null);
      return `host refuses${by ? ` (${by})` : ''}`;
    }
    const by = blockedBy(r, control);
    return by ? `blocked: ${by}` : 'blocked';
  }
  // ERROR: the attack could not start. Say why when a policy refused its prerequisite.
  const errs = errnosOf(r.line).filter((e) => e === 'EACCES' || e === 'EPERM');
  if (errs.length) return `blocked before the attack (${errs.join(', ')})`;
  return `error: ${r.line.replace(/\|/g, '/').slice(0, 80)}`;
}

// ---- the table --------------------------------------------------------------

const esc = (s) => s.replace(/\|/g, '\\|');

/** The columns of an attack's row that come from its program alone: "| `name`: class | source |". */
function rowHead(name) {
  const h = header(name);
  return `| \`${name}\`: ${esc(h.what)} | ${esc(h.source)} |`;
}

/** The attack programs, in the table's order. */
function attackNames() {
  return fs
    .readdirSync(path.join(root, 'test', 'escape'))
    .filter((f) => f.endsWith('.c'))
    .map((f) => f.slice(0, -2))
    .sort();
}

const LEGEND = [
  'Legend. *works*: the attack succeeds without sbx (the control). *host refuses*: the kernel or the',
  "host's settings refuse it even unconfined. *blocked: X*: the attack achieved nothing, and its line",
  'shows X. *Landlock (EACCES)*: EACCES where the same user succeeded unconfined (sbx\'s filters never',
  'answer EACCES with the presets used here). *EPERM†*: EPERM is the seccomp filter\'s default errno, and',
  'also what a dropped capability or a Landlock scope (signals, abstract unix sockets) returns: the line',
  'does not tell which. *ENOSYS‡*: the filter\'s answer to unknown numbers and to `clone3`, or a kernel',
  'without the call. *namespace (E…)*: under the spawn door, the target is not in the sandbox\'s view',
  '(another pid, mount or network namespace). *rlimit …* / *limit (SIGKILL)*: a resource limit stopped',
  'a bomb. *blocked before the attack*: a policy refused the step the attack needs first (e.g. a handle',
  'to `/`). *limit: …*: the door\'s documented limit, asserted by its test. *not run*: no result recorded',
  'for that door and user (the suite does not run that program there, or did not run).',
];

function render() {
  const { cells, n } = readResults();
  const names = attackNames();
  const cols = [];
  for (const door of DOORS) for (const user of USERS) {
    if (names.some((nm) => cells.has(`${nm}|${door}|${user}`))) cols.push({ door, user });
  }
  const missing = [];
  for (const door of DOORS) for (const user of USERS) {
    if (!cols.some((c) => c.door === door && c.user === user)) missing.push(`${door} as ${user}`);
  }
  const out = [];
  out.push(
    `Generated by \`scripts/security-table.js\` from ${n} recorded runs (Linux ${os.release()}, ` +
      `${new Date().toISOString().slice(0, 10)}). Do not edit by hand.`,
    '',
  );
  out.push(`| attack class | source | ${cols.map((c) => `${DOOR_TITLE[c.door]}, ${c.user}`).join(' | ')} |`);
  out.push(`|---|---|${cols.map(() => '---').join('|')}|`);
  const counts = { escaped: 0, limit: 0, notRun: 0 };
  for (const name of names) {
    const h = header(name);
    const row = cols.map((c) => {
      const r = cells.get(`${name}|${c.door}|${c.user}`);
      const control = cells.get(`${name}|unconfined|${c.user}`);
      const text = cell(r, control);
      if (c.door !== 'unconfined') {
        if (text === '**ESCAPED**') counts.escaped++;
        else if (text.startsWith('limit:')) counts.limit++;
        else if (text === 'not run') counts.notRun++;
      }
      return esc(text);
    });
    out.push(`${rowHead(name)} ${row.join(' | ')} |`);
  }
  out.push(
    '',
    `Under a door: ${counts.escaped} unexplained escape(s), ${counts.limit} documented limit(s), ` +
      `${counts.notRun} cell(s) not run.` + (missing.length ? ` Not run at all: ${missing.join(', ')}.` : ''),
    '',
    ...LEGEND,
  );
  return out.join('\n');
}

/** The document's table section (between the markers), or null. */
function docSection(text) {
  const b = text.indexOf(BEGIN);
  const e = text.indexOf(END);
  return b < 0 || e < b ? null : text.slice(b + BEGIN.length, e).trim();
}

/** The table without its first line (the run's date, kernel and count). */
function body(section) {
  return section.split('\n').slice(1).join('\n').trim();
}

module.exports = { BEGIN, END, LEGEND, attackNames, rowHead, docSection, body, doc };

if (require.main === module) {
  const text = fs.readFileSync(doc, 'utf8');
  const current = docSection(text);
  if (current === null) die(`${doc} has no ${BEGIN} ... ${END} section`);
  const table = render();
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${table}\n`);
  if (writeDoc) {
    const b = text.indexOf(BEGIN);
    const e = text.indexOf(END);
    fs.writeFileSync(doc, `${text.slice(0, b + BEGIN.length)}\n${table}\n${text.slice(e)}`);
    process.stdout.write(`security-table: wrote the attack table of ${path.relative(root, doc)} from ${dir}\n`);
  } else if (body(table) === body(current)) {
    process.stdout.write(`security-table: this run's attack table is the one in ${path.relative(root, doc)}\n`);
  } else {
    process.stdout.write(
      `security-table: this run's attack table (${path.relative(root, outFile)}) differs from ${path.relative(root, doc)}'s; ` +
        `to publish it: node scripts/security-table.js --write\n`,
    );
  }
}
