#!/bin/bash
# End-to-end tests of the TUI: the real binary driven in tmux (send-keys,
# capture-pane, resize-window) against tests/server.py, checked against
# README ("The screen": its keys, and nothing raw on the terminal).
#
# Run from the repository root:  prove -v tests/tui.t
# (SCRAPER=./scraper-asan prove -v tests/tui.t for the sanitizer build.)
#
# Every scenario has its own tmux server (a socket in its own directory under
# $SCRATCH, never the user's tmux), a 100x30 window, LANG/LC_ALL=C.UTF-8 and
# TERM=xterm-256color, and runs the binary in that directory (so Files/ lands
# there) through a wrapper, run.sh, which records the terminal settings
# before and after, the binary's pid, its stderr and its exit status.  Nothing
# waits with a bare sleep: wait_screen / wait_until poll the screen every
# 0.05 s up to a limit (TUI_WAIT, default 5 s) and, on timeout, fail with the
# last screen as TAP diagnostics.  Every scenario ends with `q` and checks the
# exit status is 0 and stderr is empty (under ASan that catches leak reports
# of whatever the scenario exercised).

. "$(dirname "$0")/lib.sh"
require_scraper
. "$(dirname "$0")/tmux-lib.sh"
SCENARIO_ONLY=${TUI_ONLY:-.}
start_server

# tkey CAP: send the key whose terminfo capability (for xterm-256color, the
# pane's TERM) is CAP, e.g. khome, kend: tmux itself sends Home and End as
# ESC [ 1 ~ and ESC [ 4 ~ (its own terminal's codes), which are not
# xterm-256color's, so `keys Home` would not be what an xterm sends.
tkey() {
    local hex
    hex=$(tput -T xterm-256color "$1" | od -An -tx1)
    # shellcheck disable=SC2086
    tm send-keys -t t -H $hex
}

# ==== expectations from the fixtures ==========================================

# kinds FIXTURE: the fixture's records, KIND TAB TAG TAB ATTR TAB URL TAB TEXT
# (--dump's TSV).
kinds() {
    expected "$1"
}

# count KINDS-FILE KIND
count() { awk -F'\t' -v k="$2" '$1 == k' "$1" | wc -l | tr -d ' '; }

# tabbar_re KINDS-FILE: ERE for the tab bar with every pane's count.
tabbar_re() {
    echo "Links $(count "$1" link) +.*Images $(count "$1" image) +.*Media $(count "$1" media) +.*Embeds $(count "$1" embed) +.*Resources $(count "$1" resource)( |\$)"
}

DEMO=$SCRATCH/demo.kinds
kinds demo.tsv >"$DEMO"
PAGE2=$SCRATCH/page2.kinds
kinds page2.tsv >"$PAGE2"
DEMO_TABS=$(tabbar_re "$DEMO")
PAGE2_TABS=$(tabbar_re "$PAGE2")
NLINKS=$(count "$DEMO" link)
fetch / "$SCRATCH/demo.body"
DEMO_LEN=$(wc -c <"$SCRATCH/demo.body")
fetch /download/sample.bin "$SCRATCH/sample.bin"

# link_url N: the URL of the Nth link-kind record of the demo page.
link_url() { awk -F'\t' '$1 == "link"' "$DEMO" | sed -n "$1p" | cut -f4; }
# link_index URL: its position among the demo page's links.
link_index() { awk -F'\t' -v u="$1" '$1 == "link" { n++; if ($4 == u) { print n; exit } }' "$DEMO"; }

# ==== scenarios =================================================================

