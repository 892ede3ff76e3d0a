#!/bin/bash
# End-to-end tests of `scraper --dump` against tests/server.py, checked
# against what README says: output formats, redirects, failures and their exit
# statuses, encodings, charsets, size caps, terminal safety, saving, the
# verbose report, the request sent, and signals.
#
# Run from the repository root:  prove -v tests/dump.t
# (SCRAPER=./scraper-asan prove tests/dump.t for another build.)

. "$(dirname "$0")/lib.sh"
require_scraper
start_server

# cmp_fixture NAME FILE TESTNAME: FILE equals tests/fixtures/NAME (PORT set).
cmp_fixture() {
    expected "$1" >"$SCRATCH/expected"
    cmp_file "$SCRATCH/expected" "$2" "$3"
}

# json_tsv FILE: the JSON's elements as TSV lines (kind, tag, attr, url, text).
json_tsv() {
    json_get "$1" '"\n".join("\t".join((e["kind"], e["tag"], e["attr"], e["url"], e["text"]))
                             for e in d["elements"])'
}

DEMO=$SCRATCH/demo.expected
expected demo.tsv >"$DEMO"
fetch / "$SCRATCH/demo.body"
DEMO_LEN=$(wc -c <"$SCRATCH/demo.body")

# ==== command line ==========================================================

run_scraper --help
is "$RC" 0 "--help exits 0"
like "$(cat "$OUT")" "[Uu]sage" "--help prints the usage on stdout"

run_scraper --version
is "$RC" 0 "--version exits 0"
like "$(cat "$OUT")" "[0-9]+\.[0-9]+" "--version prints a version number"
VERSION=$(grep -Eo '[0-9]+(\.[0-9]+)+[^[:space:]]*' "$OUT" | head -1)

run_scraper --dump --no-such-option "$BASE/"
is "$RC" 1 "unknown option exits 1"
like "$(cat "$ERR")" "[Uu]sage" "unknown option: usage on stderr"

run_scraper --dump "$BASE/" --timeout
is "$RC" 1 "missing option argument exits 1"

run_scraper
is "$RC" 1 "no URL with stdout not a terminal exits 1"
like "$(head -1 "$ERR")" "URL" "no URL: stderr's first line names the cause"

# ==== the demo page =========================================================

run_scraper --dump "$BASE/"
is "$RC" 0 "demo: exit 0"
cmp_file "$DEMO" "$OUT" "demo: TSV equals tests/fixtures/demo.tsv"
ok '[ ! -s "$ERR" ]' "demo: stderr empty on success"

run_scraper "$BASE/"
is "$RC" 0 "no --dump, stdout not a terminal: behaves as --dump"
cmp_file "$DEMO" "$OUT" "no --dump: same TSV"

run_scraper --dump --format json "$BASE/"
is "$RC" 0 "demo json: exit 0"
cp "$OUT" "$SCRATCH/demo.json"
J=$SCRATCH/demo.json
ok 'json_get "$J" "1" >/dev/null' "demo json: valid JSON"
is "$(json_get "$J" 'sorted(d)')" \
   '["bytes", "content_length", "content_type", "elements", "error", "final_url", "hops", "ip", "local", "port", "remote", "saved", "status", "timings", "title", "tls", "url"]' \
   "demo json: the documented top-level keys"
is "$(json_get "$J" 'd["url"]')" "$BASE/" "demo json: url"
is "$(json_get "$J" 'd["final_url"]')" "$BASE/" "demo json: final_url"
is "$(json_get "$J" '[d["status"]]')" "[200]" "demo json: status is the number 200"
is "$(json_get "$J" 'd["ip"]')" 127.0.0.1 "demo json: ip"
is "$(json_get "$J" '[d["port"]]')" "[$PORT]" "demo json: port is the number $PORT"
is "$(json_get "$J" 'd["content_type"]')" "text/html; charset=utf-8" "demo json: content_type"
is "$(json_get "$J" '[d["content_length"]]')" "[$DEMO_LEN]" "demo json: content_length"
is "$(json_get "$J" '[d["bytes"]]')" "[$DEMO_LEN]" "demo json: bytes"
is "$(json_get "$J" 'd["title"]')" "Démo — scraper ✓" "demo json: title"
is "$(json_get "$J" '[d["saved"]]')" "[null]" "demo json: saved is null"
is "$(json_get "$J" 'sorted({tuple(sorted(e)) for e in d["elements"]})')" \
   '[["attr", "descriptor", "kind", "rel", "tag", "text", "url"]]' "demo json: element objects have the documented keys"
