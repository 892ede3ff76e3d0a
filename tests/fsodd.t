#!/bin/bash
# File-system oddities in the save directory, on every path that saves:
# `--dump --save NAME`, `--dump URL --save` (the name derived from the URL),
# `--force`, and on the screen `s` (save the page: a prompt for the name, y/n
# before replacing), `d` (download the selected URL) and `--save NAME`.
#
# In the save directory (Files/, or --dir) the tests put, under a temp-like
# name (.scraper-XXXXXX, the pattern temp_sweep looks for) and under the
# target name: a FIFO, a UNIX socket, a device node (mknod c 1 3, as
# /dev/null; a symlink to /dev/null where mknod is refused), a directory, a
# dangling symlink, a symlink to a file outside, a symlink loop, a symlink to
# a FIFO outside, symlinks to /dev/null, /dev/zero and /dev/tty, a hard link
# to a file outside; and the save directory itself as several of these.
#
# What must hold (README, "Saving" and "Reliability"): no run hangs (each
# one has a limit, HANG seconds x TIME_SCALE, where it should take
# milliseconds); nothing is written through a symlink or into a FIFO; nothing
# is replaced without --force (or y on the screen): exit 4 and one line on
# stderr instead; no temp file is left; the sweep of a dead run's temp files
# removes only such files (regular files), never a FIFO, socket, device node
# or directory that happens to have the name; and a second run saving into
# the same directory at the same time is not held up.
#
# Run from the repository root:  prove -v tests/fsodd.t
# (SCRAPER=./scraper-asan prove -v tests/fsodd.t for the sanitizer build;
# FSODD_ONLY=REGEX runs only the sections whose name matches.)

. "$(dirname "$0")/lib.sh"
require_scraper
start_server
umask 022
T0=$EPOCHREALTIME

HANG=${FSODD_HANG:-2}   # seconds (x TIME_SCALE) for a save of a few KB
P2=$BASE/page2.html
DL=$BASE/download/x.bin?bytes=5000   # saved as x.bin when the name is derived
fetch /page2.html "$SCRATCH/page2.body"
fetch "/download/x.bin?bytes=5000" "$SCRATCH/x.body"
fetch /download/sample.bin "$SCRATCH/sample.body"

TMPLIKE=.scraper-ODDodd   # 15 bytes, ".scraper-" and 6 more: temp_sweep's pattern
VICTIM=$SCRATCH/victim    # a file outside every save directory
ELSEWHERE=$SCRATCH/elsewhere   # where the dangling symlinks point: must stay absent
echo VICTIM >"$VICTIM"
mkfifo "$SCRATCH/outside.fifo" || exit 1
if mknod "$SCRATCH/probe.dev" c 1 3 2>/dev/null && [ -c "$SCRATCH/probe.dev" ]; then
    DEVICE="device node (c 1 3)"
    rm -f "$SCRATCH/probe.dev"
else
    DEVICE=
    diag "mknod is refused here: the device node cases use a symlink to /dev/null"
fi

# odd KIND PATH: put an oddity of KIND at PATH.
odd() {
    case $1 in
    fifo) mkfifo "$2" ;;
    socket) "$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$2" ;;
    device) if [ -n "$DEVICE" ]; then mknod "$2" c 1 3; else ln -s /dev/null "$2"; fi ;;
    dir) mkdir "$2" && echo INSIDE >"$2/inside" ;;
    dangling) ln -s "$ELSEWHERE" "$2" ;;
    outside) ln -s "$VICTIM" "$2" ;;
    loop) ln -s "${2##*/}" "$2" ;;
    fifolink) ln -s "$SCRATCH/outside.fifo" "$2" ;;
    devnull) ln -s /dev/null "$2" ;;
    devzero) ln -s /dev/zero "$2" ;;
    tty) ln -s /dev/tty "$2" ;;
    hardlink) ln "$VICTIM" "$2" ;;
    file) echo KEEP >"$2" ;;
    esac || { echo "Bail out! cannot make a $1 at $2"; exit 255; }
}

# what KIND: the oddity in words, for test names.
what() {
    case $1 in
    fifo) echo "a FIFO" ;;
    socket) echo "a UNIX socket" ;;
    device) echo "a ${DEVICE:-symlink to /dev/null (no mknod)}" ;;
    dir) echo "a directory" ;;
    dangling) echo "a dangling symlink" ;;
    outside) echo "a symlink to a file outside" ;;
    loop) echo "a symlink loop" ;;
    fifolink) echo "a symlink to a FIFO outside" ;;
    devnull) echo "a symlink to /dev/null" ;;
    devzero) echo "a symlink to /dev/zero" ;;
    tty) echo "a symlink to /dev/tty" ;;
    hardlink) echo "a hard link to a file outside" ;;
    file) echo "a regular file" ;;
    esac
}

