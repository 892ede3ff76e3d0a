#!/usr/bin/python3
"""The screen's benchmark: the cost of key presses in a pane of 20 rows and
in one of 200,000 (tests/bench/keys.sh runs it; see there).

Usage:  /usr/bin/python3 tests/bench/keys.py [OPTIONS]

  --work DIR        pages, callgrind files (default $TMPDIR/scraper-keys)
  --scraper PATH    the binary (default ./scraper)
  --rows A,B,...    page sizes in links (default 20,50000,200000). In 20
                    rows every key stays on one screen: j stops at the last
                    row, G and PgDn move the highlight. From 50,000 rows on,
                    1,000 j scroll 954 times, 1,000 PgDn page every time and
                    G/g draw a screenful each: 50,000 vs 200,000 rows is the
                    same keys making the same screen changes, so it shows
                    what depends on the number of rows; 20 vs the others
                    shows what depends on what a key changes on screen
  --keys N          key presses per scenario (default 1000)
  --mode M          callgrind (default): instructions counted by valgrind's
                    callgrind, stable on a noisy machine; native: no valgrind,
                    CPU time of the scraper process (utime+stime from /proc,
                    10 ms ticks, with its children's) and wall time per
                    key; both: the two
  --query-page FILE the page of the query scenario (default: the largest of
                    ../shared/corpus/pages, when that folder is there)
  --query-scraper PATH  its binary (default ./scraper-inproc, whose queries
                    are evaluated in the process, so callgrind counts them;
                    the release build's run in a child, timed natively)
  --query-keys N    keystrokes per expression (default 100)

How: gen.py --links N writes a page of N <a href>; serve.py serves it on
127.0.0.1.  scraper's TUI runs in a detached tmux session of its own server
(-L), 160x48, LANG=C.UTF-8, under
`valgrind --tool=callgrind --dump-instr=no`.  When the tab line shows
"Links N", the page is loaded and drawn.  For each scenario the pane is put
back on its first row (outside the count), the counters are zeroed with
`callgrind_control -z PID`, the keys are sent ONE AT A TIME with
`tmux send-keys`, and after each the script waits until scraper has handled
it and drawn the screen: the process has read more bytes (/proc/PID/io
rchar), nothing is left in the terminal's input queue (FIONREAD on the pane's
tty), and it sleeps in poll() again (/proc/PID/syscall).  So each key gets
its own redraw (keys sent together would be handled by one drain and one
redraw).  Then `callgrind_control -d PID` dumps the counters, whose
"summary:" line is the instructions spent on those keys, all of it: key
decoding by ncurses, the action, the redraw and doupdate's output.  An
"idle" scenario (no key, same wait as the longest scenario took) measures
what the process spends when nothing happens (the 1 s poll timeout), to
show it is negligible.

Scenarios: the load (from exec to the first paint of the page: the
transfer, the parse, resolving and indexing the rows, the paint), j (move
down), j/k alternating (the highlight moves between two rows: no scrolling
in either pane, so the screen changes the same way), PgDn, G/g alternating
(last row / first row), Ctrl-L (the whole screen cleared and painted again,
as the first paint is: what the paint adds to the load), and the filter: `/`
then 5 characters typed (instructions per character; each rebuilds the
filtered rows), in every pane.

The query scenario: the page of --query-page, served the same way, the query
line opened (`:`) and each expression of QUERIES typed (not counted); then a
space and Backspace typed in turn, --query-keys of them: each changes the
line, so each compiles and evaluates the expression again on the page's tree
(built at the first query, not counted) and redraws: a keystroke's cost.
Under callgrind with --query-scraper; natively (CPU of the process and its
children, and wall time per key) with both that build and --scraper, whose
evaluations run in a child process bounded in time.
"""

import argparse
import array
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
import termios
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"
COLS, LINES = 160, 48
# x86_64 poll, ppoll (curl_multi_poll sits in poll), and restart_syscall: a
# poll interrupted by callgrind_control (vgdb uses ptrace) goes on as that.
POLL_SYSCALLS = {"7", "271", "219"}
FILTER = "l/012"
QUERIES = ["a::attr(href)", "div p a", "li { a::text, a::attr(href), img::attr(src) }"]


