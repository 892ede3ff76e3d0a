#!/bin/bash
# Link checks in batch: `--check` gives every record a status (HEAD, GET
# where HEAD is refused, redirects followed to the final URL, #fragments
# looked up in the target page's ids), exits 5 when a link is broken, and
# stays polite: a server that refuses more than 2 requests at once still
# gets every link's true status.
#
# Run from the repository root:  prove -v tests/check.t

. "$(dirname "$0")/lib.sh"
require_scraper
start_server

# status URL-TAIL: the status column of the record whose URL ends so.
status() {
    awk -F'\t' -v u="$1" 'substr($4, length($4) - length(u) + 1) == u { print $6 }' "$OUT"
}

workdir links
run_scraper --dump --check "$BASE/q/links"
is "$RC" 5 "a broken link: exit 5"
is "$(grep -c . "$OUT")" 12 "every record printed"
is "$(awk -F'\t' 'NF == 6' "$OUT" | wc -l)" 12 "... each with a status column"
is "$(status /q/ok)" 200 "a page that is there: 200"
is "$(status /q/gone)" 404 "a page that is not: 404"
is "$(status /q/nohead)" 200 "HEAD refused with 405: GET says 200"
is "$(status /q/headforbidden)" 200 "HEAD refused with 403: GET says 200"
is "$(status /q/forbidden)" 403 "403 to GET too: 403"
is "$(status /q/moved)" "301→200 $BASE/q/ok" "a redirect: its status, the final one and the final URL"
is "$(status '/q/target#here')" 200 "a #fragment that is an id: 200"
is "$(status '/q/target#named')" 200 "a #fragment that is an a's name: 200"
is "$(status '/q/links#self')" 200 "a #fragment of the page itself: 200"
is "$(status '/q/target#nowhere')" "200 #nowhere missing" "a #fragment the page lacks: said so"
is "$(status 127.0.0.1:1/)" refused "a refused connection: in a word"
is "$(status mailto:a@example.com)" skipped "mailto: is skipped"
like "$(cat "$ERR")" "/q/gone: 404" "each broken link has its line on stderr"
is "$(tail -1 "$ERR")" "scraper: 4 of 12 links broken" "... and a summary closes"
like "$(grep -E '^(HEAD|GET) /q/nohead' "$SERVER_LOG" | tr '\n' ' ')" "^HEAD /q/nohead GET /q/nohead $" \
    "HEAD first, then GET"
is "$(grep -c '^GET /q/ok' "$SERVER_LOG")" 0 "a plain link is checked with HEAD only"
is "$(grep -Ec '^(GET|HEAD) /q/links' "$SERVER_LOG")" 1 \
    "the page's own #fragment is found in the ids its parse kept: no second request"

run_scraper --dump --check --fields url,status "$BASE/q/links"
is "$(head -1 "$OUT")" "$BASE/q/ok	200" "--fields picks status"

run_scraper --dump --check --format json "$BASE/q/links"
is "$RC" 5 "JSON: exit 5 too"
is "$(json_get "$OUT" '" ".join(e["status"] for e in d["elements"][:3])')" "200 404 200" \
    "each element has its status in the JSON"

run_scraper --dump --fields url,status "$BASE/q/links"
is "$RC" 0 "without --check: exit 0"
is "$(head -1 "$OUT")" "$BASE/q/ok	" "... and the status column is empty"

# ==== a redirect that goes wrong is broken, though it gave a status ==========

printf '<a href="/loop">loop</a> <a href="/chain/12">twelve</a> <a href="/redirect-file">file</a>
<a href="/chain/3">three</a>' >"$SCRATCH/redirects.html"
run_scraper --dump --check --fields url,status --base "$BASE/" "$SCRATCH/redirects.html"
is "$RC" 5 "redirects that go wrong: exit 5"
is "$(cut -f2 "$OUT" | tr '\n' '|')" "redirect loop|redirect loop|not http(s)|302→200 $BASE/chain-end/dir/final.html|" \
   "a loop, too many redirects and a redirect to file: are said in words; a good chain is 3xx→final"
like "$(cat "$ERR")" "3 of 4 links broken" "... and counted as broken"

# ==== a server that asks to come back tomorrow: its 429 is the answer ========

printf '<a href="/q/busy-day">busy</a> <a href="/q/ok">ok</a>' >"$SCRATCH/busy.html"
run_scraper -t 20 --dump --check --fields url,status --base "$BASE/" "$SCRATCH/busy.html"
is "$RC" 5 "Retry-After: 86400: exit 5"
is "$(cut -f2 "$OUT" | tr '\n' ' ')" "429 200 " "... its 429 is the status, not waited for"
ok 'awk -v e="$ELAPSED" -v k="${TIME_SCALE:-1}" "BEGIN { exit !(e < 10 * k) }"' \
   "... within seconds, not a day or minutes of retries (${ELAPSED} s)"

# ==== politeness ==============================================================

: >"$SERVER_LOG"
run_scraper -t 60 --dump --check --fields status "$BASE/q/polite-page?n=40"
is "$RC" 0 "40 links to a server that takes 2 at once: exit 0"
is "$(grep -c '^200$' "$OUT")" 40 "... every one ends with its true status, 200"
is "$(grep -c 429 "$OUT")" 0 "... none reported as 429"
ok '[ "$(grep -c "^HEAD /q/polite/" "$SERVER_LOG")" -lt 80 ]' "... few requests refused on the way"

done_testing
