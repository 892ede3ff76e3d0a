#!/bin/bash
# Faults, batch side: `scraper --dump` against the /fault/ routes of
# tests/server.py (and its TLS listener), with the program's exit statuses
# (0 ok, 1 usage, 2 transfer failed, 3 HTTP >= 400, 4 local file, 130/143
# signals).  The faults where the screen matters are in tests/faults-tui.t.
# A fault the program gets wrong is a TAP TODO test ("# TODO bug: ..."):
# reported, not failing the suite, until it is fixed.
#
# Run from the repository root:  prove -v tests/faults.t
# (SCRAPER=./scraper-asan prove -v tests/faults.t for the sanitizer build.)
#
# The faults, one by one: where each is tested ("file: test name", the
# names as prove -v prints them; "faults-tui.t: server faults: ..." is a
# test of scenario "server faults"), or why it is not.  dump.t and tui.t
# are the existing suites, reused where they already cover a fault.
#
# ---- server faults
# body cut short   | faults.t: "Content-Length 1000, 250 bytes, close" (exit
#                  |   2, cause, no links of the cut page, nothing saved);
#                  |   dump.t: "body shorter than Content-Length", "empty
#                  |   reply"; faults-tui.t: "server faults: .../truncated-
#                  |   links ...", ".../empty-reply ..." (the status line,
#                  |   the page shown stays)
# bad chunk size   | faults.t: "chunk-illegal", "chunk-overflow";
#                  |   faults-tui.t: "server faults: .../chunk-illegal ...",
#                  |   ".../chunk-overflow ..."
# chunk cut short  | faults.t: "chunk cut short"; faults-tui.t: "server
#                  |   faults: .../chunk-cut ..."
# stalled server   | dump.t: "stalled server with --timeout 2" (exit 2
#                  |   within 4 s); faults-tui.t: "server faults: .../stall"
# 1 byte a second  | faults.t: "1 byte/s with --timeout 2", "trickle:
#                  |   aborted within 4 s"; faults-tui.t: "server faults:
#                  |   .../trickle ...".  scraper has no low-speed limit:
#                  |   --timeout (whole transfer) is what bounds a trickle
# closed port      | dump.t: "closed port"; faults.t: "closed port: fails
#                  |   within 1 s"; faults-tui.t: "server faults:
#                  |   http://127.0.0.1:PORT/ ..."
# redirect loop    | dump.t: "redirect loop"; faults.t: "redirect loop: the
#                  |   request and exactly 10 redirects followed", "...
#                  |   within 2 s"; faults-tui.t: "server faults: .../loop"
# other schemes    | dump.t: "redirect to file://", "redirect to ftp://",
#   (redirected or |   "ftp:// URL"; faults.t: "redirect-gopher",
#   typed)         |   "redirect-dict", "typed dict://..."; faults-tui.t:
#                  |   "server faults: .../redirect-file ...",
#                  |   ".../redirect-gopher ...", "server faults: typed
#                  |   dict://...: refused in the form" (a typed file://
#                  |   is a local input: input.t)
# redirect chain   | dump.t: "chain of 3 redirects", "chain: links resolved
#                  |   against the final URL"; faults-tui.t: "server faults:
#                  |   chain of 3 redirects"
# control bytes in | faults.t: "Location with ESC", "final_url
#   Location       |   percent-encoded", "-v: the report of the Location
#                  |   header ..."; faults-tui.t: "bad input: Location with
#                  |   a space and C2 9B: followed, shown percent-encoded"
# huge headers     | faults.t: "header-huge", "header-many" (exit 2,
#                  |   "headers too large", not "out of memory", within 1
#                  |   s); faults-tui.t: "server faults: .../header-huge
#                  |   ...", ".../header-many ..."
# bad              | faults.t: "Content-Length: -1", "Content-Length: 2^65",
#   Content-Length,|   "HTTP/0.9 reply", "Content-Length: 12abc: exit 2",
#   HTTP/0.9       |   "... no mis-sized file saved", "two different
#                  |   Content-Lengths: refused (exit 2)", "HTTP/0.9 reply:
#                  |   not reported as a refused URL scheme"; faults-tui.t:
#                  |   "server faults: .../cl-negative ...", ".../cl-overflow
#                  |   ...", ".../http09: the status line names HTTP/0.9"
# HTTP error       | dump.t: "HTTP 404", "HTTP 500" (exit 3; the body is still
#   status         |   parsed and printed); faults.t: "--save of a 404" (not
#                  |   saved); faults-tui.t: "server faults: 404 ...",
#                  |   "downloads: d on a 404 ..."
# broken gzip      | dump.t: "broken gzip body"; faults-tui.t: "server
#                  |   faults: .../gzip-bad ..."
# gzip bomb        | dump.t: "--max-size 100000, /bomb" (exit 2, quick,
#                  |   memory); faults-tui.t: "server faults: .../bomb ..."
# endless body     | dump.t: "--max-size 100000, /big-chunked..."; faults.t:
#                  |   "endless body until close" (HTTP/1.0, memory);
#                  |   faults-tui.t: "server faults: .../big-chunked ...",
#                  |   ".../stream ..." (chunked and until close)
# Content-Length   | dump.t: "--max-size 100000, /big..."; faults.t:
#   over the cap   |   "Content-Length 50000000 over --max-size 1 MiB",
#                  |   "refused at the headers, the body not awaited";
#                  |   faults-tui.t: "server faults: .../huge-cl ..."
# endless download | faults-tui.t: "downloads: endless download: stopped at
#                  |   the cap" (1 GiB), "... temp file removed", "...
#                  |   cancelled with Esc"; faults.t: "endless stream
#                  |   --save" (batch)
# self-signed      | faults.t: "self-signed certificate" (exit 2, names the
#   certificate    |   certificate, nothing saved, one handshake, no request
#                  |   sent); faults-tui.t: "server faults: https://... ";
#                  |   skipped where openssl is missing
#
# ---- bad input
# empty, binary    | faults.t: "empty body", "4 KiB of PNG bytes and NULs as
#                  |   text/html", "binary as text/html: valid JSON"
# no charset       | dump.t: "charset none-utf8"
# charsets         | faults.t: "cs-1251", "cs-bogus", "cs-bogus-nometa",
#                  |   "utf16"; dump.t: "charset header-beats-meta"
# invalid bytes in | dump.t: "Shift_JIS ..." (links after the bad bytes,
#   a charset      |   stderr empty); faults-tui.t: "bad input: Shift_JIS
#                  |   ..." (and the scenario's "nothing on stderr").
#                  |   scraper reads such a page again as
#                  |   UTF-8/windows-1252, so nothing is lost and there is
#                  |   no "partly parsed" to show
# deep nesting     | faults.t: "300 nested div: ..."
# 40,000           | faults.t: "40,000 attributes: ..." (under 5 s, the link
#   attributes     |   after); faults-tui.t: "bad input: 40,000 attributes:
#                  |   the page shown, the keys answer"
# 100,000 links    | faults.t: "N links: ..." (rows, under 3 s, RSS under 200
#                  |   MB); faults-tui.t: "100,000 links: N links: End
#                  |   ...", "... PgDn ..."
# huge URLs        | faults.t: "5 MB data: URL ...", "the long URLs are
#                  |   printed whole ..." (batch prints URLs whole);
#                  |   faults-tui.t: "bad input: the long URLs' rows ..."
#                  |   (rows cut with …), "bad input: d on a data: URL ..."
#                  |   (refused)
# NUL, bad         | faults.t: "NUL bytes and invalid character references",
#   references     |   ...; dump.t: "hostile ..." (NUL in text);
#                  |   faults-tui.t: "bad input: NUL and bad references ..."
# relative forms   | faults.t: "relative forms"; dump.t: demo, "<base href>:
#                  |   ..."; tests/unit.c (RFC 3986 section 5.4);
#                  |   faults-tui.t: "bad input: relative forms resolved as
#                  |   --dump resolves them"
# other schemes in | faults.t: "other schemes listed as written";
#   links          |   faults-tui.t: "bad input: javascript: and file: links:
#                  |   Enter and d refuse, nothing fetched or written"
#
# ---- hostile content
# escape sequences | dump.t: "hostile TSV ...", "hostile json ...", "hostile
#   in the page    |   -v ..."; tui.t: "hostile page: ..." (pane title, tmux
#                  |   buffers, screen not cleared, pipe-pane bytes)
# C1 controls      | the same (the hostile page has raw C2 9B and &#x9b; in
#                  |   hrefs and texts)
# CR, BS, TAB, VT, | dump.t: "hostile TSV: every line has 4 fields",
#   FF, DEL, LF    |   "hostile: TSV has exactly one line per record",
#                  |   "hostile json: valid JSON ..."; tui.t: "hostile
#                  |   page"; faults-tui.t: "bad input: control characters:
#                  |   ..." (every row whole)
# bidi controls    | dump.t, tui.t: hostile (bidi in href and text);
#                  |   faults.t: "--save of /files/U+202Egpj.exe",
#                  |   "/files/U+202Egpj.exe --save"; faults-tui.t:
#                  |   "downloads: d on /files/U+202Egpj.exe"
# invalid UTF-8    | faults.t: "LC_ALL=C.UTF-8 ...", "LC_ALL=C ...";
#                  |   faults-tui.t: "bad input: Location with invalid UTF-8
#                  |   ...", "C locale: LC_ALL=C ..."
# wide, combining, | faults-tui.t: "bad input: CJK, combining marks, emoji
#   ZWJ characters |   ZWJ ...", "bad input: the tab bar, the rows ..."
# bytes the        | dump.t: "hostile -v: ... (header X-Hostile too)";
#   libraries      |   faults.t: "<foo ESC[2J> in the page ...", "-v: header
#   report on      |   X-A ...", "location-scheme", "location-host",
#                  |   "status-esc" (libxml2's errors, header X-A, curl's
#                  |   errors about the server's bytes); faults-tui.t: "bad
#                  |   input: header X-A ..."
#
# ---- file system
# Files/ absent,   | faults.t: "Files/ absent ...", "Files is a regular file
#   a file,        |   ...", "Files/ read-only ..." (tmpfs -o ro; skipped
#   read-only      |   where mounting is not allowed)
# disk full        | faults.t: "disk full ..."; faults-tui.t: "disk full:
#                  |   disk full ..." (64 KiB tmpfs; skipped where mounting
#                  |   is not allowed)
# failed           | faults.t: "failed re-download ...", "--force failed
#   re-download    |   re-download ..."; dump.t: "--save of a truncated
#                  |   transfer"; faults-tui.t: "downloads: failed
#                  |   re-download ..."
# the file exists  | dump.t: "--save over an existing file" (exit 4,
#                  |   unchanged), "--save --force"; tui.t: "download: d
#                  |   again asks before overwriting", "save: saving again
#                  |   asks before overwriting" (the documented policy:
#                  |   refuse or ask, --force/y is an atomic rename, never a
#                  |   mix)
# a symlink in the | faults.t: "symlink in the way, no --force", "--force
#   way            |   over a symlink ..."
# hostile last     | faults.t: "/files/SEGMENT ..." (10 segments); dump.t:
#   segments       |   "--save=../x refused"
# no path, a long  | dump.t: "--save: Files/index.html ..." (/); faults.t:
#   segment        |   "no path ...", "300-byte last segment ..."
# names from       | faults.t: "/fault/a.txt -> /files/.profile ...",
#   elsewhere      |   "Content-Disposition ..." (redirect target,
#                  |   Content-Disposition)
# killed during a  | dump.t: "SIGINT during a transfer", "SIGTERM during a
#   save           |   transfer"; faults.t: "SIGKILL during --save";
#                  |   faults-tui.t: "SIGTERM during a download: ...",
#                  |   "SIGKILL during a download: ..." (and "... the next
#                  |   save into Files/ cleans the leftover temp file up")
# saves at once    | faults.t: "four --force runs at once ...", "four runs
#                  |   at once, no --force ..."; "--force over another
#                  |   user's file ...", "the new file is ours, mode 0644
#                  |   ..."
#
# ---- terminal
# no usable        | tui.t: "no usable terminal: -u TERM ...", "...
#   terminal       |   TERM=no-such-terminal-xyz ..." (one line, exit 1)
# TERM=dumb        | tui.t: "no usable terminal: TERM=dumb ..."
# not a terminal   | dump.t: "no --dump, stdout not a terminal: behaves as
#                  |   --dump"; faults-tui.t: "not a terminal: ..."
# tiny terminal    | tui.t: "resize: 30x8: 'terminal too small'";
#                  |   faults-tui.t: "tiny terminal: ..."
# resize, Ctrl-Z   | tui.t: "resize: ..."; faults-tui.t: "resize: ...",
#                  |   "Ctrl-Z: ..."
# SIGINT, SIGTERM, | tui.t: "SIGINT: ..." (idle), "SIGTERM: ..." (during a
#   Ctrl-C         |   transfer); faults-tui.t: "Ctrl-C: ..." (during a
#                  |   transfer)
# hangup           | faults-tui.t: "hangup: SIGHUP ...", "hangup: the pane
#                  |   killed ...", "hangup: stdin gone without SIGHUP
#                  |   (setsid) ..."
# a reader that    | faults.t: "piped into head -n1 ..."
#   stops          |
# pastes in the    | faults-tui.t: "URL field: ..."
#   URL field      |
#
# ---- resources
# allocation       | SKIP, handled in tests/alloc.t (the program's own
#   failure        |   allocations fail one by one)
# sanitizers,      | SKIP, handled by make test: every tests/*.t again with
#   valgrind       |   scraper-asan (so these two files too), tests/dump.t
#                  |   under tests/valgrind.sh
# fuzzing          | tests/fuzz.t (the libFuzzer targets of tests/fuzz/, 5 s
#                  |   each in make test; tests/fuzz/run.sh SECONDS for
#                  |   longer runs)
# many page loads  | tests/loads.t (200 page loads in one screen session:
#                  |   descriptors and RSS flat)
#
# The exit statuses are the program's: transfer, size, redirect and TLS
# faults 2; HTTP >= 400 3; local files 4; an HTTP error page's records are
# printed; no usable terminal exits 1.

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
urls() { cut -f4 "$OUT" | tr '\n' ' '; }

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

