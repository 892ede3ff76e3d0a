#!/bin/bash
# The screen's state x key matrix: every key the program knows (its key
# table, the keys of the URL form, the filter and the prompts, mouse and
# paste sequences, a resize) pressed in every state the screen can be in —
# an empty pane, a pane of one row, a filter that matches one row or
# nothing, a filtered Transfer or Source pane, after a failed fetch, with no
# page at all, during a fetch, during a download, with the URL form, the
# save prompt, the y/n question, the help or the query line open (with a
# wrong expression too), on the Query pane's rows, and a terminal too small
# to draw in.  After each key the program must still run (or have quit
# cleanly, for q), must be back waiting in its main loop (not blocked in a
# read of the terminal), and the screen must be sane: the tab bar on the
# first row, or "terminal too small".  Then three behaviours around those
# states are checked one by one: a second download while one runs, a page
# arriving while the "Save as" prompt is open, and Ctrl-S (terminal flow
# control).  At the end no run may have left a sanitizer report
# (AddressSanitizer, UndefinedBehaviorSanitizer, LeakSanitizer) on stderr.
#
# Run from the repository root:  prove -v tests/states.t
# (SCRAPER=./scraper-asan prove -v tests/states.t for the sanitizer build;
# STATES_ONLY=REGEX runs only the states whose name matches, "behaviours"
# being the name of the three checks at the end; STATES_KEYS=REGEX only the
# keys whose label matches; STATES_TRACE=1 prints each key as it goes.)
#
# How a key is checked without sleeping: the key is sent alone, and the
# test waits until the program has read it and is back in its main loop's
# poll (its main thread's /proc/PID/syscall and the bytes it has read,
# /proc/PID/io), so the key was handled and drawn as a real key press is —
# a cursor move draws only the rows that changed.  Then Ctrl-L, which makes
# the program clear and repaint the whole screen (ESC [ 2 J) in every mode:
# once that clear shows in the pane's output (which a tmux client in
# control mode reports) the capture is of the screen after the key.  If the
# program ends instead, the wrapper of tests/tmux-lib.sh records its
# status.  Every wait polls with a deadline (TUI_WAIT seconds, default 5,
# times TIME_SCALE).
#
# One program runs per state as long as the state lasts: after a key that
# leaves it (a pane switch, a fetch, Esc...), a modal window is closed and
# the state entered again by keys where that is cheap, otherwise the
# program is started again.  All traffic goes to 127.0.0.1: the fixture
# server (tests/server.py), a static server for a generated page, and
# proxies pointing at a closed local port for any other host.

. "$(dirname "$0")/lib.sh"
require_scraper
. "$(dirname "$0")/tmux-lib.sh"
if [ ! -r /proc/self/syscall ]; then
    echo "1..0 # SKIP /proc/PID/syscall is not readable here"
    exit 0
fi

# scaled_us SECS: SECS times TIME_SCALE, in microseconds
scaled_us() { awk -v s="$1" -v k="${TIME_SCALE:-1}" 'BEGIN { printf "%.0f", s * k * 1000000 }'; }
WAIT_US=$(scaled_us "$TUI_WAIT")    # the waits of this file (TUI_WAIT: tmux-lib.sh)
# a blocking read of the terminal that lasts this long is a hang
BLOCKED_US=$(scaled_us 0.5)

start_server

# Any host but 127.0.0.1 goes to a "proxy" that is a closed local port.
PROXY=http://127.0.0.1:$(free_port)
export http_proxy=$PROXY https_proxy=$PROXY ALL_PROXY=$PROXY

# ---- a generated page, served by a static server ----------------------------
WWW=$SCRATCH/www
mkdir -p "$WWW"
# dl.html: a download that stalls, one that takes about 3 s, one at once
cat >"$WWW/dl.html" <<EOF
<!DOCTYPE html><title>downloads</title>
<a href="$BASE/stall">stalls</a>
<a href="$BASE/slow">about 3 s</a>
<a href="$BASE/download/second.bin">at once</a>
EOF
WPORT=$(free_port)
"$PYTHON" -m http.server --bind 127.0.0.1 --directory "$WWW" "$WPORT" \
    >"$SCRATCH/www.log" 2>&1 &
at_exit "kill $! 2>/dev/null"
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$WPORT") 2>/dev/null && break
    sleep 0.05
done
WBASE=http://127.0.0.1:$WPORT

# ---- talking to tmux without forking ------------------------------------------
# One tmux client in control mode (tmux -C) per program run, a coprocess:
# commands are lines written to it, each answered by a %begin ... %end
# block, and the pane's output arrives as %output lines (bytes below 32 as
# octal escapes), in which CLEARS counts the clears of the screen (ESC [ 2 J,
# "\033[2J").  Neither sending a key nor capturing the screen starts a
# process.