def sh(*argv, check=True, capture=True):
    r = subprocess.run(argv, capture_output=capture, text=True)
    if check and r.returncode:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(argv), r.returncode,
                                                (r.stderr or "").strip()))
    return r.stdout if capture else ""


class Pane:
    """scraper's TUI in a tmux session of its own server."""

    def __init__(self, work, socket, cmd):
        self.socket = socket
        self.tmux = ["tmux", "-L", socket, "-f", "/dev/null"]
        sh(*self.tmux, "new-session", "-d", "-s", "k", "-x", str(COLS), "-y", str(LINES),
           "exec " + cmd)
        sh(*self.tmux, "set-option", "-t", "k", "remain-on-exit", "off")
        self.pid = int(sh(*self.tmux, "display-message", "-p", "-t", "k", "#{pane_pid}").strip())
        self.tty = sh(*self.tmux, "display-message", "-p", "-t", "k", "#{pane_tty}").strip()
        self.ttyfd = os.open(self.tty, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)

    def screen(self):
        return sh(*self.tmux, "capture-pane", "-p", "-t", "k", check=False)

    def alive(self):
        return os.path.exists("/proc/%d" % self.pid)

    def wait_screen(self, regex, timeout):
        t0 = time.time()
        while time.time() - t0 < timeout:
            s = self.screen()
            if re.search(regex, s):
                return s
            if not self.alive():
                break
            time.sleep(0.2)
        raise RuntimeError("screen never showed /%s/; last screen:\n%s" % (regex, self.screen()))

    def rchar(self):
        with open("/proc/%d/io" % self.pid) as f:
            for line in f:
                if line.startswith("rchar:"):
                    return int(line.split()[1])
        return 0

    def pending(self):
        buf = array.array("i", [0])
        fcntl.ioctl(self.ttyfd, termios.FIONREAD, buf, True)
        return buf[0]

    def idle_in_poll(self):
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            with open("/proc/%d/syscall" % self.pid) as f:
                sc = f.read().split()[0]
        except (OSError, IndexError):
            return False
        return state == "S" and sc in POLL_SYSCALLS

    def cpu_ticks(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # utime + stime, and the children's it waited for (a query's)
        return int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])

    def settle(self, before, timeout=120):
        """Waits until the key(s) sent after `before` (an rchar) are read and
        handled, and the process sleeps in poll() with nothing pending."""
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.rchar() > before and self.pending() == 0 and self.idle_in_poll():
                # twice, 1 ms apart: poll() seen between two reads of a burst
                time.sleep(0.001)
                if self.pending() == 0 and self.idle_in_poll():
                    return
            time.sleep(0.0005)
        raise RuntimeError("scraper did not settle after a key (screen below)\n" + self.screen())

    def key(self, k):
        before = self.rchar()
        sh(*self.tmux, "send-keys", "-t", "k", k)
        self.settle(before)

    def quit(self):
        try:
            sh(*self.tmux, "send-keys", "-t", "k", "q", check=False)
            for _ in range(600):
                if not self.alive():
                    break
                time.sleep(0.05)
        except OSError:
            pass
        os.close(self.ttyfd)
        sh(*self.tmux, "kill-server", check=False)


def callgrind_total(path):
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError("no summary in " + path)


class Meter:
    """Counts what a stretch of key presses costs: callgrind instructions, or
    CPU ticks and wall time natively."""

    def __init__(self, pane, mode, work):
        self.pane, self.mode, self.work = pane, mode, work
        self.ndump = 0

    def start(self):
        if self.mode == "callgrind":
            sh("callgrind_control", "-z", str(self.pane.pid))
        self.t0 = time.perf_counter()
        self.ticks0 = self.pane.cpu_ticks()

    def stop(self):
        wall = time.perf_counter() - self.t0
        ticks = self.pane.cpu_ticks() - self.ticks0
        if self.mode != "callgrind":
            return {"wall": wall, "cpu": ticks / os.sysconf("SC_CLK_TCK")}
        before = set(os.listdir(self.work))
        sh("callgrind_control", "-d", str(self.pane.pid))
        for _ in range(400):
            new = [n for n in set(os.listdir(self.work)) - before
                   if n.startswith("cg.%d." % self.pane.pid)]
            if new:
                path = os.path.join(self.work, new[0])
                try:
                    return {"wall": wall, "ir": callgrind_total(path)}
                except RuntimeError:
                    pass   # still being written
            time.sleep(0.05)
        raise RuntimeError("callgrind_control -d wrote no dump")