json_tsv "$J" >"$SCRATCH/demo.json.tsv"
cmp_file "$DEMO" "$SCRATCH/demo.json.tsv" "demo json: elements equal demo.tsv, in order"
# the extraction table (README, "What is extracted"): (tag, attr) -> kind
KINDS='{("a","href"):"link",("area","href"):"link",("img","src"):"image",("img","srcset"):"image",
("source","srcset"):"image",("audio","src"):"media",("video","src"):"media",("video","poster"):"media",
("source","src"):"media",("track","src"):"media",("object","data"):"embed",("embed","src"):"embed",
("iframe","src"):"embed",("frame","src"):"embed",("link","href"):"resource",("script","src"):"resource"}'
is "$(json_get "$J" "[(e['tag'], e['attr'], e['kind']) for e in d['elements'] if $KINDS.get((e['tag'], e['attr'])) != e['kind']]")" \
   "[]" "demo json: every kind follows the extraction table"

# ==== other pages, redirects ================================================

run_scraper --dump "$BASE/base.html"
cmp_fixture base.tsv "$OUT" "<base href>: URLs resolved against the first base, before it too"

run_scraper --dump "$BASE/frames.html"
cmp_fixture frames.tsv "$OUT" "frameset: frame src"

run_scraper --dump --format json "$BASE/redirect"
is "$RC" 0 "redirect: exit 0"
is "$(json_get "$OUT" '[d["url"], d["final_url"], d["status"]]')" \
   "[\"$BASE/redirect\", \"$BASE/page2.html\", 200]" "redirect json: url, final_url, status"
json_tsv "$OUT" >"$SCRATCH/page2.json.tsv"
cmp_fixture page2.tsv "$SCRATCH/page2.json.tsv" "redirect: page two's records"

run_scraper --dump "$BASE/chain/3"
is "$RC" 0 "chain of 3 redirects: exit 0"
cmp_fixture chain.tsv "$OUT" "chain: links resolved against the final URL"

run_scraper --dump "$BASE/loop"
fails_with 2 "redirect loop"
ok 'elapsed_below 5' "redirect loop: stopped quickly (${ELAPSED}s)"

run_scraper --dump "$BASE/redirect-file"
fails_with 2 "redirect to file://"

run_scraper --dump "$BASE/redirect-ftp"
fails_with 2 "redirect to ftp://"

run_scraper --dump "ftp://127.0.0.1:$PORT/x"
fails_with 2 "ftp:// URL"

run_scraper --dump "127.0.0.1:$PORT/page2.html"
is "$RC" 0 "URL without a scheme: exit 0"
cmp_fixture page2.tsv "$OUT" "URL without a scheme gets http://"

run_scraper --dump "http://127.0.0.1:$(free_port)/"
fails_with 2 "closed port"

# ==== HTTP errors ===========================================================

for st in 404 500; do
    run_scraper --dump "$BASE/$st"
    fails_with 3 "HTTP $st"
    like "$(cat "$ERR")" "$st" "HTTP $st: the message names the status"
    is "$(cat "$OUT")" "link	a	href	$BASE/page2.html?from=$st	Back to page two" \
       "HTTP $st: the body's records are still printed"
done

run_scraper --dump --format json "$BASE/404"
is "$(json_get "$OUT" '[d["status"]]')" "[404]" "HTTP 404 json: status 404"

# ==== transfer failures =====================================================

run_scraper --dump --timeout 2 "$BASE/stall"
fails_with 2 "stalled server with --timeout 2"
ok 'elapsed_below 4' "stalled server: gave up within 4 s (${ELAPSED}s)"

run_scraper --dump "$BASE/truncated"
fails_with 2 "body shorter than Content-Length"

run_scraper --dump "$BASE/empty-reply"
fails_with 2 "empty reply"

run_scraper --dump "$BASE/gzip-bad"
fails_with 2 "broken gzip body"

# ==== transfer encodings ====================================================

run_scraper --dump "$BASE/gzip"
is "$RC" 0 "gzip: exit 0"
is "$(cat "$OUT")" "link	a	href	$BASE/page2.html?gzip	Compressed café
image	img	src	$BASE/img/gz.png	gz" "gzip: records of the inflated page"

