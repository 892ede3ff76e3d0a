#!/bin/bash
# The Transfer story (`--dump -v` on stderr, the Transfer pane) must be
# exactly true, step by step, as `curl -v --trace-time` would tell it: each
# step's own duration, "not reached" / "no answer" where a step never
# happened, the proxy named as the proxy, no password anywhere, every
# connection attempt with its outcome, a 304's missing Content-Length, and a
# failed fetch's reason and where it stopped.
#
# Run from the repository root:  prove -v tests/story.t

. "$(dirname "$0")/lib.sh"
require_scraper
start_server_tls

# step_ms LABEL: the duration the story's "Times" line gives LABEL, in ms.
step_ms() {
    grep '^\* Times' "$ERR" | grep -Eo "$1 [0-9]+\.[0-9] ms" | grep -Eo '[0-9]+\.[0-9]' | head -1
}
# between LOW HIGH VALUE: LOW <= VALUE <= HIGH (floats).
between() { awk -v l="$1" -v h="$2" -v v="$3" 'BEGIN { exit !(v != "" && v >= l && v <= h) }'; }

DELAY=$(scaled 300)

# ==== 1. durations per step, not libcurl's times from the start ===============

run_scraper --dump -v "$BASE/story/delay?ms=300"
is "$RC" 0 "a slow first byte: fetched"
FIRST=$(step_ms 'first byte \(the server\)')
CONNECT=$(step_ms 'TCP connect')
ok 'between $((DELAY - 10)) $((DELAY + 250 * ${TIME_SCALE:-1})) "$FIRST"' \
   "the server's time is about the ${DELAY} ms delay (got $FIRST)"
ok 'between 0 50 "$CONNECT"' "the TCP connect takes its own few ms, not the time since the start (got $CONNECT)"
unlike "$(grep '^\* Times' "$ERR")" "TLS" "no TLS step over http"

run_scraper --dump -v "$BASE/story/hop?ms=300"
like "$(grep '^\* Times' "$ERR")" "^\* Times of the last request \(the 1 redirect before it took [0-9.]+ ms\)" \
     "after a redirect the times are the last request's, and the redirects' own time is said"
FIRST=$(step_ms 'first byte \(the server\)')
ok 'between $((DELAY - 10)) $((DELAY + 250 * ${TIME_SCALE:-1})) "$FIRST"' "the delay counted once (got $FIRST)"

if [ -n "$TLS_BASE" ]; then
    run_scraper --dump -v "$TLS_BASE/"
    like "$(grep '^\* Times' "$ERR")" "TCP connect [0-9]+\.[0-9] ms, TLS handshake failed after [0-9]+\.[0-9] ms, request sent → first byte \(the server\) not reached" \
         "a refused certificate: TCP connected (its time), TLS failed (how long it ran), no request"
    unlike "$(cat "$ERR")" " 0\.0 ms, first byte" "no \"0.0 ms\" for a step never reached (TLS)"
    like "$(tail -2 "$ERR" | head -1)" "^! The fetch failed during the TLS handshake: .*certificate" \
         "the story ends with where it stopped and why (TLS)"
else
    skip "TLS: $TLS_WHY"; skip "TLS: $TLS_WHY"; skip "TLS: $TLS_WHY"
fi

# ==== the steps add up: redirects + steps (+ other) = total, on one clock ====

# gap_ok WHAT: the last run's "Times" line adds up, within the rounding of
# its figures (each to 0.1 ms).
gap_ok() {
    local gap
    gap=$(times_gap <"$ERR")
    ok 'between -0.2 0.2 "$gap"' "$1: the steps add up to the total (off by $gap ms)"
}
run_scraper --dump -v "$BASE/page2.html"
gap_ok "a plain fetch"
like "$(grep '^\* Times' "$ERR")" "^\* Times: no DNS \(an IP address\), TCP connect" \
     "an IP address: no DNS step (no lookup was made)"
run_scraper --dump -v "$BASE/chain/3"
gap_ok "a redirect chain"
run_scraper --dump -v "$BASE/story/hop?ms=300"
gap_ok "a redirect to a delayed page"
WAITED=$(grep -Eo 'answer began after [0-9.]+' "$ERR" | tail -1 | grep -Eo '[0-9.]+$')
is "$(step_ms 'first byte \(the server\)')" "$WAITED" "the server's time is the same figure in the wait's line and in the Times"
run_scraper --dump -v "$BASE/story/delay?ms=300"
gap_ok "a delayed page"
if [ -n "$TLS_BASE" ]; then
    run_scraper --dump -v "$TLS_BASE/"
    gap_ok "a failed TLS handshake"
else
    skip "TLS: $TLS_WHY"
fi

# ==== 2. a step never reached is not "0.0 ms" ===================================

