/**
 * notify_toctou where it means something: a policy whose denials are reported
 * (`"report": true`), so that the racing `connect` is a seccomp user
 * notification answered by sbx's supervisor (the preload door's reporter,
 * preload/preload_report.c) while a sibling thread flips its sockaddr between
 * a closed port and a host listener. TCP sockets are allowed and `connect` is
 * denied by the filter, so every connect goes through the supervisor, which
 * reads the sockaddr to print it. It must never let one through: the answer
 * depends on the registers only. The `openat` race runs too (Landlock, not
 * notified: the kernel copies the path once). The preload door runs it in
 * escape.preload.test.ts under plain strict, where socket() is already denied.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEscapeFixtures, escapeArgs, escapeNames, runEscape, type EscapeFixtures } from './helpers/escape';
import { releaseDir } from './helpers/paths';
import { isRoot, unprivPackage } from './helpers/unpriv';

const REPORTED = JSON.stringify({
  version: 1,
  extends: 'strict',
  net: { inet: true },
  seccomp: { deny: ['connect'] },
  report: true,
});

/** libsbx.so as built, or the world-readable copy of the package that uid 65534 can load. */
function lib(user: 'root' | 'unpriv'): string {
  return path.join(user === 'root' ? releaseDir : path.join(unprivPackage(), 'build', 'Release'), 'libsbx.so');
}

describe.skipIf(!isRoot() || !escapeNames().includes('notify_toctou'))('notify_toctou under a reporting policy (preload door)', () => {
  let fx: { root: EscapeFixtures; unpriv: EscapeFixtures };
  let tmpdir: string;
  beforeAll(async () => {
    fx = { root: await createEscapeFixtures(), unpriv: await createEscapeFixtures({ forUnpriv: true }) };
    tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-escape-notify-tmp-'));
    fs.chmodSync(tmpdir, 0o777);
  });
  afterAll(() => {
    fx?.root.close();
    fx?.unpriv.close();
    if (tmpdir) fs.rmSync(tmpdir, { recursive: true, force: true });
  });

  for (const user of ['root', 'unpriv'] as const) {
    test(`as ${user}: every flipped connect is answered EPERM by the supervisor, none reaches the listener`, () => {
      const r = runEscape('notify_toctou', escapeArgs('notify_toctou', fx[user]), {
        wrap: (c, a) => ['/usr/bin/env', [`SBX_POLICY=${REPORTED}`, `LD_PRELOAD=${lib(user)}`, `TMPDIR=${tmpdir}`, c, ...a]],
        ...(user === 'unpriv' ? { asUser: 'unpriv' as const } : {}),
      });
      const msg = `${r.line}\nstderr: ${r.stderr.slice(-800)}`;
      expect(r.verdict, msg).toBe('BLOCKED');
      // The neighbour works: the allowed file was read through the same racing buffer.
      expect(r.line, msg).toMatch(/openat: \d+ calls, [1-9]\d* read the allowed file/);
      // The connects really ran and were refused with the policy's errno...
      expect(r.line, msg).toMatch(/connect: [1-9]\d* connects, none to :\d+ \(first refusal: EPERM\)/);
      // ...through the supervisor, which decoded the (flipping) sockaddr for its line.
      expect(r.stderr, msg).toMatch(/^sbx: denied connect\(\d+, AF_INET 127\.0\.0\.1:\d+\)/m);
    }, 60_000);
  }
});
