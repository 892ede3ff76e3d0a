#!/usr/bin/python3
"""Corpus agreement: `scraper --dump --format json` against an HTML5 parser.

Usage:  /usr/bin/python3 tests/corpus.py [OPTIONS] [CORPUS_DIR]

CORPUS_DIR defaults to ../shared/corpus/pages relative to the repository root
(real third-party pages: they are read from there, never copied into the
project).  When it is absent the script prints `1..0 # SKIP ...` and exits 0.

For every page the directory is served from a thread on 127.0.0.1 (random
port) as `Content-Type: text/html` with NO charset parameter, so the page's own
declaration decides, else UTF-8 (README, "What is extracted").  Then:

  * scraper side:   $SCRAPER --dump --format json http://127.0.0.1:PORT/NAME
                    (SCRAPER defaults to ./scraper at the repository root),
                    20 s timeout; exit 0 and valid JSON are required.
  * reference side: html5lib (a conforming HTML5 parser, Debian package
                    python3-html5lib) parses the same bytes, and the
                    extraction table is applied to the HTML-namespace elements
                    in document order; values are stripped of ASCII
                    whitespace and resolved against
                    the document base (first <base href>, itself resolved
                    against the page URL, else the page URL) with RFC 3986
                    section 5.2, i.e. urllib.parse.urljoin without its lossy
                    spots (see resolve()).

The (tag, attr, url) multisets are compared per page.  Output is TAP: one test
per page (`not ok` only when scraper crashed, timed out, exited non-zero or
printed invalid JSON), then `# agreement: scraper->ref P%, ref->scraper R%`
(P = matched / scraper records, R = matched / reference records, summed over
all pages) and a final test that both are >= the threshold (98.5%).

Options:
  --diff NAME    show the first mismatching records of page NAME (repeatable)
  -v             show them for every page, and mismatch totals per tag/attr
  --limit N      how many mismatching records to show per side (default 10)
  --ref-only     do not run the scraper: print reference record counts only
  --threshold P  agreement required of the final test (default 98.5)
  --strict-srcset  drop srcset candidates whose descriptors are invalid, as the
                 standard's algorithm does for image *selection*; by default
                 every candidate URL is a record (as README says: one record
                 per srcset candidate).
"""

import argparse
import collections
import concurrent.futures
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CORPUS = os.path.join(REPO, "..", "shared", "corpus", "pages")
TIMEOUT = 20 * float(os.environ.get("TIME_SCALE") or 1)   # x TIME_SCALE, as every limit

# The extraction table (README, "What is extracted"): (tag, attribute) pairs.  Attribute order inside one
# element does not matter: pages are compared as multisets.
TABLE = {
    "a": ("href",),
    "area": ("href",),
    "img": ("src", "srcset", "data-src", "data-srcset", "data-original", "data-lazy-src",
            "data-lazy-srcset"),
    "source": ("src", "srcset", "data-src", "data-srcset", "data-lazy-srcset"),
    "audio": ("src",),
    "video": ("src", "poster", "data-src", "data-poster"),
    "track": ("src",),
    "object": ("data",),
    "embed": ("src",),
    "iframe": ("src", "data-src", "data-lazy-src"),
    "frame": ("src",),
    "link": ("href",),
    "script": ("src",),
}
SRCSET = {("img", "srcset"), ("source", "srcset"), ("img", "data-srcset"),
          ("img", "data-lazy-srcset"), ("source", "data-srcset"), ("source", "data-lazy-srcset")}

ASCII_WS = " \t\n\r\f"


def strip_ws(s):
    """Strip leading/trailing ASCII whitespace only (str.strip() would also
    eat U+00A0 and other Unicode spaces, which the standard keeps)."""
    return s.strip(ASCII_WS)


# --------------------------------------------------------------------------
# srcset: the HTML standard's "parse a srcset attribute" algorithm
# (https://html.spec.whatwg.org/#parse-a-srcset-attribute).  URLs may contain
# commas ("a.jpg?x=1,2 1x"); a comma ends a URL only when it is the URL's last
# character, and inside descriptors only outside parentheses.

_NONNEG_INT = re.compile(r"[0-9]+\Z")
_FLOAT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")


def _descriptors_valid(descriptors):
    """Step "descriptor parser" of the standard: True when no error."""
    width = density = height = None
    for d in descriptors:
        value, last = d[:-1], d[-1:]
        if last == "w":
            if width is not None or density is not None or not _NONNEG_INT.match(value):
                return False
            width = int(value)
            if width == 0:
                return False
        elif last == "x":
            if width is not None or density is not None or height is not None:
                return False
            if not _FLOAT.match(value) or float(value) < 0:
                return False
            density = float(value)
        elif last == "h":
            if height is not None or density is not None or not _NONNEG_INT.match(value):
                return False
            height = int(value)
            if height == 0:
                return False
        else:
            return False
    if height is not None and width is None:
        return False
    return True


