/**
 * Egress by name (net.hosts, `sbx run --allow-host`; docs/network.md).
 *
 * Every host here is in a network namespace the test makes (fixtures/egress/
 * world.sh): "the host" (where sbx runs, its /etc/hosts replaced) joined by a
 * veth pair to "the world", 10.77.0.2 (allowed.test, a.wild.test) and 10.77.0.3
 * (denied.test, wild.test), each with HTTP on 80, TLS on 443 (a self-signed
 * certificate made here), a server-speaks-first TCP service on 2222 and UDP
 * echo on 5353 (fixtures/egress/servers.py). Nothing reaches any other address.
 *
 * Each denial is checked beside an allowed neighbour: the same client, the same
 * server, one thing changed (the name, the address, the port, the server name).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { cliPath, repoRoot } from './helpers/paths';
import { egressWorld } from './helpers/egress-world';
import { isRoot } from './helpers/unpriv';

const T = 120_000;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const canWorld = isRoot() && ['ip', 'unshare', 'nsenter', 'curl', 'openssl', 'setpriv'].every(has) && fs.existsSync('/usr/bin/python3');
const why = canWorld ? '' : 'needs root, ip, unshare, nsenter, curl, openssl, setpriv and /usr/bin/python3 (the test network is made with them)';

const world = egressWorld({
  prefix: 'sbx-egress-',
  hosts: '127.0.0.1 localhost\n10.77.0.2 allowed.test www.allowed.test a.wild.test\n10.77.0.3 denied.test wild.test\n',
  files: ['client.py', 'server-isolation.js'],
  timeout: T - 5000,
});

/** Run `inner` (a shell script) inside the world, as root or as uid 65534, from a working directory of that user. */
function inWorld(inner: string, unpriv: boolean): { stdout: string; stderr: string; status: number | null; upstream: string } {
  const r = world.run(inner, unpriv);
  // what reached the world's DNS server (servers.py --dns): one line per query
  const out = path.join(r.dir, 'servers.out');
  const upstream = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, upstream };
}

/** `[name] output` lines of a run. */
function lines(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of out.split('\n')) {
    const x = /^\[([a-z0-9-]+)\] ?(.*)$/.exec(l);
    if (x) m.set(x[1], x[2]);
  }
  return m;
}

// The cases of one sandbox: allowed.test on 80/443 and 2222, nothing else.
const CASES = `
c() { n=$1; shift; printf '[%s] %s\\n' "$n" "$("$@" 2>&1 | tr '\\n' ' ' | sed 's/ *$//')"; }
c proxy-http curl -sS http://allowed.test/
c proxy-https curl -sSk https://allowed.test/
c proxy-denied-name curl -sS http://denied.test/
c proxy-denied-https curl -sSk https://denied.test/
c proxy-denied-ip curl -sS http://10.77.0.3/
c proxy-sni-mismatch curl -sSk --connect-to denied.test:443:allowed.test:443 https://denied.test/
c proxy-sni-match curl -sSk --connect-to www.allowed.test:443:allowed.test:443 https://allowed.test/
c tcp-name /usr/bin/python3 client.py tcp allowed.test 2222
c tcp-ip /usr/bin/python3 client.py tcp 10.77.0.2 2222
c tcp-block /usr/bin/python3 client.py tcpblock allowed.test 2222
c tcp-refused /usr/bin/python3 client.py tcpblock allowed.test 2223
c tcp-denied-name /usr/bin/python3 client.py tcp denied.test 2222
c tcp-denied-ip /usr/bin/python3 client.py tcp 10.77.0.3 80
c tcp-denied-port /usr/bin/python3 client.py tcp allowed.test 81
c direct-https curl -sSk --noproxy '*' https://allowed.test/
c direct-sni-denied curl -sSk --noproxy '*' --resolve denied.test:443:10.77.0.2 https://denied.test/
c direct-host-denied curl -sS --noproxy '*' -H 'Host: denied.test' http://allowed.test/
c direct-host-ok curl -sS --noproxy '*' -H 'Host: allowed.test' http://10.77.0.2/
c udp-out /usr/bin/python3 client.py udp 10.77.0.2 5353
c loopback /usr/bin/python3 client.py loopback
c dns-getent getent hosts dns-allowed.test
c dns-resolve /usr/bin/python3 client.py resolve dns-allowed.test
c dns-tcp /usr/bin/python3 client.py tcp dns-allowed.test 2222
c dns-direct curl -sS --noproxy '*' http://dns-allowed.test/
c dns-denied /usr/bin/python3 client.py resolve dns-denied.test
c dns-denied-getent sh -c 'getent hosts dns-denied.test; echo "rc=$?"'
c dns-sub /usr/bin/python3 client.py resolve sub.dns-allowed.test
c dns-raw /usr/bin/python3 client.py dnsraw dns-allowed.test
c dns-raw-txt /usr/bin/python3 client.py dnsraw dns-allowed.test TXT
c dns-raw-tunnel /usr/bin/python3 client.py dnsraw c2VjcmV0.dns-denied.test
c dns-raw-tunnel-txt /usr/bin/python3 client.py dnsraw c2VjcmV0.dns-denied.test TXT
c udp-dns-out /usr/bin/python3 client.py udp 10.77.0.3 53
`;