# ==== server faults ===========================================================

# The page stops after ~250 of 1000 announced bytes (the empty-reply
# variant is dump.t's "empty reply").
workdir s01
run_scraper --dump --save=cut.html "$F/truncated-links"
fails_with 2 "Content-Length 1000, 250 bytes, close"
cause "remaining|incomplete|closed|partial" "cut body"
no_output "cut body: links of the cut page"
no_files Files "cut body with --save"

# Chunk-size line ILLEGAL, and one that overflows 64 bits.
for r in chunk-illegal chunk-overflow; do
    workdir "s02-$r"
    run_scraper --dump --save=c.html "$F/$r"
    fails_with 2 "$r"
    cause "chunk" "$r"
    no_output "$r"
    no_files Files "$r with --save"
done

# Chunk of 0x40 announced, 3 bytes sent, close.
workdir s03
run_scraper --dump --save=c.html "$F/chunk-cut"
fails_with 2 "chunk cut short"
cause "remaining|incomplete|closed|partial" "chunk cut short"
no_files Files "chunk cut short with --save"

# One byte a second: the whole-transfer limit (--timeout) ends it.
run_scraper --dump --timeout 2 "$F/trickle"
fails_with 2 "1 byte/s with --timeout 2"
cause "timed out|timeout" "trickle"
ok 'elapsed_below 4' "trickle: aborted within 4 s (${ELAPSED} s)"

