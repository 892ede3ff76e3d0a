#!/bin/bash
# curl's request options on the screen: a -H header and the cookies (one
# given with -b, one the server sets) go with the screen's first fetch and
# with a follow, as the server sees them; -c writes the jar at q.
#
# Run from the repository root:  prove -v tests/request-tui.t
# (SCRAPER=./scraper-asan prove -v tests/request-tui.t for the sanitizer build.)

. "$(dirname "$0")/lib.sh"
require_scraper
. "$(dirname "$0")/tmux-lib.sh"
SCENARIO_ONLY=${TUI_ONLY:-.}
start_server

# request PATH: the lines the server logged of the last GET of PATH.
request() { server_request GET "$1"; }

t_request_options() {
    tui_start -- -H "X-Screen: yes" -b "given=1" -c "$SCRATCH/jar.txt" "$BASE/cookie/set"
    wait_screen "$(nth_of 1 1)" || return
    like "$(request /cookie/set)" "X-Screen: yes" "$TNAME: the first fetch sends the -H header"
    like "$(request /cookie/set)" "Cookie: given=1" "$TNAME: ... and the -b cookie"
    keys Enter
    wait_until 'grep -q "GET /cookie/need" "$SERVER_LOG"' "the follow reaches the server" || return
    wait_screen 'HTTP 200 .*/cookie/need' || return
    pass "$TNAME: the follow is let in: the cookie the server set went with it"
    like "$(request /cookie/need)" "X-Screen: yes" "$TNAME: the follow sends the -H header"
    like "$(request /cookie/need)" "Cookie: .*session=s3cret-cookie" \
        "$TNAME: ... the server's cookie"
    like "$(request /cookie/need)" "Cookie: .*given=1" "$TNAME: ... and the -b cookie"
    keys r
    wait_until '[ "$(grep -c "GET /cookie/need" "$SERVER_LOG")" = 2 ]' "the reload reaches the server" || return
    like "$(request /cookie/need)" "Cookie: .*session=s3cret-cookie" "$TNAME: a reload keeps the cookie"
    quit_clean
    like "$(cat "$SCRATCH/jar.txt" 2>&1)" "session.s3cret-cookie" "$TNAME: -c: the jar written at q"
}

scenario "request options" t_request_options
done_testing
