/**
 * sbx.compile / explain / resolvePolicy and the `sbx compile` / `sbx explain`
 * commands: the TypeScript and CLI layers over the C compiler (whose
 * correctness is proven in test/native: libseccomp differential, kernel
 * samples, interpreter). Here: the API shape, errors, and that the CLI and
 * the API give the same program.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { cliPath, repoRoot } from './helpers/paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sbx = require(repoRoot) as typeof import('../lib/index');
const dockerProfile = path.join(repoRoot, 'test', 'fixtures', 'seccomp', 'docker-default.json');
const containersProfile = path.join(repoRoot, 'test', 'fixtures', 'seccomp', 'containers-default.json');

function cli(args: string[], opts: { cwd?: string } = {}) {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: 'buffer', cwd: opts.cwd ?? repoRoot });
}

describe('sbx.compile', () => {
  test('every preset compiles on both arches to a program of 8 bytes per instruction', () => {
    expect(sbx.presets()).toEqual(expect.arrayContaining(['strict', 'workspace', 'default', 'node-service', 'no-network']));
    for (const name of sbx.presets()) {
      for (const arch of ['x86_64', 'aarch64'] as const) {
        const c = sbx.compile(name, { arch });
        expect(c.arch).toBe(arch);
        expect(c.instructions).toBeGreaterThan(4);
        expect(c.bpf.length).toBe(c.instructions * 8);
        expect(c.disassembly.trim().split('\n')).toHaveLength(c.instructions);
      }
    }
  });

  test('the listing names syscalls of the chosen arch: execve is 59 on x86_64 and 221 on aarch64', () => {
    const policy = { seccomp: { default: 'allow' as const, deny: ['execve'] } };
    expect(sbx.compile(policy, { arch: 'x86_64' }).disassembly).toMatch(/#59\b.*; execve/);
    expect(sbx.compile(policy, { arch: 'aarch64' }).disassembly).toMatch(/#221\b.*; execve/);
  });

  test('a policy object and its JSON text compile to the same program', () => {
    const policy = { extends: 'strict', seccomp: { allow: ['ptrace'] } };
    expect(sbx.compile(policy).bpf.equals(sbx.compile(JSON.stringify(policy)).bpf)).toBe(true);
    // ...and the allowed neighbour differs from the base preset.
    expect(sbx.compile(policy).bpf.equals(sbx.compile('strict').bpf)).toBe(false);
  });

  test('a policy without seccomp restrictions compiles to no program, with a note', () => {
    const c = sbx.compile({ rlimits: { nofile: 64 } });
    expect(c.instructions).toBe(0);
    expect(c.bpf.length).toBe(0);
    expect(c.notes.join('\n')).toMatch(/no seccomp filter/);
  });

  test('names that do not exist on the arch are skipped with a note', () => {
    const c = sbx.compile({ seccomp: { default: 'allow', deny: ['open'] } }, { arch: 'aarch64' });
    expect(c.notes.join('\n')).toMatch(/open/);
  });

  test('errors are SbxError with code, pointer and a suggestion', () => {
    const bad: Array<[unknown, string, string, RegExp]> = [
      [{ seccomp: { allow: ['exceve'] } }, 'SBX_ESYSCALL', '/seccomp/allow/0', /execve/],
      [{ fs: { raed: [] } }, 'SBX_EUNKNOWNKEY', '/fs/raed', /read/],
      ['stric', 'SBX_EPRESET', '', /strict/],
      ['{"seccomp": {"allow": [}', 'SBX_ESYNTAX', '', /line 1, column/],
      [{ rlimits: { nofile: -1 } }, 'SBX_EVALUE', '/rlimits/nofile', /./],
    ];
    for (const [policy, code, pointer, msg] of bad) {
      let err: unknown;
      try {
        sbx.compile(policy as string);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(policy)).toBeInstanceOf(sbx.SbxError);
      const e = err as InstanceType<typeof sbx.SbxError>;
      expect(e.code, e.message).toBe(code);
      if (pointer) expect(e.pointer).toBe(pointer);
      expect(e.message).toMatch(msg);
    }
  });

  test('an unknown arch is an error, not a silent native compile', () => {
    expect(() => sbx.compile('strict', { arch: 'mips' as 'x86_64' })).toThrow(/unknown architecture "mips"/);
  });

  test('resolvePolicy shows the merged policy; explain describes it in words', () => {
    const merged = sbx.resolvePolicy({ extends: 'strict', fs: { read: ['/usr/share'] } }) as Record<string, any>;
    expect(merged.fs.read).toEqual(expect.arrayContaining(['/usr', '/usr/share']));
    expect(merged).not.toHaveProperty('extends');
    const text = sbx.explain('strict');
    expect(text.length).toBeGreaterThan(200);
    expect(text).toMatch(/@debug.*fail with EPERM/);
    expect(text).toMatch(/clone3: fail with ENOSYS/);
  });
});

describe('sbx compile / explain (CLI)', () => {
  test('--format bpf writes exactly the bytes sbx.compile returns', () => {
    const r = cli(['compile', 'strict', '--format', 'bpf']);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.equals(sbx.compile('strict').bpf)).toBe(true);
  });

  test('--format json carries program, listing, notes and the merged policy', () => {
    const r = cli(['compile', 'workspace', '--arch', 'aarch64', '--format', 'json']);
    expect(r.status, r.stderr.toString()).toBe(0);
    const out = JSON.parse(r.stdout.toString());
    expect(out.arch).toBe('aarch64');
    expect(Buffer.from(out.bpf, 'base64').equals(sbx.compile('workspace', { arch: 'aarch64' }).bpf)).toBe(true);
    expect(out.disassembly).toHaveLength(out.instructions);
    expect(out.policy.fs.exec).toContain(repoRoot);
  });

  test('--from-docker compiles the real Docker profile, notes on stderr', () => {
    const r = cli(['compile', '--from-docker', dockerProfile]);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString()).toMatch(/ret ALLOW/);
    expect(r.stderr.toString()).toMatch(/^note: /m);
    // Same as the policy that imports it, through the API.
    const api = sbx.compile({ seccomp: { import: dockerProfile }, capabilities: { keep: [] } });
    expect(r.stdout.toString().trim()).toBe(api.disassembly.trim());
    // Keeping CAP_SYS_ADMIN changes the capability-dependent rules.
    const admin = cli(['compile', '--from-docker', dockerProfile, '--cap', 'CAP_SYS_ADMIN']);
    expect(admin.status).toBe(0);
    expect(admin.stdout.toString()).not.toBe(r.stdout.toString());
  });

  test('--from-docker takes the containers family profile (defaultErrno, errno names) and refuses typos', () => {
    const r = cli(['compile', '--from-docker', containersProfile]);
    expect(r.status, r.stderr.toString()).toBe(0);
    // Its default is ENOSYS (38), named by "defaultErrno"; its denials are EPERM, named by "errno".
    expect(r.stdout.toString()).toMatch(/ret ERRNO\(38\)/);
    expect(r.stdout.toString()).toMatch(/ret ERRNO\(1\)/);
    const api = sbx.compile({ seccomp: { import: containersProfile }, capabilities: { keep: [] } });
    expect(r.stdout.toString().trim()).toBe(api.disassembly.trim());
    // A misspelt key of that format is still an error naming the right one.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-cli-'));
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, fs.readFileSync(containersProfile, 'utf8').replace('"defaultErrno"', '"defaultErno"'));
    const typo = cli(['compile', '--from-docker', bad]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(typo.status).toBe(1);
    expect(typo.stderr.toString()).toMatch(/unknown key "defaultErno" \(did you mean "defaultErrno"\?\).*\[SBX_EUNKNOWNKEY\]/);
  });

  test('--from-minijail compiles a minijail policy for either arch; a JSON file is refused', () => {
    const fixtures = path.join(repoRoot, 'test', 'fixtures', 'minijail');
    const policies = {
      x86_64: path.join(fixtures, 'minijail', 'examples', 'cat.policy'),
      aarch64: path.join(fixtures, 'platform2', 'aarch64', 'debugd__src__helpers__seccomp__icmp.policy'),
    };
    for (const [arch, fix] of Object.entries(policies)) {
      const r = cli(['compile', '--from-minijail', fix, '--arch', arch]);
      expect(r.status, r.stderr.toString()).toBe(0);
      expect(r.stdout.toString()).toMatch(/ret ALLOW/);
      expect(r.stdout.toString()).toMatch(/ret KILL_PROCESS/);
      const api = sbx.compile({ seccomp: { import: fix }, capabilities: { keep: [] } }, { arch: arch as 'x86_64' });
      expect(r.stdout.toString().trim()).toBe(api.disassembly.trim());
    }
    // minijail's cat example is for x86_64: it names open(2), which aarch64 lacks.
    const other = cli(['compile', '--from-minijail', policies.x86_64, '--arch', 'aarch64']);
    expect(other.status).toBe(1);
    expect(other.stderr.toString()).toContain('cat.policy:12:1: syscall "open" does not exist on aarch64');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-cli-'));
    const bad = path.join(dir, 'bad.policy');
    fs.writeFileSync(bad, 'read: 1\nreed: 1\n');
    const e = cli(['compile', '--from-minijail', bad]);
    expect(e.status).toBe(1);
    expect(e.stderr.toString()).toContain(`${bad}:2:1: unknown syscall "reed" (did you mean "read"?)`);
    const json = cli(['compile', '--from-minijail', path.join(repoRoot, 'test', 'fixtures', 'minijail', 'crosvm', 'x86_64', 'constants.json')]);
    expect(json.status).toBe(2);
    expect(json.stderr.toString()).toMatch(/is JSON, not a minijail policy/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a bad policy file gives one line with the pointer and code, exit 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-cli-'));
    const file = path.join(dir, 'p.json');
    fs.writeFileSync(file, '{"seccomp": {"deny": ["ptrace"], "defualt": "allow"}}');
    const r = cli(['compile', file]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.status).toBe(1);
    const err = r.stderr.toString().trim();
    expect(err.split('\n')).toHaveLength(1);
    expect(err).toMatch(/^sbx: .*defualt.*default.*\(\/seccomp\/defualt\) \[SBX_EUNKNOWNKEY\]$/);
  });

  test('usage errors exit 2', () => {
    expect(cli(['compile']).status).toBe(2);
    expect(cli(['compile', 'strict', '--format', 'elf']).status).toBe(2);
    expect(cli(['compile', 'strict', '--cap', 'CAP_CHOWN']).status).toBe(2);
    expect(cli(['explain']).status).toBe(2);
  });

  test('explain prints the same text as the API', () => {
    const r = cli(['explain', 'node-service']);
    expect(r.status).toBe(0);
    expect(r.stdout.toString().trim()).toBe(sbx.explain('node-service').trim());
  });
});
