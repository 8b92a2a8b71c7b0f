/**
 * The published types (dist/*.d.ts) as a TypeScript user meets them:
 * test/fixtures/types/usage.ts is type-checked with tsc. util.promisify of
 * sbx.execFile / sbx.exec types as Node's child_process ones do; run()'s
 * maxBuffer, onMaxBuffer, signal and truncated; limits' shares. The fixture's
 * @ts-expect-error lines are the denials: each must still be an error.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, test } from 'vitest';
import { repoRoot } from './helpers/paths';

const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const check = (file: string) =>
  spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--esModuleInterop', '--skipLibCheck', '--module', 'commonjs', '--target', 'es2022', '--types', 'node', file], { encoding: 'utf8', cwd: repoRoot });

test('the API type-checks as a user writes it (promisify(execFile), run options, limits)', () => {
  const r = check(path.join(repoRoot, 'test', 'fixtures', 'types', 'usage.ts'));
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 60_000);

test('the check can fail: a wrong type is reported', () => {
  const fs = require('node:fs') as typeof import('node:fs');
  const os = require('node:os') as typeof import('node:os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-types-'));
  const bad = path.join(dir, 'bad.ts');
  fs.writeFileSync(bad, `import util from 'node:util';\nimport * as sbx from ${JSON.stringify(path.join(repoRoot, 'dist', 'index'))};\nexport async function f() { const n: number = (await util.promisify(sbx.execFile)('echo')).stdout; return n; }\n`);
  const r = check(bad);
  fs.rmSync(dir, { recursive: true, force: true });
  expect(r.status).not.toBe(0);
  expect(r.stdout).toMatch(/TS2322: Type 'string' is not assignable to type 'number'/);
}, 60_000);