# Closed port (exit status in dump.t "closed port"): quick.
run_scraper --dump "http://127.0.0.1:$(free_port)/"
is "$RC" 2 "closed port: exit 2"
ok 'elapsed_below 1' "closed port: fails within 1 s (${ELAPSED} s)"

# A redirect loop (exit status in dump.t "redirect loop"): exactly 10
# hops followed, quickly.
: >"$SERVER_LOG"
run_scraper --dump "$BASE/loop"
is "$RC" 2 "redirect loop: exit 2"
is "$(grep -cx 'GET /loop' "$SERVER_LOG")" 11 "redirect loop: the request and exactly 10 redirects followed"
ok 'elapsed_below 2' "redirect loop: stopped within 2 s (${ELAPSED} s)"
cause "redirect" "redirect loop"

# Redirects to gopher:// and dict:// (file:// and ftp:// in dump.t); a
# typed dict:// URL. (A typed file:// URL is a local input, read without
# libcurl: tests/input.t.)
for r in redirect-gopher redirect-dict; do
    run_scraper --dump "$F/$r"
    fails_with 2 "$r"
    cause "refused|not supported|only http" "$r"
done
for u in "dict://127.0.0.1:$PORT/x"; do
    run_scraper --dump "$u"
    fails_with 2 "typed $u"
    no_output "typed $u: nothing read"
