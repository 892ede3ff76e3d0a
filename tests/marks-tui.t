#!/bin/bash
# Marks on the screen: m marks the selected row and moves down, M marks
# every row the filter shows, U clears the pane's marks; a "*" column and
# the tab's "*marked/all"; marks kept through a filter, u, back, and a
# reload that finds the same rows, and cleared by one that does not.
#
# Run from the repository root:  prove -v tests/marks-tui.t
# (SCRAPER=./scraper-asan TIME_SCALE=3 prove -v tests/marks-tui.t under ASan.)

. "$(dirname "$0")/lib.sh"
require_scraper
. "$(dirname "$0")/tmux-lib.sh"
SCENARIO_ONLY=${TUI_ONLY:-.}
start_server

# wait_ok COND DESC: a test of COND, waited for (the screen may be drawn
# in more than one write): passes once COND holds, fails after the limit.
wait_ok() { wait_until "$1" "$2" && pass "$TNAME: $2"; }

# marked_row URL: the screen has URL's row with the mark before it.
marked_row() { grep -Eq -- "^\* +$(re_quote "$1")( |\$)" <<<"$SCREEN"; }
unmarked_row() { grep -Eq -- "^  +$(re_quote "$1")( |\$)" <<<"$SCREEN"; }

# --- m, M, U ------------------------------------------------------------------
t_keys() {
    tui_start NO_COLOR=1 -- "$BASE/marks/page"
    wait_screen ' 1 Links 7 ' || return
    keys m
    wait_screen ' 1 Links \*1/7 ' 5 "m marks the selected row" || return
    wait_ok 'marked_row /m/one' "the marked row shows a * (NO_COLOR: a character)"
    wait_ok 'unmarked_row /m/two' "the rows not marked have a blank mark column"
    wait_ok 'grep -Eq "$(nth_of 2 7)" <<<"$SCREEN"' "m moved the selection down"
    keys m
    wait_screen ' 1 Links \*2/7 ' || return
    wait_ok 'marked_row /m/two' "m marks the next row"
    keys k m
    wait_screen ' 1 Links \*1/7 ' 5 "m on a marked row unmarks it" || return
    wait_ok 'unmarked_row /m/two' "... its * is gone"
    keys M
    wait_screen ' 1 Links \*7/7 ' 5 "M marks every row" || return
    wait_status '7 rows marked' || return
    pass "$TNAME: M says how many rows are marked"
    keys 2
    wait_screen '^/m/pic\.png' || return
    pass "$TNAME: marks belong to their pane (Images has none)"
    wait_ok '! grep -Eq "^\* " <<<"$SCREEN"' "... and no mark column"
    keys 1 U
    wait_screen ' 1 Links 7 ' 5 "U clears the pane's marks" || return
    wait_ok '! grep -Eq "^\* " <<<"$SCREEN"' "no row shows a mark after U"
    keys 7 m
    wait_status 'marks are for the rows of the element panes' 5 "m elsewhere says where marks go" || return
    pass "$TNAME: m on the Source pane is refused with a message"
    keys 1
    quit_clean
}

# --- the filter and u ---------------------------------------------------------
t_filter_unique() {
    tui_start "$BASE/marks/page"
    wait_screen ' 1 Links 7 ' || return
    keys / ; type_text 'f'; keys Enter
    wait_screen ' 1 Links 2/7 ' || return
    keys M
    wait_screen ' 1 Links 2/7 \*2 ' 5 "M marks only the rows the filter shows" || return
    wait_ok 'marked_row /m/four && marked_row /m/five' "... four and five"
    keys Escape
    wait_screen ' 1 Links \*2/7 ' 5 "the marks outlast the filter" || return
    wait_ok 'unmarked_row /m/one && marked_row /m/four' "... on the same rows"
    keys U g j m
    wait_screen ' 1 Links \*1/7 ' || return
    wait_ok 'marked_row /m/two' "the first /m/two marked"
    keys u
    wait_screen ' 1 Links \*1/6 ' 5 "with u the marked URL is one marked row" || return
    keys g j j m
    wait_screen ' 1 Links \*2/6 ' 5 "m with u marks a row" || return
    keys g j m
    wait_screen ' 1 Links \*1/6 ' 5 "m with u unmarks /m/two" || return
    keys g j m
    wait_screen ' 1 Links \*2/6 ' 5 "m with u marks /m/two again" || return
    keys u
    wait_screen ' 1 Links \*3/7 ' 5 "u off: every record of a URL marked with u is marked" || return
    wait_ok '[ "$(grep -Ec "^\* +/m/two( |$)" <<<"$SCREEN")" = 2 ] && marked_row /m/three' \
              "... both /m/two rows, and /m/three"
    quit_clean
}

# --- back, reload -------------------------------------------------------------
t_pages() {
    tui_start "$BASE/marks/page"
    wait_screen ' 1 Links 7 ' || return
    keys m m
    wait_screen ' 1 Links \*2/7 ' || return
    keys G Enter
    wait_screen 'marks/page\?next' || return
    wait_screen ' 1 Links 7 ' 5 "a new page has no marks" || return
    keys BSpace
    wait_screen ' 1 Links \*2/7 ' 5 "back: the page's marks are kept" || return
    wait_ok 'marked_row /m/one && marked_row /m/two' "... on the same rows"
    keys r
    wait_status '^HTTP 200 ' || return
    wait_screen ' 1 Links \*2/7 ' 5 "a reload that finds the same rows keeps the marks" || return
    keys o C-u
    type_text "$BASE/marks/changing"; keys Enter
    wait_screen ' 1 Links 2 ' || return
    keys m
    wait_screen ' 1 Links \*1/2 ' || return
    keys r
    wait_status 'rows changed, so its marks are cleared' 5 \
        "a reload that finds other rows clears the marks, and says so" || return
    wait_ok 'grep -Eq " 1 Links 2 " <<<"$SCREEN"' "... the tab counts no marks"
    quit_clean
}

# --- a page let go to bound memory, fetched again by back ---------------------------
t_let_go() {
    local was=$SCRAPER n
    SCRAPER=$ROOT/scraper-smallhist   # keeps 800 KB of pages for back
    TUI_W=200 tui_start "$BASE/big?bytes=150000"
    SCRAPER=$was
    wait_until "grep -qE 'HTTP 200 .*bytes=150000([^0-9]|\$)' <<<\"\$SCREEN\"" "page 150000 shown" || return
    keys m m
    wait_screen ' 1 Links \*2/' || return
    for n in 150001 150002; do
        keys o C-u
        type_text "$BASE/big?bytes=$n"
        keys Enter
        wait_until "grep -q 'HTTP 200 .*bytes=$n' <<<\"\$SCREEN\"" "page $n shown" || return
    done
    keys h
    wait_until "grep -q 'bytes=150001' <<<\"\$SCREEN\"" "back to the page before" || return
    keys h
    wait_screen 'fetched again' || return
    wait_screen ' 1 Links \*2/' 5 "a page let go and fetched again, its rows the same, keeps its marks" || return
    wait_ok 'marked_row "/page2.html?n=00000000" && marked_row "/page2.html?n=00000001"' \
            "... on the same rows"
    quit_clean
}

scenario "mark keys" t_keys
scenario "filter and u" t_filter_unique
scenario "pages" t_pages
if [ -x "$ROOT/scraper-smallhist" ]; then
    scenario "let go" t_let_go
else
    skip "marks of a page let go: scraper-smallhist not built (make test builds it)"
fi
done_testing
