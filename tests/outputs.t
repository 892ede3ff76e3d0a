#!/bin/bash
# Everything the program prints, writes or copies that came from a page
# passes one check for control bytes (README: "Nothing raw on the terminal,
# nor in TSV, nor on stderr"; JSON valid for any input bytes): the TSV and
# JSON of --dump, stderr (the -v report and error lines), the names of
# downloaded files, and what `y` puts on the clipboard with OSC 52 -- which
# a shell pastes: a URL holding ESC [ 2 0 1 ~ ends a bracketed paste early
# and runs what follows, so the clipboard gets the URL percent-encoded
# (%1B), never a raw control byte.
#
# The one check (`clean`): tests/raw_safe.py (no OSC, BEL, VT/FF/DEL/NUL,
# C1 control, bidi control, invalid UTF-8) and no other C0 control than TAB
# and LF (ESC, CR, BS, SI...); for a clipboard or a file name no TAB or LF
# either.
#
# Pages: /hostile of tests/server.py, and ctl.html (made here, served by
# tests/bench/serve.py) whose hrefs, texts and title hold ESC, CR, BS, TAB,
# DEL, SI, C1 (U+0080-009F, raw and as references), the bidi controls
# U+202A-202E and U+2066-2069, and invalid UTF-8.
#
# Run from the repository root:  prove -v tests/outputs.t

. "$(dirname "$0")/lib.sh"
require_scraper
start_server
T0=$EPOCHREALTIME
ESC=$'\e'
P2=$BASE/page2.html
F=$BASE/fault

# ---- ctl.html, served from $PAGES --------------------------------------------
PAGES=$SCRATCH/pages
mkdir -p "$PAGES"
"$PYTHON" - "$PAGES/ctl.html" "$BASE" <<'EOF'
import sys
out, base = sys.argv[1], sys.argv[2]
E, BEL, SI = "\x1b", "\x07", "\x0f"
INV = "\ufffe"   # replaced by invalid UTF-8 bytes below
links = [
    # 1. a paste that ends bracketed paste mode and runs a command
    ("/p?q=" + E + "[201~;touch PWNED;" + SI, "paste " + E + "[201~ end"),
    # 2. C0: ESC, CR, BS, TAB, DEL
    ("/p?esc=" + E + "[2J&cr=a\rb&bs=\b&tab=a\tb&del=\x7f", "C0 " + E + "[2J \r \b \x7f " + BEL),
    # 3. C1, raw and as character references
    ("/p?c1=\u0080\u0085\u008d\u009b\u009f&amp;ref=&#x85;&#x9b;", "C1 \u0085\u009b &#x9d;"),
    # 4. bidi embeddings, overrides and isolates
    ("/p?bidi=\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069", "bidi \u202e\u2066x\u2069"),
    # 5. invalid UTF-8
    ("/p?inv=" + INV, "inv " + INV),
    # 6-7. files to download (d): bidi and C1 in the name; OSC in the name
    (base + "/files/n\u202egpj\u2066\u009b.txt", "name with bidi and C1"),
    (base + "/files/o" + E + "]0;T" + BEL + ".txt", "name with OSC"),
    ("/p?last", "last"),
]
page = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Controls ' + E + ']0;PWNED' + BEL
        + ' \u202e\u0085 ' + INV + '</title></head><body>\n'
        + "".join('<a href="%s">%s</a>\n' % l for l in links)
        + '<img src="/i.png?' + E + '[2J" alt="alt ' + E + ']52;c;cHduZWQ=' + BEL + ' \u202e">\n'
        + '</body></html>\n')
open(out, "wb").write(page.encode("utf-8").replace(INV.encode("utf-8"), b"\xff\xfe\xc3(\x80"))
EOF
NCTL=8   # links on ctl.html
serve_dir "$PAGES" "$(scaled 300)"
CTL=$SERVE_URL/ctl.html

