#!/bin/bash
# The records and --dump's output, as a new user meets them: lazy-loaded
# images (data-src, data-srcset and the like) are records; a srcset
# candidate keeps its descriptor (2x, 480w) and a link its rel; the TSV has
# a kind column first and --fields picks the columns (in the writer that
# prints records while the page is still parsed, too); with --format json a
# failed fetch still prints its object, with error, and every object tells
# the transfer: hops, timings, tls.
#
# Run from the repository root:  prove -v tests/rows.t

. "$(dirname "$0")/lib.sh"
require_scraper
start_server_tls
L=$BASE/rows/lazy
P2=$BASE/page2.html

# ==== lazy-loading attributes ===============================================

run_scraper --dump "$L"
quiet_ok "lazy page"
cat >"$SCRATCH/lazy.expected" <<EOF
resource	link	href	$BASE/files/style.css	
resource	link	href	$BASE/rows/lazy	
resource	link	href	$BASE/img/favicon.ico	
resource	link	href	$BASE/files/norel.css	
link	a	href	$P2?nofollow	Follow me not
link	a	href	$P2?plain	Plain link
image	img	src	data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==	Lazy
image	img	data-src	$BASE/img/lazy.jpg	Lazy
image	img	data-srcset	$BASE/img/lazy-480.jpg	Lazy
image	img	data-srcset	$BASE/img/lazy-960.jpg	Lazy
image	img	src	$BASE/rows/img/sharp.png	Sharp
image	img	srcset	$BASE/rows/img/sharp.png	Sharp
image	img	srcset	$BASE/img/sharp@2x.png	Sharp
image	img	srcset	$BASE/img/sharp-plain.png	Sharp
image	img	data-original	$BASE/img/orig.jpg	Other loaders
image	img	data-lazy-src	$BASE/img/lazysrc.jpg	Other loaders
image	img	data-lazy-srcset	$BASE/img/ls.jpg	Other loaders
image	source	data-srcset	$BASE/img/pic.webp	
image	source	data-lazy-srcset	$BASE/img/pic2.webp	
media	video	data-src	$BASE/media/clip.mp4	
media	video	data-poster	$BASE/img/poster.jpg	
media	source	data-src	$BASE/media/clip.webm	
embed	iframe	data-src	$P2?frame	Lazy frame
embed	iframe	data-lazy-src	$P2?frame2	
link	area	href	$P2?area	Area
EOF
cmp_file "$SCRATCH/lazy.expected" "$OUT" \
    "lazy page: each lazy-loading attribute a record (srcset ones split), its kind as src's or srcset's"
is "$(grep -c not-a-record "$OUT")" 0 "lazy page: a div's data-src is no record"
cp "$OUT" "$SCRATCH/lazy.tsv"

# ==== the kind column, and what awk makes of it =============================

is "$(awk -F'\t' 'NF != 5' "$SCRATCH/lazy.tsv")" "" "default TSV: five columns, KIND TAG ATTR URL TEXT"
is "$(awk -F'\t' '$1 == "link" { print $2 }' "$SCRATCH/lazy.tsv" | tr '\n' ' ')" "a a area " \
   "awk '\$1 == \"link\"': the links only, no stylesheet"
is "$(awk -F'\t' '$1 == "image" && $3 ~ /^data-/' "$SCRATCH/lazy.tsv" | wc -l | tr -d ' ')" 8 \
   "awk: the lazy images by their attribute"

# ==== srcset descriptors =====================================================

run_scraper --dump --fields attr,url,descriptor "$L"
quiet_ok "--fields attr,url,descriptor"
is "$(awk -F'\t' '$1 ~ /srcset$/ { printf "%s=%s ", substr($2, length(ENVIRON["BASE"]) + 1), $3 }' "$OUT")" \
   "/img/lazy-480.jpg=480w /img/lazy-960.jpg=960w /rows/img/sharp.png=1x /img/sharp@2x.png=2x /img/sharp-plain.png= /img/ls.jpg=1.5x /img/pic.webp=2x /img/pic2.webp=800w " \
   "descriptor: each srcset candidate's own (2x, 480w), trimmed; none: empty"
