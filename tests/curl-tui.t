#!/bin/bash
# curl on the screen: a browser's "Copy as cURL" pasted into the URL form
# (Chrome's, with line continuations and $'...'; Firefox's, on one line)
# fetches what it says, as the server sees it; an unknown option fetches
# nothing; C copies the fetch as a curl command that the real curl replays
# to the same request; the form's Headers field takes curl's words.
#
# Run from the repository root:  prove -v tests/curl-tui.t
# (SCRAPER=./scraper-asan TIME_SCALE=3 prove -v tests/curl-tui.t for the
# sanitizer build.)

. "$(dirname "$0")/lib.sh"
require_scraper
. "$(dirname "$0")/tmux-lib.sh"
SCENARIO_ONLY=${TUI_ONLY:-.}
start_server

# last: what the server received with the last /curl/echo request (JSON).
last() {
    "$PYTHON" -c 'import sys, urllib.request
try:
    sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())
except Exception:
    pass' "$BASE/curl/last"
}

# field KEY: one field of last's JSON (headers: "name: value" lines).
field() {
    last | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
k = sys.argv[1]
if k == "headers":
    print("\n".join("%s: %s" % (n, v) for n, v in d["headers"]))
elif k == "cookies":
    print("; ".join("%s=%s" % kv for kv in sorted(d["cookies"].items())))
else:
    print(d[k])' "$1"
}

# echo_count: requests for /curl/echo the server has had.
echo_count() { grep -c '^[A-Z]* /curl/echo' "$SERVER_LOG"; }

# paste TEXT: TEXT into the pane as a terminal pastes it (bracketed, as the
# program asked for), through a tmux buffer.
paste() {
    printf '%s' "$1" >"$TDIR/paste.txt"
    tm load-buffer -b p "$TDIR/paste.txt"
    tm paste-buffer -p -d -b p -t t
}

chrome_copy() {
    cat <<EOF
curl '$BASE/curl/echo?from=chrome' \\
  -H 'accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' \\
  -H 'accept-language: en-GB,en;q=0.9' \\
  -H 'cache-control: no-cache' \\
  -b 'session=abc123; theme=dark' \\
  -H 'origin: $BASE' \\
  -H 'sec-ch-ua: "Chromium";v="120", "Not?A_Brand";v="24"' \\
  -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36' \\
  -H \$'x-note: it\\'s\\u0021' \\
  --data-raw \$'q=it\\'s\\u0021&n=\\x41' \\
  --compressed
EOF
}

t_paste_chrome() {
    tui_start
    wait_screen 'Open a URL' || return
    local before
    before=$(echo_count)
    paste "$(chrome_copy)"
    wait_screen "URL .*' +--compressed +x\$" || return
    pass "$TNAME: the pasted lines are one line of the URL field, its end shown"
    ok "[ \"\$(echo_count)\" = \"$before\" ]" "$TNAME: the paste's line breaks are no Enter: nothing fetched yet"
    keys Enter
    wait_status '^HTTP 200 ' || return
    is "$(field method)" POST "$TNAME: --data-raw: a POST"
    is "$(field target)" "/curl/echo?from=chrome" "$TNAME: the URL, as pasted"
    is "$(field body)" "q=it's!&n=A" "$TNAME: the body, \$'...' read as bash reads it"
    is "$(field cookies)" "session=abc123; theme=dark" "$TNAME: -b: the cookies"
    like "$(field headers)" "user-agent: Mozilla/5.0 \\(X11; Linux x86_64\\) AppleWebKit" \
        "$TNAME: the browser's user-agent"
    like "$(field headers)" "x-note: it's!" "$TNAME: a header in \$'...'"
    like "$(field headers)" 'sec-ch-ua: "Chromium";v="120", "Not\?A_Brand";v="24"' \
        "$TNAME: a header with double quotes inside single ones"
    like "$(field headers)" "Accept-Encoding: .*gzip" "$TNAME: --compressed (the default)"
    # the follows made from the page it shows carry the same options
    select_row 1 1 || return
    keys Enter
    wait_until 'last | grep -q "followed"' "the follow reaches the server" || return
    is "$(field cookies)" "session=abc123; theme=dark" "$TNAME: a follow sends the pasted cookies"
    like "$(field headers)" "x-note: it's!" "$TNAME: ... and the pasted headers"
    quit_clean
}

