#!/bin/bash
# What comes in and what goes out, on the screen: a body that is not HTML
# (said what it is, not parsed, saved with s or d), text shown in the Source
# pane, the "Parsing" status of a large page, local files and stdin, the
# download prompt and its names, and y's copy in tmux. The real binary in
# tmux (tests/tmux-lib.sh) against tests/server.py (its /in/ routes).
#
# Run from the repository root:  prove -v tests/input-tui.t
# (SCRAPER=./scraper-asan TIME_SCALE=3 prove -v tests/input-tui.t.)

. "$(dirname "$0")/lib.sh"
require_scraper
. "$(dirname "$0")/tmux-lib.sh"
SCENARIO_ONLY=${INPUT_TUI_ONLY:-.}
start_server

# ==== bodies that are not HTML ==================================================

t_image() {
    tui_start "$BASE/in/photo.jpg?bytes=3000000"
    wait_screen 'image/jpeg, 2\.9 MiB: an image, not a page — s or d saves it' || return
    pass "$TNAME: the list says what the body is, its type and size"
    screen_ok '[ "$(nrows)" = 0 ]' "no element rows (the <a href> in its bytes is not read)"
    keys 7
    wait_screen '7 Source' || return
    wait_screen '^ image/jpeg, 2\.9 MiB: an image' || return
    screen_ok '! grep -q "�" <<<"$SCREEN"' "the Source pane shows no binary as U+FFFD"
    keys d
    wait_screen '^Save as Files/photo\.jpg' || return
    pass "$TNAME: d on a body that is not a page offers to save it"
    keys Enter
    wait_until '[ -f "$TDIR/Files/photo.jpg" ]' "Enter saves Files/photo.jpg" || return
    is "$(stat -c %s "$TDIR/Files/photo.jpg")" 3000000 "$TNAME: all 3,000,000 bytes saved"
    quit_clean
}

t_text() {
    tui_start "$BASE/in/data.json"
    wait_screen 'TEXT-MARK café' || return
    pass "$TNAME: a JSON body opens on the Source pane, as text"
    screen_ok 'grep -q "text/json\|application/json" <<<"$SCREEN"' "the status line names its type"
    keys 1
    wait_screen '^ application/json, [0-9]+ B: text, not HTML — the Source pane \(7\) shows it' || return
    pass "$TNAME: the Links pane says it was not parsed, and where to look"
    quit_clean
}

# A large page: "Parsing" while libxml2 reads it, then the page.
t_parsing() {
    tui_start "$BASE/big?bytes=20000000"
    wait_status '^Parsing 19\.1 MiB' 20 || return
    pass "$TNAME: the status line says Parsing while a 20 MB page is parsed"
    wait_status '^HTTP 200 .* elements' 60 || return
    quit_clean
}

# ==== run ========================================================================

scenario "image" t_image
scenario "JSON" t_text
scenario "large page" t_parsing

done_testing