is "$(awk -F'\t' '$1 !~ /srcset$/ && $3 != ""' "$OUT")" "" "descriptor: empty for a record that is no srcset candidate"
BEST=$(awk -F'\t' '$1 == "data-srcset" && $3 ~ /w$/ { w = $3 + 0; if (w > m) { m = w; u = $2 } } END { print u }' "$OUT")
is "$BEST" "$BASE/img/lazy-960.jpg" "descriptor: the widest lazy candidate picked with awk"

run_scraper --dump --format json "$L"
quiet_ok "lazy page, JSON"
cp "$OUT" "$SCRATCH/lazy.json"
J=$SCRATCH/lazy.json
is "$(json_get "$J" 'sorted({tuple(sorted(e)) for e in d["elements"]})')" \
   '[["attr", "descriptor", "kind", "rel", "tag", "text", "url"]]' "JSON: elements have descriptor and rel"
is "$(json_get "$J" '[e["descriptor"] for e in d["elements"] if e["tag"] == "img" and e["attr"] == "srcset"]')" \
   '["1x", "2x", null]' "JSON descriptor: 1x, 2x, and null for a candidate without one"
is "$(json_get "$J" 'sorted({e["descriptor"] for e in d["elements"] if "srcset" not in e["attr"]}, key=str)')" \
   '[null]' "JSON descriptor: null for records that are no srcset candidate"

# ==== rel =======================================================================

run_scraper --dump --fields tag,url,rel "$L"
quiet_ok "--fields tag,url,rel"
is "$(awk -F'\t' '$3 != "" { printf "%s:%s|", $1, $3 }' "$OUT")" \
   "link:stylesheet|link:canonical|link:alternate icon|a:nofollow noopener|area:help|" \
   "rel of link, a, area: its keywords in lower case, blanks collapsed; none: empty"
is "$(awk -F'\t' '$1 == "img" && $3 != ""' "$OUT")" "" "rel: not taken from an img"
is "$(json_get "$J" '[e["rel"] for e in d["elements"] if e["tag"] == "link"]')" \
   '["stylesheet", "canonical", "alternate icon", null]' "JSON rel: the link's, null without one"
is "$(json_get "$J" 'sorted({e["rel"] for e in d["elements"] if e["tag"] == "img"}, key=str)')" '[null]' \
   "JSON rel: null on an img, even one with a rel attribute"
is "$(awk -F'\t' '$3 == "stylesheet" { print $2 }' "$OUT")" "$BASE/files/style.css" \
   "rel: the stylesheets picked with awk"

# ==== --fields ================================================================

ALL=kind,tag,attr,url,raw,text,descriptor,rel,page
run_scraper --dump --fields "$ALL" "$BASE/rows/redirect"
quiet_ok "--fields with all nine, after a redirect"
is "$(awk -F'\t' 'NF != 9' "$OUT")" "" "--fields $ALL: nine columns on every line"
is "$(cut -f9 "$OUT" | sort -u)" "$L" "page column: the page's URL after redirects"
is "$(grep -F "$BASE/rows/img/sharp.png" "$OUT" | head -1 | cut -f3-5)" \
   "src	$BASE/rows/img/sharp.png	img/sharp.png" "raw column: the value as written, url resolved"
is "$(sed -n 13p "$OUT")" \
   "image	img	srcset	$BASE/img/sharp@2x.png	/img/sharp@2x.png	Sharp	2x		$L" \
   "a srcset candidate's line, every column"
is "$(sed -n 5p "$OUT")" \
   "link	a	href	$P2?nofollow	/page2.html?nofollow	Follow me not		nofollow noopener	$L" \
   "a link's line, every column"

run_scraper --dump --fields url,kind "$L"
is "$(head -2 "$OUT")" "$BASE/files/style.css	resource
$BASE/rows/lazy	resource" "--fields url,kind: the columns in the order given"
run_scraper --dump --fields Kind,URL "$L"
is "$(head -1 "$OUT")" "resource	$BASE/files/style.css" "--fields: names in any case"

# the writer (records printed while the page is parsed) takes the columns too:
# the same lines as the default ones rearranged, and as -v's (printed after
# the parse); a <base> at the end keeps the records until the parse is over
for q in "n=3000" "n=3000&base=1"; do
    run_scraper --dump "$BASE/records?$q"
    awk -F'\t' -v OFS='\t' '{ print $4, $5, $1 }' "$OUT" >"$SCRATCH/rearranged"
    run_scraper --dump --fields url,text,kind "$BASE/records?$q"
    quiet_ok "records?$q, --fields url,text,kind"
    cmp_file "$SCRATCH/rearranged" "$OUT" "records?$q: --fields url,text,kind = the default columns rearranged"
    cp "$OUT" "$SCRATCH/fields.tsv"
    run_scraper --dump -v --fields url,text,kind "$BASE/records?$q"
    cmp_file "$SCRATCH/fields.tsv" "$OUT" "records?$q: the same with -v (written after the parse)"
