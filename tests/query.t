#!/bin/bash
# --dump --query (-q): the matches of a CSS or XPath expression instead of
# the records, with fields as columns, in every format; several queries;
# an invalid expression; exit statuses as for the records; hostile text
# made safe; charsets; and an evaluation that would take minutes stopped by
# --timeout.
#
# Run from the repository root:  prove -v tests/query.t

. "$(dirname "$0")/lib.sh"
require_scraper
start_server

PAGE=$SCRATCH/table.html
cat >"$PAGE" <<'EOF'
<html><head><title>  The   table </title></head><body>
<div class="s3"><p>One <a href="x.html" class="k">first
   link</a></p><p><a href="/y">second</a> <img src="i.png" alt="I"></p></div>
<table class="wikitable">
<tr><th>name</th><th>kind</th><th>link</th></tr>
<tr><td>alpha</td><td>a	tab</td><td><a href="https://example.org/a">A</a></td></tr>
<tr><td>beta</td><td>b
newline</td><td><a href="b.html">B</a></td></tr>
</table>
<p data-id="7">Seven</p>
</body></html>
EOF
U=file://$PAGE
D=file://$SCRATCH

# ==== TSV ====================================================================

run_scraper --dump --query '//a/@href' "$PAGE"
quiet_ok "attribute query"
is "$(cat "$OUT")" "x.html
/y
https://example.org/a
b.html" "an attribute match is its value, one line each"

run_scraper --dump -q '//a' "$PAGE"
quiet_ok "-q, elements without fields"
is "$(cat "$OUT")" "first link
second
A
B" "an element without fields is its text, whitespace collapsed"

run_scraper --dump -q 'count(//a)' "$PAGE"
is "$(cat "$OUT")" "4" "a scalar is one row"

run_scraper --dump -q '//p/text()' "$PAGE"
is "$(cat "$OUT")" "One 
 
Seven" "a text node is its text, as it is"

run_scraper --dump -q '//table/tr[td] { ./td[1], ./td[2], xpath:.//a/@href, url, xpath }' "$PAGE"
quiet_ok "fields"
is "$(cat "$OUT")" "alpha	a tab	https://example.org/a		/html/body/table/tr[2]
beta	b newline	b.html		/html/body/table/tr[3]" \
   "fields are tab-separated columns; tabs and newlines inside become spaces"

run_scraper --dump -q '//p[@data-id] { @data-id, @DATA-ID, @none, text, html }' "$PAGE"
is "$(cat "$OUT")" '7	7		Seven	<p data-id="7">Seven</p>' \
   "@name (any case), a missing attribute empty, text, html"

run_scraper --dump -q '//img { url, @alt }' "$PAGE"
is "$(cat "$OUT")" "$D/i.png	I" "url: resolved against the page's base"

run_scraper --dump -q '//a/@href' -q 'count(//img)' -q '//title' "$PAGE"
quiet_ok "several queries"
is "$(cat "$OUT")" "1	x.html
1	/y
1	https://example.org/a
1	b.html
2	1
3	The table" "several queries: the query's number first"

run_scraper --dump -v -q 'count(//a)' "$PAGE"
like "$(cat "$ERR")" "Built the page's tree for --query" "-v: the story tells the tree, not records"

run_scraper --dump -q '//nothing' "$PAGE"
quiet_ok "no match"
ok '[ ! -s "$OUT" ]' "no match: nothing printed"

# ==== CSS ====================================================================

run_scraper --dump -q 'table.wikitable tr { td:nth-child(1)::text, td:nth-child(3)::text, a::attr(href) }' "$PAGE"
quiet_ok "a CSS table scrape"
is "$(cat "$OUT")" "		
alpha		https://example.org/a
beta		b.html" "CSS with fields: a row per tr, ::text and ::attr() fields"

run_scraper --dump -q 'div.s3 p a::attr(href)' -q 'css:img' -q 'p[data-id]::text' "$PAGE"
is "$(cat "$OUT")" "1	x.html
1	/y
2	
3	Seven" "CSS: descendants, css: prefix, [attr], ::text"

run_scraper --dump -q 'tr td:nth-child(x)' "$PAGE"
fails_with 1 "a CSS error"
like "$(cat "$ERR")" "at byte 16: An\+B is expected" "a CSS error: its byte"

# ==== JSON ===================================================================

run_scraper --dump --format json -q '//a { text, @href, url }' "$PAGE"
quiet_ok "json"
is "$(json_get "$OUT" 'json.dumps(d["matches"], ensure_ascii=False)')" \
   "[{\"text\": \"first link\", \"@href\": \"x.html\", \"url\": \"$D/x.html\"}, {\"text\": \"second\", \"@href\": \"/y\", \"url\": \"file:///y\"}, {\"text\": \"A\", \"@href\": \"https://example.org/a\", \"url\": \"https://example.org/a\"}, {\"text\": \"B\", \"@href\": \"b.html\", \"url\": \"$D/b.html\"}]" \
   "json: matches, objects keyed by field"
