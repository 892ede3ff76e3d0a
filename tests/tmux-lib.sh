# tests/tmux-lib.sh — the tmux harness of the tests of the screen, sourced
# after lib.sh:
#
#     . "$(dirname "$0")/tmux-lib.sh"
#
# Without tmux the script ends there: with "1..0 # SKIP" when it has not
# tested anything yet, else with one skipped test ("the screen: tmux not
# installed").  Otherwise: the caller's TMUX, TMUX_PANE and NO_COLOR are
# unset; every tui_start is a tmux server of its own (a socket in its own
# directory under $SCRATCH, never the user's tmux), ended at exit; its
# window is TUI_W x TUI_H (100x30 unless the script sets them); a wait
# lasts at most TUI_WAIT s (default 5) x TIME_SCALE.  `scenario NAME FUNC`
# runs one scenario; SCENARIO_ONLY=ERE (each script sets it from its own
# variable) keeps those whose function matches.

if ! command -v tmux >/dev/null 2>&1; then
    if [ "$_tap_n" = 0 ]; then
        echo "1..0 # SKIP tmux not installed"
        exit 0
    fi
    skip "the screen: tmux not installed"
    done_testing
fi
unset TMUX TMUX_PANE NO_COLOR
TUI_WAIT=${TUI_WAIT:-5}
TUI_W=100 TUI_H=30   # the window of every tui_start
SCENARIO_ONLY=.

TN=0          # scenarios started
TNAME=        # the current scenario's name (prefix of its test names)
TDIR=         # its directory (cwd of the binary)
TSOCK=        # its tmux socket
SCREEN=       # the last screen captured
TUI_PREPARE=  # a function run in the new $TDIR before the binary starts
TUI_WRAP=     # a command put before the binary (e.g. setsid)

# run.sh DIR ENV-ARGS... : in DIR, record the tty settings, run `env ARGS`
# (the binary) with stderr to DIR/stderr, record its status in DIR/exitfile,
# then hold the pane open so the screen after exit can be inspected.  SIGINT
# has a handler (not SIG_IGN, which the binary would inherit) so Ctrl-C in
# the pane does not end the wrapper before it writes the status.
# RUN_STDIN / RUN_STDOUT (a file) replace the binary's stdin or stdout when set.
RUN=$SCRATCH/run.sh
cat >"$RUN" <<'EOF'
#!/bin/sh
cd "$1" || exit 1
shift
trap : INT
stty -g >stty.before 2>/dev/null
echo BEFORE-SCRAPER
sh -c 'echo $$ >pid
       [ -n "$RUN_STDIN" ] && exec <"$RUN_STDIN"
       [ -n "$RUN_STDOUT" ] && exec >"$RUN_STDOUT"
       exec env "$@"' sh "$@" 2>stderr
st=$?
stty -g >stty.after 2>/dev/null
echo "exit=$st" >exitfile.tmp && mv exitfile.tmp exitfile
echo "AFTER-SCRAPER exit=$st"
exec cat >/dev/null
EOF

# tui_start [-u VAR]... [VAR=VALUE]... [--] [ARGS...]: a new tmux server and a
# TUI_W x TUI_H session "t" running $SCRAPER ARGS in a fresh $TDIR (after
# TUI_PREPARE, a function, when set; TUI_WRAP, a command, goes before the
# binary).  -u VAR unsets VAR instead of giving it its default (LANG, LC_ALL,
# TERM).  The pane's raw output is copied to $TDIR/raw.log (pipe-pane,
# attached before the server reads the first byte); set-clipboard is on so
# OSC 52 reaches tmux buffers.
tui_start() {
    local unset=() sets=() defaults=(LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color) d u skip
    while [ $# -gt 0 ]; do
        case $1 in
            -u) unset+=("$2"); shift 2 ;;
            --) shift; break ;;
            [A-Z_]*=*) sets+=("$1"); shift ;;
            *) break ;;
        esac
    done
    TN=$((TN + 1))
    TDIR=$SCRATCH/t$TN
    mkdir -p "$TDIR"
    TSOCK=$TDIR/tmux.sock
    [ -n "$TUI_PREPARE" ] && "$TUI_PREPARE"
    local envargs=()
    for u in "${unset[@]}"; do envargs+=(-u "$u"); done
    for d in "${defaults[@]}"; do
        skip=
        for u in "${unset[@]}"; do [ "${d%%=*}" = "$u" ] && skip=1; done
        [ -n "$skip" ] || envargs+=("$d")
    done
    envargs+=("${sets[@]}")
    # shellcheck disable=SC2086
    tm -f /dev/null new-session -d -s t -x "$TUI_W" -y "$TUI_H" \
        sh "$RUN" "$TDIR" "${envargs[@]}" $TUI_WRAP "$SCRAPER" "$@" \; \
        set -g set-clipboard on \; \
        pipe-pane -O -t t "cat >'$TDIR/raw.log'; touch '$TDIR/raw.done'" \
        </dev/null >"$TDIR/tmux.err" 2>&1
}

