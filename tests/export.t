#!/bin/bash
# Export on the screen: e writes the pane's rows (the marked ones, else
# those the filter shows) to a file whose extension names the format:
# .tsv (as --dump's), .csv (RFC 4180), .json, .jsonl (as --dump's), .txt
# (URLs). Each file is read back with python's csv and json modules, and
# the hostile cells (quotes, commas, line breaks, control bytes, invalid
# UTF-8) come back as --dump writes them. An unknown extension writes
# nothing; an existing file is replaced only after y.
#
# Run from the repository root:  prove -v tests/export.t
# (SCRAPER=./scraper-asan TIME_SCALE=3 prove -v tests/export.t under ASan.)

. "$(dirname "$0")/lib.sh"
require_scraper
. "$(dirname "$0")/tmux-lib.sh"
SCENARIO_ONLY=${TUI_ONLY:-.}
start_server

PAGE=$BASE/marks/hostile
REF=$SCRATCH/ref
mkdir -p "$REF"
# what --dump writes for the page: the references (its Links rows)
"$SCRAPER" --dump "$PAGE" | grep '^link' >"$REF/links.tsv"
"$SCRAPER" --dump --format json "$PAGE" >"$REF/page.json"
cut -f4 "$REF/links.tsv" >"$REF/links.txt"

# export NAME: e, the name typed over the one offered, Enter.
export_as() {
    keys e
    wait_status '^Export ' || return 1
    keys C-u
    type_text "$1"
    keys Enter
}

# py SCRIPT ARGS...: $PYTHON runs SCRIPT; its output is the test's verdict.
py() { "$PYTHON" -c "$@" 2>&1; }

CSV_CHECK='
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    raw = f.read()
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
want = [l.rstrip("\n").split("\t") for l in open(sys.argv[2], encoding="utf-8")]
ok = rows[0] == ["kind", "tag", "attr", "url", "text"] and rows[1:] == want
ok = ok and raw.count("\r\n") == len(rows) and "\n" not in raw.replace("\r\n", "")
print("same" if ok else "differ: %r" % rows)'

JSON_CHECK='
import json, sys
got = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")] if sys.argv[3] == "jsonl" \
      else [json.load(open(sys.argv[1], encoding="utf-8"))]
ref = json.load(open(sys.argv[2], encoding="utf-8"))
want = [e for e in ref["elements"] if e["kind"] == "link"]
if sys.argv[4:]:
    want = [want[int(i)] for i in sys.argv[4:]]
ok = len(got) == 1 and got[0]["elements"] == want and got[0]["title"] == ref["title"]
ok = ok and got[0]["url"] == ref["url"] and got[0]["status"] == 200
print("same" if ok else "differ: %r" % got)'

CTL_CHECK='
import re, sys
bad = [f for f in sys.argv[1:] if re.search(rb"[\x00-\x08\x0b-\x1f\x7f]",
       open(f, "rb").read().replace(b"\r\n", b"\n") if f.endswith(".csv") else open(f, "rb").read())]
print(bad or "clean")'

