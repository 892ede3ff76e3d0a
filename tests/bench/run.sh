#!/bin/sh
# tests/bench/run.sh — `make bench`: scraper --dump against its peers.
#
#     sh tests/bench/run.sh [bench.py options]     (from anywhere)
#
# 1. Installs the Debian packages it needs when missing, through `make deps`
#    (as root or with sudo; otherwise it prints the apt-get command): pup, python3-lxml, python3-bs4,
#    libxml2-utils (xmllint), time (GNU time: the peak RSS).  Nothing else
#    is fetched; everything it runs talks to 127.0.0.1 only.
# 2. Builds tests/bench/floor.c (libxml2's parser alone, quiet) into the work
#    directory when a C compiler and libxml2's headers are there.
# 3. Runs tests/bench/bench.py, which generates the 1, 10 and 50 MB pages
#    with gen.py (cached in the work directory until gen.py changes), serves
#    them with serve.py on a random loopback port, times every tool on the
#    same files in one run and prints the tables (see bench.py's top comment).
# 4. Runs tests/bench/worst.py --bench: the worst-case shapes (see below).
# 5. Runs tests/bench/query.py: --query against pup, parsel and xmllint.
#
# Environment: SCRAPER (default ./scraper), BENCH_DIR (work directory,
# default $TMPDIR/scraper-bench), BENCH_WORST_SIZES (step 4's sizes).  Exit
# status: 0, or 1 when scraper missed a record gen.py wrote (or a package is
# missing).  About 4 minutes on a 2-core machine, and up to 6 more for step 4
# (its slowest shapes are killed at 30 s); `--sizes 1M,10M`, `--bs4-big 0`
# and BENCH_WORST_SIZES= make it shorter.
set -eu
cd "$(dirname "$0")/../.."

# the Makefile's deps target installs them (root or sudo) or says how
make -s deps DEBS="python3 python3-lxml python3-bs4 pup libxml2-utils time" || exit 1

SCRAPER=${SCRAPER:-./scraper}
if [ ! -x "$SCRAPER" ]; then
	echo "bench: $SCRAPER not found (run make first)" >&2
	exit 1
fi
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/scraper-bench}
mkdir -p "$WORK"

FLOOR=
if command -v cc >/dev/null && pkg-config --exists libxml-2.0 2>/dev/null &&
	cc -std=c11 -O2 $(pkg-config --cflags libxml-2.0) -o "$WORK/floor" \
		tests/bench/floor.c $(pkg-config --libs libxml-2.0) 2>"$WORK/floor.err"; then
	FLOOR=$WORK/floor
else
	echo "bench: floor.c not built (no cc or libxml2-dev): its rows are skipped" >&2
fi

status=0
/usr/bin/python3 tests/bench/bench.py --work "$WORK" --scraper "$SCRAPER" \
	--floor "$FLOOR" "$@" || status=$?

# 4. The worst-case shapes of tests/bench/worst.py (unmatched end tags,
#    attribute floods under and over the guard, deep nesting, long comments,
#    entities...) at BENCH_WORST_SIZES bytes (default 10M; a list such as
#    1M,2M,4M also prints how each time grows; empty: skipped): per shape the
#    seconds of `scraper --dump -v` and the ratio to gen.py's ordinary page
#    of the same size, a run killed at 30 s.  A table, not a check: it does
#    not change the exit status (tests/worst.t is the check).
# 5. --query against pup, parsel and xmllint --html --xpath on the 10 MB
#    page (tests/bench/query.py): three queries, the ratios the targets name.
#    BENCH_QUERY= skips it. A table, not a check.
if [ -n "${BENCH_QUERY-10M}" ]; then
	make -s deps DEBS="python3-parsel" || true
	/usr/bin/python3 tests/bench/query.py --work "$WORK" --scraper "$SCRAPER" \
		--size "${BENCH_QUERY-10M}" ${FLOOR:+--floor "$FLOOR"} || true
fi

if [ -n "${BENCH_WORST_SIZES-10M}" ]; then
	echo
	/usr/bin/python3 tests/bench/worst.py --bench --work "$WORK" --scraper "$SCRAPER" \
		--sizes "${BENCH_WORST_SIZES-10M}" || true
fi
exit "$status"
