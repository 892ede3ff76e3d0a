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

# ==== local files, file:// URLs and standard input ================================

L=$SCRATCH/local
mkdir -p "$L/sub dir"
cat >"$L/sub dir/page é.html" <<'HTML'
<!DOCTYPE html><html><head><meta charset="utf-8"><title>Local page</title></head><body>
<a href="other.html">other</a>
<a href="http://example.invalid/abs">absolute</a>
<img src="img/a b.png" alt="pic">
</body></html>
HTML
FILE_URL="file://$L/sub%20dir/page%20%C3%A9.html"
DIR_URL="file://$L/sub%20dir"

# A bare path that names a file is the file: its links resolve against its
# file:// URL. Nothing goes to the network (the server sees no request).
: >"$SERVER_LOG"
(cd "$L/sub dir" && run_scraper --dump "page é.html")
quiet_ok "a local file by its name"
ok 'grep -qF "$DIR_URL/other.html" "$OUT"' "a local file: relative links resolve against its file:// URL"
ok 'grep -qF "$DIR_URL/img/a b.png" "$OUT"' "a local file: images too"
ok 'grep -qF "http://example.invalid/abs" "$OUT"' "a local file: absolute links as written"
ok '[ ! -s "$SERVER_LOG" ]' "a local file: no request made"

run_scraper --dump --format json "$FILE_URL"
quiet_ok "a file:// URL"
is "$(json_get "$OUT" 'd["url"]')" "$FILE_URL" "a file:// URL: url is its file:// URL"
is "$(json_get "$OUT" 'd["title"]')" "Local page" "a file:// URL: parsed (title)"
is "$(json_get "$OUT" 'd["content_type"]')" "text/html" "a file:// URL: its type from the extension"

run_scraper --dump --base "http://example.org/docs/" "$L/sub dir/page é.html"
quiet_ok "--base"
ok 'grep -qF "http://example.org/docs/other.html" "$OUT"' "--base: links resolve against it"

# Standard input: "-", with --dump; its base is the working directory, or --base.
(cd "$L" && timeout "$(scaled 10)" "$SCRAPER" --dump -v - <"$L/sub dir/page é.html" >"$OUT" 2>"$ERR"); RC=$?
is "$RC" 0 "- (standard input): exit 0"
ok 'grep -qF "file://$L/other.html" "$OUT"' "- : links resolve against the working directory"
like "$(cat "$ERR")" "Reading standard input" "- : -v says what was read"
timeout "$(scaled 10)" "$SCRAPER" --dump --base http://example.org/ - <"$L/sub dir/page é.html" >"$OUT" 2>"$ERR"; RC=$?
is "$RC" 0 "- with --base: exit 0"
ok 'grep -qF "http://example.org/other.html" "$OUT"' "- with --base: links resolve against it"

# A page's links to file:// are listed, never read: only inputs are.
run_scraper --dump "$BASE/fault/schemes"
ok 'grep -qF "file:///etc/passwd" "$OUT" && ! grep -q "^root:" "$OUT"' "a page's file:// link is listed, not read"
run_scraper --dump -v "$BASE/redirect-file"
is "$RC" 2 "a redirect to file:// is refused (exit 2)"

# What cannot be read: one line, exit 2.
run_scraper --dump "$L/missing.html"
fails_with 2 "a missing file (a path from /)"
like "$(cat "$ERR")" "missing\.html: cannot read" "a missing file: the line names it"
run_scraper --dump "file://$L"
fails_with 2 "a directory"
run_scraper --dump "file://otherhost/etc/passwd"
fails_with 2 "a file:// URL of another host"
run_scraper --dump --max-size 100 "$FILE_URL"
fails_with 2 "a file over --max-size"

# ==== several inputs =================================================================

# In turn: the rows of each; the status is the worst (3 beside 0 gives 3;
# a failed one gives 2 though the others were fine).
run_scraper --dump "$FILE_URL" "$BASE/page2.html"
is "$RC" 0 "two inputs: exit 0"
ok 'grep -qF "$DIR_URL/other.html" "$OUT" && grep -qF "$BASE/base.html" "$OUT"' "two inputs: the rows of both"
ok '[ "$(grep -nF "$DIR_URL/other.html" "$OUT" | cut -d: -f1)" -lt "$(grep -nF "$BASE/base.html" "$OUT" | cut -d: -f1)" ]' \
   "two inputs: in the order given"