done

# Location with ESC is refused; with a space and raw C2 9B it is
# followed, percent-encoded, never raw.
run_scraper --dump "$F/location-esc"
fails_with 2 "Location with ESC"
cause "redirect|url|location" "Location with ESC"
run_scraper --dump --format json "$F/location-space-c1"
is "$RC" 0 "Location with a space and C2 9B: followed, exit 0"
safe_out "Location with a space and C2 9B, JSON"
like "$(json_get "$OUT" 'd["final_url"]')" "^$(sed 's/[.?]/\\&/g' <<<"$P2")\?sp=a(%20|\+)b&c1=%[cC]2%9[bB]31m$" \
     "final_url percent-encoded (%20 or +, %C2%9B)"
run_scraper --dump -v "$F/location-space-c1"
is_terminal_safe "$ERR" "-v: the report of the Location header is terminal-safe"

# A 200 KB header line; 3,000 headers of 200 bytes.
for r in header-huge header-many; do
    run_scraper --dump "$F/$r"
    fails_with 2 "$r"
    cause "headers? too large|too large.*headers?" "$r"
    unlike "$(cat "$ERR")" "[Oo]ut of memory" "$r: not reported as out of memory"
    ok 'elapsed_below 1' "$r: within 1 s (${ELAPSED} s)"
done

