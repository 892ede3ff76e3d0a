#!/bin/sh
# tests/bench/keys.sh — the screen's benchmark: what 1,000 key presses cost
# in panes of 20, 50,000 and 200,000 rows, and what a keystroke of the query
# line costs on the corpus's largest page (./scraper-inproc: make bench-keys
# builds it).
#
#     sh tests/bench/keys.sh [keys.py options]       (from anywhere)
#     sh tests/bench/keys.sh --mode native           no valgrind: CPU time
#     sh tests/bench/keys.sh --keys 200              quicker
#
# Installs valgrind and tmux when missing, through `make deps` (as root or
# with sudo; otherwise it prints the apt-get command), then runs tests/bench/keys.py, which runs scraper's TUI
# in a tmux session of its own under valgrind --tool=callgrind, sends the
# keys one at a time with tmux send-keys, waits for each redraw, and reads
# the instruction counts with callgrind_control (see keys.py's top comment).
# Loopback only.  About 8 minutes on a 2-core machine with the defaults.
# Environment: SCRAPER (default ./scraper), QUERY_SCRAPER (default
# ./scraper-inproc), KEYS_DIR (work directory,
# default $TMPDIR/scraper-keys).
set -eu
cd "$(dirname "$0")/../.."

# the Makefile's deps target installs them (root or sudo) or says how
make -s deps DEBS="python3 valgrind tmux" || exit 1
SCRAPER=${SCRAPER:-./scraper}
if [ ! -x "$SCRAPER" ]; then
	echo "keys: $SCRAPER not found (run make first)" >&2
	exit 1
fi
exec /usr/bin/python3 tests/bench/keys.py --scraper "$SCRAPER" \
	--query-scraper "${QUERY_SCRAPER:-./scraper-inproc}" \
	--work "${KEYS_DIR:-${TMPDIR:-/tmp}/scraper-keys}" "$@"
