# tests/lib.sh — shared helpers for the TAP test scripts (*.t), sourced:
#
#     . "$(dirname "$0")/lib.sh"
#
# In the manner of git's t/test-lib.sh: each script prints TAP for `prove`,
# gets its own scratch directory ($SCRATCH, removed on exit) and may start the
# fixture server (tests/server.py) with start_server.  Scripts run from the
# repository root (lib.sh cds there).
#
# Environment:
#   SCRAPER   binary under test (default ./scraper); made absolute here so
#             tests may cd into $SCRATCH
#   PYTHON    python 3 used for the server and byte-level checks (python3)
#   TEST_TIMEOUT  default seconds allowed for one run of the binary
#             (10 x TIME_SCALE; taken as it is when set)
#   TIME_SCALE    every time limit is multiplied by it (default 1; make
#             test's valgrind run sets 10): see `scaled`
#
# Assertions (each prints one "ok N - name" / "not ok N - name"):
#   ok 'SHELL-CONDITION' NAME      the condition is eval'd
#   is GOT EXPECTED NAME           string equality, diff shown on failure
#   isnt GOT UNEXPECTED NAME
#   like GOT ERE NAME              bash [[ =~ ]]
#   unlike GOT ERE NAME
#   cmp_file EXPECTED-FILE GOT-FILE NAME   byte equality, diff -u on failure
#   pass NAME / fail NAME / skip REASON / diag TEXT...
#   plan N at the start, or done_testing at the end.
#
# Cleaning up: at_exit 'COMMAND' adds COMMAND to what runs on exit.
#
# Running the binary:
#   run_scraper [-t SECS] ARGS...   stdout -> $OUT, stderr -> $ERR (files),
#                                   SECS x TIME_SCALE the limit,
#                                   exit status -> $RC, wall time -> $ELAPSED
#   Every run goes through `timeout`, so no test can hang.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

PYTHON=${PYTHON:-python3}
SCRAPER=${SCRAPER:-./scraper}
case $SCRAPER in
    /*) ;;
    */*) SCRAPER=$ROOT/${SCRAPER#./} ;;
    *) SCRAPER=$(command -v "$SCRAPER" || echo "$SCRAPER") ;;
esac
# scaled SECS: SECS x TIME_SCALE -- every time limit of the tests goes
# through it (valgrind runs, a busy machine)
scaled() { awk -v s="$1" -v k="${TIME_SCALE:-1}" 'BEGIN { print s * k }'; }
TEST_TIMEOUT=${TEST_TIMEOUT:-$(scaled 10)}

# libcurl honours proxy variables; the tests talk to 127.0.0.1 only.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
export LC_ALL=C.UTF-8

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/scraper-test.XXXXXX") || exit 1
OUT=$SCRATCH/stdout
ERR=$SCRATCH/stderr
SERVER_PID=
_tap_n=0
_tap_failed=0
_tap_planned=

# at_exit 'COMMAND': run COMMAND (eval'd) when the script exits, however it
# exits: from the repository root, in the order the commands were given,
# then the fixture server is stopped and $SCRATCH removed.
_at_exit=()
at_exit() { _at_exit+=("$1"); }

_tap_cleanup() {
    local status=$? _c
    cd "$ROOT" 2>/dev/null
    for _c in "${_at_exit[@]}"; do
        eval "$_c"
    done
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    rm -rf "$SCRATCH"
    exit "$status"
}
trap _tap_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- TAP -----------------------------------------------------------------

plan() {
    _tap_planned=$1
    echo "1..$1"
}

done_testing() {
    [ -n "$_tap_planned" ] || echo "1..$_tap_n"
    [ "$_tap_failed" -gt 254 ] && _tap_failed=254
    exit "$_tap_failed"
}

# diag TEXT...: "# "-prefixed lines on stderr (prove shows them).
diag() {
    printf '%s\n' "$@" | sed 's/^/# /' >&2
}

pass() {
    _tap_n=$((_tap_n + 1))
    echo "ok $_tap_n - $1"
}

fail() {
    _tap_n=$((_tap_n + 1))
    _tap_failed=$((_tap_failed + 1))
    echo "not ok $_tap_n - $1"
    diag "  Failed test $_tap_n: '$1'"
}

skip() {
    _tap_n=$((_tap_n + 1))
    echo "ok $_tap_n # skip $1"
}

ok() {
    if eval "$1"; then
        pass "$2"
    else
        fail "$2"
        diag "condition failed: $1"
    fi
}