function runCases(unpriv: boolean) {
  const inner = `cat > cases.sh <<'EOF'\n${CASES}\nEOF\n$SBX run --report --allow-host allowed.test --allow-host allowed.test:2222 --allow-host allowed.test:2223 --allow-host dns-allowed.test --allow-host dns-allowed.test:2222 -- /bin/sh cases.sh\necho "[exit] $?"`;
  const r = inWorld(inner, unpriv);
  return { ...r, l: lines(r.stdout) };
}

function checkCases(r: ReturnType<typeof runCases>) {
  const l = r.l;
  const ctx = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  expect(l.get('exit'), ctx).toBe('0');
  // the proxy (HTTP_PROXY): allowed name by http and https, the rest refused with the flag
  expect(l.get('proxy-http'), ctx).toBe('http 10.77.0.2 host=allowed.test');
  expect(l.get('proxy-https'), ctx).toBe('tls 10.77.0.2 sni=allowed.test host=allowed.test');
  expect(l.get('proxy-denied-name'), ctx).toBe('sbx: denied.test port 80 is not allowed (net.hosts): --allow-host denied.test:80');
  expect(l.get('proxy-denied-https'), ctx).toMatch(/CONNECT tunnel failed, response 403/);
  expect(l.get('proxy-denied-ip'), ctx).toMatch(/^sbx: 10\.77\.0\.3 port 80 is not allowed/);
  // a CONNECT to the allowed name whose TLS server name is another: refused, no server reply
  expect(l.get('proxy-sni-mismatch'), ctx).toMatch(/curl: \(35\)/);
  expect(l.get('proxy-sni-mismatch'), ctx).not.toMatch(/tls 10\.77/);
  expect(l.get('proxy-sni-match'), ctx).toBe('tls 10.77.0.2 sni=allowed.test host=allowed.test');
  // programs that ignore the proxy: plain TCP to allowed host:port, by name and by address
  expect(l.get('tcp-name'), ctx).toBe('OK banner 10.77.0.2 | echo hi');
  expect(l.get('tcp-ip'), ctx).toBe('OK banner 10.77.0.2 | echo hi');
  // a blocking socket stays blocking once connected through the egress process; an allowed
  // port where nothing listens says so (the egress process's errno), as a direct connect would
  expect(l.get('tcp-block'), ctx).toBe('OK blocking banner 10.77.0.2 | echo hi');
  expect(l.get('tcp-refused'), ctx).toBe('ERR ECONNREFUSED');
  expect(l.get('tcp-denied-name'), ctx).toBe('ERR EACCES');
  expect(l.get('tcp-denied-ip'), ctx).toBe('ERR EACCES');
  expect(l.get('tcp-denied-port'), ctx).toBe('ERR EACCES');
  // transparent TLS and HTTP: the name inside is checked even at an allowed address
  expect(l.get('direct-https'), ctx).toBe('tls 10.77.0.2 sni=allowed.test host=allowed.test');
  expect(l.get('direct-sni-denied'), ctx).toMatch(/curl: \(35\)/);
  expect(l.get('direct-sni-denied'), ctx).not.toMatch(/tls 10\.77/);
  expect(l.get('direct-host-denied'), ctx).toMatch(/curl: \(52\) Empty reply/);
  expect(l.get('direct-host-ok'), ctx).toBe('http 10.77.0.2 host=allowed.test');
  // no UDP leaves; the sandbox's own loopback works
  expect(l.get('udp-out'), ctx).toMatch(/^ERR (ENETUNREACH|TimeoutError|timeout)/);
  expect(l.get('loopback'), ctx).toBe('OK own server');
  // --report: one line per refusal, naming the host and the flag
  expect(r.stderr, ctx).toMatch(/^sbx: denied connection to denied\.test:80: name not allowed; allow it with --allow-host denied\.test:80$/m);
  expect(r.stderr, ctx).toMatch(/^sbx: denied connection to 10\.77\.0\.3:80: address not allowed; allow it with --allow-host 10\.77\.0\.3:80$/m);
  expect(r.stderr, ctx).toMatch(/^sbx: denied connection to denied\.test:443 \(10\.77\.0\.2\): TLS server name denied\.test is not allowed on port 443.*allow it with --allow-host denied\.test:443$/m);
  expect(r.stderr, ctx).toMatch(/^sbx: denied connection to 10\.77\.0\.2:81: address not allowed.*--allow-host 10\.77\.0\.2:81$/m);
  // DNS inside the sandbox (names that are in no hosts file: only the world's DNS
  // server knows them): an allowed name resolves through sbx, by the system's
  // resolver and by a query of the program's own, and connects by plain TCP with no
  // proxy (its address is what the name resolved to through sbx)
  expect(l.get('dns-getent'), ctx).toMatch(/^10\.77\.0\.2 +dns-allowed\.test$/);
  expect(l.get('dns-resolve'), ctx).toBe('OK 10.77.0.2');
  expect(l.get('dns-tcp'), ctx).toBe('OK banner 10.77.0.2 | echo hi');
  expect(l.get('dns-direct'), ctx).toBe('http 10.77.0.2 host=dns-allowed.test');
  expect(l.get('dns-raw'), ctx).toBe('id-ok rcode 0 answers 1 10.77.0.2');
  expect(l.get('dns-raw-txt'), ctx).toBe('id-ok rcode 0 answers 0');
  // a name not allowed, and an allowed name's subdomain that is not: no answer
  // (NXDOMAIN), though the world's DNS knows both; a query of the program's own
  // carrying data in the name gets the same, of any type
  expect(l.get('dns-denied'), ctx).toBe('ERR EAI_NONAME');
  expect(l.get('dns-denied-getent'), ctx).toBe('rc=2');
  expect(l.get('dns-sub'), ctx).toBe('ERR EAI_NONAME');
  expect(l.get('dns-raw-tunnel'), ctx).toBe('id-ok rcode 3 answers 0');
  expect(l.get('dns-raw-tunnel-txt'), ctx).toBe('id-ok rcode 3 answers 0');
  // UDP to a DNS port outside does not leave either
  expect(l.get('udp-dns-out'), ctx).toMatch(/^ERR (ENETUNREACH|TimeoutError|timeout)/);
  // each refused name reported once, with the flag that allows it
  expect(r.stderr, ctx).toMatch(/^sbx: denied name lookup of dns-denied\.test: name not allowed; allow it with --allow-host dns-denied\.test$/m);
  expect(r.stderr, ctx).toMatch(/^sbx: denied name lookup of sub\.dns-allowed\.test: name not allowed; allow it with --allow-host sub\.dns-allowed\.test$/m);
  expect(r.stderr, ctx).toMatch(/^sbx: denied name lookup of c2vjcmv0\.dns-denied\.test: name not allowed/m);
  expect(r.stderr.match(/name lookup of dns-denied\.test:/g)?.length, ctx).toBe(1);
  // what reached the host's DNS: the allowed name (asked by sbx), nothing else
  expect(r.upstream, ctx).toMatch(/^dns-query dns-allowed\.test 1$/m);
  expect(r.upstream, ctx).not.toMatch(/dns-denied|sub\.dns-allowed|c2vjcmv0/i);
}

