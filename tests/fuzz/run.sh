#!/bin/sh
# Builds the libFuzzer targets of tests/fuzz/ and runs each for a while.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60); TARGETs default to all of fuzz_*.c.
# Each target is built with clang -fsanitize=fuzzer,address,undefined into
# $FUZZ_BUILD_DIR (default ${TMPDIR:-/tmp}/scraper-fuzz), replays its
# regression inputs (tests/fuzz/regress/TARGET/*), then fuzzes a copy of its
# seed corpus (tests/fuzz/corpus/TARGET/) in a fresh work directory: nothing
# is written into the source tree. Per target it prints one line,
#   fuzz_page: 1234567 execs, no finding
# or what it found and where the reproducer and the log are; the exit status
# is 1 when anything was found, 2 when a target could not be built.
#
# Environment: CC (default clang), FUZZ_CFLAGS (added to the compile line),
# FUZZ_BUILD_DIR, FUZZ_KEEP=1 (keep the work directory, with the grown
# corpus, even without a finding).
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)/scraper.c
secs=${1:-60}
[ $# -gt 0 ] && shift
case $secs in
''|*[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
# libFuzzer's limit for one input: 10 s x TIME_SCALE, as every time limit
tmo=$(awk -v k="${TIME_SCALE:-1}" 'BEGIN { t = int(10 * k + 0.5); print t < 1 ? 1 : t }')
if [ $# -eq 0 ]; then
	for f in "$here"/fuzz_*.c; do
		t=${f##*/}
		set -- "$@" "${t%.c}"
	done
fi

CC=${CC:-clang}
case $CC in cc|gcc*) CC=clang ;; esac # make's default CC is cc: libFuzzer is clang's
build=${FUZZ_BUILD_DIR:-${TMPDIR:-/tmp}/scraper-fuzz}
mkdir -p "$build" || exit 2
work=$(mktemp -d "$build/run.XXXXXX") || exit 2
pkgs="ncursesw formw libcurl libxml-2.0"
pkg_cflags=$(pkg-config --cflags $pkgs) || { echo "pkg-config: $pkgs missing" >&2; exit 2; }
pkg_libs="$(pkg-config --libs $pkgs) -pthread"
cflags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
-fno-sanitize-recover=all -std=c11 -Wall -Wextra -Wno-unused-function ${FUZZ_CFLAGS:-}"

# Builds $1 unless its binary is newer than every source and was built with
# the same command line.
build_target() {
	t=$1 bin=$build/$1
	cmd="$CC $cflags $pkg_cflags $here/$t.c $pkg_libs"
	if [ -x "$bin" ] && [ "$(cat "$bin.cmd" 2>/dev/null)" = "$cmd" ] &&
	   [ "$bin" -nt "$src" ] && [ "$bin" -nt "$here/$t.c" ] && [ "$bin" -nt "$here/check.h" ]; then
		return 0
	fi
	# shellcheck disable=SC2086
	$CC $cflags $pkg_cflags -o "$bin.tmp$$" "$here/$t.c" $pkg_libs >"$work/$t.build.log" 2>&1 &&
		mv "$bin.tmp$$" "$bin" && printf '%s\n' "$cmd" >"$bin.cmd"
}

# The execution count a libFuzzer log reports (final stats, else the last
# status line).
execs() {
	n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$1" | tail -n 1)
	[ -n "$n" ] || n=$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]].*/\1/p' "$1" | tail -n 1)
	echo "${n:-0}"
}

status=0
for t in "$@"; do
	if [ ! -f "$here/$t.c" ]; then
		echo "$t: no such target ($here/$t.c)"
		status=2
		continue
	fi
	if ! build_target "$t"; then
		echo "$t: BUILD FAILED, see $work/$t.build.log"
		sed 's/^/    /' "$work/$t.build.log" | head -n 20
		status=2
		continue
	fi
	bin=$build/$t
	art=$work/$t.artifacts
	mkdir -p "$art"
	# Regression inputs first: each once, as a plain run.
	if [ -d "$here/regress/$t" ] && [ -n "$(ls -A "$here/regress/$t")" ]; then
		if ! "$bin" -timeout="$tmo" -rss_limit_mb=2048 "$here/regress/$t"/* \
		     >"$work/$t.regress.log" 2>&1; then
			echo "$t: FINDING: a regression input fails again (tests/fuzz/regress/$t/);" \
			     "log $work/$t.regress.log"
			grep -m 3 -e 'INVARIANT VIOLATED' -e 'ERROR: ' -e '^Running: ' \
				"$work/$t.regress.log" | sed 's/^/    /'
			status=1
			continue
		fi
	fi
	mkdir -p "$work/$t.corpus"
	cp -R "$here/corpus/$t/." "$work/$t.corpus/" 2>/dev/null
	dict=
	[ -f "$here/$t.dict" ] && dict=-dict=$here/$t.dict
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout="$tmo" -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" $dict "$work/$t.corpus" >"$work/$t.log" 2>&1
	rc=$?
	found=$(ls "$art" 2>/dev/null | grep -E '^(crash|leak|timeout|oom)-' | head -n 1)
	if [ $rc -ne 0 ] || [ -n "$found" ]; then
		echo "$t: FINDING after $(execs "$work/$t.log") execs (exit $rc):" \
		     "${found:+reproducer $art/$found,} log $work/$t.log"
		grep -m 3 -e 'INVARIANT VIOLATED' -e 'ERROR: ' -e 'SUMMARY: ' "$work/$t.log" |
			sed 's/^/    /'
		status=1
	else
		echo "$t: $(execs "$work/$t.log") execs, no finding"
	fi
done
if [ $status -eq 0 ] && [ "${FUZZ_KEEP:-0}" != 1 ]; then
	rm -rf "$work"
else
	echo "(logs and reproducers kept in $work)"
fi
exit $status
