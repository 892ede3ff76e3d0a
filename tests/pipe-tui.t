#!/bin/bash
# The rows' URLs to a shell command: | pipes them (marked, else shown), one
# a line, to its standard input, or with {} runs it once a URL, quoted in
# place; its output, made safe and bounded, is shown with its exit status,
# and Esc ends a command that does not. ! hands the terminal over instead.
# No URL of the page reaches the shell but on stdin or quoted.
#
# Run from the repository root:  prove -v tests/pipe-tui.t
# (SCRAPER=./scraper-asan TIME_SCALE=3 prove -v tests/pipe-tui.t under ASan.)

. "$(dirname "$0")/lib.sh"
require_scraper
. "$(dirname "$0")/tmux-lib.sh"
SCENARIO_ONLY=${TUI_ONLY:-.}
start_server

# wait_ok COND DESC: a test of COND, waited for (the screen may be drawn
# in more than one write): passes once COND holds, fails after the limit.
wait_ok() { wait_until "$1" "$2" && pass "$TNAME: $2"; }

PAGE=$BASE/marks/hostile
REF=$SCRATCH/ref
mkdir -p "$REF"
"$SCRAPER" --dump "$PAGE" | grep '^link' | cut -f4 >"$REF/urls.txt"
head -2 "$REF/urls.txt" >"$REF/first2.txt"

# run_command KEY COMMAND: the prompt of KEY (| or !), COMMAND typed, Enter.
run_command() {
    keys "$1"
    wait_status '(Pipe|Run with) [0-9]+ ' || return 1
    type_text "$2"
    keys Enter
}

# --- | : stdin, the output view, the status -----------------------------------
t_pipe() {
    tui_start "$PAGE"
    wait_screen ' 1 Links 6 ' || return
    keys '|'
    wait_status '^Pipe 6 URLs to:' 5 "| prompts for a command, saying how many URLs go" || return
    type_text 'tee piped.txt; printf "\033[31mred\007\n"; exit 3'
    keys Enter
    wait_screen '^ \[exit 3\]' 5 "the output ends with the exit status" || return
    cmp_file "$REF/urls.txt" "$TDIR/piped.txt" "$TNAME: the URLs of the rows shown, one a line, on stdin"
    wait_ok 'grep -q "Output: exit 3" <<<"$SCREEN"' "the title says how it ended"
    wait_ok 'grep -Fq "$(sed -n 5p "$REF/urls.txt")" <<<"$SCREEN"' "the output is shown"
    wait_ok 'grep -Fq "^[[31mred^G" <<<"$SCREEN"' "control bytes of the output are shown escaped"
    keys q
    wait_screen '^/h/plain' 5 "q closes the output" || return
    keys j m j j m
    wait_screen ' 1 Links \*2/6 ' || return
    keys g
    run_command '|' 'cat >marked.txt'
    wait_screen '^ \[exit 0\]' || return
    ok '[ "$(sed -n 2p "$TDIR/marked.txt")" = "$(sed -n 5p "$REF/urls.txt")" ]' \
       "$TNAME: with marks, the marked URLs only"
    keys Escape '|'
    wait_status '^Pipe 2 marked URLs to:' 5 "the prompt says the marked ones go" || return
    keys Escape
    wait_status 'not run' || return
    keys 7 '|'
    wait_status 'gives a command the URLs of an element pane' 5 "| on Source is refused" || return
    pass "$TNAME: | elsewhere than an element pane says why"
    keys 1
    quit_clean
}

# --- the output view scrolls -------------------------------------------------------
# first_line: the first line of output shown (the screen's third row).
first_line() { sed -n 3p <<<"$SCREEN"; }
t_scroll() {
    tui_start "$PAGE"
    wait_screen ' 1 Links 6 ' || return
    run_command '|' 'seq 1 100'
    wait_screen '^ \[exit 0\]' || return
    wait_ok '[ "$(first_line)" = " 75" ]' "the last lines are shown (27 rows: 75 to 100, the status)"
    keys g
    wait_ok '[ "$(first_line)" = " \$ seq 1 100" ]' "g: the first line"
    keys j j
    wait_ok '[ "$(first_line)" = " 2" ]' "j scrolls down"
    keys G
    wait_ok '[ "$(first_line)" = " 75" ]' "G: the end again"
    tm send-keys -t t -H 1b 5b 3c 36 34 3b 31 30 3b 35 4d   # wheel up (SGR report)
    wait_ok '[ "$(first_line)" = " 72" ]' "the mouse wheel scrolls it up by 3"
    keys q
    wait_gone '^ Output: ' || return
    quit_clean
}

# --- {} : once a URL, quoted ----------------------------------------------------
t_each() {
    tui_start "$PAGE"
    wait_screen ' 1 Links 6 ' || return
    run_command '|' "printf '%s\\n' {} >>each.txt"
    wait_screen 'Output: 6 runs, 0 failed' 5 "with {}, one run a URL" || return
    cmp_file "$REF/urls.txt" "$TDIR/each.txt" "$TNAME: each URL in place of {}, whole"
    ok '[ ! -e "$TDIR/INJECTED" ] && [ ! -e "$TDIR/INJECTED2" ]' \
       "$TNAME: \$(...) and backquotes in a URL reach the command quoted, not run"
    wait_ok 'grep -Fq "$ printf '"'"'%s\\n'"'"' '"'"'$(sed -n 1p "$REF/urls.txt")'"'"'" <<<"$SCREEN"' \
              "each run's command line is shown"
    keys q
    wait_gone '^ Output: ' || return
    quit_clean
}

