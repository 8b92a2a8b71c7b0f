/**
 * The default spawn sandbox on a developer's machine (issue 20, first item;
 * docs/spawn.md "The home and the repository"): toolchains under $HOME run
 * from their $PATH entries, credentials beside them stay hidden, the private
 * home is writable and the host's caches are never written, git works from
 * a subdirectory of a repository with its hooks and config read-only, and
 * `--ro` lets a bound toolchain run. Each denial has its allowed neighbour in
 * the same sandbox. As root and as uid 65534, with a test home of small
 * shell-script toolchains under /tmp; and, for root, the machine's real
 * pyenv python and cargo when they are there.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';
import { UNPRIV_UID, isRoot, runUnpriv, unprivPackage } from './helpers/unpriv';

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const SECRET = 'SECRET-TOKEN-7f3a';

type User = 'root' | 'unpriv';

interface Fixture {
  base: string;
  home: string;
  repo: string;
  sub: string;
  env: NodeJS.ProcessEnv;
}

function write(file: string, text: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode });
}

const script = (body: string) => `#!/bin/sh\n${body}\n`;

/** A home with a toolchain of each layout, credentials beside them, caches, and a repository. */
function makeFixture(user: User): Fixture {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-agent-home-'));
  const home = path.join(base, 'home');
  const h = (p: string) => path.join(home, p);
  write(h('.local/bin/ltool'), script('echo ltool-ran'), 0o755);
  // nvm: the bin entry runs what lies beside it (lib/), and etc/npmrc holds a registry token.
  write(h('.nvm/versions/node/v9/bin/fnode'), script('cat "$(dirname "$0")/../lib/ver"'), 0o755);
  write(h('.nvm/versions/node/v9/lib/ver'), 'fnode-v9\n');
  write(h('.nvm/versions/node/v9/etc/npmrc'), `//registry.example/:_authToken=${SECRET}\n`);
  // pyenv: the shim execs libexec/, outside the $PATH entry.
  write(h('.pyenv/shims/fpy'), script('exec "$(dirname "$0")/../libexec/fpy-real"'), 0o755);
  write(h('.pyenv/libexec/fpy-real'), script('echo fpy-ran'), 0o755);
  // cargo: the proxy reads ~/.rustup; credentials and the registry cache beside bin/.
  write(h('.cargo/bin/fcargo'), script('cat "$HOME/.rustup/settings.toml"'), 0o755);
  write(h('.rustup/settings.toml'), 'fcargo-toolchain\n');
  write(h('.cargo/credentials.toml'), `[registry]\ntoken = "${SECRET}"\n`);
  write(h('.cargo/registry/cache/host-crate'), 'host cache\n');
  write(h('go/bin/fgo'), script('echo fgo-ran'), 0o755);
  write(h('go/pkg/mod/host-module'), 'host module cache\n');
  write(h('tools/bin/ftool'), script('echo ftool-ran'), 0o755);
  // Credentials that no bind shows, and a plain file of the home.
  for (const f of ['.ssh/id_ed25519', '.aws/credentials', '.npmrc', '.netrc', '.git-credentials', '.config/gh/hosts.yml', '.docker/config.json', '.pypirc', '.config/git/credentials']) {
    write(h(f), `${SECRET}\n`);
  }
  write(h('notes.txt'), 'private notes\n');
  write(h('.gitconfig'), '[user]\n\tname = Test User\n\temail = test@example.invalid\n');
  const repo = path.join(base, 'repo');
  const sub = path.join(repo, 'pkg', 'sub');
  write(path.join(repo, 'README'), 'top\n');
  write(path.join(sub, 'code.txt'), 'one\n');
  const git = (...a: string[]) => spawnSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@e.invalid', ...a], { encoding: 'utf8' });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'init');
  spawnSync('chmod', ['-R', 'a+rX', base]);
  if (user === 'unpriv') spawnSync('chown', ['-R', `${UNPRIV_UID}:${UNPRIV_UID}`, base]);
  const PATH = ['.local/bin', '.nvm/versions/node/v9/bin', '.pyenv/shims', '.cargo/bin', 'go/bin', 'tools/bin'].map(h).join(':') + ':/usr/local/bin:/usr/bin:/bin';
  return { base, home, repo, sub, env: { PATH, HOME: home, LANG: 'C' } };
}