run_scraper --dump "$BASE/chunked"
is "$RC" 0 "chunked: exit 0"
is "$(cat "$OUT")" "link	a	href	$BASE/page2.html?chunk1	First chunked café
link	a	href	$BASE/page2.html?chunk2	Second chunked link
image	img	src	$BASE/img/chunked.png	chunk" "chunked: records (chunks cut inside a UTF-8 sequence)"

# ==== size ==================================================================

fetch "/big?bytes=1000000" "$SCRATCH/big.body"
run_scraper --dump "$BASE/big?bytes=1000000"
is "$RC" 0 "1 MB page under the default cap: exit 0"
is "$(lines "$OUT")" "$(grep -c '<a href' "$SCRATCH/big.body")" "1 MB page: one record per link"

run_scraper_rss --dump "$BASE/page2.html"
BASE_RSS=$MAXRSS_KB
for path in "big?bytes=1000000" "big-chunked?bytes=1000000" bomb; do
    run_scraper_rss --dump --max-size 100000 "$BASE/$path"
    fails_with 2 "--max-size 100000, /$path"
    ok 'elapsed_below 3' "/$path: refused quickly (${ELAPSED}s)"
    ok '[ "$MAXRSS_KB" -lt $((BASE_RSS + 20000)) ]' \
       "/$path: memory stays small (${MAXRSS_KB} KB; ${BASE_RSS} KB for a small page)"
done

# A --max-size the address space cannot hold (ulimit -v, as under
# vm.overcommit_memory=2): the body's reservation shrinks to what can be
# had, a page that fits is read, one that does not fails as out of memory.
case $SCRAPER in
*asan* | *valgrind*)
    for _ in 1 2 3; do skip "ulimit -v: $SCRAPER reserves address space of its own"; done ;;
*)
    (ulimit -v 400000 && exec "$SCRAPER" --dump --max-size 100000000000 "$BASE/big?bytes=1000000") \
        >"$OUT" 2>"$ERR" </dev/null
    RC=$?
    is "$RC $(lines "$OUT")" "0 $(grep -c '<a href' "$SCRATCH/big.body")" \
        "--max-size 100 GB under ulimit -v 400 MB: the 1 MB page is read"
    (ulimit -v 150000 && exec "$SCRAPER" --dump --max-size 100000000000 \
        "$BASE/big-chunked?bytes=200000000") >"$OUT" 2>"$ERR" </dev/null
    RC=$?
    fails_with 2 "--max-size 100 GB under ulimit -v 150 MB: a 200 MB page"
    ;;
esac

# ==== records written while the page is parsed ==============================

# Without -v and without a <base>, TSV records are written by a second
# thread as the parse makes them final; JSON is written after the parse.
# The two must list the same records, whatever the batches.
NREC=$((3000 * 4 + 2500 + 4))
run_scraper --dump "$BASE/records"
quiet_ok "records: 3,000 links, an <a> open around 2,500 images"
is "$(lines "$OUT")" "$NREC" "records: $NREC rows"
cp "$OUT" "$SCRATCH/records.tsv"
run_scraper --dump --format json "$BASE/records"
json_tsv "$OUT" >"$SCRATCH/records.json.tsv"
cmp_file "$SCRATCH/records.json.tsv" "$SCRATCH/records.tsv" "records: TSV rows = JSON elements"
is "$(grep -c '	link [0-9]* café$' "$SCRATCH/records.tsv")" 3000 "records: every link with its text"
is "$(grep -F -e "$BASE/open" -e "$BASE/outer" -e "$BASE/inner" -e "$BASE/last" "$SCRATCH/records.tsv" | cut -f4-)" \
   "$BASE/open	open around images end of open
$BASE/outer	outer
$BASE/inner	inner
$BASE/last	never closed" "records: an <a> open across batches, nested, never closed: their texts"
is "$(sed -n '2p;3p;4p' "$SCRATCH/records.tsv" | cut -f1-4)" "image	img	src	$BASE/i0.png
image	img	srcset	$BASE/s0-1.png
image	img	srcset	$BASE/s0-2.png" "records: img src, then each srcset candidate"
run_scraper --dump -v "$BASE/records"
cmp_file "$SCRATCH/records.tsv" "$OUT" "records: -v (records written after the parse) prints the same rows"

