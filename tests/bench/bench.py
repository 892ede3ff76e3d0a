#!/usr/bin/python3
"""The benchmark's harness (tests/bench/run.sh runs it; see there).

Usage:  /usr/bin/python3 tests/bench/bench.py [OPTIONS]

  --work DIR       pages, outputs and the helper binary (default
                   $TMPDIR/scraper-bench); pages are regenerated only when
                   gen.py or the seed changed
  --scraper PATH   the binary (default ./scraper)
  --sizes LIST     page sizes (default 1M,10M,50M)
  --runs N         runs per tool for pages up to 10 MB (default 5); 3 above
  --bs4-big N      BeautifulSoup runs on pages above 10 MB (default 0: skipped;
                   bs4 4.11's html.parser builder is quadratic in the number of
                   void elements: 641 s for the 50 MB page, measured once)
  --corpus DIR     also time scraper and xmllint over every page in DIR
                   (default ../shared/corpus/pages when it exists)
  --floor PATH     the floor helper (floor.c built); rows skipped without it

For every page: N runs of each tool in round-robin order (one untimed warm-up
round first), median wall time, spread ((max - min) / median: this machine's
noise), peak RSS (wait4's ru_maxrss of that process,
what `/usr/bin/time -f %M` prints), ratio to `xmllint --html --noout` on the
same file, RSS as a multiple of the page size, and the records each tool
found against the generator's counts.  scraper's counts must equal gen.py's
per (tag, attr): the check prints PASS or FAIL, and the exit status is 1 on
any FAIL.  The performance targets are printed as met or missed; they do not
change the exit status (a benchmark, not a test).
"""

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, HERE)
from gen import SEED, TABLE, parse_size  # noqa: E402

PUP_SELECTOR = ",".join(TABLE) + " json{}"


def human(n):
    return "%.1f MiB" % (n / 1048576.0)


def fmt_size(n):
    return "%g MB" % (n / 1e6) if n >= 1e6 else "%g kB" % (n / 1e3)


def run_once(argv, stdout_path=None, timeout=900):
    """Runs argv under /usr/bin/time; returns (wall seconds, peak RSS bytes,
    exit code).  The RSS comes from GNU time (wait4's ru_maxrss), not from
    our own wait4: a child forked from this Python process would report
    Python's RSS as its high-water mark, since Linux keeps it across exec."""
    rssfile = os.path.join(tempfile.gettempdir(), "scraper-bench-rss.%d" % os.getpid())
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    try:
        # Popen.wait(timeout=...) polls with sleeps growing to 50 ms, which
        # would round every time up to its schedule: a blocking wait, and a
        # timer thread for the time limit.
        t0 = time.perf_counter()
        p = subprocess.Popen(["/usr/bin/time", "-q", "-f", "%M", "-o", rssfile] + argv,
                             stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.DEVNULL)
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        rc = p.wait()
        wall = time.perf_counter() - t0
        timer.cancel()
        try:
            with open(rssfile) as f:
                rss = int(f.read().split()[-1]) * 1024
        except (OSError, ValueError, IndexError):
            rss = 0
        return wall, rss, rc
    finally:
        if stdout_path:
            out.close()


class Server:
    def __init__(self, root, work, tag):
        self.portfile = os.path.join(work, "port-%s" % tag)
        if os.path.exists(self.portfile):
            os.unlink(self.portfile)
        self.p = subprocess.Popen([PY, os.path.join(HERE, "serve.py"), "--root", root,
                                   "--port-file", self.portfile, "--lifetime", "1800"])
        for _ in range(200):
            if os.path.exists(self.portfile):
                break
            time.sleep(0.025)
        else:
            sys.exit("bench: the file server did not start")
        with open(self.portfile) as f:
            self.base = "http://127.0.0.1:%d/" % int(f.read())

    def url(self, name):
        return self.base + urllib.parse.quote(name)

    def stop(self):
        self.p.terminate()
        self.p.wait()


