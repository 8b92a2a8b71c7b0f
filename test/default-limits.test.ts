/**
 * The default limits of the `workspace` and `default` presets (issue 18: one
 * sandbox must not take the host down): at most 4096 processes and half the
 * host's memory, best-effort, in the spawn door; a share of the host's
 * memory is enforced by a cgroup only (never RLIMIT_AS); "unlimited" lifts a
 * preset's limit; a limit the user adds keeps the user's compat (enforce);
 * prepared sandboxes (the spawn server's warm path) carry their cgroups and
 * leave none behind, also when Node exits with one prepared.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { escapeBinDir, escapeBinary, parseEscape } from './helpers/escape';
import { repoRoot } from './helpers/paths';
import { isRoot, runUnpriv, unprivPackage } from './helpers/unpriv';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sbx = require(path.join(repoRoot, 'dist', 'index.js')) as typeof import('../lib/index');

type Policy = Record<string, unknown>;
const withBins = (extra: Policy): Policy => ({ extends: 'default', fs: { read: [escapeBinDir], exec: [escapeBinDir] }, ...extra });

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-deflimits-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const probe = sbx.probe() as { cgroup?: { delegated?: { v2?: boolean | null; v1?: Record<string, boolean | null> } } };
const v1 = probe.cgroup?.delegated?.v1 ?? {};
const cgroupFor = (ctrl: 'memory' | 'pids') => v1[ctrl] === true;

/** sbx-<pid>-* cgroup directories anywhere in the mounted hierarchies. */
function cgroupDirs(pid: number): string[] {
  const r = spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '5', '-type', 'd', '-name', `sbx-${pid}-*`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

describe('policy: limits.memory as a share, "unlimited"', () => {
  test.each([
    ['0%', /share "0%" is out of range: expected 1% to 100%/],
    ['101%', /share "101%" is out of range/],
    ['50.5%', /bad share "50.5%": expected 1% to 100% of the host's memory/],
    ['%', /bad share "%"/],
    ['half', /bad size "half"/],
  ])('memory %s is refused with the pointer', (v, msg) => {
    let e: { code?: string; pointer?: string; message?: string } = {};
    try {
      sbx.explain({ extends: 'default', limits: { memory: v } });
    } catch (err) {
      e = err as typeof e;
    }
    expect(e.code).toBe('SBX_EVALUE');
    expect(e.pointer).toBe('/limits/memory');
    expect(e.message).toMatch(msg);
    // the neighbour: a valid share is accepted
    expect(() => sbx.explain({ extends: 'default', limits: { memory: '25%' } })).not.toThrow();
  });

  test('pids "none" is refused; "unlimited" is accepted', () => {
    let e: { code?: string; pointer?: string; message?: string } = {};
    try {
      sbx.explain({ extends: 'default', limits: { pids: 'none' } });
    } catch (err) {
      e = err as typeof e;
    }
    expect(e).toMatchObject({ code: 'SBX_EVALUE', pointer: '/limits/pids', message: 'bad pids "none": expected a number of processes (1 to 4194304) or "unlimited"' });
    expect(() => sbx.explain({ extends: 'default', limits: { pids: 'unlimited', memory: 'unlimited' } })).not.toThrow();
  });

  test('explain names the defaults', () => {
    const text = sbx.explain('default') as unknown as string;
    expect(String(text)).toMatch(/memory 50% of the host's \(a cgroup only\); at most 4096 processes;/);
  });
});

describe('the default limits in the spawn door, as the caller', () => {
  test.skipIf(!cgroupFor('pids') || !cgroupFor('memory'))('default: pids and memory by cgroup; the memory limit is half the host\'s; a fork bomb stops at 4096', async () => {
    const child = sbx.spawn('sleep', ['5'], { policy: 'default', stdio: 'ignore', cwd: work });
    const rep = await child.sandbox;
    expect(rep.limits).toEqual({ memory: expect.stringMatching(/^cgroup-v[12]$/), pids: expect.stringMatching(/^cgroup-v[12]$/) });
    // The cold path names its cgroups after the launcher (child.pid); the
    // memory limit is read from outside while the sandbox runs.
    const dirs = cgroupDirs(child.pid!).filter((d) => d.includes('/memory/') || fs.existsSync(path.join(d, 'memory.max')));
    expect(dirs.length, 'the memory cgroup of the sandbox').toBeGreaterThan(0);
    const file = fs.existsSync(path.join(dirs[0], 'memory.max')) ? 'memory.max' : 'memory.limit_in_bytes';
    const limit = Number(fs.readFileSync(path.join(dirs[0], file), 'utf8'));
    const half = (os.totalmem() / 100) * 50;
    // the kernel rounds to pages
    expect(Math.abs(limit - half)).toBeLessThan(1 << 20);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));

    const bomb = await sbx.run(escapeBinary('fork_bomb'), ['5000'], { policy: withBins({}) });
    const v = parseEscape('fork_bomb', { stdout: bomb.stdout.toString(), stderr: bomb.stderr.toString(), status: bomb.code, signal: bomb.signal as NodeJS.Signals | null });
    expect(v.verdict, bomb.stdout.toString() + bomb.stderr.toString()).toBe('BLOCKED');
    expect(v.line).toMatch(/after 409[0-9] children/);
    // the allowed neighbour: a hundred processes are fine
    const ok = await sbx.run(escapeBinary('fork_bomb'), ['100'], { policy: withBins({}) });
    expect(ok.stdout.toString()).toMatch(/ESCAPED/);
  }, 60_000);

  test('"unlimited" lifts the preset\'s limits; the command runs as before', async () => {
    const r = await sbx.run('sh', ['-c', 'echo hi'], { policy: { extends: 'default', limits: { pids: 'unlimited', memory: 'unlimited' } } });
    expect([r.reason, r.code, r.stdout.toString()]).toEqual(['exit', 0, 'hi\n']);
    expect(r.limits).toEqual({});
  });

  test.skipIf(!cgroupFor('pids'))('prepared sandboxes carry their cgroups, and leave none behind when Node exits with one prepared', () => {
    // A child Node process: three spawns of one policy (the second and third
    // take prepared sandboxes), the pids of the prepared ones it saw (the
    // server's children), then exit with one prepared.
    const js = `
      const fs = require('fs');
      const sbx = require(${JSON.stringify(path.join(repoRoot, 'dist', 'index.js'))});
      const kids = (pid) => { try { return fs.readFileSync('/proc/' + pid + '/task/' + pid + '/children', 'utf8').trim().split(/\\s+/).filter(Boolean).map(Number); } catch { return []; } };
      (async () => {
        const seen = [];
        const slots = new Set();
        for (let i = 0; i < 3; i++) {
          const r = await sbx.run('sh', ['-c', 'grep -E ":pids:" /proc/self/cgroup'], { policy: 'default', cwd: ${JSON.stringify(work)} });
          seen.push({ limits: r.limits, cg: r.stdout.toString().trim() });
          await new Promise((res) => setTimeout(res, 150));
          for (const s of kids(process.pid)) for (const k of kids(s)) slots.add(k);
        }
        process.stdout.write(JSON.stringify({ seen, slots: [...slots] }));
        process.exit(0);
      })();`;
    const r = spawnSync(process.execPath, ['-e', js], { encoding: 'utf8', cwd: work });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { seen: { limits: Record<string, string>; cg: string }[]; slots: number[] };
    for (const s of out.seen) {
      expect(s.limits.pids).toMatch(/^cgroup-v[12]$/);
      expect(s.cg).toMatch(/pids:\/sbx-\d+-[0-9a-f]{8}$/);
    }
    expect(out.slots.length, 'a sandbox was prepared ahead').toBeGreaterThan(0);
    // The prepared sandbox's supervisor sees its parent gone, ends the
    // sandbox and removes its cgroups (bounded: poll for up to 3 s).
    const deadline = Date.now() + 3000;
    let left: string[] = [];
    do {
      left = out.slots.flatMap(cgroupDirs);
      if (!left.length) break;
      spawnSync('sleep', ['0.1']);
    } while (Date.now() < deadline);
    expect(left).toEqual([]);
  }, 60_000);
});

describe.skipIf(!isRoot())('the default limits as uid 65534 (no writable cgroup here)', () => {
  let pkg: string;
  beforeAll(() => {
    pkg = unprivPackage();
  });
  function runAs(cmd: string, args: string[], policy: Policy | string) {
    const js = `require(${JSON.stringify(path.join(pkg, 'dist', 'index.js'))}).run(${JSON.stringify(cmd)}, ${JSON.stringify(args)}, { policy: ${JSON.stringify(policy)}, cwd: '/tmp/sbx-deflimits-65534' }).then((r) => process.stdout.write(JSON.stringify({ ...r, stdout: r.stdout.toString(), stderr: r.stderr.toString() })), (e) => { process.stdout.write(JSON.stringify({ thrown: e.message })); })`;
    const r = runUnpriv('sh', ['-c', `mkdir -p /tmp/sbx-deflimits-65534 && exec ${JSON.stringify(process.execPath)} -e ${JSON.stringify(js).replace(/\$/g, '\\$')}`]);
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Awaited<ReturnType<typeof sbx.run>> & { stdout: string; thrown?: string };
  }
  const v1Writable = (ctrl: string) =>
    spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', 'test', '-w', `/sys/fs/cgroup/${ctrl}`]).status === 0;

  test.skipIf(v1Writable('memory') || v1Writable('pids'))('default runs: pids by RLIMIT_NPROC, the memory share skipped (never RLIMIT_AS), and says so', () => {
    const r = runAs('sh', ['-c', 'ulimit -v; grep "Max processes" /proc/self/limits'], 'default');
    expect([r.reason, r.code]).toEqual(['exit', 0]);
    expect(r.limits).toEqual({ pids: 'rlimit' });
    // address space stays unlimited: a share of memory is not RLIMIT_AS
    expect(r.stdout).toMatch(/^unlimited\n/);
    // 4096 and the init of the pid namespace
    expect(r.stdout).toMatch(/Max processes\s+4097\s+4097/);
    const skip = r.skipped.find((s) => s.layer === 'limits.memory');
    expect(skip?.reason).toMatch(/no writable cgroup with the memory controller .*memory controller.*RLIMIT_AS, which counts address space/);
  });

  test.skipIf(v1Writable('memory'))('a memory share the user asks for is enforced: refused with 125 naming the field; the preset alone runs', () => {
    const r = runAs('true', [], { extends: 'default', limits: { memory: '50%' } });
    expect(r.reason).toBe('setup-failed');
    expect(r.code).toBe(125);
    expect(r.error?.pointer).toBe('/limits/memory');
    expect(r.error?.message).toMatch(/^limits\.memory: no writable cgroup with the memory controller/);
    const ok = runAs('true', [], { extends: 'default', limits: { memory: '50%', compat: 'best-effort' } });
    expect([ok.reason, ok.code]).toEqual(['exit', 0]);
    const plain = runAs('true', [], 'default');
    expect([plain.reason, plain.code]).toEqual(['exit', 0]);
  });
});

describe('the other doors skip the preset\'s limits', () => {
  const lockdownIn = (policy: unknown) => spawnSync(process.execPath, ['-e', `
    const sbx = require(${JSON.stringify(path.join(repoRoot, 'dist', 'index.js'))});
    try { const r = sbx.lockdown(${JSON.stringify(policy)}); process.stdout.write(JSON.stringify({ skipped: r.skipped, after: require('fs').readFileSync('/etc/hostname', 'utf8').length > 0 })); }
    catch (e) { process.stdout.write(JSON.stringify({ code: e.code, pointer: e.pointer, message: e.message })); }`], { encoding: 'utf8', cwd: work });

  test('self door: lockdown with workspace lists the limits as skipped and confines; a limit of the user\'s own is refused', () => {
    const ok = lockdownIn('workspace');
    expect(ok.status, ok.stderr).toBe(0);
    const r = JSON.parse(ok.stdout) as { skipped: string[]; after: boolean };
    expect(r.skipped.join('\n')).toMatch(/\/limits: not applied by the self door \(it cannot place a running process in its own cgroup or bound its wall time; the section is best-effort\)/);
    expect(r.after).toBe(true);
    const bad = lockdownIn({ extends: 'workspace', limits: { pids: 10 } });
    expect(JSON.parse(bad.stdout)).toMatchObject({ code: 'SBX_EUNSUPPORTED', pointer: '/limits', message: expect.stringMatching(/the self door cannot place a running process in its own cgroup/) });
  });

  test('the resolved policy shows the share and "unlimited" as written', () => {
    expect(sbx.resolvePolicy('default').limits).toEqual({ compat: 'best-effort', memory: '50%', pids: 4096 });
    expect(sbx.resolvePolicy({ extends: 'default', limits: { pids: 'unlimited', memory: 'unlimited' } }).limits).toMatchObject({ memory: 'unlimited', pids: 'unlimited' });
  });
});
