#!/bin/bash
# The fault matrix of ../shared/research/RELIABILITY.md section (b), batch
# rows: `scraper --dump` against the /fault/ routes of tests/server.py (and
# its TLS listener), with the exit statuses of SPEC.md (0 ok, 1 usage, 2
# transfer failed, 3 HTTP >= 400, 4 local file, 130/143 signals).  Rows where
# the screen matters are in tests/faults-tui.t.  Every test name starts with
# its row id.  A row the program gets wrong is a TAP TODO test ("# TODO bug:
# ..."): reported, not failing the suite, until it is fixed.
#
# Run from the repository root:  prove -v tests/faults.t
# (SCRAPER=./scraper-asan prove -v tests/faults.t for the sanitizer build.)
#
# The matrix, row by row: where each row is tested ("file: test name", the
# names as prove -v prints them; "faults-tui.t: server faults: S01 ..." is a
# test of scenario "server faults"), or why it is not.  dump.t and tui.t
# are the existing suites, reused where they already cover a row.
#
# id  | covered by
# ----+---------------------------------------------------------------------
# S01 | faults.t: "S01 Content-Length 1000, 250 bytes, close" (exit 2, cause,
#     |   no links of the cut page, nothing saved); dump.t: "body shorter than
#     |   Content-Length", "empty reply"; faults-tui.t: "server faults: S01 ..."
#     |   (truncated, empty reply: status line, the page shown stays)
# S02 | faults.t: "S02 chunk-illegal", "S02 chunk-overflow"; faults-tui.t:
#     |   "server faults: S02 ..."
# S03 | faults.t: "S03 chunk cut short"; faults-tui.t: "server faults: S03 ..."
# S04 | dump.t: "stalled server with --timeout 2" (exit 2 within 4 s);
#     |   faults-tui.t: "server faults: S04 .../stall"
# S05 | faults.t: "S05 1 byte/s with --timeout 2", "S05 trickle: aborted
#     |   within 4 s"; faults-tui.t: "server faults: S05 ...".  scraper has no
#     |   low-speed limit: --timeout (whole transfer) is what bounds a trickle
# S06 | dump.t: "closed port"; faults.t: "S06 closed port: fails within 1 s";
#     |   faults-tui.t: "server faults: S06 ..."
# S07 | dump.t: "redirect loop"; faults.t: "S07 redirect loop: the request and
#     |   exactly 10 redirects followed", "... within 2 s"; faults-tui.t S07
# S08 | dump.t: "redirect to file://", "redirect to ftp://", "ftp:// URL";
#     |   faults.t: "S08 redirect-gopher", "S08 redirect-dict", "S08 typed
#     |   file:///etc/passwd", "S08 typed dict://..."; faults-tui.t: "server
#     |   faults: S08 ..." (redirect to file://, gopher://; typed file:// in the
#     |   form)
# S09 | dump.t: "chain of 3 redirects", "chain: links resolved against the
#     |   final URL"; faults-tui.t: "server faults: S09 chain of 3 redirects"
# S10 | faults.t: "S10 Location with ESC", "S10 final_url percent-encoded",
#     |   "S10 -v: ..."; faults-tui.t: "bad input: S10 Location with a space
#     |   and C2 9B: followed, shown percent-encoded"
# S11 | faults.t: "S11 header-huge", "S11 header-many" (exit 2, "headers too
#     |   large", not "out of memory", within 1 s); faults-tui.t: "server
#     |   faults: S11 ..."
# S12 | faults.t: "S12 Content-Length: -1", "S12 Content-Length: 2^65",
#     |   "S12 HTTP/0.9 reply", "S12 Content-Length: 12abc: exit 2", "... no
#     |   mis-sized file saved", "S12 two different Content-Lengths: refused
#     |   (exit 2)", "S12 HTTP/0.9 reply: not reported as a refused URL
#     |   scheme"; faults-tui.t: "server faults: S12 ..." (and "... the status
#     |   line names HTTP/0.9")
# S13 | dump.t: "HTTP 404", "HTTP 500" (exit 3; SPEC: the body is still parsed
#     |   and printed); faults.t: "S13 --save of a 404" (not saved);
#     |   faults-tui.t: "server faults: S13 404", "downloads: S13 d on a 404"
# S14 | dump.t: "broken gzip body"; faults-tui.t: "server faults: S14 ..."
# S15 | dump.t: "--max-size 100000, /bomb" (exit 2, quick, memory);
#     |   faults-tui.t: "server faults: S15 ..."
# S16 | dump.t: "--max-size 100000, /big-chunked..."; faults.t: "S16 endless
#     |   body until close" (HTTP/1.0, memory); faults-tui.t: "server faults:
#     |   S16 ..." (chunked and until close)
# S17 | dump.t: "--max-size 100000, /big..."; faults.t: "S17 Content-Length
#     |   50000000 over --max-size 1 MiB", "S17 refused at the headers, the body
#     |   not awaited"; faults-tui.t: "server faults: S17 ..."
# S18 | faults-tui.t: "downloads: S18 endless download: stopped at the cap"
#     |   (1 GiB), "... temp file removed", "... cancelled with Esc"; faults.t:
#     |   "S18 endless stream --save" (batch)
# S19 | faults.t: "S19 self-signed certificate" (exit 2, names the
#     |   certificate, nothing saved, one handshake, no request sent);
#     |   faults-tui.t: "server faults: S19 ..."; skipped where openssl is
#     |   missing
# B01 | faults.t: "B01 empty body", "B01 4 KiB of PNG bytes and NULs as
#     |   text/html", "B01 binary as text/html: valid JSON"
# B02 | dump.t: "charset none-utf8"
# B03 | faults.t: "B03 cs-1251", "B03 cs-bogus", "B03 cs-bogus-nometa",
#     |   "B03 utf16"; dump.t: "charset header-beats-meta"
# B04 | dump.t: "Shift_JIS ..." (links after the bad bytes, stderr empty);
#     |   faults-tui.t: "bad input: B04 ..." (and the scenario's "nothing on
#     |   stderr").  scraper reads such a page again as UTF-8/windows-1252, so
#     |   nothing is lost and there is no "partly parsed" to show
# B05 | faults.t: "B05 300 nested div: ..."
# B06 | faults.t: "B06 40,000 attributes: ..." (under 5 s, the link after);
#     |   faults-tui.t: "bad input: B06 40,000 attributes: the page shown, the
#     |   keys answer"
# B07 | faults.t: "B07 N links: ..." (rows, under 3 s, RSS under 200 MB);
#     |   faults-tui.t: "100,000 links: B07 ... End ...", "... PgDn ..."
# B08 | faults.t: "B08 ..." (batch prints URLs whole); faults-tui.t: "bad
#     |   input: B08 ..." (rows cut with …, d refused)
# B09 | faults.t: "B09 ..."; dump.t: "hostile ..." (NUL in text);
#     |   faults-tui.t: "bad input: B09 ..."
# B10 | faults.t: "B10 relative forms"; dump.t: demo, "<base href>: ...";
#     |   tests/unit.c (RFC 3986 section 5.4); faults-tui.t: "bad input: B10
#     |   relative forms resolved as --dump resolves them"
# B11 | faults.t: "B11 other schemes listed as written"; faults-tui.t: "bad
#     |   input: B11 javascript: and file: links: Enter and d refuse, nothing
#     |   fetched or written"
# H01 | dump.t: "hostile TSV ...", "hostile json ...", "hostile -v ..."; tui.t:
#     |   "hostile page: ..." (pane title, tmux buffers, screen not cleared,
#     |   pipe-pane bytes)
# H02 | as H01 (the hostile page has raw C2 9B and &#x9b; in hrefs and texts)
# H03 | dump.t: "hostile TSV: every line has 4 fields", "hostile: TSV has
#     |   exactly one line per record", "hostile json: valid JSON ..."; tui.t:
#     |   "hostile page"; faults-tui.t: "bad input: H03 ..." (every row whole)
# H04 | dump.t, tui.t: hostile (bidi in href and text); faults.t: "H04 --save
#     |   of /files/U+202Egpj.exe", "F06 /files/U+202Egpj.exe"; faults-tui.t:
#     |   "downloads: H04 d on /files/U+202Egpj.exe"
# H05 | faults.t: "H05 LC_ALL=C.UTF-8 ...", "H05 LC_ALL=C ..."; faults-tui.t:
#     |   "bad input: H05 ...", "C locale: H05 ..."
# H06 | faults-tui.t: "bad input: H06 ..."
# H07 | dump.t: "hostile -v: ... (header X-Hostile too)"; faults.t: "H07 ..."
#     |   (libxml2's errors, header X-A, curl's errors about the server's
#     |   bytes); faults-tui.t: "bad input: H07 ..."
# F01 | faults.t: "F01 Files/ absent ...", "F01 Files is a regular file ...",
#     |   "F01 Files/ read-only ..." (tmpfs -o ro; skipped where mounting is
#     |   not allowed)
# F02 | faults.t: "F02 disk full ..."; faults-tui.t: "disk full: F02 ..."
#     |   (64 KiB tmpfs; skipped where mounting is not allowed)
# F03 | faults.t: "F03 failed re-download ...", "F03 --force failed
#     |   re-download ..."; dump.t: "--save of a truncated transfer";
#     |   faults-tui.t: "downloads: F03 ..."
# F04 | dump.t: "--save over an existing file" (exit 4, unchanged), "--save
#     |   --force"; tui.t: "download: d again asks before overwriting", "save:
#     |   saving again asks before overwriting" (the documented policy:
#     |   refuse or ask, --force/y is an atomic rename, never a mix)
# F05 | faults.t: "F05 ..."
# F06 | faults.t: "F06 /files/SEGMENT ..." (10 segments); dump.t: "--save=../x
#     |   refused"
# F07 | dump.t: "--save: Files/index.html ..." (/); faults.t: "F07 ..."
# F08 | faults.t: "F08 ..." (redirect target, Content-Disposition)
# F09 | dump.t: "SIGINT during a transfer", "SIGTERM during a transfer";
#     |   faults.t: "F09 SIGKILL during --save"; faults-tui.t: "SIGTERM during a
#     |   download: F09 ...", "SIGKILL during a download: F09 ..." (and "... the
#     |   next save into Files/ cleans the leftover temp file up")
# F10 | faults.t: "F10 ..." (four runs at once, with and without --force;
#     |   another user's 0666 file replaced by ours, 0644)
# T01 | tui.t: "no usable terminal: -u TERM ...", "... TERM=no-such-terminal-
#     |   xyz ..." (SPEC/README: one line, exit 1)
# T02 | tui.t: "no usable terminal: TERM=dumb ..."
# T03 | dump.t: "no --dump, stdout not a terminal: behaves as --dump";
#     |   faults-tui.t: "not a terminal: T03 ..."
# T04 | tui.t: "resize: 30x8: 'terminal too small'"; faults-tui.t: "tiny
#     |   terminal: T04 ..."
# T05 | tui.t: "resize: ..."; faults-tui.t: "resize: T05 ...", "Ctrl-Z: T05 ..."
# T06 | tui.t: "SIGINT: ..." (idle), "SIGTERM: ..." (during a transfer);
#     |   faults-tui.t: "Ctrl-C: T06 ..." (during a transfer)
# T07 | faults-tui.t: "hangup: T07 SIGHUP ...", "... the pane killed ...",
#     |   "... stdin gone without SIGHUP (setsid) ..."
# T08 | faults.t: "T08 piped into head -n1 ..."
# T09 | faults-tui.t: "URL field: T09 ..."
# R01 | SKIP, handled in tests/alloc.t (the program's own allocations fail
#     |   one by one)
# R02 | SKIP, handled by make test: every tests/*.t again with scraper-asan
#     |   (so these two files too), tests/dump.t under tests/valgrind.sh
# R03 | tests/fuzz.t (the libFuzzer targets of tests/fuzz/, 5 s each in make
#     |   test; tests/fuzz/run.sh SECONDS for longer runs)
# R04 | tests/loads.t (200 page loads in one screen session: descriptors and
#     |   RSS flat)
#
# Not followed as the matrix words it (SPEC.md is binding): exit classes are
# SPEC's (transfer, size, redirect and TLS faults 2; HTTP >= 400 3; local
# files 4); a 404's records are printed (S13); T01 exits 1.

