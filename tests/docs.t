#!/bin/sh
# The README and the man page against the program (tests/docs.py says what).
here=$(dirname "$0")
exec python3 "$here/docs.py"