# state PATH: what is at PATH (not followed): type, inode, symlink target,
# a directory's entries, a regular file's bytes.
state() {
    stat -c '%F %i' -- "$1" 2>&1
    [ -L "$1" ] && readlink -- "$1"
    [ -d "$1" ] && [ ! -L "$1" ] && ls -A -- "$1"
    [ -f "$1" ] && [ ! -L "$1" ] && md5sum <"$1"
    return 0
}

# untouched NAME: nothing outside the save directory was written: the
# symlinks' targets are unchanged, the dangling one's is not created.
untouched() {
    ok '[ "$(cat "$VICTIM")" = VICTIM ] && [ ! -e "$ELSEWHERE" ] && [ ! -L "$ELSEWHERE" ] &&
        [ -p "$SCRATCH/outside.fifo" ] && [ -c /dev/null ] && [ -c /dev/zero ]' \
       "$1: nothing written outside the directory (targets unchanged, nothing created)"
}

# entries DIR: its entries, hidden ones too, on one line.
entries() { ls -A "$1" 2>/dev/null | tr '\n' ' '; }

# save_run PATHNAME: the batch save of $DL into Files/x.bin by one of the
# three ways: name (--save=x.bin), derived (URL --save), force (--force).
save_run() {
    case $1 in
    name) run_scraper -t "$HANG" --dump --save=x.bin "$DL" ;;
    derived) run_scraper -t "$HANG" --dump "$DL" --save ;;
    force) run_scraper -t "$HANG" --dump --force --save=x.bin "$DL" ;;
    esac
}
way() {
    case $1 in
    name) echo "--save x.bin" ;;
    derived) echo "--save (derived x.bin)" ;;
    force) echo "--force --save x.bin" ;;
    esac
}

# within NAME: the last run ended by itself (timeout kills with 124/137).
within() {
    if [ "$RC" = 124 ] || [ "$RC" = 137 ]; then
        fail "$1: ends by itself within $(scaled "$HANG") s"
        diag "killed by the time limit after $ELAPSED s: it hung"
    else
        pass "$1: ends by itself within $(scaled "$HANG") s ($ELAPSED s)"
    fi
}

section() { [[ $1 =~ ${FSODD_ONLY:-.} ]]; }

KINDS_TMP="fifo socket device dir dangling outside loop fifolink devzero tty"
KINDS_NAME="fifo socket device dir dangling outside loop fifolink devnull devzero tty hardlink"

# ==== batch: an oddity under a temp-like name =============================
# temp_create sweeps .scraper-?????? files a killed run left, holding the
# directory's flock; what it finds there must neither stop it nor be removed
# unless it is such a file (a regular file).
if section temp-like; then
    for k in $KINDS_TMP; do
        for w in name derived force; do
            t="temp-like $TMPLIKE is $(what "$k"), $(way "$w")"
            workdir "tmp-$k-$w"
            mkdir Files
            odd "$k" "Files/$TMPLIKE"
            before=$(state "Files/$TMPLIKE")
            save_run "$w"
            within "$t"
            quiet_ok "$t"
            cmp_file "$SCRATCH/x.body" Files/x.bin "$t: Files/x.bin holds the body"
            is "$(state "Files/$TMPLIKE")" "$before" \
               "$t: left as it was (the sweep removes a dead run's temp files only, regular files)"
            is "$(entries Files | tr ' ' '\n' | grep '^\.scraper-' | grep -vx "$TMPLIKE")" "" \
               "$t: no temp file left"
            untouched "$t"
        done
    done
    # a regular file of that name is what a killed run leaves: swept; a hard
    # link to a file outside loses that name only
    for k in file hardlink; do
        t="temp-like $TMPLIKE is $(what "$k") (a dead run's leftover)"
        workdir "tmp-$k"
        mkdir Files
        odd "$k" "Files/$TMPLIKE"
        save_run name
        within "$t"
        quiet_ok "$t"
        is "$(entries Files)" "x.bin " "$t: swept, no temp file left"
        untouched "$t"
    done
fi