# A <base href> at the very end applies to every record before it: those
# records must wait for the end of the parse.
run_scraper --dump "$BASE/records?base=1"
quiet_ok "records with a <base> at the end"
is "$(head -1 "$OUT" | cut -f4)" "http://base.example/r/0?x=1#f" \
   "records, <base> at the end: the first link resolved against it"
is "$(grep -c 'http://127.0.0.1' "$OUT")" 0 "records, <base> at the end: no record against the document URL"
run_scraper --dump --format json "$BASE/records?base=1"
json_tsv "$OUT" >"$SCRATCH/records-base.json.tsv"
run_scraper --dump "$BASE/records?base=1"
cmp_file "$SCRATCH/records-base.json.tsv" "$OUT" "records, <base> at the end: TSV rows = JSON elements"

# The parse starts beside the transfer once the first 4 KiB say UTF-8 (or
# nothing); when the whole body then turns out to need converting (invalid
# UTF-8, a NUL) or cutting (an attribute bomb), it is parsed again the usual
# way. --save keeps the usual way from the start: the two must agree.
# same_as_saved NAME PATH: --dump of PATH = --dump --save of it (the rows
# are left in $SCRATCH/early.tsv).
same_as_saved() {
    run_scraper --dump "$BASE/$2"
    quiet_ok "$1"
    cp "$OUT" "$SCRATCH/early.tsv"
    mkdir -p "$SCRATCH/saved" && rm -f "$SCRATCH/saved/"*
    run_scraper --dump --dir "$SCRATCH/saved" --save "$BASE/$2"
    cmp_file "$OUT" "$SCRATCH/early.tsv" "$1: the same rows as with --save"
}
same_as_saved "records, UTF-8 declared" "records?n=3000"
same_as_saved "records, nothing declared" "records?n=3000&meta=0"
same_as_saved "records, Latin-1 byte at link 2,900" "records?n=3000&meta=0&late=2900"
is "$(grep -F '/r/2900?' "$SCRATCH/early.tsv" | cut -f5)" "link 2900 café" \
   "undeclared, Latin-1 byte late: the page is read as windows-1252"
same_as_saved "records, UTF-8 declared, invalid byte at link 2,900" "records?n=3000&late=2900"
is "$(grep -F '/r/2900?' "$SCRATCH/early.tsv" | cut -f5)" "link 2900 caf�" \
   "UTF-8 declared, invalid byte late: U+FFFD in its place"
same_as_saved "records, NUL at link 2,900" "records?n=3000&nul=2900"
# An attribute bomb arriving over a second: the early parse is dropped as
# soon as it shows, not left to spend the transfer in libxml2.
case $SCRAPER in
*asan* | *valgrind*)
    for _ in 1 2 3; do skip "CPU time of $SCRAPER is the tool's"; done ;;
*)
    run_scraper_rss --dump "$BASE/bomb-slow"
    is "$RC $(grep -c after-attrs "$OUT")" "0 1" "slow attribute bomb: exit 0, the link after it listed"
    ok 'awk -v e="$ELAPSED" "BEGIN { exit !(e > 0.8) }"' "slow attribute bomb: it took its time (${ELAPSED} s)"
    ok 'awk -v c="$CPU_S" "BEGIN { exit !(c < 0.4) }"' \
       "slow attribute bomb: little CPU meanwhile (${CPU_S} s)"
    ;;
esac

# A body arriving a few bytes at a time: libxml2 must read it as if it were
# whole (comments, entities, <textarea>, <script> cut anywhere).
same_as_saved "trickled page" trickle
is "$(grep -c -e /hidden/ -e /in-script "$SCRATCH/early.tsv")" 0 \
   "trickled page: nothing from comments or <script>"
is "$(grep -c '/v/[0-9]*?x=1&y=2	amp é é$' "$SCRATCH/early.tsv")" 12 \
   "trickled page: every entity decoded"

run_scraper --dump -v "$BASE/records?n=3000&meta=0&late=2900"
like "$(cat "$ERR")" "Charset: windows-1252 \(fallback" "-v: the fallback charset named"
run_scraper --dump -v "$BASE/records?n=3000&meta=0"
like "$(cat "$ERR")" "Charset: UTF-8 \(default\)" "-v: UTF-8 by default named"