describe.skipIf(!canWorld)(`egress by name ${why}`, () => {
  beforeAll(() => world.setup());

  test('as root: proxy, transparent TCP, server names, UDP, loopback, reports', () => checkCases(runCases(false)), T);
  test('as uid 65534: the same', () => checkCases(runCases(true)), T);

  // The spawn server prepares sandboxes of a net.hosts policy ahead (launcher/server.c), each
  // with an egress process of its own. The attack: a sandbox served from the same server as
  // one of another policy reaches the other's hosts (by its proxy, by the address the other
  // resolved, by its resolver). Two policies alternate; every sandbox but the first of each
  // is one prepared ahead (warm=true), and each reaches its own hosts only.
  const isolation = (unpriv: boolean) => {
    const rounds = 3;
    const r = inWorld(`"$NODE" server-isolation.js "$PKG" ${rounds}`, unpriv);
    const ctx = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    const runs = [...r.stdout.matchAll(/^\[(one|two)-(\d+)\] warm=(true|false) code=(\d+);(.*)$/gm)];
    expect(runs.length, ctx).toBe(rounds * 2);
    // a prepared sandbox is dropped after 10 s: on a loaded machine one of the other policy's
    // runs may take that long, so each policy needs one warm run, not every one
    for (const policy of ['one', 'two']) expect(runs.some((m) => m[1] === policy && m[3] === 'true'), `${policy} never warm: ${ctx}`).toBe(true);
    for (const [, policy, round, , code, rest] of runs) {
      const got = Object.fromEntries(rest.split(';').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      const own = policy === 'one' ? { ip: '10.77.0.2', name: 'allowed.test', dns: 'dns-allowed.test' } : { ip: '10.77.0.3', name: 'denied.test', dns: 'dns-denied.test' };
      const other = policy === 'one' ? { ip: '10.77.0.3', name: 'denied.test', dns: 'dns-denied.test', key: 'two' } : { ip: '10.77.0.2', name: 'allowed.test', dns: 'dns-allowed.test', key: 'one' };
      const ownKey = policy;
      const c = `${policy}-${round}: ${ctx}`;
      expect(code, c).toBe('0');
      expect(got[`proxy-${ownKey}`], c).toBe(`http ${own.ip} host=${own.name}`);
      expect(got[`direct-${ownKey}`], c).toBe(`http ${own.ip} host=${own.ip}`);
      expect(got[`dns-${ownKey}`], c).toBe(`OK ${own.ip}`);
      expect(got[`tcp-${ownKey}`], c).toBe(`OK banner ${own.ip} | echo hi`);
      expect(got[`proxy-${other.key}`], c).toBe(`sbx: ${other.name} port 80 is not allowed (net.hosts): --allow-host ${other.name}:80`);
      expect(got[`direct-${other.key}`], c).toMatch(/curl: \(7\)/);
      expect(got[`dns-${other.key}`], c).toBe('ERR EAI_NONAME');
      expect(got[`tcp-${other.key}`], c).toBe('ERR EACCES');
    }
  };
  test('spawn server: sandboxes prepared ahead for two policies each reach their own hosts only (root)', () => isolation(false), T);
  test('spawn server: the same as uid 65534', () => isolation(true), T);

  test(
    'a wildcard allows the names beneath it, not the domain itself',
    () => {
      const r = inWorld(
        `$SBX run --allow-host '*.wild.test' -- sh -c 'echo "[sub] $(curl -sS http://a.wild.test/)"; echo "[apex] $(curl -sS http://wild.test/)"'`,
        false,
      );
      const l = lines(r.stdout);
      expect(l.get('sub'), r.stderr).toBe('http 10.77.0.2 host=a.wild.test');
      expect(l.get('apex'), r.stderr).toBe('sbx: wild.test port 80 is not allowed (net.hosts): --allow-host wild.test:80');
    },
    T,
  );

  test(
    'DNS: the names beneath a wildcard resolve through sbx and then connect transparently; the domain itself does not',
    () => {
      const r = inWorld(
        `$SBX run --report --allow-host '*.dnswild.test' -- sh -c 'echo "[sub] $(/usr/bin/python3 client.py resolve x.dnswild.test)"; echo "[sub-direct] $(curl -sS --noproxy "*" http://x.dnswild.test/ 2>&1)"; echo "[apex] $(/usr/bin/python3 client.py resolve dnswild.test)"; echo "[apex-direct] $(curl -sS --noproxy "*" http://10.77.0.3/ 2>&1)"'`,
        false,
      );
      const l = lines(r.stdout);
      const ctx = r.stdout + r.stderr;
      expect(l.get('sub'), ctx).toBe('OK 10.77.0.2');
      expect(l.get('sub-direct'), ctx).toBe('http 10.77.0.2 host=x.dnswild.test');
      expect(l.get('apex'), ctx).toBe('ERR EAI_NONAME');
      expect(l.get('apex-direct'), ctx).toMatch(/curl: \(7\)/);
      expect(r.stderr, ctx).toMatch(/^sbx: denied name lookup of dnswild\.test: name not allowed; allow it with --allow-host dnswild\.test$/m);
    },
    T,
  );

  test(
    'the API: net.hosts in a policy object, denials in result.violations',
    () => {
      const api = path.join(repoRoot, 'dist', 'index.js');
      const js = `
        const sbx = require(${JSON.stringify(api)});
        sbx.run('/bin/sh', ['-c', 'curl -sS http://allowed.test/; curl -sS http://denied.test:8080/'],
          { policy: { extends: 'default', net: { hosts: ['allowed.test'] } }, report: true, server: false })
          .then((r) => console.log('[api] ' + JSON.stringify({ code: r.code, out: r.stdout.toString(), v: r.violations })));`;
      const file = path.join(world.setup(), 'api.js');
      fs.writeFileSync(file, js);
      const r = inWorld(`${process.execPath} ${file}`, false);
      const line = lines(r.stdout).get('api');
      expect(line, r.stdout + r.stderr).toBeDefined();
      const res = JSON.parse(line!);
      expect(res.out).toContain('http 10.77.0.2 host=allowed.test');
      expect(res.v.filter((v: { kind: string }) => v.kind === 'net')).toEqual([
        expect.objectContaining({ type: 'violation', kind: 'net', host: 'denied.test', port: 8080, reason: 'name not allowed', allow: expect.objectContaining({ flag: '--allow-host denied.test:8080', key: 'net.hosts', policy: { net: { hosts: ['denied.test:8080'] } } }) }),
      ]);
    },
    T,
  );
});

describe('egress by name: refusals before anything runs', () => {
  test('a bad pattern is an error at its pointer (exit 125)', () => {
    const r = spawnSync(process.execPath, [cliPath, 'run', '--allow-host', 'ok.test', '--allow-host', 'foo.*.test', '--', 'true'], { encoding: 'utf8' });
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/host pattern "foo\.\*\.test": '\*' only as the whole first label .*\/net\/hosts\/1/);
  });

  // Named groups: @npm is the registries npm itself would use, read from npm's
  // configuration (checked against `npm config get registry` in the same place);
  // an unknown group is an error naming the known ones.
  const explainHosts = (cwd: string, env: NodeJS.ProcessEnv, ...hosts: string[]) => {
    const r = spawnSync(process.execPath, [cliPath, 'run', ...hosts.flatMap((h) => ['--allow-host', h]), '--explain', '--', 'true'], { encoding: 'utf8', cwd, env });
    const m = /egress path, to (.*?) \(no port: 80 and 443\)/.exec(r.stdout + r.stderr);
    return { r, to: m ? m[1] : `(none in: ${r.stdout}${r.stderr})` };
  };
  test.skipIf(!has('npm'))('@npm: the registries npm would use, as npm config get registry says', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-npm-group-'));
    const proj = path.join(dir, 'proj');
    fs.mkdirSync(path.join(proj, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(proj, 'package.json'), '{}');
    const user = path.join(dir, 'user-npmrc');
    fs.writeFileSync(user, 'registry=https://user.registry.test/\n@acme:registry=http://acme.test:8080/npm/\n');
    // without the npm_config_* that npm/npx put in the environment of the tests
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k)));
    const env = { ...clean, NPM_CONFIG_USERCONFIG: user, HOME: dir };
    const npmSays = (cwd: string, e: NodeJS.ProcessEnv) => spawnSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8', cwd, env: e }).stdout.trim();
    // the user's .npmrc, and a scoped registry
    expect(npmSays(path.join(proj, 'sub'), env)).toBe('https://user.registry.test/');
    expect(explainHosts(path.join(proj, 'sub'), env, '@npm').to).toBe('acme.test:8080 (@npm), user.registry.test:443 (@npm)');
    // the project's .npmrc (found from a subdirectory) comes before the user's
    fs.writeFileSync(path.join(proj, '.npmrc'), 'registry = "https://npm.corp.test:8443/repo/"\n');
    expect(npmSays(path.join(proj, 'sub'), env)).toBe('https://npm.corp.test:8443/repo/');
    expect(explainHosts(path.join(proj, 'sub'), env, '@npm').to).toBe('acme.test:8080 (@npm), npm.corp.test:8443 (@npm)');
    // the environment before both
    const env2 = { ...env, npm_config_registry: 'http://env.registry.test:4873/' };
    expect(npmSays(path.join(proj, 'sub'), env2)).toBe('http://env.registry.test:4873/');
    expect(explainHosts(path.join(proj, 'sub'), env2, '@npm').to).toBe('acme.test:8080 (@npm), env.registry.test:4873 (@npm)');
    // nothing configured: npm's default; with another pattern beside it
    const bare = { ...clean, HOME: dir, NPM_CONFIG_USERCONFIG: path.join(dir, 'none') };
    expect(npmSays(dir, bare)).toBe('https://registry.npmjs.org/');
    expect(explainHosts(dir, bare, '@npm', 'other.test').to).toBe('registry.npmjs.org:443 (@npm), other.test');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('an unknown group is an error at its pointer, naming the known ones', () => {
    const r = spawnSync(process.execPath, [cliPath, 'run', '--allow-host', 'ok.test', '--allow-host', '@pip', '--', 'true'], { encoding: 'utf8' });
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/unknown host group "@pip" \(known: @npm\).*\/net\/hosts\/1/);
  });

  test('--allow-host with --net host is a usage error', () => {
    const r = spawnSync(process.execPath, [cliPath, 'run', '--net', 'host', '--allow-host', 'ok.test', '--', 'true'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--allow-host limits the network to some hosts; --net host opens all of it/);
  });

  test('net.hosts with namespaces.net false is refused', () => {
    const policy = JSON.stringify({ extends: 'default', namespaces: { net: false }, net: { hosts: ['ok.test'] } });
    const r = spawnSync(process.execPath, [cliPath, 'run', '--policy', policy, '--', 'true'], { encoding: 'utf8' });
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/net\.hosts needs the sandbox's own network namespace.*\/net\/hosts/);
  });

  // Without user namespaces (a real kernel refusal, as escape.spawn.test.ts): no
  // sandbox network to put the egress path in, so the policy is refused, in
  // best-effort mode too; the same command without net.hosts runs (the neighbour).
  const NO_USERNS = 'echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --bounding-set=-all --inh-caps=-all -- "$@"';
  const canSimulate = spawnSync('unshare', ['-U', '-r', 'sh', '-c', NO_USERNS, 'sh', 'unshare', '-U', 'true']).status === 1;
  test.skipIf(!canSimulate)('without user namespaces: refused, never open', () => {
    const run = (...args: string[]) =>
      spawnSync('unshare', ['-U', '-r', 'sh', '-c', NO_USERNS, 'sh', process.execPath, cliPath, 'run', ...args], { encoding: 'utf8', cwd: os.tmpdir() });
    const r = run('--allow-host', 'ok.test', '--', 'true');
    expect(r.status, r.stderr).toBe(125);
    expect(r.stderr).toMatch(/net\.hosts needs a network namespace for the sandbox, and this host refuses one/);
    const be = run('--policy', JSON.stringify({ extends: 'default', compat: 'best-effort', net: { compat: 'best-effort', hosts: ['ok.test'] } }), '--', 'true');
    expect(be.status, be.stderr).toBe(125);
    const ok = run('--', 'true');
    expect(ok.status, ok.stderr).toBe(0);
  });
});