# Bad Content-Length values, two different ones, HTTP/0.9.
run_scraper --dump "$F/cl-negative"
fails_with 2 "Content-Length: -1"
cause "content-length" "Content-Length: -1"
run_scraper --dump "$F/cl-overflow"
fails_with 2 "Content-Length: 2^65"
cause "larger|content-length|limit" "Content-Length: 2^65"
workdir s12
run_scraper --dump --save=g.html "$F/cl-garbage"
is "$RC" 2 "Content-Length: 12abc: exit 2"
ok '[ ! -e Files/g.html ]' "Content-Length: 12abc: no mis-sized file saved"
workdir s12d
run_scraper --dump --save=d.html "$F/cl-double"
is "$RC" 2 "two different Content-Lengths: refused (exit 2)"
ok '[ ! -e Files/d.html ]' "two different Content-Lengths: nothing saved"
run_scraper --dump "$F/http09"
fails_with 2 "HTTP/0.9 reply"
cause "http/0\.9" "HTTP/0.9 reply"
ok '! grep -q "only http and https" "$ERR"' \
    "HTTP/0.9 reply: not reported as a refused URL scheme"

# An error page is not saved as the resource (exit 3, records printed:
# dump.t "HTTP 404").
workdir s13
run_scraper --dump --save=r.html "$BASE/404"
fails_with 3 "--save of a 404"
no_files Files "--save of a 404: the error page not saved"

# No Content-Length, HTTP/1.0 body until close, endless (chunked and
# gzip in dump.t).
run_scraper_rss --dump "$P2"
BASE_RSS=$MAXRSS_KB
workdir s16
run_scraper_rss --dump --max-size 1048576 --save=s.bin "$F/stream"
fails_with 2 "endless body until close, --max-size 1 MiB"
cause "larger|limit|too large" "endless body"
ok 'elapsed_below 3' "endless body: stopped within 3 s (${ELAPSED} s)"
ok '[ "$MAXRSS_KB" -lt $((BASE_RSS + 30000)) ]' \
   "endless body: memory below the cap + 30 MB (${MAXRSS_KB} KB; ${BASE_RSS} KB for a small page)"
no_files Files "endless body with --save"

# Content-Length 50,000,000 over a 1 MiB cap: refused after the
# headers; the server then idles, so waiting for the body would time out.
run_scraper --dump --max-size 1048576 "$F/huge-cl"
fails_with 2 "Content-Length 50000000 over --max-size 1 MiB"
cause "larger|limit|too large" "Content-Length over the cap"
ok 'elapsed_below 2' "refused at the headers, the body not awaited (${ELAPSED} s)"

# The endless stream, batch side (the download on the screen is in
# faults-tui.t).
workdir s18
run_scraper --dump --max-size 1048576 --save "$F/stream/endless.bin"
is "$RC" 2 "endless stream --save: exit 2"
no_files Files "endless stream --save"

# HTTPS with a self-signed certificate.
if [ -n "$TLS_BASE" ]; then
    workdir s19
    : >"$SERVER_LOG"
    run_scraper --dump --save=tls.html "$TLS_BASE/page2.html"
    fails_with 2 "self-signed certificate"
    cause "certificate" "self-signed certificate"
    no_output "self-signed certificate"
    no_files Files "self-signed certificate with --save"
    is "$(grep -c '^TLS handshake failed' "$SERVER_LOG")" 1 "one handshake: no retry"
    is "$(grep -c '^GET ' "$SERVER_LOG")" 0 "no request sent without verification"
else
    skip "self-signed certificate: $TLS_WHY"
fi

# ==== bad input =================================================================

run_scraper --dump "$F/empty-body"
quiet_ok "empty body"
no_output "empty body"
run_scraper --dump "$F/binary"
quiet_ok "4 KiB of PNG bytes and NULs as text/html"
safe_out "binary as text/html"
run_scraper --dump --format json "$F/binary"
ok 'json_get "$OUT" 1 >/dev/null' "binary as text/html: valid JSON"

# The header's charset wins over <meta>; an unknown one is ignored;
# UTF-16 with a byte-order mark.
cs_case() {
    run_scraper --dump "$F/$1"
    quiet_ok "$1"
    is "$(cat "$OUT")" "link	a	href	$P2?$2	$3
link	a	href	$P2?last	last" "$1: '$3' decoded"
}
cs_case cs-1251 privet "Привет"
cs_case cs-bogus cafe "café"
cs_case cs-bogus-nometa cafe "café"
cs_case utf16 utf16 "café UTF-16"

# 300 nested <div> (libxml2's limit is 256), then a link.
run_scraper --dump "$F/deep"
is "$RC" 0 "300 nested div: exit 0"
if grep -q 'after-deep' "$OUT"; then
    pass "300 nested div: the link after the nesting is listed (or the page is said to be partly parsed)"
else
    like "$(cat "$ERR")" "[Pp]art" "300 nested div: the link after the nesting is listed (or the page is said to be partly parsed)"