# ---- the one check ---------------------------------------------------------------
# clean FILE DESC [oneline]: FILE passes tests/raw_safe.py and holds no C0
# control but TAB and LF (with oneline: none at all); what was found is
# shown when it fails.  clean_each oneline|text DESC-PREFIX FILE...: the same
# for several files in one python run, one test per file.
clean_py() {
    "$PYTHON" - "$ROOT/tests/raw_safe.py" "$@" <<'EOF'
import contextlib, io, runpy, sys
raw_safe, mode, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
for path in paths:
    said = io.StringIO()
    sys.argv = [raw_safe, path]
    try:
        with contextlib.redirect_stdout(said):
            runpy.run_path(raw_safe, run_name="__main__")
    except SystemExit:
        pass
    bad = [l for l in said.getvalue().splitlines() if l]
    data = open(path, "rb").read()
    allowed = b"" if mode == "oneline" else b"\t\n"
    for i, b in enumerate(data):
        if b < 0x20 and b not in allowed:
            bad.append("C0 control 0x%02X at byte %d: %r" % (b, i, data[max(0, i - 30):i + 30]))
            break
    print("1 " + " | ".join(bad) if bad else "0")
EOF
}
clean_each() {
    local mode=$1 prefix=$2 f res i=0
    shift 2
    local files=("$@")
    while read -r res; do
        f=${files[$i]}
        i=$((i + 1))
        if [ "$res" = 0 ]; then
            pass "$prefix ${f##*/} is clean"
        else
            fail "$prefix ${f##*/} is clean"
            diag "${res#1 }"
        fi
    done < <(clean_py "$mode" "${files[@]}")
    [ "$i" = "${#files[@]}" ] || fail "$prefix the check ran on every file ($i of ${#files[@]})"
}
clean() {
    local res
    res=$(clean_py "${3:-text}" "$1")
    if [ "$res" = 0 ]; then
        pass "$2"
    else
        fail "$2"
        diag "${res#1 }"
    fi
}

