#!/usr/bin/env python3
"""Monkey test of scraper's screen: seeded random input on hostile pages.

Usage:
    python3 tests/monkey.py [--seconds N] [--seed S] [--only REGEX]

The binary under test is $SCRAPER (default ./scraper; `make monkey` uses the
AddressSanitizer + UndefinedBehaviorSanitizer build).  It runs in tmux, in
a scratch directory, on one of three pages this script generates and serves
itself on 127.0.0.1:

  large     3,000 links, 600 images, media, embeds, resources, a long body
  hostile   the text a page can hold that is hard to draw: 5,000 combining
            marks (U+0300) in one href, zero-width spaces (U+200B), wide CJK
            and emoji, bidi controls (U+202E, U+2066), invalid UTF-8, raw C0
            and C1 controls, 10,000-character URLs, a 20,000-character title
  failing   links that fail: a closed port (127.0.0.1:1), 404, a response
            that stalls, a redirect loop, a slow body, a download, other
            schemes

and is fed, in bursts of 25, random actions drawn from a seeded generator:
keys (every key of the program's table, the form's and the prompts'
editing keys, function keys), typed text, bracketed pastes of random text
(ESC [ 200 ~ ... ESC [ 201 ~), mouse reports in SGR (1006) and X10 form at
random places, window resizes (tmux resize-window, from 1x1 to 1200
columns), raw escape-sequence junk, and "o, a URL, Enter" between the pages.
Each action is sent once the program has handled the one before (its main
thread back in the main loop's poll, from /proc/PID/syscall and the bytes it
has read, /proc/PID/io), so it draws after every key as it does for a
person typing.  After every burst the program must still run and must
repaint the screen on Ctrl-L within TUI_WAIT seconds (5; every limit is
multiplied by TIME_SCALE).  A run that ends by q (the monkey presses it now
and then) starts again on the same page; at the end the program is sent
SIGTERM and must exit 143.  No run may leave a sanitizer report on stderr.

Output is TAP (one test per page, and one for the stderr of every run).  On
a failure the seed, the page, the action that preceded it and the last
actions are printed, and so is the command that replays it: the actions
depend only on the seed (how many run in the time given may vary).

Environment:
  SCRAPER        the binary (default ./scraper)
  MONKEY_SEED    the seed (default: --seed, else a random one, printed);
                 the pages are run with seeds SEED, SEED+1, SEED+2
  MONKEY_ONLY    only the pages whose name matches this regular expression
  MONKEY_SECONDS the time for all pages (default: --seconds, else 60),
                 shared equally (not multiplied by TIME_SCALE)
  TIME_SCALE     multiplies every time limit (default 1)
  TUI_WAIT       seconds the program has to answer (default 5)

Network: everything goes to 127.0.0.1; http_proxy, https_proxy and
all_proxy point at a closed local port, so a URL the monkey types for any
other host fails at once instead of leaving the machine.
Standard library only (python3 >= 3.9); needs tmux.
"""

import argparse
import http.server
import os
import random
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCALE = float(os.environ.get("TIME_SCALE") or 1)
TUI_WAIT = float(os.environ.get("TUI_WAIT") or 5) * SCALE
STOP = threading.Event()
BURST = 25


def scaled(secs):
    return secs * SCALE


# ---------------------------------------------------------------------------
# The pages


def large_page(base):
    rng = random.Random(7)
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>large page"
           " of many links</title>"]
    for i in range(40):
        out.append("<link rel=stylesheet href='/css/%d.css'><script src='/js/%d.js'></script>"
                   % (i, i))
    out.append("</head><body><h1>Many links</h1>")
    for i in range(3000):
        word = "".join(rng.choice("abcdefghij") for _ in range(rng.randint(3, 30)))
        out.append("<p><a href='/p/%d/%s.html?q=%d#f'>link %d %s</a>" % (i, word, i, i, word))
        if i % 5 == 0:
            out.append("<img src='/img/%d.png' alt='image %d' srcset='/img/%d-2x.png 2x, "
                       "/img/%d-3x.png 3x'>" % (i, i, i, i))
        if i % 50 == 0:
            out.append("<video src='/v/%d.webm' poster='/v/%d.png'></video>"
                       "<iframe src='/failing.html?from=%d'></iframe>"
                       "<object data='/o/%d.pdf'></object>" % (i, i, i, i))
    out.append("<a href='/hostile.html'>hostile</a><a href='/failing.html'>failing</a>")
    out.append("</body></html>")
    return "\n".join(out).encode("utf-8")


