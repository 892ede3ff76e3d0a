#!/bin/bash
# The screen as a new user reads it, through tmux against tests/server.py
# (its /screen/ pages): the filter's words, the unique toggle and
# --unique, the tab bar and the help at 80 and 120 columns, the element
# rows at 80, 120 and 200 columns, and the Source pane's long lines.
#
# Run from the repository root:  prove -v tests/screen.t
# (SCRAPER=./scraper-asan TIME_SCALE=3 for the sanitizer build;
# SCREEN_ONLY=ERE runs the scenarios whose function matches.)

. "$(dirname "$0")/lib.sh"
require_scraper
. "$(dirname "$0")/tmux-lib.sh"
SCENARIO_ONLY=${SCREEN_ONLY:-.}
start_server
ROWS=$BASE/screen/rows.html

# tabs_line: the first row of the screen (the tab bar).
tabs_line() { head -1 <<<"$SCREEN"; }

# --- the filter: words ANDed, !word excludes -------------------------------
t_filter_words() {
    tui_start "$ROWS"
    wait_screen 'Links 7 ' || return
    keys /
    type_text "news sport"
    wait_screen 'Links 3/7' || return
    pass "$TNAME: /news sport: the rows holding both words (3 of 7)"
    keys Escape
    wait_screen 'Links 7 ' || return
    keys /
    type_text "!127.0.0.1"
    wait_screen 'Links 1/7' || return
    screen_ok 'grep -q "other.example" <<<"$SCREEN"' "/!127.0.0.1: the one external link"
    keys Escape
    wait_screen 'Links 7 ' || return
    keys /
    type_text "!n"
    wait_screen 'Links 1/7' || return
    type_text "e"
    wait_screen 'Links 2/7' || return
    pass "$TNAME: !n then !ne: a longer !word lets rows back in (not narrowed)"
    keys BSpace BSpace BSpace
    type_text "news tennis"
    wait_screen 'Links 3/7' || return
    pass "$TNAME: words typed after a deletion filter again"
    keys Enter
    keys '?'
    wait_screen 'Keys \(' || return
    screen_ok 'grep -q "rows with every word" <<<"$SCREEN"' "the help says the filter's syntax"
    keys q
    wait_gone 'Keys \(' || return
    quit_clean
}

# --- the tab bar at 80 columns, the help wrapped at 80 and 120 -------------
t_tabs_help() {
    local w
    for w in 80 120; do
        TUI_W=$w
        tui_start "$ROWS"
        wait_screen 'Links 7 ' || return
        if [ "$w" = 80 ]; then
            screen_ok 'tabs_line | grep -Eq " 1 Links 7 .* 2 Imgs 2 .* 3 Media 0 .* 4 Embeds 0 .* 5 Res 0 .* 6 Xfer .* 7 Src( |$)"' \
                "80 columns: every tab readable, with its count"
            keys 6
            wait_screen ' 6 Transfer ' || return
            screen_ok 'tabs_line | grep -Eq " 1 Links 7 .* 2 Imgs 2 .* 6 Transfer .* 7 Src( |$)"' \
                "80 columns: the current tab has its whole name"
            keys 1
        fi
        keys '?'
        wait_screen 'Keys \(' || return
        screen_ok 'grep -q "^ */ .*filter the current pane" <<<"$SCREEN" && grep -Eq "^ {20,}.*Esc clears\$" <<<"$SCREEN"' \
            "$w columns: a long help line wraps under its text (the end is shown)"
        screen_ok '! head -n -1 <<<"$SCREEN" | grep -q "…"' "$w columns: no help line is cut"
        keys q
        wait_gone 'Keys \(' || return
        quit_clean
        tui_stop
    done
    TUI_W=100
}

scenario filter-words t_filter_words
scenario tabs-help t_tabs_help
done_testing