run_scraper --dump -v --timeout 1 "$BASE/story/silent"
isnt "$RC" 0 "a server that never answers: a failure"
like "$(grep '^\* Times' "$ERR")" "first byte \(the server\) no answer" "no answer, not \"first byte 0.0 ms\""
like "$(tail -2 "$ERR" | head -1)" "^! The fetch failed while waiting for the first byte: no answer came in 1\.0 s" \
     "the story ends with where it stopped and the reason in words"

run_scraper --dump -v "http://127.0.0.1:$(free_port)/"
like "$(grep '^\* Times' "$ERR")" "TCP connect failed after [0-9]+\.[0-9] ms, request sent → first byte \(the server\) not reached" \
     "a refused connection: TCP connect failed (after how long), no request"
like "$(tail -2 "$ERR" | head -1)" "^! The fetch failed while connecting: no address accepted the connection" \
     "... and stopped while connecting, as a warning"
like "$(cat "$ERR")" "
! Connection to 127\.0\.0\.1 port [0-9]+ failed: Connection refused: nothing is listening on that port
" "the refused attempt, as a warning, in words"
is "$(grep -c "Couldn't connect" "$ERR")" 1 "libcurl's words once: in the exit's error line only"

# ==== failures and error statuses in words, as warnings ======================

run_scraper --dump -v "$BASE/truncated"
like "$(tail -2 "$ERR" | head -1)" "^! The fetch failed while receiving the body: only 10 of 1000 bytes arrived, the page is incomplete \(the server closed the connection before the end\)" \
     "a body cut short: how much came, in words"
run_scraper --dump -v "$BASE/404"
like "$(cat "$ERR")" "
! HTTP status 404: the server has no such page; the page shown is the server's own error page
" "a 404 in words, as a warning"
run_scraper --dump -v "$BASE/500"
like "$(cat "$ERR")" "
! HTTP status 500: the server failed" "a 500 in words, as a warning"
run_scraper --dump -v "$BASE/page2.html"
unlike "$(cat "$ERR")" "^!|
!|HTTP status" "a 200: no warning, no status line of its own"
run_scraper --dump -v "$BASE/story/304"
like "$(cat "$ERR")" "\* HTTP status 304 \(Not Modified\).*no body" "a 304 says why it has no body"

# ==== 3. a proxy is named as the proxy ==========================================

http_proxy=http://127.0.0.1:$PORT no_proxy= NO_PROXY= run_scraper --dump -v "http://example.test/x"
is "$RC" 0 "through a proxy: fetched"
like "$(cat "$OUT")" "asked for example.test" "the proxy was asked for the host"
like "$(cat "$ERR")" "Connecting to the proxy 127.0.0.1:$PORT: it resolves host example.test itself" \
     "the story names the proxy"
unlike "$(cat "$ERR")" "Resolved host" "the host is never said to be resolved here"
like "$(grep '^\* Times' "$ERR")" "DNS by the proxy" "no DNS time of our own through a proxy"

# ==== 4. never a password =======================================================

run_scraper --dump -v --fields page,url "http://alice:s3cret@127.0.0.1:$PORT/page2.html"
is "$RC" 0 "user and password in the URL: fetched"
ok '! grep -q s3cret "$ERR" "$OUT"' "the password is nowhere in the story or the TSV"
ok '! grep -q YWxpY2U6czNjcmV0 "$ERR"' "nor its base64 in the Authorization header shown"
like "$(cat "$ERR")" "as user alice" "the story says a user was sent"
unlike "$(cat "$ERR")" "Resolved host alice" "the user is no host to resolve"
like "$(head -1 "$OUT")" "^http://alice@127\.0\.0\.1:$PORT/page2\.html	" "the TSV page field has the user, not the password"
run_scraper --dump --format json "http://alice:s3cret@127.0.0.1:$PORT/page2.html"
ok '! grep -q s3cret "$OUT"' "the password is nowhere in the JSON"
is "$(json_get "$OUT" 'd["url"] + " " + d["final_url"]')" \
   "http://alice@127.0.0.1:$PORT/page2.html http://alice@127.0.0.1:$PORT/page2.html" "JSON url and final_url without it"
run_scraper --dump "http://alice:s3cret@127.0.0.1:$(free_port)/"
ok '! grep -q s3cret "$ERR"' "nor in the error message"

# ==== 5. every connection attempt, with its outcome ===========================

# (the server listens on 127.0.0.1 only: ::1 refuses, where the machine has IPv6)
if python3 -c 'import socket, sys
try:
    socket.create_connection(("::1", int(sys.argv[1])), timeout=2)
except ConnectionRefusedError:
    sys.exit(0)
except OSError:
    sys.exit(1)' "$PORT"; then
    run_scraper --dump -v "http://[::1]:$PORT/"
    like "$(cat "$ERR")" "Trying \[::1\]:$PORT over TCP( \([^)]*\))?