def hostile_page(base):
    zw = "\u200b" * 3000
    combining = "\u0300" * 5000
    cjk = "漢字かなカナ한국어" * 300
    emoji = "😀🎉👍🏽🇫🇷" * 200
    bidi = "\u202e\u2066abc\u2069\u202d" * 100
    long_url = "/long/" + "a" * 10000
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>",
        "T" * 10000, combining[:2000], cjk[:3000], "</title></head><body>",
        "<a href='/x?%s'>5,000 combining marks in the href</a>" % combining,
        "<a href='/y?%s'>%s</a>" % (combining[:100], combining),
        "<a href='/z?%s'>zero-width %s</a>" % (zw, zw),
        "<a href='/cjk?%s'>%s</a>" % (cjk[:1500], cjk),
        "<a href='/emoji?%s'>%s</a>" % (emoji[:400], emoji),
        "<a href='/bidi?%s'>%s</a>" % (bidi, bidi),
        "<a href='%s'>10,000 characters</a>" % long_url,
        "<a href='%s?%s'>longer still</a>" % (long_url, "b" * 10000),
        "<a href='/mixed?%s'>%s</a>" % ("e\u0301" * 2000, "\u0915\u094d\u0937" * 1000),
        "<img src='/img/%s.png' alt='%s'>" % (combining, zw),
        "<img src='/img/%s.png' alt='%s' srcset='/a.png 1x, %s 2x'>" % (cjk[:300], bidi, long_url),
        "<video src='/v/%s.webm' poster='/v/%s.png' title='%s'></video>" % (emoji[:200], zw[:500], cjk),
        "<iframe src='/hostile.html?%s'></iframe>" % combining[:3000],
        "<embed src='/e/%s'>" % ("\u200b\u0300" * 2500),
        "<link rel=stylesheet href='/c/%s.css'>" % bidi,
        "<script src='/s/%s.js'></script>" % ("\u3000" * 2000),
        "<p>%s</p>" % (combining + zw + cjk + emoji + bidi),
        "<a href='/page2?ok'>plain link</a><a href='/large.html'>large</a>"
        "<a href='/failing.html'>failing</a>",
    ]
    body = "".join(parts).encode("utf-8")
    raw = [
        # invalid UTF-8, raw C0 and C1 controls, ESC sequences, in hrefs,
        # texts and attributes
        b"<a href='/bad?\xff\xfe\xc3\x28\xe2\x82'>invalid \xff\xc0\xaf UTF-8 \xed\xa0\x80</a>",
        b"<a href='/c0?\x01\x02\x07\x08\x0b\x0c\x0e\x1b[2J\x1b]0;T\x07\x7f'>C0 \x1b[31mred"
        b"\x1b]52;c;SGVsbG8=\x07 \x00 nul</a>",
        b"<a href='/c1?\xc2\x80\xc2\x85\xc2\x9b2J\xc2\x9d0;x\xc2\x9c'>C1 \x80\x85\x9b\x9d</a>",
        b"<img src='/i/\x1b[6n\x1b[c.png' alt='\x1bP\x1b\\ \x1b_x\x1b\\'>",
        b"<a href='/tab?a\tb\nc\rd'>\t\t\r\n" + b"\x08" * 300 + b"</a>",
        b"<a href='/invalid?" + bytes(range(0x80, 0x100)) + b"'>" + bytes(range(0x80, 0x100)) + b"</a>",
    ]
    for i in range(50):
        raw.append(("<a href='/n/%d?%s'>%s</a>" % (i, "\u0300" * (i * 37 % 400), "\u200b" * i))
                   .encode("utf-8"))
    return body + b"".join(raw) + b"</body></html>"


