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

# page2_first: the first link of /page2.html, as the screen's first row has it.
page2_first() { echo "$BASE/"; }

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

# ==== local files ==================================================================

t_local() {
    local L=$SCRATCH/local
    mkdir -p "$L"
    printf '<title>Local one</title><a href="two.html">to two</a>\n<a href="%s/page2.html">served</a>\n' \
        "$BASE" >"$L/one.html"
    printf '<title>Local two</title><a href="http://example.invalid/from-two">from two</a>\n' >"$L/two.html"
    tui_start "$L/one.html"
    wait_status '^local file · .*file://.*/one\.html' || return
    pass "$TNAME: a path on the command line opens the local file"
    # the row shows a same-host URL as its path; the detail has it whole
    screen_ok 'grep -Eq "URL +file://$L/two\.html" <<<"$SCREEN"' "its relative link resolves against its file:// URL"
    keys g Enter
    wait_status "a page's link to a local file is not followed" || return
    pass "$TNAME: a page's link to a local file is not followed"
    keys o C-u
    type_text "$L/two.html"
    keys Enter
    wait_status '^local file · .*/two\.html' || return
    pass "$TNAME: a path typed in the URL form opens that file"
    keys h
    wait_status '^local file · .*/one\.html' || return
    keys j Enter
    wait_status "^HTTP 200 .*page2\.html" || return
    pass "$TNAME: an http link of a local page is followed"
    quit_clean
}

# ==== names of downloads ===========================================================

prepare_index() { mkdir -p "$TDIR/Files" && echo taken >"$TDIR/Files/index.html"; }

t_download_names() {
    TUI_PREPARE=prepare_index tui_start "$BASE/in/names.html"
    wait_screen "$(nth_of 1 4)" || return
    keys g d
    wait_status '^Download as Files/download$' || return
    pass "$TNAME: d asks for the name, offering the URL's"
    keys Enter
    wait_status 'downloaded Files/Q3-report\.pdf' || return
    pass "$TNAME: left as offered, the Content-Disposition name is used (Q3-report.pdf)"
    keys d
    wait_status '^Download as Files/download$' || return
    keys Enter
    wait_status 'downloaded Files/Q3-report-1\.pdf' || return
    pass "$TNAME: that name taken: a free one, Q3-report-1.pdf"
    keys d C-u
    type_text mine.pdf
    keys Enter
    wait_status 'downloaded Files/mine\.pdf' || return
    pass "$TNAME: a name typed in the prompt is kept"
    select_row 2 4 || return
    keys d Enter
    wait_status 'downloaded Files/report\.pdf' || return
    pass "$TNAME: no extension in the URL: application/pdf's (report.pdf)"
    select_row 3 4 || return
    keys d
    wait_status '^Download as Files/index-1\.html$' || return
    pass "$TNAME: /in/images/ is index.html, taken: index-1.html offered"
    keys Escape
    wait_status 'not downloaded' || return
    is "$(ls -A "$TDIR/Files" | tr '\n' ' ')" "Q3-report-1.pdf Q3-report.pdf index.html mine.pdf report.pdf " \
       "$TNAME: the files, and nothing else (Esc downloaded nothing)"
    is "$(cat "$TDIR/Files/index.html")" taken "$TNAME: the file there before is untouched"
    quit_clean
}

# ==== y in tmux ==================================================================

# tmux's default set-clipboard, external, drops a program's OSC 52: y hands
# the text to `tmux load-buffer -` as well, and says so.
t_yank_tmux() {
    tui_start "$BASE/page2.html"
    wait_screen 'HTTP 200' || return
    tm set -g set-clipboard external
    keys g
    keys y
    wait_status "URL copied to tmux's buffer" || return
    pass "$TNAME: the status line says where the URL went"
    wait_until '[ "$(tm show-buffer 2>/dev/null)" = "$(page2_first)" ]' \
        "tmux's buffer holds the selected URL ($(page2_first))" || return
    pass "$TNAME: y put the URL in tmux's buffer though set-clipboard is external"
    # the Transfer pane: its selected line
    keys 6 g
    wait_screen '^\* Host 127\.0\.0\.1 is an IP address' || return
    keys y
    wait_until '[ "$(tm show-buffer 2>/dev/null)" = "* Host 127.0.0.1 is an IP address: nothing to resolve" ]' \
        "y in the Transfer pane copies the selected line" || return
    pass "$TNAME: y in the Transfer pane copies its selected line"
    quit_clean
}

# The Source pane: the selected line, its control characters made spaces.
t_yank_source() {
    tui_start "$BASE/hostile"
    wait_screen 'HTTP 200' || return
    tm set -g set-clipboard external
    keys 7 /
    type_text 'Title '
    keys Enter
    wait_screen 'Title \^\[\]0;PWNED' || return
    keys y
    wait_status "line copied to tmux's buffer" || return
    tm show-buffer >"$TDIR/buffer" 2>/dev/null
    ok 'grep -q "PWNED" "$TDIR/buffer"' "$TNAME: y copies the selected Source line"
    is_terminal_safe "$TDIR/buffer" "$TNAME: the copied line holds no ESC, BEL or other control"
    quit_clean
}

# Outside tmux (TMUX unset) no tmux is asked; OSC 52 alone is said.
t_yank_no_tmux() {
    tui_start -u TMUX "$BASE/page2.html"
    wait_screen 'HTTP 200' || return
    tm set -g set-clipboard external
    keys y
    wait_status 'URL sent to the clipboard by OSC 52' || return
    is "$(tm list-buffers 2>/dev/null)" "" "$TNAME: no tmux buffer (TMUX unset: tmux is not asked)"
    quit_clean
}

# ==== run ========================================================================

scenario "image" t_image
scenario "JSON" t_text
scenario "large page" t_parsing
scenario "local file" t_local
scenario "download names" t_download_names
scenario "y in tmux" t_yank_tmux
scenario "y on a Source line" t_yank_source
scenario "y outside tmux" t_yank_no_tmux

done_testing