. "$(dirname "$0")/lib.sh"
require_scraper
start_server_tls
umask 022
T0=$EPOCHREALTIME

# cause ERE NAME: stderr names the cause (case-insensitive ERE) and is
# terminal-safe (no byte of the server's reaches the terminal raw).
cause() {
    like "$(tr '[:upper:]' '[:lower:]' <"$ERR")" "$1" "$2: stderr names the cause (/$1/)"
    is_terminal_safe "$ERR" "$2: stderr is terminal-safe"
}

# no_output NAME: nothing on stdout (no record of a page that failed).
no_output() {
    if [ -s "$OUT" ]; then
        fail "$1: nothing on stdout"
        diag "stdout:" "$(head -c 600 "$OUT")"
    else
        pass "$1: nothing on stdout"
    fi
}

# safe_out NAME: stdout is terminal-safe, valid UTF-8.
safe_out() {
    is_terminal_safe "$OUT" "$1: output is valid UTF-8 with no control or bidi character"
}

# urls: the URL column of the last TSV output, one line.
urls() { cut -f3 "$OUT" | tr '\n' ' '; }

F=$BASE/fault
P2=$BASE/page2.html

# fetch_raw PATH FILE: the bytes after the head of the server's reply to
# PATH, read to the end (no HTTP parsing: the routes may be malformed).
fetch_raw() {
    "$PYTHON" - "$PORT" "$1" "$2" "$(scaled 10)" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=float(sys.argv[4]))
