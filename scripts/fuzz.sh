#!/usr/bin/env bash
# Build every libFuzzer target test/fuzz/fuzz_<name>.c and run each one for
# ${FUZZ_SECONDS:-60} seconds on a copy of its seed corpus
# test/fuzz/corpus/<name>/ (copied so that new inputs never land in the repo).
#
#   scripts/fuzz.sh                 all targets
#   scripts/fuzz.sh json policy     only these targets
#   FUZZ_SECONDS=600 scripts/fuzz.sh json
#   FUZZ_BUILD_ONLY=1 scripts/fuzz.sh
#   FUZZ_CHECK_ONLY=1 scripts/fuzz.sh   only check that clang can link a libFuzzer target
#
# Targets link against an archive of every src-native/<stage>/*.c (and
# launcher/channel.c and request.c), so a target gets
# exactly the core objects it references and new targets need no list here.
# Optional per target: test/fuzz/<name>.dict (libFuzzer dictionary).
# Findings are kept in build/fuzz/artifacts/<name>/; exit status is non-zero
# if any target fails to build or finds anything.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build/fuzz"
seconds=${FUZZ_SECONDS:-60}

cc=${CC:-}
if [[ -z "$cc" || "$cc" == cc || "$cc" == gcc ]]; then
	cc=$(command -v clang || command -v clang-14 || true)
fi
install_hint="install clang and its libFuzzer runtime (Debian/Ubuntu: apt-get install clang libclang-rt-14-dev)"
if [[ -z "$cc" ]]; then
	echo "fuzz.sh: clang not found (libFuzzer needs clang): $install_hint" >&2
	exit 2
fi
# clang without its runtime libraries fails at the first link with a message
# about libclang_rt.fuzzer: say it here, in one line.
probe=$(mktemp -d)
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$probe/t.c"
linked=0
"$cc" -fsanitize=fuzzer,address "$probe/t.c" -o "$probe/t" 2>/dev/null && linked=1
rm -rf "$probe"
if ((linked == 0)); then
	echo "fuzz.sh: $cc cannot link a libFuzzer target (its runtime is missing): $install_hint" >&2
	exit 2
fi
# FUZZ_CHECK_ONLY=1: only the checks above (test/fuzz.test.ts asks before building).
[[ -n "${FUZZ_CHECK_ONLY:-}" ]] && exit 0

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
# The core's headers: the public API and one folder per stage (CMakeLists.txt).
stages="base kernel seccomp policy confine doors probe"
core_inc=""
for s in $stages; do core_inc="$core_inc -I$root/src-native/$s"; done
cflags="-g -O1 -std=gnu11 -D_GNU_SOURCE -fno-omit-frame-pointer $san
	-I$root/src-native/include $core_inc -I$root/test/support -I$root/launcher"

mkdir -p "$out/obj" "$out/artifacts"

# ---- targets ----------------------------------------------------------------
targets=()
if (($# > 0)); then
	targets=("$@")
else
	for f in "$root"/test/fuzz/fuzz_*.c; do
		[[ -e "$f" ]] || continue
		n=$(basename "$f" .c)
		targets+=("${n#fuzz_}")
	done
fi
if ((${#targets[@]} == 0)); then
	echo "fuzz.sh: no targets in test/fuzz/" >&2
	exit 2
fi

# FUZZ_SKIP_BUILD=1: run targets built by an earlier FUZZ_BUILD_ONLY=1 call
# (the test suite builds once, then runs each target as its own case).
if [[ -z "${FUZZ_SKIP_BUILD:-}" ]]; then

# ---- core archive, instrumented for coverage but without libFuzzer's main ----
objs=()
# test/support/ (the BPF interpreter, spec generators) is linked in too: targets
# compare compiled programs against it. From launcher/ only the policy channel
# and the spawn server's request decoder (no main, no namespaces): fuzz_launcher_policy
# and fuzz_request run the launcher's own code.
core=()
core_src=()
for s in $stages; do core_src+=("$root"/src-native/"$s"/*.c); done
for src in "${core_src[@]}" "$root"/test/support/*.c "$root"/launcher/channel.c "$root"/launcher/request.c; do
	obj="$out/obj/$(basename "${src%.c}").o"
	# shellcheck disable=SC2086
	"$cc" $cflags -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
	objs+=("$obj")
	[[ "$src" == "$root"/src-native/* ]] && core+=("$obj")
done
# The precomputed presets table, made the way CMakeLists.txt makes it (the
# generator, with an empty table of its own, writes it from the core), so
# the fuzzers run the fast path of bare preset names too.
# shellcheck disable=SC2086
"$cc" $cflags "$root/src-native/gen/gen-presets.c" "$root/src-native/gen/presets_fast_none.c" \
	"${core[@]}" -lm -o "$out/gen-presets"
"$out/gen-presets" "$out/presets_fast.c"
# shellcheck disable=SC2086
"$cc" $cflags -fsanitize=fuzzer-no-link -c "$out/presets_fast.c" -o "$out/obj/presets_fast.o"
objs+=("$out/obj/presets_fast.o")
rm -f "$out/libsbxcore-fuzz.a"
ar rcs "$out/libsbxcore-fuzz.a" "${objs[@]}"

for t in "${targets[@]}"; do
	src="$root/test/fuzz/fuzz_$t.c"
	[[ -f "$src" ]] || { echo "fuzz.sh: no such target: $src" >&2; exit 2; }
	# shellcheck disable=SC2086
	"$cc" $cflags -fsanitize=fuzzer "$src" "$out/libsbxcore-fuzz.a" -lm \
		-o "$out/fuzz_$t"
	echo "built $out/fuzz_$t"
done
fi
[[ -n "${FUZZ_BUILD_ONLY:-}" ]] && exit 0

work=$(mktemp -d /tmp/sbx-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

failed=()
for t in "${targets[@]}"; do
	corpus="$work/$t"
	mkdir -p "$corpus"
	if [[ -d "$root/test/fuzz/corpus/$t" ]]; then
		cp -R "$root/test/fuzz/corpus/$t/." "$corpus/"
	fi
	art="$out/artifacts/$t"
	mkdir -p "$art"
	args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
	      -artifact_prefix="$art/" -print_final_stats=1)
	[[ -f "$root/test/fuzz/$t.dict" ]] && args+=(-dict="$root/test/fuzz/$t.dict")
	echo "== fuzz_$t: ${seconds}s, corpus $(find "$corpus" -type f | wc -l) files"
	log="$out/fuzz_$t.log"
	if "$out/fuzz_$t" "${args[@]}" "$corpus" >"$log" 2>&1; then
		grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$log" || true
		echo "== fuzz_$t: no finding"
	else
		echo "== fuzz_$t: FINDING (log $log, inputs in $art/)" >&2
		grep -E 'ERROR|runtime error|invariant failed|Test unit written' "$log" >&2 || tail -20 "$log" >&2
		failed+=("$t")
	fi
done

if ((${#failed[@]})); then
	echo "fuzz.sh: findings in: ${failed[*]}" >&2
	exit 1
fi
echo "fuzz.sh: all ${#targets[@]} target(s) ran ${seconds}s with no finding"