# wait_until COND DESC [SECS]: eval COND (with $SCREEN freshly captured)
# every 0.05 s until true, at most SECS (default $TUI_WAIT) x TIME_SCALE
# (lib.sh's scaled: valgrind, sanitizers, a busy machine); on timeout (or
# when the program ends meanwhile and COND still fails) print "not ok -
# TNAME: DESC" with the last screen as diagnostics and return 1.
wait_until() {
    local _cond=$1 _desc=$2 _secs=${3:-$TUI_WAIT} _end _ended _was_ended=
    _secs=$(scaled "$_secs")
    _end=$(awk -v n="${EPOCHREALTIME/./}" -v s="$_secs" 'BEGIN { printf "%.0f", n + s * 1000000 }')
    [ -s "$TDIR/exitfile" ] && _was_ended=1
    while :; do
        _ended=
        [ -z "$_was_ended" ] && [ -s "$TDIR/exitfile" ] && _ended=1
        capture
        eval "$_cond" && return 0
        [ -n "$_ended" ] && break
        [ "${EPOCHREALTIME/./}" -ge "$_end" ] && break
        sleep 0.05
    done
    fail "$TNAME: $_desc"
    diag "waited up to ${_secs} s for: $_desc"
    _diag_state
    return 1
}

tm() { tmux -S "$TSOCK" "$@"; }

# _tui_end DIR: end the tmux server of scenario DIR (and so its pane) and,
# if the binary it started has not ended, that process (by its pid).
_tui_end() {
    [ -S "$1/tmux.sock" ] && tmux -S "$1/tmux.sock" kill-server 2>/dev/null
    if [ -s "$1/pid" ] && [ ! -e "$1/exitfile" ] && kill -0 "$(cat "$1/pid")" 2>/dev/null; then
        kill -KILL "$(cat "$1/pid")" 2>/dev/null
    fi
    return 0
}

tui_stop() { _tui_end "$TDIR"; }

_tui_cleanup() {
    local d
    for d in "$SCRATCH"/t*/; do
        [ -d "$d" ] && _tui_end "${d%/}"
    done
}
at_exit _tui_cleanup

# scenario NAME FUNC: run FUNC as the scenario NAME (the prefix of its test
# names), then end its tmux server; nothing when FUNC does not match the ERE
# SCENARIO_ONLY.
scenario() {
    [[ $2 =~ $SCENARIO_ONLY ]] || return 0
    TNAME=$1
    "$2"
    tui_stop
}

keys() { tm send-keys -t t "$@"; }

type_text() { tm send-keys -t t -l -- "$1"; }

capture() { SCREEN=$(tm capture-pane -p -t t 2>&1); }

# _diag_state: the last screen, and the program's end and stderr if any.
_diag_state() {
    diag "last screen (capture-pane -p):" "$SCREEN"
    [ -s "$TDIR/exitfile" ] && diag "the program has ended: $(cat "$TDIR/exitfile")"
    [ -s "$TDIR/stderr" ] && diag "its stderr:" "$(head -c 4000 "$TDIR/stderr")"
    [ -s "$TDIR/tmux.err" ] && diag "tmux said:" "$(cat "$TDIR/tmux.err")"
    return 0
}

# wait_screen REGEX [SECS [DESC]]: wait until a line of the screen matches
# REGEX (ERE); DESC names the behaviour in the failure's test name.
wait_screen() {
    local _re=$1
    wait_until 'grep -Eq -- "$_re" <<<"$SCREEN"' "${3:+$3: }screen shows /$_re/" "${2:-$TUI_WAIT}"
}

# wait_status ERE [SECS [DESC]]: wait until the status line (the last row)
# matches ERE.
wait_status() {
    local _re=$1
    wait_until 'tail -1 <<<"$SCREEN" | grep -Eq -- "$_re"' "${3:+$3: }the status line shows /$_re/" "${2:-$TUI_WAIT}"
}

# wait_gone REGEX [SECS]: wait until no line of the screen matches REGEX.
wait_gone() {
    local _re=$1
    wait_until '! grep -Eq -- "$_re" <<<"$SCREEN"' "screen no longer shows /$_re/" "${2:-$TUI_WAIT}"
}

# wait_exit [SECS]: wait until the wrapper has recorded the exit status in
# $EXIT ("exit=N").
wait_exit() {
    wait_until '[ -s "$TDIR/exitfile" ]' "the program exits" "${1:-$TUI_WAIT}" || return 1
    EXIT=$(cat "$TDIR/exitfile")
}

# screen_ok COND DESC: a TAP test of COND against the current $SCREEN, the
# screen shown when it fails.
screen_ok() {
    if eval "$1"; then
        pass "$TNAME: $2"
    else
        fail "$TNAME: $2"
        _diag_state
    fi
}