s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % sys.argv[2].encode())
data = b""
while True:
    piece = s.recv(65536)
    if not piece:
        break
    data += piece
open(sys.argv[3], "wb").write(data.split(b"\r\n\r\n", 1)[1])
EOF
}
fetch_raw /fault/cl-double "$SCRATCH/cl-double.body"

# ==== S: server faults ========================================================

# S01: the page stops after ~250 of 1000 announced bytes (the empty-reply
# variant is dump.t's "empty reply").
workdir s01
run_scraper --dump --save=cut.html "$F/truncated-links"
fails_with 2 "S01 Content-Length 1000, 250 bytes, close"
cause "remaining|incomplete|closed|partial" "S01 cut body"
no_output "S01 cut body: links of the cut page"
no_files Files "S01 cut body with --save"

# S02: chunk-size line ILLEGAL, and one that overflows 64 bits.
for r in chunk-illegal chunk-overflow; do
    workdir "s02-$r"
    run_scraper --dump --save=c.html "$F/$r"
    fails_with 2 "S02 $r"
    cause "chunk" "S02 $r"
    no_output "S02 $r"
    no_files Files "S02 $r with --save"
done

# S03: chunk of 0x40 announced, 3 bytes sent, close.
workdir s03
run_scraper --dump --save=c.html "$F/chunk-cut"
fails_with 2 "S03 chunk cut short"
cause "remaining|incomplete|closed|partial" "S03 chunk cut short"
no_files Files "S03 chunk cut short with --save"