def gen_page(work, size):
    """The page of `size` bytes in work/, generated when missing or stale."""
    with open(os.path.join(HERE, "gen.py"), "rb") as f:
        stamp = hashlib.sha256(f.read() + str(SEED).encode()).hexdigest()[:16]
    name = "page-%d.html" % size
    path = os.path.join(work, name)
    stampfile = path + ".stamp"
    fresh = (os.path.exists(path) and os.path.exists(path + ".counts") and
             os.path.exists(stampfile) and open(stampfile).read() == stamp)
    if not fresh:
        t0 = time.perf_counter()
        subprocess.run([PY, os.path.join(HERE, "gen.py"), "--size", str(size), "--out", path,
                        "--quiet"], check=True)
        with open(stampfile, "w") as f:
            f.write(stamp)
        print("generated %s (%s) in %.1f s" % (name, fmt_size(size), time.perf_counter() - t0))
    else:
        print("cached    %s (%s)" % (name, fmt_size(size)))
    with open(path + ".counts") as f:
        return name, path, json.load(f)


def counts_of(mode, path):
    """extract.py's count of an output file: {"total", "counts"} or None."""
    r = subprocess.run([PY, os.path.join(HERE, "extract.py"), mode, path],
                       capture_output=True, text=True)
    if r.returncode:
        return None
    return json.loads(r.stdout)


def compare(expected, got):
    """'' when equal, else a short list of the differences."""
    if got is None:
        return "no output"
    diffs = []
    for k in sorted(set(expected) | set(got)):
        if expected.get(k, 0) != got.get(k, 0):
            diffs.append("%s %d/%d" % (k, got.get(k, 0), expected.get(k, 0)))
    return ", ".join(diffs)


def bench_page(args, srv, name, path, gen):
    size = gen["size"]
    small = size <= 10_000_000
    runs = args.runs if small else max(1, min(args.runs, 3))
    out = os.path.join(args.work, "out")
    os.makedirs(out, exist_ok=True)
    url = srv.url(name)
    tools = [
        # (label, argv, stdout file, count mode, runs)
        ("scraper --dump", [args.scraper, "--dump", url], "scraper.tsv", "count-scraper", runs),
        ("scraper --dump --format json", [args.scraper, "--dump", "--format", "json", url],
         "scraper.json", "count-scraper", runs),
        ("xmllint --html --noout", ["xmllint", "--html", "--noout", path], None, None, runs),
    ]
    if args.floor:
        tools += [("libxml2 tree, quiet (floor.c)", [args.floor, "tree", path], None, None, runs),
                  ("libxml2 SAX, quiet (floor.c)", [args.floor, "sax", path], None, None, runs),
                  ("libxml2 SAX, no UTF-8 switch (floor.c)", [args.floor, "nocvt", path], None, None,
                   runs)]
    tools += [
        ("pup '%s json{}'" % "a,area,img,...", ["pup", "-f", path, PUP_SELECTOR], "pup.json",
         "count-pup", runs),
        ("python3 lxml.html", [PY, os.path.join(HERE, "extract.py"), "lxml", path], "lxml.json",
         "json", runs),
    ]
    bs4_runs = runs if small else args.bs4_big
    if bs4_runs:
        tools.append(("python3 bs4 html.parser", [PY, os.path.join(HERE, "extract.py"), "bs4", path],
                      "bs4.json", "json", bs4_runs))
    results = {t[0]: {"wall": [], "rss": [], "rc": set()} for t in tools}
    # warm-up round (page cache, Python's imports), untimed, without bs4
    for label, argv, stdout, _, _ in tools:
        if "bs4" not in label:
            run_once(argv, os.path.join(out, stdout) if stdout else None)
    for i in range(max(t[4] for t in tools)):
        for label, argv, stdout, _, n in tools:
            if i >= n:
                continue
            wall, rss, rc = run_once(argv, os.path.join(out, stdout) if stdout else None)
            r = results[label]
            r["wall"].append(wall)
            r["rss"].append(rss)
            r["rc"].add(rc)
    floor = statistics.median(results["xmllint --html --noout"]["wall"])
    print()
    print("page %s: %s bytes, %s records (gen.py --size %d --seed %d)"
          % (name, format(size, ","), format(gen["total"], ","), size, gen["seed"]))
    print("%-40s %9s %7s %5s %9s %11s %9s  %s" % ("tool", "median", "spread", "runs", "xmllint",
                                                   "peak RSS", "RSS/page", "records"))
    status = {}
    rows = {}
    for label, argv, stdout, mode, n in tools:
        r = results[label]
        med = statistics.median(r["wall"])
        rss = max(r["rss"])
        if mode == "json":
            try:
                got = json.load(open(os.path.join(out, stdout)))
            except (OSError, ValueError):
                got = None
        elif mode:
            got = counts_of(mode, os.path.join(out, stdout))
        else:
            got = None
        if mode:
            diff = compare(gen["counts"], got["counts"] if got else None)
            rec = "%d %s" % (got["total"] if got else 0, "= gen" if not diff else "DIFFERS: " + diff)
        else:
            rec = "-"
        if r["rc"] != {0}:
            rec += "  (exit %s)" % ",".join(map(str, sorted(r["rc"])))
        if label.startswith("scraper"):
            status[label] = not diff and r["rc"] == {0}
        rows[label] = (med, rss)
        spread = (max(r["wall"]) - min(r["wall"])) / med if med else 0
        print("%-40s %8.3fs %6.0f%% %5d %8.2fx %11s %8.2fx  %s"
              % (label, med, 100 * spread, n, med / floor, human(rss), rss / size, rec))
    if not bs4_runs:
        print("%-40s  skipped above 10 MB (quadratic: 641 s once on 50 MB; --bs4-big 1 runs it)"
              % "python3 bs4 html.parser")
    for label, ok in status.items():
        print("check: %s found every record gen.py wrote: %s" % (label, "PASS" if ok else "FAIL"))
    return rows, status, size