is() {
    if [ "$1" = "$2" ]; then
        pass "$3"
    else
        fail "$3"
        diag "expected:" "$2" "got:" "$1"
    fi
}

isnt() {
    if [ "$1" != "$2" ]; then
        pass "$3"
    else
        fail "$3"
        diag "got the unwanted: $1"
    fi
}

like() {
    if [[ $1 =~ $2 ]]; then
        pass "$3"
    else
        fail "$3"
        diag "does not match /$2/:" "$1"
    fi
}

unlike() {
    if [[ $1 =~ $2 ]]; then
        fail "$3"
        diag "matches /$2/ but should not:" "$1"
    else
        pass "$3"
    fi
}

cmp_file() {
    if cmp -s "$1" "$2"; then
        pass "$3"
    else
        fail "$3"
        diag "$(diff -u "$1" "$2" 2>&1 | head -40)"
    fi
}

# ---- the binary ----------------------------------------------------------

# Stop at once (TAP "Bail out!") when there is no binary to test.
require_scraper() {
    if [ ! -x "$SCRAPER" ]; then
        echo "Bail out! $SCRAPER not found or not executable (run make first)"
        exit 255
    fi
}

run_scraper() {
    local secs=$TEST_TIMEOUT t0
    if [ "$1" = -t ]; then
        secs=$(scaled "$2")
        shift 2
    fi
    t0=$EPOCHREALTIME
    timeout -k 2 "$secs" "$SCRAPER" "$@" >"$OUT" 2>"$ERR" </dev/null
    RC=$?
    ELAPSED=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
}

# run_scraper_rss ARGS...: as run_scraper (default time limit), and also sets
# MAXRSS_KB, the binary's peak resident size (getrusage of waited children).
run_scraper_rss() {
    local res
    res=$("$PYTHON" - "$OUT" "$ERR" "$TEST_TIMEOUT" "$SCRAPER" "$@" <<'EOF'
import resource, subprocess, sys, time
out, err, secs, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
t0 = time.monotonic()
with open(out, "wb") as o, open(err, "wb") as e:
    rc = subprocess.call(["timeout", "-k", "2", secs] + cmd,
                         stdin=subprocess.DEVNULL, stdout=o, stderr=e)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(rc, ru.ru_maxrss, "%.2f" % (time.monotonic() - t0), "%.2f" % (ru.ru_utime + ru.ru_stime))
EOF
)
    read -r RC MAXRSS_KB ELAPSED CPU_S <<<"$res"
}

# lines FILE: the number of lines in FILE (a last line without \n counts).
lines() {
    awk 'END { print NR }' "$1"
}

# elapsed_below SECS: true when the last run_scraper took less than SECS.
elapsed_below() {
    # TIME_SCALE stretches every limit for slow runs (valgrind: make test)
    awk -v e="$ELAPSED" -v s="$1" -v k="${TIME_SCALE:-1}" 'BEGIN { exit !(e < s * k) }'
}

# workdir NAME: a fresh directory, $SCRATCH/w-NAME, as the current
# directory (Files/ of a --save lands there).
workdir() {
    cd "$ROOT" || exit 1
    rm -rf "${SCRATCH:?}/w-$1"
    mkdir -p "$SCRATCH/w-$1" && cd "$SCRATCH/w-$1" || exit 1
}

# ---- the fixture server -------------------------------------------------

# wait_port_file FILE: wait up to 5 s (x TIME_SCALE) until FILE is
# non-empty (a server writes its port there once it listens); false if it
# is not by then.
wait_port_file() {
    for _ in $(seq "$(scaled 100)"); do
        [ -s "$1" ] && return 0
        sleep 0.05
    done
    [ -s "$1" ]
}

# start_server [ARG...]: run tests/server.py (with ARGs) in the background,
# wait up to 5 s (x TIME_SCALE) for its port, export PORT, BASE and
# SERVER_LOG (its request log).
start_server() {
    local portfile=$SCRATCH/server.port
    SERVER_LOG=$SCRATCH/server.log
    : >"$SERVER_LOG"
    "$PYTHON" "$ROOT/tests/server.py" --port-file "$portfile" \
        --lifetime "$(scaled 300)" --log "$SERVER_LOG" "$@" 2>"$SCRATCH/server.err" &
    SERVER_PID=$!
    wait_port_file "$portfile" || _server_bail
    PORT=$(cat "$portfile")
    BASE=http://127.0.0.1:$PORT
    export PORT BASE SERVER_LOG
}