# S05: one byte a second: the whole-transfer limit (--timeout) ends it.
run_scraper --dump --timeout 2 "$F/trickle"
fails_with 2 "S05 1 byte/s with --timeout 2"
cause "timed out|timeout" "S05 trickle"
ok 'elapsed_below 4' "S05 trickle: aborted within 4 s (${ELAPSED} s)"

# S06: closed port (exit status in dump.t "closed port"): quick.
run_scraper --dump "http://127.0.0.1:$(free_port)/"
is "$RC" 2 "S06 closed port: exit 2"
ok 'elapsed_below 1' "S06 closed port: fails within 1 s (${ELAPSED} s)"

# S07: a redirect loop (exit status in dump.t "redirect loop"): exactly 10
# hops followed, quickly.
: >"$SERVER_LOG"
run_scraper --dump "$BASE/loop"
is "$RC" 2 "S07 redirect loop: exit 2"
is "$(grep -cx 'GET /loop' "$SERVER_LOG")" 11 "S07 redirect loop: the request and exactly 10 redirects followed"
ok 'elapsed_below 2' "S07 redirect loop: stopped within 2 s (${ELAPSED} s)"
cause "redirect" "S07 redirect loop"

# S08: redirects to gopher:// and dict:// (file:// and ftp:// in dump.t);
# typed file:// and dict:// URLs.
for r in redirect-gopher redirect-dict; do
    run_scraper --dump "$F/$r"
    fails_with 2 "S08 $r"
    cause "refused|not supported|only http" "S08 $r"
done
for u in file:///etc/passwd "dict://127.0.0.1:$PORT/x"; do
    run_scraper --dump "$u"
    fails_with 2 "S08 typed $u"
    no_output "S08 typed $u: nothing read"
done

# S10: Location with ESC is refused; with a space and raw C2 9B it is
# followed, percent-encoded, never raw.
run_scraper --dump "$F/location-esc"
fails_with 2 "S10 Location with ESC"
cause "redirect|url|location" "S10 Location with ESC"
run_scraper --dump --format json "$F/location-space-c1"
is "$RC" 0 "S10 Location with a space and C2 9B: followed, exit 0"
safe_out "S10 Location with a space and C2 9B, JSON"
like "$(json_get "$OUT" 'd["final_url"]')" "^$(sed 's/[.?]/\\&/g' <<<"$P2")\?sp=a(%20|\+)b&c1=%[cC]2%9[bB]31m$" \
     "S10 final_url percent-encoded (%20 or +, %C2%9B)"
run_scraper --dump -v "$F/location-space-c1"
is_terminal_safe "$ERR" "S10 -v: the report of the Location header is terminal-safe"

# S11: a 200 KB header line; 3,000 headers of 200 bytes.
for r in header-huge header-many; do
    run_scraper --dump "$F/$r"
    fails_with 2 "S11 $r"
    cause "headers? too large|too large.*headers?" "S11 $r"
    unlike "$(cat "$ERR")" "[Oo]ut of memory" "S11 $r: not reported as out of memory"
    ok 'elapsed_below 1' "S11 $r: within 1 s (${ELAPSED} s)"
done

# S12: bad Content-Length values, two different ones, HTTP/0.9.
run_scraper --dump "$F/cl-negative"
fails_with 2 "S12 Content-Length: -1"
cause "content-length" "S12 Content-Length: -1"
run_scraper --dump "$F/cl-overflow"
fails_with 2 "S12 Content-Length: 2^65"
cause "larger|content-length|limit" "S12 Content-Length: 2^65"
workdir s12
run_scraper --dump --save=g.html "$F/cl-garbage"
is "$RC" 2 "S12 Content-Length: 12abc: exit 2"
ok '[ ! -e Files/g.html ]' "S12 Content-Length: 12abc: no mis-sized file saved"
workdir s12d
run_scraper --dump --save=d.html "$F/cl-double"
is "$RC" 2 "S12 two different Content-Lengths: refused (exit 2)"
ok '[ ! -e Files/d.html ]' "S12 two different Content-Lengths: nothing saved"
run_scraper --dump "$F/http09"
fails_with 2 "S12 HTTP/0.9 reply"
cause "http/0\.9" "S12 HTTP/0.9 reply"
ok '! grep -q "only http and https" "$ERR"' \
    "S12 HTTP/0.9 reply: not reported as a refused URL scheme"

# S13: an error page is not saved as the resource (exit 3, records printed:
# dump.t "HTTP 404").
workdir s13
run_scraper --dump --save=r.html "$BASE/404"
fails_with 3 "S13 --save of a 404"
no_files Files "S13 --save of a 404: the error page not saved"

# S16: no Content-Length, HTTP/1.0 body until close, endless (chunked and
# gzip in dump.t).
run_scraper_rss --dump "$P2"
BASE_RSS=$MAXRSS_KB
workdir s16
run_scraper_rss --dump --max-size 1048576 --save=s.bin "$F/stream"
fails_with 2 "S16 endless body until close, --max-size 1 MiB"
cause "larger|limit|too large" "S16 endless body"
ok 'elapsed_below 3' "S16 endless body: stopped within 3 s (${ELAPSED} s)"
ok '[ "$MAXRSS_KB" -lt $((BASE_RSS + 30000)) ]' \
   "S16 endless body: memory below the cap + 30 MB (${MAXRSS_KB} KB; ${BASE_RSS} KB for a small page)"