# --- the URL form -----------------------------------------------------------
t_form() {
    tui_start
    wait_screen 'Open a URL' || return
    pass "$TNAME: without a URL the form opens"
    type_text "$BASE/"
    keys Tab
    type_text "form.html"
    keys Enter
    wait_screen "$DEMO_TABS" || return
    pass "$TNAME: URL typed, Enter fetched it: tab bar counts from demo.tsv"
    wait_until '[ -f "$TDIR/Files/form.html" ]' "the 'Save as' field saved Files/form.html" || return
    cmp_file "$SCRATCH/demo.body" "$TDIR/Files/form.html" "$TNAME: 'Save as' field: Files/form.html holds the body"
    keys o
    wait_screen "URL +$(re_quote "$BASE/")( |\$)" || return
    pass "$TNAME: o opens the form prefilled with the current URL"
    keys C-u
    type_text "$BASE/page2.html"
    keys Enter
    wait_screen "$PAGE2_TABS" || return
    pass "$TNAME: o, another URL, Enter: the new page's counts (page2.tsv)"
    keys o
    wait_screen "URL +$(re_quote "$BASE/page2.html")( |\$)" || return
    type_text "$BASE/"
    keys Enter
    wait_screen "$DEMO_TABS" || return
    pass "$TNAME: o, then typing replaces the prefilled URL (as an address bar does)"
    keys o
    wait_screen 'Open a URL' || return
    type_text "http//127.0.0.1:$PORT/"
    keys Enter
    wait_screen "did you mean http://127\\.0\\.0\\.1:$PORT/\\?" || return
    pass "$TNAME: http//host: a hint, not a fetch"
    keys Escape
    wait_gone 'Open a URL' || return
    keys o
    wait_screen 'Open a URL' || return
    keys Escape
    wait_gone 'Open a URL' || return
    pass "$TNAME: Esc closes the form"
    quit_clean
}

# --- panes, counts, moving ------------------------------------------------------
t_panes() {
    local kind key pane n url step tag attr missing
    tui_start "$BASE/"
    wait_screen "$DEMO_TABS" || return
    pass "$TNAME: tab bar counts match demo.tsv"
    wait_screen "$(row_re a href "$(link_url 1)")" || return
    pass "$TNAME: a new page opens on its Links pane"
    # each pane, by number: every record of that kind listed (all fit)
    for pane in 2:image 3:media 4:embed 5:resource; do
        key=${pane%%:*} kind=${pane#*:}
        keys "$key"
        url=$(awk -F'\t' -v k="$kind" '$1 == k { print $4; exit }' "$DEMO")
        wait_screen "$(re_quote "$(shown_url "$url")")" || return
        n=$(count "$DEMO" "$kind")
        wait_until '[ "$(nrows)" = "$n" ]' "key $key: $n rows of kind $kind" || return
        missing=
        while IFS=$'\t' read -r _ tag attr url _; do
            has_row "$tag" "$attr" "$url" || missing+="$tag $attr $url"$'\n'
        done < <(awk -F'\t' -v k="$kind" '$1 == k' "$DEMO")
        screen_ok '[ -z "$missing" ]' "key $key: the $n $kind records of demo.tsv listed${missing:+ (missing: $missing)}"
    done
    keys Tab
    wait_screen 'GET / HTTP/1\.1' || return
    pass "$TNAME: Tab from Resources goes to Transfer"
    keys Tab
    wait_screen '^ *1 +<!DOCTYPE html>' || return
    pass "$TNAME: Tab to Source: the body with line numbers"
    keys BTab BTab
    wait_screen "$(row_re link href "$BASE/files/style.css")" || return
    pass "$TNAME: Shift-Tab twice goes back to Resources"
    keys 1
    wait_screen "$(row_re a href "$(link_url 1)")" || return
    # moving in the Links pane; the detail says which row is selected
    wait_screen "$(nth_of 1 "$NLINKS")" || return
    for step in "j:2" "j:3" "k:2" "Down:3" "Up:2" "G:$NLINKS" "g:1" "kend:$NLINKS" "khome:1"; do
        case ${step%%:*} in
            kend | khome) tkey "${step%%:*}" ;;
            *) keys "${step%%:*}" ;;
        esac
        wait_screen "$(nth_of "${step#*:}" "$NLINKS")" || return
    done
    pass "$TNAME: j k Down Up G g End Home select the expected rows"
    # A key sequence the terminfo entry does not know (tmux's End, ESC [ 4 ~)
    # must not be taken as the keys Esc [ 4 ~ (4 is the Embeds pane).
    # (not fatal: the keys below are checked either way)
    keys End j
    wait_screen "$(nth_of "(2|$NLINKS)" "$NLINKS")" "$TUI_WAIT" \
            "ESC [ 4 ~ then j: still the Links pane, row 2 or $NLINKS" &&
        pass "$TNAME: an unknown escape sequence (ESC [ 4 ~) is not read as Esc [ 4 ~"
    keys 1 g
    wait_screen "$(nth_of 1 "$NLINKS")" || return
    keys NPage
    wait_gone "$(nth_of 1 "$NLINKS")" || return
    keys PPage
    wait_screen "$(nth_of 1 "$NLINKS")" || return
    pass "$TNAME: PgDn moves down, PgUp back to the first row"
    keys G
    wait_screen "$(re_quote "$(link_url "$NLINKS")")" || return
    pass "$TNAME: G scrolls the last link into view"
    quit_clean
}

