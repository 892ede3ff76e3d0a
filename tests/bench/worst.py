#!/usr/bin/python3
"""Adversarial HTML for scraper's parse: the worst shapes of markup, and
their timing against an ordinary page of the same size.

Usage:
    python3 tests/bench/worst.py --list        (name, "whole" or "-", what)
    python3 tests/bench/worst.py --size 10M --out DIR [--shapes A,B,...]
    python3 tests/bench/worst.py --bench [--sizes 1M,2M,4M] [--shapes A,B,...]
                                 [--scraper PATH] [--work DIR] [--runs N]
                                 [--timeout S]

The first form lists the shapes; the second writes DIR/SHAPE.html for each
shape (all of them and "ordinary" by default) at about SIZE bytes (1M =
10^6 bytes, as gen.py reads it); the third is `make bench`'s worst-case
step (tests/bench/run.sh; see bench() below): a table of seconds per shape
and the ratio to the ordinary page.  tests/worst.t is the check.

Every shape's page is ASCII and has the same frame: a doctype, a head with
a title, then in the body a first link (/first), the shape, a last link
(/last) and the end tags.  A parse that reaches the end of the page prints both links;
one that lost the end of the page does not print /last.  The "ordinary"
page is tests/bench/gen.py's realistic page of that size (same seed as the
benchmark), the reference the others are compared with.

The shapes aim at what libxml2 2.9.14's HTML parser does per token: the
open-element stack it scans for an end tag (and for an open <body> at each
<body>), the error it formats for every element an end tag closes
implicitly, the attributes it compares with all those before them in the
same tag, the entity table it searches one by one, and the long tokens
(comments, script bodies, attribute values) during which no SAX callback
fires.  The attribute floods sit on either side of 64 KiB per tag and of
4,096 '=' per tag, and two hide from a count of '=' or a scan to the next
'>': boolean attributes (no '='), and values holding '>'.
"""

import argparse
import itertools
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen import SEED, Gen, parse_size  # noqa: E402

FIRST = "<a href=/first>f</a>\n"
LAST = "\n<a href=/last>l</a>\n"
HEAD = "<!DOCTYPE html>\n<html><head><title>%s</title></head>\n<body>\n"
TAIL = "</body></html>\n"