def failing_page(base):
    links = [
        "http://127.0.0.1:1/", "https://127.0.0.1:1/", "/404", "/stall", "/loop",
        "/slow", "/download/file.bin?bytes=200000", "/download/small.bin?bytes=10",
        "/stall?again", "/404?again", "ftp://127.0.0.1/x", "mailto:x@example.com",
        "javascript:alert(1)", "data:text/html,hello", "file:///etc/passwd",
        "http://127.0.0.1:1/" + "x" * 9000, "/loop?" + "y" * 10000, "//127.0.0.1:1/pr",
        "http://[::1]:1/", "http://127.0.0.1:99999/", "http://127.0.0.1:0/",
        "/hostile.html", "/large.html", "/failing.html",
    ]
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>failing links</title>"
           "</head><body>"]
    for i, u in enumerate(links):
        out.append("<a href='%s'>failing %d</a>" % (u, i))
        out.append("<img src='%s'><iframe src='%s'></iframe>" % (u, u))
    out.append("</body></html>")
    return "\n".join(out).encode("utf-8")


PAGES = {"large": large_page, "hostile": hostile_page, "failing": failing_page}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    pages = {}

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="text/html; charset=utf-8", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        try:
            if path.lstrip("/").split(".")[0] in self.pages:
                self.reply(200, self.pages[path.lstrip("/").split(".")[0]])
            elif path == "/404":
                self.reply(404, b"<html><a href='/large.html'>back</a></html>")
            elif path == "/loop":
                self.reply(302, b"moved", extra=[("Location", "/loop")])
            elif path == "/stall":
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.wfile.flush()
                STOP.wait(60)
            elif path == "/slow":
                body = b"<html>" + b"<a href='/slow?n'>slow</a>" * 40 + b"</html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                for i in range(0, len(body), 100):
                    if STOP.wait(0.05):
                        return
                    self.wfile.write(body[i:i + 100])
                    self.wfile.flush()
            elif path.startswith("/download/"):
                m = re.search(r"bytes=(\d+)", self.path)
                n = min(int(m.group(1)) if m else 1000, 1 << 20)
                self.reply(200, bytes(i % 251 for i in range(n)), "application/octet-stream")
            else:
                self.reply(200, b"<html><title>elsewhere</title><a href='/large.html'>large</a>"
                                b"<a href='/hostile.html'>hostile</a>"
                                b"<a href='/failing.html'>failing</a></html>")
        except OSError:
            pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------------------
# The program in tmux

RUN_SH = r"""#!/bin/sh
cd "$1" || exit 1
shift
trap : INT
sh -c 'echo $$ >pid.tmp && mv pid.tmp pid; exec env "$@"' sh "$@" 2>stderr
st=$?
echo "exit=$st" >exitfile.tmp && mv exitfile.tmp exitfile
exec cat >/dev/null
"""