# --- the Transfer pane -----------------------------------------------------------
t_transfer() {
    tui_start "http://localhost:$PORT/"
    wait_screen "$DEMO_TABS" || return
    keys 6
    wait_screen 'GET / HTTP/1\.1' || return
    pass "$TNAME: the request line GET / HTTP/1.1"
    local s=$SCREEN
    like "$s" "Host: localhost:$PORT" "$TNAME: the Host header sent"
    like "$s" "HTTP/1\.1 200 OK" "$TNAME: the status line HTTP/1.1 200 OK"
    like "$s" "[Cc]ontent-[Ll]ength:? *$DEMO_LEN" "$TNAME: Content-Length $DEMO_LEN"
    like "$s" "localhost[^"$'\n'"]*127\.0\.0\.1|[Rr]esolv[^"$'\n'"]*localhost" "$TNAME: the host localhost resolved (to 127.0.0.1)"
    like "$s" "127\.0\.0\.1[^"$'\n'"]*(resolv|Resolv)|(resolv|Resolv)[^"$'\n'"]*127\.0\.0\.1" "$TNAME: the IP it resolved to"
    like "$s" "(TCP|[Cc]onnect)[^"$'\n'"]*127\.0\.0\.1:${PORT}|127\.0\.0\.1:${PORT}[^"$'\n'"]*(TCP|[Cc]onnect)" "$TNAME: the connection to 127.0.0.1:$PORT"
    keys G
    wait_screen "(^|[^0-9])$DEMO_LEN (bytes|of)" || return # "N of body" on the wire
    pass "$TNAME: the bytes received"
    quit_clean
}

# --- follow a link and come back ---------------------------------------------------
# Back on a page left filtered: the filter is in force again, on the row
# that was followed.
t_follow_filtered() {
    tui_start "$BASE/"
    wait_screen "$DEMO_TABS" || return
    keys /
    type_text chain
    keys Enter
    wait_screen "$(nth_of 1 1)" || return
    keys Enter
    wait_screen 'chain-end' || return
    keys h
    wait_screen 'Links 1/25 ' || return
    screen_ok 'grep -Eq "$(nth_of 1 1)" <<<"$SCREEN" && grep -q "chain/3" <<<"$SCREEN"' \
        "back: the filter and the followed row are restored"
    quit_clean
}

t_follow() {
    local url idx pair
    url="$BASE/page2.html?padded"
    idx=$(link_index "$url")
    tui_start "$BASE/"
    wait_screen "$DEMO_TABS" || return
    # three ways to follow and to come back
    for pair in "Enter:BSpace" "l:h" "Right:Left"; do
        keys g
        wait_screen "$(nth_of 1 "$NLINKS")" || return
        keys -N $((idx - 1)) j
        wait_screen "$(nth_of "$idx" "$NLINKS")" || return
        keys "${pair%%:*}"
        wait_screen "$PAGE2_TABS" || return
        wait_until 'tail -1 <<<"$SCREEN" | grep -qF -- "$url"' "the status line names $url" || return
        pass "$TNAME: ${pair%%:*} on link $idx follows it (page2's counts, its URL)"
        keys "${pair#*:}"
        wait_screen "$DEMO_TABS" || return
        wait_screen "$(nth_of "$idx" "$NLINKS")" || return
        screen_ok 'grep -Eq "URL +$(re_quote "$url")\$" <<<"$SCREEN"' \
            "${pair#*:} goes back, the selection restored (link $idx, its URL in the detail)"
    done
    quit_clean
}