# server_request METHOD PATH: the lines the server logged of the last METHOD
# request for PATH (the request line, then its headers).
server_request() {
    awk -v want="$1 $2" '$0 == want { got = ""; on = 1 } on { got = got $0 "\n" }
                         on && $0 == "" { on = 0 } END { printf "%s", got }' "$SERVER_LOG"
}

_server_bail() {
    echo "Bail out! test server did not start: $(head -c 500 "$SCRATCH/server.err")"
    exit 255
}

# serve_dir DIR LIFETIME: serve the files of DIR with tests/bench/serve.py
# on 127.0.0.1 for LIFETIME seconds at most (stopped at exit); sets
# SERVE_URL, http://127.0.0.1:PORT.  Once a script.
serve_dir() {
    local portfile=$SCRATCH/serve.port
    "$PYTHON" "$ROOT/tests/bench/serve.py" --root "$1" --port-file "$portfile" \
        --lifetime "$2" 2>"$SCRATCH/serve.err" &
    at_exit "kill $! 2>/dev/null"
    wait_port_file "$portfile" || { echo "Bail out! serve.py did not start"; exit 255; }
    SERVE_URL=http://127.0.0.1:$(cat "$portfile")
}

# fetch PATH FILE: the raw body the server sends for PATH (no decoding).
fetch() {
    "$PYTHON" - "$PORT" "$1" "$2" "$(scaled 10)" <<'EOF'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=float(sys.argv[4]))
c.request("GET", sys.argv[2])
open(sys.argv[3], "wb").write(c.getresponse().read())
EOF
}

# wait_log REGEX [SECS]: wait (default 5 s; x TIME_SCALE) until the server
# log has a line matching REGEX; true if it came.
wait_log() {
    for _ in $(seq "$(scaled $((${2:-5} * 20)))"); do
        grep -Eq "$1" "$SERVER_LOG" && return 0
        sleep 0.05
    done
    return 1
}

# expected NAME: tests/fixtures/NAME with PORT replaced by the real port.
expected() {
    sed "s/PORT/$PORT/g" "$ROOT/tests/fixtures/$1"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on (just now).
free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- byte-level checks ----------------------------------------------------

# terminal_safe FILE: true when FILE is valid UTF-8 with no C0 control other
# than TAB and LF, no DEL, no C1 (U+0080-009F) and no bidi control (README:
# nothing raw on the terminal); otherwise prints what it found and where.
terminal_safe() {
    "$PYTHON" - "$1" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit("invalid UTF-8 at byte %d: %r" % (e.start, data[max(0, e.start - 20):e.start + 20]))
BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C}
bad = [(i, c) for i, c in enumerate(text)
       if (ord(c) < 0x20 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F or ord(c) in BIDI]
for i, c in bad[:5]:
    print("U+%04X at char %d: %r" % (ord(c), i, text[max(0, i - 20):i + 20]))
sys.exit(1 if bad else 0)
EOF
}

# is_terminal_safe FILE DESC: a TAP test that FILE is terminal_safe, with
# what was found as diagnostics.
is_terminal_safe() {
    local msg
    if msg=$(terminal_safe "$1"); then
        pass "$2"
    else
        fail "$2"
        diag "$msg"
    fi
}

# fails_with STATUS NAME: the last run exited STATUS with one line on stderr
# (every non-zero exit prints one line that names the cause).
fails_with() {
    is "$RC" "$1" "$2: exit $1"
    is "$(lines "$ERR")" 1 "$2: one line on stderr"
}

# quiet_ok NAME: exit 0 and nothing on stderr.
quiet_ok() {
    is "$RC" 0 "$1: exit 0"
    if [ -s "$ERR" ]; then
        fail "$1: nothing on stderr"
        diag "stderr:" "$(head -c 600 "$ERR")"
    else
        pass "$1: nothing on stderr"
    fi
}

# no_files DIR NAME: DIR is absent or empty (no file, no temp file).
no_files() {
    if [ -z "$(ls -A "$1" 2>/dev/null)" ]; then
        pass "$2: nothing left in $1"
    else
        fail "$2: nothing left in $1"
        diag "$(ls -la "$1")"
    fi
}

# times_gap: for each "Times" line of the Transfer story on stdin, the
# redirects' time plus every step's figure, minus the total (0.0 when they
# add up); "none" when there is no such line.
times_gap() {
    awk '/^\* Times/ {
        line = $0; sum = 0; seen = 1
        match(line, /; total [0-9]+\.[0-9] ms/)
        total = substr(line, RSTART + 8, RLENGTH - 11); line = substr(line, 1, RSTART - 1)
        while (match(line, /[0-9]+\.[0-9] ms/)) {
            sum += substr(line, RSTART, RLENGTH - 3); line = substr(line, RSTART + RLENGTH)
        }
        printf "%.1f\n", sum - total
    } END { if (!seen) print "none" }'
}

