#!/bin/bash
# curl's request options (-H, -A, -e, -u, -X, -d, --data-binary, -b, -c, -k,
# --cacert, --capath, -x, --noproxy, -4, -6, --http1.1, --http2,
# --no-compressed, --max-redirs, --resolve, --limit-rate), batch side: each
# is checked by what tests/server.py received (its /echo route answers with
# the request as JSON; --save keeps that answer), not only by our output.
#
# Run from the repository root:  prove -v tests/request.t

. "$(dirname "$0")/lib.sh"
require_scraper
start_server_tls

ECHO_DIR=$SCRATCH/echo
ECHO=$ECHO_DIR/echo.json

# the CA variables are the test's to set (this machine's may name a bundle)
unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR

# echo_at URL ARG...: fetch URL (an /echo) with ARGs; the server's view of the
# request is then in $ECHO.  echo_run ARG...: the same of $BASE/echo.
echo_at() {
    local url=$1
    shift
    rm -f "$ECHO"
    run_scraper --dump --save=echo.json --dir "$ECHO_DIR" --force "$@" "$url"
}
echo_run() { echo_at "$BASE/echo" "$@"; }

# seen EXPR: EXPR on the server's view (d: method, target, headers, cookies, body).
seen() {
    if [ -s "$ECHO" ]; then json_get "$ECHO" "$1"; else echo "(no answer saved)"; fi
}

# header NAME: the value of the header NAME the server received, or "(none)".
header() {
    seen "next((v for n, v in d['headers'] if n.lower() == '$(echo "$1" | tr A-Z a-z)'), '(none)')"
}

# ==== HTTP: headers, identity, method, body ==================================

echo_run -H "X-Test: yes" -H "X-Other: two words"
quiet_ok "-H twice"
is "$(header X-Test)" "yes" "-H: the server received the header"
is "$(header X-Other)" "two words" "-H is repeatable"

echo_run -H "Accept:"
is "$(header Accept)" "(none)" "-H 'Accept:' removes a header libcurl sends"

echo_run
is "$(header User-Agent)" "scraper/$(./scraper --version | awk '{print $2}')" \
    "the default User-Agent"
echo_run -A "agent-A/1"
is "$(header User-Agent)" "agent-A/1" "-A sets the User-Agent"
echo_run --user-agent "agent-long/2"
is "$(header User-Agent)" "agent-long/2" "--user-agent sets the User-Agent"
echo_run -H "User-Agent: from-H"
is "$(header User-Agent)" "from-H" "-H User-Agent: overrides the default"

echo_run -e "http://example.test/from"
is "$(header Referer)" "http://example.test/from" "-e sets the Referer"
echo_run --referer "http://example.test/long"
is "$(header Referer)" "http://example.test/long" "--referer sets the Referer"

echo_run -X PUT
is "$(seen 'd["method"]')" "PUT" "-X PUT: the method"
echo_run --request DELETE
is "$(seen 'd["method"]')" "DELETE" "--request DELETE: the method"

echo_run -d "a=1" -d "b=2"
quiet_ok "-d twice"
is "$(seen 'd["method"]')" "POST" "-d: a POST"
is "$(seen 'd["body"]')" "a=1&b=2" "-d twice: the bodies joined with &"
is "$(header Content-Type)" "application/x-www-form-urlencoded" "-d: the form's type"

printf 'line one\r\nline two\n' >"$SCRATCH/data.txt"
echo_run -d "@$SCRATCH/data.txt"
is "$(seen 'repr(d["body"])')" "'line oneline two'" "-d @FILE: the file without CR and LF"
echo_run --data-binary "@$SCRATCH/data.txt"
is "$(seen 'repr(d["body"])')" "'line one\\r\\nline two\\n'" "--data-binary @FILE: the bytes as they are"
echo_run --data-binary "raw=x&y"
is "$(seen 'd["body"]')" "raw=x&y" "--data-binary STRING"
echo_run -X PUT -d "put-body"
is "$(seen 'd["method"] + " " + d["body"]')" "PUT put-body" "-X with -d: the method, the body"
echo_run -d ""
is "$(seen 'd["method"] + ":" + d["body"] + ":" + str(len(d["body"]))')" "POST::0" "-d '': an empty POST"

# the page shown is the answer to the POST: an HTML echo
run_scraper --dump -d "q=1" "$BASE/echo-page"
like "$(cat "$OUT")" "echo-page\?followed" "-d: the records are the answer's"

# ==== authentication: the password is never shown ============================

echo_run -u "alice:pw-s3cret"
is "$(header Authorization)" "Basic $(printf 'alice:pw-s3cret' | base64)" \
    "-u: the server received Basic credentials"
