#!/usr/bin/python3
"""The query engine against parsel (cssselect's CSS->XPath on lxml, the same
libxml2 HTML parser) on the real pages of CORPUS_DIR (default
../shared/corpus/pages: read from there, never copied into the project).

Usage:  /usr/bin/python3 tests/query-oracle.py [CORPUS_DIR]

For every page, one run of `$SCRAPER --dump --format json -v` with every
selector as a --query (local file input; -v tells the charset the page was
read in, and parsel is given the text decoded the same way), then parsel on
that text. For each selector, on every page: the same number of matches,
and for each match the same node (its XPath), text (whitespace collapsed)
and attributes (href, src, class, id, title), or for ::text and ::attr()
the same strings. Fields (relative selectors) are compared too. Where the
translation must differ (see DIFFERS), the test says what it expects.
A second run per page has only the selectors that read no text, each as
`SELECTOR { xpath }` (or its ::attr() values): --dump then builds a tree of
just the elements and the attributes named, and must find the same nodes.
Prints TAP: one test per selector, then the totals.
"""

import json
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRAPER = os.environ.get("SCRAPER", os.path.join(REPO, "scraper"))
TIMEOUT = 60 * float(os.environ.get("TIME_SCALE") or 1)   # x TIME_SCALE, as every limit
ATTRS = ("href", "src", "class", "id", "title")

SELECTORS = [
    "a", "a[href]", "a::attr(href)", "img::attr(src)", "p", "p::text", "title::text",
    "h1", "h2 a", "li a", "ul > li", "ol li:first-child", "li:last-child",
    "li:only-child", "li:nth-child(2)", "li:nth-child(odd)", "li:nth-child(even)",
    "li:nth-child(3n+1)", "li:nth-child(-n+2)", "li:nth-last-child(1)",
    "tr td:nth-of-type(2)", "p:first-of-type", "div > p:last-of-type",
    "span:only-of-type", "li:nth-last-of-type(2)", "p:empty", "div:empty",
    "a:not([href])", "div:not(.x):not([id])", ":root", "[class]", "[id]",
    "[rel~=nofollow]", "a[href^=http]", "a[href^='https://']", "a[href$='.html']",
    "a[href*=twitter]", "[lang|=en]", "html[lang]", "meta[name=description]::attr(content)",
    "link[rel=stylesheet]::attr(href)", "script[src]::attr(src)", "h1 + p", "h2 ~ p",
    "div p a", "body > div", "div.content", "#main", "a ::text", "nav a::text", "th::text",
    "input[type=hidden]::attr(name)", "a[href][title]", "form input", "label + input",
    "p > a:first-child", "article h2 a::attr(href)", "ul li:not(:last-child) a",
    "header, footer", "meta[property^='og:']::attr(content)", "img[alt=''] ", "td:empty",
    "*:not(div):not(span):not(a):not(p):not(li)",
]

# (scraper's expression, parsel's equivalent): where the translation must
# differ. parsel keeps ::attr()'s name as written and lxml's names are in
# lower case, so ::attr(HREF) finds nothing there; here names are HTML's,
# in any case.
DIFFERS = [("a::attr(HREF)", "a::attr(href)"), ("IMG[SRC]::attr(SRC)", "img[src]::attr(src)")]

# Fields: a row per match of the selector, a column per field; parsel's
# rows made by hand: .css(field).get() from each match.
FIELDS = [
    ("tr", ("td:nth-child(1)::text", "td:nth-child(2)::text", "a::attr(href)")),
    ("li", ("a::text", "a::attr(href)", "span")),
    ("a[href]", ("::attr(href)", "img::attr(src)")),
]

SPACE = re.compile(r"[ \t\n\f\r]+")


def collapse(s):
    return SPACE.sub(" ", s).strip(" ")


def tap(ok, name, why=()):
    tap.n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", tap.n, name))
    for w in why:
        print("#   " + w.replace("\n", "\\n")[:300])
    sys.stdout.flush()
    return ok


tap.n = 0


def field_expr(sel, fields):
    return "%s { %s }" % (sel, ", ".join(fields))


def run_scraper(path, exprs):
    # --timeout bounds every query of the run together: 70 of them, each in a
    # child process, took 40 s on one page under the sanitizers
    cmd = [SCRAPER, "--dump", "--format", "json", "-v", "--timeout", str(int(TIMEOUT * 5))]
    for e in exprs:
        cmd += ["-q", e]
    p = subprocess.run(cmd + [path], capture_output=True, timeout=TIMEOUT * 6)
    if p.returncode != 0:
        return None, "exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace")[-300:])
    m = re.search(rb"Charset: (\S+)", p.stderr)
    return json.loads(p.stdout)["matches"], m.group(1).decode() if m else "UTF-8"


def element_view(root, el):
    if not hasattr(el, "tag"):                       # a string: ::text, ::attr()
        return str(el)
    return (root.getroottree().getpath(el), collapse(el.xpath("string()")),
            tuple(el.get(a) or "" for a in ATTRS))


def parsel_matches(sel, css):
    out = []
    root = sel.root
    for s in sel.css(css):
        out.append(element_view(root, s.root))
    return out