no_files Files "S16 endless body with --save"

# S17: Content-Length 50,000,000 over a 1 MiB cap: refused after the
# headers; the server then idles, so waiting for the body would time out.
run_scraper --dump --max-size 1048576 "$F/huge-cl"
fails_with 2 "S17 Content-Length 50000000 over --max-size 1 MiB"
cause "larger|limit|too large" "S17 Content-Length over the cap"
ok 'elapsed_below 2' "S17 refused at the headers, the body not awaited (${ELAPSED} s)"

# S18: the endless stream, batch side (the download on the screen is in
# faults-tui.t).
workdir s18
run_scraper --dump --max-size 1048576 --save "$F/stream/endless.bin"
is "$RC" 2 "S18 endless stream --save: exit 2"
no_files Files "S18 endless stream --save"

# S19: HTTPS with a self-signed certificate.
if [ -n "$TLS_BASE" ]; then
    workdir s19
    : >"$SERVER_LOG"
    run_scraper --dump --save=tls.html "$TLS_BASE/page2.html"
    fails_with 2 "S19 self-signed certificate"
    cause "certificate" "S19 self-signed certificate"
    no_output "S19 self-signed certificate"
    no_files Files "S19 self-signed certificate with --save"
    is "$(grep -c '^TLS handshake failed' "$SERVER_LOG")" 1 "S19 one handshake: no retry"
    is "$(grep -c '^GET ' "$SERVER_LOG")" 0 "S19 no request sent without verification"
else
    skip "S19 self-signed certificate: $TLS_WHY"
fi

# ==== B: bad input ==============================================================

run_scraper --dump "$F/empty-body"
quiet_ok "B01 empty body"
no_output "B01 empty body"
run_scraper --dump "$F/binary"
quiet_ok "B01 4 KiB of PNG bytes and NULs as text/html"
safe_out "B01 binary as text/html"
run_scraper --dump --format json "$F/binary"
ok 'json_get "$OUT" 1 >/dev/null' "B01 binary as text/html: valid JSON"

# B03: the header's charset wins over <meta>; an unknown one is ignored;
# UTF-16 with a byte-order mark.
cs_case() {
    run_scraper --dump "$F/$1"
    quiet_ok "B03 $1"
    is "$(cat "$OUT")" "a	href	$P2?$2	$3
a	href	$P2?last	last" "B03 $1: '$3' decoded"
}
cs_case cs-1251 privet "Привет"
cs_case cs-bogus cafe "café"
cs_case cs-bogus-nometa cafe "café"
cs_case utf16 utf16 "café UTF-16"

# B05: 300 nested <div> (libxml2's limit is 256), then a link.
run_scraper --dump "$F/deep"
is "$RC" 0 "B05 300 nested div: exit 0"
if grep -q 'after-deep' "$OUT"; then
    pass "B05 300 nested div: the link after the nesting is listed (or the page is said to be partly parsed)"
else
    like "$(cat "$ERR")" "[Pp]art" "B05 300 nested div: the link after the nesting is listed (or the page is said to be partly parsed)"
fi
like "$(urls)" "before-deep" "B05 300 nested div: the link before the nesting is listed"

# B06: one tag with 40,000 attributes.
run_scraper --dump "$F/many-attrs?n=40000"
is "$RC" 0 "B06 40,000 attributes: exit 0"
ok 'elapsed_below 5' "B06 40,000 attributes: done in under 5 s (${ELAPSED} s)"
if grep -q 'after-attrs' "$OUT"; then
    pass "B06 40,000 attributes: the link after the tag is listed (or the page is said to be partly parsed)"
else
    like "$(cat "$ERR")" "[Pp]art" "B06 40,000 attributes: the link after the tag is listed (or the page is said to be partly parsed)"
fi

# B07: 100,000 links (and T08: piped to head -n1).
BIG="$BASE/big?bytes=5900000"
fetch "/big?bytes=5900000" "$SCRATCH/big.body"
NBIG=$(grep -c '<a href' "$SCRATCH/big.body")
run_scraper_rss --dump "$BIG"
is "$RC" 0 "B07 $NBIG links: exit 0"
is "$(lines "$OUT")" "$NBIG" "B07 $NBIG links: one row each"
ok 'elapsed_below 3' "B07 $NBIG links: under 3 s (${ELAPSED} s)"
ok '[ "$MAXRSS_KB" -lt 200000 ]' "B07 $NBIG links: RSS under 200 MB (${MAXRSS_KB} KB)"
head -1 "$OUT" >"$SCRATCH/big.first"

# B08: a 5 MB data: href and an http URL of 300,000 bytes: batch prints
# URLs whole (README: only texts are capped).
run_scraper --dump "$F/long-urls"
quiet_ok "B08 5 MB data: URL and a 300,000-byte URL"
is "$(cut -f3 "$OUT" | awk '{ print length($0) }' | tr '\n' ' ')" \
   "$((23 + 5000000)) $((${#P2} + 6 + 300000)) $((${#P2} + 11)) $((${#P2} + 5)) " \
   "B08 the long URLs are printed whole, in order"
