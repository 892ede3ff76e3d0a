#!/bin/bash
# The download queue and link checks on the screen: D queues the marked
# rows (else the selected one), the Downloads pane (9) shows each item's
# state, bytes, rate and ETA under a total line; Esc cancels the selected
# item, X all of them; q with downloads running asks once. c checks the
# marked rows (else the shown ones): a status column streams in, and the
# filter selects by it (/!ok, /status:404).
#
# Run from the repository root:  prove -v tests/queue-tui.t
# (SCRAPER=./scraper-asan TIME_SCALE=3 prove -v tests/queue-tui.t under ASan.)

. "$(dirname "$0")/lib.sh"
require_scraper
. "$(dirname "$0")/tmux-lib.sh"
SCENARIO_ONLY=${TUI_ONLY:-.}
start_server

# no_temp: nothing of a temp file in the scenario's Files/.
no_temp() {
    is "$(find "$TDIR/Files" -name '.scraper-*' 2>/dev/null | wc -l)" 0 "$TNAME: $1"
}

# --- progress, the per-host limit, Esc, X -------------------------------------
t_progress() {
    tui_start NO_COLOR=1 -- "$BASE/q/slow-page?n=100000&c=8"
    wait_screen ' 1 Links 8 ' || return
    keys M D
    wait_status '8 queued into Files' 5 "D queues the marked rows" || return
    keys 9
    wait_screen '^active +[0-9.]+ (B|KiB)/97.7 KiB +[0-9.]+ KiB/s +ETA [0-9]+ s +slow' 5 \
        "an active item shows bytes of the size, its rate and ETA" || return
    wait_screen '^0 done, 4 active, 4 queued, 0 failed, 0 skipped · [0-9.]+ KiB/s' 5 \
        "the total line: 4 at once to one host (--per-host 4)" || return
    screen_ok 'grep -Eq " Downloads 0/8( |$)" <<<"$SCREEN"' "the tab says how many are over"
    keys j j Escape
    wait_screen '^skipped .* slow — cancelled' 5 "Esc cancels the selected item" || return
    wait_screen ', 1 skipped ·' || return
    wait_screen ' Downloads 1/8( |$)' 5 "the tab counts an item over though one before it runs" || return
    keys X
    wait_screen '^0 done, 0 active, 0 queued, 0 failed, 8 skipped' 5 "X cancels all" || return
    wait_status '7 downloads cancelled' || return
    no_temp "nothing is left of the cancelled downloads"
    quit_clean
}

# --- done, failed, a 429 tried again, names as d's ---------------------------
t_gallery() {
    tui_start NO_COLOR=1 -- "$BASE/q/gallery?k=tui"
    wait_screen ' 2 Images 7 ' || return
    keys 2 M D 9
    wait_screen '^5 done, 0 active, 0 queued, 1 failed, 1 skipped' 10 "all over in the end" || return
    screen_ok 'grep -Eq "^failed .*missing.png — HTTP status 404" <<<"$SCREEN"' "a 404 fails, said so"
    screen_ok 'grep -Eq "^done .*busy.png → Files/busy.png" <<<"$SCREEN"' \
        "a 429 is tried again and saved"
    screen_ok 'grep -Eq "^done .*a-1.png → Files/a-1.png" <<<"$SCREEN" && grep -Eq "^done .* a.png → Files/a.png" <<<"$SCREEN"' \
        "a name taken: name-1.ext"
    screen_ok 'grep -Eq "^done .*photo.jpg → Files/photo.jpg" <<<"$SCREEN"' \
        "a Content-Disposition name"
    is "$(cat "$TDIR/Files/busy.png")" "PNG busy" "$TNAME: the file is the 200's body"
    keys 2 U j D 9
    wait_screen '^done .*a-2.png → Files/a-2.png' 5 "D again downloads again, under a free name" || return
    quit_clean
}

# --- q with downloads running asks once -------------------------------------
t_quit() {
    tui_start -- "$BASE/q/slow-page?n=400000&c=2"
    wait_screen ' 1 Links 2 ' || return
    keys M D 9
    wait_screen '^active ' || return
    keys q
    wait_status '2 downloads not done: q again quits and drops them' 5 "q asks once" || return
    screen_ok '[ ! -s "$TDIR/exitfile" ]' "... and does not quit"
    quit_clean
    no_temp "quitting leaves no temp file"
    is "$(ls "$TDIR/Files" | wc -l)" 0 "$TNAME: nor a file"
}

