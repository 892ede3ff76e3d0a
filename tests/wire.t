#!/bin/bash
# What the Transfer story (the pane, `--dump -v`) and the JSON tell of the
# connection itself: both ends of the socket, a connection re-used (on
# several inputs, a same-host redirect, a reload on the screen) and how old
# it was, whether it stayed open or was closed and why; TLS: the version,
# the cipher, ALPN, the HTTP version, the certificate chain and whether it
# was trusted (-k in the warning colour).
#
# Run from the repository root:  prove -v tests/wire.t
# (SCRAPER=./scraper-asan TIME_SCALE=3 prove -v tests/wire.t for the
# sanitizer build.)

. "$(dirname "$0")/lib.sh"
require_scraper

# The fixture server, with a TLS port whose self-signed certificate has
# names (SANs); without openssl, the plain port only (TLS_WHY says why).
CERT=$SCRATCH/wire-cert.pem
TLS_BASE= TLS_WHY=
if ! command -v openssl >/dev/null 2>&1; then
    TLS_WHY="openssl not installed"
elif ! timeout "$(scaled 30)" openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -days 1 \
        -keyout "$SCRATCH/wire-key.pem" -out "$CERT" >"$SCRATCH/openssl.log" 2>&1; then
    TLS_WHY="openssl could not make a certificate: $(head -c 200 "$SCRATCH/openssl.log")"
fi
if [ -n "$TLS_WHY" ]; then
    start_server
else
    start_server --tls-cert "$CERT" --tls-key "$SCRATCH/wire-key.pem" \
        --tls-port-file "$SCRATCH/tls.port"
    TLS_BASE=https://127.0.0.1:$(cat "$SCRATCH/tls.port")
fi

# between LOW HIGH VALUE: LOW <= VALUE <= HIGH (floats).
between() { awk -v l="$1" -v h="$2" -v v="$3" 'BEGIN { exit !(v != "" && v >= l && v <= h) }'; }

# story N: the story of the Nth input of the last run (each begins where the
# one before printed its "Found" line, or its error).
story() {
    awk -v n="$1" 'BEGIN { k = 1 } k == n { print } /^\* Found [0-9]+ element|^scraper: / { k++ }' "$ERR"
}

# ==== the two ends of the socket ================================================

run_scraper --dump -v "$BASE/wire/peer"
is "$RC" 0 "a page that names the client's end: fetched"
PEER=$(grep -Eo '^\* Title: peer 127\.0\.0\.1 port [0-9]+' "$ERR" | grep -Eo '[0-9]+$')
like "$(cat "$ERR")" "TCP connection established with 127\.0\.0\.1 port $PORT \(connection #0; the port this machine's side uses: 127\.0\.0\.1 port $PEER\)" \
     "the story names both ends: the server's and this machine's port, as the server saw it ($PEER)"

# ==== a connection re-used, and what became of it ===============================

run_scraper --dump -v "$BASE/wire/ka" "$BASE/wire/ka"
is "$RC" 0 "two inputs on a server that keeps the connection open"
like "$(story 1)" "Connection #0 stays open: the next request to this host and port can use it" \
     "the first says the connection stays open"
like "$(story 2)" "^\* Re-using the connection to 127\.0\.0\.1 \(127\.0\.0\.1 port $PORT, from 127\.0\.0\.1 port [0-9]+ here\) opened [0-9]+\.[0-9] s ago \(connection #0\): no lookup, no new TCP connection" \
     "the second says it re-used that connection, with its two ends and its age"
unlike "$(story 2)" "Trying|TCP connection established" "... and made no connection of its own"
like "$(story 2 | grep '^\* Times')" "^\* Times: no DNS, TCP connect or TLS handshake \(a re-used connection\), request sent" \
     "its times have no connection steps, rather than \"not reached\" or 0.0 ms"

