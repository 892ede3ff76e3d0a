#!/usr/bin/python3
"""The peers' side of the benchmark: the same extraction in Python.

Usage:  python3 tests/bench/extract.py TOOL FILE
        python3 tests/bench/extract.py count-pup PUP_JSON_FILE
        python3 tests/bench/extract.py count-scraper TSV_OR_JSON_FILE

TOOL is one of
  lxml      lxml.html.parse(FILE) (libxml2's HTML parser, building a tree),
            then root.iter() over the table's tags, reading their attributes
  bs4       BeautifulSoup(bytes, "html.parser") (what the original lab used),
            then soup.find_all() over the table's tags
  html5lib  html5lib's HTML5 parser (etree), HTML-namespace elements only:
            the reference, slow; not timed by the benchmark

Each collects every record of the extraction table, (tag, attr, value)
with one record per srcset candidate, in a list (no URL resolution: the
peers have none), and prints one JSON object {"total": n, "counts":
{"TAG ATTR": n}} on stdout.  count-pup reads the output of `pup 'SELECTOR json{}'` (top-level
entries are the matched elements; their children are ignored) and
count-scraper the output of `scraper --dump` (TSV, or JSON when the file
starts with '{'), and print the same object.
"""

import json
import os
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import TABLE, SRCSET, srcset_urls  # noqa: E402

TAGS = tuple(TABLE)


def records(tag, attrs, out):
    for attr in TABLE[tag]:
        v = attrs.get(attr)
        if v is None:
            continue
        if isinstance(v, list):   # bs4 multi-valued attributes (not these, but be safe)
            v = " ".join(v)
        if (tag, attr) in SRCSET:
            for u in srcset_urls(v):
                out.append((tag, attr, u))
        else:
            out.append((tag, attr, v))


def run_lxml(path):
    import lxml.html
    root = lxml.html.parse(path).getroot()
    out = []
    for el in root.iter(*TAGS):
        records(el.tag, el.attrib, out)
    return out


def run_bs4(path):
    from bs4 import BeautifulSoup
    with open(path, "rb") as f:
        soup = BeautifulSoup(f.read(), "html.parser")
    out = []
    for el in soup.find_all(TAGS):
        records(el.name, el.attrs, out)
    return out


def run_html5lib(path):
    import html5lib
    with open(path, "rb") as f:
        data = f.read()
    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"),
                                 namespaceHTMLElements=False)
    root = parser.parse(data, scripting=False, default_encoding="utf-8", useChardet=False)
    out = []
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag in TABLE:
            records(el.tag, el.attrib, out)
    return out


def count_pup(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    out = []
    for el in data:
        tag = el.get("tag")
        if tag in TABLE:
            records(tag, el, out)
    return out


def count_scraper(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    out = []
    if text.lstrip().startswith("{"):
        for e in json.loads(text)["elements"]:
            out.append((e["tag"], e["attr"], e["url"]))
    else:
        for line in text.splitlines():   # KIND TAG ATTR URL TEXT
            f = line.split("\t")
            if len(f) >= 4:
                out.append((f[1], f[2], f[3]))
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    tool, path = sys.argv[1], sys.argv[2]
    fn = {"lxml": run_lxml, "bs4": run_bs4, "html5lib": run_html5lib,
          "count-pup": count_pup, "count-scraper": count_scraper}.get(tool)
    if not fn:
        sys.exit("extract.py: unknown tool %s" % tool)
    recs = fn(path)
    counts = {}
    for tag, attr, _ in recs:
        k = tag + " " + attr
        counts[k] = counts.get(k, 0) + 1
    print(json.dumps({"total": len(recs), "counts": dict(sorted(counts.items()))}))


if __name__ == "__main__":
    main()
