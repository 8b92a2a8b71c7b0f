/**
 * `sbx learn --learn-hosts` in the test network of test/egress.test.ts (fixtures/egress/world.sh: a network
 * namespace of its own joined by a veth pair to "the world", 10.77.0.2 allowed.test and 10.77.0.3
 * denied.test, with the servers of servers.py; nothing leaves this machine). A command that reaches
 * allowed.test is learned; the learned policy reaches allowed.test, and denied.test stays refused.
 * Without --learn-hosts (and a host given, so that the egress path runs) the host is named, not granted. Root and uid 65534.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { egressWorld } from './helpers/egress-world';
import { isRoot } from './helpers/unpriv';

const T = 120_000;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const canWorld = isRoot() && ['ip', 'unshare', 'nsenter', 'openssl', 'setpriv'].every(has) && fs.existsSync('/usr/bin/python3');
const why = canWorld ? '' : 'needs root, ip, unshare, nsenter, openssl, setpriv and /usr/bin/python3 (the test network is made with them)';

const world = egressWorld({
  prefix: 'sbx-learn-hosts-',
  hosts: '127.0.0.1 localhost\n10.77.0.2 allowed.test\n10.77.0.3 denied.test\n',
  files: ['client.py'],
  timeout: T - 5000,
});
afterAll(() => world.cleanup());

/** `inner` (sh) run in the world as root or uid 65534, in a directory of its own; $SBX is the CLI. */
function inWorld(inner: string, unpriv: boolean) {
  const r = world.run(inner, unpriv);
  const policy = (f: string) => (fs.existsSync(path.join(r.dir, f)) ? JSON.parse(fs.readFileSync(path.join(r.dir, f), 'utf8')) : undefined);
  const tagged = new Map([...r.stdout.matchAll(/^\[([a-z-]+)\] ?(.*)$/gm)].map((m) => [m[1], m[2]]));
  return { stdout: r.stdout, stderr: r.stderr, tagged, policy };
}

const TCP = (host: string) => `/usr/bin/python3 client.py tcp ${host} 2222`;
const c = (tag: string, cmd: string) => `printf '[${tag}] %s\\n' "$(${cmd} 2>&1 | tr '\\n' ' ' | sed 's/ *$//')"`;

describe.skipIf(!canWorld)(`sbx learn --learn-hosts ${why}`, () => {
  describe.each([
    ['root', false],
    ['uid 65534', true],
  ])('as %s', (_who, unpriv) => {
    test('the host the command reached is learned and reachable; another host stays refused; without --learn-hosts it is only named', () => {
      const r = inWorld(
        [
          `$SBX learn --learn-hosts -o learned.json -- ${TCP('allowed.test')}; echo "[learn] $?"`,
          c('allowed', `$SBX run --policy learned.json -- ${TCP('allowed.test')}`),
          c('denied', `$SBX run --policy learned.json -- ${TCP('denied.test')}`),
          c('other-port', `$SBX run --policy learned.json -- /usr/bin/python3 client.py tcp allowed.test 80`),
          `$SBX learn --learn-hosts -o dns.json -- ${TCP('dns-allowed.test')}; echo "[learn-dns] $?"`,
          c('dns-allowed', `$SBX run --policy dns.json -- ${TCP('dns-allowed.test')}`),
          c('dns-denied', `$SBX run --policy dns.json -- ${TCP('dns-denied.test')}`),
          c('dns-by-ip', `$SBX run --policy dns.json -- ${TCP('10.77.0.3')}`),
          `$SBX learn --allow-host denied.test:2222 -o plain.json -- ${TCP('allowed.test')} 2>plain.err; echo "[plain] $?"`,
          'echo "[plain-err] $(grep -c "not granted: .*10.77.0.2:2222.*--learn-hosts" plain.err)"',
        ].join('\n'),
        unpriv,
      );
      const ctx = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
      expect(r.tagged.get('learn'), ctx).toBe('0');
      const p = r.policy('learned.json');
      // the name came from /etc/hosts inside the sandbox: the egress path saw the address only
      expect(p?.net, ctx).toEqual({ hosts: ['10.77.0.2:2222'] });
      expect(r.stderr, ctx).toMatch(/round 1: net\.hosts "10\.77\.0\.2:2222"/);
      // by DNS through the egress path: the name (its lookup was refused first), then the address with the
      // port the name's entry does not cover (docs/learn.md, "Hosts")
      expect(r.tagged.get('learn-dns'), ctx).toBe('0');
      expect(r.policy('dns.json')?.net, ctx).toEqual({ hosts: ['10.77.0.2:2222', 'dns-allowed.test'] });
      expect(r.tagged.get('dns-allowed'), ctx).toBe('OK banner 10.77.0.2 | echo hi');
      expect(r.tagged.get('dns-denied'), ctx).toBe('ERR gaierror'); // the name lookup refused by the egress path
      expect(r.tagged.get('dns-by-ip'), ctx).toBe('ERR EACCES');
      expect(r.tagged.get('allowed'), ctx).toBe('OK banner 10.77.0.2 | echo hi');
      expect(r.tagged.get('denied'), ctx).toBe('ERR EACCES');
      expect(r.tagged.get('other-port'), ctx).toBe('ERR EACCES');
      // without --learn-hosts (the egress path runs for the --allow-host given): named, not granted
      expect(r.policy('plain.json')?.net, ctx).toEqual({ hosts: ['denied.test:2222'] });
      expect(r.tagged.get('plain-err'), ctx).toBe('1');
    }, T);
  });
});
