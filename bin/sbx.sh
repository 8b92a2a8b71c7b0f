#!/bin/sh
# The `sbx` command where dist/sbx could not be made a link to the native
# front end (scripts/link-bin.js: a package packed for publishing, or
# installed with --ignore-scripts): find the launcher of this package and
# let it be `sbx` (`sbx-launcher --cli`, launcher/cli_main.c), else Node.
# A link costs nothing; this script a shell start (~1 ms) and a readlink
# per symbolic link on the way to it.
self=$0
while [ -L "$self" ]; do
  to=$(readlink "$self") || break
  case $to in
    /*) self=$to ;;
    *) self=${self%/*}/$to ;;
  esac
done
root=${self%/*}/..
case $(uname -m) in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac
for launcher in "$root/build/Release/sbx-launcher" "$root/prebuilds/linux-$arch/sbx-launcher"; do
  if [ -x "$launcher" ]; then
    exec "$launcher" --cli "$@"
  fi
done
exec node "$root/dist/cli.js" "$@"
