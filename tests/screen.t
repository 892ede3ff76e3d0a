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

# --- the element rows at 80, 120 and 200 columns ---------------------------
# row_of TEXT: the first row of the screen with TEXT (the text column).
row_of() { grep -F -- "$1" <<<"$SCREEN" | head -1; }
# col_of STRING LINE: the column (from 0, in characters) where STRING
# starts in LINE.
col_of() { local pre=${2%%"$1"*}; echo "${#pre}"; }

t_rows() {
    local w hearing tennis x1 x2
    for w in 80 120 200; do
        TUI_W=$w
        tui_start "$ROWS"
        wait_screen 'Links 7 ' || return
        hearing=$(row_of "Comey hearing text")
        tennis=$(row_of "Tennis news")
        screen_ok '[[ $hearing == "/news/"*"-committee.html "*"Comey hearing text"* ]]' \
            "$w columns: a long URL of the page's host: its path, cut in the middle, its end and its text shown"
        screen_ok '[[ $(row_of "Sport elsewhere") == "http://other"*"final-score-of-the-match.html "* ]]' \
            "$w columns: another host's URL whole from its scheme, with its end"
        x1=$(col_of "Comey hearing text" "$hearing") x2=$(col_of "Tennis news" "$tennis")
        screen_ok '[ "$x1" = "$x2" ] && [ "$x1" -gt 20 ]' "$w columns: the texts start in one column ($x1, $x2)"
        screen_ok '! list_rows | grep -q "^a "' "$w columns: a pane of a href only: no tag column"
        screen_ok 'grep -Eq "URL +http://127\.0\.0\.1:$PORT/news/2017" <<<"$SCREEN"' \
            "$w columns: the detail keeps the full URL"
        keys 2
        wait_screen 'James Comey at the hearing' || return
        screen_ok '[[ $(row_of "James Comey at the hearing") == "/images/"*"/13comey-articleLarge-v2.jpg "* ]]' \
            "$w columns: an image row: the file name and the alt text"
        quit_clean
        tui_stop
    done
    TUI_W=100
    tui_start "$BASE/screen/mixed.html"
    wait_screen 'Links 2 ' || return
    screen_ok 'grep -Eq "^a href +/one\.html +One\$" <<<"$SCREEN" && grep -Eq "^area href /two\.html +Two\$" <<<"$SCREEN"' \
        "a pane that mixes tags: the tag and attribute in a column of their own"
    quit_clean
}

# --- unique URLs: u on the screen, --unique in --dump -----------------------
t_unique() {
    tui_start "$ROWS"
    wait_screen 'Links 7 ' || return
    keys G
    wait_screen "$(nth_of 7 7)" || return
    keys k k
    wait_screen 'Tennis again' || return
    wait_screen "$(nth_of 5 7)" || return
    keys u
    wait_screen 'Links 5 ' || return
    screen_ok '[ "$(nrows)" = 5 ] && [ "$(list_rows | grep -c "/news/sport/tennis.html")" = 1 ]' \
        "u: one row per URL (5 of 7)"
    screen_ok 'grep -Eq "^3× /news/sport/tennis\.html +Tennis news\$" <<<"$SCREEN" && ! grep -q "1×" <<<"$SCREEN"' \
        "u: the first of the three kept, its count shown (only for a repeated URL)"
    screen_ok 'grep -q "3 of 5 URLs · 3 records with it" <<<"$SCREEN"' \
        "u: the selection moved to the kept row of the URL that was selected"
    keys /
    type_text "tennis"
    wait_screen 'Links 1/5' || return
    pass "$TNAME: the filter with u: over the unique rows"
    keys Escape
    keys u
    wait_screen 'Links 7 ' || return
    screen_ok '[ "$(nrows)" = 7 ] && ! grep -q "×" <<<"$SCREEN"' "u again: every row"
    quit_clean
    run_scraper --dump --unique "$ROWS"
    is "$(cut -f4 "$OUT" | sort | uniq -d)" "" "--dump --unique: no URL twice"
    is "$(wc -l <"$OUT" | tr -d ' ')" 7 "--dump --unique: 5 links and 2 images of 9 records"
    is "$(grep -c "tennis" "$OUT")" 1 "--dump --unique: the tennis page once"
    like "$(grep tennis "$OUT")" "Tennis news\$" "--dump --unique: the first record of the URL kept"
    run_scraper --dump --unique --format json "$ROWS"
    is "$("$PYTHON" -c 'import json,sys; e=json.load(open(sys.argv[1]))["elements"]; print(len(e), len({x["url"] for x in e}), e[2]["text"])' "$OUT")" \
       "7 7 Tennis news" "--dump --unique --format json: 7 elements, 7 URLs, the first kept"
    run_scraper --dump "$ROWS"
    is "$(wc -l <"$OUT" | tr -d ' ')" 9 "--dump without --unique: all 9 records"
}