def targets(rows, size):
    """The performance targets on the 10 MB page."""
    s, x = rows["scraper --dump"], rows["xmllint --html --noout"]
    lines = [("--dump wall <= 0.8x xmllint", s[0] / x[0], s[0] / x[0] <= 0.8, "%.2fx"),
             ("--dump peak RSS <= 3x page", s[1] / size, s[1] / size <= 3, "%.2fx")]
    pup = [v for k, v in rows.items() if k.startswith("pup")]
    if pup:
        lines.append(("pup / --dump >= 3x", pup[0][0] / s[0], pup[0][0] / s[0] >= 3, "%.1fx"))
    bs = rows.get("python3 bs4 html.parser")
    if bs:
        lines.append(("bs4 html.parser / --dump >= 30x", bs[0] / s[0], bs[0] / s[0] >= 30, "%.1fx"))
    print()
    print("targets on the %s page (ratios of medians, same run):" % fmt_size(size))
    for what, v, ok, f in lines:
        print("  %-40s %8s  %s" % (what, f % v, "met" if ok else "MISSED"))


def corpus(args):
    pages = sorted(n for n in os.listdir(args.corpus)
                   if os.path.isfile(os.path.join(args.corpus, n)) and not n.startswith("."))
    total = sum(os.path.getsize(os.path.join(args.corpus, n)) for n in pages)
    srv = Server(args.corpus, args.work, "corpus")
    try:
        failed = set()

        def scraper_all():
            t0, bad, peak = time.perf_counter(), 0, 0
            for n in pages:
                _, rss, rc = run_once([args.scraper, "--dump", srv.url(n)])
                if rc:
                    bad += 1
                    failed.add("%s (exit %d)" % (n, rc))
                peak = max(peak, rss)
            return time.perf_counter() - t0, bad, peak

        def xmllint_all():
            t0, bad, peak = time.perf_counter(), 0, 0
            for n in pages:
                _, rss, rc = run_once(["xmllint", "--html", "--noout", os.path.join(args.corpus, n)])
                bad += rc not in (0, 1)   # 1: the page had parse errors
                peak = max(peak, rss)
            return time.perf_counter() - t0, bad, peak

        res = {"scraper --dump, every page": [], "xmllint --html --noout, every page": []}
        scraper_all(), xmllint_all()  # warm-up
        for _ in range(3):
            res["scraper --dump, every page"].append(scraper_all())
            res["xmllint --html --noout, every page"].append(xmllint_all())
    finally:
        srv.stop()
    print()
    print("corpus %s: %d pages, %s (scraper over loopback HTTP, one process per page)"
          % (os.path.relpath(args.corpus, REPO), len(pages), human(total)))
    print("%-38s %9s %5s %9s %11s  %s" % ("tool", "total", "runs", "xmllint", "max RSS", "failures"))
    floor = statistics.median(r[0] for r in res["xmllint --html --noout, every page"])
    for label, rs in res.items():
        med = statistics.median(r[0] for r in rs)
        print("%-38s %8.3fs %5d %8.2fx %11s  %d" % (label, med, len(rs), med / floor,
                                                 human(max(r[2] for r in rs)), max(r[1] for r in rs)))
    if failed:
        print("scraper failed on: %s" % ", ".join(sorted(failed)[:10]))


