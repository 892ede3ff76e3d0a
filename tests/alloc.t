#!/usr/bin/env bash
# Allocation failure: the program's own allocations (xmalloc/xrealloc) fail
# one at a time, N = 1, 2, ... until a run needs fewer than N. Each run is
# the ASan+UBSan build scraper-allocfail (make builds it) doing --dump
# --save of the demo page, under a time limit. Every run must end with exit
# 0 (N past the last allocation) or exit 2 with one line "out of memory":
# never a crash, a sanitizer report, a hang or a leftover temp file.
# libxml2's and libcurl's own allocations are not failed: 2.9.14 loops
# forever on some of its malloc failures.
. "$(dirname "$0")/lib.sh"

BIN=$ROOT/scraper-allocfail
if [ ! -x "$BIN" ]; then
    echo "1..0 # SKIP scraper-allocfail not built (make scraper-allocfail)"
    exit 0
fi
start_server
export LSAN_OPTIONS=suppressions=$ROOT/tests/lsan.supp:print_suppressions=0
cd "$SCRATCH" || exit 1

MAX=3000
LIMIT=$(scaled 10)   # seconds for one run
bad=0 runs=0 last=0
for ((n = 1; n <= MAX; n++)); do
    rm -rf Files
    SCRAPER_FAIL_AT=$n timeout -k 2 "$LIMIT" "$BIN" --dump --format json --save=page.html \
        "$BASE/" >out 2>err </dev/null
    rc=$?
    runs=$n
    leftovers=$(ls -A Files 2>/dev/null | grep -v '^page\.html$' | tr '\n' ' ')
    if [ "$rc" = 0 ] && [ ! -s err ]; then
        last=$n
        break
    fi
    if [ "$rc" != 2 ] || [ "$(cat err)" != "scraper: out of memory" ] || [ -n "$leftovers" ]; then
        bad=$((bad + 1))
        [ $bad -le 3 ] && diag "N=$n: exit $rc, leftovers '$leftovers', stderr: $(head -c 400 err)"
    fi
done

ok '[ "$last" -gt 0 ]' "a run with N past the last allocation succeeds (after $runs runs)"
is "$bad" 0 "every failed allocation of $((runs - 1)) ends with exit 2 and one line, nothing left behind"
ok '[ -s out ] && $PYTHON -c "import json,sys; json.load(open(\"out\"))"' "the last run's JSON is whole"

done_testing