# --- the Source pane's long lines: < >, w, the match in view, #, tabs --------
# cont_rows: rows of a wrapped line after its first (no line number).
cont_rows() { head -n -1 <<<"$SCREEN" | grep -cE '^ {7}[^ ]'; }

t_source() {
    TUI_W=80
    tui_start "$BASE/screen/source.html"
    wait_screen 'HTTP 200' || return
    keys 7
    wait_screen '^ +1 <!DOCTYPE html>' || return
    screen_ok 'grep -Eq "^ +4 {9}TAB-ONE TAB-TWO\$" <<<"$SCREEN" && ! grep -q "\^I" <<<"$SCREEN"' \
        "tabs expanded to the next tab stop, not shown as ^I"
    keys /
    type_text NEEDLE
    keys Enter
    wait_screen 'Source 1/|^ +3 ' || return
    wait_screen '^ +3 ….*NEEDLE-FAR-RIGHT' || return
    pass "$TNAME: the filter finds a match at column 5,950: the row is shown from just before it"
    keys '<' '<'
    wait_gone '^ +3 .*NEEDLE' || return
    keys '>' '>'
    wait_screen '^ +3 ….*NEEDLE-FAR-RIGHT' || return
    pass "$TNAME: < and > move the line left and right from there"
    keys Escape
    wait_screen '^ +3 <p>filler' || return
    pass "$TNAME: Esc: the filter cleared, the line from its start again"
    keys g
    wait_screen '^ +2 <html>' || return
    keys j j
    wait_screen '^ +3 <p>filler filler' || return
    keys '>'
    wait_screen '^ +3 …(ler|[a-z]* )?filler filler' || return
    screen_ok 'grep -Eq "^ +1 …" <<<"$SCREEN" || grep -Eq "^ +1 \$" <<<"$SCREEN"' \
        "> moves every line (a short one is past its end)"
    keys '<'
    wait_screen '^ +3 <p>filler filler' || return
    pass "$TNAME: < back to the start of the lines"
    keys w
    wait_until '[ "$(cont_rows)" -ge 8 ]' "w: the long line wrapped over the rows under it" || return
    pass "$TNAME: w wraps the long line over the screen's rows"
    keys w
    wait_until '[ "$(cont_rows)" = 0 ] && grep -Eq "^ +4 " <<<"$SCREEN"' "w again: lines cut, one row each" || return
    pass "$TNAME: w again: one row a line"
    keys '#'
    wait_status '^Go to line' || return
    type_text 250
    keys Enter
    wait_screen '^ +250 <p>numbered line 0246</p>' || return
    wait_screen "$(nth_of 250 406)|numbered line 0246" || return
    screen_ok 'grep -q "^ <p>numbered line 0246</p>" <<<"$SCREEN"' "#250 Enter: line 250 selected (the detail shows it)"
    keys /
    type_text "0300"
    keys Enter
    wait_until '[ "$(grep -cE "^ +[0-9]+ <p>" <<<"$SCREEN")" = 1 ]' "/0300: one line" || return
    keys '#' 5 Enter
    wait_screen '^ <p>numbered line 0001</p>' || return
    screen_ok '[ "$(grep -cE "^ +[0-9]+ <p>" <<<"$SCREEN")" -gt 1 ] && ! grep -q "filter:" <<<"$SCREEN"' \
        "# to a line the filter hides: the filter is cleared, the line selected"
    keys 1 '>'
    wait_status '< and > move the lines of Source and Transfer' || return
    pass "$TNAME: > in an element pane says where it acts (Right and l still follow)"
    quit_clean
    TUI_W=100
}

scenario filter-words t_filter_words
scenario tabs-help t_tabs_help
scenario rows t_rows
scenario unique t_unique
scenario source t_source
done_testing