! Connection to ::1 port $PORT failed: Connection refused: nothing is listening on that port" \
         "a refused attempt is told, with its address, as a warning"
else
    skip "no IPv6 loopback here: ::1 does not refuse, it cannot be reached"
fi
if getent ahosts localhost | grep -q '^::1' && getent ahosts localhost | grep -q '^127\.0\.0\.1'; then
    run_scraper --dump -v "http://localhost:$PORT/page2.html"
    is "$(grep -c 'Resolved host' "$ERR")" 1 "one lookup, however many addresses"
    like "$(cat "$ERR")" "Connection to ::1 port $PORT failed" "the refused ::1 is told"
    like "$(cat "$ERR")" "TCP connection established with 127\.0\.0\.1 port $PORT" "then 127.0.0.1 answered"
else
    skip "localhost does not resolve to both ::1 and 127.0.0.1 here"
    skip "localhost does not resolve to both ::1 and 127.0.0.1 here"
    skip "localhost does not resolve to both ::1 and 127.0.0.1 here"
fi

# ==== 6. a 304 without Content-Length =========================================

run_scraper --dump -v "$BASE/story/304"
like "$(cat "$ERR")" "Content-Length: not sent \(a 304 response has no body\)" "a 304's Content-Length: not sent"
unlike "$(cat "$ERR")" "Content-Length: 0" "not \"Content-Length: 0\""

# ==== the README's annotated example is what a plain fetch prints ==============

# Each line of the example (its notes, from column 84, left out; a wrapped
# line joined) is a line of -v for the same fetch, numbers aside; "other"
# comes and goes with the rounding.
run_scraper --dump -v "http://localhost:$PORT/page2.html"
if [ "$RC" = 0 ]; then
    is "$("$PYTHON" - "$ROOT/README.md" "$ERR" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
block = text.split("A plain fetch, as the pane shows it", 1)[1].split("```")[1]
lines = []
for l in block.strip("\n").split("\n"):
    l = l[:83].rstrip()
    if l.startswith("  ") and lines:
        lines[-1] += " " + l.strip()
    else:
        lines.append(l)
def norm(l):
    l = re.sub(r", other [0-9.]+ ms \(work between the steps\)", "", l)
    return re.sub(r"[0-9]+(\.[0-9]+)?", "N", l)
real = {norm(l) for l in open(sys.argv[2], encoding="utf-8").read().split("\n")}
print("\n".join(l for l in lines if norm(l) not in real) or "all there")
EOF
)" "all there" "every line of the README's example is a line the fetch prints"
else
    skip "localhost does not reach the test server here"
fi

# ==== the JSON's steps are the story's: one clock for both ==================

run_scraper --dump -v --format json "$BASE/story/hop?ms=300"
is "$RC" 0 "JSON and -v of one fetch"
FIRST=$(step_ms 'first byte \(the server\)')
# near: the two agree to the story's rounding (0.1 ms)
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(a != "" && b != "" && d <= 0.11 && d >= -0.11) }'; }
JSON_SERVER=$(json_get "$OUT" 'd["timings"]["steps"]["server"]')
ok 'near "$JSON_SERVER" "$FIRST"' \
   "the JSON's server step is the story's, the redirect not counted twice ($JSON_SERVER, $FIRST)"
JSON_CONNECT=$(json_get "$OUT" 'd["timings"]["steps"]["connect"]')
CONNECT=$(step_ms 'TCP connect')
ok 'near "$JSON_CONNECT" "$CONNECT"' "... and so is its connect step ($JSON_CONNECT, $CONNECT)"
is "$(json_get "$OUT" 'd["timings"]["steps"]["dns"]')" null "an IP address: no dns step"
ok '[ "$(json_get "$OUT" "d[\"timings\"][\"steps\"][\"redirects\"] > 0")" = true ]' \
   "the redirects before the last request have their own time"

JSON_SUM=$(json_get "$OUT" 'round(sum(v for k, v in d["timings"]["steps"].items() if k not in ("reused", "total") and v) - d["timings"]["steps"]["total"], 2)')
ok 'near "$JSON_SUM" 0' "the JSON's redirects, steps and other add up to its total (off by $JSON_SUM)"

# ==== a 304 says why it has no body, true to the request ====================

run_scraper --dump -v "$BASE/story/304"
like "$(grep '304 (Not Modified)' "$ERR")" "which this one did not" \
     "a 304 to a request that named no copy says so"
run_scraper --dump -v -H 'If-None-Match: "v1"' "$BASE/story/304"
like "$(grep '304 (Not Modified)' "$ERR")" "has not changed since the copy the request named" \
     "a 304 to a conditional request: the copy it named"

done_testing