is "$(json_get "$OUT" 'd["title"] + "|" + d["url"] + "|" + str("elements" in d)')" \
   "The table|$U|False" "json: the page object, its title; matches instead of elements"

run_scraper --dump --format json -q '//td[1]' -q 'count(//tr)' "$PAGE"
is "$(json_get "$OUT" 'json.dumps(d["matches"])')" \
   '{"//td[1]": [{"value": "alpha"}, {"value": "beta"}], "count(//tr)": [{"value": "3"}]}' \
   "json, several queries: matches keyed by expression"

run_scraper --dump --format jsonl -q '//title' "$PAGE" "$PAGE"
quiet_ok "jsonl"
is "$(lines "$OUT")" 2 "jsonl: one line per input"
is "$(head -1 "$OUT" | "$PYTHON" -c 'import json,sys; print(json.loads(sys.stdin.read())["matches"])')" \
   "[{'value': 'The table'}]" "jsonl: each line an object with its matches"

# ==== invalid expressions ====================================================

: >"$SERVER_LOG"
run_scraper --dump -q '//a[' "$BASE/"
fails_with 1 "an XPath error"
like "$(cat "$ERR")" "^scraper: --query '//a\[': at byte 4: " "the error names the expression and the byte"
ok '[ ! -s "$OUT" ]' "an invalid expression: nothing on stdout"
ok '! grep -q GET "$SERVER_LOG"' "an invalid expression: told before any fetch"

run_scraper --dump -q '//a { text, @ }' "$PAGE"
fails_with 1 "a malformed field"
like "$(cat "$ERR")" "at byte 13: an attribute name is expected" "a field's error: its byte"

run_scraper --dump -q '//a { text' "$PAGE"
fails_with 1 "no closing brace"
like "$(cat "$ERR")" "at byte 10: a closing } is missing" "no closing brace: at the end"

run_scraper --dump -q "//a[@x='$(printf '\033')]" "$PAGE"
fails_with 1 "an expression with ESC"
is_terminal_safe "$ERR" "the expression is made safe on stderr"

run_scraper --dump -q 'nosuch(1)' "$PAGE"
fails_with 1 "an unknown function (found at evaluation)"
like "$(cat "$ERR")" "an unknown function" "an unknown function: said so"

run_scraper --dump -q '//a' --fields url "$PAGE"
fails_with 1 "--fields with --query"

# ==== over HTTP: statuses, charsets, hostile text ============================

run_scraper --dump -q '//a/@href' "$BASE/404"
is "$RC" 3 "HTTP 404: exit 3"
ok '[ -s "$OUT" ]' "HTTP 404: the matches are printed all the same"
like "$(cat "$ERR")" "404" "HTTP 404: said on stderr"

run_scraper --dump -q '//a' "http://127.0.0.1:$(free_port)/"
fails_with 2 "a refused connection"

run_scraper --dump -q '//a[@href] { url }' "$BASE/"
quiet_ok "the demo page"
expected demo.tsv | awk -F'\t' '$2 == "a" { print $4 }' >"$SCRATCH/demo.urls"
cmp_file "$SCRATCH/demo.urls" "$OUT" "url: each link resolved as the records are"

run_scraper --dump -q '//text()[contains(., "€")]' "$BASE/cs/meta-http-equiv"
like "$(cat "$OUT")" "€" "a windows-1252 page: the tree is built from the text converted"

run_scraper --dump -q '//a { text, @href, @title, html }' "$BASE/hostile"
quiet_ok "the hostile page"
is_terminal_safe "$OUT" "hostile page, TSV: no control byte"
run_scraper --dump --format json -q '//a { text, @href, html }' "$BASE/hostile"
ok 'json_get "$OUT" "len(d[\"matches\"])" >/dev/null' "hostile page: valid JSON"
is_terminal_safe "$OUT" "hostile page, JSON: no raw control byte"

# ==== a bounded evaluation ===================================================

"$PYTHON" - "$SCRATCH/wide.html" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("<html><body>")
    for i in range(30000):
        f.write('<div class="s%d"><p>p%d <a href="/l%d">l</a></p><ul><li>a</li><li>b</li></ul></div>\n'
                % (i % 7, i, i))
    f.write("</body></html>")
EOF
run_scraper -t 30 --dump --timeout 2 -q 'count(//div//*)' "$SCRATCH/wide.html"
fails_with 2 "an evaluation past --timeout"
like "$(cat "$ERR")" "ran out of time \(--timeout\)" "past --timeout: said so"
ok 'elapsed_below 6' "past --timeout: stopped soon after it ($ELAPSED s)"