function cli(user: User): string {
  return path.join(user === 'root' ? repoRoot : unprivPackage(), 'dist', 'cli.js');
}

function sbx(user: User, args: string[], opts: SpawnSyncOptions & { env: NodeJS.ProcessEnv }) {
  const o = { encoding: 'utf8' as const, timeout: 60_000, ...opts };
  return user === 'root' ? spawnSync(process.execPath, [cli(user), ...args], o) : runUnpriv(process.execPath, [cli(user), ...args], o);
}

/** Everything under `dir` (relative names), to see what a sandbox left on the host. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory()) walk(path.join(d, e.name), r);
    }
  };
  walk(dir, '');
  return out.sort();
}

describe.each([
  ['root', true],
  ['uid 65534', isRoot()],
] as const)('the default sandbox on a developer machine, as %s', (who, can) => {
  const user: User = who === 'root' ? 'root' : 'unpriv';
  const why = can ? '' : ' (skipped: uid 65534 needs root to start)';
  let fx: Fixture;
  beforeAll(() => {
    if (can) fx = makeFixture(user);
  });
  afterAll(() => {
    if (fx) fs.rmSync(fx.base, { recursive: true, force: true });
  });
  const run = (cmd: string, cwd = fx.sub, extra: string[] = []) => sbx(user, ['run', ...extra, '--', 'sh', '-c', cmd], { cwd, env: fx.env });

  test.skipIf(!can)(`toolchains under $HOME run from $PATH (local/bin, nvm, pyenv, cargo+rustup, go, any entry)${why}`, () => {
    const r = run('ltool; fnode; fpy; fcargo; fgo; ftool');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ltool-ran\nfnode-v9\nfpy-ran\nfcargo-toolchain\nfgo-ran\nftool-ran\n');
    expect(r.status).toBe(0);
  });

  test.skipIf(!can)(`credentials stay hidden, inside a bound toolchain and beside it, while the toolchain runs${why}`, () => {
    const h = (p: string) => path.join(fx.home, p);
    const secrets = ['.cargo/credentials.toml', '.nvm/versions/node/v9/etc/npmrc', '.ssh/id_ed25519', '.aws/credentials', '.npmrc', '.netrc', '.git-credentials', '.config/gh/hosts.yml', '.docker/config.json', '.pypirc', '.config/git/credentials', 'notes.txt'];
    const r = run(`fcargo; fnode; for f in ${secrets.map((s) => `'${h(s)}'`).join(' ')}; do cat "$f" 2>/dev/null | grep -q . && echo "READ $f"; done; git config --global user.name; true`);
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).not.toContain('READ ');
    // The neighbours: the toolchains beside the secrets ran, ~/.gitconfig is read.
    expect(r.stdout).toBe('fcargo-toolchain\nfnode-v9\nTest User\n');
    // Asked for by name, a credential is shown (an explicit bind wins).
    const asked = sbx(user, ['run', '--ro', h('.aws'), '--', 'cat', h('.aws/credentials')], { cwd: fx.sub, env: fx.env });
    expect(asked.stdout).toBe(`${SECRET}\n`);
    // A toolchain directory bound whole by hand keeps its credentials hidden, and runs.
    const whole = sbx(user, ['run', '--ro', h('.cargo'), '--', 'sh', '-c', `fcargo; echo "[$(cat '${h('.cargo/credentials.toml')}')]"`], { cwd: fx.sub, env: fx.env });
    expect(whole.stdout).toBe('fcargo-toolchain\n[]\n');
  });

  test.skipIf(!can)(`the private home is writable; toolchains, the host's caches and home are not written${why}`, () => {
    const before = tree(fx.home);
    const r = run(
      [
        'mkdir -p ~/.npm/_cacache ~/.cache/pip ~/.cargo/registry/cache ~/go/pkg/mod && echo cache > ~/.npm/_cacache/x && echo c > ~/.cargo/registry/cache/poison && echo m > ~/go/pkg/mod/poison && echo caches-ok',
        'ls ~/.cargo/registry/cache',
        'echo x > ~/.local/bin/ltool 2>/dev/null || echo toolchain-read-only',
        'echo x > ~/.nvm/versions/node/v9/lib/ver 2>/dev/null || echo nvm-read-only',
        'ltool',
      ].join('; '),
    );
    expect(r.stdout).toBe('caches-ok\npoison\ntoolchain-read-only\nnvm-read-only\nltool-ran\n');
    expect(r.status).toBe(0);
    expect(tree(fx.home)).toEqual(before);
    expect(fs.readFileSync(path.join(fx.home, '.local/bin/ltool'), 'utf8')).toBe(script('echo ltool-ran'));
  });

  test.skipIf(!can || !have('git'))(`git from a subdirectory: status, diff, add, commit; hooks and config stay read-only${why}`, () => {
    fs.appendFileSync(path.join(fx.sub, 'code.txt'), 'two\n');
    const r = run(
      [
        'git status --short',
        'git diff --stat | tail -1',
        'git add code.txt && git -c user.name=a -c user.email=a@e.invalid commit -qm from-sub && echo committed',
        'cat ../../README',
        'echo "#!/bin/sh" > ../../.git/hooks/pre-commit 2>/dev/null || echo hooks-read-only',
        'git config core.fsmonitor "touch /tmp/x" 2>/dev/null || echo config-read-only',
        'echo top > ../../README 2>/dev/null || echo top-read-only',
      ].join('; '),
    );
    expect(r.stdout).toBe(' M code.txt\n 1 file changed, 1 insertion(+)\ncommitted\ntop\nhooks-read-only\nconfig-read-only\ntop-read-only\n');
    const log = spawnSync('git', ['-c', 'safe.directory=*', '-C', fx.repo, 'log', '--format=%s'], { encoding: 'utf8' });
    expect(log.stdout).toBe('from-sub\ninit\n');
    expect(fs.existsSync(path.join(fx.repo, '.git/hooks/pre-commit'))).toBe(false);
    expect(fs.readFileSync(path.join(fx.repo, '.git/config'), 'utf8')).not.toContain('fsmonitor');
  });

  test.skipIf(!can || !have('git'))(`git in a worktree: its git directory and the main repository's are writable, hooks read-only${why}`, () => {
    const wt = path.join(fx.base, 'wt');
    const as = (args: string[]) => (user === 'root' ? spawnSync('git', args, { encoding: 'utf8' }) : runUnpriv('git', args, { env: fx.env }));
    expect(as(['-C', fx.repo, 'worktree', 'add', '-q', '-b', 'side', wt]).status).toBe(0);
    fs.writeFileSync(path.join(wt, 'new.txt'), 'new\n');
    if (user === 'unpriv') spawnSync('chown', [`${UNPRIV_UID}:${UNPRIV_UID}`, path.join(wt, 'new.txt')]);
    const r = run(`git add new.txt && git -c user.name=a -c user.email=a@e.invalid commit -qm in-worktree && echo committed; echo x > '${fx.repo}/.git/hooks/post-commit' 2>/dev/null || echo hooks-read-only`, wt);
    expect(r.stdout).toBe('committed\nhooks-read-only\n');
    expect(spawnSync('git', ['-c', 'safe.directory=*', '-C', fx.repo, 'log', '-1', '--format=%s', 'side'], { encoding: 'utf8' }).stdout).toBe('in-worktree\n');
  });

  test.skipIf(!can)(`--ro of a directory of programs lets them run; --rw under strict does not (what the sandbox writes)${why}`, () => {
    const tools = path.join(fx.home, 'tools');
    const ro = sbx(user, ['run', '--policy', 'workspace', '--ro', tools, '--', path.join(tools, 'bin', 'ftool')], { cwd: fx.sub, env: fx.env });
    expect(ro.stdout).toBe('ftool-ran\n');
    expect(ro.status).toBe(0);
    const out = path.join(fx.base, 'out');
    fs.mkdirSync(out, { recursive: true });
    if (user === 'unpriv') spawnSync('chown', [`${UNPRIV_UID}:${UNPRIV_UID}`, out]);
    const rw = sbx(user, ['run', '--policy', 'strict', '--rw', out, '--', 'sh', '-c', `cp /bin/true '${out}/t' && echo copied && '${out}/t'`], { cwd: fx.sub, env: fx.env });
    expect(rw.stdout).toBe('copied\n');
    expect(rw.status).toBe(126);
  });

  test.skipIf(!can || !have('npm'))(`npm install works with a private cache: no chown advice, the host's ~/.npm untouched${why}`, () => {
    // A package tarball made on the host (npm's layout: package/...), installed offline.
    const packed = path.join(fx.base, 'packed');
    write(path.join(packed, 'package', 'package.json'), '{"name":"tiny","version":"1.0.0"}');
    write(path.join(packed, 'package', 'index.js'), 'module.exports = 42;\n');
    const app = path.join(fx.base, 'app');
    write(path.join(app, 'package.json'), '{"name":"app","version":"1.0.0"}');
    expect(spawnSync('tar', ['czf', path.join(app, 'tiny-1.0.0.tgz'), '-C', packed, 'package']).status).toBe(0);
    spawnSync('chmod', ['-R', 'a+rX', app]);
    if (user === 'unpriv') spawnSync('chown', ['-R', `${UNPRIV_UID}:${UNPRIV_UID}`, app]);
    const r = run(`npm install --offline --no-audit --no-fund ./tiny-1.0.0.tgz && node -p "require('tiny')" && ls ~/.npm`, app);
    expect(r.stderr).not.toMatch(/chown/);
    expect(r.stdout, r.stderr).toMatch(/added 1 package/);
    expect(r.stdout).toMatch(/^42$/m);
    expect(r.stdout).toMatch(/^_cacache$/m);
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(fx.home, '.npm'))).toBe(false);
  });

  test.skipIf(!can)(`through the spawn server (prepared sandboxes): each request sees the toolchains of its own $PATH${why}`, () => {
    const index = path.join(user === 'root' ? repoRoot : unprivPackage(), 'dist', 'index.js');
    const noLocal = fx.env.PATH!.split(':').filter((d) => !d.endsWith('.local/bin')).join(':');
    const js = `const sbx = require(${JSON.stringify(index)});
      (async () => {
        const out = [];
        for (const PATH of [${JSON.stringify(noLocal)}, ${JSON.stringify(noLocal)}, process.env.PATH, process.env.PATH]) {
          const r = await sbx.run('sh', ['-c', 'ltool; fcargo'], { env: { ...process.env, PATH } });
          out.push(r.code + ':' + r.stdout.trim().split('\\n').join(','));
        }
        console.log(out.join(' '));
        process.exit(0);
      })();`;
    const o = { cwd: fx.sub, env: fx.env, encoding: 'utf8' as const, timeout: 60_000 };
    const r = user === 'root' ? spawnSync(process.execPath, ['-e', js], o) : runUnpriv(process.execPath, ['-e', js], o);
    // The binds follow $PATH: a sandbox prepared for the first $PATH is not taken for the second.
    expect(r.stdout).toBe('0:fcargo-toolchain 0:fcargo-toolchain 0:ltool-ran,fcargo-toolchain 0:ltool-ran,fcargo-toolchain\n');
  });

  const NO_USERNS = 'echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --bounding-set=-all --inh-caps=-all -- "$@"';
  const canSimulate = spawnSync('unshare', ['-U', '-r', 'sh', '-c', NO_USERNS, 'sh', 'unshare', '-U', 'true']).status === 1;
  test.skipIf(!can || !canSimulate)(`without user namespaces (no view): the host's home gets no grant, the working directory still works${why}${canSimulate ? '' : ' (skipped: cannot make a host without user namespaces here)'}`, () => {
    const args = ['-U', '-r', 'sh', '-c', NO_USERNS, 'sh', process.execPath, cli(user), 'run', '--', 'sh', '-c', 'echo p > ~/poison 2>/dev/null || echo home-denied; cat ~/notes.txt 2>/dev/null || echo notes-denied; echo ok > w && cat w && rm w'];
    // $TMPDIR of its own: without a view the strict layer grants the host's $TMPDIR (/tmp by
    // default, where this test's home lies), which is not what is tested here.
    const tmp = path.join(fx.base, 'tmpdir');
    fs.mkdirSync(tmp, { recursive: true });
    if (user === 'unpriv') spawnSync('chown', [`${UNPRIV_UID}:${UNPRIV_UID}`, tmp]);
    const o = { cwd: fx.sub, env: { ...fx.env, TMPDIR: tmp }, encoding: 'utf8' as const, timeout: 60_000 };
    const r = user === 'root' ? spawnSync('unshare', args, o) : runUnpriv('unshare', args, o);
    expect(r.stdout, r.stderr).toBe('home-denied\nnotes-denied\nok\n');
    expect(fs.existsSync(path.join(fx.home, 'poison'))).toBe(false);
  });

  test.skipIf(!can)(`nothing of the home is granted without a mount namespace view (the other doors skip home and git)${why}`, () => {
    // The preload door with the default preset: $HOME stays the host's, as its fs lists say.
    const lib = path.join(user === 'root' ? repoRoot : unprivPackage(), 'build', 'Release', 'libsbx.so');
    const cmd = ['/usr/bin/env', `LD_PRELOAD=${lib}`, 'SBX_POLICY=default', `HOME=${fx.home}`, `TMPDIR=${fx.sub}`, '/bin/sh', '-c', `cat '${path.join(fx.home, 'notes.txt')}' || echo home-denied; echo ok > ./w && cat ./w`];
    const o = { cwd: path.join(fx.base, 'home', 'tools'), encoding: 'utf8' as const };
    const r = user === 'root' ? spawnSync(cmd[0], cmd.slice(1), o) : runUnpriv(cmd[0], cmd.slice(1), o);
    expect(r.stdout).toBe('home-denied\nok\n');
  });
});

describe('real toolchains of this machine (root)', () => {
  const env = { ...process.env };
  const home = os.homedir();
  const pyenv = path.join(home, '.pyenv', 'shims', 'python3');
  const cargo = path.join(home, '.cargo', 'bin', 'cargo');
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const project = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-agent-real-'));
    dirs.push(d);
    return d;
  };
  const onPath = (p: string) => (env.PATH ?? '').split(':').includes(path.dirname(p));

  test.skipIf(!fs.existsSync(pyenv) || !onPath(pyenv))(`pyenv's python3 is the one that runs, not /usr/bin/python3${fs.existsSync(pyenv) ? '' : ' (skipped: no ~/.pyenv here)'}`, () => {
    const outside = spawnSync('python3', ['-c', 'import sys; print(sys.executable, sys.version)'], { encoding: 'utf8' });
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'run', '--', 'python3', '-c', 'import sys; print(sys.executable, sys.version)'], { cwd: project(), encoding: 'utf8', env });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(outside.stdout);
    expect(r.stdout).toContain(path.join(home, '.pyenv'));
  });

  test.skipIf(!fs.existsSync(cargo) || !onPath(cargo))(`cargo builds a crate (rustup's proxy, its toolchain, a private registry cache)${fs.existsSync(cargo) ? '' : ' (skipped: no ~/.cargo here)'}`, () => {
    const d = project();
    write(path.join(d, 'Cargo.toml'), '[package]\nname = "t"\nversion = "0.1.0"\nedition = "2021"\n');
    write(path.join(d, 'src', 'main.rs'), 'fn main() { println!("built-in-sandbox"); }\n');
    const before = tree(path.join(home, '.cargo'));
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'run', '--', 'cargo', 'run', '-q', '--offline'], { cwd: d, encoding: 'utf8', env, timeout: 120_000 });
    expect(r.stdout).toBe('built-in-sandbox\n');
    expect(r.status).toBe(0);
    expect(tree(path.join(home, '.cargo'))).toEqual(before);
  });
});