# --- download with d ---------------------------------------------------------------
t_download() {
    local f ino
    tui_start "$BASE/"
    f=$TDIR/Files/sample.bin
    wait_screen "$DEMO_TABS" || return
    keys /
    type_text sample.bin
    keys Enter
    wait_until '[ "$(nrows)" = 1 ]' "the filter 'sample.bin' leaves one row" || return
    wait_screen "$(row_re a href "$BASE/download/sample.bin")" || return
    keys d
    wait_status '^Download as Files/sample\.bin' || return
    keys Enter
    wait_until '[ -f "$f" ]' "d Enter downloads Files/sample.bin" || return
    cmp_file "$SCRATCH/sample.bin" "$f" "$TNAME: d: Files/sample.bin holds the served bytes"
    is "$(ls -A "$TDIR/Files")" "sample.bin" "$TNAME: no temp file left in Files/"
    ino=$(stat -c %i "$f")
    keys d
    wait_status '^Download as Files/sample-1\.bin' || return
    pass "$TNAME: d again offers a free name, sample-1.bin"
    keys C-u
    type_text sample.bin
    keys Enter
    wait_screen '[Oo]verwrite' || return
    pass "$TNAME: the taken name typed in: asks before overwriting"
    keys n
    wait_gone '[Oo]verwrite\?' || return
    is "$(stat -c %i "$f")" "$ino" "$TNAME: n: the file is left alone"
    keys d C-u
    type_text sample.bin
    keys Enter
    wait_screen '[Oo]verwrite' || return
    keys y
    wait_until '[ "$(stat -c %i "$f" 2>/dev/null)" != "$ino" ] && [ -f "$f" ]' "y: the file is replaced" || return
    cmp_file "$SCRATCH/sample.bin" "$f" "$TNAME: y: the new file holds the served bytes"
    is "$(ls -A "$TDIR/Files")" "sample.bin" "$TNAME: still no temp file in Files/"
    keys Escape
    wait_until '[ "$(nrows)" -gt 1 ]' "Esc clears the filter" || return
    quit_clean
}

# --- save with s -----------------------------------------------------------------
t_save() {
    local f ino
    tui_start "$BASE/"
    f=$TDIR/Files/index.html
    wait_screen "$DEMO_TABS" || return
    keys s
    wait_screen 'Save as .*Files/ ?index\.html' || return
    pass "$TNAME: s asks for the name, prefilled Files/index.html"
    keys Enter
    wait_until '[ -f "$f" ]' "Enter saves Files/index.html" || return
    cmp_file "$SCRATCH/demo.body" "$f" "$TNAME: Files/index.html holds the page's body"
    ino=$(stat -c %i "$f")
    keys s
    wait_screen 'Save as' || return
    keys Enter
    wait_screen '[Oo]verwrite' || return
    pass "$TNAME: saving again asks before overwriting"
    keys y
    wait_until '[ "$(stat -c %i "$f" 2>/dev/null)" != "$ino" ] && [ -f "$f" ]' "y: the file is replaced" || return
    cmp_file "$SCRATCH/demo.body" "$f" "$TNAME: the replaced file holds the body"
    keys s
    wait_screen 'Save as' || return
    keys C-u
    type_text other.html
    keys Enter
    wait_until '[ -f "$TDIR/Files/other.html" ]' "a name typed at the prompt is used" || return
    cmp_file "$SCRATCH/demo.body" "$TDIR/Files/other.html" "$TNAME: Files/other.html holds the body"
    keys s
    wait_screen 'Save as' || return
    keys C-u
    type_text ../evil.html
    keys Enter
    wait_screen "Save as .*contains '/'" || return
    pass "$TNAME: ../evil.html refused; the prompt stays open to mend the name"
    keys Escape
    wait_gone 'Save as' || return
    is "$(ls -A "$TDIR/Files" | tr '\n' ' ')" "index.html other.html " "$TNAME: ../evil.html refused, no other file (temp) in Files/"
    ok '[ ! -e "$TDIR/evil.html" ]' "$TNAME: nothing written outside Files/"
    quit_clean
}

# --- y copies with OSC 52 ------------------------------------------------------------
t_yank() {
    local url
    url=$(link_url 3)
    tui_start "$BASE/"
    wait_screen "$DEMO_TABS" || return
    is "$(tm list-buffers 2>/dev/null)" "" "$TNAME: no tmux buffer before y"
    keys j j
    wait_screen "$(nth_of 3 "$NLINKS")" || return
    keys y
    wait_until '[ "$(tm show-buffer 2>/dev/null)" = "$url" ]' "y puts $url in tmux's paste buffer (set-clipboard on)" || {
        diag "buffers: $(tm list-buffers 2>&1)"
        return
    }
    pass "$TNAME: y copies the selected URL (OSC 52 -> tmux buffer)"
    quit_clean
}

