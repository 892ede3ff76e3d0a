#!/bin/bash
# The Query pane on the screen: `:` opens the query line and the pane, the
# rows follow the expression as it is typed, a bad expression gets a caret
# under where it goes wrong while the rows before stay, Enter keeps it, Esc
# brings back the one before, Up recalls; fields are columns (at 80
# columns too), y and Y copy a row's value and its XPath, the filter, d and
# Enter act on result rows, the query stays in force from page to page (a
# listing walk), an expression that explodes is cut and the screen keeps
# answering, the help lists the keys, and every key while the line is open
# leaves the program running with a sane screen.
#
# Run from the repository root:  prove -v tests/query-tui.t
# (SCRAPER=./scraper-asan TIME_SCALE=3 prove -v tests/query-tui.t for the
# sanitizer build; QUERY_ONLY=REGEX runs the scenarios whose function matches.)

. "$(dirname "$0")/lib.sh"
require_scraper
. "$(dirname "$0")/tmux-lib.sh"
SCENARIO_ONLY=${QUERY_ONLY:-.}
start_server

LAST=     # the status line (the screen's last row)
ABOVE=    # the row above it: the query line's caret, or its count and keys
split_screen() {
    LAST=$(tail -1 <<<"$SCREEN")
    ABOVE=$(tail -2 <<<"$SCREEN" | head -1)
}

# query EXPR: open the query line (from the list) and type EXPR.
query() {
    keys :
    wait_status '^:' || return 1
    keys C-u
    type_text "$1"
    wait_status "^:$(re_quote "$1")" || return 1
}

# rows_shown: the list's rows of the Query pane (between its names and the
# detail), leading blanks kept.
rows_shown() { sed -n '3,/^[─q]\{20\}/p' <<<"$SCREEN" | grep -v '^[─q]\{20\}'; }

# col_of LINE TEXT: the 0-based column where TEXT starts in LINE (characters).
col_of() {
    local pre=${1%%"$2"*}
    [ "$pre" = "$1" ] && echo -1 && return
    echo "${#pre}"
}

# ---- typing, the caret, Enter, Esc, Up --------------------------------------
t_typing() {
    tui_start "$BASE/q/list1.html"
    wait_status 'HTTP 200' || return
    query '//td[@class="name"]' || return
    wait_screen 'Query 3( |$)' || return
    pass "$TNAME: : opens the query line and the Query pane, with its count in the tab"
    screen_ok 'grep -q "^Alpha widget" <<<"$SCREEN" && grep -q "^Beta widget" <<<"$SCREEN"' \
        "the matches show as the expression is typed (no Enter)"
    split_screen
    like "$ABOVE" '3 matches' "$TNAME: the row above the line counts the matches"
    # a character that makes the expression wrong: a caret under it, the
    # rows before stay
    type_text ' $'
    wait_until 'split_screen; [[ $ABOVE == *^* ]]' "a caret under the bad character" || return
    is "$(col_of "$ABOVE" '^')" "$(col_of "$LAST" '$')" "$TNAME: the caret is under the '\$' typed"
    screen_ok 'grep -q "^Alpha widget" <<<"$SCREEN"' "the last valid rows stay under a bad expression"
    like "$ABOVE" '\^ +[^ ]' "$TNAME: the caret is followed by why"
    keys Enter
    wait_status 'mend it' || return
    pass "$TNAME: Enter on a bad expression keeps the line open and says so"
    keys BSpace BSpace Enter
    wait_status 'query kept' || return
    pass "$TNAME: Enter keeps a valid expression and leaves the line"
    screen_ok 'grep -q "Query 3" <<<"$SCREEN"' "... its rows stay"
    # Esc: the query before : comes back
    query '//a' || return
    wait_screen 'Query 4( |$)' || return
    keys Escape
    wait_status 'query line left: the query before it is back' || return
    wait_screen 'Query 3( |$)' || return
    pass "$TNAME: Esc leaves the line and brings back the query before it, with its rows"
    # Up: the queries entered, kept across pages
    keys o C-u
    type_text "$BASE/q/list2.html"
    keys Enter
    wait_status 'list2\.html' || return
    keys : C-u Up
    wait_status '^://td\[@class="name"\] *$' || return
    pass "$TNAME: Up recalls the query entered before, on another page"
    keys Down
    wait_status '^: *$' || return
    pass "$TNAME: Down comes back to the line as typed"
    keys Escape
    wait_screen 'Query 2( |$)' || return
    pass "$TNAME: the query in force is run on the new page (2 names there)"
    quit_clean
}

