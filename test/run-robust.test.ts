/**
 * What an agent's harness meets around sbx.run and sbx run (issue 20's
 * robustness items): huge outputs are bounded (maxBuffer: truncated with a
 * flag, or the sandbox killed), an aborted run rejects with the standard
 * AbortError and leaves nothing running, --rw/--ro of a missing path is said
 * in the flag's terms, --explain's namespace lines agree.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cliPath, repoRoot } from './helpers/paths';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sbx = require(path.join(repoRoot, 'dist', 'index.js')) as typeof import('../lib/index');

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-robust-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const alive = (marker: string) => spawnSync('sh', ['-c', `ps -eo pid,args | grep '[${marker[0]}]${marker.slice(1)}'`], { encoding: 'utf8' }).stdout.trim();

describe('sbx.run: output bounds', () => {
  test('600 MB on stdout: the caller keeps 16 MiB (the default), says how much there was, and the command ends normally', async () => {
    const r = await sbx.run('sh', ['-c', 'head -c 600000000 /dev/zero; echo done >&2'], { cwd: work });
    expect([r.reason, r.code]).toEqual(['exit', 0]);
    expect(r.stdout.length).toBe(16 * 1024 * 1024);
    expect(r.truncated).toEqual({ stdout: 600000000 });
    expect(r.stderr).toBe('done\n');
  }, 60_000);

  test('under the bound nothing is cut and nothing is flagged', async () => {
    const r = await sbx.run('sh', ['-c', 'head -c 1000 /dev/zero | tr "\\0" y'], { cwd: work, maxBuffer: 1000 });
    expect(r.stdout).toBe('y'.repeat(1000));
    expect(r.truncated).toBeUndefined();
  });

  test("onMaxBuffer: 'kill' ends an endless writer with SIGKILL; stderr is bounded on its own", async () => {
    const r = await sbx.run('sh', ['-c', 'yes'], { cwd: work, maxBuffer: 100_000, onMaxBuffer: 'kill' });
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout.length).toBe(100_000);
    expect(r.truncated?.stdout).toBeGreaterThan(100_000);
    const e = await sbx.run('sh', ['-c', 'head -c 5000 /dev/zero >&2; echo out'], { cwd: work, maxBuffer: 10 });
    expect(e.truncated).toEqual({ stderr: 5000 });
    expect(e.stdout).toBe('out\n');
  });

  test('a bad maxBuffer is a TypeError, not a weaker run', () => {
    expect(() => sbx.run('true', [], { maxBuffer: -1 })).toThrow(TypeError);
    expect(() => sbx.run('true', [], { onMaxBuffer: 'explode' as 'kill' })).toThrow(/onMaxBuffer/);
  });
});

describe('sbx.run: abort', () => {
  test('an AbortSignal rejects with the standard AbortError and kills the sandbox; a run not aborted finishes', async () => {
    const m = `sbxabort${process.pid}x${Date.now()}`;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const t0 = Date.now();
    const err = await sbx.run('sh', ['-c', `: ${m}; sleep 30`], { cwd: work, signal: ac.signal }).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.name).toBe('AbortError');
    expect(err?.code).toBe('ABORT_ERR');
    expect(Date.now() - t0).toBeLessThan(10_000);
    let left = alive(m);
    for (let i = 0; i < 20 && left; i++) {
      spawnSync('sleep', ['0.1']);
      left = alive(m);
    }
    expect(left).toBe('');
    const pre = new AbortController();
    pre.abort();
    await expect(sbx.run('true', [], { cwd: work, signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const ok = await sbx.run('sh', ['-c', 'echo fine'], { cwd: work, signal: new AbortController().signal });
    expect(ok.stdout).toBe('fine\n');
  }, 30_000);
});

describe('sbx run: flags in their own terms', () => {
  test('--rw / --ro of a missing path: exit 2 naming the flag and the path; an existing one runs', () => {
    const r = spawnSync(process.execPath, [cliPath, 'run', '--rw', './out', '--', 'true'], { cwd: work, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`sbx: run: --rw ./out: ${path.join(fs.realpathSync(work), 'out')} does not exist; create it first (mkdir -p "./out"), or leave the flag out\n`);
    const ro = spawnSync(process.execPath, [cliPath, 'run', '--ro', '/nonexistent-sbx', '--', 'true'], { cwd: work, encoding: 'utf8' });
    expect(ro.status).toBe(2);
    expect(ro.stderr).toMatch(/^sbx: run: --ro \/nonexistent-sbx: \/nonexistent-sbx does not exist; create it first, or leave the flag out\n$/);
    fs.mkdirSync(path.join(work, 'out'), { recursive: true });
    const ok = spawnSync(process.execPath, [cliPath, 'run', '--rw', './out', '--', 'sh', '-c', 'echo x > out/f && cat out/f'], { cwd: work, encoding: 'utf8' });
    expect([ok.status, ok.stdout]).toEqual([0, 'x\n']);
  });

  test('--net host --explain: the plan and the policy agree on the network namespace', () => {
    const r = spawnSync(process.execPath, [cliPath, 'run', '--net', 'host', '--explain', '--', 'true'], { cwd: work, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const plan = /^ {2}namespaces: (.*)$/m.exec(r.stdout)?.[1] ?? '';
    expect(plan).not.toMatch(/\bnet\b/);
    expect(plan).toMatch(/\buser\b.*\bpid\b/);
    expect(r.stdout).toMatch(/^Namespaces \(spawn door only\): not made: net; the others as the spawn door's default\.$/m);
    expect(r.stdout).not.toMatch(/new none/);
    const none = spawnSync(process.execPath, [cliPath, 'run', '--net', 'none', '--explain', '--', 'true'], { cwd: work, encoding: 'utf8' });
    expect(/^ {2}namespaces: (.*)$/m.exec(none.stdout)?.[1]).toMatch(/\bnet\b/);
    expect(none.stdout).toMatch(/^Namespaces \(spawn door only\): new net; the others as the spawn door's default\.$/m);
  });
});