run_scraper --dump -v --format json -u "alice:pw-s3cret" "$BASE/echo"
is "$RC" 0 "-u -v --format json: exit 0"
B64=$(printf 'alice:pw-s3cret' | base64)
ok '! grep -q "pw-s3cret" "$OUT" "$ERR"' "-u: the password is not in -v's story nor the JSON"
ok '! grep -qF "$B64" "$OUT" "$ERR"' "-u: nor its base64"
like "$(cat "$ERR")" "> Authorization: Basic \*\*\*" "-v: the Authorization line, masked"
run_scraper --dump -v -H "Authorization: Bearer tok-s3cret" "$BASE/echo"
ok '! grep -q "tok-s3cret" "$OUT" "$ERR"' "-H Authorization: the token is masked in the story"
like "$(cat "$ERR")" "> Authorization: Bearer \*\*\*" "-H Authorization: the scheme stays"
echo_run --user "bob:pw2"
is "$(header Authorization)" "Basic $(printf 'bob:pw2' | base64)" "--user: the same"

# ==== cookies ================================================================

echo_run -b "c1=v1; c2=v2"
is "$(seen 'd["cookies"]')" '{"c1": "v1", "c2": "v2"}' "-b 'n=v; n2=v2': the cookies sent"

run_scraper --dump "$BASE/cookie/need"
is "$RC" 3 "no cookie: /cookie/need is 403"
run_scraper --dump "$BASE/cookie/set" "$BASE/cookie/need"
quiet_ok "a cookie set by one fetch goes with the next of the run"

JAR=$SCRATCH/jars/jar.txt
run_scraper --dump -c "$JAR" "$BASE/cookie/set"
quiet_ok "-c FILE"
like "$(cat "$JAR" 2>&1)" "# Netscape HTTP Cookie File" "-c: the jar is a cookie file"
like "$(grep -v '^#' "$JAR" 2>&1)" "127\.0\.0\.1.*session.s3cret-cookie" "-c: the cookie in the jar"
is "$(ls -A "$SCRATCH/jars" | wc -l)" 1 "-c: no temp file left beside the jar"
run_scraper --dump -b "$JAR" "$BASE/cookie/need"
quiet_ok "-b JAR: the cookie file's cookies are sent"
run_scraper --dump --cookie "$JAR" --cookie-jar "$JAR" "$BASE/echo"
quiet_ok "--cookie JAR --cookie-jar JAR"
like "$(cat "$JAR")" "session.s3cret-cookie" "the jar read and written again keeps the cookie"
run_scraper --dump -b "$SCRATCH/no-such-jar" "$BASE/echo"
quiet_ok "-b FILE that does not exist yet: no error (as curl)"
run_scraper --dump -c "$SCRATCH/data.txt/jar" "$BASE/echo"
fails_with 4 "-c into a path that cannot be written"

# ==== redirects ==============================================================

: >"$SERVER_LOG"
run_scraper --dump --format json --max-redirs 0 "$BASE/redirect-echo"
is "$RC" 0 "--max-redirs 0: exit 0 (a 3xx is below 400)"
is "$(json_get "$OUT" 'd["status"]')" 302 "--max-redirs 0: the redirect itself is the answer"
ok '! grep -q "^GET /echo" "$SERVER_LOG"' "--max-redirs 0: the redirect is not followed"
run_scraper --dump --max-redirs 2 "$BASE/chain/3"
fails_with 2 "--max-redirs 2 on a chain of 4"
like "$(cat "$ERR")" "more than 2" "--max-redirs: the error names the limit"
run_scraper --dump --max-redirs 4 "$BASE/chain/3"
quiet_ok "--max-redirs 4 on a chain of 4"

# ==== connection =============================================================

echo_at "http://made-up.test:$PORT/echo" --resolve "made-up.test:$PORT:127.0.0.1"
quiet_ok "--resolve: a made-up name reaches 127.0.0.1"
is "$(header Host)" "made-up.test:$PORT" "--resolve: the Host is the made-up name"

echo_at "http://proxied.test/echo" -x "http://127.0.0.1:$PORT"
quiet_ok "-x: through the proxy"
is "$(seen 'd["target"]')" "http://proxied.test/echo" "-x: the proxy was asked for the whole URL"
echo_at "http://proxied.test/echo" -v -x "http://127.0.0.1:$PORT"
like "$(cat "$ERR")" "Connecting to the proxy 127\.0\.0\.1:$PORT" "-x: the story names the proxy"
unlike "$(cat "$ERR")" "Resolved host proxied" "-x: ... and resolves no name itself"
echo_at "http://proxied.test:$PORT/echo" --proxy "127.0.0.1:$PORT" \
    --noproxy proxied.test --resolve "proxied.test:$PORT:127.0.0.1"
is "$(seen 'd["target"]')" "/echo" "--noproxy: that host is reached directly"

