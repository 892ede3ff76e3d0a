#!/bin/sh
# The libFuzzer targets of tests/fuzz/, each for a short bounded time
# (FUZZ_SECONDS, default 5) after replaying its regression inputs; see
# tests/fuzz/run.sh, which `make fuzz` runs for a minute per target.
# Skips when clang with libFuzzer (and ASan, UBSan) is not installed.
cd "$(dirname "$0")/.." || exit 1
secs=${FUZZ_SECONDS:-5}
CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "1..0 # SKIP $CC not found (apt-get install clang)"
    exit 0
fi
probe=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-probe.XXXXXX") || exit 1
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
    >"$probe/probe.c"
if ! "$CC" -fsanitize=fuzzer,address,undefined -o "$probe/probe" "$probe/probe.c" \
     >"$probe/log" 2>&1; then
    echo "1..0 # SKIP $CC cannot build libFuzzer targets with ASan and UBSan"
    exit 0
fi

targets=$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')
echo "1..$(echo "$targets" | wc -l | tr -d ' ')"
n=0
for t in $targets; do
    n=$((n + 1))
    out=$(CC=$CC sh tests/fuzz/run.sh "$secs" "$t" 2>&1)
    rc=$?
    line=$(printf '%s\n' "$out" | grep -m 1 "^$t: ")
    if [ $rc -eq 0 ]; then
        echo "ok $n - $line"
    else
        echo "not ok $n - ${line:-$t: run.sh exit $rc}"
        printf '%s\n' "$out" | sed 's/^/# /'
    fi
done