# ==== batch: two runs at once, a FIFO under a temp-like name =============
if section concurrent; then
    t="two runs at once, a FIFO named $TMPLIKE in Files/"
    workdir concurrent
    mkdir Files
    mkfifo "Files/$TMPLIKE"
    timeout -s KILL "$(scaled $((HANG * 2)))" "$SCRAPER" --dump --save=a.bin "$DL" \
        >"$SCRATCH/a.out" 2>"$SCRATCH/a.err" </dev/null &
    apid=$!
    # until the first run has ended, or waits in open() of the FIFO
    for _ in $(seq "$(scaled 40)"); do
        kill -0 "$apid" 2>/dev/null || break
        grep -qs 'fifo\|wait_for_partner' "/proc/$(pgrep -P "$apid")/wchan" && break
        sleep 0.05
    done
    run_scraper -t "$HANG" --dump --save=b.bin "$DL"
    within "$t: the second run is not held up by the first"
    quiet_ok "$t: the second run"
    wait "$apid"
    arc=$?
    is "$arc" 0 "$t: the first run exits 0 (137: killed at its limit, $(scaled $((HANG * 2))) s)"
    is "$(entries Files)" "$TMPLIKE a.bin b.bin " "$t: both saved, the FIFO left, no temp file"
fi

# ==== batch: another process holds the directory's flock ===================
# temp_create takes flock(Files/, LOCK_EX) to sweep; a lock held by another
# process (anyone who can read Files/) must not stop every save.
if section flock && ! command -v flock >/dev/null 2>&1; then
    skip "another process holds the flock of Files/: flock(1) not installed"
elif section flock; then
    t="another process holds the flock of Files/"
    workdir flock
    mkdir Files
    flock Files sleep "$(scaled 20)" &
    fpid=$!
    for _ in $(seq "$(scaled 40)"); do
        flock -n Files true || break
        sleep 0.05
    done
    run_scraper -t "$HANG" --dump --save=x.bin "$DL"
    ok '[ "$RC" = 0 ]' "$t: the save is not held up (exit $RC after $ELAPSED s)"
    kill "$(pgrep -P "$fpid")" "$fpid" 2>/dev/null
    wait "$fpid" 2>/dev/null
    is "$(entries Files | tr ' ' '\n' | grep -c '^\.scraper-')" 0 "$t: no temp file left"
fi

# ==== batch: an oddity under the target name ===============================
# Without --force the name is never replaced: link() fails, exit 4, one line;
# with --force rename() replaces the name (a symlink is replaced, never
# followed) -- but not a directory.
if section target; then
    for k in $KINDS_NAME; do
        for w in name derived; do
            t="Files/x.bin is $(what "$k"), $(way "$w")"
            workdir "name-$k-$w"
            mkdir Files
            odd "$k" Files/x.bin
            before=$(state Files/x.bin)
            save_run "$w"
            within "$t"
            fails_with 4 "$t"
            like "$(cat "$ERR")" "exists" "$t: the line says the name exists"
            is "$(state Files/x.bin)" "$before" "$t: left as it was (not replaced, nothing written into it)"
            is "$(entries Files)" "x.bin " "$t: no temp file left"
            untouched "$t"
        done
        t="Files/x.bin is $(what "$k"), $(way force)"
        workdir "force-$k"
        mkdir Files
        odd "$k" Files/x.bin
        before=$(state Files/x.bin)
        save_run force
        within "$t"
        if [ "$k" = dir ]; then
            fails_with 4 "$t"
            like "$(cat "$ERR")" "[Dd]irectory" "$t: the line says it is a directory"
            is "$(state Files/x.bin)" "$before" "$t: the directory and what it holds left as they were"
        else
            quiet_ok "$t"
            ok '[ -f Files/x.bin ] && [ ! -L Files/x.bin ]' "$t: replaced by a regular file"
            cmp_file "$SCRATCH/x.body" Files/x.bin "$t: Files/x.bin holds the body"
        fi
        is "$(entries Files)" "x.bin " "$t: no temp file left"
        untouched "$t"
    done
fi

# ==== batch: the save directory itself is odd ==================================
if section dir; then
    for k in file fifo socket device dangling loop fifolink devnull; do
        t="--dir D where D is $(what "$k")"
        workdir "dir-$k"
        odd "$k" D
        before=$(state D)
        run_scraper -t "$HANG" --dump --dir D --save=x.bin "$DL"
        within "$t"
        fails_with 4 "$t"
        is "$(state D)" "$before" "$t: D left as it was"
        is "$(entries .)" "D " "$t: nothing else created"
        untouched "$t"
    done
fi
cd "$ROOT" || exit 1

# ==== the screen, through tmux ===================================================
. "$(dirname "$0")/tmux-lib.sh"   # the script ends here without tmux
SCENARIO_ONLY=${FSODD_ONLY:-.}