# --- keys stay quick with 6 transfers running --------------------------------
t_responsive() {
    tui_start -- --per-host 6 "$BASE/q/slow-page?n=400000&c=6"
    wait_screen ' 1 Links 6 ' || return
    keys M D 9
    wait_screen '^0 done, 6 active' 5 "6 transfers at once" || return
    keys 1
    wait_screen ' 1 Links \*6/6 ' || return
    local t0=$EPOCHREALTIME
    keys j j j j j
    wait_screen "$(nth_of 6 6)" 2 "five keys move five rows at once" || return
    ok "awk -v a=$t0 -v b=\$EPOCHREALTIME -v k=\${TIME_SCALE:-1} 'BEGIN { exit !(b - a < 1 * k) }'" \
        "$TNAME: ... within a second"
    keys X
    wait_status 'cancelled' || return
    quit_clean
}

# --- the check column and the filter by status ---------------------------------
t_check() {
    tui_start NO_COLOR=1 -- "$BASE/q/links"
    wait_screen ' 1 Links 12 ' || return
    keys c
    wait_status 'checking 12 links' 5 "c checks every row shown" || return
    wait_screen '^404 +/q/gone ' 5 "a 404 in the status column (NO_COLOR: the words)" || return
    wait_screen '^skipped +mailto:' || return
    wait_gone '^… ' 15 || return # every answer in (HEAD refused asks again with GET)
    screen_ok 'grep -Eq "^200 +/q/ok " <<<"$SCREEN"' "200 for a page that is there"
    screen_ok 'grep -Eq "^200 +/q/nohead " <<<"$SCREEN"' "HEAD refused: GET says 200"
    screen_ok 'grep -Eq "^301→200 +/q/moved " <<<"$SCREEN"' "a redirect: 3xx→final"
    screen_ok 'grep -Eq "^#missing +/q/target#nowhere " <<<"$SCREEN"' "a missing #fragment"
    screen_ok 'grep -Eq "^refused +http://127.0.0.1:1/ " <<<"$SCREEN"' "a refused port: in a word"
    keys / ; type_text '!ok'; keys Enter
    wait_screen ' 1 Links 4/12 ' 5 "/!ok keeps the broken links" || return
    screen_ok '! grep -Eq "^200 " <<<"$SCREEN"' "... and no 200"
    keys Escape / ; type_text 'status:404'; keys Enter
    wait_screen ' 1 Links 1/12 ' 5 "/status:404 keeps the 404" || return
    screen_ok 'grep -Eq "^404 +/q/gone " <<<"$SCREEN"' "... /q/gone"
    keys Escape
    quit_clean
}

# --- marked rows only; colours ---------------------------------------------------
t_check_marked() {
    tui_start -- "$BASE/q/links"
    wait_screen ' 1 Links 12 ' || return
    keys j m
    wait_screen ' 1 Links \*1/12 ' || return
    keys c
    wait_status 'checking 1 link' 5 "c checks the marked row only" || return
    wait_screen '404 +/q/gone ' || return
    screen_ok '! grep -Eq "200 +/q/ok " <<<"$SCREEN"' "... not the others"
    ok 'grep -q $'"'"'\e\[31m404\|\e\[31m\e\[[0-9;]*m404\|31m.\{0,12\}404'"'"' "$TDIR/raw.log"' \
        "$TNAME: a broken status is drawn in red"
    quit_clean
}

# --- the page's own #fragments: from the ids its parse kept, once it keeps them
t_check_self() {
    : >"$SERVER_LOG"
    tui_start -- "$BASE/q/links?self"
    wait_screen ' 1 Links 12 ' || return
    keys c
    wait_screen '200 +/q/links.self#self ' 5 "a #fragment of the page found" || return
    is "$(grep -c '^GET /q/links?self' "$SERVER_LOG")" 2 \
        "$TNAME: the first check fetches the page again for its ids"
    keys r
    wait_status 'HTTP 200' || return
    keys c
    wait_screen '200 +/q/links.self#self ' 5 "the check after a reload" || return
    wait_screen '^404 ' || return
    is "$(grep -c '^GET /q/links?self' "$SERVER_LOG")" 3 \
        "$TNAME: a page parsed since keeps its ids: no request for its own #fragments"
    quit_clean
}

scenario "progress" t_progress
scenario "gallery" t_gallery
scenario "quit" t_quit
scenario "responsive" t_responsive
scenario "check" t_check
scenario "check marked" t_check_marked
scenario "check self" t_check_self
done_testing