# ---- fields as columns, the detail, y and Y, the filter, d ---------------------
t_columns() {
    local TUI_W=80 TUI_H=24
    tui_start "$BASE/q/list1.html"
    wait_status 'HTTP 200' || return
    query '//table[@class="items"]/tr { ./td[1], ./td[2], .//a/@href }' || return
    keys Enter
    wait_screen 'Query 3( |$)' || return
    local names alpha beta omega
    names=$(sed -n 2p <<<"$SCREEN")
    like "$names" '^\./td\[1\] +\./td\[2\] +\.//a/@href' "$TNAME: the fields' names head the columns"
    alpha=$(grep '^Alpha widget' <<<"$SCREEN")
    beta=$(grep '^Beta widget' <<<"$SCREEN")
    omega=$(grep '^Omega widget' <<<"$SCREEN")
    like "$alpha" '^Alpha widget +10 +/q/item/alpha *$' "$TNAME: a row shows each field in its column"
    like "$omega" '^Omega widget.*… +99 +/q/item/omega *$' \
        "$TNAME: at 80 columns a long cell is cut with …, the fields after it still shown"
    is "$(col_of "$omega" 99)" "$(col_of "$alpha" 10)" "$TNAME: the columns are aligned (price)"
    is "$(col_of "$omega" /q/item)" "$(col_of "$beta" /q/item)" "$TNAME: the columns are aligned (href)"
    # the detail: the whole row, the XPath
    select_row 3 3 || return
    screen_ok 'grep -q "far too long" <<<"$SCREEN"' "the detail shows the whole of a cut cell"
    screen_ok 'grep -Eq "xpath +/html/body/table/tr\[3\]" <<<"$SCREEN"' "the detail shows the node's XPath"
    # y: the row's value; Y: its XPath
    select_row 2 3 || return
    keys y
    wait_until '[ "$(tm show-buffer 2>/dev/null)" = "Beta widget	20	/q/item/beta" ]' \
        "y copies the row's cells, tab-separated" || return
    pass "$TNAME: y copies the row's value (its cells, tab-separated)"
    keys Y
    wait_until '[ "$(tm show-buffer 2>/dev/null)" = "/html/body/table/tr[2]" ]' \
        "Y copies the row's XPath" || return
    pass "$TNAME: Y copies the node's XPath"
    # the filter narrows the result rows
    keys /
    type_text 'beta'
    wait_screen 'Query 1/3' || return
    screen_ok '[ "$(rows_shown | grep -c widget)" = 1 ]' "the filter keeps the rows holding its word"
    keys Escape
    wait_screen 'Query 3( |$)' || return
    pass "$TNAME: Esc clears the filter of the Query pane"
    # d on a row without a URL of its own (tr): the message; on a link: the prompt
    query '//a' || return
    keys Enter
    wait_screen 'Query 4( |$)' || return
    select_row 1 4 || return
    screen_ok 'grep -Eq "node +a href=\"/q/item/alpha\"" <<<"$SCREEN"' \
        "the detail of a row without fields shows the element as written"
    keys u
    wait_status 'Query pane shows every match' || return
    pass "$TNAME: u in the Query pane says what it does (the element panes' unique URLs)"
    keys d
    wait_status '^Download as Files/alpha' || return
    pass "$TNAME: d on a row with a URL offers to download it"
    keys Escape
    keys 6 Y
    wait_status 'Y copies the XPath of a Query row' || return
    pass "$TNAME: Y elsewhere says what it copies"
    quit_clean
}