# json_get FILE EXPR: evaluate EXPR with `d` bound to FILE's JSON; strings
# print as they are, anything else as JSON.  Fails on invalid JSON.
json_get() {
    "$PYTHON" - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
EOF
}

# ---- known bugs, TLS, tmpfs (tests/faults.t, tests/faults-tui.t) ------------

# todo_ok COND NAME REASON / todo_is GOT EXPECTED NAME REASON /
# todo_like GOT ERE NAME REASON: as ok / is / like, for a behaviour the
# program is known to get wrong: the line carries "# TODO REASON", so a
# failure is reported ("not ok") without failing the script, and a pass
# shows in prove's summary as "TODO passed" (time to drop the TODO).  The
# diagnostics of a TODO failure go to stdout, as Test::More does, so they
# show under prove -v only.
_todo_result() {
    _tap_n=$((_tap_n + 1))
    if [ "$1" = 0 ]; then
        echo "ok $_tap_n - $2 # TODO $3"
    else
        echo "not ok $_tap_n - $2 # TODO $3"
        shift 3
        [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/# /'
    fi
    return 0
}

todo_ok() {
    eval "$1"
    _todo_result $? "$2" "$3" "condition failed: $1"
}

todo_is() {
    [ "$1" = "$2" ]
    _todo_result $? "$3" "$4" "expected:" "$2" "got:" "$1"
}

todo_like() {
    [[ $1 =~ $2 ]]
    _todo_result $? "$3" "$4" "does not match /$2/:" "$1"
}

# start_server_tls: as start_server, and the same routes over TLS too, with a
# certificate for 127.0.0.1 that openssl signs itself now (valid one day);
# exports TLS_PORT and TLS_BASE (https://127.0.0.1:TLS_PORT).  Without
# openssl (or when it fails) only the plain server starts: TLS_BASE is empty
# and TLS_WHY says why.
start_server_tls() {
    local tlsfile=$SCRATCH/server.tlsport
    local cert=$SCRATCH/tls-cert.pem key=$SCRATCH/tls-key.pem
    TLS_BASE= TLS_PORT= TLS_WHY=
    if ! command -v openssl >/dev/null 2>&1; then
        TLS_WHY="openssl not installed"
    elif ! timeout "$(scaled 30)" openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
            -days 1 -keyout "$key" -out "$cert" >"$SCRATCH/openssl.log" 2>&1; then
        TLS_WHY="openssl could not make a certificate: $(head -c 200 "$SCRATCH/openssl.log")"
    fi
    if [ -n "$TLS_WHY" ]; then
        start_server
        return
    fi
    # the server writes the TLS port before the other
    start_server --tls-cert "$cert" --tls-key "$key" --tls-port-file "$tlsfile"
    [ -s "$tlsfile" ] || _server_bail
    TLS_PORT=$(cat "$tlsfile")
    TLS_BASE=https://127.0.0.1:$TLS_PORT
    export TLS_PORT TLS_BASE
}

# tmpfs_mount DIR OPTIONS: mount a tmpfs with OPTIONS (e.g. size=64k, or
# ro,size=64k) on DIR (created when missing); false where mounting is not
# allowed (not root, no CAP_SYS_ADMIN), with MOUNT_WHY set.  What is still
# mounted at exit is unmounted (tmpfs_umount_all, an at_exit command), for
# $SCRATCH could not be removed with a mount in it.
_tmpfs_mounts=()
tmpfs_mount() {
    mkdir -p "$1" || return 1
    if MOUNT_WHY=$(mount -t tmpfs -o "$2" tmpfs "$1" 2>&1); then
        [ -n "$_tmpfs_at_exit" ] || { _tmpfs_at_exit=1; at_exit tmpfs_umount_all; }
        _tmpfs_mounts+=("$1")
        return 0
    fi
    MOUNT_WHY="cannot mount a tmpfs here ($(tr -s ' \n' ' ' <<<"${MOUNT_WHY:-mount failed}" | sed 's/ *$//'); CI runs as root)"
    return 1
}

tmpfs_umount() {
    umount "$1" 2>/dev/null || umount -l "$1" 2>/dev/null
}

tmpfs_umount_all() {
    local d
    for d in "${_tmpfs_mounts[@]}"; do
        mountpoint -q "$d" 2>/dev/null && tmpfs_umount "$d"
    done
    _tmpfs_mounts=()
    return 0
}
