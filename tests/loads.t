#!/usr/bin/env bash
# 200 page loads in one session of the screen: the open descriptors and
# the memory stay flat. The page is reloaded with r, each load waited for
# in the server's log; descriptors and RSS are read from /proc after 20
# loads and after 200.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tmux-lib.sh"
start_server

URL=$BASE/page2.html
tui_start "$URL"

loads() { grep -c "^GET /page2.html" "$SERVER_LOG"; }

# wait_loads N: until the server has seen N requests and the page is shown
wait_loads() {
    local i
    for i in $(seq "$(scaled 200)"); do
        [ "$(loads)" -ge "$1" ] && capture && grep -q "HTTP 200" <<<"$SCREEN" && return 0
        sleep 0.05
    done
    capture
    diag "after $(loads) loads (wanted $1):" "$SCREEN"
    return 1
}

# reload_until N: press r and wait for each load, up to N loads in all
reload_until() {
    while [ "$(loads)" -lt "$1" ]; do
        local want=$(($(loads) + 1))
        keys r
        wait_loads "$want" || return 1
    done
}

fds() { ls "/proc/$(cat "$TDIR/pid")/fd" | wc -l; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$(cat "$TDIR/pid")/status"; }

wait_loads 1 || { echo "Bail out! the first page did not load"; exit 255; }
reload_until ${LOADS_FIRST:-20} || { echo "Bail out! reloads stalled"; exit 255; }
fd20=$(fds) rss20=$(rss)
reload_until ${LOADS:-200} || { echo "Bail out! reloads stalled"; exit 255; }
fd200=$(fds) rss200=$(rss)

is "$fd200" "$fd20" "open descriptors after 200 loads equal those after 20 ($fd20)"
case $SCRAPER in
*asan*) skip "RSS under ASan: its quarantine keeps freed memory" ;;
*) ok '[ $((rss200 - rss20)) -lt 1024 ]' "RSS after 200 loads within 1 MiB of after 20 ($rss20 -> $rss200 KiB)" ;;
esac
keys q
for _ in $(seq "$(scaled 100)"); do
    kill -0 "$(cat "$TDIR/pid")" 2>/dev/null || break
    sleep 0.05
done
ok '! kill -0 "$(cat "$TDIR/pid")" 2>/dev/null' "q ends the session after 200 loads"

done_testing
