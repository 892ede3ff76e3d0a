#!/usr/bin/env bash
# 200 page loads in one session of the screen (fault matrix row R04): the
# open descriptors and the memory stay flat. The page is reloaded with r,
# each load waited for in the server's log; descriptors and RSS are read
# from /proc after 20 loads and after 200.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || { echo "1..0 # SKIP tmux missing"; exit 0; }
start_server
SOCK=$SCRATCH/tmux.sock
tm() { tmux -S "$SOCK" "$@"; }
at_exit 'tm kill-server 2>/dev/null'

URL=$BASE/page2.html
tm -f /dev/null new-session -d -s t -x 100 -y 30 \
    "cd '$SCRATCH' && echo \$\$ >pid && exec env LANG=C.UTF-8 TERM=xterm-256color '$SCRAPER' '$URL'"

loads() { grep -c "^GET /page2.html" "$SERVER_LOG"; }

# wait_loads N: until the server has seen N requests and the page is shown
wait_loads() {
    local i
    for i in $(seq "$(scaled 200)"); do
        [ "$(loads)" -ge "$1" ] && tm capture-pane -p -t t | grep -q "HTTP 200" && return 0
        sleep 0.05
    done
    diag "after $(loads) loads (wanted $1):" "$(tm capture-pane -p -t t)"
    return 1
}

# reload_until N: press r and wait for each load, up to N loads in all
reload_until() {
    while [ "$(loads)" -lt "$1" ]; do
        local want=$(($(loads) + 1))
        tm send-keys -t t r
        wait_loads "$want" || return 1
    done
}

fds() { ls "/proc/$(cat "$SCRATCH/pid")/fd" | wc -l; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$(cat "$SCRATCH/pid")/status"; }

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
tm send-keys -t t q
for _ in $(seq "$(scaled 100)"); do
    kill -0 "$(cat "$SCRATCH/pid")" 2>/dev/null || break
    sleep 0.05
done
ok '! kill -0 "$(cat "$SCRATCH/pid")" 2>/dev/null' "q ends the session after 200 loads"

done_testing