fi
like "$(urls)" "before-deep" "300 nested div: the link before the nesting is listed"

# One tag with 40,000 attributes.
run_scraper --dump "$F/many-attrs?n=40000"
is "$RC" 0 "40,000 attributes: exit 0"
ok 'elapsed_below 5' "40,000 attributes: done in under 5 s (${ELAPSED} s)"
if grep -q 'after-attrs' "$OUT"; then
    pass "40,000 attributes: the link after the tag is listed (or the page is said to be partly parsed)"
else
    like "$(cat "$ERR")" "[Pp]art" "40,000 attributes: the link after the tag is listed (or the page is said to be partly parsed)"
fi

# 100,000 links (and, under "terminal", piped to head -n1).
BIG="$BASE/big?bytes=5900000"
fetch "/big?bytes=5900000" "$SCRATCH/big.body"
NBIG=$(grep -c '<a href' "$SCRATCH/big.body")
run_scraper_rss --dump "$BIG"
is "$RC" 0 "$NBIG links: exit 0"
is "$(lines "$OUT")" "$NBIG" "$NBIG links: one row each"
ok 'elapsed_below 3' "$NBIG links: under 3 s (${ELAPSED} s)"
ok '[ "$MAXRSS_KB" -lt 200000 ]' "$NBIG links: RSS under 200 MB (${MAXRSS_KB} KB)"
head -1 "$OUT" >"$SCRATCH/big.first"

# A 5 MB data: href and an http URL of 300,000 bytes: batch prints
# URLs whole (README: only texts are capped).
run_scraper --dump "$F/long-urls"
quiet_ok "5 MB data: URL and a 300,000-byte URL"
is "$(cut -f4 "$OUT" | awk '{ print length($0) }' | tr '\n' ' ')" \
   "$((23 + 5000000)) $((${#P2} + 6 + 300000)) $((${#P2} + 11)) $((${#P2} + 5)) " \
   "the long URLs are printed whole, in order"
run_scraper --dump --format json "$F/long-urls"
ok 'json_get "$OUT" 1 >/dev/null' "long URLs: valid JSON"

# NUL in an attribute and in text; &#0; &#x110000; &#xD800;.
run_scraper --dump "$F/nul-refs"
quiet_ok "NUL bytes and invalid character references"
safe_out "NUL and bad references"
like "$(urls)" "nul1.* .*nul2 .*nul3 .*after-nul .*last" "every link listed, in order"
run_scraper --dump --format json "$F/nul-refs"
ok 'json_get "$OUT" 1 >/dev/null' "NUL and bad references: valid JSON"

# Relative forms (<base href> and the RFC 3986 examples: dump.t and
# tests/unit.c).
run_scraper --dump "$F/relative"
quiet_ok "relative forms"
is "$(urls)" "$BASE/net-path $BASE/up4 $F/relative?q=1 $F/relative#frag $BASE/spaced $BASE/UPPER $P2?last " \
   "//host, ../../../../x, ?q, #f, spaced, HTTP:// resolved per RFC 3986"

# Other schemes are listed as written (downloading them: faults-tui.t).
run_scraper --dump "$F/schemes"
quiet_ok "javascript: data: mailto: file: about:"
is "$(urls)" "javascript:alert(1) data:text/html,hello mailto:a@example.com file:///etc/passwd about:blank $P2?last " \
   "other schemes listed as written"

# ==== hostile content =============================================================

# A bidi control in the name a saved file gets from its URL.
workdir h04
run_scraper --dump "$BASE/files/"$'\u202e'"gpj.exe" --save
is "$RC" 0 "--save of /files/U+202Egpj.exe: exit 0"
is "$(ls -A Files | wc -l)" 1 "one file saved"
ls -A Files >"$SCRATCH/h04.names"
ok 'terminal_safe "$SCRATCH/h04.names" >/dev/null' "the saved name has no bidi control ($(cat "$SCRATCH/h04.names"))"

# Invalid UTF-8 in Location and in a header, in C.UTF-8 and C.
for loc in C.UTF-8 C; do
    LC_ALL=$loc run_scraper --dump --format json -v "$F/location-bad-utf8"
    is "$RC" 0 "LC_ALL=$loc Location with invalid UTF-8: exit 0"
    ok 'json_get "$OUT" "len(json.dumps(d, ensure_ascii=False).encode())" >/dev/null' \
       "LC_ALL=$loc: JSON valid, of valid Unicode"
    safe_out "LC_ALL=$loc JSON"
    unlike "$(json_get "$OUT" 'd["final_url"]')" "[^ -~]" "LC_ALL=$loc: final_url is ASCII (percent-encoded)"
    is_terminal_safe "$ERR" "LC_ALL=$loc -v: the report is terminal-safe"
    LC_ALL=$loc run_scraper --dump -v "$F/bad-header-utf8"
    is "$RC" 0 "LC_ALL=$loc header with invalid UTF-8 and C1: exit 0"
    is_terminal_safe "$ERR" "LC_ALL=$loc -v: the header is reported terminal-safe"