def rep(unit, room):
    """unit repeated to fill about room bytes (at least once)."""
    return unit * max(1, room // len(unit))


def names():
    """Distinct attribute names, shortest first: a..z, then [a-z][a-z0-9]..."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    alnum = letters + "0123456789"
    yield from letters
    width = 1
    while True:
        for first in letters:
            for rest in itertools.product(alnum, repeat=width):
                yield first + "".join(rest)
        width += 1


def attr_run(nbytes, nattrs=None, suffix="=1"):
    """ name+suffix for distinct names: nattrs of them, or as many as fit
    in nbytes."""
    parts, used = [], 0
    for i, n in enumerate(names()):
        a = " " + n + suffix
        if i == nattrs or (nattrs is None and used + len(a) > nbytes):
            break
        parts.append(a)
        used += len(a)
    return "".join(parts)


def tag_of(nattrs, nbytes, suffix="=1", name="p"):
    """<NAME a=1 b=1 ...>: nattrs distinct attributes (None: as many as fit
    in nbytes), padded to nbytes (when it is larger) with a last
    attribute's value, or spaces."""
    t = "<" + name + attr_run(nbytes - len(name) - 2, nattrs, suffix)
    pad = nbytes - len(t) - len(' _z=""') - 1
    if pad > 0 and nattrs is not None:
        t += ' _z="%s"' % ("x" * pad)
    elif nbytes > len(t) + 1:
        t += " " * (nbytes - len(t) - 1)
    return t + ">"


def tags_filling(tag, room, sep="\n"):
    return sep.join([tag] * max(1, room // (len(tag) + len(sep))))


# ---- the shapes: name -> (description, function of the room in bytes) ----
# Each function returns the middle of the page (between FIRST and LAST).

def s_end_tags(room):
    k = room // 7
    return "<b>" * k + "</i>" * k


def s_end_tags_interleaved(room):
    return rep("<b></i>", room)


def s_end_tags_matched(room):
    k = room // 7
    return "<b>" * k + "</b>" * k


def s_close_many(room):
    # one end tag closing every element opened since (each is closed once)
    return "<div>" + "<b>" * ((room - 11) // 3) + "</div>"


def s_close_blocks(room):
    return rep("<div>" + "<b>" * 1000 + "<a href=/d>d</a></div>\n", room)


def s_body_deep(room):
    k = room // 11
    return "<div>" * k + "<body>" * k


def s_attrs_64k(room):
    # 65,534 bytes: under the guard's 64 KiB, with ~11,000 '=' (over 4,096)
    return tags_filling(tag_of(None, 65534), room)


def s_attrs_4000(room):
    return tags_filling(tag_of(4000, 0), room)


def s_attrs_4000_long(room):
    # over 64 KiB, but 4,000 '=': under the guard's count
    return tags_filling(tag_of(4000, 70000), room)


def s_attrs_over(room):
    # 20,000 attributes in 119 kB: over both limits, cut at 64 KiB
    return tags_filling(tag_of(20000, 0), room)


def s_attrs_bare(room):
    # one tag of boolean attributes: no '=' for the guard to count
    return tag_of(None, room, suffix="")


def s_attrs_gt(room):
    # one tag whose values hold '>': the guard's tag ends at the first one
    return tag_of(None, room, suffix='=">"')


def s_attrs_dup(room):
    # tags of 65,000 bytes of one attribute name, under the 64 KiB limit
    return tags_filling("<p" + " a=1" * 16249 + ">", room)


def s_attrs_dup_one(room):
    # one tag of one attribute name repeated: over both limits
    return "<p" + rep(" a=1", room - 3) + ">"


def s_deep_div(room):
    return rep("<div>", room)


def s_deep_table(room):
    return rep("<table><tr><td>", room)


def s_p_chain(room):
    return rep("<p>x", room)


def s_li_chain(room):
    return "<ul>" + rep("<li>x", room - 10) + "</ul>"


def s_li_nest(room):
    return rep("<ul><li>", room)


def s_formatting(room):
    return rep("<b><i><u>", room)


def s_misnested(room):
    return rep("<b><i>x</b>y</i>", room)


def s_siblings(room):
    return "<div>" + rep("<span>x</span>\n", room - 11) + "</div>"


def s_tiny_elements(room):
    return rep("<i></i>", room)


def s_void_elements(room):
    return rep("<br>", room)


def s_unclosed_tags(room):
    # one <p whose "attributes" are more start tags never closed
    return "<p" + rep(" <b", room - 3) + ">"


def s_comment(room):
    return "<!--" + rep("x <a href=/c>c</a> -", room - 7) + "-->"


def s_comments_many(room):
    return rep("<!-- c -->", room)


def s_script(room):
    return "<script>" + rep("if (a < b && c > d) { x = '<a href=/s>'; }\n", room - 17) + "</script>"


def s_style(room):
    return "<style>" + rep("a > b { background: url(/x.png); }\n", room - 15) + "</style>"


def s_textarea(room):
    return "<textarea>" + rep("some text &amp; a <b>tag</b> or two\n", room - 21) + "</textarea>"


def s_huge_href(room):
    return '<a href="/h' + "x" * (room - 20) + '">h</a>'


def s_long_link_texts(room):
    link = "<a href=/t>" + "word " * 2000 + "</a>\n"
    return rep(link, room)


def s_doctype_many(room):
    return rep('<!DOCTYPE html PUBLIC "-//x//y" "z" junk>\n', room)


def s_doctype_huge(room):
    return "<!DOCTYPE html " + rep("junk ", room - 16) + ">"


def s_entities_amp(room):
    return rep("&amp;", room)


def s_entities_unknown(room):
    return rep("&foo;", room)


def s_entities_last(room):
    # the last name of libxml2's entity table (searched one by one)
    return rep("&diams;", room)


def s_entity_long_name(room):
    # a name past libxml2's limit of 50,000 bytes, then ordinary links
    return "&" + "a" * 60000 + ";\n" + rep("<a href=/e>e</a>\n", room - 60003)


def s_charrefs(room):
    return rep("&#233;&#x2014;&#0;&#x110000;", room)


def s_lt_space(room):
    return rep("< ", room)


def s_lt_run(room):
    return rep("<", room)


def s_lt_digit(room):
    return rep("<1 ", room)


def s_cdata(room):
    return rep("<![CDATA[x < y]]>", room)


def s_pi_many(room):
    return rep("<?php echo 1; ?>", room)


def s_pi_huge(room):
    return "<?x " + "y" * (room - 6) + "?>"


def s_select_nest(room):
    return rep("<select><option>", room)


def s_option_chain(room):
    return "<select>" + rep("<option>x", room - 17) + "</select>"


def s_nested_a(room):
    return rep("<a href=/n>x", room)


def s_nested_a_deep(room):
    return rep("<a href=/n><b>x", room)


SHAPES = {
    "end-tags": ("<b> x N then </i> x N: every end tag unmatched in a deep stack", s_end_tags),
    "end-tags-interleaved": ("<b></i> x N: the stack grows by one per unmatched end tag",
                             s_end_tags_interleaved),
    "end-tags-matched": ("<b> x N then </b> x N (the control: each closes the top)",
                         s_end_tags_matched),
    "close-many": ("<div>, <b> x N, </div>: one end tag closing N elements", s_close_many),
    "close-blocks": ("(<div>, <b> x 1,000, a link, </div>) x N", s_close_blocks),
    "body-deep": ("<div> x N then <body> x N", s_body_deep),
    "attrs-64k": ("tags of 65,534 bytes, ~11,000 distinct attributes (under 64 KiB, over 4,096 '=')",
                  s_attrs_64k),
    "attrs-4000": ("tags of 4,000 distinct attributes, 23 kB (under both limits)", s_attrs_4000),
    "attrs-4000-long": ("tags of 4,000 distinct attributes, 70 kB (over 64 KiB, under 4,096 '=')",
                        s_attrs_4000_long),
    "attrs-over": ("tags of 20,000 distinct attributes, 119 kB (over both: cut at 64 KiB)",
                   s_attrs_over),
    "attrs-bare": ("one tag of distinct boolean attributes (no '=')", s_attrs_bare),
    "attrs-gt": ("one tag of distinct attributes valued \">\"", s_attrs_gt),
    "attrs-dup": ("tags of 65,000 bytes repeating one attribute (under 64 KiB)", s_attrs_dup),
    "attrs-dup-one": ("one tag repeating one attribute (over both limits)", s_attrs_dup_one),
    "deep-div": ("<div> x N, never closed", s_deep_div),
    "deep-table": ("<table><tr><td> x N", s_deep_table),
    "p-chain": ("<p>x x N (each closes the last)", s_p_chain),
    "li-chain": ("<ul> then <li>x x N", s_li_chain),
    "li-nest": ("<ul><li> x N", s_li_nest),
    "formatting": ("<b><i><u> x N, never closed", s_formatting),
    "misnested": ("<b><i>x</b>y</i> x N", s_misnested),
    "siblings": ("<div> then <span>x</span> x N", s_siblings),
    "tiny-elements": ("<i></i> x N", s_tiny_elements),
    "void-elements": ("<br> x N", s_void_elements),
    "unclosed-tags": ("<p then \" <b\" x N, then >", s_unclosed_tags),
    "comment": ("one comment of the whole size (markup inside)", s_comment),
    "comments-many": ("<!-- c --> x N", s_comments_many),
    "script": ("one <script> of the whole size ('<' inside)", s_script),
    "style": ("one <style> of the whole size", s_style),
    "textarea": ("one <textarea> of the whole size", s_textarea),
    "huge-href": ("one <a href> whose value is the whole size", s_huge_href),
    "long-link-texts": ("<a> with 10 kB of text each", s_long_link_texts),
    "doctype-many": ("<!DOCTYPE ...> x N in the body", s_doctype_many),
    "doctype-huge": ("a <!DOCTYPE html of the whole size", s_doctype_huge),
    "entities-amp": ("&amp; x N", s_entities_amp),
    "entities-unknown": ("&foo; x N", s_entities_unknown),
    "entities-last": ("&diams; x N (the last name of libxml2's table)", s_entities_last),
    "entity-long-name": ("& + a 60,000-byte name, then links", s_entity_long_name),
    "charrefs": ("&#233;&#x2014;&#0;&#x110000; x N", s_charrefs),
    "lt-space": ("\"< \" x N", s_lt_space),
    "lt-run": ("\"<\" x N", s_lt_run),
    "lt-digit": ("\"<1 \" x N", s_lt_digit),
    "cdata": ("<![CDATA[x < y]]> x N", s_cdata),
    "pi-many": ("<?php echo 1; ?> x N", s_pi_many),
    "pi-huge": ("one <?x ... ?> of the whole size", s_pi_huge),
    "select-nest": ("<select><option> x N", s_select_nest),
    "option-chain": ("<select> then <option>x x N", s_option_chain),
    "nested-a": ("<a href=/n>x x N, never closed", s_nested_a),
    "nested-a-deep": ("<a href=/n><b>x x N: each <a> inside the last", s_nested_a_deep),
}

# Shapes libxml2 2.9.14 parses in linear time, with no flood of attributes
# and few errors (an error per element closed implicitly, as in misnested,
# costs 1.2 us: such a page may be cut): a parse of them has no cause to
# stop early, and must print the last link without "partly parsed".
WHOLE = {
    "end-tags-matched", "deep-div", "deep-table", "p-chain", "li-chain", "li-nest",
    "siblings", "tiny-elements", "void-elements", "comment", "comments-many",
    "script", "style", "textarea", "huge-href", "long-link-texts", "doctype-many",
    "doctype-huge", "entities-amp", "entities-unknown", "entities-last", "entity-long-name",
    "charrefs", "lt-space", "lt-run", "lt-digit", "cdata", "pi-many", "pi-huge",
    "select-nest", "option-chain", "nested-a",
}
assert WHOLE <= set(SHAPES)


def page(shape, size):
    """The bytes of shape at about size bytes ("ordinary": gen.py's page)."""
    if shape == "ordinary":
        return Gen(SEED).page(size).encode("utf-8")
    fn = SHAPES[shape][1]
    head = HEAD % ("worst case: " + shape)
    room = size - len(head) - len(FIRST) - len(LAST) - len(TAIL)
    if shape == "doctype-huge":      # in place of the first doctype
        head = head.replace("<!DOCTYPE html>\n", fn(room) + "\n", 1)
        return (head + FIRST + LAST + TAIL).encode("ascii")
    return (head + FIRST + fn(room) + LAST + TAIL).encode("ascii")


def write(shape, size, path):
    data = page(shape, size)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)
    return len(data)


# ---- make bench: the table ------------------------------------------------

def timed(argv, out, err, limit):
    """Runs argv in its own process group; returns (wall seconds, CPU
    seconds, exit status or None when killed at limit).  A blocking wait4
    and a timer thread, so the time is not rounded up to a polling
    schedule."""
    with open(out, "wb") as o, open(err, "wb") as e:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                             start_new_session=True)
        killed = []

        def kill():
            killed.append(1)
            try:
                os.killpg(p.pid, 9)
            except OSError:
                pass
        timer = threading.Timer(limit, kill)
        timer.start()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_utime + ru.ru_stime, (None if killed else p.returncode)


def bench(a):
    """The worst-case table of `make bench`: for each size, and each shape at
    that size (written, timed, removed), `scraper --dump -v` over loopback
    (tests/bench/serve.py on 127.0.0.1): the median wall time of --runs runs
    (one run when the first takes over 2 s; killed at --timeout), its ratio
    to gen.py's ordinary page of the same size, the CPU time (user + system,
    all threads: steadier than the wall time on a busy machine), the exit
    status, and whether the report said "partly parsed" or the output lacks
    the last link.  With more than one size, how each shape's time grows:
    time ~ size^k, k about 1 linear, about 2 quadratic."""
    work = os.path.join(a.work, "worst")
    os.makedirs(work, exist_ok=True)
    # a copy, so that a rebuild in the work tree during the run changes nothing
    binary = os.path.join(work, "scraper-under-test")
    shutil.copy2(a.scraper, binary)
    portfile = os.path.join(work, "port")
    if os.path.exists(portfile):
        os.unlink(portfile)
    srv = subprocess.Popen([sys.executable, os.path.join(HERE, "serve.py"), "--root", work,
                            "--port-file", portfile, "--lifetime", "7200"])
    for _ in range(200):
        if os.path.exists(portfile):
            break
        time.sleep(0.025)
    else:
        sys.exit("worst: the file server did not start")
    with open(portfile) as f:
        base = "http://127.0.0.1:%d/" % int(f.read())
    shapes = ["ordinary"] + [s for s in (a.shapes.split(",") if a.shapes else SHAPES)
                             if s != "ordinary"]
    sizes = [parse_size(s) for s in a.sizes.split(",") if s]
    out, err = os.path.join(work, "out"), os.path.join(work, "err")
    times = {}
    print("worst-case shapes (tests/bench/worst.py): scraper --dump -v over loopback, "
          "median of %d runs (1 past 2 s), killed at %g s" % (a.runs, a.timeout))
    try:
        for size in sizes:
            print()
            print("%-22s %11s %9s %8s %8s %5s  %s" % ("shape", "bytes", "seconds", "ratio",
                                                     "cpu", "exit", "notes"))
            ref = None
            for shape in shapes:
                name = "%s-%d.html" % (shape, size)
                path = os.path.join(work, name)
                nbytes = write(shape, size, path)
                argv = [binary, "--dump", "-v", base + urllib.parse.quote(name)]
                runs = []
                for _ in range(a.runs):
                    runs.append(timed(argv, out, err, a.timeout))
                    if runs[-1][2] is None or runs[-1][0] > 2:
                        break
                os.unlink(path)
                runs.sort()
                wall, cpu, rc = runs[len(runs) // 2]
                killed = any(r[2] is None for r in runs)
                with open(err, "rb") as f:
                    e = f.read()
                with open(out, "rb") as f:
                    o = f.read()
                notes = []
                if killed:
                    notes.append("killed at %g s" % a.timeout)
                else:
                    if b"partly parsed" in e:
                        notes.append("partly parsed")
                    if shape != "ordinary" and b"/last\t" not in o:
                        notes.append("no /last")
                if shape == "ordinary":
                    ref = wall
                times[(shape, size)] = (wall, killed)
                print("%-22s %11s %8.3f%s %7.1fx %7.2fs %5s  %s"
                      % (shape, format(nbytes, ","), wall, ">" if killed else " ", wall / ref,
                         cpu, "-" if killed else rc, ", ".join(notes)), flush=True)
    finally:
        srv.terminate()
        srv.wait()
        for f in (out, err, binary, portfile):
            if os.path.exists(f):
                os.unlink(f)
    if len(sizes) > 1:
        print()
        print("growth: time(next size) / time(size), and k in time ~ size^k "
              "(> : killed, at least that)")
        for shape in shapes:
            cells = []
            for s0, s1 in zip(sizes, sizes[1:]):
                (t0, k0), (t1, k1) = times[(shape, s0)], times[(shape, s1)]
                if k0:
                    cells.append("%s->%s: -" % (fmt(s0), fmt(s1)))
                    continue
                k = math.log(t1 / t0) / math.log(s1 / s0)
                cells.append("%s->%s: %s%.1fx (k %s%.1f)" % (fmt(s0), fmt(s1), ">" if k1 else "",
                                                          t1 / t0, ">" if k1 else "", k))
            print("%-22s %s" % (shape, "   ".join(cells)))
    return 0


def fmt(n):
    return "%gM" % (n / 1e6) if n >= 1e6 else "%gk" % (n / 1e3)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--list", action="store_true", help="list the shapes")
    ap.add_argument("--size", type=parse_size, default=parse_size("10M"))
    ap.add_argument("--out", help="write DIR/SHAPE.html")
    ap.add_argument("--shapes", default="", help="comma-separated (default: all, and ordinary)")
    ap.add_argument("--bench", action="store_true", help="time scraper on every shape")
    ap.add_argument("--sizes", default="10M", help="--bench: sizes (default 10M)")
    ap.add_argument("--scraper", default=os.path.join(HERE, "..", "..", "scraper"))
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "scraper-bench"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=30)
    a = ap.parse_args()
    if a.list:
        for k, (desc, _) in SHAPES.items():
            print("%-22s %-5s %s" % (k, "whole" if k in WHOLE else "-", desc))
        return 0
    for k in a.shapes.split(",") if a.shapes else ():
        if k != "ordinary" and k not in SHAPES:
            ap.error("unknown shape %s (--list)" % k)
    if a.bench:
        a.scraper = os.path.abspath(a.scraper)
        for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
            os.environ.pop(k, None)
        os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
        return bench(a)
    if not a.out:
        ap.error("give --out DIR, --bench or --list")
    os.makedirs(a.out, exist_ok=True)
    for shape in (a.shapes.split(",") if a.shapes else ["ordinary"] + list(SHAPES)):
        write(shape, a.size, os.path.join(a.out, shape + ".html"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