PAGE_RE="HTTP 200 .*$(re_quote "$P2")"

# save_as NAME: s, the prompt emptied, NAME typed, Enter.
save_as() {
    keys s
    wait_screen 'Save as' || return 1
    keys C-u
    type_text "$1"
    keys Enter
}

# download_as NAME: d on the selected row, NAME typed over the name offered.
download_as() {
    keys d
    wait_screen 'Download as' || return 1
    keys C-u
    type_text "$1"
    keys Enter
}

# beside: a batch save into the scenario's Files/ while the screen works
# there, in the background; beside_done waits for it and tests it.
beside() {
    (cd "$TDIR" && timeout -s KILL "$(scaled "$HANG")" "$SCRAPER" --dump --save=beside.html "$P2" \
        >"$TDIR/beside.out" 2>"$TDIR/beside.err" </dev/null; echo $? >"$TDIR/beside.rc") &
    BESIDE_PID=$!
}
beside_done() {
    wait "$BESIDE_PID"
    is "$(cat "$TDIR/beside.rc")" 0 \
       "$TNAME: a batch save into the same Files/ meanwhile is not held up (exit 0 within $(scaled "$HANG") s; 137: it hung, killed)"
}

prepare_files() { mkdir -p "$TDIR/Files"; }

# --- s onto every oddity: asks; n leaves it; y replaces it (not a directory)
t_save() {
    local k f before
    TUI_PREPARE=prepare_files tui_start "$P2"
    wait_screen "$PAGE_RE" || return
    for k in fifo socket device dir dangling outside loop fifolink devnull hardlink; do
        f=$TDIR/Files/$k.html
        odd "$k" "$f"
        before=$(state "$f")
        save_as "$k.html" || return
        wait_status "exists\. Overwrite\? \(y/n\)" "$HANG" "s onto $(what "$k")" || return
        keys n
        wait_status "not overwritten" || return
        is "$(state "$f")" "$before" "$TNAME: s onto $(what "$k"), n: left as it was"
    done
    for k in fifo dangling outside fifolink hardlink; do
        f=$TDIR/Files/$k.html
        save_as "$k.html" || return
        wait_status "Overwrite\?" || return
        keys y
        wait_status "saved" "$HANG" "s onto $(what "$k"), y" || return
        ok '[ -f "$f" ] && [ ! -L "$f" ]' "$TNAME: s onto $(what "$k"), y: replaced by a regular file"
        cmp_file "$SCRATCH/page2.body" "$f" "$TNAME: s onto $(what "$k"), y: it holds the body"
    done
    f=$TDIR/Files/dir.html
    before=$(state "$f")
    save_as dir.html || return
    wait_status "Overwrite\?" || return
    keys y
    wait_status "[Dd]irectory" "$HANG" "s onto a directory, y" || return
    is "$(state "$f")" "$before" "$TNAME: s onto a directory, y: an error, the directory left as it was"
    is "$(entries "$TDIR/Files" | tr ' ' '\n' | grep -c '^\.scraper-')" 0 "$TNAME: no temp file left in Files/"
    untouched "$TNAME"
    quit_clean
}

# --- d onto every oddity --------------------------------------------------------
t_download() {
    local k f before
    TUI_PREPARE=prepare_files tui_start "$BASE/"
    f=$TDIR/Files/sample.bin
    wait_screen "HTTP 200" || return
    keys /
    type_text sample.bin
    keys Enter
    wait_until '[ "$(nrows)" = 1 ]' "the filter 'sample.bin' leaves one row" || return
    for k in fifo socket device dir dangling outside loop fifolink devnull hardlink; do
        odd "$k" "$f"
        before=$(state "$f")
        download_as sample.bin || return
        wait_status "exists\. Overwrite\? \(y/n\)" "$HANG" "d onto $(what "$k")" || return
        keys n
        wait_status "not overwritten" || return
        is "$(state "$f")" "$before" "$TNAME: d onto $(what "$k"), n: left as it was"
        rm -rf "$f"
    done
    for k in fifo outside fifolink hardlink; do
        odd "$k" "$f"
        download_as sample.bin || return
        wait_status "Overwrite\?" || return
        keys y
        wait_status "downloaded" "$HANG" "d onto $(what "$k"), y" || return
        ok '[ -f "$f" ] && [ ! -L "$f" ]' "$TNAME: d onto $(what "$k"), y: replaced by a regular file"
        cmp_file "$SCRATCH/sample.body" "$f" "$TNAME: d onto $(what "$k"), y: it holds the body"
        rm -f "$f"
    done
    odd dir "$f"
    before=$(state "$f")
    download_as sample.bin || return
    wait_status "Overwrite\?" || return
    keys y
    wait_status "[Dd]irectory" "$HANG" "d onto a directory, y" || return
    is "$(state "$f")" "$before" "$TNAME: d onto a directory, y: an error, the directory left as it was"
    is "$(entries "$TDIR/Files")" "sample.bin " "$TNAME: no temp file left in Files/"
    untouched "$TNAME"
    quit_clean
}

