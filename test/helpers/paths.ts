import fs from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
/** The cmake-js build directory (npm test builds it with SBX_BUILD_TESTS=ON). */
export const buildDir = path.join(repoRoot, 'build');
export const releaseDir = path.join(buildDir, 'Release');
export const nativeTestDir = path.join(buildDir, 'tests');
export const escapeDir = path.join(buildDir, 'escape');
export const cliPath = path.join(repoRoot, 'dist', 'cli.js');
/**
 * The `sbx` command as npm installs it (package.json "bin", dist/sbx: test/tarball.test.ts
 * checks that one): a link to the launcher, which is the native front end of `sbx run` and hands every other
 * subcommand to Node (launcher/cli_main.c, scripts/link-bin.js).
 */
export const sbxBin = path.join(buildDir, 'bin', 'sbx');
// The tests' own link (dist/sbx is the package's, rewritten while the tarball
// test packs): made here once, atomically, next to the build it runs.
if (!fs.existsSync(sbxBin)) {
  fs.mkdirSync(path.dirname(sbxBin), { recursive: true });
  const tmp = `${sbxBin}.${process.pid}`;
  fs.symlinkSync(path.join('..', 'Release', 'sbx-launcher'), tmp);
  fs.renameSync(tmp, sbxBin);
}