def parse_srcset(value, strict=False):
    """Return the candidate URLs of a srcset value, in order (unresolved)."""
    n = len(value)
    pos = 0
    out = []
    while True:
        # Splitting loop: skip whitespace and commas.
        while pos < n and (value[pos] in ASCII_WS or value[pos] == ","):
            pos += 1
        if pos >= n:
            return out
        start = pos
        while pos < n and value[pos] not in ASCII_WS:
            pos += 1
        url = value[start:pos]
        descriptors = []
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            # Descriptor tokenizer.
            while pos < n and value[pos] in ASCII_WS:
                pos += 1
            current = ""
            state = "in descriptor"
            while True:
                c = value[pos] if pos < n else None
                if state == "in descriptor":
                    if c is not None and c in ASCII_WS:
                        if current:
                            descriptors.append(current)
                        current = ""
                        state = "after descriptor"
                    elif c == ",":
                        pos += 1
                        if current:
                            descriptors.append(current)
                        break
                    elif c == "(":
                        current += c
                        state = "in parens"
                    elif c is None:
                        if current:
                            descriptors.append(current)
                        break
                    else:
                        current += c
                elif state == "in parens":
                    if c == ")":
                        current += c
                        state = "in descriptor"
                    elif c is None:
                        descriptors.append(current)
                        break
                    else:
                        current += c
                else:  # after descriptor
                    if c is not None and c in ASCII_WS:
                        pass
                    elif c is None:
                        break
                    else:
                        state = "in descriptor"
                        continue  # reconsume c without advancing
                pos += 1
        if not strict or _descriptors_valid(descriptors):
            out.append(url)


# --------------------------------------------------------------------------
# Reference side.

_html5lib = None


def load_html5lib():
    global _html5lib
    try:
        import html5lib  # noqa: F401  (Debian: python3-html5lib)
    except ImportError:
        return False
    _html5lib = html5lib
    return True


# URL resolution: RFC 3986 section 5.2 (the algorithm urllib.parse.urljoin
# implements), written out because urljoin (Python 3.11) is lossy in ways
# that matter on real pages:
#   urljoin("http://h/p", "#")          -> "http://h/p"   (RFC, WHATWG: "http://h/p#")
#   urljoin("http://h/p", "x?")         -> "http://h/x"   (empty query dropped)
#   urljoin("http://h/a/b", "x//y")     -> "http://h/a/x/y" (empty segments dropped)
#   urljoin("http://h/p", "http://x/a/../b") -> dot segments left in place
# (href="#" alone is hundreds of records in the corpus.)  Like urljoin and the
# WHATWG URL parser, "http:foo" against an http base is relative (RFC 5.2.2's
# non-strict mode), and a reference with any other scheme (mailto:, data:,
# javascript:, ...) is kept as written.  Nothing is percent-encoded or
# case-folded: the reference is kept as written beyond what 5.2 changes.

_URI = re.compile(r"(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?://([^/?#]*))?"
                  r"([^?#]*)(?:\?([^#]*))?(?:#(.*))?\Z", re.S)


def remove_dot_segments(path):
    """RFC 3986 section 5.2.4."""
    out = []
    i = path
    while i:
        if i.startswith("../"):
            i = i[3:]
        elif i.startswith("./"):
            i = i[2:]
        elif i.startswith("/./"):
            i = i[2:]
        elif i == "/.":
            i = "/"
        elif i.startswith("/../") or i == "/..":
            i = "/" + i[4:]
            if out:
                out.pop()
        elif i in (".", ".."):
            i = ""
        else:
            j = i.find("/", 1)
            if j < 0:
                j = len(i)
            out.append(i[:j])
            i = i[j:]
    return "".join(out)


def resolve(base, ref):
    """Resolve `ref` against the absolute URL `base` (RFC 3986 5.2.2)."""
    scheme, auth, path, query, frag = _URI.match(ref).groups()
    bscheme, bauth, bpath, bquery, _ = _URI.match(base).groups()
    if scheme is not None:
        if scheme.lower() not in ("http", "https"):
            return ref
        if scheme.lower() == (bscheme or "").lower() and auth is None:
            scheme = None  # non-strict: "http:foo" is relative
    if scheme is not None:
        auth, path = auth, remove_dot_segments(path)
    else:
        scheme = bscheme
        if auth is not None:
            path = remove_dot_segments(path)
        else:
            auth = bauth
            if path == "":
                path = bpath
                if query is None:
                    query = bquery
            elif path.startswith("/"):
                path = remove_dot_segments(path)
            else:
                if bauth is not None and bpath == "":
                    merged = "/" + path
                else:
                    merged = bpath[:bpath.rfind("/") + 1] + path
                path = remove_dot_segments(merged)
    out = scheme + ":"
    if auth is not None:
        out += "//" + auth
    out += path
    if query is not None:
        out += "?" + query
    if frag is not None:
        out += "#" + frag
    return out


