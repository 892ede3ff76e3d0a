#!/usr/bin/python3
"""Writes the fuzz seed corpora, tests/fuzz/corpus/<target>/, from the test
fixtures: tests/server.py's pages (demo, hostile, base, frames, charsets),
tests/fixtures/*.tsv and the RFC 3986 examples of tests/unit.c.

The seeds are committed; run this only to regenerate them:
    python3 tests/fuzz/make_seeds.py
Each file is small (the demo page is the largest): the repo stays small.
"""
import os
import shutil
import sys

sys.dont_write_bytecode = True  # write nothing beside tests/server.py

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import server  # noqa: E402  (tests/server.py: nothing runs on import)

OUT = os.path.join(HERE, "corpus")
PORT = "8080"


def page(text):
    return text.replace("{port}", PORT).encode("utf-8")


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# fuzz_page: "charset\n" (empty: none) then the body
PAGES = {
    "demo": (b"utf-8", page(server.DEMO)),
    "hostile": (b"utf-8", server.HOSTILE),
    "base": (b"", page(server.BASE)),
    "frames": (b"", page(server.FRAMES)),
    "page2": (b"", page(server.PAGE2)),
}
for path, name in (("/cs/header-latin1", "cs-latin1"), ("/cs/meta-http-equiv", "cs-1252"),
                   ("/cs/wrong", "cs-wrong"), ("/cs/shift-jis-bad", "cs-sjis-bad")):
    ctype, body = server.CHARSET_PAGES[path]
    cs = ctype.split("charset=")[1].encode() if "charset=" in ctype else b""
    PAGES[name] = (cs, body)
PAGES["utf16le-bom"] = (b"", b"\xff\xfe" + '<title>é</title><a href="x">ü</a>'.encode("utf-16le"))
PAGES["utf16-header"] = (b"UTF-16BE", '<a href="y">日本</a><img src=z alt=a>'.encode("utf-16be"))
PAGES["srcset"] = (b"", b'<base href="//o/x/"><img srcset="a.png 1x, b,c.png 2x, (d, e) 3x">'
                        b'<a href=" http:g ">t</a><a href="../..">u</a><area href=mailto:m alt=ar>')

# fuzz_name: URLs (tests/unit.c test_names)
NAMES = [b"http://h/", b"http://h", b"http://h/a/b.html?x=1/2#f",
         b"http://h/..%2F..%2F.bashrc", b"http://h/.profile", b"http://h/-rf",
         b"http://h/a\x1b]0;x", "http://h/\u202egpj.exe".encode(), b"http://h/x/..",
         b"http://h/x/.", b"http://h/" + b"a" * 300 + b".html",
         "http://h/r\u00e9sum\u00e9.txt".encode(), b"http://h/a\\b\xff.png"]

# fuzz_text: terminal text, and "base\0ref" for the resolver (tests/unit.c)
RFC = ["g:h", "g", "./g", "g/", "/g", "//g", "?y", "g?y", "#s", "g#s", "g?y#s", ";x",
       "", ".", "..", "../g", "../../g", "../../../g", "/./g", "/../g", "g.", "..g",
       "./../g", "./g/.", "g/../h", "g;x=1/../y", "g?y/../x", "g#s/../x", "http:g",
       "  /x  ", "\n/x\t", "mailto:someone@example.com", "HTTPS://Example.COM/A",
       "/a b/\u00fc", "https://x/./y/../z"]
TEXTS = [server.HOSTILE[server.HOSTILE.index(b"<body>"):][:700],
         server.HOSTILE_HEADER,
         "a\x1b]0;T\x07b\tc\nd\x7fe\u009bf\u202eg".encode() + b"\xffh",
         b"\xe0\x80\x80\xed\xa0\x80\xf4\x90\x80\x80\xc3"]

# fuzz_out: "title\0url\0text\0url\0text..."
OUTS = [b"T\x00/a\x00link\x00b.png\x00alt",
        "Hostile \x1b]0;PWNED\x07 \u202e".encode() + b"\x00/p?c1=\xc2\x9b31m\x00CR\rBS\bTAB\t"
        b"\x00../x\x00\xff\xfe\xc3(\x00mailto:x\"\\y\x00q\"\\ \xc3\xa9"]


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for name, (cs, body) in PAGES.items():
        write("fuzz_page", name, cs + b"\n" + body)
    for i, url in enumerate(NAMES):
        write("fuzz_name", "url%02d" % i, url)
    for i, text in enumerate(TEXTS):
        write("fuzz_text", "text%02d" % i, text)
    for i, ref in enumerate(RFC):
        write("fuzz_text", "rfc3986-%02d" % i, b"http://a/b/c/d;p?q\x00" + ref.encode())
    write("fuzz_text", "base-no-path", b"https://h\x00x")
    for i, tsv in enumerate(("demo.tsv", "base.tsv")):
        with open(os.path.join(HERE, "..", "fixtures", tsv), "rb") as f:
            write("fuzz_out", "fixture-" + tsv, f.read().replace(b"\t", b"\x00")[:1500])
    for i, o in enumerate(OUTS):
        write("fuzz_out", "page%02d" % i, o)


main()