# --- the filter --------------------------------------------------------------------
t_filter() {
    local full n
    tui_start "$BASE/"
    wait_screen "$DEMO_TABS" || return
    wait_rows || return
    full=$ROWS
    # as you type: rows narrow before Enter; URL and text, case-insensitively
    n=$(awk -F'\t' '$1 == "link" && tolower($4 "\t" $5) ~ /page2/' "$DEMO" | wc -l)
    [ "$n" -gt "$full" ] && n=$full
    keys /
    type_text PAGE2
    wait_until '[ "$(nrows)" = "$n" ] && ! list_rows | grep -viq page2' \
        "typing /PAGE2 narrows the list to the $n rows with page2 (URL, any case)" || return
    pass "$TNAME: the list narrows as you type, case-insensitively"
    keys Escape
    wait_until '[ "$(nrows)" = "$full" ]' "Esc while typing clears the filter ($full rows)" || return
    pass "$TNAME: Esc while typing clears the filter"
    keys /
    type_text TOM
    keys Enter
    wait_until '[ "$(nrows)" = 1 ]' "/TOM Enter: one row (matches the text 'Tom & Jerry')" || return
    wait_screen "$(re_quote "$(shown_url "$BASE/page2.html?entity")")" || return
    pass "$TNAME: the filter matches the text, case-insensitively; Enter keeps it"
    keys j k
    wait_screen "$(re_quote "$(shown_url "$BASE/page2.html?entity")")" || return
    screen_ok '[ "$(nrows)" = 1 ]' "moving keeps the filter"
    keys Escape
    wait_until '[ "$(nrows)" = "$full" ]' "Esc clears the kept filter" || return
    pass "$TNAME: Esc clears the kept filter ($full rows again)"
    quit_clean
}

# --- resize ------------------------------------------------------------------------
t_resize() {
    tui_start "$BASE/"
    wait_screen "$DEMO_TABS" || return
    tm resize-window -t t -x 50 -y 15
    wait_until '[ "$(wc -l <<<"$SCREEN")" = 15 ] && grep -Eq "^ ?1 Links $NLINKS" <<<"$SCREEN" && [ "$(nrows)" -ge 1 ] && grep -q "HTTP 200" <<<"$(tail -1 <<<"$SCREEN")"' \
        "50x15: tab bar, list rows and the status line on the last row" || return
    pass "$TNAME: 50x15: the layout adapts"
    tm resize-window -t t -x 30 -y 8
    wait_screen 'too small' || return
    pass "$TNAME: 30x8: 'terminal too small'"
    tm resize-window -t t -x 100 -y 30
    wait_until 'grep -Eq "$DEMO_TABS" <<<"$SCREEN" && [ "$(nrows)" -ge 10 ] && grep -Eq "^ *URL +http" <<<"$SCREEN" && grep -q "HTTP 200" <<<"$(tail -1 <<<"$SCREEN")"' \
        "back to 100x30: tab bar, list, detail, status" || return
    pass "$TNAME: back to 100x30: the full layout again"
    tm resize-window -t t -x 130 -y 30
    wait_screen "^a +href +/.*URL +http" || return
    pass "$TNAME: 130 columns: the detail stands beside the list"
    tm resize-window -t t -x 100 -y 30
    wait_gone "^a +href +/.*URL +http" || return
    # with the form open
    keys o
    wait_screen 'Open a URL' || return
    keys C-u
    type_text "$BASE/page2.html?typed"
    tm resize-window -t t -x 50 -y 15
    wait_screen "URL +[^ ]*$(re_quote ":$PORT/page2.html?typed") " || return
    pass "$TNAME: 50x15 with the form open: the form and what was typed"
    tm resize-window -t t -x 30 -y 8
    wait_screen 'too small' || return
    tm resize-window -t t -x 100 -y 30
    wait_screen "Open a URL" || return
    # (not fatal: the transfer part below is independent of it)
    wait_screen "URL +$(re_quote "$BASE/page2.html?typed")( |\$)" "$TUI_WAIT" \
            "too small with the form open, then 100x30: what was typed is back" &&
        pass "$TNAME: too small with the form open, then 100x30: the form and what was typed are back"
    keys Escape
    wait_gone 'Open a URL' || return
    # during a transfer
    keys o
    wait_screen 'Open a URL' || return
    keys C-u
    type_text "$BASE/slow"
    keys Enter
    wait_screen 'Loading' || return
    tm resize-window -t t -x 50 -y 15
    wait_until '[ "$(wc -l <<<"$SCREEN")" = 15 ] && grep -q Loading <<<"$SCREEN"' "50x15 while /slow loads: still Loading" || return
    tm resize-window -t t -x 30 -y 8
    wait_screen 'too small' || return
    tm resize-window -t t -x 100 -y 30
    wait_screen "$(row_re a href "$BASE/page2.html?slow")" || return
    pass "$TNAME: resized to 50x15, 30x8 and back while /slow loaded: the page arrives"
    quit_clean
}