# Output that cannot be written: exit 4, one line, in either format.
for fmt in tsv json; do
    "$SCRAPER" --dump --format "$fmt" "$BASE/records" >/dev/full 2>"$ERR" </dev/null
    RC=$?
    fails_with 4 "$fmt to a full device"
    like "$(cat "$ERR")" "cannot write" "$fmt to a full device: the cause"
done

# ==== charsets ==============================================================

# cs_is ROUTE QUERY TEXT: /cs/ROUTE gives its link ?QUERY with TEXT, then ?last.
cs_is() {
    run_scraper --dump "$BASE/cs/$1"
    is "$RC" 0 "charset $1: exit 0"
    is "$(cat "$OUT")" "link	a	href	$BASE/page2.html?$2	$3
link	a	href	$BASE/page2.html?last	last" "charset $1: '$3' in UTF-8"
    ok '[ ! -s "$ERR" ]' "charset $1: stderr empty"
}
cs_is header-latin1 cafe "café"
cs_is meta-charset cafe "café"
cs_is meta-http-equiv euro "10 € only"
cs_is header-beats-meta cafe "café"
cs_is none-utf8 cafe "café"

run_scraper --dump "$BASE/cs/wrong"
is "$RC" 0 "declared UTF-8, Latin-1 body: exit 0"
ok 'terminal_safe "$OUT"' "declared UTF-8, Latin-1 body: output is valid UTF-8"
is "$(cut -f4 "$OUT" | tr '\n' ' ')" \
   "$(printf "$BASE/page2.html?%s " cafe n={1..20} last)" \
   "declared UTF-8, Latin-1 body: every link after the invalid bytes, the last too"
ok '[ ! -s "$ERR" ]' "declared UTF-8, Latin-1 body: stderr empty"

run_scraper --dump "$BASE/cs/shift-jis-bad"
is "$RC" 0 "Shift_JIS with invalid bytes: exit 0"
is "$(head -1 "$OUT")" "link	a	href	$BASE/page2.html?nihongo	日本語" "Shift_JIS: text decoded"
ok 'terminal_safe "$OUT"' "Shift_JIS: output is valid UTF-8"
is "$(cut -f4 "$OUT" | tr '\n' ' ')" \
   "$(printf "$BASE/page2.html?%s " nihongo after1 after2 after3 last)" \
   "Shift_JIS: the links after the invalid bytes, the last too"
ok '[ ! -s "$ERR" ]' "Shift_JIS: stderr empty"

# ==== hostile page ==========================================================

run_scraper --dump "$BASE/hostile"
is "$RC" 0 "hostile: exit 0"
cp "$OUT" "$SCRATCH/hostile.tsv"
ok 'terminal_safe "$SCRATCH/hostile.tsv"' \
   "hostile TSV: no ESC, C0 but TAB/LF, DEL, C1 or bidi; valid UTF-8"
is "$(awk -F'\t' 'NF != 5' "$SCRATCH/hostile.tsv")" "" "hostile TSV: every line has 5 fields"
like "$(cut -f4 "$SCRATCH/hostile.tsv" | tr '\n' ' ')" \
     "utf8 .*osc0=.*osc52=.*clear=.*c1=.*ctl=.*bidi=.*ref.*h\.png.*\?t .*before-invalid" \
     "hostile TSV: the records before the invalid bytes, in order"
is "$(head -1 "$SCRATCH/hostile.tsv")" "link	a	href	$BASE/page2.html?utf8	café ✓" \
   "hostile TSV: plain UTF-8 text is decoded as UTF-8 (header charset)"
ok '[ ! -s "$ERR" ]' "hostile: stderr empty"

run_scraper --dump --format json "$BASE/hostile"
is "$RC" 0 "hostile json: exit 0"
ok 'json_get "$OUT" "len(json.dumps(d, ensure_ascii=False).encode())" >/dev/null' \
   "hostile json: valid JSON of valid Unicode"
ok 'terminal_safe "$OUT"' "hostile json: the bytes printed are terminal-safe"
is "$(json_get "$OUT" 'len(d["elements"])')" "$(lines "$SCRATCH/hostile.tsv")" \
   "hostile: TSV has exactly one line per record"