t_paste_firefox() {
    tui_start
    wait_screen 'Open a URL' || return
    # Firefox copies on one line; typed as keys here (no bracketed paste)
    type_text "curl '$BASE/curl/echo?from=firefox' -X 'PUT' -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0' -H 'Accept: */*' -H 'Accept-Language: en-US,en;q=0.5' -H 'Cookie: sid=ff1; lang=en' -H 'Connection: keep-alive' -u 'alice:s3cret' -e '$BASE/from' --data-raw '{\"a\":1}' -sS -o /dev/null"
    keys Enter
    wait_status '^HTTP 200 ' || return
    is "$(field method)" PUT "$TNAME: -X 'PUT'"
    is "$(field body)" '{"a":1}' "$TNAME: --data-raw: the body"
    is "$(field cookies)" "lang=en; sid=ff1" "$TNAME: a Cookie header"
    like "$(field headers)" "Authorization: Basic YWxpY2U6czNjcmV0" "$TNAME: -u: the credentials"
    like "$(field headers)" "Referer: $BASE/from" "$TNAME: -e: the referer"
    like "$(field headers)" "User-Agent: .*Firefox/121.0" "$TNAME: Firefox's user-agent"
    # typed, not pasted: Enter after a backslash goes on to the next line
    keys o
    wait_screen 'Open a URL' || return
    type_text "curl '$BASE/curl/echo?typed=1' \\"
    keys Enter
    type_text "-H 'X-Typed: 1'"
    wait_screen "URL .*typed=1' +-H 'X-Typed: 1' +x\$" || return
    keys Enter
    wait_until 'last | grep -q "typed=1"' "the continued line is fetched" || return
    like "$(field headers)" "X-Typed: 1" "$TNAME: Enter after a backslash continues the line"
    quit_clean
}

t_unknown_option() {
    tui_start "$BASE/page2.html"
    wait_status '^HTTP 200 ' || return
    local before
    before=$(echo_count)
    keys o
    wait_screen 'Open a URL' || return
    type_text "curl '$BASE/curl/echo' -H 'X-A: 1' --frobnicate"
    keys Enter
    wait_status 'unknown curl option --frobnicate.*nothing fetched' || return
    pass "$TNAME: the status line names the unknown option"
    keys C-u
    type_text "curl '$BASE/curl/echo' -H 'X-A: 1' -H"
    keys Enter
    wait_status '-H needs a value' || return
    pass "$TNAME: a missing value is named too"
    keys C-u
    type_text "curl '$BASE/curl/echo' -H 'X-A: 1"
    keys Enter
    wait_status "quote is never closed" || return
    pass "$TNAME: an unterminated quote"
    keys C-u
    type_text "curl $BASE/curl/echo | sh"
    keys Enter
    wait_status "shell syntax" || return
    pass "$TNAME: a pipe is not run"
    keys C-u
    type_text "curl \$'$BASE/curl/echo?\\e[31m\\u202e'"
    keys Enter
    wait_status "control character or an invalid byte in the URL" || return
    pass "$TNAME: \$'...' cannot put an escape or a bidi control in the URL"
    ok "[ \"\$(echo_count)\" = \"$before\" ]" "$TNAME: nothing fetched"
    keys Escape
    quit_clean
}

t_copy_curl() {
    command -v curl >/dev/null || { skip "$TNAME: curl not installed (apt-get install curl)"; return; }
    tui_start -- -H "X-Copy: it's \"quoted\"" -u 'alice:s3cret' -b 'k=v; w=x' \
        --data-binary $'line1\nline2' -e "$BASE/ref;auto" "$BASE/curl/echo?copy=1"
    wait_status '^HTTP 200 ' || return
    local ours theirs cmd
    ours=$(last)
    keys C
    wait_status 'curl command' || return
    pass "$TNAME: C says the command was copied"
    unlike "$SCREEN" "s3cret" "$TNAME: the password is nowhere on the screen"
    cmd=$(tm show-buffer)
    like "$cmd" "^curl " "$TNAME: tmux's buffer holds the command"
    bash -c "$cmd" >/dev/null 2>&1
    theirs=$(last)
    is "$theirs" "$ours" "$TNAME: the real curl, run on the copy, makes the same request"
    quit_clean
}

