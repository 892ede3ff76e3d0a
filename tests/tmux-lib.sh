# tests/tmux-lib.sh — the tmux harness shared by tests/tui.t and
# tests/faults-tui.t, sourced after lib.sh by each. It relies on what each
# of them sets up: TDIR (the scenario's directory), SCREEN (the last capture),
# TUI_WAIT, TNAME, and its own tui_start and wait_until.

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

# stderr_one_line [PREFIX]: SPEC: "Every non-zero exit prints one line on
# stderr that names the cause" -- exactly one line, shown when it fails.
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

# list_rows: the current screen's element rows (TAG ATTR SCHEME:...).
list_rows() { grep -E '^[a-z][a-z0-9]* +[a-z-]+ +[a-z][a-z0-9+.-]*:' <<<"$SCREEN"; }

nrows() { list_rows | wc -l | tr -d ' '; }

# has_row TAG ATTR URL: the screen has that row (spaces squeezed).
has_row() { tr -s ' ' <<<"$SCREEN" | grep -qF -- "$1 $2 $3"; }

# nth_of N M: ERE for the detail's "N of M".
nth_of() { echo "(^|[^0-9])$1 of $2([^0-9]|\$)"; }

# close_raw_log: stop copying the pane's output; wait until raw.log is complete.
close_raw_log() {
    tm pipe-pane -t t
    wait_until '[ -e "$TDIR/raw.done" ]' "the pipe-pane copy of the output is closed"
}

# esc_written: true when the pane's raw output holds an ESC byte.
esc_written() { [ -s "$TDIR/raw.log" ] && grep -q $'\e' "$TDIR/raw.log"; }