# SIGINT while the child evaluates: both end at once, one line, 130
"$SCRAPER" --dump -q 'count(//div//*)' "$SCRATCH/wide.html" >"$OUT" 2>"$ERR" </dev/null &
pid=$!
child=
for _ in $(seq "$(scaled 200)"); do
    child=$(pgrep -P "$pid" | head -1)
    [ -n "$child" ] && break
    sleep 0.05
done
ok '[ -n "$child" ]' "the evaluation runs in a child process"
kill -INT "$pid"
t0=$EPOCHREALTIME
wait "$pid"
RC=$?
ELAPSED=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
fails_with 130 "SIGINT during an evaluation"
like "$(cat "$ERR")" "interrupted" "SIGINT: said so"
ok 'elapsed_below 2' "SIGINT: ended at once ($ELAPSED s)"
ok '! kill -0 "$child" 2>/dev/null' "SIGINT: the child is gone too"

run_scraper -t 30 --dump -q '//div[@class="s3"]//a/@href' "$SCRATCH/wide.html"
quiet_ok "the wide page, an ordinary query"
is "$(lines "$OUT")" 4286 "the wide page: every match"


# ---- a deeply nested page: the tree has what the records have ---------------
run_scraper --dump -q 'a::attr(href)' "$BASE/fault/deep"
is "$RC" 0 "a page nested 300 levels deep: exit 0"
is "$(tr '\n' ' ' <"$OUT")" "$(run_scraper --dump --fields raw "$BASE/fault/deep"; tr '\n' ' ' <"$OUT")" \
   "... the query finds every link the records list, those after the nesting too"


# ---- the tree --dump builds: only what the expressions read --------------------
# A CSS selector reads element names, the attributes it names and text only
# through ::text or :empty (a typed XPath may read anything): the text and
# the other attributes are left out of the tree, so that its rows are the
# same as on the whole tree. The page's title and base stay.
LEAN=$SCRATCH/lean.html
cat >"$LEAN" <<'EOF'
<html><head><title>Ti<!-- c -->tle</title><base href="http://base.example/d/"></head>
<body><p class="k" id="a" data-x="1">one<!-- c -->two</p><p></p><p><!-- only --></p>
<p lang=en>x <a href="r.html" title="t" style="s">link</a><img src="i.png" alt=""></p>
</body></html>
EOF
run_scraper --dump --format json -q 'a::attr(href)' "$LEAN"
is "$(json_get "$OUT" 'd["title"]')" "Title" "no text read: the page's title is still there"
run_scraper --dump -q 'a { url }' "$LEAN"
is "$(cat "$OUT")" "http://base.example/d/r.html" "no text read: the base still resolves a url field"
run_scraper --dump -q 'p:empty { xpath }' "$LEAN"
is "$(cat "$OUT")" "/html/body/p[2]
/html/body/p[3]" ":empty reads the text: a comment alone is empty"
run_scraper --dump -q 'p.k::text' "$LEAN"
is "$(cat "$OUT")" "one
two" "::text: the comment still parts the two texts"
run_scraper --dump -q '.k { xpath, @data-x }' "$LEAN"
is "$(cat "$OUT")" "/html/body/p[1]	1" "the attributes fields name are there"
run_scraper --dump -q '[lang] a { @title, @style, img::attr(src) }' "$LEAN"
is "$(cat "$OUT")" "t	s	" "... on the element of the row (an img is no child of the a)"

# a tree of the names and one attribute is a fraction of the whole one
"$PYTHON" - "$SCRATCH/wide-lean.html" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("<html><body>\n")
    for i in range(20000):
        f.write('<div class="c%d" data-a="%d" style="color: red"><p>Some words of text, %d.</p>'
                '<a href="/x/%d" title="link %d">link %d</a></div>\n' % (i % 7, i, i, i, i, i))
    f.write("</body></html>\n")
EOF
case $SCRAPER in
*valgrind* | *asan*)
    skip "peak memory under a sanitizer or valgrind is the tool's"
    skip "peak memory under a sanitizer or valgrind is the tool's"
    ;;
*)
    run_scraper_rss --dump -q '//a/@href' "$SCRATCH/wide-lean.html"
    WHOLE_KB=$MAXRSS_KB
    run_scraper_rss --dump -q 'a::attr(href)' "$SCRATCH/wide-lean.html"
    is "$(lines "$OUT")" 20000 "a::attr(href) on a 2 MB page: every match"
    ok '[ $((MAXRSS_KB * 10)) -lt $((WHOLE_KB * 7)) ]' \
       "... in less than 0.7 times the memory of the whole tree ($MAXRSS_KB KB; $WHOLE_KB KB)"
    ;;
esac


# ---- --check and --download act on the records, not on a query's rows --------
run_scraper --dump --check -q a "$BASE/"
is "$RC" 1 "--check with --query: a usage error"
like "$(cat "$ERR")" "not with --query" "... said in one line"

done_testing