def scenarios(nkeys):
    half = nkeys // 2
    return [
        ("j", ["j"] * nkeys),
        ("j/k alternating", ["j", "k"] * half),
        ("PgDn", ["NPage"] * nkeys),
        ("G/g alternating", ["G", "g"] * half),
        # the whole screen cleared and painted, as the first paint of a page
        ("Ctrl-L (full repaint)", ["C-l"] * max(nkeys // 20, 1)),
    ]


def run_page(args, url, rows, mode):
    wrap = ""
    if mode == "callgrind":
        wrap = ("valgrind --tool=callgrind --dump-instr=no --vgdb=yes --callgrind-out-file=%s/cg.%%p "
                "--log-file=%s/valgrind.%%p.log " % (args.work, args.work))
    cmd = ("env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color NO_COLOR= %s%s %s"
           % (wrap, args.scraper, url))
    pane = Pane(args.work, "scraper-keys-%d" % os.getpid(), cmd)
    res = {}
    try:
        t0 = time.time()
        pane.wait_screen(r"Links %d " % rows, timeout=args.load_timeout)
        # the load is over when the process sleeps in poll()
        for _ in range(2000):
            if pane.idle_in_poll():
                break
            time.sleep(0.01)
        print("  %-8s rows=%-7d loaded in %.1f s" % (mode, rows, time.time() - t0), flush=True)
        m = Meter(pane, mode, args.work)
        # everything from exec to the first paint of the page: the transfer,
        # the parse, resolving and indexing the rows, and that paint
        m.t0, m.ticks0 = time.perf_counter() - (time.time() - t0), 0
        if mode == "callgrind":
            r = m.stop()
        else:
            r = {"wall": time.time() - t0, "cpu": pane.cpu_ticks() / os.sysconf("SC_CLK_TCK")}
        r["n"] = 1
        res["load to first paint"] = r
        print("    %-18s %s" % ("load", per_key(r)), flush=True)
        longest = 0
        for name, keys in scenarios(args.keys):
            pane.key("g")                      # first row, not counted
            m.start()
            for k in keys:
                pane.key(k)
            r = m.stop()
            r["n"] = len(keys)
            if name == "j":   # the selection must be on row min(keys, rows-1)
                want = "/l/%07d" % (min(len(keys), rows - 1) + 1)
                r["check"] = want in pane.screen()
                if not r["check"]:
                    print("    screen check failed: %s not shown after %d j" % (want, len(keys)))
            res[name] = r
            longest = max(longest, r["wall"])
            print("    %-18s %s" % (name, per_key(r)), flush=True)
        # the filter: '/' opens it (not counted), 5 characters typed
        pane.key("g")
        pane.key("/")
        m.start()
        for ch in FILTER:
            pane.key(ch)
        r = m.stop()
        r["n"] = len(FILTER)
        res["filter, per character"] = r
        print("    %-18s %s" % ("filter " + FILTER, per_key(r)), flush=True)
        pane.key("Escape")
        time.sleep(0.3)       # ncurses waits ESCDELAY (25 ms) for more bytes
        pane.settle(0)        # ... then handles Esc and redraws: not in "idle"
        # idle: no key for as long as the slowest scenario took (capped)
        wait = min(longest, args.idle_max)
        m.start()
        time.sleep(wait)
        r = m.stop()
        r["n"] = 0
        r["secs"] = wait
        res["idle"] = r
    finally:
        pane.quit()
    return res


def run_query(args, url, mode, scraper):
    """Keystrokes of the query line on one page: {expression: result}."""
    wrap = ""
    if mode == "callgrind":
        wrap = ("valgrind --tool=callgrind --dump-instr=no --vgdb=yes --callgrind-out-file=%s/cg.%%p "
                "--log-file=%s/valgrind.%%p.log " % (args.work, args.work))
    cmd = ("env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color NO_COLOR= %s%s %s"
           % (wrap, scraper, url))
    pane = Pane(args.work, "scraper-keys-q-%d" % os.getpid(), cmd)
    res = {}
    try:
        pane.wait_screen(r"HTTP 200 ", timeout=args.load_timeout)
        for _ in range(2000):
            if pane.idle_in_poll():
                break
            time.sleep(0.01)
        m = Meter(pane, mode, args.work)
        for expr in QUERIES:
            pane.key(":")
            pane.key("C-u")
            before = pane.rchar()
            sh(*pane.tmux, "send-keys", "-t", "k", "-l", expr)
            pane.settle(before)
            found = re.search(r"Q(?:uery|ry)? (\d+\+?)", pane.screen())
            m.start()
            for i in range(args.query_keys):
                pane.key("Space" if i % 2 == 0 else "BSpace")
            r = m.stop()
            r["n"] = args.query_keys
            r["rows"] = found.group(1) if found else "?"
            res[expr] = r
            print("    %-8s %-48s %s  (%s rows)" % (mode, expr, per_key(r), r["rows"]), flush=True)
            pane.key("Enter")
    finally:
        pane.quit()
    return res


def query_bench(args, base):
    """The query scenario, when there is a page for it."""
    page = args.query_page
    if not page or not os.path.exists(page):
        print("\nquery scenario: no page (--query-page, or ../shared/corpus/pages): skipped")
        return
    name = "query-page.html"
    shutil.copy2(page, os.path.join(args.work, name))
    url = base + name
    print("\nquery line, per keystroke, on %s (%s bytes), terminal %dx%d"
          % (os.path.basename(page), format(os.path.getsize(page), ","), COLS, LINES))
    runs = []
    if args.mode in ("callgrind", "both"):
        runs.append(("callgrind", args.query_scraper))
    if args.mode in ("native", "both"):
        runs += [("native", args.query_scraper), ("native", args.scraper)]
    out = {}
    for mode, binary in runs:
        out[(mode, binary)] = run_query(args, url, mode, binary)
    cg = out.get(("callgrind", args.query_scraper))
    nat = out.get(("native", args.query_scraper))
    if cg and nat:
        # the machine's rate: the same keystrokes of the same build, counted
        # and timed
        ir = sum(r["ir"] for r in cg.values())
        cpu = sum(r["cpu"] for r in nat.values())
        rate = ir / cpu if cpu else 0
        print("machine's rate: %.0f M instructions/s (the same keystrokes: %s instructions, "
              "%.3f s of CPU)" % (rate / 1e6, format(ir, ","), cpu))
        for expr, r in cg.items():
            k = max(r["n"], 1)
            print("  %-48s %12s instr/key = %6.2f ms at that rate"
                  % (expr, format(r["ir"] // k, ","), 1000 * r["ir"] / k / rate if rate else 0))


def per_key(r):
    n = max(r["n"], 1)
    if "ir" in r:
        return "%12s instr/key  (%d keys, %.1f s)" % (format(r["ir"] // n, ","), r["n"], r["wall"])
    return "%8.3f ms CPU/key  %8.3f ms wall/key  (%d keys)" % (1000 * r["cpu"] / n, 1000 * r["wall"] / n, r["n"])


def table(args, results, mode):
    rows = args.rows
    first = results[rows[0]]
    head = "".join("%16s" % ("%s rows" % format(n, ",")) for n in rows)
    print()
    if mode == "callgrind":
        print("instructions per key press (valgrind --tool=callgrind, one redraw per key, "
              "terminal %dx%d)" % (COLS, LINES))
    else:
        print("native: CPU ms of the scraper process per key press (utime+stime, %d Hz ticks)"
              % os.sysconf("SC_CLK_TCK"))
    ratios = "%9s" % "ratio" if len(rows) < 3 else "%11s %11s" % (
        "last/first", "last/prev")
    print("%-26s%s %s" % ("scenario (keys)", head, ratios))
    for name in first:
        if name == "idle":
            continue
        vals = []
        for n in rows:
            r = results[n][name]
            k = max(r["n"], 1)
            vals.append(r["ir"] / k if mode == "callgrind" else 1000 * r["cpu"] / k)
        cells = "".join("%16s" % (format(int(v), ",") if mode == "callgrind" else "%.3f" % v)
                        for v in vals)
        ratio = "%9s" % ("%.2fx" % (vals[-1] / vals[0]) if vals[0] else "-")
        if len(rows) >= 3:
            ratio = "%11s %11s" % ("%.2fx" % (vals[-1] / vals[0]) if vals[0] else "-",
                                   "%.2fx" % (vals[-1] / vals[-2]) if vals[-2] else "-")
        print("%-26s%s %s" % ("%s (%d)" % (name, first[name]["n"]), cells, ratio))
    print("ratio: %s rows / %s rows%s" % (
        format(rows[-1], ","), format(rows[0], ","),
        "; last/prev: %s rows / %s rows" % (format(rows[-1], ","), format(rows[-2], ","))
        if len(rows) >= 3 else ""))
    checks = [results[n]["j"].get("check") for n in rows]
    print("screen check (row reached after the j keys): %s"
          % ("ok" if all(checks) else "FAILED for %s" % [n for n, c in zip(rows, checks) if not c]))
    if mode == "callgrind":
        for n in rows:
            i = results[n]["idle"]
            print("idle, %s rows: %s instructions in %.1f s without a key"
                  % (format(n, ","), format(i["ir"], ","), i["secs"]))
    else:
        print("(wall per j, with tmux send-keys and the settle wait: %s ms)"
              % " / ".join("%.1f" % (1000 * results[n]["j"]["wall"] / results[n]["j"]["n"]) for n in rows))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "scraper-keys"))
    ap.add_argument("--scraper", default=os.path.join(REPO, "scraper"))
    ap.add_argument("--rows", default="20,50000,200000")
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--mode", default="callgrind", choices=("callgrind", "native", "both"))
    ap.add_argument("--load-timeout", type=float, default=600)
    ap.add_argument("--idle-max", type=float, default=10)
    corpus = os.path.join(os.path.dirname(REPO), "shared", "corpus", "pages")
    largest = None
    if os.path.isdir(corpus):
        pages = [os.path.join(corpus, n) for n in os.listdir(corpus)]
        largest = max(pages, key=os.path.getsize) if pages else None
    ap.add_argument("--query-page", default=largest)
    ap.add_argument("--query-scraper", default=os.path.join(REPO, "scraper-inproc"))
    ap.add_argument("--query-keys", type=int, default=100)
    args = ap.parse_args()
    args.scraper = os.path.abspath(args.scraper)
    args.query_scraper = os.path.abspath(args.query_scraper)
    args.rows = [int(x) for x in args.rows.split(",") if x]
    os.makedirs(args.work, exist_ok=True)
    # a copy, so that a rebuild in the work tree during the run changes nothing
    snapshot = os.path.join(args.work, "scraper-under-test")
    shutil.copy2(args.scraper, snapshot)
    git = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    print("scraper: %s (git %s), terminal %dx%d, %d keys per scenario"
          % (args.scraper, git or "?", COLS, LINES, args.keys))
    args.scraper = snapshot
    for n in os.listdir(args.work):
        if n.startswith(("cg.", "valgrind.")):
            os.unlink(os.path.join(args.work, n))
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        os.environ.pop(k, None)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    for rows in args.rows:
        out = os.path.join(args.work, "links-%d.html" % rows)
        if not os.path.exists(out):
            subprocess.run([PY, os.path.join(HERE, "gen.py"), "--links", str(rows), "--out", out,
                            "--quiet"], check=True)
    portfile = os.path.join(args.work, "port")
    if os.path.exists(portfile):
        os.unlink(portfile)
    srv = subprocess.Popen([PY, os.path.join(HERE, "serve.py"), "--root", args.work,
                            "--port-file", portfile, "--lifetime", "3600"])
    t_start = time.time()
    try:
        for _ in range(200):
            if os.path.exists(portfile):
                break
            time.sleep(0.025)
        base = "http://127.0.0.1:%d/" % int(open(portfile).read())
        modes = ["callgrind", "native"] if args.mode == "both" else [args.mode]
        for mode in modes:
            results = {}
            for rows in args.rows:
                results[rows] = run_page(args, base + "links-%d.html" % rows, rows, mode)
            if args.rows:
                table(args, results, mode)
        query_bench(args, base)
    finally:
        srv.terminate()
        srv.wait()
    print("\nkeys bench took %.0f s" % (time.time() - t_start))


if __name__ == "__main__":
    sys.exit(main())
