#!/usr/bin/python3
"""The download queue and the link check against their peers, in one run.

Usage:  python3 tests/bench/queue.py [--files 200] [--links 1000] [--size 102400]
                                     [--latency 0.05] [--jobs 6] [--runs 1]

A loopback server (threads, HTTP/1.1 keep-alive) answers every request for a
file or a link after --latency seconds, with --size bytes for a file; the page
that lists them (scraper's input) comes at once, as the others read their list
from a local file. Each tool gets the same URLs
and the same concurrency (--jobs) in this run, one after the other:

  downloads of --files files: scraper --download link --parallel N --per-host N,
      aria2c -jN, wget2 --max-threads=N, curl -Z --parallel-max N, and
      sequential wget -i;
  --links links checked: scraper --check --parallel N --per-host N,
      curl -Z -I --parallel-max N, linkchecker -t N.

Prints wall time, CPU time of the client (user + system, its children
included) and CPU per MB, and the ratios to scraper. Only 127.0.0.1.
A tool that is not installed is left out, said so. With --runs N the
downloads are made N times, the tools in turn, and each figure is the
median (the CPU of one run is a tenth of a second: noisy); --links 0 leaves
the link check out. The files downloaded stay until every tool has run:
on ext4, files deleted a moment before slow down the next ones created
(their inodes are skipped), which charged each tool for the one before.
"""