# --- quotes, backslashes and shell words in URLs -------------------------------------
t_quotes() {
    "$SCRAPER" --dump "$BASE/marks/quotes" | cut -f4 | sed 'p' >"$REF/quotes-twice.txt"
    tui_start "$BASE/marks/quotes"
    wait_screen ' 1 Links 2 ' || return
    run_command '|' "printf '%s\\n' {} {} >>q.txt"
    wait_screen 'Output: 2 runs, 0 failed' || return
    cmp_file "$REF/quotes-twice.txt" "$TDIR/q.txt" \
        "$TNAME: URLs with ', \\, \$, backquotes, | and {} reach the command whole, at each {}"
    ok '[ ! -e "$TDIR/INJECTED3" ]' "$TNAME: ... and nothing in them runs"
    keys q
    wait_gone '^ Output: ' || return
    quit_clean
}

# --- a command that does not end; one that writes too much ------------------------
t_endless() {
    tui_start "$PAGE"
    wait_screen ' 1 Links 6 ' || return
    run_command '|' 'echo $$ >pid.txt; echo started; exec sleep 1000'
    wait_screen '^ started' 5 "output is shown while the command runs" || return
    wait_ok 'grep -q "the command runs (Esc ends it)" <<<"$SCREEN"' "the title says it runs"
    keys Escape
    wait_screen 'killed by signal 15' 5 "Esc ends it (SIGTERM)" || return
    ok '! kill -0 "$(cat "$TDIR/pid.txt")" 2>/dev/null' "$TNAME: the process is gone"
    keys q
    run_command '|' 'trap "" TERM; echo $$ >pid2.txt; echo stubborn; while :; do sleep 1; done'
    wait_screen '^ stubborn' || return
    keys Escape
    wait_screen 'killed by signal 9' 5 "one that ignores SIGTERM gets SIGKILL" || return
    ok '! kill -0 "$(cat "$TDIR/pid2.txt")" 2>/dev/null' "$TNAME: ... and is gone"
    keys q
    run_command '|' 'yes'
    wait_screen '^ y$' 5 "output that never stops is shown" || return
    keys Escape
    wait_screen 'killed by signal' 5 "... and Esc still ends it: the keys are heard" || return
    keys q
    run_command '|' 'exec >&- 2>&-; exec sleep 1000'
    wait_screen 'the command runs' || return
    local pid t0 t1
    pid=$(cat "$TDIR/pid")
    t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    sleep 1
    t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    ok '[ $((t1 - t0)) -lt 30 ]' "$TNAME: a command that closed its output is waited for without spinning"
    diag "CPU over 1 s while it runs: $((t1 - t0)) ticks"
    keys Escape
    wait_screen 'killed by signal' || return
    keys q
    run_command '|' "head -c 3000000 /dev/zero | tr '\\\\0' x; echo; echo tail-line"
    wait_screen 'past 1024 KiB not kept' 10 "output past 1 MiB is counted, not kept" || return
    wait_ok 'grep -q "^ \[exit 0; [0-9]* bytes of output past 1024 KiB not kept\]" <<<"$SCREEN"' \
              "... said with the exit status"
    keys q
    wait_gone '^ Output: ' || return
    quit_clean
}

# --- the program ends while a command runs --------------------------------------------
t_interrupted() {
    tui_start "$PAGE"
    wait_screen ' 1 Links 6 ' || return
    run_command '|' 'echo $$ >pid.txt; echo waiting; exec sleep 1000'
    wait_screen '^ waiting' || return
    keys C-c
    wait_exit || return
    is "$EXIT" "exit=130" "$TNAME: Ctrl-C ends the program (130) with a command running"
    ok '! kill -0 "$(cat "$TDIR/pid.txt")" 2>/dev/null' "$TNAME: ... and the command with it"
}

# --- ! : the terminal handed over ---------------------------------------------------
t_terminal() {
    tui_start "$PAGE"
    wait_screen ' 1 Links 6 ' || return
    run_command '!' 'cat >term.txt; echo hello-from-the-command'
    wait_screen 'press a key to return to scraper' 5 "! runs it on the terminal, then waits" || return
    wait_ok 'grep -q "^hello-from-the-command" <<<"$SCREEN"' "the command wrote on the terminal"
    wait_ok 'grep -q "^\[exit 0\] press a key" <<<"$SCREEN"' "its exit status is said"
    cmp_file "$REF/urls.txt" "$TDIR/term.txt" "$TNAME: the URLs on its stdin"
    keys x
    wait_screen ' 1 Links 6 ' 5 "a key brings the screen back" || return
    wait_status '!: exit 0' || return
    keys j m
    run_command '!' 'less'
    wait_screen "^$(re_quote "$(sed -n 2p "$REF/urls.txt")")\$" 5 "less shows the marked URL" || return
    keys q
    wait_screen 'press a key to return' || return
    keys Enter
    wait_screen ' 1 Links \*1/6 ' 5 "back on the screen, marks kept" || return
    keys j
    wait_screen "$(nth_of 4 6)" 5 "the keys act again" || return
    quit_clean
}

scenario "pipe" t_pipe
scenario "scroll" t_scroll
scenario "per URL" t_each
scenario "quotes" t_quotes
scenario "endless" t_endless
scenario "interrupted" t_interrupted
scenario "terminal" t_terminal
done_testing
