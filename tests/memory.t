#!/usr/bin/env bash
# The memory of --dump, against its target (HACKING.md, "Performance"): on a
# generated 10 MB page (tests/bench/gen.py, served from 127.0.0.1 by
# tests/bench/serve.py) the peak RSS of `scraper --dump` stays within 3x
# the page size, and every
# record the generator wrote is printed. Memory, not time: ru_maxrss is the
# same on a busy machine. Skipped for sanitizer and valgrind builds, whose
# memory is their own.
. "$(dirname "$0")/lib.sh"

case $SCRAPER in
*asan* | *valgrind*) echo "1..0 # SKIP peak RSS of $SCRAPER is the tool's, not scraper's"; exit 0 ;;
esac
PAGES=$SCRATCH/pages
mkdir -p "$PAGES"
"$PYTHON" "$ROOT/tests/bench/gen.py" --size 10M --out "$PAGES/page.html" --quiet ||
    { echo "Bail out! gen.py failed"; exit 255; }
serve_dir "$PAGES" "$(scaled 120)"

# peak_rss OUT ARGS...: runs the binary, stdout to OUT; prints "STATUS KIB"
peak_rss() {
    "$PYTHON" - "$@" <<'PY'
import os, subprocess, sys
with open(sys.argv[1], "wb") as out:
    p = subprocess.Popen(sys.argv[2:], stdout=out, stdin=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
print(os.waitstatus_to_exitcode(status), ru.ru_maxrss)
PY
}

size=$(stat -c %s "$PAGES/page.html")
read -r RC KIB < <(peak_rss "$OUT" "$SCRAPER" --dump "$SERVE_URL/page.html")
is "$RC" 0 "--dump of the 10 MB page: exit 0"
want=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["total"])' \
    "$PAGES/page.html.counts")
is "$(wc -l <"$OUT")" "$want" "--dump of the 10 MB page: every record gen.py wrote ($want)"
ratio=$(awk -v k="$KIB" -v s="$size" 'BEGIN { printf "%.2f", k * 1024 / s }')
ok 'awk -v r="$ratio" "BEGIN { exit !(r <= 3) }"' \
    "--dump of the 10 MB page: peak RSS within 3x the page ($KIB KiB, ${ratio}x)"

done_testing