import argparse
import http.server
import os
import resource
import shutil
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def server(latency, size, files, links):
    body = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    page = ("<!doctype html><title>files</title>\n" + "".join(
        '<a href="/f/%d.bin">%d</a>\n' % (i, i) for i in range(files))).encode()
    check = ("<!doctype html><title>links</title>\n" + "".join(
        '<a href="/c/%d">%d</a>\n' % (i, i) for i in range(links))).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, with_body):
            path = self.path.split("?")[0]
            if not path.endswith(".html"):
                time.sleep(latency)   # the list: the others read theirs from a file
            data, ctype = body, "application/octet-stream"
            if path == "/files.html":
                data, ctype = page, "text/html"
            elif path == "/links.html":
                data, ctype = check, "text/html"
            elif path.startswith("/c/"):
                data, ctype = b"<!doctype html><title>ok</title>ok\n", "text/html"
            elif not path.startswith("/f/"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if with_body:
                self.wfile.write(data)

        def do_GET(self):
            self.answer(True)

        def do_HEAD(self):
            self.answer(False)

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        request_queue_size = 128

        def handle_error(self, request, client_address):
            pass        # a client that closes a kept-alive connection: fine

    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def run(cmd, cwd):
    """Wall and CPU seconds of cmd (its children included), its status."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    rc = subprocess.call(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, rc


def count_files(d, size):
    n = 0
    for root, _, names in os.walk(d):
        n += sum(1 for x in names if os.path.getsize(os.path.join(root, x)) == size)
    return n


def table(title, rows, mb):
    print("\n%s" % title)
    print("%-44s %8s %8s %10s %8s %8s  %s" % ("tool", "wall s", "CPU s", "CPU s/MB",
                                             "wall/us", "CPU/us", "result"))
    base = rows[0]
    for name, wall, cpu, note in rows:
        print("%-44s %8.2f %8.2f %10.4f %8.2f %8.2f  %s" % (
            name, wall, cpu, cpu / mb if mb else 0, wall / base[1], cpu / max(base[2], 1e-6),
            note))


def downloads(args, base, work, scraper):
    urls = os.path.join(work, "urls.txt")
    with open(urls, "w") as f:
        f.write("".join("%s/f/%d.bin\n" % (base, i) for i in range(args.files)))
    cfg = os.path.join(work, "curl.cfg")
    with open(cfg, "w") as f:
        f.write("".join('url = "%s/f/%d.bin"\n' % (base, i) for i in range(args.files)))
    n = str(args.jobs)
    tools = [
        ("scraper --download --parallel %s --per-host %s" % (n, n),
         lambda d: [scraper, "--dump", "--download", "link", "--parallel", n, "--per-host", n,
                    "--dir", d, base + "/files.html"]),
        ("scraper --download --fsync",
         lambda d: [scraper, "--dump", "--download", "link", "--parallel", n, "--per-host", n,
                    "--fsync", "--dir", d, base + "/files.html"]),
        ("aria2c -j%s" % n, lambda d: ["aria2c", "-q", "-j" + n, "-d", d, "-i", urls]),
        ("wget2 --max-threads=%s" % n,
         lambda d: ["wget2", "-q", "--max-threads=" + n, "-P", d, "-i", urls]),
        ("curl -Z --parallel-max %s" % n,
         lambda d: ["curl", "-s", "-Z", "--parallel-max", n, "--remote-name-all",
                    "--output-dir", d, "-K", cfg]),
        # scraper --fsync flushes each file before naming it (no file is
        # ever left empty by a power cut); curl does not. The same work,
        # fsync included (sync FILE... fsyncs each, charged to the sync
        # process as an fsync is charged to its caller):
        ("curl -Z --parallel-max %s, then sync FILE..." % n,
         lambda d: ["sh", "-c", 'curl -s -Z --parallel-max "$1" --remote-name-all '
                    '--output-dir "$2" -K "$3" && sync -- "$2"/*', "sh", n, d, cfg]),
        ("wget -i (one at a time)", lambda d: ["wget", "-q", "-P", d, "-i", urls]),
    ]
    for name, cmd in tools[:]:
        if not shutil.which(cmd("x")[0]):
            print("(%s: not installed, left out)" % cmd("x")[0])
            tools.remove((name, cmd))
    got = {name: [] for name, _ in tools}
    for _ in range(args.runs):
        for name, cmd in tools:
            d = tempfile.mkdtemp(dir=work)
            wall, cpu, rc = run(cmd(d), work)
            got[name].append((wall, cpu, count_files(d, args.size), rc))
    rows = []
    for name, _ in tools:
        runs = got[name]
        rows.append((name, statistics.median(r[0] for r in runs),
                     statistics.median(r[1] for r in runs), "%d/%d files, exit %d" % (
                         min(r[2] for r in runs), args.files, max(r[3] for r in runs))))
    table("%d files of %d bytes, %d at once, %.0f ms per response%s" % (
        args.files, args.size, args.jobs, args.latency * 1000,
        ", median of %d runs" % args.runs if args.runs > 1 else ""), rows,
        args.files * args.size / 1048576)


def checks(args, base, work, scraper):
    n = str(args.jobs)
    cfg = os.path.join(work, "curl-check.cfg")
    with open(cfg, "w") as f:
        f.write("".join('url = "%s/c/%d"\noutput = "/dev/null"\n' % (base, i)
                        for i in range(args.links)))
    tools = [
        ("scraper --check --parallel %s --per-host %s" % (n, n),
         [scraper, "--dump", "--check", "--parallel", n, "--per-host", n, "--fields", "status",
          base + "/links.html"]),
        ("curl -Z -I --parallel-max %s" % n,
         ["curl", "-s", "-Z", "-I", "--parallel-max", n, "-K", cfg]),
        ("linkchecker -t %s" % n,
         ["linkchecker", "-t", n, "--no-status", "--no-warnings", "-r", "1", "-o", "none",
          base + "/links.html"]),
    ]
    rows = []
    for name, cmd in tools:
        if not shutil.which(cmd[0]):
            print("(%s: not installed, left out)" % cmd[0])
            continue
        wall, cpu, rc = run(cmd, work)
        rows.append((name, wall, cpu, "exit %d" % rc))
    table("%d links checked, %d at once, %.0f ms per response" % (
        args.links, args.jobs, args.latency * 1000), rows, 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--links", type=int, default=1000)
    ap.add_argument("--size", type=int, default=102400)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--jobs", type=int, default=6)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    scraper = os.path.abspath(os.environ.get("SCRAPER", os.path.join(ROOT, "scraper")))
    if not os.access(scraper, os.X_OK):
        sys.exit("bench: %s not found (run make first)" % scraper)
    srv = server(args.latency, args.size, args.files, args.links)
    base = "http://127.0.0.1:%d" % srv.server_address[1]
    work = tempfile.mkdtemp(prefix="scraper-queue-bench.")
    try:
        downloads(args, base, work, scraper)
        if args.links > 0:
            checks(args, base, work, scraper)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        srv.shutdown()


if __name__ == "__main__":
    main()