run_scraper --dump "$BASE/404" "$FILE_URL"
is "$RC" 3 "an HTTP 404 and a good input: exit 3"
ok 'grep -qF "$DIR_URL/other.html" "$OUT"' "after the 404, the next input is still read"
run_scraper --dump "$BASE/404" "$L/missing.html" "$FILE_URL"
is "$RC" 2 "a 404, a missing file, a good input: exit 2 (a failed input is worse than an error status)"
is "$(lines "$ERR")" 2 "a 404, a missing file: one line on stderr for each"
run_scraper --dump --save=one.html "$FILE_URL" "$BASE/page2.html"
is "$RC" 1 "--save NAME with several inputs: a usage error"

# jsonl: one object per input, each on one line.
run_scraper --dump --format jsonl "$FILE_URL" "$BASE/page2.html" "$BASE/in/plain.txt"
quiet_ok "jsonl, three inputs"
is "$(lines "$OUT")" 3 "jsonl: three lines"
ok '"$PYTHON" -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$OUT"' "jsonl: each line is a JSON object"
is "$("$PYTHON" -c "import json,sys; print(' '.join(str(len(json.loads(l)['elements'])) for l in open(sys.argv[1])))" "$OUT")" \
   "3 4 0" "jsonl: the elements of each input (the text one has none)"
run_scraper --dump --format json "$BASE/page2.html"
ok '[ "$(lines "$OUT")" -gt 1 ]' "json (not jsonl) keeps one element a line"

# ==== the names of saved files ========================================================

# --save without a name: Content-Disposition's name, else the URL's, with the
# type's extension when the name has none.
# saved PATH: --save of PATH in a fresh directory; SAVED: what Files/ then
# holds, WD: that directory.
NSAVE=0
saved() {
    NSAVE=$((NSAVE + 1))
    workdir "save-$NSAVE"
    WD=$PWD
    run_scraper --dump --save "$BASE$1"
    SAVED=$(ls -A Files 2>/dev/null | tr '\n' ' ')
}
saved '/in/download?id=42'
is "$SAVED" "Q3-report.pdf " "Content-Disposition filename=\"Q3-report.pdf\": saved under it"
saved /in/report
is "$SAVED" "report.pdf " "no extension, application/pdf: report.pdf"
saved /in/images/
is "$SAVED" "index.html " "a directory URL: index.html"
saved /download/sample.bin
is "$SAVED" "sample.bin " "an extension of its own: kept (octet-stream adds none)"
saved '/in/cd?f=%22../../x%22'
is "$SAVED" "x.txt " "filename=\"../../x\": its last part only, x.txt"
ok '[ "$(ls -A "$WD")" = Files ] && [ ! -e "$SCRATCH/x" ]' "filename=\"../../x\": nothing outside Files/"
saved '/in/cd?f=/etc/passwd'
is "$SAVED" "passwd.txt " "filename=/etc/passwd: passwd.txt"
saved '/in/cd?f=..%252F.bashrc'
is "$SAVED" "_..%2F.bashrc " "filename=..%2F.bashrc: never percent-decoded; a leading . prefixed"
saved '/in/cd?f=%22a%5C%22b.txt%22'
is "$SAVED" "a\"b.txt " "a quoted name with \\\" in it"
saved '/in/cd?f=%22%2E%2E%22'
is "$SAVED" "cd.txt " "filename=\"..\": no name: the URL's (cd, text/plain)"
saved '/in/cd?f=%22%1B%5D0;x%07.txt%22'
printf '%s\n' "$SAVED" >"$SCRATCH/name"
is_terminal_safe "$SCRATCH/name" "filename with ESC ] 0 ; BEL: the name holds no control ($SAVED)"
cd "$ROOT" || exit 1

done_testing