# ---- the query kept from page to page: a listing walk -------------------------
t_walk() {
    tui_start "$BASE/q/list1.html"
    wait_status 'HTTP 200' || return
    query '//td[@class="name"] | //a[@class="next"] { text, url }' || return
    keys Enter
    wait_screen 'Query 4( |$)' || return
    keys G
    wait_screen "$(nth_of 4 4)" || return
    keys Enter
    wait_status 'list2\.html' || return
    wait_screen '^Delta gadget' || return
    pass "$TNAME: Enter on a row with a URL follows it; the new page opens on the Query pane, its matches shown"
    screen_ok 'grep -Eq "Query 2( |$)" <<<"$SCREEN"' "the kept query is applied to the new page (2 rows)"
    keys BSpace
    wait_screen '^Alpha widget' || return
    screen_ok 'grep -Eq "Query 4( |$)" <<<"$SCREEN"' "back: the query runs on the page before"
    keys r
    wait_status 'HTTP 200' || return
    wait_screen '^Alpha widget' || return
    pass "$TNAME: reload keeps the query"
    keys 1
    wait_screen 'next page' || return
    keys G Enter
    wait_status 'list2\.html' || return
    keys 8
    wait_screen '^Delta gadget' || return
    pass "$TNAME: a page followed from the Links pane has the query's rows too"
    # an empty line clears the query
    keys : C-u Enter
    wait_status 'no query' || return
    wait_screen 'no query: press :' || return
    pass "$TNAME: an empty line clears the query"
    quit_clean
}

# ---- an expression that explodes: cut, and the screen answers -----------------
t_bound() {
    tui_start "$BASE/q/deep.html?n=1000"
    wait_status 'HTTP 200' || return
    query '//*//*//*' || return
    wait_until 'split_screen; [[ $ABOVE == *"cut after 0.1 s"* ]]' \
        "the row above the line says the evaluation was cut" 20 || return
    pass "$TNAME: //*//*//* on a page of 200,000 nodes is cut after 0.1 s, and says so"
    screen_ok 'grep -Eq "Query [0-9]+\+" <<<"$SCREEN"' "the tab's count says the rows are cut (+)"
    local t0=${EPOCHREALTIME/./}
    keys Enter
    wait_status 'query kept' || return
    local ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
    ok "[ $ms -lt $(awk -v k="${TIME_SCALE:-1}" 'BEGIN { print 2000 * k }') ]" \
        "$TNAME: the next key is answered at once ($ms ms)"
    keys j
    wait_status 'query cut after 0\.1 s' || return
    pass "$TNAME: the status line says so in the list"
    quit_clean
}

# ---- the trees of the pages kept for back are let go --------------------------
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$(cat "$TDIR/pid")/status"; }
t_trees() {
    tui_start "$BASE/q/deep.html?n=300&next=1"
    wait_status 'HTTP 200' || return
    query '//a[last()] { text, url }' || return
    keys Enter
    wait_screen 'Query 1( |$)' || return
    local i rss1 rss
    for i in 2 3 4 5 6 7 8; do
        keys Enter
        wait_screen "^next +http.*next=$((i + 1))\$" 10 || return
        [ "$i" = 3 ] && rss1=$(rss_kb)
    done
    rss=$(rss_kb)
    case $SCRAPER in
    *asan*) skip "RSS under ASan: its quarantine keeps freed memory" ;;
    *) ok "[ $((rss - rss1)) -lt 20000 ]" \
        "$TNAME: 6 pages of 60,000 elements walked with a query: the memory stays flat ($rss1 KB, then $rss KB)" ;;
    esac
    keys BSpace
    wait_screen '^next +http.*next=8$' 10 || return
    pass "$TNAME: back: the query runs again on a tree built again"
    quit_clean
}

