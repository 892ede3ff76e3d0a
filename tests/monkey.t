#!/bin/bash
# The monkey test in make test: tests/monkey.py feeds the screen seeded
# random keys, pastes, mouse reports and resizes (1x1 to 1200 columns) on
# three generated pages — a large one, one of hostile text, one of failing
# links — and checks after every burst that the program runs and repaints
# on Ctrl-L, and at the end that no sanitizer said anything (see the top of
# tests/monkey.py).  Here the seed is fixed (MONKEY_SEED, default 1) and the
# pages share MONKEY_SECONDS (default 60) of wall time;
# `make monkey SECONDS=N` runs it longer on the sanitizer build with a
# random seed, printed so that MONKEY_SEED=N make monkey replays it.
#
# Run from the repository root:  prove -v tests/monkey.t
# (SCRAPER=./scraper-asan prove -v tests/monkey.t for the sanitizer build.)

cd "$(dirname "$0")/.." || exit 1
export LC_ALL=C.UTF-8
unset TMUX TMUX_PANE NO_COLOR
exec "${PYTHON:-python3}" tests/monkey.py --seed "${MONKEY_SEED:-1}" \
    --seconds "${MONKEY_SECONDS:-60}"