echo_run -4
quiet_ok "-4"
echo_at "http://v4.test:$PORT/echo" --ipv4 --resolve "v4.test:$PORT:127.0.0.1"
quiet_ok "--ipv4 with --resolve"
run_scraper --dump -6 "http://localhost:$PORT/echo"
is "$RC" 2 "-6: the IPv4-only server is not reached"

echo_run
like "$(header Accept-Encoding)" "gzip" "compressed bodies are asked for by default"
echo_run --no-compressed
is "$(header Accept-Encoding)" "(none)" "--no-compressed: no Accept-Encoding"

run_scraper --dump -v --http1.1 "$BASE/echo"
like "$(cat "$ERR")" "> GET /echo HTTP/1\.1" "--http1.1: an HTTP/1.1 request"
if curl -V 2>/dev/null | grep -q HTTP2; then
    echo_run --http2
    is "$(header Upgrade)" "h2c" "--http2: cleartext HTTP/2 is asked for (Upgrade: h2c)"
else
    skip "--http2: this libcurl has no HTTP/2"
fi

run_scraper --dump --limit-rate 8k "$BASE/big?bytes=24000"
is "$RC" 0 "--limit-rate 8k: exit 0"
ok 'awk -v e="$ELAPSED" "BEGIN { exit !(e >= 1.5) }"' \
    "--limit-rate 8k: 24000 bytes take over 1.5 s (took $ELAPSED s)"

# ==== TLS ====================================================================

if [ -n "$TLS_BASE" ]; then
    CERT=$SCRATCH/tls-cert.pem
    run_scraper --dump "$TLS_BASE/page2.html"
    is "$RC" 2 "a self-signed certificate is refused"
    run_scraper --dump -v -k "$TLS_BASE/page2.html"
    is "$RC" 0 "-k: the page is fetched"
    like "$(cat "$ERR")" "verification is off" "-k: the story says verification was off"
    run_scraper --dump --insecure "$TLS_BASE/page2.html"
    quiet_ok "--insecure"
    run_scraper --dump --cacert "$CERT" "$TLS_BASE/page2.html"
    quiet_ok "--cacert: the certificate is trusted"
    CURL_CA_BUNDLE=$CERT run_scraper --dump "$TLS_BASE/page2.html"
    quiet_ok "CURL_CA_BUNDLE is honoured"
    SSL_CERT_FILE=$CERT run_scraper --dump "$TLS_BASE/page2.html"
    quiet_ok "SSL_CERT_FILE is honoured"
    mkdir -p "$SCRATCH/capath"
    cp "$CERT" "$SCRATCH/capath/$(openssl x509 -hash -noout -in "$CERT").0"
    run_scraper --dump --capath "$SCRATCH/capath" "$TLS_BASE/page2.html"
    quiet_ok "--capath: a hashed certificate directory"
    SSL_CERT_DIR=$SCRATCH/capath run_scraper --dump "$TLS_BASE/page2.html"
    is "$RC" 0 "SSL_CERT_DIR is honoured"
    CURL_CA_BUNDLE=$SCRATCH/capath run_scraper --dump --cacert "$CERT" "$TLS_BASE/page2.html"
    quiet_ok "--cacert wins over CURL_CA_BUNDLE"
    SSL_CERT_FILE=$CERT CURL_CA_BUNDLE=$SCRATCH/data.txt run_scraper --dump "$TLS_BASE/page2.html"
    is "$RC" 2 "CURL_CA_BUNDLE wins over SSL_CERT_FILE (as curl)"
else
    skip "TLS: $TLS_WHY"
fi

# ==== bad values: one line, exit 1 ============================================

bad() {
    local what=$1
    shift
    run_scraper --dump "$@" "$BASE/echo"
    fails_with 1 "$what"
}
bad "an unknown option" --no-such-option
bad "-H without a value" --dump -H
bad "-H without a colon" -H "NoColon"
bad "-H with a line break" -H $'X-A: 1\r\nX-B: 2'
bad "--resolve without an address" --resolve "h.test:80"
bad "--resolve with a bad port" --resolve "h.test:port:127.0.0.1"
bad "--resolve with port 0" --resolve "h.test:0:127.0.0.1"
bad "--data-binary @FILE that cannot be read" --data-binary "@$SCRATCH/no-such-file"
bad "-d @FILE that cannot be read" -d "@$SCRATCH"
bad "--max-redirs -1" --max-redirs -1
bad "--max-redirs x" --max-redirs x
bad "--limit-rate -1" --limit-rate -1
bad "--limit-rate 10q" --limit-rate 10q
bad "-X with a space" -X "GET /x"
bad "-x socks5://" -x "socks5://127.0.0.1:1080"
run_scraper --dump --max-redirs
fails_with 1 "--max-redirs without its argument"

done_testing
