'use strict';
// The C helpers of the benchmarks (bench/*.c), built by CMake with
// SBX_BUILD_TESTS=ON into build/bench/. A helper that is missing, or older
// than its source, is (re)built through cmake-js. SBX_BENCH_BUILD_DIR points
// to another CMake build directory (one that already has the helpers).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// `file`: the built file's name where it is not the target's (a library).
function nativeHelper(root, target, source, file = target) {
  const dir = process.env.SBX_BENCH_BUILD_DIR ?? path.join(root, 'build');
  const bin = path.join(dir, 'bench', file);
  const src = path.join(root, 'bench', source);
  const stale = () => !fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(src).mtimeMs;
  if (stale()) {
    if (process.env.SBX_BENCH_BUILD_DIR) {
      execFileSync('cmake', ['--build', dir, '--target', target], { stdio: 'ignore' });
    } else {
      const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
      execFileSync(process.execPath, [cmakeJs, 'configure', '--CDSBX_BUILD_TESTS=ON'], { cwd: root, stdio: 'ignore' });
      execFileSync(process.execPath, [cmakeJs, 'build', '--target', target], { cwd: root, stdio: 'ignore' });
    }
  }
  if (!fs.existsSync(bin)) throw new Error(`${target} was not built (${bin}; bench_filter needs libseccomp-dev)`);
  return bin;
}

module.exports = { nativeHelper };