def reference(data, page_url, strict_srcset=False):
    """(records, encoding) for the page bytes `data` fetched from page_url.

    Charset (HTTP charset, then the document's declaration, then UTF-8):
    the server sends no charset, so html5lib's own sniffing decides: a BOM,
    else the <meta charset> / http-equiv prescan of the first 1024 bytes, and a
    later <meta> in <head> makes html5lib re-parse with that encoding (as the
    standard's "change the encoding" does).  With no declaration it would fall
    back to chardet or windows-1252: useChardet=False and
    default_encoding="utf-8" make that UTF-8.  Labels go through the WHATWG
    encoding table (webencodings), e.g. "gb2312" decodes as GBK.

    <noscript>: html5lib's default is scripting=False (passed explicitly
    below), i.e. "scripting disabled": noscript content is parsed as markup,
    so an <img> inside <noscript> is an element and is counted.  (With
    scripting=True it would be raw text, as in a browser running scripts.)
    libxml2 always parses noscript content as markup, so this is the matching
    choice for a scraper that runs no scripts.

    <template>: html5lib's etree builder does not implement the separate
    "template contents" fragment: template children are ordinary children of
    the <template> element, so URLs inside templates are counted (a browser's
    querySelectorAll would not see them; libxml2 keeps them as children too).

    Foreign content: with namespaceHTMLElements=False, HTML elements have
    bare tag names while SVG/MathML ones are "{namespace}tag"; only bare names
    are looked up, so <svg><a href> and <svg><image href> are skipped, while
    HTML inside <foreignObject> is HTML again and counted.
    """
    parser = _html5lib.HTMLParser(
        tree=_html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)
    root = parser.parse(data, scripting=False, default_encoding="utf-8",
                        useChardet=False)
    encoding = parser.documentEncoding
    elements = [e for e in root.iter() if isinstance(e.tag, str)]

    base = page_url
    for e in elements:
        if e.tag == "base" and "href" in e.attrib:
            base = resolve(page_url, strip_ws(e.attrib["href"]))
            break

    records = []
    for e in elements:
        attrs = TABLE.get(e.tag)
        if not attrs:
            continue
        for attr in attrs:
            if attr not in e.attrib:
                continue
            value = e.attrib[attr]
            if (e.tag, attr) in SRCSET:
                for cand in parse_srcset(value, strict_srcset):
                    records.append((e.tag, attr, resolve(base, cand)))
            else:
                records.append((e.tag, attr, resolve(base, strip_ws(value))))
    return records, encoding


# --------------------------------------------------------------------------
# The local server: files of the corpus directory, text/html, no charset.

