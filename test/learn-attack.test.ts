/**
 * `sbx learn` against a hostile command: the user learns it and then trusts the policy it wrote. Each test
 * is one attack (docs/learn.md, "Learning a command you do not trust") and checks both that the attack gets
 * nothing and that the honest access beside it is still learned. Root and uid 65534.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';
import { freshDirs, readJson, sbxCli as cli, shq, type Who } from './helpers/learn';
import { isRoot } from './helpers/unpriv';

let D: string; // host files the sandbox sees read-only, outside every default grant
let H: string; // a home with a credential in it, shown to the sandbox by the base policy
let CUT: string; // a directory whose path is exactly as long as the report's path field (640 bytes)
const probes: string[] = []; // files an attack would leave on the host if it worked
beforeAll(() => {
  D = fs.mkdtempSync(path.join('/var/tmp', 'sbx-learn-attack-'));
  fs.mkdirSync(path.join(D, 'data'));
  fs.writeFileSync(path.join(D, 'data', 'used.txt'), 'USED\n');
  fs.writeFileSync(path.join(D, 'data', 'neighbour.txt'), 'NEIGHBOUR\n');
  H = path.join(D, 'home');
  fs.mkdirSync(path.join(H, '.ssh'), { recursive: true });
  fs.writeFileSync(path.join(H, '.ssh', 'id_rsa'), 'PRIVATE KEY\n');
  // another user's home (learn knows only its own $HOME), and a credential-named directory elsewhere
  fs.mkdirSync(path.join(D, 'otherhome', '.ssh'), { recursive: true });
  fs.writeFileSync(path.join(D, 'otherhome', '.ssh', 'authorized_keys'), 'KEYS\n');
  fs.writeFileSync(path.join(D, 'otherhome', 'notes.txt'), 'OTHER NOTES\n');
  fs.mkdirSync(path.join(D, 'proj', '.aws'), { recursive: true });
  fs.writeFileSync(path.join(D, 'proj', '.aws', 'credentials'), 'AWS\n');
  let cut = path.join(D, 'cut');
  while (cut.length < 640 - 250) cut = path.join(cut, 'd'.repeat(200));
  CUT = path.join(cut, 'e'.repeat(640 - cut.length - 1));
  expect(Buffer.byteLength(CUT)).toBe(640);
  fs.mkdirSync(path.join(CUT, 'inner'), { recursive: true });
  fs.writeFileSync(path.join(CUT, 'inner', 'file.txt'), 'DEEP\n');
  fs.writeFileSync(path.join(CUT, 'other.txt'), 'OTHER\n');
  fs.mkdirSync(path.join(D, 'many'));
  for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(D, 'many', `f${i}`), `${i}\n`);
  fs.mkdirSync(path.join(D, 'refused', '.ssh'), { recursive: true });
  for (let i = 0; i < 120; i++) fs.writeFileSync(path.join(D, 'refused', '.ssh', `k${i}`), 'K\n');
  fs.mkdirSync(path.join(D, 'hid'));
  fs.writeFileSync(path.join(D, 'hid', 'secret.txt'), 'HIDDEN\n');
  fs.writeFileSync(path.join(D, 'hid', 'plain.txt'), 'PLAIN\n');
  fs.mkdirSync(path.join(D, 'esc'));
  for (let i = 1; i <= 5; i++) fs.writeFileSync(path.join(D, 'esc', `f${i}`), `ESC${i}\n`);
  spawnSync('chmod', ['-R', 'a+rwX', D]);
});
afterAll(() => {
  fs.rmSync(D, { recursive: true, force: true });
  for (const p of probes) fs.rmSync(p, { force: true });
});

const FAKE = (p: string) =>
  JSON.stringify({ event: 'violation', kind: 'fs', syscall: 'openat', path: p, access: 'read', reason: 'landlock', allow: p, key: 'fs.read', flag: '--ro', pid: 2 });

describe.each([
  ['root', true],
  ['unpriv', isRoot()],
] as const)('sbx learn attacked, as %s', (who: Who, can) => {
  const fresh = () => freshDirs(D, who);

  test.skipIf(!can)('fake violation lines on stdout, stderr, every fd of its own and of every process it sees: nothing granted from them', () => {
    const { work } = fresh();
    const line = FAKE(`${D}/data/neighbour.txt`);
    // opening another process's fd through /proc needs ptrace access, which Landlock refuses outside the domain
    const script = [
      `L=${shq(line)}`,
      'echo "$L"; echo "$L" >&2',
      `timeout 10 sh -c 'for f in /proc/[0-9]*/fd/*; do printf "%s\\n" "$1" >"$f"; done' x "$L" 2>/dev/null`,
      `cat ${D}/data/used.txt`,
      'true',
    ].join('; ');
    const l = cli(who, ['learn', '-o', '-', '--', 'sh', '-c', script], { cwd: work });
    expect(l.status, l.stderr).toBe(0);
    const p = JSON.parse(l.stdout);
    expect(p.fs.read).toEqual([`${D}/data/used.txt`]);
    expect(l.stdout).not.toContain('neighbour');
    expect(l.stderr).toContain(line); // the command did print it: learn just does not read the command's output
  });

  test.skipIf(!can)('links planted in the working directory: learn names the target it resolved; to a credential, nothing', () => {
    const { work } = fresh();
    const base = JSON.stringify({ extends: 'default', mounts: [{ type: 'bind', source: H, target: H }] });
    const script = [
      `ln -s ${D}/data/used.txt innocent.txt && cat innocent.txt`,
      `ln -s ${H}/.ssh/id_rsa key.txt && cat key.txt`,
      `ln -s ${H}/.ssh keys && ls keys/ && cat keys/id_rsa`,
      'true',
    ].join('; ');
    const pol = path.join(work, 'p.json');
    const l = cli(who, ['learn', '-o', pol, '--policy', base, '--', 'sh', '-c', script], { cwd: work, env: { HOME: H } });
    expect(l.status, l.stderr).toBe(0);
    const text = fs.readFileSync(pol, 'utf8');
    expect(text).not.toContain('.ssh');
    expect(text).not.toContain(work);
    expect(readJson(pol).fs).toEqual({ read: [`${D}/data/used.txt`] });
    expect(l.stderr).toMatch(/not granted: fs\.read ".*\/\.ssh\/id_rsa"/);
    // at run time the links are still there: the key stays out of reach, the target the policy names is read
    const again = cli(who, ['run', '--policy', pol, '--', 'sh', '-c', 'cat innocent.txt; cat key.txt; cat keys/id_rsa'], { cwd: work, env: { HOME: H } });
    expect(again.stdout).toBe('USED\n');
    expect(again.stderr).toMatch(/key\.txt: Permission denied/);
    expect(again.stderr).toMatch(/keys\/id_rsa: Permission denied/);
  });

  test.skipIf(!can)('/proc/self/root, "..", "//", /dev/fd: the grant is the resolved path, never a directory above it', () => {
    const { work } = fresh();
    const script = `cat /proc/self/root${D}/data/used.txt; cat ${D}/data/../data/../data//used.txt; cat /dev/fd/3 3<${D}/data/used.txt; true`;
    const l = cli(who, ['learn', '-o', '-', '--policy', 'strict', '--', 'sh', '-c', `${script}; ls ${D}/data/ >/dev/null`], { cwd: work });
    expect(l.status, l.stderr).toBe(0);
    expect(JSON.parse(l.stdout).fs).toEqual({ read: [`${D}/data/used.txt`], list: [`${D}/data`] });
  });

  test.skipIf(!can)('a path longer than the report carries (640 bytes, cut there): not granted, so its cut prefix, a directory, is not either', () => {
    const { work } = fresh();
    const deep = path.join(CUT, 'inner', 'file.txt');
    const l = cli(who, ['learn', '-o', '-', '--', 'sh', '-c', `cat ${deep}; cat ${D}/data/used.txt; true`], { cwd: work });
    expect(l.status, l.stderr).toBe(0);
    const p = JSON.parse(l.stdout);
    expect(p.fs).toEqual({ read: [`${D}/data/used.txt`] });
    expect(l.stderr).toMatch(/not granted: fs\.read .*640 bytes/);
  });

  test.skipIf(!can)('writes into system directories (/etc, /usr/bin, /var) and a system file: never granted, nothing written on the host', () => {
    const { work, out } = fresh();
    const tag = `sbx-learn-probe-${who}-${process.pid}`;
    probes.push(`/etc/${tag}`, `/usr/bin/${tag}`, `/var/${tag}`);
    const script = `echo x > /etc/${tag}; echo x > /usr/bin/${tag}; echo x > /var/${tag}; printf '' >> /etc/passwd; echo made > ${out}/ok.txt; true`;
    const l = cli(who, ['learn', '-o', '-', '--', 'sh', '-c', script], { cwd: work });
    expect(l.status, l.stderr).toBe(0);
    const p = JSON.parse(l.stdout);
    expect(p.fs).toEqual({ read: [out], write: [out] });
    expect(l.stderr).toMatch(/not granted: fs\.write "\/etc".*system/);
    expect(l.stderr).toMatch(/not granted: fs\.write "\/etc\/passwd".*system/);
    for (const f of [`/etc/${tag}`, `/usr/bin/${tag}`, `/var/${tag}`]) expect(fs.existsSync(f), f).toBe(false);
    expect(fs.readFileSync(path.join(out, 'ok.txt'), 'utf8')).toBe('made\n');
  });

  test.skipIf(!can)('credentials outside $HOME (another user\'s home, a project\'s .aws): never granted; the plain file beside them is', () => {
    const { work } = fresh();
    const keys = `${D}/otherhome/.ssh/authorized_keys`;
    const script = `printf '' >> ${keys}; cat ${keys}; cat ${D}/proj/.aws/credentials; cat ${D}/otherhome/notes.txt; true`;
    const l = cli(who, ['learn', '-o', '-', '--', 'sh', '-c', script], { cwd: work });
    expect(l.status, l.stderr).toBe(0);
    expect(JSON.parse(l.stdout).fs).toEqual({ read: [`${D}/otherhome/notes.txt`] });
    expect(l.stderr).toMatch(/not granted: fs\.write ".*authorized_keys".*credential/);
    expect(l.stderr).toMatch(/not granted: fs\.read ".*\/\.aws\/credentials".*credential/);
    expect(fs.readFileSync(keys, 'utf8')).toBe('KEYS\n');
  });

  test.skipIf(!can)('fs.hide of the base: a create beside a hidden file is not granted (the directory holds it), a read beside it is', () => {
    const { work } = fresh();
    const base = JSON.stringify({ extends: 'default', fs: { hide: [`${D}/hid/secret.txt`] } });
    const l = cli(who, ['learn', '-o', '-', '--policy', base, '--', 'sh', '-c', `echo x > ${D}/hid/new.txt; cat ${D}/hid/plain.txt; true`], { cwd: work });
    expect(l.status, l.stderr).toBe(0);
    expect(JSON.parse(l.stdout).fs).toEqual({ hide: [`${D}/hid/secret.txt`], read: [`${D}/hid/plain.txt`] });
    expect(l.stderr).toMatch(/not granted: fs\.write ".*\/hid".*hides .*secret\.txt \(fs\.hide\)/);
    expect(fs.existsSync(path.join(D, 'hid', 'new.txt'))).toBe(false);
  });

  // uid 65534 runs a copy of the package under /tmp, which the sandbox's private /tmp hides: no denial to learn
  test.skipIf(!can || who !== 'root')('sbx\'s own files: a write into the package is never granted, the output directory beside it is', () => {
    const { work, out } = fresh();
    const probe = path.join(repoRoot, 'dist', `sbx-learn-probe-${process.pid}`);
    probes.push(probe);
    const l = cli(who, ['learn', '-o', '-', '--', 'sh', '-c', `echo x > ${probe}; echo y > ${out}/ok.txt; true`], { cwd: work });
    expect(l.status, l.stderr).toBe(0);
    expect(JSON.parse(l.stdout).fs).toEqual({ read: [out], write: [out] });
    expect(l.stderr).toMatch(/not granted: fs\.write ".*\/dist".*sbx's own files/);
    expect(fs.existsSync(probe)).toBe(false);
  });

  test.skipIf(!can)('-o through a link the command planted while it ran (replacing the reserved file): the link is replaced, its target untouched', () => {
    const { work } = fresh();
    const victim = path.join(D, `victim-${who}`);
    fs.writeFileSync(victim, 'VICTIM\n', { mode: 0o666 });
    fs.chmodSync(victim, 0o666);
    const l = cli(who, ['learn', '-o', 'p.json', '--', 'sh', '-c', `rm -f p.json; ln -s ${victim} p.json; cat ${D}/data/used.txt`], { cwd: work });
    expect(l.status, l.stderr).toBe(0);
    expect(fs.readFileSync(victim, 'utf8')).toBe('VICTIM\n');
    expect(fs.lstatSync(path.join(work, 'p.json')).isSymbolicLink()).toBe(false);
    expect(readJson(path.join(work, 'p.json')).fs).toEqual({ read: [`${D}/data/used.txt`] });
  });

  test.skipIf(!can)('-o --force onto a link an earlier sandbox left, and -o in a directory the command swapped for a link: nothing written through either', () => {
    const { work } = fresh();
    const victim = path.join(D, `victim-force-${who}`);
    fs.writeFileSync(victim, 'VICTIM\n');
    fs.chmodSync(victim, 0o666);
    fs.symlinkSync(victim, path.join(work, 'p.json'));
    const l = cli(who, ['learn', '--force', '-o', 'p.json', '--', 'cat', `${D}/data/used.txt`], { cwd: work });
    expect(l.status, l.stderr).toBe(0);
    expect(fs.readFileSync(victim, 'utf8')).toBe('VICTIM\n');
    expect(readJson(path.join(work, 'p.json')).fs).toEqual({ read: [`${D}/data/used.txt`] });

    const victimDir = fs.mkdtempSync(path.join(D, `victim-dir-${who}-`));
    fs.chmodSync(victimDir, 0o777);
    fs.mkdirSync(path.join(work, 'sub'));
    fs.chmodSync(path.join(work, 'sub'), 0o777);
    const s = cli(who, ['learn', '-o', 'sub/p.json', '--', 'sh', '-c', `rm -rf sub; ln -s ${victimDir} sub; cat ${D}/data/used.txt`], { cwd: work });
    expect(s.status).toBe(1);
    expect(s.stderr).toMatch(/sub\/p\.json: its directory changed while the command ran/);
    expect(fs.readdirSync(victimDir)).toEqual([]);
  });

  test.skipIf(!can)('many distinct denials: bounded by the report (100 a call a round) and --rounds, said so; the policy stays loadable', () => {
    const { work } = fresh();
    const py = `import sys\nfor i in range(300):\n  try: open("${D}/many/f%d" % i).read()\n  except OSError: pass\n`;
    const l = cli(who, ['learn', '--rounds', '2', '-o', '-', '--', '/usr/bin/python3', '-c', py], { cwd: work });
    expect(l.status, l.stderr).toBe(0);
    const read = JSON.parse(l.stdout).fs.read as string[];
    expect(read.length).toBe(200);
    expect(read.every((f) => f.startsWith(`${D}/many/f`))).toBe(true);
    expect(l.stderr).toMatch(/run again with more --rounds/);
  });

  test.skipIf(!can)('denials learn refuses fill the report\'s budget (100 a call): learn does not claim to have converged', () => {
    const { work } = fresh();
    const py = `for i in range(120):\n  try: open("${D}/refused/.ssh/k%d" % i).read()\n  except OSError: pass\nprint(open("${D}/data/used.txt").read(), end="")\n`;
    const l = cli(who, ['learn', '--rounds', '3', '-o', '-', '--', '/usr/bin/python3', '-c', py], { cwd: work });
    expect(l.stderr).toMatch(/not shown/);
    expect(l.stderr).toMatch(/the policy may be incomplete/);
    expect(l.stdout).not.toContain('.ssh');
  });

  test.skipIf(!can)('a command that asks for one more file each round: bounded by --rounds, each grant named, not converged', () => {
    const { work } = fresh();
    const script = `n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; cat ${D}/esc/f$n`;
    const l = cli(who, ['learn', '--rounds', '3', '-o', '-', '--', 'sh', '-c', script], { cwd: work });
    expect(JSON.parse(l.stdout).fs.read).toEqual([1, 2, 3].map((i) => `${D}/esc/f${i}`));
    expect(l.stderr).toMatch(/round 3: fs\.read ".*\/esc\/f3"/);
    expect(l.stderr).toMatch(/last round still met new denials/);
  });
});