done

# Page bytes that make libxml2 report an error (<foo ESC[2J>), a header
# X-A with ESC, curl's errors about a server's bytes.
run_scraper --dump "$F/bad-tag"
quiet_ok "<foo ESC[2J> in the page: libxml2's error not printed"
is "$(urls)" "$P2?bad-tag $P2?last " "bad tags: the links listed"
run_scraper --dump -v "$F/bad-tag"
is_terminal_safe "$ERR" "-v: header X-A with ESC reported terminal-safe"
like "$(cat "$ERR")" "X-A" "-v: the header X-A is in the report"
for r in location-scheme location-host status-esc; do
    run_scraper --dump "$F/$r"
    fails_with 2 "$r"
    is_terminal_safe "$ERR" "$r: the error line is terminal-safe"
done
ok '! grep -q "only http and https" "$ERR"' \
    "status line with ESC: not reported as a refused URL scheme"

# ==== file system ===================================================================

# Files/ absent: created 0755; Files a regular file; Files read-only.
workdir f01
run_scraper --dump --save=p.html "$P2"
is "$RC" 0 "Files/ absent: exit 0"
is "$(stat -c %a Files 2>&1)" 755 "Files/ created with mode 0755"
workdir f01b
echo KEEP >Files
run_scraper --dump --save=p.html "$P2"
fails_with 4 "Files is a regular file"
is "$(cat Files)" KEEP "Files is a regular file: it is unchanged"
is "$(ls -A)" Files "Files is a regular file: nothing written elsewhere"
workdir f01c
if tmpfs_mount "$PWD/Files" ro,size=64k; then
    run_scraper --dump --save=p.html "$P2"
    fails_with 4 "Files/ read-only"
    cause "read-only|permission" "Files/ read-only"
    is "$(ls -A)" Files "Files/ read-only: nothing written elsewhere"
    tmpfs_umount "$PWD/Files"
else
    skip "Files/ read-only: $MOUNT_WHY"
fi

# Disk full: 1 MB into a 64 KiB tmpfs holding an earlier file.
workdir f02
if tmpfs_mount "$PWD/Files" size=64k; then
    head -c 1000 /dev/urandom >Files/earlier.bin
    cp Files/earlier.bin "$SCRATCH/earlier.bin"
    run_scraper --dump --save=big.bin "$BASE/download/big.bin?bytes=1000000"
    fails_with 4 "disk full"
    cause "no space left" "disk full"
    is "$(ls -A Files)" earlier.bin "disk full: no partial or temp file"
    cmp_file "$SCRATCH/earlier.bin" Files/earlier.bin "disk full: the earlier file intact"
    tmpfs_umount "$PWD/Files"
else
    skip "disk full: $MOUNT_WHY"
fi

# The re-download of an existing file fails: the old file is intact.
for force in "" --force; do
    workdir "f03$force"
    mkdir Files && echo OLD >Files/x.html
    run_scraper --dump $force --save=x.html "$F/truncated-links"
    is "$RC" 2 "${force:+$force }failed re-download: exit 2"
    is "$(cat Files/x.html)" OLD "${force:+$force }failed re-download: the old file is byte-for-byte the same"
    is "$(ls -A Files)" x.html "${force:+$force }failed re-download: no temp file"
done

# Files/x.html is a symlink to a file outside Files/.
fetch /page2.html "$SCRATCH/page2.body"
workdir f05
mkdir Files && echo VICTIM >victim && ln -s ../victim Files/x.html
run_scraper --dump --save=x.html "$P2"
fails_with 4 "symlink in the way, no --force"
is "$(cat victim)" VICTIM "no --force: the victim is unchanged"
ok '[ -L Files/x.html ]' "no --force: the link is left as it was"
run_scraper --dump --force --save=x.html "$P2"
is "$RC" 0 "--force over a symlink: exit 0"
is "$(cat victim)" VICTIM "--force: the victim is unchanged (the link is replaced, not followed)"
ok '[ -f Files/x.html ] && [ ! -L Files/x.html ]' "--force: Files/x.html is a regular file"
cmp_file "$SCRATCH/page2.body" Files/x.html "--force: it holds the body"

# Hostile last segments: the file lands in Files/, with a clean name.
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
    is "$RC" 0 "/files/$label --save: exit 0"
    if msg=$(name_check "$PWD" 2>&1); then
        pass "/files/$label: one file, inside Files/, with a clean name ($msg)"
    else
        fail "/files/$label: one file, inside Files/, with a clean name"
        diag "$msg"
    fi