run_scraper --dump -v "$BASE/wire/ka-hop"
is "$RC" 0 "a same-host redirect on a kept connection"
like "$(cat "$ERR")" "Following the redirect to [^
]*
\* Re-using the connection to 127\.0\.0\.1 .* \(connection #0\)" "the redirect's request re-uses the connection"
is "$(grep -c 'TCP connection established' "$ERR")" 1 "one connection for both requests"

run_scraper --dump -v "$BASE/wire/ka-gone" "$BASE/wire/ka"
# libcurl finds the connection closed before it sends (it then makes a new
# one) or after (it sends again on a new one): both are said, neither is a
# redirect
like "$(story 2)" "(^|
)\* (The connection kept open \(#0\) cannot be used: the server has closed it since; a new one is made|Connection #0 closed: the server had closed it since it was last used; the request is sent again on a new connection)
" "a kept connection the server closed since: said"
like "$(story 2)" "TCP connection established with 127\.0\.0\.1 port $PORT \(connection #1, libcurl's number for it: the ones before were closed or busy, so a new one is opened;" \
     "... and a new one made, its number explained"
unlike "$(story 2)" "Following the redirect|Connection #0 closed(
|$)" "... told as no redirect, nor as a close without a reason"

run_scraper --dump -v "$BASE/wire/close"
like "$(cat "$ERR")" "Connection #0 closed: the server's answer said Connection: close" \
     "closed, because the server said Connection: close"
run_scraper --dump -v "$BASE/wire/http10"
like "$(cat "$ERR")" "Connection #0 closed: the server answered in HTTP/1.0, which closes after each answer" \
     "closed, because the answer was HTTP/1.0"
run_scraper --dump -v "$BASE/truncated"
like "$(cat "$ERR")" "Connection #0 closed: the fetch failed" "closed after a failed fetch"
run_scraper --dump -v "http://127.0.0.1:$(free_port)/"
unlike "$(cat "$ERR")" "Connection #" "no connection was made: none is said to close"

# ==== TLS: version, cipher, ALPN, HTTP version, the chain, trusted or not ======

# cert_date start|end: the certificate's date as OpenSSL prints it, as an ERE.
cert_date() { openssl x509 -noout -"$1"date -in "$CERT" | sed 's/^[^=]*=//; s/[][\.^$*+?(){}|]/\\&/g'; }

tls_tests() {
    local start end
    start=$(cert_date start) end=$(cert_date end)
    run_scraper --dump -v -k "$TLS_BASE/wire/ka" "$TLS_BASE/wire/ka"
    is "$RC" 0 "-k on a self-signed certificate: fetched"
    like "$(story 1)" "^(\* a step of the fetch[^
]*
)?! TLS certificate verification is off \(--insecure\)" \
         "-k is said first (after the legend), as a warning (\"!\")"
    like "$(story 1)" "\* TLS handshake done: TLSv1\.[23], cipher [A-Z0-9_]+ \(the encryption both sides agreed on\); from here on the connection is encrypted" \
         "the TLS version and the cipher"
    like "$(story 1)" "\* Offering the server these HTTP versions \(ALPN: the TLS handshake's way to agree on the HTTP version\): h2,http/1\.1 \(h2 is HTTP/2\)
(.*
)?\* The server took no part in ALPN: HTTP/1\.1 is spoken, the default" "ALPN: offered, explained, and what the server chose"
    like "$(story 1)" "\* The server sent 1 certificate, its own \(subject: whom a certificate is for; issuer: who signed it; CN: a name; SAN: the host names and addresses it is valid for\)
\* Certificate 1 \(the server's\): subject CN = 127\.0\.0\.1, issued by CN = 127\.0\.0\.1, valid from $start to $end; names \(SAN\): IP Address:127\.0\.0\.1, DNS:localhost" \
         "the chain: subject, issuer, the dates openssl gives, the names"
    like "$(story 1)" "
! The certificate is NOT trusted: self-signed certificate \(OpenSSL's code 18\): the certificate signed itself, so nothing vouches for it; going on only because of --insecure" \
         "the verify result, as a warning, in words"
    like "$(story 1)" "\* Spoke HTTP/1\.1 over TLSv1\.[23]: encrypted" "the HTTP version used, encrypted"
    like "$(story 1)" "received [0-9]+ bytes .*; HTTP's bytes only: TLS's handshake and its records' own bytes are not counted" \
         "over TLS the byte figures say they are HTTP's"
    like "$(story 2)" "Re-using the connection to .*, no TLS handshake \(its certificate was checked when it was opened\)" \
         "a re-used TLS connection: no handshake, and why"
    like "$(story 2)" "\* Spoke HTTP/1\.1 over TLSv1\.[23]: encrypted" "... still said to be encrypted, with its version"

    run_scraper --dump -v --cacert "$CERT" "$TLS_BASE/wire/close"
    is "$RC" 0 "--cacert trusts the certificate"
    like "$(cat "$ERR")" "\* The certificate is for the host asked for: \"127\.0\.0\.1\" is among its names
\* The certificate is trusted: signed by \(or is\) the certificate --cacert \(or --capath\) names" \
         "the host matched, the chain trusted by what --cacert names"
    unlike "$(cat "$ERR")" "^!|
!" "no warning when verified"

    run_scraper --dump -v "$TLS_BASE/wire/close"
    is "$RC" 2 "verification on: refused"
    like "$(cat "$ERR")" "
! The server's certificate was refused \(OpenSSL's code 18\), so no request was sent: --cacert FILE" \
         "a refused certificate: the verify result, what was not done, and what would help"
    like "$(tail -2 "$ERR" | head -1)" "^! The fetch failed during the TLS handshake: SSL certificate problem: self-signed certificate" \
         "... before where it stopped and why"

    run_scraper --dump -v "$BASE/wire/close"
    like "$(cat "$ERR")" "\* Spoke HTTP/1\.1, not encrypted \(an http: URL\)" "plain HTTP is said to be unencrypted"
}

if [ -n "$TLS_BASE" ]; then
    tls_tests
else
    skip "TLS: $TLS_WHY"
fi

# ==== words a newcomer may not know: explained once, where they first appear ====

run_scraper --dump -v "$BASE/chain/1"
is "$(grep -c "TCP: a connection to the server's port" "$ERR")" 1 "TCP explained once, on its first line, though two connections are made"
like "$(cat "$ERR")" "\* Request sent \([0-9]+ bytes of header; Accept-Encoding lists the compressions this program can decode\):" \
     "Accept-Encoding's list explained"
run_scraper --dump -v "$BASE/story/304"
unlike "$(cat "$ERR")" "mistake|recovered|error" "a 304 without a body: no markup errors"
run_scraper --dump -v "$BASE/index.html"
like "$(cat "$ERR")" "\* The page's HTML had [0-9]+ mistakes? the parser worked around" "markup errors in plain words"
unlike "$(cat "$ERR")" "libxml2" "... without the parser's name"

run_scraper --dump -v "$BASE/page2.html" "$BASE/page2.html"
is "$(head -1 "$ERR")" "* a step of the fetch   > sent to the server   < received from it   ! a warning" \
   "-v: the legend first, as atop the Transfer pane"
is "$(grep -c 'a step of the fetch' "$ERR")" 1 "... once, however many inputs"

# ==== bytes: each way, on the wire and kept; the wait for the server ============

# raw PATH: "HEAD BODY DECHUNKED DECODED": the bytes the server sends for PATH
# (head with its blank line, body as sent, body without chunk sizes, gunzipped).
raw() {
    "$PYTHON" - "$PORT" "$1" <<'EOF'
import gzip, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n" % sys.argv[2].encode())
d = b""
while True:
    p = s.recv(65536)
    if not p:
        break
    d += p
head, body = d.split(b"\r\n\r\n", 1)
plain, rest = b"", body
while rest:
    size, rest = rest.split(b"\r\n", 1)
    n = int(size, 16)
    plain, rest = plain + rest[:n], rest[n + 2:]
    if n == 0:
        break
print(len(head) + 4, len(body), len(plain), len(gzip.decompress(plain)))
EOF
}

read -r HEAD WIRE PLAIN DECODED <<<"$(raw /wire/gzip-chunked)"
run_scraper --dump -v "$BASE/wire/gzip-chunked"
is "$RC" 0 "a gzipped, chunked body: fetched"
like "$(cat "$ERR")" "\* On the connection: sent [0-9]+ bytes \(headers only\), received $((HEAD + WIRE)) bytes \($HEAD of headers, $WIRE of body with the chunk sizes of the chunked transfer\)" \
     "the bytes on the wire, as the server sent them ($HEAD + $WIRE)"
like "$(cat "$ERR")" "\* The body: $PLAIN bytes gzip-compressed as sent, $DECODED once decoded" \
     "compressed ($PLAIN) and decoded ($DECODED), as python counts them"
unlike "$(cat "$ERR")" "Received [0-9]+ bytes of body" "... and no second \"received\" figure for the one body"
like "$(cat "$ERR")" "< Connection: close
< \(a blank line: the end of the headers\)
" "the blank line that ends the headers is shown"
unlike "$(cat "$ERR")" "Throughput" "no throughput for a tiny body fetched at once: it would measure the clock"
run_scraper --dump -v "$BASE/slow"
like "$(cat "$ERR")" "\* Throughput: [0-9.]+ (B|KiB|MiB)/s \(187 bytes of body in the [0-9.]+ ms of the download\)" \
     "a body that took long: the throughput, and what it counts"

run_scraper --dump -v "$BASE/page2.html"
is "$(grep -c 'Content-Length: 242' "$ERR")" 1 "Content-Length said once, by the header line"
run_scraper --dump -v "$BASE/chain/3"
like "$(cat "$ERR")" "\* On the 4 connections, the 4 requests together: .*; the redirect answers' bodies are not counted" \
     "a redirect chain on several connections: said so, and the redirects' bodies left out said"
run_scraper --dump -v "$BASE/gzip-bad"
like "$(cat "$ERR")" "\* The body: 10 bytes gzip-compressed as sent, 0 once decoded" "a bad gzip body: what came, and what decoding made of it"
unlike "$(cat "$ERR")" "\(0 of 10 bytes\)" "... not contradicted by the failure's line"
run_scraper --dump -v "$BASE/wire/ka" "$BASE/wire/ka"
like "$(story 2)" "\* For this request \(on a re-used connection\): sent" "a re-used connection: the bytes are this request's"

run_scraper --dump -v -d 'twelve bytes' "$BASE/echo"
like "$(cat "$ERR")" "\* On the connection: sent [0-9]+ bytes \([0-9]+ of headers, 12 of body\)" "a request body's bytes are counted"
like "$(cat "$ERR")" "> \(a blank line: the end of the request's headers\)" "the request's blank line too"

# the wait for the first byte: said as it begins, and how long it lasted
DELAY=$(scaled 300)
run_scraper --dump -v "$BASE/story/delay?ms=300"
like "$(cat "$ERR")" "> \(a blank line: the end of the request's headers\)
\* The server's answer began after [0-9.]+ ms of waiting \(its own time, and the network's\)
< HTTP/1\.1 200 OK" "when the answer began, before its first line (in place of the \"Waiting\" line)"
WAITED=$(grep -Eo 'answer began after [0-9.]+' "$ERR" | grep -Eo '[0-9.]+$')
ok 'between $DELAY $((DELAY + 50 * ${TIME_SCALE:-1})) "$WAITED"' \
   "the wait is the server's ${DELAY} ms delay, within 50 ms (got $WAITED)"

# ==== JSON: the same facts =====================================================

run_scraper --dump --format json "$BASE/wire/peer"
PEER=$(json_get "$OUT" 'd["title"].split()[-1]')
is "$(json_get "$OUT" '[d["local"], d["remote"]]')" \
   "[{\"ip\": \"127.0.0.1\", \"port\": $PEER}, {\"ip\": \"127.0.0.1\", \"port\": $PORT, \"reused\": false, \"kept_open\": false, \"bytes_sent\": $(json_get "$OUT" 'd["remote"]["bytes_sent"]'), \"bytes_received\": $(json_get "$OUT" 'd["remote"]["bytes_received"]')}]" \
   "JSON local: this machine's end as the server saw it ($PEER); remote: the server's, not re-used, closed"
is "$(json_get "$OUT" 'sorted(d["hops"][0])')" '["headers", "http_version", "status", "times", "url"]' \
   "JSON hop: url, status, http_version, headers, times"
is "$(json_get "$OUT" '[d["hops"][0]["http_version"], sorted(d["hops"][0]["times"]), sorted(d["timings"]), sorted(d["timings"]["steps"])]')" \
   '["HTTP/1.1", ["done", "first_byte", "sent", "server"], ["connect", "dns", "first_byte", "redirect", "steps", "tls", "total"], ["connect", "dns", "download", "other", "redirects", "reused", "server", "tls", "total"]]' \
   "JSON: the hop's HTTP version and times; timings keep libcurl's and add each step's length"

run_scraper --dump --format jsonl "$BASE/wire/ka" "$BASE/wire/ka"
is "$(sed -n 2p "$OUT" >"$SCRATCH/second.json"; json_get "$SCRATCH/second.json" '[d["remote"]["reused"], d["remote"]["kept_open"], d["timings"]["steps"]["reused"], d["timings"]["steps"]["dns"], d["timings"]["steps"]["connect"], d["timings"]["steps"]["server"] is not None]')" \
   "[true, true, true, null, null, true]" "JSON of a re-used connection: reused, kept open, no DNS or connect step"

run_scraper --dump --format json "$BASE/wire/gzip-chunked"
is "$(json_get "$OUT" '[d["remote"]["bytes_received"], d["bytes"]]')" "[$((HEAD + WIRE)), $DECODED]" \
   "JSON: the bytes received on the wire, and the body kept"

run_scraper --dump --format json "$BASE/story/hop?ms=300"
J=$OUT
ok 'between $DELAY $((DELAY + 50 * ${TIME_SCALE:-1})) "$(json_get "$J" "d[\"hops\"][1][\"times\"][\"server\"]")"' \
   "JSON: the second hop's server time is the ${DELAY} ms delay, within 50 ms"
ok 'between 0 $((50 * ${TIME_SCALE:-1})) "$(json_get "$J" "d[\"hops\"][0][\"times\"][\"server\"]")"' \
   "JSON: the first hop's (the redirect) is short"
is "$(json_get "$J" '[h["times"]["sent"] <= h["times"]["first_byte"] <= h["times"]["done"] for h in d["hops"]] + [d["hops"][0]["times"]["done"] <= d["hops"][1]["times"]["sent"]]')" \
   "[true, true, true]" "JSON hop times: sent, first byte, done, in order, hop after hop"
ok 'between $DELAY $((DELAY + 50 * ${TIME_SCALE:-1})) "$(json_get "$J" "d[\"timings\"][\"redirect\"] + d[\"timings\"][\"steps\"][\"server\"]")"' \
   "JSON timings: redirect time plus the server step cover the one delay"

run_scraper --dump --format json "$BASE/story/304"
is "$(json_get "$OUT" '[d["status"], d["content_length"]]')" "[304, null]" "JSON: a 304 without Content-Length has content_length null"

if [ -n "$TLS_BASE" ]; then
    run_scraper --dump --format json -k "$TLS_BASE/wire/close"
    is "$(json_get "$OUT" '[sorted(d["tls"]), d["tls"]["alpn"], d["tls"]["verify_result"], len(d["tls"]["certificates"]), d["tls"]["certificates"][0]["names"], d["tls"]["certificates"][0]["subject"]]')" \
       '[["alpn", "certificates", "cipher", "verify_result", "version"], null, 18, 1, "IP Address:127.0.0.1, DNS:localhost", "CN = 127.0.0.1"]' \
       "JSON tls: ALPN, the verify result, the chain with its names"
    is "$(json_get "$OUT" '[d["tls"]["certificates"][0]["start"], d["tls"]["certificates"][0]["expire"]]')" \
       "[\"$(openssl x509 -noout -startdate -in "$CERT" | sed 's/^[^=]*=//')\", \"$(openssl x509 -noout -enddate -in "$CERT" | sed 's/^[^=]*=//')\"]" \
       "JSON tls: the validity dates openssl gives"
    is "$(json_get "$OUT" 'd["timings"]["steps"]["tls"] > 0')" true "JSON timings: a TLS step of its own"
else
    skip "JSON of TLS: $TLS_WHY"
fi

# ==== the screen: a reload re-uses the connection ================================

. "$(dirname "$0")/tmux-lib.sh"
SCENARIO_ONLY=${TUI_ONLY:-.}
TUI_W=200 # the story's lines unwrapped

t_reload_reuses() {
    local t0 age
    tui_start "$BASE/wire/ka"
    wait_status '^HTTP 200 ' || return
    t0=$EPOCHREALTIME
    keys 6
    wait_screen "^\* TCP connection established with 127\.0\.0\.1 port $PORT \(connection #0; the port this machine's side uses" || return
    pass "$TNAME: the Transfer pane names both ends"
    wait_until 'awk -v a="$t0" -v b="$EPOCHREALTIME" "BEGIN { exit !(b - a >= 1.2) }"' "a second passes" || return
    keys r
    wait_screen '^\* Re-using the connection to 127\.0\.0\.1 .*opened [0-9.]+ s ago' || return
    age=$(grep -Eo 'opened [0-9.]+ s ago' <<<"$SCREEN" | grep -Eo '[0-9.]+')
    ok 'between 1.0 $(scaled 30) "$age"' "$TNAME: a reload says the connection was opened $age s ago (at least the second waited)"
    screen_ok '! grep -Eq "TCP connect 0\.0 ms|TCP connect not reached" <<<"$SCREEN"' \
        "... and never \"TCP connect 0.0 ms\""
    # a follow: the link to base.html, on the same server (a 404 there)
    keys 1
    select_row 2 3 || return
    keys Enter
    wait_status '404' || return
    keys 6
    wait_screen '^\* Re-using the connection to 127\.0\.0\.1 .*\(connection #0\)' || return
    pass "$TNAME: a follow re-uses it too"
    quit_clean
}

# -k: its warning lines in the warning colour (red), the others not (the
# selected line is reversed, uncoloured: G selects the last).
t_insecure_colour() {
    tui_start -- -k "$TLS_BASE/wire/close"
    wait_status '^HTTP 200 ' || return
    keys 6 G
    wait_screen '^! The certificate is NOT trusted' || return
    local line
    line=$(tm capture-pane -e -p -t t | grep 'The certificate is NOT trusted' | head -1)
    like "$line" $'\e''\[([0-9;]*;)?31(;[0-9;]*)?m' "$TNAME: the warning that -k let an untrusted certificate pass is drawn red"
    line=$(tm capture-pane -e -p -t t | grep 'TLS handshake done' | head -1)
    unlike "$line" $'\e''\[([0-9;]*;)?31(;[0-9;]*)?m' "$TNAME: an ordinary step is not"
    quit_clean
}

# A slow first byte: "Waiting for the server's answer…" is on the screen
# (the status line, the Transfer pane) while the server waits, before any
# line of the answer.
t_waiting_live() {
    tui_start "$BASE/story/delay?ms=4000"
    wait_status "^Loading .*waiting for the server's answer, [0-9.]+ s" || return
    pass "$TNAME: the status line says the wait, on any pane"
    keys 6
    wait_screen "^\* Waiting for the server's answer…" || return
    screen_ok '! grep -q "HTTP/1.1 200" <<<"$SCREEN"' "the wait is shown while the server waits"
    wait_status '^HTTP 200 ' 20 || return
    keys 6 g
    wait_screen "^\* The server's answer began after [0-9.]+ ms of waiting" || return
    pass "$TNAME: then when the answer began"
    screen_ok '! grep -q "Waiting for the server" <<<"$SCREEN"' "... in place of the wait"
    quit_clean
}

# The legend of the lines' first characters: atop the Transfer pane, and in
# the help.
t_legend() {
    tui_start "$BASE/page2.html"
    wait_status '^HTTP 200 ' || return
    keys 6
    wait_screen '^\* a step of the fetch +> sent to the server +< received from it +! a warning *$' || return
    screen_ok '[ "$(sed -n 2p <<<"$SCREEN")" = "$(grep -m1 "a step of the fetch" <<<"$SCREEN")" ]' \
        "the legend is the pane's first row"
    screen_ok 'grep -q "^\* Host 127" <<<"$SCREEN"' "the story follows it"
    keys '?'
    wait_screen 'Keys \(j/k scroll' || return
    keys -N 100 j # to the help's end, however many keys it lists
    wait_screen 'Transfer pane +\* a step of the fetch, > sent to the server, < received from it, ! a warning' || return
    pass "$TNAME: the help has it too"
    keys q
    wait_gone 'Keys \(j/k scroll' || return
    quit_clean
}

# The "Times" line on the screen adds up as in -v: the screen's loop (its
# drawing, its waits) takes no part in the figures.
t_times_add_up() {
    local u gap
    for u in page2.html chain/3 "story/delay?ms=300"; do
        TUI_W=400 TUI_H=60 tui_start "$BASE/$u"
        wait_status '^HTTP 200 ' || return
        keys 6 G
        wait_screen '^\* Times' || return
        gap=$(times_gap <<<"$SCREEN")
        ok 'between -0.2 0.2 "$gap"' "$TNAME: $u: the steps add up to the total (off by $gap ms)"
        quit_clean
    done
}

# A failed fetch's reason stays in the status line when the Transfer pane
# is opened; -k is said there too.
t_failed_status() {
    tui_start "http://127.0.0.1:$(free_port)/"
    wait_status "Couldn't connect" || return
    keys 6
    wait_screen '^. The fetch failed while connecting' || return
    wait_status "^the fetch failed: .*Couldn't connect" || return
    pass "$TNAME: the Transfer pane shown, the reason still in the status line"
    keys 1
    wait_status "^the fetch failed: .*Couldn't connect" || return
    pass "$TNAME: ... and on another pane"
    quit_clean
}

t_insecure_status() {
    tui_start -- -k "$TLS_BASE/wire/close"
    wait_status '^HTTP 200 .*certificate not checked \(-k\)' || return
    pass "$TNAME: -k is said in the status line"
    quit_clean
}

scenario "a failed fetch's reason stays" t_failed_status
scenario "a reload re-uses the connection" t_reload_reuses
scenario "the times add up on the screen" t_times_add_up
scenario "the legend" t_legend

# ... in fewer words on a narrow screen, whole.
t_legend_narrow() {
    TUI_W=40 TUI_H=20 tui_start "$BASE/page2.html"
    wait_status '^HTTP 200 ' || return
    keys 6
    wait_screen '^\* step +> sent +< received +! warning *$' || return
    pass "$TNAME: 40 columns: the short legend, whole"
    quit_clean
}

scenario "the legend, narrow" t_legend_narrow

# A story line wider than the pane: cut with a mark, or (w) wrapped at word
# boundaries with its further rows indented by two spaces; at 130 columns
# there is no detail area to show the selected line whole.
t_long_lines() {
    local rows joined
    TUI_W=130 TUI_H=40 tui_start "$BASE/chain/2"
    wait_status '^HTTP 200 ' || return
    keys 6 G
    wait_screen '^\* Times of the last request' || return
    screen_ok 'grep -q "^\* Times of the last request.*…$" <<<"$SCREEN"' "a cut line ends with the mark …"
    keys w
    wait_status 'wrapped' || return
    rows=$(awk '/^\* Times of the last/ { on = 1; print; next } on && /^  [^ ]/ { print; next } { on = 0 }' <<<"$SCREEN")
    screen_ok '[ "$(wc -l <<<"$rows")" -ge 2 ]' "w: the Times line takes more than one row"
    joined=$(sed 's/^  //; s/ *$//' <<<"$rows" | paste -sd' ')
    like "$joined" "^\* Times of the last request \(the 2 redirects before it took [0-9.]+ ms\): no DNS \(an IP address\), TCP connect [0-9.]+ ms, request sent → first byte \(the server\) [0-9.]+ ms, download [0-9.]+ ms(, other [0-9.]+ ms \(work between the steps\))?; total [0-9.]+ ms$" \
         "$TNAME: its further rows are indented by two spaces, and its words are whole"
    quit_clean
}
scenario "long story lines" t_long_lines
scenario "the wait for a slow first byte, live" t_waiting_live
if [ -n "$TLS_BASE" ]; then
    scenario "-k in the warning colour" t_insecure_colour
    scenario "-k in the status line" t_insecure_status
else
    skip "the screen's TLS: $TLS_WHY"
fi
done_testing