done

for bad in "kind,bogus" "" "url,,text" "url,kind,"; do
    run_scraper --dump --fields "$bad" "$L"
    fails_with 1 "--fields '$bad'"
    is "$(wc -c <"$OUT" | tr -d ' ')" 0 "--fields '$bad': nothing on stdout"
done
run_scraper --dump --fields kind,bogus "$L"
like "$(cat "$ERR")" "unknown field 'bogus'.*kind, tag, attr, url, raw, text, descriptor, rel, page" \
     "--fields kind,bogus: the message names the field and the known ones"
run_scraper --dump --format json --fields url "$L"
fails_with 1 "--fields with --format json"
run_scraper --dump --fields "$(printf 'url,%.0s' {1..40})url" "$L"
fails_with 1 "--fields with 41 columns"

# ==== JSON: the transfer's facts ================================================

run_scraper --dump --format json "$BASE/rows/redirect"
quiet_ok "JSON after a redirect"
J=$SCRATCH/redirect.json
cp "$OUT" "$J"
is "$(json_get "$J" '[d["error"], d["tls"]]')" "[null, null]" "JSON: error null on success, tls null over http"
is "$(json_get "$J" '[(h["url"], h["status"]) for h in d["hops"]]')" \
   "[[\"$BASE/rows/redirect\", 301], [\"$L\", 200]]" "JSON hops: each response's URL and status"
is "$(json_get "$J" 'sorted(d["hops"][0])')" '["headers", "http_version", "status", "times", "url"]' "JSON hop: url, status, http_version, headers, times"
is "$(json_get "$J" 'd["hops"][0]["headers"]["set-cookie"]')" '["a=1", "b=2"]' \
   "JSON hop headers: a name given twice, both values in order"
is "$(json_get "$J" '[d["hops"][0]["headers"]["x-rows"], d["hops"][0]["headers"]["location"]]')" \
   '[["one"], ["/rows/lazy"]]' "JSON hop headers: names in lower case, values as sent"
is "$(json_get "$J" 'd["hops"][1]["headers"]["content-type"]')" '["text/html; charset=utf-8"]' \
   "JSON hop headers: the last response's"
is "$(json_get "$J" 'sorted(d["timings"])')" '["connect", "dns", "first_byte", "redirect", "steps", "tls", "total"]' \
   "JSON timings: dns, connect, tls, first_byte, total, redirect, steps"
is "$(json_get "$J" '[d["timings"]["tls"], all(isinstance(d["timings"][k], float) and d["timings"][k] > 0 for k in ("connect", "first_byte", "total")), d["timings"]["connect"] <= d["timings"]["first_byte"] <= d["timings"]["total"], d["timings"]["dns"] is None or d["timings"]["dns"] >= 0]')" \
   "[null, true, true, true]" "JSON timings: milliseconds, in order; tls null over http"

run_scraper --dump --format json "$BASE/chain/3"
is "$(json_get "$OUT" '[h["status"] for h in d["hops"]]')" "[302, 307, 301, 200]" "JSON hops of a chain of 3 redirects"
is "$(json_get "$OUT" '[h["url"][len("'"$BASE"'"):] for h in d["hops"]]')" \
   '["/chain/3", "/chain/2", "/chain/1", "/chain-end/dir/final.html"]' "JSON hops: the URL each answered"

# ==== JSON of a failed fetch ======================================================

# fetch_fails NAME STATUS ARGS...: --format json ARGS fails with STATUS, one
# line on stderr, and stdout is one object whose error is that line's cause.
fetch_fails() {
    local name=$1 st=$2
    shift 2
    run_scraper --dump --format json "$@"
    fails_with "$st" "$name"
    cp "$OUT" "$SCRATCH/failed.json"
    is "$(json_get "$OUT" 'd["error"]')" "$(sed 's/^scraper: [^ ]*: //' "$ERR")" \
       "$name: JSON error is the cause on stderr"
}