# quit_clean: press q (from the list), wait for the exit; exit 0 and nothing
# on stderr (an ASan/LSan report would be there).
quit_clean() {
    keys q
    wait_exit || return 1
    is "$EXIT" "exit=0" "$TNAME: q exits with status 0"
    if [ -s "$TDIR/stderr" ]; then
        fail "$TNAME: nothing on stderr"
        diag "stderr:" "$(head -c 4000 "$TDIR/stderr")"
    else
        pass "$TNAME: nothing on stderr"
    fi
}

# stderr_one_line [PREFIX]: every non-zero exit prints one line on stderr
# that names the cause -- exactly one line, shown when it fails.
stderr_one_line() {
    if [ "$(lines "$TDIR/stderr")" = 1 ]; then
        pass "$TNAME: ${1}one line on stderr"
    else
        fail "$TNAME: ${1}one line on stderr"
        diag "stderr has $(lines "$TDIR/stderr") lines:" "$(head -c 4000 "$TDIR/stderr")"
    fi
}

# terminal_restored: after the binary ended, the pane is back on the normal
# screen (the wrapper's BEFORE line shows again), cursor visible, keypad and
# mouse modes off, tty settings as before, and the process is gone.
terminal_restored() {
    wait_screen 'AFTER-SCRAPER' || return 1
    screen_ok 'grep -q BEFORE-SCRAPER <<<"$SCREEN"' "the normal screen is back (alternate screen left)"
    is "$(tm display -p -t t '#{alternate_on} #{cursor_flag} #{keypad_cursor_flag} #{keypad_flag} #{mouse_any_flag}')" \
       "0 1 0 0 0" "$TNAME: alternate screen off, cursor visible, keypad and mouse modes off"
    cmp_file "$TDIR/stty.before" "$TDIR/stty.after" "$TNAME: tty settings (stty -g) restored"
    ok '! kill -0 "$(cat "$TDIR/pid")" 2>/dev/null' "$TNAME: the process is gone"
}

# re_quote STRING: STRING as an ERE matching itself.
re_quote() { sed 's/[][\.^$*+?(){}|]/\\&/g' <<<"$1"; }

# list_rows: the current screen's element rows: [TAG ATTR] [N×] URL [TEXT]
# (the tag and attribute where the pane mixes them; N× with u, for a
# repeated URL; the URL from its path when on the page's host).
# The last row is left out: the status line may be the filter being typed.
list_rows() {
    head -n -1 <<<"$SCREEN" | grep -E '^([a-z][a-z0-9]* +[a-z-]+ +)?( *[0-9]+× +| +)?(/|[a-z][a-z0-9+.-]*:)'
}

nrows() { list_rows | wc -l | tr -d ' '; }

# wait_rows: wait until the list is drawn, two captures in a row counting the
# same rows, some (one capture can catch the terminal mid-redraw: the tab bar
# drawn, not all rows yet); sets ROWS to their number.
wait_rows() {
    local _prev
    ROWS=0
    wait_until '_prev=$ROWS; ROWS=$(nrows); [ "$ROWS" -gt 0 ] && [ "$ROWS" = "$_prev" ]' \
        "the list's rows are drawn"
}

# shown_url URL: URL as a row shows it: from its path when it is on the
# fixture server's host ($BASE), else whole.
shown_url() {
    case $1 in
        "$BASE"/* | "$BASE"\?* | "$BASE"\#*) printf '%s\n' "${1#"$BASE"}" ;;
        *) printf '%s\n' "$1" ;;
    esac
}

# row_re TAG ATTR URL: ERE for the start of that element's row, up to the
# end of its URL.
row_re() {
    echo "^($(re_quote "$1") +$(re_quote "$2") +)?( *[0-9]+× +| +)?$(re_quote "$(shown_url "$3")")( |\$)"
}

# has_row TAG ATTR URL: the screen has that row.
has_row() { grep -Eq -- "$(row_re "$1" "$2" "$3")" <<<"$SCREEN"; }

# nth_of N M: ERE for the detail's "N of M".
nth_of() { echo "(^|[^0-9])$1 of $2([^0-9]|\$)"; }

# select_row N TOTAL: the Nth row of the pane selected (the detail says so).
select_row() {
    keys g
    [ "$1" -gt 1 ] && keys -N $(($1 - 1)) j
    wait_screen "$(nth_of "$1" "$2")"
}

# close_raw_log: stop copying the pane's output; wait until raw.log is complete.
close_raw_log() {
    tm pipe-pane -t t
    wait_until '[ -e "$TDIR/raw.done" ]' "the pipe-pane copy of the output is closed"
}

# esc_written: true when the pane's raw output holds an ESC byte.
esc_written() { [ -s "$TDIR/raw.log" ] && grep -q $'\e' "$TDIR/raw.log"; }
