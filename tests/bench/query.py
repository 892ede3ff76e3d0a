#!/usr/bin/python3
"""`scraper --dump --query` against pup, parsel and `xmllint --html --xpath`
(tests/bench/run.sh runs it after bench.py; see there).

Usage:  /usr/bin/python3 tests/bench/query.py [--work DIR] [--scraper PATH]
                                             [--size 10M] [--runs N] [--floor PATH]

On gen.py's page (generated into the work directory as bench.py does), three
queries, each tool reading the same file:

  attr    a::attr(href)               every link's href, one per line
  nested  div.card p a                the text of links in paragraphs of
                                      cards (gen.py writes no "s3" class:
                                      "card" is its class of that kind)
  table   table.data tr { td:nth-child(1)::text, td:nth-child(2)::text,
          a::attr(href) }             three fields a row

pup and xmllint have no fields: for the table they print each row (pup as
JSON, xmllint as HTML), which is as much work or more. parsel runs the same
CSS through cssselect and lxml and prints the same lines as scraper, which
the script checks (the line counts of scraper and parsel must agree). N runs
of each tool in round-robin order after an untimed warm-up round; the median
wall time, the spread, the peak RSS (GNU time), and in one table the ratios
the targets name: pup and parsel at least 2x scraper's time, scraper no
slower than xmllint, and its peak RSS no more than xmllint's.

With --floor (tests/bench/floor.c, which run.sh builds), first the time of
libxml2's HTML parser alone on the page, with no tree and a callback that
only counts elements (`floor nocvt`), against pup's time for the first
query: no query can run faster than the parse it waits for, so where that
parse takes more than half of pup's time, "2x faster than pup" is out of
reach of anything built on this libxml2.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from bench import gen_page, human, run_once  # noqa: E402
from gen import parse_size  # noqa: E402

CLASS = "contains(concat(' ', normalize-space(@class), ' '), ' %s ')"
QUERIES = [
    ("attr", "a::attr(href)", "a attr{href}", "//a/@href"),
    ("nested", "div.card p a", "div.card p a text{}",
     "//div[%s]//p//a" % (CLASS % "card")),
    ("table", "table.data tr { td:nth-child(1)::text, td:nth-child(2)::text, a::attr(href) }",
     "table.data tr json{}", "//table[%s]//tr" % (CLASS % "data")),
]

# parsel's side: the same lines scraper prints (TSV, fields tab-separated).
PARSEL = r'''
import re, sys
from parsel import Selector
what, path = sys.argv[1], sys.argv[2]
sel = Selector(text=open(path, encoding="utf-8").read())
out = sys.stdout
sp = re.compile(r"[ \t\n\f\r]+")
ctl = re.compile(r"[\x00-\x1f\x7f]")   # as scraper's TSV: controls become spaces
if what == "attr":
    for v in sel.css("a::attr(href)").getall():
        out.write(ctl.sub(" ", v) + "\n")
elif what == "nested":
    for a in sel.css("div.card p a"):
        out.write(sp.sub(" ", a.xpath("string()").get()).strip(" ") + "\n")
else:
    for tr in sel.css("table.data tr"):
        out.write("\t".join(ctl.sub(" ", tr.css(f).get() or "") for f in
                  ("td:nth-child(1)::text", "td:nth-child(2)::text", "a::attr(href)")) + "\n")
'''


def lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def floor_row(args, path, out):
    tools = [("floor nocvt", [args.floor, "nocvt", path]), ("pup", ["pup", "-f", path, QUERIES[0][2]])]
    times = {t: [] for t, _ in tools}
    for i in range(args.runs + 1):
        for t, argv in tools:
            wall, _rss, _rc = run_once(argv, os.path.join(out, "floor-" + t.split()[0]))
            if i:  # the first round warms up
                times[t].append(wall)
    floor, pup = statistics.median(times["floor nocvt"]), statistics.median(times["pup"])
    print("%-8s %-26s %8.3fs   (pup, %s: %.3fs; the parse alone takes %.2f of pup's time)"
          % ("parse", "libxml2 alone, no tree", floor, QUERIES[0][0], pup, floor / pup))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "scraper-bench"))
    ap.add_argument("--scraper", default=os.path.join(REPO, "scraper"))
    ap.add_argument("--size", default="10M")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--floor", default="")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    name, path, gen = gen_page(args.work, parse_size(args.size))
    size = gen["size"]
    helper = os.path.join(args.work, "parsel-query.py")
    with open(helper, "w") as f:
        f.write(PARSEL)
    out = os.path.join(args.work, "out")
    os.makedirs(out, exist_ok=True)
    scraper = os.path.abspath(args.scraper)
    print()
    print("--query on %s (%s bytes): median of %d runs, same run for every tool"
          % (name, format(size, ","), args.runs))
    print("%-8s %-26s %9s %7s %11s %8s" % ("query", "tool", "median", "spread", "peak RSS", "lines"))
    missed = 0
    if args.floor:
        floor_row(args, path, out)
    for label, css, pup, xpath in QUERIES:
        tools = [
            ("scraper --dump -q", [scraper, "--dump", "-q", css, path]),
            ("parsel", [PY, helper, label, path]),
            ("pup", ["pup", "-f", path, pup]),
            ("xmllint --html --xpath", ["xmllint", "--html", "--xpath", xpath, path]),
        ]
        res = {t[0]: ([], []) for t in tools}
        for t, argv in tools:  # warm-up
            run_once(argv, os.path.join(out, "q-%s-%s" % (label, t.split()[0])))
        for _ in range(args.runs):
            for t, argv in tools:
                wall, rss, _rc = run_once(argv, os.path.join(out, "q-%s-%s" % (label, t.split()[0])))
                res[t][0].append(wall)
                res[t][1].append(rss)
        med = {t: statistics.median(res[t][0]) for t in res}
        rss = {t: max(res[t][1]) for t in res}
        for t, _ in tools:
            w = res[t][0]
            print("%-8s %-26s %8.3fs %6.0f%% %11s %8d" % (
                label, t, med[t], 100 * (max(w) - min(w)) / med[t], human(rss[t]),
                lines(os.path.join(out, "q-%s-%s" % (label, t.split()[0])))))
        s = "scraper --dump -q"
        same = lines(os.path.join(out, "q-%s-scraper" % label)) == \
            lines(os.path.join(out, "q-%s-parsel" % label))
        checks = [("pup / scraper >= 2x", med["pup"] / med[s], med["pup"] / med[s] >= 2),
                  ("parsel / scraper >= 2x", med["parsel"] / med[s], med["parsel"] / med[s] >= 2),
                  ("scraper / xmllint <= 1x", med[s] / med["xmllint --html --xpath"],
                   med[s] <= med["xmllint --html --xpath"]),
                  ("RSS scraper / xmllint <= 1x", rss[s] / rss["xmllint --html --xpath"],
                   rss[s] <= rss["xmllint --html --xpath"])]
        for what, v, ok in checks:
            print("%-8s   %-38s %6.2fx  %s" % ("", what, v, "met" if ok else "MISSED"))
            missed += not ok
        print("%-8s   %-38s %s" % ("", "scraper and parsel print as many lines",
                                    "yes" if same else "NO"))
    print("\n--query targets: %s" % ("all met" if not missed else "%d missed" % missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