t_headers_field() {
    tui_start "$BASE/curl/echo?h=0"
    wait_status '^HTTP 200 ' || return
    keys o
    wait_screen 'Headers' || return
    keys Tab Tab
    type_text "-H 'X-Debug: 1' -b 'session=abc' -A 'agent 7'"
    keys Enter
    wait_until 'last | grep -q "X-Debug"' "the fetch with the Headers field reaches the server" || return
    like "$(field headers)" "X-Debug: 1" "$TNAME: a header from the Headers field"
    is "$(field cookies)" "session=abc" "$TNAME: ... a cookie"
    like "$(field headers)" "User-Agent: agent 7" "$TNAME: ... -A"
    wait_status '^HTTP 200 ' || return
    keys o
    wait_screen "Headers +-H 'X-Debug: 1' -A 'agent 7' -b session=abc" || return
    pass "$TNAME: the form opens with the options in effect"
    keys Tab Tab
    type_text " --bogus"
    keys Enter
    wait_status 'unknown curl option --bogus.*nothing fetched' || return
    pass "$TNAME: an unknown option in the Headers field fetches nothing"
    keys Escape
    keys r
    wait_until '[ "$(grep -c "^GET /curl/echo?h=0" "$SERVER_LOG")" = 3 ]' "the reload reaches the server" || return
    like "$(field headers)" "X-Debug: 1" "$TNAME: a reload keeps the options"
    quit_clean
}

t_long_paste() {
    local big start
    big=$("$PYTHON" -c 'print("c=" + "x" * 30000)')
    tui_start
    wait_screen 'Open a URL' || return
    start=$EPOCHREALTIME
    paste "curl '$BASE/curl/echo?long=1' \\
  -H 'cookie: $big' \\
  --compressed"
    wait_screen "URL .*' +--compressed +x\$" || return
    diag "a 30 KB paste shown in $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s"
    keys Enter
    wait_status '^HTTP 200 ' || return
    is "$(field cookies | wc -c)" 30003 "$TNAME: a 30 KB cookie arrives whole"
    # pasted over the page, not in the form: the form opens with it (its
    # letters are no keys: q would quit); a line break without a backslash
    # is a blank, never an Enter
    paste "curl '$BASE/curl/echo?two=lines'
-H 'X-Second: line' -sSq"
    wait_screen "URL .*-H 'X-Second: line' -sSq +x\$" || return
    pass "$TNAME: a paste over the page opens the form with it"
    keys BSpace
    keys Enter
    wait_until 'last | grep -q "two=lines"' "the two-line paste is fetched" || return
    like "$(field headers)" "X-Second: line" "$TNAME: a line break in a paste is a blank"
    # a shell run meanwhile (Ctrl-Z, fg) turns the paste marks off: the form
    # asks for them again as it opens
    wait_status '^HTTP 200 .*two=lines' || return
    printf '\033[?2004l' >"$(tm display -p -t t '#{pane_tty}')"
    keys o
    wait_screen 'Open a URL' || return
    paste "curl '$BASE/curl/echo?marks=again'
-H 'X-Marks: again'"
    wait_screen "URL .*-H 'X-Marks: again' +x\$" || return
    keys Enter
    wait_until 'last | grep -q "marks=again"' "the paste after the marks were off is fetched" || return
    like "$(field headers)" "X-Marks: again" "$TNAME: the form turns the paste marks on again"
    quit_clean
}

scenario "paste Chrome" t_paste_chrome
scenario "paste Firefox" t_paste_firefox
scenario "unknown option" t_unknown_option
scenario "copy as curl" t_copy_curl
scenario "Headers field" t_headers_field
scenario "long paste" t_long_paste
done_testing