run_scraper --dump --format json "$F/long-urls"
ok 'json_get "$OUT" 1 >/dev/null' "B08 long URLs: valid JSON"

# B09: NUL in an attribute and in text; &#0; &#x110000; &#xD800;.
run_scraper --dump "$F/nul-refs"
quiet_ok "B09 NUL bytes and invalid character references"
safe_out "B09 NUL and bad references"
like "$(urls)" "nul1.* .*nul2 .*nul3 .*after-nul .*last" "B09 every link listed, in order"
run_scraper --dump --format json "$F/nul-refs"
ok 'json_get "$OUT" 1 >/dev/null' "B09 NUL and bad references: valid JSON"

# B10: relative forms (<base href> and the RFC 3986 examples: dump.t and
# tests/unit.c).
run_scraper --dump "$F/relative"
quiet_ok "B10 relative forms"
is "$(urls)" "$BASE/net-path $BASE/up4 $F/relative?q=1 $F/relative#frag $BASE/spaced $BASE/UPPER $P2?last " \
   "B10 //host, ../../../../x, ?q, #f, spaced, HTTP:// resolved per RFC 3986"

# B11: other schemes are listed as written (downloading them: faults-tui.t).
run_scraper --dump "$F/schemes"
quiet_ok "B11 javascript: data: mailto: file: about:"
is "$(urls)" "javascript:alert(1) data:text/html,hello mailto:a@example.com file:///etc/passwd about:blank $P2?last " \
   "B11 other schemes listed as written"

# ==== H: hostile content ==========================================================

# H04: a bidi control in the name a saved file gets from its URL.
workdir h04
run_scraper --dump "$BASE/files/"$'\u202e'"gpj.exe" --save
is "$RC" 0 "H04 --save of /files/U+202Egpj.exe: exit 0"
is "$(ls -A Files | wc -l)" 1 "H04 one file saved"
ls -A Files >"$SCRATCH/h04.names"
ok 'terminal_safe "$SCRATCH/h04.names" >/dev/null' "H04 the saved name has no bidi control ($(cat "$SCRATCH/h04.names"))"

# H05: invalid UTF-8 in Location and in a header, in C.UTF-8 and C.
for loc in C.UTF-8 C; do
    LC_ALL=$loc run_scraper --dump --format json -v "$F/location-bad-utf8"
    is "$RC" 0 "H05 LC_ALL=$loc Location with invalid UTF-8: exit 0"
    ok 'json_get "$OUT" "len(json.dumps(d, ensure_ascii=False).encode())" >/dev/null' \
       "H05 LC_ALL=$loc: JSON valid, of valid Unicode"
    safe_out "H05 LC_ALL=$loc JSON"
    unlike "$(json_get "$OUT" 'd["final_url"]')" "[^ -~]" "H05 LC_ALL=$loc: final_url is ASCII (percent-encoded)"
    is_terminal_safe "$ERR" "H05 LC_ALL=$loc -v: the report is terminal-safe"
    LC_ALL=$loc run_scraper --dump -v "$F/bad-header-utf8"
    is "$RC" 0 "H05 LC_ALL=$loc header with invalid UTF-8 and C1: exit 0"
    is_terminal_safe "$ERR" "H05 LC_ALL=$loc -v: the header is reported terminal-safe"
done

# H07: page bytes that make libxml2 report an error (<foo ESC[2J>), a header
# X-A with ESC, curl's errors about a server's bytes.
run_scraper --dump "$F/bad-tag"
quiet_ok "H07 <foo ESC[2J> in the page: libxml2's error not printed"
is "$(urls)" "$P2?bad-tag $P2?last " "H07 bad tags: the links listed"
run_scraper --dump -v "$F/bad-tag"
is_terminal_safe "$ERR" "H07 -v: header X-A with ESC reported terminal-safe"
like "$(cat "$ERR")" "X-A" "H07 -v: the header X-A is in the report"
for r in location-scheme location-host status-esc; do
    run_scraper --dump "$F/$r"
    fails_with 2 "H07 $r"
    is_terminal_safe "$ERR" "H07 $r: the error line is terminal-safe"
done
ok '! grep -q "only http and https" "$ERR"' \
    "H07 status line with ESC: not reported as a refused URL scheme"

# ==== F: file system ================================================================

# F01: Files/ absent: created 0755; Files a regular file; Files read-only.
workdir f01
run_scraper --dump --save=p.html "$P2"
is "$RC" 0 "F01 Files/ absent: exit 0"
is "$(stat -c %a Files 2>&1)" 755 "F01 Files/ created with mode 0755"
workdir f01b
echo KEEP >Files
run_scraper --dump --save=p.html "$P2"
fails_with 4 "F01 Files is a regular file"
is "$(cat Files)" KEEP "F01 Files is a regular file: it is unchanged"
is "$(ls -A)" Files "F01 Files is a regular file: nothing written elsewhere"
workdir f01c
if tmpfs_mount "$PWD/Files" ro,size=64k; then
    run_scraper --dump --save=p.html "$P2"
    fails_with 4 "F01 Files/ read-only"
    cause "read-only|permission" "F01 Files/ read-only"
    is "$(ls -A)" Files "F01 Files/ read-only: nothing written elsewhere"
    tmpfs_umount "$PWD/Files"
