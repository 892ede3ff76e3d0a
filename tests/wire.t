#!/bin/bash
# What the Transfer story (the pane, `--dump -v`) and the JSON tell of the
# connection itself: both ends of the socket, a connection re-used (on
# several inputs, a same-host redirect, a reload on the screen) and how old
# it was, whether it stayed open or was closed and why.
#
# Run from the repository root:  prove -v tests/wire.t
# (SCRAPER=./scraper-asan TIME_SCALE=3 prove -v tests/wire.t for the
# sanitizer build.)

. "$(dirname "$0")/lib.sh"
require_scraper
start_server

# between LOW HIGH VALUE: LOW <= VALUE <= HIGH (floats).
between() { awk -v l="$1" -v h="$2" -v v="$3" 'BEGIN { exit !(v != "" && v >= l && v <= h) }'; }

# story N: the story of the Nth input of the last run (each begins where the
# one before printed its "Found" line, or its error).
story() {
    awk -v n="$1" 'BEGIN { k = 1 } k == n { print } /^\* Found [0-9]+ element|^scraper: / { k++ }' "$ERR"
}

# ==== the two ends of the socket ================================================

run_scraper --dump -v "$BASE/wire/peer"
is "$RC" 0 "a page that names the client's end: fetched"
PEER=$(grep -Eo '^\* Title: peer 127\.0\.0\.1 port [0-9]+' "$ERR" | grep -Eo '[0-9]+$')
like "$(cat "$ERR")" "TCP connection established with 127\.0\.0\.1 port $PORT \(connection #0; this machine's end: 127\.0\.0\.1 port $PEER\)" \
     "the story names both ends: the server's and this machine's port, as the server saw it ($PEER)"

# ==== a connection re-used, and what became of it ===============================

run_scraper --dump -v "$BASE/wire/ka" "$BASE/wire/ka"
is "$RC" 0 "two inputs on a server that keeps the connection open"
like "$(story 1)" "Connection #0 stays open: the next request to this host and port can use it" \
     "the first says the connection stays open"
like "$(story 2)" "^\* Re-using the connection to 127\.0\.0\.1 \(127\.0\.0\.1 port $PORT, from 127\.0\.0\.1 port [0-9]+ here\) opened [0-9]+\.[0-9] s ago \(connection #0\): no lookup, no new TCP connection" \
     "the second says it re-used that connection, with its two ends and its age"
unlike "$(story 2)" "Trying|TCP connection established" "... and made no connection of its own"
like "$(story 2 | grep '^\* Times')" "^\* Times: no DNS, TCP connect or TLS handshake \(a re-used connection\), request sent" \
     "its times have no connection steps, rather than \"not reached\" or 0.0 ms"

run_scraper --dump -v "$BASE/wire/ka-hop"
is "$RC" 0 "a same-host redirect on a kept connection"
like "$(cat "$ERR")" "Following the redirect to [^
]*
\* Re-using the connection to 127\.0\.0\.1 .* \(connection #0\)" "the redirect's request re-uses the connection"
is "$(grep -c 'TCP connection established' "$ERR")" 1 "one connection for both requests"

run_scraper --dump -v "$BASE/wire/close"
like "$(cat "$ERR")" "Connection #0 closed: the server's answer said Connection: close" \
     "closed, because the server said Connection: close"
run_scraper --dump -v "$BASE/wire/http10"
like "$(cat "$ERR")" "Connection #0 closed: the server answered in HTTP/1.0, which closes after each answer" \
     "closed, because the answer was HTTP/1.0"
run_scraper --dump -v "$BASE/truncated"
like "$(cat "$ERR")" "Connection #0 closed: the fetch failed" "closed after a failed fetch"
run_scraper --dump -v "http://127.0.0.1:$(free_port)/"
unlike "$(cat "$ERR")" "Connection #" "no connection was made: none is said to close"

# ==== the screen: a reload re-uses the connection ================================

. "$(dirname "$0")/tmux-lib.sh"
SCENARIO_ONLY=${TUI_ONLY:-.}
TUI_W=200 # the story's lines unwrapped

t_reload_reuses() {
    local t0 age
    tui_start "$BASE/wire/ka"
    wait_status '^HTTP 200 ' || return
    t0=$EPOCHREALTIME
    keys 6
    wait_screen "^\* TCP connection established with 127\.0\.0\.1 port $PORT \(connection #0; this machine's end" || return
    pass "$TNAME: the Transfer pane names both ends"
    wait_until 'awk -v a="$t0" -v b="$EPOCHREALTIME" "BEGIN { exit !(b - a >= 1.2) }"' "a second passes" || return
    keys r
    wait_screen '^\* Re-using the connection to 127\.0\.0\.1 .*opened [0-9.]+ s ago' || return
    age=$(grep -Eo 'opened [0-9.]+ s ago' <<<"$SCREEN" | grep -Eo '[0-9.]+')
    ok 'between 1.0 $(scaled 30) "$age"' "$TNAME: a reload says the connection was opened $age s ago (at least the second waited)"
    screen_ok '! grep -Eq "TCP connect 0\.0 ms|TCP connect not reached" <<<"$SCREEN"' \
        "$TNAME: ... and never \"TCP connect 0.0 ms\""
    quit_clean
}

scenario "a reload re-uses the connection" t_reload_reuses
done_testing
