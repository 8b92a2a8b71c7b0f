/**
 * `sbx learn` (issue 20): a command learned in the spawn sandbox runs again under the learned policy, while
 * what it never touched stays denied (each test checks the allowed access and a denied neighbour). A command
 * that reaches for a credential, or makes files where one lies, gets no grant for it (attack tests first);
 * hostile file names neither break the JSON nor smuggle keys. Root and uid 65534, through the CLI
 * (`node dist/cli.js learn`, as the `sbx` command hands it over) and `sbx.learn()`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freshDirs, readJson, sbxCli, shq as q, type Who } from './helpers/learn';
import { isRoot } from './helpers/unpriv';

let D: string; // host files, in the sandbox's read-only view of /var/tmp, outside every default grant
let H: string; // a home with a credential in it
beforeAll(() => {
  D = fs.mkdtempSync(path.join('/var/tmp', 'sbx-learn-'));
  fs.mkdirSync(path.join(D, 'data'));
  fs.writeFileSync(path.join(D, 'data', 'used.txt'), 'USED\n');
  fs.writeFileSync(path.join(D, 'data', 'py.txt'), 'PY\n');
  fs.writeFileSync(path.join(D, 'data', 'neighbour.txt'), 'NEIGHBOUR\n');
  fs.writeFileSync(path.join(D, 'tool.sh'), '#!/bin/sh\necho TOOL\n', { mode: 0o755 });
  fs.writeFileSync(path.join(D, 'other.sh'), '#!/bin/sh\necho OTHER\n', { mode: 0o755 });
  H = path.join(D, 'home');
  fs.mkdirSync(path.join(H, '.ssh'), { recursive: true });
  fs.writeFileSync(path.join(H, '.ssh', 'id_rsa'), 'PRIVATE KEY\n');
  fs.writeFileSync(path.join(H, 'notes.txt'), 'NOTES\n');
  spawnSync('chmod', ['-R', 'a+rwX', D]);
});
afterAll(() => fs.rmSync(D, { recursive: true, force: true }));

const fresh = (who: Who) => freshDirs(D, who);
const cli = sbxCli;

describe.each([
  ['root', true],
  ['unpriv', isRoot()],
] as const)('sbx learn, as %s', (who, can) => {
  test.skipIf(!can)('cat, python3, a tool and sh writing an output dir: learned, then the same command runs; neighbours stay denied', () => {
    const { work, out } = fresh(who);
    const script = [
      `cat ${D}/data/used.txt`,
      `python3 -c 'print(open("${D}/data/py.txt").read().strip())'`,
      `${D}/tool.sh`,
      `echo made > ${out}/made.txt`,
      `cat ${out}/made.txt`,
    ].join('; ');
    const pol = path.join(work, 'learned.json');
    const l = cli(who, ['learn', '-o', pol, '--', 'sh', '-c', script], { cwd: work });
    expect(l.status, l.stderr).toBe(0);
    const p = readJson(pol);
    expect(p.extends).toBe('default');
    expect(p.fs.read).toEqual(expect.arrayContaining([`${D}/data/used.txt`, `${D}/data/py.txt`, `${D}/tool.sh`]));
    expect(p.fs.exec).toEqual([`${D}/tool.sh`]);
    expect(p.fs.write).toEqual([out]);
    expect(p.fs.read).toContain(out); // as --rw: it reads back what it wrote
    // the files, never their directory
    expect(p.fs.read).not.toContain(`${D}/data`);
    expect(p.fs.read).not.toContain(D);
    expect(l.stderr).toMatch(/sbx learn: \d+ additions to extends default/);

    // The learned policy runs the command again (fresh output directory contents).
    fs.rmSync(path.join(out, 'made.txt'));
    const again = cli(who, ['run', '--policy', pol, '--', 'sh', '-c', script], { cwd: work });
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('USED\nPY\nTOOL\nmade\n');
    // ... and nothing else: the neighbour file, another tool, a write beside the output dir.
    const deny = cli(who, ['run', '--policy', pol, '--', 'sh', '-c', `cat ${D}/data/neighbour.txt`], { cwd: work });
    expect(deny.status).not.toBe(0);
    expect(deny.stderr).toMatch(/Permission denied/);
    const tool = cli(who, ['run', '--policy', pol, '--', `${D}/other.sh`], { cwd: work });
    expect(tool.status).toBe(126);
    const w = cli(who, ['run', '--policy', pol, '--', 'sh', '-c', `echo x > ${D}/data/new.txt`], { cwd: work });
    expect(w.status).not.toBe(0);
    expect(fs.existsSync(path.join(D, 'data', 'new.txt'))).toBe(false);
  });

  test.skipIf(!can)('attack: a credential read during learn is never granted, nor a directory that holds one; /etc/passwd and a plain file are', () => {
    const { work } = fresh(who);
    // The home is shown (bound by the base policy) so the reads reach Landlock and are reported.
    const base = JSON.stringify({ extends: 'default', mounts: [{ type: 'bind', source: H, target: H }] });
    const script = `cat /etc/passwd >/dev/null && echo PASSWD; cat ${H}/notes.txt; cat ${H}/.ssh/id_rsa; touch ${H}/planted; true`;
    const pol = path.join(work, 'learned.json');
    const l = cli(who, ['learn', '-o', pol, '--policy', base, '--', 'sh', '-c', script], { cwd: work, env: { HOME: H } });
    expect(l.status, l.stderr).toBe(0);
    expect(l.stderr).toContain(`not granted: fs.read "${H}/.ssh/id_rsa"`);
    expect(l.stderr).toMatch(/credential location \(\$HOME\/\.ssh\) that sbx hides; learn never grants one/);
    expect(l.stderr).toContain(`not granted: fs.write "${H}"`);
    expect(l.stderr).toMatch(/holds a credential location \(\$HOME\/\.ssh\)/);
    const text = fs.readFileSync(pol, 'utf8');
    expect(text).not.toContain('.ssh');
    const p = JSON.parse(text);
    expect(p.fs.read).toEqual([`${H}/notes.txt`]);
    expect(p.fs.write).toBeUndefined();

    const again = cli(who, ['run', '--policy', pol, '--', 'sh', '-c', script], { cwd: work, env: { HOME: H } });
    expect(again.stdout).toBe('PASSWD\nNOTES\n');
    expect(again.stderr).toMatch(/id_rsa: Permission denied/);
    expect(fs.existsSync(path.join(H, 'planted'))).toBe(false);
  });

  test.skipIf(!can)('hostile file names: exact grants in valid JSON, no key smuggled; a non-UTF-8 name is skipped with its reason', () => {
    const { work } = fresh(who);
    const N = path.join(D, `names-${who}`);
    fs.mkdirSync(N);
    const names = ['a\nb', 'q"]},"write":[".."],"x":["', '$HOME', 'tab\there', 'ünï'];
    for (const n of names) fs.writeFileSync(path.join(N, n), `${JSON.stringify(n)}\n`);
    fs.writeFileSync(Buffer.concat([Buffer.from(`${N}/`), Buffer.from([0xff, 0x41])]), 'BYTES\n');
    fs.writeFileSync(path.join(N, 'untouched'), 'UNTOUCHED\n');
    spawnSync('chmod', ['-R', 'a+rwX', N]);
    const script = [...names.map((n) => `cat ${q(path.join(N, n))}`), `cat "$(printf '${N}/\\377A')"`, 'true'].join('; ');
    const pol = path.join(work, 'learned.json');
    const l = cli(who, ['learn', '-o', pol, '--', 'sh', '-c', script], { cwd: work });
    expect(l.status, l.stderr).toBe(0);
    expect(l.stderr).toMatch(/not granted: .*not valid UTF-8/);
    const p = readJson(pol);
    expect(Object.keys(p).sort()).toEqual(['description', 'extends', 'fs', 'version']);
    expect(Object.keys(p.fs)).toEqual(['read']);
    expect(p.fs.read.sort()).toEqual(names.map((n) => path.join(N, n)).sort());

    const again = cli(who, ['run', '--policy', pol, '--', 'sh', '-c', names.map((n) => `cat ${q(path.join(N, n))}`).join(' && ')], { cwd: work });
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe(names.map((n) => `${JSON.stringify(n)}\n`).join(''));
    const deny = cli(who, ['run', '--policy', pol, '--', 'sh', '-c', `cat ${N}/untouched; cat "$(printf '${N}/\\377A')"`], { cwd: work });
    expect(deny.stdout).toBe('');
    expect(deny.stderr.match(/Permission denied/g)?.length).toBe(2);
  });
});

describe('sbx learn: output and exit status', () => {
  test('-o - writes the policy to stdout (the command\'s stdout to stderr); the exit code is the command\'s', () => {
    const { work } = fresh('root');
    const l = cli('root', ['learn', '-o', '-', '--', 'sh', '-c', `cat ${D}/data/used.txt; exit 3`], { cwd: work });
    expect(l.status).toBe(3);
    const p = JSON.parse(l.stdout);
    expect(p.fs.read).toEqual([`${D}/data/used.txt`]);
    expect(l.stderr).toContain('USED');
  });

  test('an existing file is kept unless --force; a setup failure writes nothing (125)', () => {
    const { work } = fresh('root');
    const pol = path.join(work, 'p.json');
    fs.writeFileSync(pol, 'KEEP');
    const l = cli('root', ['learn', '-o', pol, '--', 'true'], { cwd: work });
    expect(l.status).toBe(2);
    expect(l.stderr).toMatch(/exists; give --force/);
    expect(fs.readFileSync(pol, 'utf8')).toBe('KEEP');
    const f = cli('root', ['learn', '--force', '-o', pol, '--', 'true'], { cwd: work });
    expect(f.status, f.stderr).toBe(0);
    expect(readJson(pol).extends).toBe('default');
    // A working directory of / is refused by the sandbox: nothing learned, nothing written.
    const bad = path.join(work, 'bad.json');
    const s = cli('root', ['learn', '-o', bad, '--', 'true'], { cwd: '/' });
    expect(s.status).toBe(125);
    expect(fs.existsSync(bad)).toBe(false);
  });

  test('sbx.learn(): the same from the API, with the additions and the refusals listed', async () => {
    const { work } = fresh('root');
    const sbx = (await import('../lib/index')).default;
    const r = await sbx.learn('sh', ['-c', `cat ${D}/data/used.txt >/dev/null; ls ${D}/data >/dev/null`], { cwd: work, policy: 'strict', stdio: 'ignore' });
    expect(r.code).toBe(0);
    expect(r.converged).toBe(true);
    expect(r.added.map((g) => `${g.key} ${g.value}`).sort()).toEqual([`fs.list ${D}/data`, `fs.read ${D}/data/used.txt`]);
    expect(r.policy.extends).toBe('strict');
  });
});