def versions(args):
    def first_line(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    git = first_line(["git", "-C", REPO, "describe", "--always", "--dirty"])
    print("machine: %s, %d cores, Linux %s" % (cpu, os.cpu_count(), platform.release()))
    print("scraper: %s (%s, git %s)" % (first_line([args.scraper, "--version"]), args.scraper, git))
    print("xmllint: %s; pup %s; %s" % (first_line(["xmllint", "--version"]).replace("xmllint: ", ""),
                                       first_line(["pup", "--version"]),
                                       first_line([PY, "-c", "import lxml.etree as e, bs4, sys; "
                                                   "print('python %d.%d, lxml %s (libxml2 %s), bs4 %s' % "
                                                   "(sys.version_info[:2] + (e.__version__, "
                                                   "'.'.join(map(str, e.LIBXML_VERSION)), bs4.__version__)))"])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "scraper-bench"))
    ap.add_argument("--scraper", default=os.path.join(REPO, "scraper"))
    ap.add_argument("--sizes", default="1M,10M,50M")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bs4-big", type=int, default=0)
    ap.add_argument("--corpus", default=os.path.join(REPO, "..", "shared", "corpus", "pages"))
    ap.add_argument("--floor", default="")
    args = ap.parse_args()
    args.scraper = os.path.abspath(args.scraper)
    os.makedirs(args.work, exist_ok=True)
    # a copy, so that a rebuild in the work tree during the run changes nothing
    snapshot = os.path.join(args.work, "scraper-under-test")
    shutil.copy2(args.scraper, snapshot)
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        os.environ.pop(k, None)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    t_start = time.perf_counter()
    versions(args)
    args.scraper = snapshot
    pages = [gen_page(args.work, parse_size(s)) for s in args.sizes.split(",") if s]
    srv = Server(args.work, args.work, "pages")
    all_ok = True
    try:
        by_size = {}
        for name, path, gen in pages:
            rows, status, size = bench_page(args, srv, name, path, gen)
            by_size[size] = rows
            all_ok &= all(status.values())
    finally:
        srv.stop()
    key = 10_000_000 if 10_000_000 in by_size else max(by_size)
    targets(by_size[key], key)
    if args.corpus and os.path.isdir(args.corpus):
        corpus(args)
    else:
        print("\ncorpus: %s absent, skipped" % args.corpus)
    try:
        os.unlink(os.path.join(tempfile.gettempdir(), "scraper-bench-rss.%d" % os.getpid()))
    except OSError:
        pass
    print("\nrecord check: %s; bench took %.0f s" % ("PASS" if all_ok else "FAIL",
                                                   time.perf_counter() - t_start))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