def make_server(root):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self, head=False):
            name = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            name = name.lstrip("/")
            path = os.path.join(root, name)
            if (not name or "/" in name or name.startswith(".")
                    or not os.path.isfile(path)):
                self.send_error(404)
                return
            with open(path, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def do_HEAD(self):
            self.do_GET(head=True)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    return server


# --------------------------------------------------------------------------
# Scraper side.

def run_scraper(scraper, url, env):
    """(records, error): records are (tag, attr, url) in output order."""
    try:
        p = subprocess.run([scraper, "--dump", "--format", "json", url],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return None, "timed out after %d s" % TIMEOUT
    except OSError as e:
        return None, "cannot run %s: %s" % (scraper, e)
    err = p.stderr.decode("utf-8", "replace").strip().replace("\n", " | ")[:300]
    if p.returncode < 0:
        return None, "killed by signal %d %s" % (-p.returncode, err)
    if p.returncode != 0:
        return None, "exit %d: %s" % (p.returncode, err)
    try:
        doc = json.loads(p.stdout)
        records = [(el["tag"], el["attr"], el["url"]) for el in doc["elements"]]
    except (ValueError, KeyError, TypeError) as e:
        return None, "invalid JSON output: %s" % e
    for r in records:
        if not all(isinstance(x, str) for x in r):
            return None, "invalid JSON output: non-string field in %r" % (r,)
    return records, None


def only_in(mine, other):
    """Records of `mine` (in order) not matched by the multiset `other`."""
    left = collections.Counter(other)
    out = []
    for r in mine:
        if left[r] > 0:
            left[r] -= 1
        else:
            out.append(r)
    return out


def pct(a, b):
    return 100.0 * a / b if b else 100.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS)
    ap.add_argument("--diff", action="append", default=[], metavar="NAME")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--ref-only", action="store_true")
    ap.add_argument("--threshold", type=float, default=98.5)
    ap.add_argument("--strict-srcset", action="store_true")
    args = ap.parse_args()

    if not os.path.isdir(args.corpus):
        print("1..0 # SKIP corpus directory %s not found" % args.corpus)
        return 0
    if not load_html5lib():
        print("1..0 # SKIP html5lib missing: apt-get install python3-html5lib "
              "and run with /usr/bin/python3")
        return 0
    pages = sorted(n for n in os.listdir(args.corpus)
                   if not n.startswith(".")
                   and os.path.isfile(os.path.join(args.corpus, n)))
    if not pages:
        print("1..0 # SKIP corpus directory %s is empty" % args.corpus)
        return 0
    for name in args.diff:
        if name not in pages:
            print("corpus.py: --diff %s: no such page" % name, file=sys.stderr)
            return 1

    scraper = os.environ.get("SCRAPER") or os.path.join(REPO, "scraper")
    server = make_server(args.corpus)
    port = server.server_address[1]
    env = dict(os.environ)
    for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
              "all_proxy", "ALL_PROXY"):
        env.pop(k, None)
    env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"

    def url_of(name):
        return "http://127.0.0.1:%d/%s" % (port, urllib.parse.quote(name))

    if args.ref_only:
        print("1..%d" % len(pages))
        total = 0
        for i, name in enumerate(pages, 1):
            with open(os.path.join(args.corpus, name), "rb") as f:
                recs, enc = reference(f.read(), url_of(name), args.strict_srcset)
            total += len(recs)
            print("ok %d - %s: ref=%d (%s)" % (i, name, len(recs), enc))
        print("# reference records: %d" % total)
        return 0

    if not (os.path.isfile(scraper) and os.access(scraper, os.X_OK)):
        print("1..1")
        print("not ok 1 - scraper binary %s not found or not executable "
              "(run make, or set SCRAPER)" % scraper)
        return 1

    print("1..%d" % (len(pages) + 1))
    sys.stdout.flush()
    # Scraper runs go one at a time in a worker thread while this thread
    # builds the reference records of the same pages.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    futures = [pool.submit(run_scraper, scraper, url_of(n), env) for n in pages]

    sum_s = sum_r = sum_both = 0
    failed = 0
    by_cat = collections.Counter()  # (side, tag, attr) -> unmatched records
    worst = []
    for i, (name, fut) in enumerate(zip(pages, futures), 1):
        with open(os.path.join(args.corpus, name), "rb") as f:
            data = f.read()
        try:
            ref, enc = reference(data, url_of(name), args.strict_srcset)
        except Exception as e:  # the reference's own failure, not scraper's
            ref, enc = [], None
            print("# %s: reference parse failed: %r" % (name, e))
        got, err = fut.result()
        sc = got or []
        both = sum((collections.Counter(sc) & collections.Counter(ref)).values())
        sum_s += len(sc)
        sum_r += len(ref)
        sum_both += both
        line = "%s: scraper=%d ref=%d both=%d" % (name, len(sc), len(ref), both)
        if err:
            failed += 1
            print("not ok %d - %s # %s" % (i, line, err))
        else:
            print("ok %d - %s" % (i, line))
        s_only, r_only = only_in(sc, ref), only_in(ref, sc)
        worst.append((len(s_only) + len(r_only), name))
        for t, a, _ in s_only:
            by_cat[("scraper only", t, a)] += 1
        for t, a, _ in r_only:
            by_cat[("ref only", t, a)] += 1
        if (args.verbose or name in args.diff) and (s_only or r_only):
            print("#   charset used by the reference: %s" % enc)
            for label, recs in (("only scraper", s_only), ("only ref    ", r_only)):
                for t, a, u in recs[:args.limit]:
                    print("#   %s: %s %s %s" % (label, t, a, ascii(u)[1:-1]))
                if len(recs) > args.limit:
                    print("#   %s: ... %d more" % (label, len(recs) - args.limit))
        sys.stdout.flush()
    pool.shutdown()
    server.shutdown()

    p, r = pct(sum_both, sum_s), pct(sum_both, sum_r)
    print("# records: scraper=%d ref=%d both=%d over %d pages (%d failed)"
          % (sum_s, sum_r, sum_both, len(pages), failed))
    if args.verbose:
        worst.sort(key=lambda x: (-x[0], x[1]))
        print("# most mismatches: " + ", ".join(
            "%s=%d" % (n, c) for c, n in worst[:10] if c))
        for (side, t, a), c in by_cat.most_common():
            print("#   %-12s %s %s: %d" % (side, t, a, c))
    print("# agreement: scraper->ref %.2f%%, ref->scraper %.2f%%" % (p, r))
    ok = p >= args.threshold and r >= args.threshold
    print("%s %d - agreement >= %.1f%% both ways" % (
        "ok" if ok else "not ok", len(pages) + 1, args.threshold))
    return 0 if ok and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