DEAD=http://127.0.0.1:$(free_port)/x
fetch_fails "connection refused" 2 "$DEAD"
is "$(json_get "$OUT" '[d["url"], d["status"], d["hops"], d["elements"], d["title"], d["tls"], d["bytes"]]')" \
   "[\"$DEAD\", null, [], [], null, null, 0]" "connection refused: what is known, null or empty for the rest"
is "$(json_get "$OUT" 'sorted(d)')" \
   '["bytes", "content_length", "content_type", "elements", "error", "final_url", "hops", "ip", "local", "port", "remote", "saved", "status", "timings", "title", "tls", "url"]' \
   "connection refused: the keys of a fetched page"

fetch_fails "too many redirects" 2 "$BASE/loop"
is "$(json_get "$OUT" '[d["status"], len(d["hops"]), sorted({h["status"] for h in d["hops"]}), d["final_url"]]')" \
   "[302, 11, [302], \"$BASE/loop\"]" "too many redirects: the 11 hops, the last status"
like "$(json_get "$OUT" 'd["error"]')" "too many redirects" "too many redirects: error says so"

fetch_fails "timeout" 2 --timeout 1 "$BASE/stall"
is "$(json_get "$OUT" '[d["status"], d["ip"], len(d["hops"]), d["hops"][0]["headers"]["content-length"]]')" \
   '[200, "127.0.0.1", 1, ["100"]]' "timeout: the status, IP and headers that came"
like "$(json_get "$OUT" 'd["error"]')" "^timed out after" "timeout: error says so"

run_scraper --dump --format json "ftp://127.0.0.1:$PORT/x"
fails_with 2 "ftp:// refused"
is "$(json_get "$OUT" '[d["url"], d["error"], d["elements"]]')" \
   "[\"ftp://127.0.0.1:$PORT/x\", \"refused: only http and https URLs are fetched\", []]" \
   "ftp:// refused: an object with the URL and why"

if [ -n "$TLS_BASE" ]; then
    fetch_fails "self-signed certificate" 2 "$TLS_BASE/page2.html"
    like "$(json_get "$OUT" 'd["error"]')" "certificate" "self-signed certificate: error names it"
    is "$(json_get "$OUT" '[d["tls"], d["hops"]]')" "[null, []]" "self-signed certificate: no TLS session, no hop"
else
    for _ in 1 2 3 4 5; do skip "self-signed certificate: $TLS_WHY"; done
fi

run_scraper --dump --format json "$BASE/404"
fails_with 3 "HTTP 404"
is "$(json_get "$OUT" '[d["status"], d["error"], len(d["elements"]) > 0]')" '[404, "HTTP status 404", true]' \
   "HTTP 404: error says the status, the records are there"

run_scraper --dump --format json -v "$DEAD"
is "$RC" 2 "-v, connection refused: exit 2"
ok 'json_get "$OUT" "d[\"error\"]" >/dev/null' "-v, connection refused: the object on stdout, the story on stderr"

# a loop over inputs: one object each, whatever became of the fetch
for u in "$P2" "$DEAD" "$BASE/404" "ftp://127.0.0.1/x"; do
    timeout "$(scaled 10)" "$SCRAPER" --dump --format json "$u" </dev/null 2>/dev/null
done >"$SCRATCH/loop.json"
is "$("$PYTHON" - "$SCRATCH/loop.json" <<'EOF'
import json, sys
s, i, dec, out = open(sys.argv[1]).read(), 0, json.JSONDecoder(), []
while s[i:].strip():   # one object after another, as jq reads them
    d, i = dec.raw_decode(s, len(s) - len(s[i:].lstrip()))
    out.append(str(d["error"] is None))
print(" ".join(out))
EOF
)" "True False False False" "a shell loop over four inputs: four objects; error null for the one that worked"

# ==== hostile headers =============================================================

run_scraper --dump --format json "$BASE/hostile"
is "$RC" 0 "hostile page, JSON: exit 0"
is_terminal_safe "$OUT" "hostile page, JSON: no raw control byte, hop headers included"
like "$(json_get "$OUT" 'repr(d["hops"][0]["headers"]["x-hostile"])')" '\\x1b' \
     "hostile page, JSON: the header's ESC kept, escaped"

done_testing