# ==== --dump: TSV ====================================================================
for page in "$CTL" "$BASE/hostile"; do
    n=${page##*/}
    run_scraper --dump "$page"
    quiet_ok "TSV of $n"
    clean "$OUT" "TSV of $n: clean"
    is "$(awk -F'\t' 'NF != 5' "$OUT" | wc -l | tr -d ' ')" 0 "TSV of $n: every line has 5 fields"
    cp "$OUT" "$SCRATCH/$n.tsv"
done
is "$(grep -c '^link	a	' "$SCRATCH/ctl.html.tsv")" "$NCTL" "TSV of ctl.html: one line per link ($NCTL)"

# ==== --dump: JSON ===================================================================
# json_ok FILE NAME: valid JSON with no raw control character in a string
# (json.load is strict), of valid Unicode.
json_ok() {
    JSON_FILE=$1
    ok 'json_get "$JSON_FILE" "len(json.dumps(d, ensure_ascii=False).encode())" >/dev/null' \
       "$2: valid JSON, strings without raw control characters, valid Unicode"
}
for page in "$CTL" "$BASE/hostile"; do
    n=${page##*/}
    run_scraper --dump --format json "$page"
    quiet_ok "JSON of $n"
    json_ok "$OUT" "JSON of $n"
    clean "$OUT" "JSON of $n: clean"
    cp "$OUT" "$SCRATCH/$n.json"
done
is "$(json_get "$SCRATCH/ctl.html.json" 'sum(e["kind"] == "link" for e in d["elements"])')" "$NCTL" \
   "JSON of ctl.html: every link"
is "$(json_get "$SCRATCH/ctl.html.json" 'int("\x1b[201~;touch PWNED;" in d["elements"][0]["url"])')" 1 \
   "JSON of ctl.html: the href's ESC kept (as an escape)"
ok 'grep -q "\\\\u001[bB]\[201~" "$SCRATCH/ctl.html.json"' "JSON of ctl.html: ESC written as \\u001b"

# a redirect to a Location with C1, bidi and invalid UTF-8, with -v
run_scraper --dump --format json -v "$F/location-bad-utf8"
is "$RC" 0 "JSON and -v of /fault/location-bad-utf8: exit 0"
json_ok "$OUT" "JSON of /fault/location-bad-utf8"
clean "$OUT" "JSON of /fault/location-bad-utf8: clean"
clean "$ERR" "-v of /fault/location-bad-utf8: clean"

# ==== stderr: the -v report, error lines ============================================
for page in "$CTL" "$BASE/hostile"; do
    n=${page##*/}
    run_scraper --dump -v "$page"
    is "$RC" 0 "-v of $n: exit 0"
    clean "$ERR" "-v of $n: the report (title, headers) is clean"
done
like "$(cat "$ERR")" "X-Hostile" "-v of hostile: the header X-Hostile is in the report"
for r in location-esc location-scheme location-host status-esc; do
    run_scraper --dump "$F/$r"
    fails_with 2 "/fault/$r"
    clean "$ERR" "/fault/$r: the error line is clean"
done
run_scraper --dump $'http://127.0.0.1:1/\e]0;PWNED\a\xc2\x9b\xe2\x80\xae\xff'
is "$(lines "$ERR")" 1 "a typed URL with ESC, BEL, C1, bidi, invalid UTF-8: one line on stderr (exit $RC)"
clean "$ERR" "a typed URL with ESC, BEL, C1, bidi, invalid UTF-8: the error line is clean"

# a name derived from a URL with bidi, C1 and invalid UTF-8: the file, the
# "saved" field, and the line when it exists already
mkdir -p "$SCRATCH/w" && cd "$SCRATCH/w" || exit 1
U=$BASE/files/$'n\xe2\x80\xaegpj\xe2\x81\xa6\xc2\x9b\xff.txt'
run_scraper --dump --format json "$U" --save
is "$RC" 0 "--save of /files/n<U+202E>gpj<U+2066><U+009B><FF>.txt: exit 0"
clean "$OUT" "--save with a derived name: the JSON (\"saved\") is clean"
ls -A Files >"$SCRATCH/names"
ok '[ "$(lines "$SCRATCH/names")" = 1 ]' "--save with a derived name: one file"
clean "$SCRATCH/names" "--save with a derived name: the file name is clean"
run_scraper --dump "$U" --save
fails_with 4 "--save with a derived name, again"
clean "$ERR" "--save with a derived name, again: the line is clean"
cd "$ROOT" || exit 1

# ==== the screen: y (OSC 52) and d ==============================================
. "$(dirname "$0")/tmux-lib.sh"   # the script ends here without tmux

nbuffers() { tm list-buffers -F '#{buffer_name}' 2>/dev/null | wc -l | tr -d ' '; }

# yank_all TOTAL: y on every row of the Links pane; the clipboard of row K
# (tmux's newest buffer, set-clipboard on) in $TDIR/clip.K.
yank_all() {
    local k
    for ((k = 1; k <= $1; k++)); do
        select_row "$k" "$1" || return 1
        keys y
        wait_until '[ "$(nbuffers)" -ge "$k" ]' "y on row $k: a tmux buffer (OSC 52)" || return 1
        tm show-buffer >"$TDIR/clip.$k"
    done
}

# osc52_payloads FILE: each OSC 52 of the raw terminal output, decoded, in
# FILE.N; the output without them in FILE.rest. Prints how many.
osc52_payloads() {
    "$PYTHON" - "$1" <<'EOF'
import base64, re, sys
raw = open(sys.argv[1], "rb").read()
pat = re.compile(rb"\x1b\]52;[a-z]*;([A-Za-z0-9+/=]*)(?:\x07|\x1b\\)")
n = 0
for m in pat.finditer(raw):
    n += 1
    open("%s.%d" % (sys.argv[1], n), "wb").write(base64.b64decode(m.group(1)))
open(sys.argv[1] + ".rest", "wb").write(pat.sub(b"", raw))
print(n)
EOF
}

# after_yanks TOTAL: every tmux buffer is one of ours (no other is loaded) and
# clean; the OSC 52 payloads in the raw output are clean; the rest of the
# output passes tests/raw_safe.py.
after_yanks() {
    local b n k
    local files=()
    is "$(nbuffers)" "$1" "$TNAME: one tmux buffer per y ($1), none loaded otherwise"
    for b in $(tm list-buffers -F '#{buffer_name}'); do
        tm show-buffer -b "$b" >"$TDIR/tmux-$b"
        files+=("$TDIR/tmux-$b")
    done
    clean_each oneline "$TNAME: the clipboard:" "${files[@]}"
    quit_clean
    close_raw_log || return
    n=$(osc52_payloads "$TDIR/raw.log")
    is "$n" "$1" "$TNAME: one OSC 52 written per y"
    files=()
    for ((k = 1; k <= n; k++)); do
        files+=("$TDIR/raw.log.$k")
    done
    clean_each oneline "$TNAME: OSC 52 payload" "${files[@]}"
    if msg=$("$PYTHON" "$ROOT/tests/raw_safe.py" "$TDIR/raw.log.rest"); then
        pass "$TNAME: the rest of the terminal output passes tests/raw_safe.py"
    else
        fail "$TNAME: the rest of the terminal output passes tests/raw_safe.py"
        diag "$msg"
    fi
}

t_yank_ctl() {
    local c
    tui_start "$CTL"
    wait_screen "$(nth_of 1 "$NCTL")" || return
    is "$(nbuffers)" 0 "$TNAME: no tmux buffer before y"
    yank_all "$NCTL" || return
    c=$(cat -v "$TDIR/clip.1")   # (cat -v: the diagnostics stay clean)
    like "$c" "%1[Bb]" \
        "$TNAME: y on /p?q=ESC[201~;touch PWNED;SI: the clipboard holds %1B (percent-encoded)"
    ok '! grep -qF "$ESC" "$TDIR/clip.1"' \
        "$TNAME: y on /p?q=ESC[201~;touch PWNED;SI: no raw ESC on the clipboard (a paste would end bracketed paste at ESC[201~ and run 'touch PWNED')"
    like "$c" "%0[Ff]" "$TNAME: y on /p?q=...;SI: SI percent-encoded (%0F)"
    like "$(cat -v "$TDIR/clip.$NCTL")" "/p\?last\$" "$TNAME: y on the last row: its URL"
    # d: the names of downloaded files come from the page's URLs (bidi and
    # C1 in one: downloaded; OSC in the other: downloaded, or refused)
    select_row 6 "$NCTL" || return
    keys d
    wait_status '^Download as' || return
    keys Enter
    wait_until '[ "$(ls -A "$TDIR/Files" 2>/dev/null | wc -l)" -ge 1 ]' "d on row 6: a file in Files/" || return
    select_row 7 "$NCTL" || return
    keys d
    wait_until 'tail -1 <<<"$SCREEN" | grep -Eq "^Download as|not a valid|refused|control"' \
        "d on row 7: the name asked, or refused" || return
    tail -1 <<<"$SCREEN" | grep -q '^Download as' && keys Enter
    wait_until '[ "$(ls -A "$TDIR/Files" 2>/dev/null | wc -l)" -ge 2 ] ||
                tail -1 <<<"$SCREEN" | grep -Eq "not a valid|refused|control"' \
        "d on row 7: downloaded, or refused" || return
    ls -A "$TDIR/Files" >"$TDIR/names" 2>/dev/null
    clean "$TDIR/names" "$TNAME: d on links with bidi, C1 and OSC in the name: the file names are clean"
    after_yanks "$NCTL"
}

t_yank_hostile() {
    local n
    tui_start "$BASE/hostile"
    wait_screen "$(re_quote "$P2?utf8")" || return
    n=$(grep -c '^link	a	' "$SCRATCH/hostile.tsv")
    wait_screen "$(nth_of 1 "$n")" || return
    yank_all "$n" || return
    after_yanks "$n"
}

scenario "y on ctl.html" t_yank_ctl
scenario "y on /hostile" t_yank_hostile

diag "outputs.t took $(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
done_testing