# ---- hostile cells: shown escaped, copied without controls, wide ones aligned ----
t_hostile() {
    local TUI_W=80 TUI_H=24
    tui_start "$BASE/q/hostile.html"
    wait_status 'HTTP 200' || return
    query '//tr { ./td[1], ./td[2] }' || return
    keys Enter
    wait_screen 'Query 2( |$)' || return
    screen_ok 'grep -q "0;PWNED evil <U+202E" <<<"$SCREEN"' \
        "a cell's OSC sequence is inert, its bidi control shown escaped"
    isnt "$(tm display -p -t t '#{pane_title}')" "PWNED" "$TNAME: the cell did not set the title"
    local bad wide
    bad=$(grep 'PWNED' <<<"$SCREEN" | head -1)
    wide=$(grep '日本語の名前' <<<"$SCREEN" | head -1)
    like "$wide" '^日本語の名前 +2 *$' "$TNAME: a wide-character cell in its column"
    # the wide cell takes two columns a character: its price starts where
    # the other row's does, in screen columns
    local wcol=$(( $(col_of "$wide" 2) + 6 ))
    is "$wcol" "$(col_of "$bad" '1')" "$TNAME: the columns stay aligned past wide characters"
    select_row 1 2 || return
    keys y
    wait_until '[ -n "$(tm show-buffer 2>/dev/null)" ]' "y copies the hostile row" || return
    tm show-buffer >"$TDIR/clip"
    ok '! LC_ALL=C grep -q "[[:cntrl:]]" <(tr -d "\t" <"$TDIR/clip")' \
        "$TNAME: the copied row holds no control character but its tab"
    quit_clean
}

# ---- the help lists the keys ---------------------------------------------------
t_help() {
    local TUI_H=90
    tui_start "$BASE/q/list1.html"
    wait_status 'HTTP 200' || return
    keys '?'
    wait_screen 'Keys \(j/k' || return
    screen_ok 'grep -Eq "^  :  +the query line" <<<"$SCREEN"' "the help lists :"
    screen_ok 'grep -Eq "^  Y  +copy the XPath" <<<"$SCREEN"' "the help lists Y"
    screen_ok 'grep -Eq "^  1-9  +.*8 \(Query\)" <<<"$SCREEN"' "the help lists the Query pane's number"
    screen_ok 'grep -Eq "In the query line" <<<"$SCREEN"' "the help has the query line's keys"
    screen_ok 'grep -Eq "^    Up  +the query entered before" <<<"$SCREEN"' "... Up"
    screen_ok 'grep -Eq "^    Esc  +leave the line" <<<"$SCREEN"' "... Esc"
    keys q
    quit_clean
}

# ---- every key while the line is open --------------------------------------------
# The keys of tests/states.t, and : and Y: after each the program runs, and
# the screen is sane (the tab bar on the first row); the line is opened
# again when a key left it.
Q_KEYS=(j Down k Up NPage Space PPage G End g Home y Y : / o s d Tab BTab 1 8
        Enter C-j Right l BSpace C-h h Left r C-l C-u C-a C-e C-k C-w C-s C-q
        DC IC F1 F12 x '?' u '#' '<' '>' w Escape q)
t_every_key() {
    tui_start "$BASE/q/list1.html"
    wait_status 'HTTP 200' || return
    query '//a { text, url }' || return
    keys Enter
    wait_status 'query kept' || return
    local k n=0 bad=0
    for k in "${Q_KEYS[@]}"; do
        keys Escape
        wait_until '[[ $(tail -1 <<<"$SCREEN") != :* ]]' "Esc leaves the query line" || return
        keys :
        wait_status '^://a' || return
        keys "$k"
        n=$((n + 1))
        if ! wait_until '[ ! -s "$TDIR/exitfile" ] && grep -q "^ 1 Links" <<<"$SCREEN"' \
            "after $k in the query line: running, the tab bar on the first row"; then
            bad=1
            break
        fi
    done
    [ "$bad" = 0 ] && pass "$TNAME: $n keys in the query line: the program runs and its screen is sane"
    keys Escape Escape
    wait_until '[[ $(tail -1 <<<"$SCREEN") != :* ]]' "the query line closed" || return
    quit_clean
}

scenario "typing" t_typing
scenario "columns" t_columns
scenario "walk" t_walk
scenario "bound" t_bound
scenario "trees" t_trees
scenario "hostile" t_hostile
scenario "help" t_help
scenario "every key" t_every_key
done_testing
