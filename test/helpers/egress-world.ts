/**
 * The test network of the egress tests (fixtures/egress/world.sh): a network namespace of its own joined by a
 * veth pair to "the world" (10.77.0.2, 10.77.0.3) with the servers of servers.py; nothing leaves this machine.
 * One per test file: a directory with a self-signed certificate for allowed.test and the hosts file given; each
 * run gets a directory of its own user (root or uid 65534) with the fixtures named copied in.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath, repoRoot } from './paths';
import { UNPRIV_UID, unprivNode, unprivPackage } from './unpriv';

export const egressFixtures = path.join(repoRoot, 'test', 'fixtures', 'egress');

export interface WorldRun {
  stdout: string;
  stderr: string;
  status: number | null;
  /** The run's own directory (its working directory). */
  dir: string;
}

export interface EgressWorld {
  /** Makes the world's directory once (certificate, hosts file); its path. */
  setup(): string;
  /** `inner` (sh) run in the world as root or uid 65534; $SBX is the CLI, $NODE the Node, $PKG the package. */
  run(inner: string, unpriv: boolean): WorldRun;
  /** Removes the world's directory (once made). */
  cleanup(): void;
}

export function egressWorld(opts: { prefix: string; hosts: string; files: string[]; timeout: number }): EgressWorld {
  let work = '';
  const setup = (): string => {
    if (work) return work;
    work = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix));
    fs.chmodSync(work, 0o755);
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=allowed.test'], { cwd: work });
    if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
    fs.writeFileSync(path.join(work, 'hosts'), opts.hosts);
    spawnSync('chmod', ['-R', 'a+rX', work]);
    return work;
  };
  return {
    setup,
    run(inner, unpriv) {
      const w = setup();
      const dir = fs.mkdtempSync(path.join(w, unpriv ? 'u-' : 'r-'));
      for (const f of opts.files) fs.copyFileSync(path.join(egressFixtures, f), path.join(dir, f));
      if (unpriv) spawnSync('chown', ['-R', `${UNPRIV_UID}:${UNPRIV_UID}`, dir]);
      const node = unpriv ? unprivNode() : process.execPath;
      const cli = unpriv ? path.join(unprivPackage(), 'dist', 'cli.js') : cliPath;
      const pkg = unpriv ? unprivPackage() : repoRoot;
      const script = path.join(dir, 'case.sh');
      fs.writeFileSync(script, `cd ${dir}\nSBX="${node} ${cli}"\nNODE="${node}"\nPKG="${pkg}"\n${inner}\n`);
      fs.chmodSync(script, 0o755);
      const cmd = unpriv ? ['setpriv', `--reuid=${UNPRIV_UID}`, `--regid=${UNPRIV_UID}`, '--clear-groups', '--', '/bin/sh', script] : ['/bin/sh', script];
      const r = spawnSync(path.join(egressFixtures, 'world.sh'), [path.join(w, 'cert.pem'), path.join(w, 'key.pem'), '--', ...cmd], {
        encoding: 'utf8',
        cwd: dir,
        env: { ...process.env, EGRESS_HOSTS: path.join(w, 'hosts'), EGRESS_TMP: dir, HOME: w },
        timeout: opts.timeout,
      });
      return { stdout: r.stdout, stderr: r.stderr, status: r.status, dir };
    },
    cleanup() {
      if (work) fs.rmSync(work, { recursive: true, force: true });
    },
  };
}
