#!/usr/bin/python3
"""raw_safe.py FILE: the bytes a TUI wrote to the terminal (tmux pipe-pane)
hold no OSC, BEL, VT/FF/DEL/NUL, C1, bidi control or invalid UTF-8.
Prints what it found and exits 1, or exits 0. Used by tui.t and faults-tui.t."""
import re, sys
d = open(sys.argv[1], "rb").read()
bad = []
for name, pat in ((r"OSC (ESC ])", rb"\x1b\]"), ("BEL", rb"\x07"), ("VT/FF/DEL/NUL", rb"[\x0b\x0c\x7f\x00]"),
                  ("C1 as 8-bit bytes or U+0080-009F", rb"\xc2[\x80-\x9f]"),
                  ("bidi control", rb"\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\xd8\x9c")):
    m = re.search(pat, d)
    if m:
        bad.append("%s at byte %d: %r" % (name, m.start(), d[max(0, m.start() - 30):m.start() + 30]))
try:
    d.decode("utf-8")
except UnicodeDecodeError as e:
    bad.append("invalid UTF-8 at byte %d: %r" % (e.start, d[max(0, e.start - 30):e.start + 30]))
print("\n".join(bad))
sys.exit(1 if bad else 0)