else
    skip "F01 Files/ read-only: $MOUNT_WHY"
fi

# F02: disk full: 1 MB into a 64 KiB tmpfs holding an earlier file.
workdir f02
if tmpfs_mount "$PWD/Files" size=64k; then
    head -c 1000 /dev/urandom >Files/earlier.bin
    cp Files/earlier.bin "$SCRATCH/earlier.bin"
    run_scraper --dump --save=big.bin "$BASE/download/big.bin?bytes=1000000"
    fails_with 4 "F02 disk full"
    cause "no space left" "F02 disk full"
    is "$(ls -A Files)" earlier.bin "F02 disk full: no partial or temp file"
    cmp_file "$SCRATCH/earlier.bin" Files/earlier.bin "F02 disk full: the earlier file intact"
    tmpfs_umount "$PWD/Files"
else
    skip "F02 disk full: $MOUNT_WHY"
fi

# F03: the re-download of an existing file fails: the old file is intact.
for force in "" --force; do
    workdir "f03$force"
    mkdir Files && echo OLD >Files/x.html
    run_scraper --dump $force --save=x.html "$F/truncated-links"
    is "$RC" 2 "F03 ${force:+$force }failed re-download: exit 2"
    is "$(cat Files/x.html)" OLD "F03 ${force:+$force }failed re-download: the old file is byte-for-byte the same"
    is "$(ls -A Files)" x.html "F03 ${force:+$force }failed re-download: no temp file"
done

# F05: Files/x.html is a symlink to a file outside Files/.
fetch /page2.html "$SCRATCH/page2.body"
workdir f05
mkdir Files && echo VICTIM >victim && ln -s ../victim Files/x.html
run_scraper --dump --save=x.html "$P2"
fails_with 4 "F05 symlink in the way, no --force"
is "$(cat victim)" VICTIM "F05 no --force: the victim is unchanged"
ok '[ -L Files/x.html ]' "F05 no --force: the link is left as it was"
run_scraper --dump --force --save=x.html "$P2"
is "$RC" 0 "F05 --force over a symlink: exit 0"
is "$(cat victim)" VICTIM "F05 --force: the victim is unchanged (the link is replaced, not followed)"
ok '[ -f Files/x.html ] && [ ! -L Files/x.html ]' "F05 --force: Files/x.html is a regular file"
cmp_file "$SCRATCH/page2.body" Files/x.html "F05 --force: it holds the body"

# F06: hostile last segments: the file lands in Files/, with a clean name.
# name_check DIR: one regular file in DIR/Files and nothing else in DIR;
# its name has no '/', control, DEL, C1 or bidi character and is neither .
# nor .. nor starts with '.' or '-'.
name_check() {
    "$PYTHON" - "$1" <<'EOF'
import os, sys, unicodedata
d = sys.argv[1]
top = sorted(os.listdir(d))
if top != ["Files"]:
    sys.exit("the work directory holds %r" % top)
names = os.listdir(os.path.join(d, "Files"))
if len(names) != 1:
    sys.exit("Files holds %r" % names)
n = os.fsencode(names[0])
if not os.path.isfile(os.path.join(d, "Files", names[0])) or os.path.islink(os.path.join(d, "Files", names[0])):
    sys.exit("%r is not a regular file" % n)
try:
    t = n.decode("utf-8")
except UnicodeDecodeError:
    sys.exit("%r is not UTF-8" % n)
BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C}
bad = [c for c in t if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or ord(c) in BIDI]
if bad or t in (".", "..") or t[0] in ".-" or len(n) > 255:
    sys.exit("bad name %r" % n)
