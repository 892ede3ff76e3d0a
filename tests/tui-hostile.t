#!/bin/bash
# The screen against what would crash, freeze or garble it: a run of
# zero-width characters on a wide terminal, a fatal signal (the terminal
# must come back), a long parse (keys, Esc and signals are heard meanwhile),
# a filtered Transfer pane whose story is freed under it, Ctrl-S, a page
# arriving under the save prompt, a second download, and the memory bound
# of the pages kept for back. tmux drives the real binary, as in tui.t.
. "$(dirname "$0")/lib.sh"
require_scraper
. "$(dirname "$0")/tmux-lib.sh"
start_server
F=$BASE/fault

# alive DESC: the program still runs and its screen has the status line.
alive() {
    capture
    if kill -0 "$(cat "$TDIR/pid" 2>/dev/null)" 2>/dev/null && [ ! -s "$TDIR/exitfile" ] &&
       grep -q '? help' <<<"$SCREEN"; then
        pass "$TNAME: $1"
    else
        fail "$TNAME: $1"
        _diag_state
    fi
}

# ---- 5,000 combining marks: zero columns each --------------------------------

TNAME="zero-width run at 1000 columns"
TUI_W=1000 tui_start "$F/zero-width"
wait_screen 'zero width spaces'
alive "the Links pane is drawn"
keys 7
wait_screen '^ +1 '
alive "the Source pane is drawn"
keys j j 1 j
alive "moving over the rows"
quit_clean

# ---- a fatal signal gives the terminal back ----------------------------------

TNAME="SIGSEGV"
tui_start "$BASE/"
wait_status '^HTTP 200 '   # the page arrived, not only the tab bar
kill -SEGV "$(cat "$TDIR/pid")"
terminal_restored

# ---- a long parse: the screen is alive, Esc and signals are heard ------------

# 4,000,000 start tags take seconds to parse (the stray end tags after them
# are cut short by the guard).
LONG="$F/stray-end-tags?n=4000000"

TNAME="during a long parse"
tui_start "$LONG"
wait_screen 'Parsing' 10
keys '?'
wait_screen 'Keys \(j/k scroll'
keys q
keys Escape
wait_screen 'parse cancelled'
keys 6 G
wait_screen 'Cancelled while parsing'
alive "after Esc, the story of the fetch stays"
quit_clean

TNAME="SIGTERM during a long parse"
tui_start "$LONG"
wait_screen 'Parsing' 10
t0=$EPOCHREALTIME
kill -TERM "$(cat "$TDIR/pid")"
wait_exit 5
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
is "$EXIT" "exit=143" "$TNAME: exit 143"
ok "awk -v t=$took -v k=${TIME_SCALE:-1} 'BEGIN { exit !(t < 0.5 * k) }'" \
    "$TNAME: ended within 0.5 s (took $took s)"
terminal_restored

# ---- a filtered Transfer pane whose story is freed -----------------------------

TNAME="filtered story replaced"
tui_start "$BASE/"
wait_status '^HTTP 200 '   # the page arrived, not only the tab bar
keys o C-u
type_text "http://127.0.0.1:1/"
keys Enter
wait_screen "Couldn.t connect to server"
keys 6 /
type_text e
keys Enter
keys r
wait_screen "Couldn.t connect to server"
keys r
wait_screen "Couldn.t connect to server"
keys j k G g
alive "a failed fetch freed the filtered story: still alive"
quit_clean

# ---- Ctrl-S is a key, not flow control --------------------------------------

TNAME="Ctrl-S"
tui_start "$BASE/"
wait_status '^HTTP 200 '   # the page arrived, not only the tab bar
keys C-s
keys '?'
wait_screen 'Keys \(j/k scroll' "" "the screen still answers after Ctrl-S"
keys q
quit_clean

# ---- mouse reports the program did not ask for ------------------------------

TNAME="X10 mouse report and right click"
tui_start "$BASE/"
wait_status '^HTTP 200 '   # the page arrived, not only the tab bar
tm send-keys -t t -H 1b 5b 4d 20 71 25   # X10: a press at column 81 ("q" as a byte)
tm send-keys -t t -H 1b 5b 3c 32 3b 31 30 3b 34 4d 1b 5b 3c 32 3b 31 30 3b 34 6d  # SGR right click
keys '?'
wait_screen 'Keys \(j/k scroll' "" "the report is not read as keys, and the screen still answers"
alive "still running"
keys q
quit_clean

# ---- the save prompt, and a page arriving under it ---------------------------

TNAME="save prompt across a page arrival"
tui_start "$BASE/"
wait_status '^HTTP 200 '   # the page arrived, not only the tab bar
keys o C-u
type_text "$BASE/slow"
keys Enter
keys s C-u
type_text "mine.html"
wait_until '[ "$(grep -c "GET /slow" "$SERVER_LOG")" -ge 1 ]' "the slow page is asked for"
sleep "$(scaled 4)"   # /slow takes 3 s: it arrives while the prompt is open
capture
screen_ok 'grep -q "Save as Files/mine.html" <<<"$SCREEN"' "the typed name is still there"
keys Enter
wait_screen 'saved Files/mine.html'
ok 'grep -q "Démo" "$TDIR/Files/mine.html"' "$TNAME: the page the prompt was opened on is saved"
quit_clean

# ---- a second d while a download runs ----------------------------------------

TNAME="second download"
tui_start "$F/dl-page"
wait_screen 'slow download'
keys d Enter
wait_screen 'Downloading'
keys j d
wait_screen 'a download is running'
wait_screen 'downloaded Files/slow.bin' 15
ok '[ -s "$TDIR/Files/slow.bin" ]' "$TNAME: the first download was not dropped"
quit_clean

# ---- the pages kept for back are bounded in memory ---------------------------

SMALL=$ROOT/scraper-smallhist
if [ -x "$SMALL" ]; then
    TNAME="history memory bound"
    SCRAPER_WAS=$SCRAPER
    SCRAPER=$SMALL
    TUI_W=200 tui_start "$BASE/big?bytes=150000"
    # the first page arrived (the tab bar alone is there before it)
    wait_until "grep -qE 'HTTP 200 .*bytes=150000([^0-9]|\$)' <<<\"\$SCREEN\"" "page 150000 shown"
    for n in 150001 150002; do
        keys o C-u
        type_text "$BASE/big?bytes=$n"
        keys Enter
        # the status line of the page arrived, not the URL as typed in the form
        wait_until "grep -q 'HTTP 200 .*bytes=$n' <<<\"\$SCREEN\"" "page $n shown"
    done
    keys h
    wait_until "grep -q 'bytes=150001' <<<\"\$SCREEN\"" "back to the page before"
    is "$(grep -cx 'GET /big?bytes=150001' "$SERVER_LOG")" 1 "$TNAME: the last page is kept"
    keys h
    wait_screen 'fetched again'
    keys g   # the message gives way to the page's line
    wait_until "grep -qE 'bytes=150000([^0-9]|\$)' <<<\"\$SCREEN\"" "the first page is shown again"
    is "$(grep -cx 'GET /big?bytes=150000' "$SERVER_LOG")" 2 "$TNAME: the first page was fetched again"
    quit_clean
    SCRAPER=$SCRAPER_WAS
else
    skip "scraper-smallhist not built (make test builds it)"
fi

done_testing
