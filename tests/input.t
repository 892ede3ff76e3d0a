#!/bin/bash
# What comes in and what goes out, in --dump: bodies that are not HTML (not
# parsed), local files and stdin as inputs, several inputs in turn, jsonl,
# and the names of saved files (Content-Disposition, the extension of the
# type). The real binary against tests/server.py (its /in/ routes).
#
# Run from the repository root:  prove -v tests/input.t
# These tests do not depend on the TSV's columns: they look for URLs.

. "$(dirname "$0")/lib.sh"
require_scraper
start_server

# ==== bodies that are not HTML ==================================================

# A large image: not parsed (no records, though its bytes hold an <a href>),
# exit 0, quick, and -v says why.
run_scraper --dump -v "$BASE/in/photo.jpg?bytes=30000000"
is "$RC" 0 "image/jpeg: exit 0 (a 2xx)"
ok '[ ! -s "$OUT" ]' "image/jpeg: no records (the <a href> inside its bytes is not read)"
like "$(cat "$ERR")" "Not parsed: image/jpeg is an image, not HTML" "image/jpeg: -v says it was not parsed, and why"
ok 'elapsed_below 2' "30 MB image/jpeg: done in under 2 s (took $ELAPSED s; parsed as HTML it took seconds)"

run_scraper --dump --format json "$BASE/in/photo.jpg?bytes=5000"
is "$RC" 0 "image/jpeg, json: exit 0"
is "$(json_get "$OUT" 'len(d["elements"])')" 0 "image/jpeg, json: no elements"
is "$(json_get "$OUT" 'd["content_type"]')" image/jpeg "image/jpeg, json: the type is said"

# Text that is not HTML: not parsed either.
for f in data.json feed.xml plain.txt; do
    run_scraper --dump -v "$BASE/in/$f"
    is "$RC" 0 "$f: exit 0"
    ok '! grep -q inside-text "$OUT"' "$f: no records (its <a href> and <link href> are text)"
    like "$(cat "$ERR")" "Not parsed: [a-z/]+.* is text, not HTML" "$f: -v says it was not parsed"
done

# No Content-Type: the first bytes decide. NUL bytes: binary; else a page.
run_scraper --dump -v "$BASE/in/notype"
is "$RC" 0 "no Content-Type, NUL bytes: exit 0"
ok '! grep -q inside-image "$OUT"' "no Content-Type, NUL bytes: not parsed"
like "$(cat "$ERR")" "no Content-Type, and NUL bytes" "no Content-Type, NUL bytes: -v says why"
run_scraper --dump "$BASE/in/notype-page"
is "$RC" 0 "no Content-Type, a page: exit 0"
ok 'grep -q "page2.html?notype-page" "$OUT"' "no Content-Type, no NUL: parsed as HTML"

done_testing
