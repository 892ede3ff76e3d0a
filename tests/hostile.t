#!/bin/bash
# `scraper --dump` on pages built to hurt it: charset labels that cannot be
# right for the bytes (never 0 records in silence), libxml2's slow shapes
# (stray end tags under many open elements, attribute floods: cut by a guard
# and said), a signal in the middle of a parse, and transfer errors that
# libcurl words in its own terms.
. "$(dirname "$0")/lib.sh"
require_scraper
start_server
F=$BASE/fault

# ---- charset labels ------------------------------------------------------

# charset_case ROUTE URL-PART TEXT STORY-ERE NAME: the record of URL-PART is
# found with TEXT, and the story says how the charset was chosen.
charset_case() {
    run_scraper --dump -v "$F/$1"
    is "$RC" 0 "$5: exit 0"
    like "$(grep -F "$2" "$OUT")" "$3" "$5: the link is found, its text read right"
    like "$(grep '^\* Charset' "$ERR")" "$4" "$5: the story says which charset, and why"
}

charset_case cs-header-utf16 "?cafe" "café" "HTTP header says utf-16, but the bytes are not in it" \
    "header charset=utf-16 on an ASCII page"
charset_case cs-header-ibm037 "?ascii" "plain ASCII" "HTTP header says IBM037, but the bytes are not in it" \
    "header charset=IBM037 on an ASCII page"
charset_case cs-meta-utf16 "?cafe" "café" "<meta> says utf-16, which means UTF-8" \
    "<meta charset=utf-16>"
charset_case cs-utf32 "?utf32" "café UTF-32" "UTF-32LE \(byte-order mark\)" \
    "UTF-32LE byte-order mark"
charset_case cs-declared-wrong "?qq" "腾讯首页" "<meta> says gb2312, but the bytes are UTF-8" \
    "UTF-8 page declaring gb2312"
charset_case cs-gb2312-superset "?gb" "啰嗦" "GB18030 \(<meta>" \
    "gb2312 read as browsers do (GB18030)"
charset_case cs-latin5-superset "?tr" "‘ok’ ğ" "CP1254 \(<meta>" \
    "iso-8859-9 read as browsers do (windows-1254)"
run_scraper --dump --format json "$F/cs-declared-wrong"
like "$(json_get "$OUT" 'd["title"]' 2>/dev/null || grep -o '"title":"[^"]*"' "$OUT")" "腾讯首页" \
    "UTF-8 page declaring gb2312: the title is not garbled"

# ---- libxml2's slow shapes -----------------------------------------------

# A stray end tag makes libxml2 look through every open element: 150,000 of
# each took 50 s. The parse is stopped past a budget, and says so.
run_scraper -t 10 --dump -v "$F/stray-end-tags?n=150000"
is "$RC" 0 "stray end tags: exit 0"
ok 'elapsed_below 5' "stray end tags: done in under 5 s (took $ELAPSED s)"
like "$(cat "$OUT")" "\?first" "stray end tags: the records before the guard are kept"
like "$(cat "$ERR")" "partly parsed: stopped after [0-9]+ stray end tags" \
    "stray end tags: the report says the parse was stopped, and why"

# 100 tags of 11,043 distinct attributes in 65,534 bytes each took 24.5 s.
run_scraper -t 10 --dump -v "$F/attr-flood?n=11043&tags=100"
is "$RC" 0 "attribute flood: exit 0"
ok 'elapsed_below 5' "attribute flood: done in under 5 s (took $ELAPSED s)"
like "$(cat "$OUT")" "\?last" "attribute flood: the link after the flood is found"
like "$(cat "$ERR")" "100 tags with more than 256 attributes cut" \
    "attribute flood: the report says the tags were cut"

# Bytes read as libxml2 reads them: a bogus attribute name, a comment that
# looks like a tag, <script/>, cannot hide a flood from the guard.
for kind in digit eq at slash comment-quote comment-script script-self; do
    run_scraper -t 10 --dump -v "$F/attr-bypass?kind=$kind"
    ok '[ "$RC" = 0 ] && elapsed_below 3' "flood behind $kind: done in under 3 s (exit $RC, took $ELAPSED s)"
    like "$(cat "$ERR")" "tags with more than 256 attributes cut" "flood behind $kind: cut, and said"
    like "$(cat "$OUT")" "\?last" "flood behind $kind: the link after it is found"
done

# A <script> cut in two by the scan's 1 MiB slices is still a script (with
# --save the body is scanned whole, in slices, as on the screen).
run_scraper --dump -v --save --force --dir "$SCRATCH/saved" "$F/script-at-slice"
unlike "$(cat "$ERR")" "partly parsed" "a <script> across a slice boundary: its text is not cut"
like "$(cat "$OUT")" "\?last" "a <script> across a slice boundary: the link after it is found"

# Real pages have at most a few dozen attributes to a tag: no cut.
run_scraper --dump -v "$F/attr-flood?n=200&tags=50"
unlike "$(cat "$ERR")" "partly parsed" "200 attributes to a tag: not cut"

# ---- a signal during a parse ---------------------------------------------

# The parse is stopped at its next callback: the process ends at once.
"$SCRAPER" --dump "$F/stray-end-tags?n=6000000" >/dev/null 2>"$ERR" </dev/null &
pid=$!
wait_log 'stray-end-tags' 5
sleep 1.5   # the 42 MB body is in; 6,000,000 start tags take longer (not scaled:
            # the signal must come during the parse; during the transfer it ends the run too)
t0=$EPOCHREALTIME
kill -TERM "$pid"
for _ in $(seq "$(scaled 100)"); do   # 5 s at most, then it is killed
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
done
kill -KILL "$pid" 2>/dev/null
wait "$pid"
RC=$?
ELAPSED=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
is "$RC" 143 "SIGTERM during a long parse: exit 143"
ok 'elapsed_below 0.5' "SIGTERM during a long parse: ended within 0.5 s (took $ELAPSED s)"

# ---- transfer errors in the program's words ------------------------------

run_scraper --dump "$F/br-bad"
fails_with 2 "a body that is not brotli"
like "$(cat "$ERR")" "could not be decoded: it is not valid br data" \
    "a body that is not brotli: said so, in the program's words"
run_scraper --dump "$F/cookies-many"
fails_with 2 "10,000 Set-Cookie headers"
like "$(cat "$ERR")" "response headers too large" "10,000 Set-Cookie headers: said so"
unlike "$(cat "$ERR")" "307200" "10,000 Set-Cookie headers: not in libcurl's words"

done_testing