# --- help ----------------------------------------------------------------------------
t_help() {
    local tokens missing='' alt k alts found
    TUI_H=72 # the whole help on one screen
    tui_start "$BASE/"
    TUI_H=30
    wait_screen "$DEMO_TABS" || return
    keys '?'
    wait_screen '^ +q +' || return
    # the key column of each help line (indented by 2 or more, then keys, 2
    # or more spaces, what they do): not the title, tab bar or status line
    tokens=" $(grep -E '^  +[^ ].*  +[^ ]' <<<"$SCREEN" | sed -E 's/^ +//; s/  .*//' | tr '\n' ' ') "
    # README's table of keys; alternatives are names for the same key
    for alt in o Enter Tab 'Shift-Tab|S-Tab|BackTab|Backtab' j k 'Down|↓' 'Up|↑' \
               'PgDn|PageDown|PgDown' 'PgUp|PageUp' g G Home End / 'Right|→' \
               'Backspace|BS|⌫' h 'Left|←' d s y 'Esc|Escape' r '?' q; do
        found=
        IFS='|' read -ra alts <<<"$alt"
        for k in "${alts[@]}"; do
            [[ $tokens == *" $k "* ]] && found=1
        done
        [ -n "$found" ] || missing+=" $alt"
    done
    screen_ok '[ -z "$missing" ]' "? lists every key of README's table${missing:+ (missing:$missing)}"
    keys q
    wait_screen "$(row_re a href "$(link_url 1)")" || return
    pass "$TNAME: q closes the help (the program keeps running)"
    keys '?'
    wait_screen '^ +q +' || return
    keys Escape
    wait_screen "$(row_re a href "$(link_url 1)")" || return
    pass "$TNAME: Esc closes the help"
    quit_clean
}

# --- Ctrl-L repaints what something else wrote over ------------------------------------
t_redraw() {
    local tty
    tui_start "$BASE/"
    wait_screen "$(row_re a href "$(link_url 1)")" || return
    # another program writes to the terminal: curses does not know
    tty=$(tm display-message -p -t t '#{pane_tty}')
    printf '\033[3;1HSCRIBBLED-OVER-BY-ANOTHER-PROGRAM' >"$tty"
    wait_screen 'SCRIBBLED-OVER' || return
    keys C-l
    wait_gone 'SCRIBBLED-OVER' || return
    screen_ok 'grep -Eq "$(row_re a href "$(link_url 1)")" <<<"$SCREEN"' \
        "the scribble is gone, the page painted again"
    # in a y/n question Ctrl-L repaints and answers nothing
    keys s
    wait_screen 'Save as' || return
    keys Enter
    wait_until '[ -f "$TDIR/Files/index.html" ]' "s Enter saves Files/index.html" || return
    keys s
    wait_screen 'Save as' || return
    keys Enter
    wait_screen '[Oo]verwrite' || return
    printf '\033[3;1HSCRIBBLED-OVER-AGAIN' >"$tty"
    wait_screen 'SCRIBBLED-OVER-AGAIN' || return
    keys C-l
    wait_gone 'SCRIBBLED-OVER' || return
    screen_ok 'grep -q "[Oo]verwrite" <<<"$SCREEN"' "Ctrl-L in the overwrite question: repainted, still asking"
    keys n
    wait_gone '[Oo]verwrite' || return
    quit_clean
}

