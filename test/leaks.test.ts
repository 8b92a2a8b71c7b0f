/**
 * Leak check of the Node addon: a workload over every entry point that does
 * not prepare or apply a sandbox (test/fixtures/leaks/workload.js: probe,
 * compile of every preset for both architectures, explain, canonical JSON,
 * and the error paths that throw) runs in Node under valgrind's memcheck. No
 * definitely-lost block, and no memory error at all, may have sbx code on its
 * stack (a frame in sbx.node, which holds bindings/ and the static core, or a
 * function of the core). Node's own leaks under valgrind (JIT code) are not
 * ours and are not counted.
 *
 * prepareSelf/lockdown are left out: valgrind does not know the Landlock
 * syscalls (it answers ENOSYS), so those paths would not be the real ones;
 * the C unit tests cover them under LeakSanitizer (native.test.ts, asan/).
 *
 * A control program that drops a policy (a real leak in core code, linked with
 * the same libsbxcore.a) shows that such a leak is found and attributed.
 *
 * By hand:
 *   valgrind --leak-check=full --errors-for-leak-kinds=definite \
 *     node test/fixtures/leaks/workload.js $PWD/build/Release/sbx.node
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { buildDir, releaseDir, repoRoot } from './helpers/paths';
import { requireTool, runs } from './helpers/tools';

const VALGRIND_ARGS = [
  '--tool=memcheck',
  '--leak-check=full',
  '--errors-for-leak-kinds=definite',
  '--show-leak-kinds=definite',
  // The probe forks children that apply filters and leave with _exit(): not
  // the addon's workload, and their output would interleave with the parent's.
  '--child-silent-after-fork=yes',
  '--num-callers=40',
  '--xml=yes',
];

interface Frame {
  obj: string;
  fn: string;
  dir: string;
}
interface VgError {
  kind: string;
  what: string;
  frames: Frame[];
}

function tag(s: string, name: string): string {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(s);
  return m ? m[1] : '';
}

function parseXml(xml: string): VgError[] {
  return [...xml.matchAll(/<error>([\s\S]*?)<\/error>/g)].map(([, e]) => ({
    kind: tag(e, 'kind'),
    what: tag(e, 'text') || tag(e, 'what'),
    // The first <stack> is where the error (or the lost block's allocation) is.
    frames: [...tag(e, 'stack').matchAll(/<frame>([\s\S]*?)<\/frame>/g)].map(([, f]) => ({
      obj: tag(f, 'obj'),
      fn: tag(f, 'fn'),
      dir: tag(f, 'dir'),
    })),
  }));
}

const coreLib = path.join(buildDir, 'lib', 'libsbxcore.a');
let coreFns: Set<string> | undefined;
/** Every function the core defines, static ones too (the core is built -O3: inlined and tail calls hide sbx_*). */
function coreFunctions(): Set<string> {
  if (!coreFns) {
    const nm = spawnSync('nm', ['--defined-only', coreLib], { encoding: 'utf8' });
    if (nm.status !== 0) throw new Error(`nm ${coreLib}: ${nm.stderr}`);
    coreFns = new Set([...nm.stdout.matchAll(/^[0-9a-f]+ [tT] (\S+)$/gm)].map((m) => m[1]));
  }
  return coreFns;
}

/** A frame of sbx's code: the addon (bindings + static core) or a core function linked into another program. */
function isSbxFrame(f: Frame): boolean {
  return (
    f.obj.endsWith('/sbx.node') ||
    // (not in a system library: a static name like `oom` could exist there too)
    (coreFunctions().has(f.fn) && !/^\/(usr|lib)/.test(f.obj)) ||
    f.dir.startsWith(path.join(repoRoot, 'src-native')) ||
    f.dir.startsWith(path.join(repoRoot, 'bindings'))
  );
}

function ours(errors: VgError[]): VgError[] {
  return errors.filter(
    (e) => (e.kind === 'Leak_DefinitelyLost' || !e.kind.startsWith('Leak_')) && e.frames.some(isSbxFrame),
  );
}

function describeErrors(errors: VgError[]): string {
  return errors
    .map((e) => `${e.kind}: ${e.what}\n${e.frames.map((f) => `    ${f.fn || '???'} (${f.obj})`).join('\n')}`)
    .join('\n\n');
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-leaks-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Run argv under memcheck; returns the process result and the errors of the main process. */
function memcheck(argv: string[]) {
  const xml = path.join(tmp, `vg.${path.basename(argv[0])}.${Date.now()}.xml`);
  const r = spawnSync('valgrind', [...VALGRIND_ARGS, `--xml-file=${xml}`, ...argv], {
    encoding: 'utf8',
    timeout: 600_000,
    cwd: tmp,
  });
  const text = fs.existsSync(xml) ? fs.readFileSync(xml, 'utf8') : '';
  return { r, text, errors: parseXml(text) };
}

const valgrind = {
  name: 'valgrind',
  purpose: 'the addon leak check',
  install: 'apt-get install valgrind',
  present: runs('valgrind'),
};

describe.runIf(requireTool(valgrind))('addon leak check (valgrind)', () => {
  test('control: a policy dropped by core code is a definite leak with sbx on its stack', () => {
    const lib = coreLib;
    expect(fs.existsSync(lib), `${lib}: run npm test (it builds it)`).toBe(true);
    const src = path.join(tmp, 'drop.c');
    const exe = path.join(tmp, 'drop');
    fs.writeFileSync(
      src,
      `#include <sbx.h>
#include <sbx_policy.h>
int main(void)
{
	struct sbx_error e;
	struct sbx_policy *p = 0;
	struct sbx_policy_load_opts o = { .cwd = "/" };
	if (sbx_policy_load("strict", &o, &p, &e) < 0)
		return 2;
	p = 0; /* dropped: the leak to find */
	if (sbx_policy_load("strict", &o, &p, &e) < 0)
		return 2;
	sbx_policy_free(p);
	return 0;
}
`,
    );
    const cc = spawnSync('cc', ['-std=gnu11', `-I${path.join(repoRoot, 'src-native', 'include')}`, src, lib, '-o', exe], {
      encoding: 'utf8',
    });
    expect(cc.status, cc.stderr).toBe(0);
    const { r, text, errors } = memcheck([exe]);
    expect(r.status, `${r.stderr}\n${text.slice(-2000)}`).toBe(0);
    const found = ours(errors);
    expect(found.length, describeErrors(errors)).toBe(1);
    expect(found[0].kind).toBe('Leak_DefinitelyLost');
    // Attributed by the core's own functions, not by the program's name.
    expect(found[0].frames.filter((f) => f.obj === exe && coreFunctions().has(f.fn)).length).toBeGreaterThan(0);
  }, 300_000);

  test('the addon workload leaks nothing from sbx code and makes no memory error in it', () => {
    const addon = path.join(releaseDir, 'sbx.node');
    const workload = path.join(repoRoot, 'test', 'fixtures', 'leaks', 'workload.js');
    const { r, text, errors } = memcheck([process.execPath, workload, addon]);
    const detail = `status ${r.status}, signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${(r.stderr ?? '').slice(-3000)}`;
    expect(r.status, detail).toBe(0);
    expect(r.stdout).toMatch(/^workload done: \d+ calls, \d+ errors$/m);
    // The leak check ran to its end (the report is complete).
    expect(text, 'valgrind wrote no complete report').toMatch(/<state>FINISHED<\/state>[\s\S]*<\/valgrindoutput>/);
    const found = ours(errors);
    expect(found, describeErrors(found)).toEqual([]);
  }, 600_000);
});