# --- every format, read back --------------------------------------------------
t_formats() {
    tui_start "$PAGE"
    wait_screen ' 1 Links 6 ' || return
    keys e
    wait_status '^Export 6 rows as Files/127\.0\.0\.1-links\.tsv' 5 \
        "the prompt offers HOST-links.tsv in the save directory" || return
    keys Enter
    wait_status 'exported 6 rows to Files/127\.0\.0\.1-links\.tsv' || return
    cmp_file "$REF/links.tsv" "$TDIR/Files/127.0.0.1-links.tsv" \
        "$TNAME: .tsv is --dump's TSV of the rows, hostile cells made safe alike"
    export_as links.csv
    wait_status 'exported 6 rows to Files/links\.csv' || return
    is "$(py "$CSV_CHECK" "$TDIR/Files/links.csv" "$REF/links.tsv")" same \
       "$TNAME: .csv (python csv): a header, then the TSV's cells, quotes and commas kept, CRLF"
    export_as links.json
    wait_status 'exported 6 rows to Files/links\.json' || return
    is "$(py "$JSON_CHECK" "$TDIR/Files/links.json" "$REF/page.json" json)" same \
       "$TNAME: .json (python json): --dump's object, its elements the pane's rows"
    export_as links.jsonl
    wait_status 'exported 6 rows to Files/links\.jsonl' || return
    is "$(py "$JSON_CHECK" "$TDIR/Files/links.jsonl" "$REF/page.json" jsonl)" same \
       "$TNAME: .jsonl: the same object on one line"
    export_as links.txt
    wait_status 'exported 6 rows to Files/links\.txt' || return
    cmp_file "$REF/links.txt" "$TDIR/Files/links.txt" "$TNAME: .txt: the URLs, one a line"
    is "$(py "$CTL_CHECK" "$TDIR"/Files/*)" clean \
       "$TNAME: no control byte in any file but tabs and line ends (CRLF in the CSV)"
    export_as links.xml
    wait_status 'export as \.tsv, \.csv, \.json, \.jsonl or \.txt' 5 \
        "an unknown extension is refused in one line" || return
    keys Escape
    wait_status 'not exported' || return
    ok '[ ! -e "$TDIR/Files/links.xml" ]' "$TNAME: ... and nothing is written"
    is "$(ls -A "$TDIR/Files" | grep -c '^\.scraper-')" 0 "$TNAME: no temp file left"
    quit_clean
}

# --- marks, the filter, overwriting -------------------------------------------
t_choice() {
    tui_start --dir out "$PAGE"
    wait_screen ' 1 Links 6 ' || return
    keys j m j j m
    wait_screen ' 1 Links \*2/6 ' || return
    export_as marked.json
    wait_status 'exported 2 rows to out/marked\.json' 5 "e exports the marked rows only" || return
    is "$(py "$JSON_CHECK" "$TDIR/out/marked.json" "$REF/page.json" json 1 4)" same \
       "$TNAME: the marked rows, in the pane's order"
    keys e
    wait_status '^Export 2 marked rows as ' 5 "the prompt says the marked rows go" || return
    keys Escape U / ; type_text 'ctl'; keys Enter
    wait_screen ' 1 Links 1/6 ' || return
    export_as marked.json
    wait_status 'marked\.json exists\. Overwrite\? \(y/n\)' 5 "an existing file: the y/n question" || return
    keys n
    wait_status 'not overwritten' || return
    is "$(py "$JSON_CHECK" "$TDIR/out/marked.json" "$REF/page.json" json 1 4)" same \
       "$TNAME: n keeps the file as it was"
    export_as marked.json
    wait_status 'Overwrite\? \(y/n\)' || return
    keys y
    wait_status 'exported 1 row to out/marked\.json' 5 "y replaces it" || return
    is "$(py "$JSON_CHECK" "$TDIR/out/marked.json" "$REF/page.json" json 2)" same \
       "$TNAME: without marks, the rows the filter shows"
    ok '[ ! -e "$TDIR/Files" ]' "$TNAME: --dir names where exports go"
    keys 7 e
    wait_status 'export writes the rows of an element pane' 5 "e on Source is refused" || return
    pass "$TNAME: e on the Source pane says what it exports"
    keys 1
    quit_clean
}

# --- a directory that cannot be written -------------------------------------
t_refused() {
    TUI_PREPARE=prepare_file_dir tui_start --dir notadir "$PAGE"
    wait_screen ' 1 Links 6 ' || return
    keys e Enter
    wait_status 'cannot save into notadir: it is not a directory' 5 "a bad directory: one line" || return
    ok '[ "$(cat "$TDIR/notadir")" = keep ]' "$TNAME: the file in the way is left as it was"
    quit_clean
}
prepare_file_dir() { echo keep >"$TDIR/notadir"; }

scenario "formats" t_formats
scenario "which rows" t_choice
scenario "refused" t_refused
done_testing