class Run:
    """One program run in its own tmux server, in directory d."""

    def __init__(self, d, scraper, url, size, env):
        self.d = d
        os.makedirs(d)
        self.sock = os.path.join(d, "tmux.sock")
        with open(os.path.join(d, "run.sh"), "w") as f:
            f.write(RUN_SH)
        self.size = size
        envargs = ["%s=%s" % kv for kv in sorted(env.items())]
        self.tm("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", str(size[0]),
                "-y", str(size[1]), "sh", os.path.join(d, "run.sh"), d, *envargs, scraper, url)
        self.raw = os.path.join(d, "raw.log")
        self.tm("pipe-pane", "-O", "-t", "t", "cat >'%s'" % self.raw)
        self.pid = None
        end = time.monotonic() + TUI_WAIT
        while time.monotonic() < end and not self.pid:
            try:
                self.pid = int(open(os.path.join(d, "pid")).read())
            except (OSError, ValueError):
                time.sleep(0.01)

    def tm(self, *args):
        return subprocess.run(["tmux", "-S", self.sock] + list(args), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout

    def status(self):
        """The exit status line ("exit=N"), or None while it runs."""
        try:
            return open(os.path.join(self.d, "exitfile")).read().strip()
        except OSError:
            return None

    def stderr(self):
        try:
            return open(os.path.join(self.d, "stderr"), "rb").read().decode("utf-8", "replace")
        except OSError:
            return ""

    def proc(self):
        """(bytes read so far, the system call line) of the program."""
        try:
            with open("/proc/%d/io" % self.pid) as f:
                rchar = int(f.readline().split()[1])
            with open("/proc/%d/syscall" % self.pid) as f:
                sc = f.read()
            return rchar, sc
        except (OSError, ValueError, IndexError, TypeError):
            return -1, ""

    def settle(self, before, limit=0.5):
        """Wait (a short while) until the program has read more than
        `before` bytes and waits in its main loop's poll (poll on two
        descriptors or more).  A program blocked reading the terminal (it
        waits for the rest of a sequence) is not waited for."""
        end = time.monotonic() + scaled(limit)
        blocked = None
        while time.monotonic() < end:
            rchar, sc = self.proc()
            if rchar < 0:
                return
            if rchar > before and re.match(r"7 0x[0-9a-f]+ 0x([2-9a-f]|[0-9a-f]{2,}) ", sc):
                return
            if sc.startswith("0 0x0 "):
                blocked = blocked or time.monotonic()
                if time.monotonic() - blocked > 0.05:
                    return
            else:
                blocked = None
            time.sleep(0.002)

    def where(self):
        """What the program waits for, in words, for a hang's report."""
        _, sc = self.proc()
        if sc.startswith("0 0x0 "):
            return "blocked reading the terminal"
        if sc.startswith("1 0x1 "):
            return "blocked writing to the terminal (its output stopped: Ctrl-S, IXON?)"
        return "system call: " + (sc.split(" ")[0] if sc else "?")

    def send(self, *args):
        before, _ = self.proc()
        self.tm("send-keys", "-t", "t", *args)
        self.settle(before)

    def send_bytes(self, data):
        self.send("-H", *["%02x" % b for b in data])

    def resize(self, w, h):
        self.tm("resize-window", "-t", "t", "-x", str(w), "-y", str(h))
        self.size = (w, h)
        self.settle(-1, 0.3)

    def raw_size(self):
        try:
            return os.path.getsize(self.raw)
        except OSError:
            return 0

    def answers(self):
        """Ctrl-L: the screen is cleared and drawn again within TUI_WAIT
        (twice if need be: a key may have been left half read)."""
        for _ in range(2):
            off = self.raw_size()
            self.tm("send-keys", "-t", "t", "C-l")
            end = time.monotonic() + TUI_WAIT / 2
            while time.monotonic() < end:
                if self.status():
                    return False
                with open(self.raw, "rb") as f:
                    f.seek(off)
                    if b"\x1b[2J" in f.read():
                        return True
                time.sleep(0.01)
        return False

    def screen(self):
        return self.tm("capture-pane", "-p", "-t", "t").decode("utf-8", "replace")

    def end(self):
        self.tm("kill-server")
        if self.pid and not self.status():
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass


# ---------------------------------------------------------------------------
# The actions

KEYS = (["j"] * 6 + ["k"] * 4 + ["Down"] * 3 + ["Up"] * 2 + ["NPage"] * 3 + ["PPage"] * 2 +
        ["Space", "g", "G", "Home", "End", "Tab", "BTab", "1", "2", "3", "4", "5", "6", "6",
         "7", "7", "/", "/", "Enter", "Enter", "l", "Right", "h", "Left", "BSpace", "d", "s",
         "y", "r", "o", "o", "?", "Escape", "Escape", "Escape", "C-l", "C-u", "C-a", "C-e",
         "C-k", "C-w", "C-j", "C-h", "C-s", "C-q", "DC", "IC", "F1", "F5", "F12", "KPEnter",
         "n", "x", "Z", "0", "9"])
WIDTHS = [1, 2, 5, 20, 39, 40, 41, 80, 100, 119, 120, 121, 200, 499, 500, 501, 640, 899,
          900, 901, 999, 1000, 1001, 1024, 1200]
HEIGHTS = [1, 2, 3, 5, 9, 10, 11, 24, 30, 40, 50, 80]
# no q: typed in the list it quits, and the key q comes often enough;
# no | or !: typed in the list they would run the random text after them
# as a shell command
ALPHABET = ("abcdefghijklmnoprstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
            "-._~:/?#[]@$&'()*+,;=% \"<>\\^`{}")
EXOTIC = ["é", "日本", "\u0300" * 50, "\u200b", "\u202e", "\u2066", "😀", "👍🏽", "\u3000",
          "ｱ", "\ufeff", "\ufffd", "ß", "\u0915\u094d", "a\u0301"]


def random_text(rng, n):
    out = []
    for _ in range(n):
        if rng.random() < 0.12:
            out.append(rng.choice(EXOTIC))
        else:
            out.append(rng.choice(ALPHABET))
    return "".join(out)


def next_action(rng, size, urls):
    """One action: (kind, argument, printable description)."""
    r = rng.random()
    w, h = size
    if r < 0.55:
        k = "q" if rng.random() < 0.004 else rng.choice(KEYS)
        return ("key", k, "key %s" % k)
    if r < 0.62:
        t = random_text(rng, rng.choice([1, 3, 10, 40, 300]))
        return ("text", t, "type %r" % t)
    if r < 0.69:
        t = random_text(rng, rng.choice([5, 50, 500, 3000]))
        if rng.random() < 0.3:
            t = t.replace(" ", rng.choice(["\r", "\t", "\n", "\x1b", "\x7f"]), rng.randint(1, 3))
        data = b"\x1b[200~" + t.encode("utf-8") + b"\x1b[201~"
        return ("bytes", data, "paste %r" % t[:200])
    if r < 0.84:
        b = rng.choice([0, 0, 0, 1, 2, 3, 32, 35, 64, 64, 65, 65, 66, 67])
        x = rng.choice([rng.randint(1, max(1, w)), rng.randint(1, 1300)])
        y = rng.choice([1, 1, rng.randint(1, max(1, h)), rng.randint(1, 120)])
        if rng.random() < 0.75:
            seq = ("\x1b[<%d;%d;%d%s" % (b, x, y, rng.choice("MMm"))).encode()
            if rng.random() < 0.5 and b in (0, 1, 2):
                seq += ("\x1b[<%d;%d;%dm" % (b, x, y)).encode()
            return ("bytes", seq, "mouse SGR %r" % seq.decode())
        seq = b"\x1b[M" + bytes([32 + b % 96, min(255, 32 + x), min(255, 32 + y)])
        return ("bytes", seq, "mouse X10 %r" % seq)
    if r < 0.92:
        nw = rng.choice(WIDTHS) if rng.random() < 0.7 else rng.randint(1, 1200)
        nh = rng.choice(HEIGHTS) if rng.random() < 0.7 else rng.randint(1, 80)
        return ("resize", (nw, nh), "resize %dx%d" % (nw, nh))
    if r < 0.97:
        u = rng.choice(urls)
        return ("open", u, "o, Ctrl-U, type %s, Enter" % u)
    junk = rng.choice([b"\x1b[", b"\x1bO", b"\x1b[1;5", b"\x1b[9999999999~", b"\x1b]0;x\x07",
                       b"\x1b[?1049l", b"\x1bP", b"\x1b[" + b"1;" * 40 + b"m", b"\xff\xfe",
                       b"\xc3", b"\x1b\x1b\x1b[A", b"\x1b[200~", b"\x1b[201~",
                       bytes([rng.randint(0x80, 0xff) for _ in range(5)])])
    return ("bytes", junk, "bytes %r" % junk)


def apply(run, action):
    kind, arg, _ = action
    if kind == "key":
        run.send(arg)
    elif kind == "text":
        run.send("-l", arg)
    elif kind == "bytes":
        run.send_bytes(arg)
    elif kind == "resize":
        run.resize(*arg)
    elif kind == "open":
        run.send("o")
        run.send("C-u")
        run.send("-l", arg)
        run.send("Enter")


# ---------------------------------------------------------------------------
# TAP

N = 0
FAILED = 0


def tap(ok, name, diag=()):
    global N, FAILED
    N += 1
    if not ok:
        FAILED += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", N, name), flush=True)
    for line in diag:
        for part in str(line).split("\n"):
            print("# " + part, file=sys.stderr if ok else sys.stdout, flush=True)


def sanitizer_report(text):
    lines = [l for l in text.splitlines()
             if re.search(r"ERROR: \w+Sanitizer|runtime error:|^SUMMARY: ", l)]
    return " ".join(re.sub(r"^==\d+==| on address 0x[0-9a-f]+.*| at pc 0x[0-9a-f]+.*", "", l)
                    for l in lines[:2])


# ---------------------------------------------------------------------------


def run_page(name, seed, budget, scraper, base, work, env, replay):
    """Drive the program on one page for `budget` seconds; a TAP test for
    each failure (at most 3; each ends a run and a new one starts), or one
    that passes."""
    rng = random.Random(seed)
    url = "%s/%s.html" % (base, name)
    urls = ["%s/%s.html" % (base, p) for p in PAGES] + [
        "%s/stall" % base, "%s/404" % base, "http://127.0.0.1:1/", "127.0.0.1:1",
        "%s/loop" % base, "example.invalid/x", "%s/%s.html?%s" % (base, name, "\u0300" * 300)]
    t0 = time.monotonic()
    actions = 0
    runs = []
    history = []
    failures = 0
    size = (rng.choice(WIDTHS[4:]), rng.choice(HEIGHTS[5:]))
    while time.monotonic() - t0 < budget and failures < 3:
        run = Run(os.path.join(work, "%s-%d" % (name, len(runs) + 1)), scraper, url, size, env)
        runs.append(run)
        history.append("start at %dx%d: scraper %s" % (size[0], size[1], url))
        failure = None
        # let the page arrive (or fail) before the first burst
        end = time.monotonic() + TUI_WAIT
        while time.monotonic() < end and not run.status():
            if re.search(r"HTTP \d|[Ff]ailed|[Ee]rror|too small", run.screen() or ""):
                break
            time.sleep(0.02)
        while time.monotonic() - t0 < budget:
            for _ in range(BURST):
                if run.status():
                    break
                action = next_action(rng, run.size, urls)
                history.append(action[2])
                actions += 1
                apply(run, action)
            st = run.status()
            if not st and not run.answers():
                st = run.status()
                if not st:
                    failure = ("the program does not repaint the screen on Ctrl-L within %g s "
                               "after action %d (%s): %s" % (TUI_WAIT, actions, history[-1],
                                                             run.where()))
                    break
            if st:
                rep = sanitizer_report(run.stderr())
                if st == "exit=0" and not rep:
                    size = run.size
                    break          # q (or an X10 report's byte read as q): start again
                failure = "the program ended (%s%s) after action %d (%s)" % (
                    st, ": " + rep if rep else "", actions, history[-1])
                break
        if not run.status() and not failure:
            os.kill(run.pid, signal.SIGTERM)
            end = time.monotonic() + TUI_WAIT
            while time.monotonic() < end and not run.status():
                time.sleep(0.02)
            st = run.status()
            if st != "exit=143":
                failure = "SIGTERM at the end: exit=143 expected, got %s" % st
        if failure:
            failures += 1
            screen = run.screen()
            run.end()
            tap(False, "%s page (seed %d): %s" % (name, seed, failure),
                ["replay: %s" % replay(seed, name),
                 "the last actions (%d in all; the window is %dx%d):"
                 % (actions, run.size[0], run.size[1])]
                + ["  " + h for h in history[-30:]]
                + ["the screen:"] + [l for l in screen.splitlines() if l.strip()][:12]
                + ["stderr:"] + run.stderr().splitlines()[:30])
            history = []
            size = (rng.choice(WIDTHS[4:]), rng.choice(HEIGHTS[5:]))
        run.end()
    if not failures:
        tap(True, "%s page (seed %d): %d actions in %.0f s, %d runs: alive and answering "
            "after every burst" % (name, seed, actions, time.monotonic() - t0, len(runs)))
    return runs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float,
                    default=float(os.environ.get("MONKEY_SECONDS") or 60))
    ap.add_argument("--seed", type=int)
    ap.add_argument("--only", default=os.environ.get("MONKEY_ONLY") or ".")
    args = ap.parse_args()
    seed = os.environ.get("MONKEY_SEED")
    seed = int(seed) if seed else args.seed
    if seed is None:
        seed = random.SystemRandom().randrange(1, 1 << 31)
    scraper = os.environ.get("SCRAPER") or "./scraper"
    if "/" in scraper:                 # as tests/lib.sh: relative to the repository
        scraper = os.path.join(ROOT, scraper)
    else:
        scraper = shutil.which(scraper) or scraper
    if not shutil.which("tmux"):
        print("1..0 # SKIP tmux not installed")
        return 0
    if not os.access(scraper, os.X_OK):
        print("Bail out! %s not found or not executable (run make first)" % scraper)
        return 255
    pages = [p for p in PAGES if re.search(args.only, p)]
    budget = args.seconds  # wall time, not a limit: TIME_SCALE leaves it as it is
    print("# monkey: seed %d, %s, %.0f s, %s" % (seed, " ".join(pages), budget, scraper),
          file=sys.stderr, flush=True)

    work = tempfile.mkdtemp(prefix="scraper-monkey.")
    port = free_port()
    Handler.pages = {p: PAGES[p]("http://127.0.0.1:%d" % port) for p in PAGES}
    srv = Server(("127.0.0.1", port), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % port
    proxy = "http://127.0.0.1:%d" % free_port()
    env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "xterm-256color",
           "http_proxy": proxy, "https_proxy": proxy, "all_proxy": proxy,
           "HTTPS_PROXY": proxy, "ALL_PROXY": proxy,
           "no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost"}
    for k in ("LSAN_OPTIONS", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if os.environ.get(k):
            env[k] = os.environ[k]

    def replay(s, page):
        return ("MONKEY_SEED=%d MONKEY_ONLY='^%s$' make monkey SECONDS=%g" %
                (seed, page, max(10.0, args.seconds / max(1, len(pages)))))

    all_runs = []
    try:
        for page in pages:
            # a page's seed does not depend on which others run
            all_runs += run_page(page, seed + list(PAGES).index(page), budget / len(pages),
                                 scraper, base, work, env, replay)
        reports = []
        for run in all_runs:
            rep = sanitizer_report(run.stderr())
            if rep:
                reports.append("%s: %s" % (os.path.basename(run.d), rep))
        tap(not reports, "no run left a sanitizer report on stderr (%d runs)" % len(all_runs),
            reports)
    finally:
        STOP.set()
        for run in all_runs:
            run.end()
        srv.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    print("1..%d" % N)
    print("# monkey: seed %d; replay with MONKEY_SEED=%d make monkey SECONDS=%g"
          % (seed, seed, args.seconds), file=sys.stderr, flush=True)
    return min(FAILED, 254)


if __name__ == "__main__":
    sys.exit(main())