def scraper_rows(rows, strings):
    if strings:
        return [r["value"] for r in rows]
    return [(r["xpath"], r["text"], tuple(r["@" + a] for a in ATTRS)) for r in rows]


def is_strings(css):
    return "::text" in css or "::attr(" in css


def element_expr(css):
    return css if is_strings(css) else field_expr(css, ("xpath", "text") + tuple("@" + a for a in ATTRS))


def parsel_fields(sel, css, fields):
    rows = []
    for s in sel.css(css):
        row = []
        for f in fields:
            got = s.css(f)
            if not got:
                row.append("")
            elif hasattr(got[0].root, "tag"):
                row.append(collapse(got[0].root.xpath("string()")))
            else:
                row.append(str(got[0].root))
        rows.append(tuple(row))
    return rows


# The selectors whose rows read no text: their tree has no text nodes.
LEAN = [c for c in SELECTORS if "::text" not in c and ":empty" not in c]


def lean_expr(css):
    return css if is_strings(css) else field_expr(css, ("xpath",))


def compare_lean(path, sel, results):
    exprs = [lean_expr(c) for c in LEAN]
    matches, _ = run_scraper(path, exprs)
    bad = results.setdefault("__lean__", [])
    if matches is None:
        bad.append("%s: did not run" % os.path.basename(path))
        return
    for css, expr in zip(LEAN, exprs):
        want = parsel_matches(sel, css)
        if not is_strings(css):
            want = [w[0] for w in want]
        got = [r["value" if is_strings(css) else "xpath"] for r in matches[expr]]
        if got != want:
            bad.append("%s: %s: %s" % (os.path.basename(path), css, first_difference(got, want)))
    results["__lean_pages__"] = results.get("__lean_pages__", 0) + 1


def compare_page(path, results):
    import parsel
    exprs = [element_expr(c) for c in SELECTORS] + [d[0] for d in DIFFERS] + \
        [field_expr(c, f) for c, f in FIELDS]
    matches, charset = run_scraper(path, exprs)
    name = os.path.basename(path)
    if matches is None:
        results.setdefault("__run__", []).append("%s: %s" % (name, charset))
        return
    raw = open(path, "rb").read()
    try:
        text = raw.decode(charset if charset.upper() != "UTF-8" else "utf-8")
    except (LookupError, UnicodeDecodeError):
        results.setdefault("__skipped__", []).append("%s (%s)" % (name, charset))
        return
    sel = parsel.Selector(text=text)
    for css, expr in zip(SELECTORS, exprs):
        want = parsel_matches(sel, css)
        got = scraper_rows(matches[expr], is_strings(css))
        results.setdefault(css, []).append((name, got == want, len(want), got, want))
    for ours, theirs in DIFFERS:
        want = parsel_matches(sel, theirs)
        got = scraper_rows(matches[ours], True)
        results.setdefault(ours, []).append((name, got == want, len(want), got, want))
    for css, fields in FIELDS:
        want = parsel_fields(sel, css, fields)
        got = [tuple(r[f] for f in fields) for r in matches[field_expr(css, fields)]]
        results.setdefault(field_expr(css, fields), []).append(
            (name, got == want, len(want), got, want))
    compare_lean(path, sel, results)


def first_difference(got, want):
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return "match %d: scraper %r, parsel %r" % (i, g, w)
    return "scraper %d matches, parsel %d" % (len(got), len(want))


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "..", "shared", "corpus", "pages")
    if not os.path.isdir(corpus):
        print("1..0 # SKIP corpus directory %s not found" % corpus)
        return 0
    try:
        import parsel  # noqa: F401
    except ImportError:
        print("1..0 # SKIP parsel missing (apt-get install python3-parsel)")
        return 0
    pages = sorted(os.path.join(corpus, f) for f in os.listdir(corpus) if f.endswith(".html"))
    results = {}
    for p in pages:
        compare_page(p, results)
    names = [element_expr(c) and c for c in SELECTORS] + [d[0] for d in DIFFERS] + \
        [field_expr(c, f) for c, f in FIELDS]
    total = 0
    for n in names:
        rs = results.get(n, [])
        bad = [r for r in rs if not r[1]]
        found = sum(r[2] for r in rs)
        total += found
        tap(rs and not bad, "%s: the same on %d pages (%d matches)" % (n, len(rs) - len(bad), found),
            ["%s: %s" % (r[0], first_difference(r[3], r[4])) for r in bad[:3]])
    tap(not results.get("__lean__"), "selectors that read no text, alone: the same nodes on %d pages"
        % results.get("__lean_pages__", 0), results.get("__lean__", [])[:5])
    tap("__run__" not in results, "scraper ran on every page", results.get("__run__", [])[:5])
    tap(len(pages) - len(results.get("__skipped__", [])) >= 20,
        "at least 20 pages compared (%d; skipped: %s)" % (
            len(pages) - len(results.get("__skipped__", [])),
            ", ".join(results.get("__skipped__", [])) or "none"))
    tap(total > 10000, "the selectors matched something: %d matches" % total)
    print("1..%d" % tap.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