# U+2028 and U+2029 are line breaks to Unicode-aware readers (python's
# splitlines, JavaScript): a TSV record stays one line, JSON escapes them
printf '<a href="/a\xe2\x80\xa8b">one\xe2\x80\xa8two\xe2\x80\xa9three</a><a href="/c">c</a>' \
    >"$SCRATCH/separators.html"
run_scraper --dump --base "$BASE/" "$SCRATCH/separators.html"
is "$("$PYTHON" -c 'import sys; print(len(open(sys.argv[1], encoding="utf-8").read().splitlines()))' \
    "$OUT")" 2 "U+2028, U+2029 in a link's text and URL: two TSV lines to python's splitlines"
like "$(head -1 "$OUT")" "	one two three\$" "... each one a space"
run_scraper --dump --format json --base "$BASE/" "$SCRATCH/separators.html"
like "$(cat "$OUT")" '"text":"one\\u2028two\\u2029three"' "... in JSON, escaped as \\u2028 and \\u2029"

run_scraper --dump -v "$BASE/hostile"
is "$RC" 0 "hostile -v: exit 0"
ok 'terminal_safe "$ERR"' "hostile -v: the report on stderr is terminal-safe (header X-Hostile too)"
cmp_file "$SCRATCH/hostile.tsv" "$OUT" "hostile -v: stdout unchanged by -v"

# ==== verbose report, request headers =======================================

: >"$SERVER_LOG"
run_scraper --dump -v "$BASE/"
is "$RC" 0 "-v: exit 0"
cmp_file "$DEMO" "$OUT" "-v: stdout is the same TSV"
V=$(cat "$ERR")
like "$V" "127\.0\.0\.1:$PORT" "-v: the connection to 127.0.0.1:$PORT"
like "$V" "GET / HTTP/1\.1" "-v: the request line"
like "$V" "HTTP/1\.1 200 OK" "-v: the response status line"
like "$V" "[Cc]ontent-[Ll]ength:? *$DEMO_LEN" "-v: the Content-Length"
like "$(grep -iv content-length "$ERR" | grep -i byte)" "(^|[^0-9])$DEMO_LEN([^0-9]|$)" \
     "-v: the bytes received ($DEMO_LEN)"
like "$(grep -x -A20 'GET /' "$SERVER_LOG")" "User-Agent: scraper/$VERSION"$'\n' \
     "request: User-Agent is scraper/$VERSION"
like "$(grep -x -A20 'GET /' "$SERVER_LOG")" "Accept-Encoding: [^"$'\n'"]+" \
     "request: Accept-Encoding is sent"

run_scraper --dump -v "http://localhost:$PORT/page2.html"
is "$RC" 0 "-v localhost: exit 0"
like "$(grep localhost "$ERR")" "127\.0\.0\.1" "-v: the host resolved to its IP"

run_scraper --dump -v "$BASE/redirect"
like "$(cat "$ERR")" "302" "-v: the redirect's status is reported"
like "$(cat "$ERR")" "$BASE/page2\.html" "-v: the redirect's target is reported"

: >"$SERVER_LOG"
run_scraper --dump --user-agent "test-agent/1" "$BASE/page2.html"
like "$(cat "$SERVER_LOG")" "User-Agent: test-agent/1"$'\n' "--user-agent is sent"

# ==== saving ================================================================

mkdir "$SCRATCH/save" && cd "$SCRATCH/save" || exit 1

run_scraper --dump "$BASE/" --save
is "$RC" 0 "--save: exit 0"
cmp_file "$SCRATCH/demo.body" Files/index.html "--save: Files/index.html holds the bytes sent"
cmp_file "$DEMO" "$OUT" "--save: stdout still has the TSV"
is "$(ls -A Files)" "index.html" "--save: no other file (temp) in Files/"

echo OLD >Files/index.html
run_scraper --dump "$BASE/" --save
fails_with 4 "--save over an existing file"
is "$(cat Files/index.html)" OLD "--save: the existing file is unchanged"

run_scraper --dump --force "$BASE/" --save
is "$RC" 0 "--save --force: exit 0"
cmp_file "$SCRATCH/demo.body" Files/index.html "--save --force: file overwritten"
is "$(ls -A Files)" "index.html" "--save --force: no other file in Files/"

for bad in ../x .hidden; do
    run_scraper --dump --save="$bad" "$BASE/page2.html"
    fails_with 1 "--save=$bad refused"
    ok '[ ! -e "Files/$bad" ]' "--save=$bad: nothing written"