# --- --save NAME on the screen onto a FIFO ------------------------------------------
prepare_cli() { mkdir -p "$TDIR/Files" && mkfifo "$TDIR/Files/cli.html"; }
t_cli_save() {
    local before
    TUI_PREPARE=prepare_cli tui_start --save cli.html "$P2"
    before=$(state "$TDIR/Files/cli.html")
    wait_status "exists\. Overwrite\? \(y/n\)" "$HANG" "--save cli.html onto a FIFO" || return
    keys n
    wait_status "not overwritten" || return
    is "$(state "$TDIR/Files/cli.html")" "$before" "$TNAME: --save onto a FIFO, n: left as it was"
    is "$(entries "$TDIR/Files")" "cli.html " "$TNAME: no temp file left"
    quit_clean
}

# --- s and d with a FIFO named like a temp file in Files/ -----------------------
prepare_tmplike() { mkdir -p "$TDIR/Files" && mkfifo "$TDIR/Files/$TMPLIKE"; }
t_save_tmplike() {
    local before
    TUI_PREPARE=prepare_tmplike tui_start "$P2"
    before=$(state "$TDIR/Files/$TMPLIKE")
    wait_screen "$PAGE_RE" || return
    save_as new.html || return
    beside
    wait_status "saved" "$HANG" "s with a FIFO named $TMPLIKE in Files/: the screen answers" || { beside_done; return; }
    pass "$TNAME: s with a FIFO named $TMPLIKE in Files/: saved, the screen answers"
    beside_done
    is "$(state "$TDIR/Files/$TMPLIKE")" "$before" "$TNAME: the FIFO left as it was"
    is "$(entries "$TDIR/Files")" "$TMPLIKE beside.html new.html " "$TNAME: both saved, no temp file left"
    quit_clean
}

t_download_tmplike() {
    local before
    TUI_PREPARE=prepare_tmplike tui_start "$BASE/"
    before=$(state "$TDIR/Files/$TMPLIKE")
    wait_screen "HTTP 200" || return
    keys /
    type_text sample.bin
    keys Enter
    wait_until '[ "$(nrows)" = 1 ]' "the filter 'sample.bin' leaves one row" || return
    keys d Enter
    beside
    wait_status "downloaded" "$HANG" "d with a FIFO named $TMPLIKE in Files/: the screen answers" || { beside_done; return; }
    pass "$TNAME: d with a FIFO named $TMPLIKE in Files/: downloaded, the screen answers"
    beside_done
    cmp_file "$SCRATCH/sample.body" "$TDIR/Files/sample.bin" "$TNAME: Files/sample.bin holds the body"
    is "$(state "$TDIR/Files/$TMPLIKE")" "$before" "$TNAME: the FIFO left as it was"
    is "$(entries "$TDIR/Files")" "$TMPLIKE beside.html sample.bin " "$TNAME: both saved, no temp file left"
    quit_clean
}

# --- a download in progress holds its temp file: a batch save beside it ----------
t_download_beside() {
    local tmp
    tui_start "$BASE/fault/dl-page"
    wait_screen "(^|[^0-9])1 of 8([^0-9]|\$)" || return
    keys g d Enter
    wait_status "Downloading" || return
    wait_until 'ls -A "$TDIR/Files" 2>/dev/null | grep -q "^\.scraper-"' "the download's temp file is in Files/" || return
    tmp=$(ls -A "$TDIR/Files" | grep '^\.scraper-')
    beside
    beside_done
    is "$(entries "$TDIR/Files")" "$tmp beside.html " \
       "$TNAME: the download's temp file is spared by the batch run's sweep"
    keys Escape
    wait_gone "Downloading" || return
    is "$(entries "$TDIR/Files")" "beside.html " "$TNAME: Esc: the download's temp file removed"
    quit_clean
}

scenario "s" t_save
scenario "d" t_download
scenario "--save on the screen" t_cli_save
scenario "s, temp-like FIFO" t_save_tmplike
scenario "d, temp-like FIFO" t_download_tmplike
scenario "d in progress, a batch save beside" t_download_beside

diag "fsodd.t took $(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
done_testing