now_us() { NOW=${EPOCHREALTIME/./}; }

# hex STRING: the bytes of printf %b STRING as hex words, for send-keys -H.
hex() { printf '%b' "$1" | od -An -v -tx1 | tr -s ' \n' '  '; }

alive() { [ ! -s "$TDIR/exitfile" ]; }

TMC_IN='' TMC_OUT='' TMC_PID='' CLEARS=0
tmc_open() {
    tmc_close
    coproc TMC { exec tmux -S "$TSOCK" -C attach -t t 2>/dev/null; }
    exec {TMC_IN}<&"${TMC[0]}" {TMC_OUT}>&"${TMC[1]}"
    CLEARS=0 OUT_TAIL='' PART=''
    tmc "display -p -t t ready"
}
tmc_close() {
    [ -n "$TMC_IN" ] || return 0
    exec {TMC_IN}<&- {TMC_OUT}>&-
    kill "$TMC_PID" 2>/dev/null
    wait "$TMC_PID" 2>/dev/null
    TMC_IN='' TMC_OUT='' TMC_PID=''
}

# tmc_line SECS: read one line from the client (waiting at most SECS), and
# take note of a clear in the pane's output.  False when no whole line came
# (a part of one is kept for the next call: read -t keeps what it read).
OUT_TAIL='' PART=''
tmc_line() {
    local got
    if ! IFS= read -r -t "$1" -u "$TMC_IN" got; then
        PART+=$got
        return 1
    fi
    LINE=$PART$got PART=
    if [[ $LINE == "%output "* ]]; then
        # the pane's output comes in pieces cut anywhere: the last 7
        # characters of the one before are looked at again
        local data=$OUT_TAIL${LINE#%output * }
        [[ $data == *'\033[2J'* ]] && CLEARS=$((CLEARS + 1))
        OUT_TAIL=${data: -7}
    fi
    return 0
}

# tmc COMMAND: run a tmux command; its output lines in OUTL.  Each command
# is followed by a marker (display -p @tmcN), so an answer that came late
# is never taken for the next command's.  False when tmux says %error or
# does not answer within TUI_WAIT.
TMC_SEQ=0
tmc() {
    local tag='' end block=() st=1 got=''
    TMC_SEQ=$((TMC_SEQ + 1))
    OUTL=()
    printf '%s\ndisplay -p -t t @tmc%d\n' "$1" "$TMC_SEQ" >&"$TMC_OUT" || return 1
    now_us
    end=$((NOW + WAIT_US))
    while :; do
        if tmc_line 0.2; then
            if [ -z "$tag" ]; then
                # a block answering this client's commands: flags 1
                [[ $LINE == "%begin "*" 1" ]] && tag=${LINE#%begin } block=()
            elif [ "$LINE" = "%end $tag" ] || [ "$LINE" = "%error $tag" ]; then
                if [ "${#block[@]}" = 1 ] && [ "${block[0]}" = "@tmc$TMC_SEQ" ]; then
                    [ -n "$got" ] && return "$st"
                    return 1
                fi
                OUTL=("${block[@]}") got=1 st=0
                [ "$LINE" = "%error $tag" ] && st=1
                tag=
            else
                block+=("$LINE")
            fi
        fi
        now_us
        if [ "$NOW" -ge "$end" ]; then
            diag "tmux did not answer: $1"
            return 1
        fi
    done
}

# nap SECS: wait SECS, reading what the client says meanwhile.
nap() { tmc_line "$1" || return 0; drain; }
# drain: read what the client has said so far (read -t 0 would not read).
drain() { while tmc_line 0.001; do :; done; }

# repainted BEFORE: wait until CLEARS passes BEFORE (the screen was cleared
# and drawn again).  0: so; 1: the program ended; 2: timed out.
repainted() {
    local end
    now_us
    end=$((NOW + WAIT_US))
    while [ "$CLEARS" -le "$1" ]; do
        alive || return 1
        now_us
        [ "$NOW" -ge "$end" ] && return 2
        nap 0.01
    done
    return 0
}

# The program's main thread from /proc: RCHAR, the bytes it has read so
# far; SYSCALL, the system call it waits in ("running" when it runs).
PID=
read_proc() {
    local k v
    RCHAR=0 SYSCALL=
    { while read -r k v; do
        [ "$k" = rchar: ] && { RCHAR=$v; break; }
    done <"/proc/$PID/io"; read -r SYSCALL <"/proc/$PID/syscall"; } 2>/dev/null
}
# in the main loop's poll: poll (7) on 2 descriptors or more (stdin and
# libcurl's), not the one-descriptor poll of a key being read
in_main_poll() { [[ $SYSCALL =~ ^7\ 0x[0-9a-f]+\ 0x([2-9a-f]|[0-9a-f][0-9a-f]+)\  ]]; }
# in a read (0) of descriptor 0, the terminal
in_tty_read() { [[ $SYSCALL == "0 0x0 "* ]]; }

# settled BEFORE: wait until the program has read more than BEFORE bytes
# and is back in its main loop's poll: it has handled the key and drawn.
# 0: so; 1: the program ended; 2: timed out; 3: it is blocked reading the
# terminal (waiting for bytes that are not coming).
settled() {
    local end blocked_since='' last=''
    now_us
    end=$((NOW + WAIT_US))
    while :; do
        read_proc
        [ "$RCHAR" -gt "$1" ] && in_main_poll && return 0
        alive || return 1
        now_us
        if in_tty_read && [ "$RCHAR" = "$last" ]; then
            [ -z "$blocked_since" ] && blocked_since=$NOW
            [ $((NOW - blocked_since)) -ge "$BLOCKED_US" ] && return 3
        else
            blocked_since=
        fi
        last=$RCHAR
        [ "$NOW" -ge "$end" ] && return 2
        nap 0.002
    done
}

# press SEND-KEYS-WORDS: send the key, wait until the program has handled it
# (SETTLE: settled's status), then Ctrl-L and wait for the full repaint
# (press returns repainted's status).  NO_SETTLE=1: do not wait for the key
# to be read (Ctrl-S and Ctrl-Q, which the terminal may keep for itself).
NO_SETTLE=
press() {
    local before clears
    read_proc
    before=$RCHAR
    SETTLE=0
    tmc "send-keys -t t $1" || { SETTLE=4; return 2; }
    [ -n "$NO_SETTLE" ] || settled "$before" || SETTLE=$?
    drain
    clears=$CLEARS
    tmc "send-keys -t t C-l"
    repainted "$clears"
}

# resize_to WxH: resize the window, then Ctrl-L; wait for the repaint.
resize_to() {
    local clears=$CLEARS
    tmc "resize-window -t t -x ${1%x*} -y ${1#*x}"
    until tmc "display -p -t t '#{pane_width}x#{pane_height}'" && [ "${OUTL[0]}" = "$1" ]; do
        alive || return 1
        nap 0.01
    done
    tmc "send-keys -t t C-l"
    repainted "$clears"
}

# ---- the screen --------------------------------------------------------------------
# grab: capture the screen into SCREEN; FIRST and LAST are its first and
# last rows, ROWS the list's rows (from the second row to the line above the
# detail).
grab() {
    local l
    tmc "capture-pane -p -t t"
    [ ${#OUTL[@]} -gt 0 ] || OUTL=("")
    printf -v SCREEN '%s\n' "${OUTL[@]}"
    SCREEN=${SCREEN%$'\n'}
    FIRST=${OUTL[0]}
    LAST=${OUTL[${#OUTL[@]} - 1]}
    ROWS=()
    for l in "${OUTL[@]:1}"; do
        [[ $l =~ ^(q{20}|─{20}) ]] && break
        ROWS+=("$l")
    done
}

# poll COND: eval COND, with the screen captured afresh, until true or
# TUI_WAIT seconds passed (or the program ended).
poll() {
    local end
    now_us
    end=$((NOW + WAIT_US))
    while :; do
        grab
        eval "$1" && return 0
        alive || { grab; eval "$1"; return; }
        now_us
        [ "$NOW" -ge "$end" ] && return 1
        nap 0.02
    done
}

# sane: the tab bar on the first row, or the "too small" notice.
sane() {
    [[ $FIRST == "terminal too small"* ]] && return 0
    [[ $FIRST =~ 1\ L.*7\ S ]] && [[ $SCREEN != *AFTER-SCRAPER* ]]
}

# A modal window open: the form, the help, the save prompt, the filter line
# being typed, a y/n question.
form_open() { [[ $SCREEN == *"Open a URL"* ]]; }
help_open() { [[ $SCREEN == *"Keys (j/k scroll"* ]]; }
prompt_open() { [[ $LAST =~ ^(Save\ as|Download\ as|Export\ |Pipe\ |Run\ with\ ) ]]; }
output_open() { [[ $SCREEN == *$'\n'" Output: "* ]]; }
filter_typing() { [[ $LAST == /* ]]; }
query_typing() { [[ $LAST == :* ]]; }
confirm_open() { [[ $LAST == *"(y/n)"* ]]; }
no_modal() { ! form_open && ! help_open && ! prompt_open && ! filter_typing && ! confirm_open &&
    ! output_open && ! query_typing; }
loading() { [[ $LAST =~ ^(Loading|Downloading) ]]; }

# element_rows: how many list rows are elements (TAG ATTR SCHEME:...).
element_rows() {
    local r n=0
    for r in "${ROWS[@]}"; do
        # [TAG ATTR] [N×] URL: the tag where the pane mixes them, a URL of
        # the page's host from its path
        [[ $r =~ ^([a-z][a-z0-9]*\ +[a-z-]+\ +)?(\ *[0-9]+×\ +|\ +)?(/|[a-z][a-z0-9+.-]*:) ]] && n=$((n + 1))
    done
    echo "$n"
}
# rows_match ERE: the list has rows and every one that is not blank matches.
rows_match() {
    local r n=0
    for r in "${ROWS[@]}"; do
        [[ $r =~ ^\ *$ ]] && continue
        [[ $r =~ $1 ]] || return 1
        n=$((n + 1))
    done
    [ "$n" -gt 0 ]
}
# in_flight WORD: Loading or Downloading in the status line, or a message
# there that is not one of those that end a transfer.
in_flight() {
    [[ $LAST == "$1"* ]] && return 0
    [[ ! $LAST =~ ^(HTTP\ [0-9]|Loading|Downloading|no\ page) ]] &&
        [[ ! $LAST =~ [Cc]ancel|[Ff]ailed|downloaded|saved ]]
}

# sanitizer_report FILE: its first report line and summary, if any.
sanitizer_report() {
    grep -aE 'ERROR: [A-Za-z]+Sanitizer|runtime error:|^SUMMARY: ' "$1" 2>/dev/null |
        sed -E 's/^==[0-9]+==//; s/ on address 0x[0-9a-f]+.*//; s/ at pc 0x[0-9a-f]+.*//' |
        head -2 | paste -sd ' ' -
}

# why_ended: how the program ended, for a test name.
why_ended() {
    local st rep
    st=$(cat "$TDIR/exitfile" 2>/dev/null)
    rep=$(sanitizer_report "$TDIR/stderr")
    if [ -n "$rep" ]; then
        echo "$st: $rep"
    elif [ "${st#exit=}" -gt 128 ] 2>/dev/null; then
        echo "$st: killed by signal $((${st#exit=} - 128))"
    else
        echo "$st: $(head -1 "$TDIR/stderr" | head -c 200)"
    fi
}

# ==== the states ================================================================
#
# A state is a function that sets:
#   ST_ARGS     the program's arguments
#   ST_READY    an ERE the screen shows once the program has started
#   ST_ENTER    send-keys words that lead from there into the state (one key
#               each; "text:STRING" types STRING)
#   ST_WAIT     a condition on the screen once there (optional)
#   ST_SETUP    a function run after that (optional)
#   ST_CHECK    a condition on the screen: still in the state (the tab bar
#               is also compared with the one it had when the state began)
#   ST_REENTER  1: a state left by a key may be entered again with ST_ENTER
#               once the tab bar is the page's as it was at ST_READY
#   ST_SIZE     the window (default 100x30)

st_empty() {
    ST_ARGS=("$BASE/page2.html") ST_READY='HTTP 200' ST_ENTER=(3) ST_REENTER=1
    ST_CHECK='no_modal && [ "${ROWS[0]}" = " nothing here" ]'
}
st_one_row() {
    ST_ARGS=("$BASE/page2.html") ST_READY='HTTP 200' ST_ENTER=(2) ST_REENTER=1
    ST_CHECK='no_modal && [ "$(element_rows)" = 1 ]'
}
st_filtered_one() {
    ST_ARGS=("$BASE/") ST_READY='HTTP 200' ST_ENTER=(1 / text:sample.bin Enter) ST_REENTER=1
    ST_CHECK='no_modal && [ "$(element_rows)" = 1 ] && [[ $FIRST == *" 1/"* ]]'
}
st_filtered_none() {
    ST_ARGS=("$BASE/") ST_READY='HTTP 200' ST_ENTER=(1 / text:zzzz Enter) ST_REENTER=1
    ST_CHECK='no_modal && [[ ${ROWS[0]} == " nothing matches"* ]]'
}
st_filtered_transfer() {
    ST_ARGS=("$BASE/") ST_READY='HTTP 200' ST_ENTER=(6 / text:e Enter) ST_REENTER=1
    ST_CHECK='no_modal && [[ ${ROWS[0]} =~ ^[*\<\>]\  ]] && rows_match "[eE]"'
}
st_filtered_source() {
    ST_ARGS=("$BASE/") ST_READY='HTTP 200' ST_ENTER=(7 / text:e Enter) ST_REENTER=1
    ST_CHECK='no_modal && [[ ${ROWS[0]} =~ ^\ *[0-9]+\  ]] && rows_match "[eE]"'
}
st_failed_over_page() {
    ST_ARGS=("$BASE/") ST_READY='HTTP 200' ST_REENTER=1
    ST_ENTER=(o C-u text:http://127.0.0.1:1/ Enter) ST_WAIT='[[ $LAST == *[Cc]onnect* ]]'
    ST_SETUP=filter_failed_story
    ST_CHECK='no_modal && [[ $SCREEN == *"fetch failed"* ]] && rows_match "[eE]"'
}
filter_failed_story() {
    press "6 / e Enter" >/dev/null
    poll 'no_modal && [[ $SCREEN == *"fetch failed"* ]] && rows_match "[eE]"'
}
st_failed() {
    ST_ARGS=(http://127.0.0.1:1/) ST_READY='[Cc]onnect'
    ST_CHECK='no_modal && ! loading'
}
st_no_page() {
    ST_ARGS=() ST_READY='Open a URL' ST_ENTER=(Escape) ST_WAIT='[[ $LAST == "no page loaded"* ]]'
    ST_CHECK='no_modal && ! loading'
}
st_fetching() {
    ST_ARGS=("$BASE/stall") ST_READY='Loading'
    ST_CHECK='no_modal && in_flight Loading'
}
st_fetching_over_page() {
    ST_ARGS=("$BASE/") ST_READY='HTTP 200' ST_ENTER=(o C-u "text:$BASE/stall" Enter)
    ST_WAIT='[[ $LAST == Loading* ]]'
    ST_CHECK='no_modal && in_flight Loading'
}
st_downloading() {
    ST_ARGS=("$WBASE/dl.html") ST_READY='HTTP 200' ST_ENTER=(g d Enter) ST_WAIT='[[ $LAST == Downloading* ]]'
    ST_CHECK='no_modal && in_flight Downloading'
}
st_form() {
    ST_ARGS=("$BASE/") ST_READY='HTTP 200' ST_ENTER=(o) ST_REENTER=1
    ST_CHECK='form_open'
}
st_form_no_page() {
    ST_ARGS=() ST_READY='Open a URL'
    ST_CHECK='form_open'
}
st_prompt() {
    ST_ARGS=("$BASE/") ST_READY='HTTP 200' ST_ENTER=(s) ST_REENTER=1
    ST_CHECK='prompt_open'
}
st_confirm() {
    # s Enter saves Files/index.html; once it exists, s Enter asks
    ST_ARGS=("$BASE/") ST_READY='HTTP 200' ST_ENTER=(s Enter) ST_REENTER=1
    ST_SETUP=ask_again
    ST_CHECK='confirm_open'
}
ask_again() {
    confirm_open && return 0
    poll '[ -f "$TDIR/Files/index.html" ]' || return 1
    press s >/dev/null
    press Enter >/dev/null
    poll confirm_open
}
st_help() {
    ST_ARGS=("$BASE/") ST_READY='HTTP 200' ST_ENTER=('?') ST_REENTER=1
    ST_CHECK='help_open'
}
st_query_line() {
    ST_ARGS=("$BASE/") ST_READY='HTTP 200' ST_ENTER=(: 'text://a') ST_REENTER=1
    ST_CHECK='query_typing'
}
st_query_wrong() {
    ST_ARGS=("$BASE/") ST_READY='HTTP 200' ST_ENTER=(: 'text://a[') ST_REENTER=1
    ST_CHECK='query_typing && [[ $SCREEN == *"^"* ]]'
}
st_query_rows() {
    ST_ARGS=("$BASE/") ST_READY='HTTP 200' ST_ENTER=(: 'text://a { text, url }' Enter) ST_REENTER=1
    ST_CHECK='no_modal && [[ $FIRST =~ " 8 Query "[1-9] ]]'
}
st_too_small() {
    ST_ARGS=("$BASE/") ST_READY='HTTP 200' ST_SIZE=20x5
    ST_CHECK='[[ $FIRST == "terminal too small"* ]]'
}

# ==== the keys ======================================================================
#
# LABEL|send-keys words (one key each; -H takes hex bytes), or @resize
# (down to 20x5, to 1x1, and back).  tmux sends Home/End as ESC [ 1 ~ and
# ESC [ 4 ~; xterm-256color's own codes (ESC O H, ESC O F) and the keypad
# Enter (ESC O M) are sent as bytes.  Mouse: SGR (1006) reports, as ncurses
# asks xterm-256color for, and X10 ones, which it does not; a paste in
# bracketed-paste markers, which the program does not ask for either.
sgr() { echo "-H $(hex "$(printf '\\e[<%s' "$@")")"; }
x10() { echo "-H $(hex "$(printf '\\e[M%s' "$@")")"; }
KEYS=(
    "j|j" "Down|Down" "k|k" "Up|Up" "PgDn|NPage" "Space|Space" "PgUp|PPage"
    "G|G" "End|End" "End (ESC O F)|-H $(hex '\eOF')" "g|g" "Home|Home" "Home (ESC O H)|-H $(hex '\eOH')"
    "wheel down (SGR mouse)|$(sgr '65;10;5M')" "wheel up (SGR mouse)|$(sgr '64;10;5M')"
    "click on a row (SGR mouse)|$(sgr '0;10;4M' '0;10;4m')"
    "right click (SGR mouse)|$(sgr '2;10;4M' '2;10;4m')"
    "wheel down (X10 mouse)|$(x10 'a*%')" "click (X10 mouse)|$(x10 ' *%' '#*%')"
    "y|y" "Ctrl-L|C-l" "Ctrl-U|C-u" "Ctrl-A|C-a" "Ctrl-E|C-e" "Ctrl-K|C-k" "Ctrl-W|C-w"
    "Ctrl-S Ctrl-Q|C-s C-q" "Ctrl-Q|C-q" "Delete|DC" "Insert|IC" "F1|F1" "F12|F12"
    "x (not a key)|x" "é (not a key)|-l é"
    "bracketed paste|-H $(hex '\e[200~Zx-zX é日本\e[201~')"
    "@resize|@resize"
    "?|?" "/|/" "o|o" "s|s"
    "Tab|Tab" "Shift-Tab|BTab" "1|1" "2|2" "3|3" "4|4" "5|5" "6|6" "7|7" "8|8"
    ":|:" "Y|Y"
    "click on a tab (SGR mouse)|$(sgr '0;40;1M' '0;40;1m')"
    "d|d" "Enter|Enter" "Ctrl-J|C-j" "keypad Enter (ESC O M)|-H $(hex '\eOM')" "Right|Right" "l|l"
    "Backspace|BSpace" "Ctrl-H|C-h" "h|h" "Left|Left"
    "m|m" "M|M" "U|U" "e|e" "pipe|'|'" "!|!"
    "r|r" "Esc|Escape" "q|q"
)

# ==== running a state =================================================================

SNAME=         # the state's name
ST_TABROW=     # the first row when the state began
ST_BASEROW=    # the first row once the program was ready (before ST_ENTER)

# start_run ARGS...: tui_start, the control client, and PID once the
# wrapper has written it.  stop_run: the end of both.
start_run() {
    PID=
    tui_start "$@"
    tmc_open
    poll '[ -s "$TDIR/pid" ]' && PID=$(cat "$TDIR/pid")
}
stop_run() {
    tmc_close
    tui_stop
}

# send_words WORD...: each word a key (or "text:STRING", typed), sent once
# the program has handled the one before.
send_words() {
    local w before
    for w in "$@"; do
        read_proc
        before=$RCHAR
        case $w in
            text:*) tmc "send-keys -t t -l '${w#text:}'" ;;
            *) tmc "send-keys -t t $w" ;;
        esac
        settled "$before"
    done
}

# enter_keys: ST_ENTER, ST_WAIT, ST_SETUP; true once ST_CHECK holds.
enter_keys() {
    send_words "${ST_ENTER[@]}"
    poll "${ST_WAIT:-true}" || return 1
    if [ -n "$ST_SETUP" ]; then
        "$ST_SETUP" || return 1
    fi
    poll "$ST_CHECK" || return 1
    ST_TABROW=$FIRST
}

# start_state: a new program, brought into the state.
start_state() {
    NSTARTS=$((NSTARTS + 1))
    if [ -n "$TDIR" ] && [ -n "$PID" ] && alive; then
        kill -KILL "$PID" 2>/dev/null
    fi
    [ -n "$TDIR" ] && stop_run
    TUI_W=100 TUI_H=30
    start_run "${ST_ARGS[@]}"
    if ! poll '[[ $SCREEN =~ $ST_READY ]]'; then
        diag "$SNAME: the program did not show /$ST_READY/"
        _diag_state
        return 1
    fi
    ST_BASEROW=$FIRST
    if [ "$ST_SIZE" != 100x30 ]; then
        resize_to "$ST_SIZE" && poll "$ST_CHECK" || return 1
        ST_TABROW=$FIRST
        return 0
    fi
    if ! enter_keys; then
        diag "$SNAME: could not enter the state (${ST_ENTER[*]})"
        _diag_state
        return 1
    fi
}

in_state() { [ "$FIRST" = "$ST_TABROW" ] && eval "$ST_CHECK"; }

# close_modal: close the modal window open, if any (one press).
close_modal() {
    if form_open || help_open || prompt_open || output_open || query_typing; then
        press Escape
    elif filter_typing; then
        press Enter
    elif confirm_open; then
        press n
    else
        return 1
    fi
    grab
}

# back_in_state: after a key (the screen just captured), bring the program
# back into the state: by closing a modal window, by ST_ENTER, or by
# starting it again.
back_in_state() {
    local i
    if alive; then
        in_state && return 0
        for i in 1 2 3; do close_modal || break; done
        in_state && return 0
        if [ -n "$ST_REENTER" ] && poll '! loading' && no_modal && [ "$FIRST" = "$ST_BASEROW" ]; then
            enter_keys && in_state && return 0
        fi
    fi
    start_state
}

# check_key LABEL WORDS: press the key, then the checks; each failure is a
# "not ok" naming the state, the key and what went wrong.
check_key() {
    local label=$1 words=$2 r s sizes
    NKEYS=$((NKEYS + 1))
    SETTLE=0
    if [ "$words" = @resize ]; then
        sizes="20x5 1x1 $ST_SIZE"
        [ "$ST_SIZE" != 100x30 ] && sizes="1x1 100x30 $ST_SIZE"
        for s in $sizes; do
            resize_to "$s"
            r=$?
            [ $r = 0 ] || break
        done
    else
        NO_SETTLE=
        [[ $label == Ctrl-[SQ]* ]] && NO_SETTLE=1
        press "$words"
        r=$?
        NO_SETTLE=
    fi
    case $SETTLE in
        4) key_failed "$label" "tmux sends the key (send-keys -t t $words)"; return 1 ;;
        2) alive && key_failed "$label" "the program handles the key within $((WAIT_US / 1000000)) s" ;;
        3) key_failed "$label" "the program goes back to its loop (it is blocked in a read of the terminal, waiting for bytes that are not coming: no redraw, no transfer moves until the next key)" ;;
    esac
    case $r in
        0)
            if poll sane && alive; then
                return 0
            fi
            alive || {
                key_failed "$label" "the program is still running (ended: $(why_ended))"
                return 1
            }
            key_failed "$label" "the screen is sane (the tab bar on the first row)"
            ;;
        1)
            if [ "$label" = q ] && [ "$(cat "$TDIR/exitfile")" = exit=0 ] &&
                [ -z "$(sanitizer_report "$TDIR/stderr")" ]; then
                return 0   # q quits: fine
            fi
            key_failed "$label" "the program is still running (ended: $(why_ended))"
            ;;
        2)
            key_failed "$label" "the screen is repainted within $((WAIT_US / 1000000)) s (Ctrl-L after the key drew nothing)"
            ;;
    esac
    return 1
}

key_failed() {
    NFAIL=$((NFAIL + 1))
    fail "$SNAME: $1: $2"
    grab
    diag "first and last rows of the screen:" "$FIRST" "$LAST"
    if ! alive; then
        diag "the program ended: $(cat "$TDIR/exitfile"); its stderr:" \
            "$(grep -avE '^ *$' "$TDIR/stderr" | head -14)"
    fi
}

# run_state NAME FUNC: every key of KEYS in the state FUNC defines.
run_state() {
    local k keys=() i t0=$EPOCHREALTIME
    [[ $1 =~ ${STATES_ONLY:-.} ]] || return 0
    SNAME=$1 TNAME=$1
    ST_ARGS=() ST_ENTER=() ST_WAIT='' ST_SETUP='' ST_CHECK=true ST_REENTER='' ST_SIZE=100x30
    "$2"
    NKEYS=0 NFAIL=0 NSTARTS=0
    for k in "${KEYS[@]}"; do
        [[ ${k%%|*} =~ ${STATES_KEYS:-.} ]] && keys+=("$k")
    done
    if ! start_state; then
        fail "$SNAME: the state can be entered"
        stop_run
        return
    fi
    for i in "${!keys[@]}"; do
        [ -n "$STATES_TRACE" ] && diag "$EPOCHREALTIME $NSTARTS ${keys[i]%%|*}"
        check_key "${keys[i]%%|*}" "${keys[i]#*|}"
        [ "$i" = $((${#keys[@]} - 1)) ] && break   # the last key: no need to come back
        back_in_state || {
            fail "$SNAME: the state can be entered again after ${keys[i]%%|*}"
            stop_run
            return
        }
    done
    [ "$NFAIL" = 0 ] && pass "$SNAME: $NKEYS keys, after each the program runs and the screen is sane"
    quit_state
    stop_run
    diag "$SNAME: $NKEYS keys, $NSTARTS program starts, $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
}

# quit_state: end the program with q (twice during a download) from the
# list: exit status 0, no sanitizer report (LeakSanitizer's included).
quit_state() {
    local i rep
    if alive; then
        [ "$ST_SIZE" != 100x30 ] && resize_to 100x30
        for i in 1 2 3; do grab; close_modal || break; done
        press q
        alive && press q
        if ! poll '! alive'; then
            fail "$SNAME: q quits"
            return
        fi
    fi
    is "$(cat "$TDIR/exitfile")" exit=0 "$SNAME: the program exits with status 0"
    rep=$(sanitizer_report "$TDIR/stderr")
    if [ -n "$rep" ]; then
        fail "$SNAME: no sanitizer report at exit"
        diag "$(head -c 3000 "$TDIR/stderr")"
    fi
}

# ==== behaviours around the states ====================================================

says_running() {
    grep -Eiq 'download.*(running|progress|queued|busy|wait|already)|queued|already' <<<"${SCREEN##*$'\n'}"
}

# A second d while a download runs must not cancel the first silently: the
# status line says one is running (or that the second waits its turn), and
# the first file still arrives.
t_second_download() {
    SNAME="d while a download runs" TNAME="d while a download runs"
    start_run "$WBASE/dl.html"
    wait_screen 'HTTP 200' || return
    keys g j
    wait_screen "$(nth_of 2 3)" || return
    keys d
    wait_screen '^Download as' || return
    keys Enter
    wait_screen '^Downloading' || return
    keys j
    wait_screen "$(nth_of 3 3)" || return
    keys d
    wait_until 'says_running' \
        "a second d while a download runs: the status line says a download is running (or queued), not a silent switch" 3 &&
        pass "$SNAME: the second d is answered: a download is running (or it is queued)"
    wait_until '[ -f "$TDIR/Files/slow.html" ]' \
        "the second d did not cancel the first download: Files/slow.html (about 3 s) arrives" 10 &&
        pass "$SNAME: the first download still completes (Files/slow.html: text/html)"
    quit_state
}

# A page arriving while the "Save as" prompt is open must not erase what was
# typed there.
t_prompt_survives_page() {
    SNAME="'Save as' open when a page arrives" TNAME="'Save as' open when a page arrives"
    start_run "$BASE/page2.html"
    wait_screen 'HTTP 200' || return
    keys o C-u
    type_text "$BASE/slow"
    keys Enter
    wait_screen '^Loading' || return
    keys s C-u
    type_text typed-name.html
    wait_screen '^Save as Files/typed-name\.html' || return
    # the /slow page (about 3 s): its links show in the list when it arrives
    wait_screen 'page2\.html\?slow' 10 || return
    if [[ ${SCREEN##*$'\n'} == "Save as Files/typed-name.html"* ]]; then
        pass "$SNAME: the name typed in the prompt survives the page's arrival"
    else
        fail "$SNAME: the name typed in the prompt survives the page's arrival"
        diag "the status line once the page arrived:" "${SCREEN##*$'\n'}"
    fi
    keys Escape
    quit_state
}

# Ctrl-S must not freeze the screen (terminal flow control, IXON, left on):
# after it, ? still shows the help.
t_ctrl_s() {
    SNAME="Ctrl-S" TNAME="Ctrl-S"
    start_run "$BASE/"
    wait_screen 'HTTP 200' || return
    keys C-s
    keys '?'
    if wait_screen 'Keys \(j/k' 3 "after Ctrl-S, ? shows the help (the output is not frozen by flow control)"; then
        pass "$SNAME: after Ctrl-S the screen still follows the keys (? shows the help)"
    else
        keys C-q
        wait_screen 'Keys \(j/k' 3 &&
            diag "after Ctrl-Q the help appeared: Ctrl-S had stopped the output (IXON is on)"
    fi
    keys Escape
    quit_state
}

# ==== run ==============================================================================

T0=$EPOCHREALTIME

run_state "empty pane (Media, no rows)" st_empty
run_state "one row (Images)" st_one_row
run_state "filtered to one row" st_filtered_one
run_state "filtered to nothing" st_filtered_none
run_state "filtered Transfer pane" st_filtered_transfer
run_state "filtered Source pane" st_filtered_source
run_state "after a failed fetch (no page)" st_failed
run_state "a failed fetch over a page, Transfer filtered" st_failed_over_page
run_state "no page" st_no_page
run_state "during a fetch (no page)" st_fetching
run_state "during a fetch over a page" st_fetching_over_page
run_state "during a download" st_downloading
run_state "URL form open" st_form
run_state "URL form open, no page" st_form_no_page
run_state "save prompt open" st_prompt
run_state "y/n question open" st_confirm
run_state "help open" st_help
run_state "query line open" st_query_line
run_state "query line, a wrong expression" st_query_wrong
run_state "the Query pane's rows" st_query_rows
run_state "terminal too small (20x5)" st_too_small

if [[ behaviours =~ ${STATES_ONLY:-.} ]]; then
    TUI_W=100 TUI_H=30 ST_SIZE=100x30
    t_second_download; stop_run
    t_prompt_survives_page; stop_run
    t_ctrl_s; stop_run
fi

# every run's stderr
reports=
for f in "$SCRATCH"/t*/stderr; do
    [ -f "$f" ] || continue
    r=$(sanitizer_report "$f")
    [ -n "$r" ] && reports+="${f#"$SCRATCH"/}: $r"$'\n'
done
if [ -z "$reports" ]; then
    pass "no run left a sanitizer report on stderr"
else
    fail "no run left a sanitizer report on stderr"
    diag "$reports"
fi
diag "states.t took $(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"

done_testing