done

run_scraper --dump --save=t.html "$BASE/truncated"
fails_with 2 "--save of a truncated transfer"
is "$(ls -A Files)" "index.html" "--save of a truncated transfer: no file, no temp file"

fetch /page2.html "$SCRATCH/page2.body"
run_scraper --dump --dir dl --save=p.html "$BASE/page2.html"
is "$RC" 0 "--dir: exit 0"
cmp_file "$SCRATCH/page2.body" dl/p.html "--dir dl: saved as dl/p.html"

run_scraper --dump --format json --dir dl --save=j.html "$BASE/page2.html"
like "$(json_get "$OUT" 'd["saved"]')" "(^|/)dl/j\.html$" "json: saved is the path"

fetch /download/sample.bin "$SCRATCH/sample.bin"
run_scraper --dump "$BASE/download/sample.bin" --save
is "$RC" 0 "binary download: exit 0"
cmp_file "$SCRATCH/sample.bin" Files/sample.bin "binary download: name from the URL, bytes intact"

# ==== signals ===============================================================

# signal_timed SIG PID: sends SIG to the scraper that `timeout` (PID) runs
# and waits for it; sets RC and ELAPSED (seconds from the signal to the exit).
# The signal goes to the binary itself, not through `timeout` (the guard
# against a hang): timeout follows it with a SIGCONT, which can deadlock
# LeakSanitizer's exit check in the ASan build (its ptrace stop is lost).
signal_timed() {
    local t0=$EPOCHREALTIME
    kill -"$1" "$(pgrep -P "$2")"
    wait "$2"
    RC=$?
    ELAPSED=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
}

# SIG NAME STATUS: interrupt a --save of /slow once the request has arrived.
for sig in INT:130 TERM:143; do
    mkdir "$SCRATCH/sig$sig" && cd "$SCRATCH/sig$sig" || exit 1
    : >"$SERVER_LOG"
    timeout -k 2 "$(scaled 10)" "$SCRAPER" --dump --save=slow.html "$BASE/slow" >"$OUT" 2>"$ERR" </dev/null &
    pid=$!
    wait_log '^GET /slow' && sleep 0.5
    signal_timed "${sig%:*}" "$pid"
    fails_with "${sig#*:}" "SIG${sig%:*} during a transfer"
    ok 'elapsed_below 2' "SIG${sig%:*}: exits within 2 s (${ELAPSED}s)"
    no_files Files "SIG${sig%:*}"
done

# SIGINT while a page is parsed beside its transfer (a 4 MB page arriving
# over 6 s): the parse is stopped too, nothing is printed.
: >"$SERVER_LOG"
timeout -k 2 "$(scaled 10)" "$SCRAPER" --dump "$BASE/big-slow" >"$OUT" 2>"$ERR" </dev/null &
pid=$!
wait_log '^GET /big-slow' && sleep 0.5
signal_timed INT "$pid"
fails_with 130 "SIGINT while the page is parsed beside the transfer"
ok 'elapsed_below 2' "SIGINT beside the transfer: exits within 2 s (${ELAPSED}s)"
ok '[ ! -s "$OUT" ]' "SIGINT beside the transfer: nothing on stdout"

# SIGTERM while stdout blocks (a reader that never reads): the run ends.
mkfifo "$SCRATCH/fifo" || exit 1
for fmt in tsv json; do
    sleep "$(scaled 60)" <"$SCRATCH/fifo" &
    reader=$!
    timeout -k 2 "$(scaled 60)" "$SCRAPER" --dump --format "$fmt" "$BASE/records?n=3000" \
        >"$SCRATCH/fifo" 2>"$ERR" </dev/null &
    pid=$!
    # until a thread of scraper waits in a pipe write (wchan)
    for _ in $(seq 1 "$(scaled 300)"); do
        grep -qs pipe_write /proc/"$(pgrep -P "$pid")"/task/*/wchan && break
        sleep 0.1
    done
    signal_timed TERM "$pid"
    kill "$reader" 2>/dev/null
    wait "$reader" 2>/dev/null
    fails_with 143 "$fmt: SIGTERM while stdout blocks"
    ok 'elapsed_below 2' "$fmt: SIGTERM while stdout blocks: exits within 2 s (${ELAPSED}s)"
done

done_testing