print(t)
EOF
}
i=0
for seg in '..%2F..%2F.bashrc' '%2e%2e' 'a%00b' 'a%0Ab' '%1B]0;x%07' 'x?a=b/c' '.' '..' '-rf' \
           $'\u202egpj.exe'; do
    i=$((i + 1))
    label=${seg//$'\u202e'/U+202E}
    workdir "f06-$i"
    run_scraper --dump "$BASE/files/$seg" --save
    is "$RC" 0 "F06 /files/$label --save: exit 0"
    if msg=$(name_check "$PWD" 2>&1); then
        pass "F06 /files/$label: one file, inside Files/, with a clean name ($msg)"
    else
        fail "F06 /files/$label: one file, inside Files/, with a clean name"
        diag "$msg"
    fi
done

# F07: a URL with no path gets index.html (/ in dump.t); a 300-byte last
# segment is cut to 255 bytes, its extension kept.
workdir f07
run_scraper --dump "$BASE" --save
is "$RC" 0 "F07 no path: exit 0"
is "$(ls -A Files)" index.html "F07 no path: Files/index.html"
workdir f07b
long=$(printf 'n%.0s' {1..296}).txt
run_scraper --dump "$BASE/files/$long" --save
is "$RC" 0 "F07 300-byte last segment: exit 0 (no ENAMETOOLONG)"
name=$(ls -A Files)
ok '[ ${#name} -le 255 ] && [ ${#name} -ge 200 ] && [ "${name%.txt}" != "$name" ]' \
   "F07 300-byte last segment: cut to ${#name} bytes (at most 255), .txt kept"

# F08: the name comes from the URL asked, not the redirect target nor
# Content-Disposition.
workdir f08
run_scraper --dump "$F/a.txt" --save
is "$RC" 0 "F08 /fault/a.txt -> /files/.profile: exit 0"
is "$(ls -A Files) | $(ls -A)" "a.txt | Files" "F08 saved as Files/a.txt, no .profile anywhere"
sum=$(sha256sum /etc/passwd 2>/dev/null)
for r in cd cd-abs; do
    workdir "f08-$r"
    run_scraper --dump "$F/$r" --save
    is "$RC" 0 "F08 Content-Disposition ($r): exit 0"
    is "$(ls -A Files) | $(ls -A)" "$r | Files" "F08 Content-Disposition ($r): saved as Files/$r only"
done
ok '[ ! -e "$SCRATCH/x" ]' 'F08 Content-Disposition "../../x": nothing written there (Files/../../x)'
is "$(sha256sum /etc/passwd 2>/dev/null)" "$sum" 'F08 Content-Disposition "/etc/passwd": /etc/passwd unchanged'

# F09: SIGKILL during a --save (SIGINT/SIGTERM: dump.t "signals").  The
# body stays in memory until complete, so nothing is on disk to leave.
workdir f09
: >"$SERVER_LOG"
# (no `timeout` in between: SIGKILL must reach the binary itself; it is
# killed in any case, so the run is bounded)
"$SCRAPER" --dump --save=slow.bin "$F/slow-dl" >"$OUT" 2>"$ERR" </dev/null &
pid=$!
wait_log '^GET /fault/slow-dl' && sleep 0.5
kill -KILL "$pid" 2>/dev/null
{ wait "$pid"; } 2>/dev/null
is "$?" 137 "F09 SIGKILL during --save: killed"
no_files Files "F09 SIGKILL during --save"

# F10: four runs save the same URL at once; an old file of another user
# with mode 0666 is replaced by one of ours with mode 0644.
workdir f10
fetch "/download/same.bin?bytes=3000000" "$SCRATCH/same.bin"
for force in --force ""; do
    rm -rf Files
    pids=()
    for n in 1 2 3 4; do
        timeout -k 2 "$(scaled 20)" "$SCRAPER" --dump $force "$BASE/download/same.bin?bytes=3000000" --save \
            >"$SCRATCH/f10.$n.out" 2>"$SCRATCH/f10.$n.err" </dev/null &
        pids+=($!)
    done
    rcs=
    for n in 0 1 2 3; do
        wait "${pids[$n]}"
        rcs+="$? "
    done
    if [ -n "$force" ]; then
        is "$rcs" "0 0 0 0 " "F10 four --force runs at once: all exit 0"
    else
        is "$(tr ' ' '\n' <<<"$rcs" | sort | tr '\n' ' ')" " 0 4 4 4 " \
           "F10 four runs at once, no --force: one exits 0, three 4 (exists)"
    fi
    is "$(ls -A Files)" same.bin "F10 ${force:-no --force}: one file, no temp file"
    cmp_file "$SCRATCH/same.bin" Files/same.bin "F10 ${force:-no --force}: the file is the whole body"
done
workdir f10b
mkdir Files && echo OLD >Files/o.html && chmod 0666 Files/o.html
if [ "$(id -u)" = 0 ] && chown 65534:65534 Files/o.html 2>/dev/null; then
    owner="another user's"
else
    owner="a"
fi
run_scraper --dump --force --save=o.html "$P2"
is "$RC" 0 "F10 --force over $owner file of mode 0666: exit 0"
is "$(stat -c '%a %u' Files/o.html)" "644 $(id -u)" "F10 the new file is ours, mode 0644 (nothing inherited)"

# ==== T: terminal (batch side) ==========================================================

# T08: 100,000 links piped into head -n1.
t0=$EPOCHREALTIME
timeout -k 2 "$(scaled 10)" "$SCRAPER" --dump "$BIG" 2>"$ERR" </dev/null | head -n1 >"$OUT"
st=("${PIPESTATUS[@]}")
ELAPSED=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
is "${st[0]}" 0 "T08 piped into head -n1: exit 0 (a reader that stops is no error)"
cmp_file "$SCRATCH/big.first" "$OUT" "T08 head -n1: the first record"
ok '[ ! -s "$ERR" ]' "T08 piped into head -n1: nothing on stderr"
ok 'elapsed_below 3' "T08 piped into head -n1: done within 3 s, as B07's whole run (${ELAPSED} s)"

# ==== R: resources ===========================================================================

skip "R01 allocation failure: handled in tests/alloc.t (scraper-allocfail, the program's Nth allocation fails)"
skip "R02 sanitizers and valgrind: handled in make test (every tests/*.t with scraper-asan; tests/dump.t under tests/valgrind.sh)"
skip "R03 fuzzing: tested in tests/fuzz.t (make fuzz runs longer)"
skip "R04 200 page loads, flat descriptors and memory: tested in tests/loads.t"

diag "faults.t took $(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
done_testing