# --- Esc cancels a transfer ------------------------------------------------------------
t_cancel() {
    tui_start "$BASE/slow"
    wait_screen 'Loading' || return
    keys Escape
    wait_screen '[Cc]ancel+ed' || return
    pass "$TNAME: Esc during /slow: the status says cancelled"
    wait_gone 'Loading' || return
    screen_ok '! grep -q "page2.html?slow" <<<"$SCREEN"' "the cancelled page is not shown"
    keys '?'
    wait_screen '^ +Keys \(' || return
    keys q
    wait_gone '^ +Keys \(' || return
    pass "$TNAME: still responsive after the cancel"
    # r reloads: a new request
    keys o
    wait_screen 'Open a URL' || return
    keys C-u
    type_text "$BASE/"
    keys Enter
    wait_screen "$DEMO_TABS" || return
    local gets # (used in the wait_until condition)
    # shellcheck disable=SC2034
    gets=$(grep -cx 'GET /' "$SERVER_LOG")
    keys r
    wait_until '[ "$(grep -cx "GET /" "$SERVER_LOG")" -gt "$gets" ] && grep -Eq "$DEMO_TABS" <<<"$SCREEN"' \
        "r sends the request again and shows the page" || return
    pass "$TNAME: r reloads"
    # cancelling a fetch while a page is shown keeps that page
    keys o
    wait_screen 'Open a URL' || return
    keys C-u
    type_text "$BASE/slow"
    keys Enter
    wait_screen 'Loading' || return
    keys Escape
    wait_screen '[Cc]ancel+ed' || return
    screen_ok 'grep -Eq "$DEMO_TABS" <<<"$SCREEN"' "cancelled while the demo page was shown: it stays"
    quit_clean
}

# --- q restores the terminal ------------------------------------------------------------
t_quit() {
    local t0
    tui_start "$BASE/"
    wait_screen "$DEMO_TABS" || return
    is "$(tm display -p -t t '#{alternate_on}')" 1 "$TNAME: the TUI runs on the alternate screen"
    t0=$EPOCHREALTIME
    keys q
    wait_exit || return
    is "$EXIT" exit=0 "$TNAME: q: exit status 0"
    ok '[ ! -s "$TDIR/stderr" ]' "$TNAME: nothing on stderr"
    ELAPSED=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
    ok 'elapsed_below 0.5' "$TNAME: q exits at once (${ELAPSED} s, limit 0.5 s)"
    terminal_restored
}

# --- signals -----------------------------------------------------------------------------
t_sigint() {
    tui_start "$BASE/"
    wait_screen "$DEMO_TABS" || return
    keys C-c
    wait_exit || return
    is "$EXIT" exit=130 "$TNAME: Ctrl-C (SIGINT): exit status 130"
    stderr_one_line
    terminal_restored
}

t_sigterm() {
    tui_start "$BASE/slow"
    wait_screen 'Loading' || return
    wait_until '[ -s "$TDIR/pid" ]' "pid recorded" || return
    kill -TERM "$(cat "$TDIR/pid")"
    wait_exit || return
    is "$EXIT" exit=143 "$TNAME: SIGTERM during a transfer: exit status 143"
    stderr_one_line
    terminal_restored
}

