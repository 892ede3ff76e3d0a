#!/bin/bash
# What a link followed on the screen is sent with. A link is fetched with
# GET, as a browser does: a -d body and -X were for the URL they were given
# with. The credentials (-u, -b's cookies, Authorization and Cookie headers)
# go only to a server a typed URL named, as curl -L sends them; another
# server gets the other options, and the Transfer pane says what it was not
# sent. A reload is the same request again.
#
# Run from the repository root:  prove -v tests/links-request.t
# (SCRAPER=./scraper-asan TIME_SCALE=3 prove -v tests/links-request.t for the
# sanitizer build.)

. "$(dirname "$0")/lib.sh"
require_scraper
. "$(dirname "$0")/tmux-lib.sh"
SCENARIO_ONLY=${TUI_ONLY:-.}
start_server

request() { server_request "$@"; }

# given HOST: the screen opened with credentials, a kept header and a POST
# body on a page whose one link goes to HOST's /echo-page.
given() {
    local to="http://$1:$PORT/echo-page?to-$1"
    tui_start -- --resolve "other.test:$PORT:127.0.0.1" -u alice:s3cret -b given=1 \
        -H "Cookie: hdr=2" -H "X-Kept: yes" -d posted=1 \
        "$BASE/links/to?url=$(url_encode "$to")"
    wait_status '^HTTP 200 ' || return 1
    wait_screen 'echo-page' || return 1
}

url_encode() { "$PYTHON" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

t_other_server() {
    given other.test || return
    like "$(request POST "/links/to?url=$(url_encode "http://other.test:$PORT/echo-page?to-other.test")")" \
        "Authorization: Basic" "$TNAME: the typed URL gets -u"
    keys Enter
    wait_until 'grep -q "^GET /echo-page?to-other.test" "$SERVER_LOG"' "the follow reaches the server" || return
    local got
    got=$(request GET "/echo-page?to-other.test")
    unlike "$got" "Authorization" "$TNAME: no -u to a server no typed URL named"
    unlike "$got" "Cookie" "$TNAME: ... no -b cookie, no Cookie header"
    like "$got" "X-Kept: yes" "$TNAME: ... the other headers go"
    unlike "$(grep -c '^POST /echo-page' "$SERVER_LOG")" "[1-9]" "$TNAME: the link is fetched with GET"
    wait_status '^HTTP 200 ' || return
    keys 6
    keys g
    wait_screen 'Not sent to this server, as no URL you typed names it: -u, -b.s cookies, the Authorization' || return
    pass "$TNAME: the Transfer pane names what was not sent"
    quit_clean
}

t_same_server() {
    given 127.0.0.1 || return
    keys Enter
    wait_until 'grep -q "^GET /echo-page?to-127.0.0.1" "$SERVER_LOG"' "the follow reaches the server" || return
    local got
    got=$(request GET "/echo-page?to-127.0.0.1")
    like "$got" "Authorization: Basic" "$TNAME: the typed URL's server gets -u on a follow"
    like "$got" "Cookie: hdr=2" "$TNAME: ... and the Cookie header (which libcurl sends instead of -b's)"
    unlike "$(grep -c '^POST /echo-page' "$SERVER_LOG")" "[1-9]" "$TNAME: the link is fetched with GET"
    wait_status '^HTTP 200 ' || return
    keys 6
    wait_screen 'A link is fetched with GET' || return
    pass "$TNAME: the Transfer pane says the body was left out"
    quit_clean
}

t_reload() {
    given 127.0.0.1 || return
    keys r
    wait_until '[ "$(grep -c "^POST /links/to" "$SERVER_LOG")" -ge 2 ]' \
        "a reload posts the body again, as the first fetch did" || return
    pass "$TNAME: a reload is the same request again"
    quit_clean
}

# --check and --download in batch: the same rule for each URL they fetch.
t_batch() {
    local page="$BASE/links/to?url=$(url_encode "http://other.test:$PORT/echo-page?checked")"
    "$SCRAPER" --dump --check --resolve "other.test:$PORT:127.0.0.1" -u alice:s3cret \
        -H "X-Kept: yes" "$page" >"$SCRATCH/check.tsv" 2>"$SCRATCH/check.err"
    is "$?" 0 "batch: --check exits 0"
    local got
    got=$(request HEAD "/echo-page?checked")
    [ -n "$got" ] || got=$(request GET "/echo-page?checked")
    like "$got" "X-Kept: yes" "batch: --check sends the other headers"
    unlike "$got" "Authorization" "batch: ... and no -u to a server no input named"
    mkdir -p "$SCRATCH/dl"
    "$SCRAPER" --dump --download link --dir "$SCRATCH/dl" --resolve "other.test:$PORT:127.0.0.1" \
        -u alice:s3cret -d posted=1 "$page" >/dev/null 2>"$SCRATCH/dl.err"
    is "$?" 0 "batch: --download exits 0"
    got=$(request GET "/echo-page?checked")
    like "$got" "Host: other.test" "batch: --download fetched the link with GET"
    unlike "$got" "Authorization" "batch: --download sends no -u to a server no input named"
    is "$(grep -c '^POST /echo-page' "$SERVER_LOG")" 0 "batch: --download fetches with GET"
}
t_batch

scenario "a link to another server" t_other_server
scenario "a link to the typed URL's server" t_same_server
scenario "a reload" t_reload
done_testing
