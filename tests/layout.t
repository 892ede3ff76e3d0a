#!/bin/sh
# How scraper.c reads: its sections in an order where each calls only those
# above it, and no function over 60 lines (tests/layout.py says how).
here=$(dirname "$0")
exec python3 "$here/layout.py" "$here/../scraper.c"