# --- a hostile page ------------------------------------------------------------------------
t_hostile() {
    local title0
    tui_start
    wait_screen 'Open a URL' || return
    title0=$(tm display -p -t t '#{pane_title}')
    is "$(tm list-buffers 2>/dev/null)" "" "$TNAME: no tmux buffer before"
    type_text "$BASE/hostile"
    keys Enter
    wait_screen "HTTP 200 .*$(re_quote "$BASE/hostile")" || return
    wait_screen '^ ?1 Links [0-9]+' || return
    local screens=$SCREEN$'\n'
    # every row of every pane drawn, with its detail
    local n k
    wait_rows || return
    n=$ROWS
    for ((k = 1; k < n; k++)); do
        keys j
        wait_screen "$(nth_of $((k + 1)) "$n")" || return
        screens+=$SCREEN$'\n'
    done
    keys 2
    wait_screen "$(row_re img src "$BASE/img/h.png")" || return
    screens+=$SCREEN$'\n'
    keys 4
    wait_screen "$(row_re iframe src "$BASE/page2.html?t")" || return
    screens+=$SCREEN$'\n'
    keys 7
    wait_screen '^ *1 +<!DOCTYPE' || return
    screens+=$SCREEN$'\n'
    local source=$SCREEN
    keys 6
    wait_screen 'X-Hostile' || return
    screens+=$SCREEN$'\n'
    keys 1
    wait_screen "$(re_quote "$(shown_url "$BASE/page2.html?utf8")")" || return
    screens+=$SCREEN$'\n'

    is "$(tm display -p -t t '#{pane_title}')" "$title0" "$TNAME: #{pane_title} unchanged (no OSC 0 got through)"
    is "$(tm list-buffers 2>/dev/null)" "" "$TNAME: no tmux buffer created (no OSC 52 got through)"
    screen_ok 'grep -Eq "^ ?1 Links [0-9]+" <<<"$(head -1 <<<"$SCREEN")" && grep -q "HTTP 200" <<<"$(tail -1 <<<"$SCREEN")"' \
        "screen not cleared: the tab bar on the first row, the status line on the last"
    screen_ok 'grep -q "café ✓" <<<"$SCREEN"' "plain UTF-8 text shown as is (café ✓)"
    SCREEN=$source
    screen_ok 'grep -Eq "(\^\[|\\\\e|\\\\x1[bB]|\\\\033|␛|<U\+001B>)\]0;PWNED" <<<"$SCREEN"' \
        "the Source pane shows ESC escaped (e.g. ^[]0;PWNED)"
    printf '%s' "$screens" >"$TDIR/screens.txt"
    is_terminal_safe "$TDIR/screens.txt" \
        "$TNAME: the screens hold no control or bidi character, valid UTF-8 (nothing raw reached tmux's grid)"
    quit_clean
    # the raw bytes the program wrote to the terminal
    close_raw_log || return
    if msg=$("$PYTHON" "$ROOT/tests/raw_safe.py" "$TDIR/raw.log"
    ); then
        pass "$TNAME: the raw terminal output (pipe-pane) has no OSC, BEL, C1, bidi or invalid UTF-8"
    else
        fail "$TNAME: the raw terminal output (pipe-pane) has no OSC, BEL, C1, bidi or invalid UTF-8"
        diag "$msg"
    fi
}

# --- no usable terminal --------------------------------------------------------------------
t_dumb() {
    local how
    for how in TERM=dumb "-u TERM" TERM=no-such-terminal-xyz; do
        # shellcheck disable=SC2086
        tui_start $how -- "$BASE/"
        wait_exit || return
        is "$EXIT" exit=1 "$TNAME: $how: exit status 1"
        stderr_one_line "$how: "
        like "$(cat "$TDIR/stderr")" "[Tt][Ee][Rr][Mm]" "$TNAME: $how: the message is about the terminal"
        close_raw_log || return
        ok '! esc_written' "$TNAME: $how: no escape sequence written to the terminal"
        tui_stop
    done
}

# --- NO_COLOR ------------------------------------------------------------------------------
# sgr_colours: colour parameters (30-37, 38, 40-47, 48, 90-97, 100-107) in
# the screen's SGR sequences, as capture-pane -e reports them.
sgr_colours() {
    tm capture-pane -p -e -t t | grep -oE $'\e''\[[0-9;]*m' | tr -d $'\e[m' | tr ';' '\n' |
        grep -Ex '3[0-8]|4[0-8]|9[0-7]|10[0-7]' | sort -u | tr '\n' ' '
}
t_no_color() {
    tui_start "$BASE/"
    wait_screen "$DEMO_TABS" || return
    local with
    with=$(sgr_colours)
    quit_clean
    tui_stop
    tui_start NO_COLOR=1 -- "$BASE/"
    wait_screen "$DEMO_TABS" || return
    if [ -z "$with" ]; then
        skip "$TNAME: no colours used even without NO_COLOR"
    else
        is "$(sgr_colours)" "" "$TNAME: NO_COLOR=1: no colour on screen (without it: $with)"
    fi
    quit_clean
}

# ==== run ========================================================================

T0=$EPOCHREALTIME
scenario "form" t_form
scenario "panes" t_panes
scenario "transfer pane" t_transfer
scenario "follow and back" t_follow
scenario "back after a filtered follow" t_follow_filtered
scenario "download" t_download
scenario "save" t_save
scenario "y" t_yank
scenario "filter" t_filter
scenario "resize" t_resize
scenario "help" t_help
scenario "Ctrl-L" t_redraw
scenario "cancel" t_cancel
scenario "q" t_quit
scenario "SIGINT" t_sigint
scenario "SIGTERM" t_sigterm
scenario "hostile page" t_hostile
scenario "no usable terminal" t_dumb
scenario "NO_COLOR" t_no_color
diag "tui.t took $(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"

done_testing