done

# A URL with no path gets index.html (/ in dump.t); a 300-byte last
# segment is cut to 255 bytes, its extension kept.
workdir f07
run_scraper --dump "$BASE" --save
is "$RC" 0 "no path: exit 0"
is "$(ls -A Files)" index.html "no path: Files/index.html"
workdir f07b
long=$(printf 'n%.0s' {1..296}).txt
run_scraper --dump "$BASE/files/$long" --save
is "$RC" 0 "300-byte last segment: exit 0 (no ENAMETOOLONG)"
name=$(ls -A Files)
ok '[ ${#name} -le 255 ] && [ ${#name} -ge 200 ] && [ "${name%.txt}" != "$name" ]' \
   "300-byte last segment: cut to ${#name} bytes (at most 255), .txt kept"

# The name comes from the URL asked, not the redirect target; a
# Content-Disposition name is used (as curl -OJ does) but only its last part:
# never a path.
workdir f08
run_scraper --dump "$F/a.txt" --save
is "$RC" 0 "/fault/a.txt -> /files/.profile: exit 0"
is "$(ls -A Files) | $(ls -A)" "a.txt | Files" "saved as Files/a.txt, no .profile anywhere"
sum=$(sha256sum /etc/passwd 2>/dev/null)
for r in cd:x.txt cd-abs:passwd.txt; do
    workdir "f08-${r%%:*}"
    run_scraper --dump "$F/${r%%:*}" --save
    is "$RC" 0 "Content-Disposition (${r%%:*}): exit 0"
    is "$(ls -A Files) | $(ls -A)" "${r#*:} | Files" \
       "Content-Disposition (${r%%:*}): saved as Files/${r#*:} only (its last part, text/plain's extension)"
done
ok '[ ! -e "$SCRATCH/x" ]' 'Content-Disposition "../../x": nothing written there (Files/../../x)'
is "$(sha256sum /etc/passwd 2>/dev/null)" "$sum" 'Content-Disposition "/etc/passwd": /etc/passwd unchanged'

# SIGKILL during a --save (SIGINT/SIGTERM: dump.t "signals").  The
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
is "$?" 137 "SIGKILL during --save: killed"
no_files Files "SIGKILL during --save"

# Four runs save the same URL at once; an old file of another user
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
        is "$rcs" "0 0 0 0 " "four --force runs at once: all exit 0"
    else
        is "$(tr ' ' '\n' <<<"$rcs" | sort | tr '\n' ' ')" " 0 4 4 4 " \
           "four runs at once, no --force: one exits 0, three 4 (exists)"
    fi
    is "$(ls -A Files)" same.bin "${force:-no --force}: one file, no temp file"
    cmp_file "$SCRATCH/same.bin" Files/same.bin "${force:-no --force}: the file is the whole body"
done
workdir f10b
mkdir Files && echo OLD >Files/o.html && chmod 0666 Files/o.html
if [ "$(id -u)" = 0 ] && chown 65534:65534 Files/o.html 2>/dev/null; then
    owner="another user's"
else
    owner="a"
fi
run_scraper --dump --force --save=o.html "$P2"
is "$RC" 0 "--force over $owner file of mode 0666: exit 0"
is "$(stat -c '%a %u' Files/o.html)" "644 $(id -u)" "the new file is ours, mode 0644 (nothing inherited)"

# ==== terminal (batch side) =============================================================

# 100,000 links piped into head -n1.
t0=$EPOCHREALTIME
timeout -k 2 "$(scaled 10)" "$SCRAPER" --dump "$BIG" 2>"$ERR" </dev/null | head -n1 >"$OUT"
st=("${PIPESTATUS[@]}")
ELAPSED=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
is "${st[0]}" 0 "piped into head -n1: exit 0 (a reader that stops is no error)"
cmp_file "$SCRATCH/big.first" "$OUT" "head -n1: the first record"
ok '[ ! -s "$ERR" ]' "piped into head -n1: nothing on stderr"
ok 'elapsed_below 3' "piped into head -n1: done within 3 s, as the whole run of the 100,000 links (${ELAPSED} s)"

# ==== resources ==============================================================================

skip "allocation failure: handled in tests/alloc.t (scraper-allocfail, the program's Nth allocation fails)"
skip "sanitizers and valgrind: handled in make test (every tests/*.t with scraper-asan; tests/dump.t under tests/valgrind.sh)"
skip "fuzzing: tested in tests/fuzz.t (make fuzz runs longer)"
skip "200 page loads, flat descriptors and memory: tested in tests/loads.t"

diag "faults.t took $(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
done_testing
