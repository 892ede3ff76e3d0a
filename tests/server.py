#!/usr/bin/python3
"""Loopback HTTP/1.1 fixture server for scraper's end-to-end tests.

Usage:
    python3 tests/server.py --port-file FILE [--lifetime SECONDS] [--log FILE]
                            [--tls-cert CERT --tls-key KEY --tls-port-file FILE]

Binds 127.0.0.1 on a free port, writes the port number to FILE (through
FILE.tmp and a rename, so a reader never sees half a number), and serves until
SIGTERM/SIGINT or until --lifetime seconds (default 600) have passed, so a
crashed test never leaves it running.  With --log FILE every request is
appended to FILE as a line "METHOD PATH" followed by its header lines and an
empty line; without it the server prints nothing.

With --tls-cert/--tls-key (PEM files, e.g. a self-signed certificate made by
openssl at test time) a second listener serves the same routes over TLS on
another free port, written to --tls-port-file.  A failed TLS handshake is
logged as a line "TLS handshake failed: REASON" and an empty line.

Standard library only (python3 >= 3.9).  Responses are written as raw bytes
on the socket, never through http.server, because several routes must be
byte-exact or deliberately broken.  Every response carries
`Connection: close`; nothing here depends on keep-alive.  All routes are
deterministic (the only input is the port, which appears in a few URLs).

Routes
  /, /index.html, /?anything
        The demo site: UTF-8 page titled "Démo — scraper ✓" with at least one
        element of every kind of the extraction table (relative, absolute,
        ../, ?query, #fragment, //protocol-relative, mailto:, javascript:,
        space-padded and non-ASCII hrefs; area, img src/srcset (with commas
        inside URLs), picture>source srcset with w descriptors, audio, video
        src+poster, video>source, track, object, embed, iframe, link, script).
        Expected `scraper --dump` output: tests/fixtures/demo.tsv.
  /page2.html         a small page with relative links (fixtures/page2.tsv)
  /base.html          <base href="/sub/dir/">, a <link> before the base, a
                      second base that must be ignored (fixtures/base.tsv)
  /frames.html        a frameset with two frame src (fixtures/frames.tsv)
  /img/*, /media/*, /files/*
                      small fake bodies, Content-Type from the extension
  /download/NAME[?bytes=N]
                      N (default 102400) bytes of a fixed pseudo-random
                      pattern, application/octet-stream
  Redirects
  /redirect           302 -> http://127.0.0.1:PORT/page2.html (absolute)
  /chain/N            N redirects (301/302/307 in turn, relative Locations),
                      ending at /chain-end/dir/final.html, whose links are
                      relative (fixtures/chain.tsv); /chain/0 is that page
  /loop               302 to itself, forever
  /redirect-file      302 Location: file:///etc/passwd
  /redirect-ftp       302 Location: ftp://127.0.0.1/x
  Encodings
  /gzip               Content-Encoding: gzip, with Content-Length
  /chunked            Transfer-Encoding: chunked, chunks cut inside tags and
                      inside a UTF-8 sequence
  /gzip-bad           Content-Encoding: gzip, 10 garbage bytes
  Charsets (each has a link text to check and a last link /page2.html?last)
  /cs/header-latin1   header charset=iso-8859-1, Latin-1 body, text "café"
  /cs/meta-charset    no header charset, <meta charset="iso-8859-1">, "café"
  /cs/meta-http-equiv <meta http-equiv> windows-1252, byte 0x80 -> "€"
  /cs/header-beats-meta  header utf-8, meta iso-8859-1, UTF-8 body "café"
  /cs/none-utf8       no charset anywhere, UTF-8 body "café"
  /cs/wrong           <meta charset="utf-8"> but a Latin-1 body: invalid
                      UTF-8 early, then 20 links ?n=1..20 and ?last
  /cs/shift-jis-bad   <meta charset="Shift_JIS">, link "日本語", then invalid
                      Shift_JIS bytes, then 3 more links and ?last
  Statuses
  /404, /500          that status, with an HTML body holding one link
  anything else       404 with an HTML body holding one link
  Timing
  /slow               Content-Length known, the body drips out in 15 pieces,
                      one per 200 ms (about 3 s)
  /stall              headers with Content-Length: 100, then nothing; the
                      socket is held for 60 s or until the server exits
  /truncated          Content-Length: 1000, 10 bytes, close
  /empty-reply        reads the request and closes without a byte
  Size
  /big?bytes=N        valid HTML of exactly N bytes (if N > ~120) made of
                      links, with Content-Length
  /big-chunked?bytes=N  the same body, chunked, no Content-Length
  /bomb-slow          one <p> with 100,000 attributes (1.3 MB), then a link
                      ?after-attrs; in 64 KiB pieces 50 ms apart (about 1 s)
  /big-slow           the /big page of 4 MB, chunked, one 64 KiB piece every
                      100 ms (about 6 s)
  /trickle?most=N     a page whose first 6 KB come at once, then 3 KB of
                      comments, entities, <textarea>, <script> and links in
                      pieces of 1 to N bytes (default 3), 1 ms apart (~1.5 s)
  /bomb               gzip body inflating to 50 MiB, correct Content-Length
  /records?n=N&base=B  N links (default 3,000) with texts and srcsets, one
                      <a> left open around 2,500 images, an <a> inside an
                      <a>, a last <a> never closed; with base=1 a <BASE
                      href> at the very end (it applies to every link).
                      meta=0: no charset declared anywhere (the page is
                      text/html alone); late=K: link K's text ends in
                      "caf" + byte E9 (Latin-1, invalid UTF-8), nul=K: in
                      "caf" + NUL + "e"
  Hostile
  /hostile            a first link "café ✓" (plain UTF-8), then
                      hrefs, texts, alt and title holding raw ESC ] 0 ; BEL,
                      OSC 52, ESC [ 2 J, C1 (raw C2 9B and &#x9b;), CR BS TAB
                      VT FF DEL LF, U+202E and U+2066, invalid UTF-8, a NUL;
                      also a response header X-Hostile with ESC and BEL
  Story (tests/story.t): the Transfer story's steps and times
    /story/delay?ms=N   the first byte after N ms (default 300), then a page
    /story/hop?ms=N     302 to /story/delay?ms=N
    /story/silent       reads the request, never answers (held 60 s)
    /story/304          304 Not Modified, no Content-Length
    http://ANY/PATH     a plain HTTP proxy's request (an absolute URI): a
                        page "via the proxy" naming the host asked for
  Faults (tests/faults.t, tests/faults-tui.t).  Each is /fault/NAME, and
  anything after /fault/NAME/ is ignored, so /fault/NAME/file.bin gives a
  file name.
    raw replies, exact bytes, then close
    truncated-links  Content-Length: 1000, a page of ~250 bytes with three
                     links ?cut1..3, close
    chunk-illegal    chunked, chunk-size line "ILLEGAL"
    chunk-overflow   chunked, chunk size FFFFFFFFFFFFFFFFF
    chunk-cut        chunked, declares 0x40, sends 3 bytes, close
    trailers         chunked "hello", then trailers: a bad Content-Length and
                     a Content-Disposition name
    redirect-gopher, redirect-dict   302 to gopher:// and dict://
    location-esc     302, Location holds ESC [ 2 J
    location-space-c1  302, Location holds a space and raw C2 9B
    location-bad-utf8  302, Location holds invalid UTF-8 (FF FE C3 28)
    location-scheme  302 to "pw<ESC>]0;PWNED<BEL>ned://x/"
    location-host    302 to a host holding C2 9B and ESC [ 2 J
    status-esc       a status line "HTTP/1.1 2<ESC>[2J0 OK"
    header-huge      one header line of 200,000 bytes
    header-many      3,000 header lines of 200 bytes
    cl-negative, cl-garbage, cl-overflow   Content-Length -1, 12abc,
                     36893488147419103232
    cl-double        two different Content-Lengths (the page, and half)
    http09           a page with no status line (HTTP/0.9)
    empty-body       200, Content-Length: 0
    binary           4 KiB of PNG bytes and NULs as text/html
    cs-1251          header charset=windows-1251, <meta charset=utf-8>,
                     link text "Привет" in windows-1251
    cs-bogus         header charset=x-bogus, <meta charset=utf-8>, "café"
    cs-bogus-nometa  header charset=x-bogus, no meta, UTF-8 "café"
    utf16            UTF-16LE with a BOM, no charset anywhere
    deep             300 nested <div>, then a link ?after-deep
    stray-end-tags?n=N  a link ?first, N <b>, N </i>, a link ?last (default
                     150,000: libxml2 looks through every open element for
                     each stray end tag)
    attr-flood?n=N&tags=T  a link ?first, T <p> of N distinct attributes
                     (default 100 of 11,043), a link ?last
    attr-bypass?kind=K  30 tags of 11,000 attributes behind K: digit, eq, at,
                     slash (a bogus first attribute holding a quote),
                     comment-quote, comment-script (a comment that looks like
                     a tag), script-self (<script/>)
    script-at-slice  a <script> starting 4 bytes before 1 MiB, holding "a<b"
                     and 300 words, then a link ?last
    cs-header-utf16, cs-header-ibm037   an ASCII page (café in UTF-8) whose
                     header says charset=utf-16 / IBM037
    cs-meta-utf16    <meta charset="utf-16"> on a UTF-8 page
    cs-gb2312-superset, cs-latin5-superset   "啰嗦" (GB18030 only) under
                     gb2312, "‘ok’ ğ" (windows-1254) under iso-8859-9
    cs-utf32         UTF-32LE with its byte-order mark
    cs-declared-wrong  <meta charset="gb2312"> on a UTF-8 page (Chinese title)
    br-bad           Content-Encoding: br, bytes that are not brotli
    cookies-many     10,000 Set-Cookie headers (over libcurl's 300 KiB)
    zero-width       an href and text of 5,000 U+0300, one of 3,000 U+200B
    many-attrs?n=N   one <p> with N attributes (default 40,000), then a
                     link ?after-attrs
    long-urls        a 5 MB data: href, an http URL of 300,000 bytes,
                     then a link ?after-long
    nul-refs         NUL in an attribute and in text, &#0; &#x110000;
                     &#xD800;, links ?nul1..3 and ?after-nul
    relative         //host, ../../../../x, ?q, #f, spaced, HTTP://
    schemes          javascript:, data:, mailto:, file:, about: links
    wide             60 CJK characters, e + 50 combining marks, an emoji
                     ZWJ sequence, in link texts and hrefs
    bad-tag          a tag "<foo ESC[2J>", header X-A: ESC[2J
    bad-header-utf8  a header X-Bad holding invalid UTF-8
    bidi-name        a link to /files/U+202Egpj.exe (raw UTF-8)
    a.txt            302 -> /files/.profile
    cd, cd-abs       Content-Disposition filename="../../x", "/etc/passwd"
    dl-page          8 links for downloads on the screen, in this order:
                     slow-dl, 1 MB, stream, /truncated, /404, the bidi
                     name, 1000 bytes, ?last
    timing
    trickle          Content-Length: 100, one byte per second
    huge-cl          Content-Length: 50000000, 1 KiB, then idle 30 s
    stream           HTTP/1.0, no Content-Length: 64 KiB blocks until
                     the client goes away (or 2 GiB)
    slow-dl          4 MiB with Content-Length, 64 KiB every 100 ms
  Records and the batch output (tests/rows.t, tests/rows-tui.t)
  /rows/lazy          lazy-loading attributes (data-src, data-srcset,
                      data-original, data-lazy-src, data-lazy-srcset) on img,
                      source, video, iframe beside a 1x1 data: placeholder;
                      srcset candidates with and without descriptors; rel on
                      link, a and area (mixed case, spaced), an img with a rel
  /rows/redirect      301 to /rows/lazy with two Set-Cookie and X-Rows
                      headers
"""

import argparse
import gzip
import hashlib
import os
import random
import signal
import socket
import socketserver
import ssl
import threading
import time
import urllib.parse
import zlib

STOP = threading.Event()      # set when the server is shutting down
LOG_LOCK = threading.Lock()
LOG = None                    # file object when --log is given

# --------------------------------------------------------------------------
# Page bodies.  `{port}` is replaced by the server's port where a page needs
# an absolute URL to itself.

DEMO = """\
<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Démo — scraper ✓</title>
<link rel="stylesheet" href="/files/style.css" title="Main style">
<link rel="icon" href="img/favicon.ico">
<script src="/files/app.js"></script>
</head>
<body>
<h1>Démo — scraper ✓</h1>
<!-- <a href="/commented-out">not a link</a> -->
<p>Links of every form:</p>
<ul>
<li><a href="page2.html">Relative link</a></li>
<li><a href="http://127.0.0.1:{port}/page2.html#absolute">Absolute link</a></li>
<li><a href="../files/readme.txt">Dot-dot link</a></li>
<li><a href="?q=search+term">Query only</a></li>
<li><a href="#section">Fragment only</a></li>
<li><a href="//127.0.0.1:{port}/page2.html?proto-relative">Protocol-relative link</a></li>
<li><a href="mailto:someone@example.com?subject=Hi">Mail us</a></li>
<li><a href="javascript:void(0)">Script link</a></li>
<li><a href="  \t/page2.html?padded \n ">Padded href</a></li>
<li><a href="/page2.html?a=1&amp;b=2">Café crème — ünïcode ✓</a></li>
<li><a href="/files/résumé.txt">Non-ASCII path</a></li>
<li><a href="/files/a%20b.txt">Percent-encoded path</a></li>
<li><A HREF="/page2.html?upper">Upper-case tag</A></li>
<li><a href="/page2.html?ws">
      Spaced    out
\ttext  </a></li>
<li><a href="/page2.html?nested">Nested <b>bold</b> and <i>italic</i></a></li>
<li><a href="/files/doc.pdf" title="The PDF"></a></li>
<li><a href="/page2.html?entity">Tom &amp; Jerry</a></li>
<li><a href="/redirect">Redirect to page two</a></li>
<li><a href="/chain/3">Redirect chain</a></li>
<li><a href="/base.html">Base page</a></li>
<li><a href="/frames.html">Frames page</a></li>
<li><a href="/download/sample.bin">Download sample</a></li>
<li><a name="no-href">Anchor without href</a></li>
</ul>
<p><a href="/page2.html?img" title="Image link"><img src="/img/a.png" alt="Image A"></a></p>
<h2 id="section">Images</h2>
<p>
<img src="img/b.png" srcset="img/b.png 1x, /img/b@2x.png 2x" alt="Image B">
<img src="/img/c,1.png" srcset="/img/c,1.png 1x, /img/c,2.png 2x" alt="Commas">
<img src="/img/d.png" title="Only a title">
<img src="/img/e.png">
</p>
<picture>
<source srcset="/img/wide.png 800w, /img/narrow.png 400w" media="(min-width: 600px)">
<img src="/img/fallback.png" alt="Fallback">
</picture>
<p><img src="/img/map.png" usemap="#m" alt="Map"></p>
<map name="m">
<area href="/page2.html?area" alt="Area alt" shape="rect" coords="0,0,10,10">
<area href="/base.html" shape="rect" coords="10,0,20,10" title="Area title">
</map>
<h2>Media</h2>
<audio src="/media/sound.ogg" controls title="A sound"></audio>
<video src="/media/movie.webm" poster="/img/poster.png" controls>
<source src="/media/movie.mp4" type="video/mp4">
<track src="/media/subs.vtt" kind="subtitles" srclang="en" title="English subtitles">
</video>
<h2>Embedded</h2>
<object data="/files/doc.pdf" type="application/pdf" title="Embedded PDF"></object>
<embed src="/media/anim.swf" type="application/x-shockwave-flash">
<iframe src="/page2.html?frame" title="Framed page two"></iframe>
<script>document.write('<a href="/not-a-link">x</a>');</script>
<script src="/files/late.js"></script>
</body>
</html>
"""

PAGE2 = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Page two</title></head>
<body>
<h1>Page two</h1>
<p><a href="./">Home</a>
<a href="base.html">Base page</a>
<a href="chain/3">Chain</a>
<img src="img/a.png" alt="A"></p>
</body></html>
"""

# The <link> comes before <base>: HTML resolves every URL of the document
# against the first <base href>, wherever it is.  The second base is ignored.
BASE = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8">
<link rel="icon" href="favicon.ico">
<base href="/sub/dir/">
<title>Base page</title>
</head>
<body>
<a href="page.html">Page</a>
<a href="../up.html">Up</a>
<a href="/abs.html">Absolute path</a>
<a href="?q=1">Query</a>
<a href="#frag">Fragment</a>
<base href="/other/">
<a href="after.html">After second base</a>
<img src="img/x.png" alt="X">
</body></html>
"""

FRAMES = """\
<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Frameset//EN">
<html><head><meta charset="utf-8"><title>Frames</title></head>
<frameset cols="50%,50%">
<frame src="page2.html" title="Left">
<frame src="/base.html">
</frameset>
</html>
"""

CHAIN_END = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>End of the chain</title></head>
<body>
<a href="next.html">Next</a>
<a href="../up.html">Up</a>
<a href="/top.html">Top</a>
</body></html>
"""

GZIP_PAGE = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Gzipped</title></head>
<body>
<a href="/page2.html?gzip">Compressed café</a>
<img src="/img/gz.png" alt="gz">
</body></html>
"""

CHUNKED_PAGE = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Chunked</title></head>
<body>
<a href="/page2.html?chunk1">First chunked café</a>
<a href="/page2.html?chunk2">Second chunked link</a>
<img src="/img/chunked.png" alt="chunk">
</body></html>
"""

# Cut points for /chunked: inside "<!DOCTYPE", inside an attribute value and
# between the two bytes of the first "é".
CHUNK_CUTS = (5, 90, CHUNKED_PAGE.encode().index("é".encode()) + 1, 200)

SLOW_PAGE = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Slow page</title></head>
<body>
<p>This page arrives in small pieces.</p>
<a href="/page2.html?slow">Slow link</a>
</body></html>
"""

ERROR_PAGE = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{status} {reason}</title></head>
<body><h1>{status} {reason}</h1>
<p><a href="/page2.html?from={status}">Back to page two</a></p>
</body></html>
"""

# Charset pages: (content-type header, body bytes)
def _cs(head, body_text):
    return ("<!DOCTYPE html>\n<html><head>%s<title>cs</title></head>\n<body>\n%s\n"
            '<a href="/page2.html?last">last</a>\n</body></html>\n') % (head, body_text)


CHARSET_PAGES = {
    "/cs/header-latin1": (
        "text/html; charset=iso-8859-1",
        _cs("", '<a href="/page2.html?cafe">café</a>').encode("latin-1")),
    "/cs/meta-charset": (
        "text/html",
        _cs('<meta charset="iso-8859-1">',
            '<a href="/page2.html?cafe">café</a>').encode("latin-1")),
    "/cs/meta-http-equiv": (
        "text/html",
        _cs('<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
            '<a href="/page2.html?euro">10 € only</a>').encode("cp1252")),
    "/cs/header-beats-meta": (
        "text/html; charset=utf-8",
        _cs('<meta charset="iso-8859-1">',
            '<a href="/page2.html?cafe">café</a>').encode("utf-8")),
    "/cs/none-utf8": (
        "text/html",
        _cs("", '<a href="/page2.html?cafe">café</a>').encode("utf-8")),
    # Declared UTF-8, actually Latin-1: the very first link text is invalid
    # UTF-8 (E9 followed by '<'), and every link after it must survive.
    "/cs/wrong": (
        "text/html",
        _cs('<meta charset="utf-8">',
            '<a href="/page2.html?cafe">café</a>\n' + "\n".join(
                '<a href="/page2.html?n=%d">link %d é</a>' % (i, i)
                for i in range(1, 21))).encode("latin-1")),
    # Valid Shift_JIS text, then bytes no Shift_JIS decoder accepts
    # (lead byte 0x81 followed by a space; 0xFF), then more links.
    "/cs/shift-jis-bad": (
        "text/html",
        _cs('<meta charset="Shift_JIS">',
            '<a href="/page2.html?nihongo">日本語</a>\n<p>bad: \x00</p>\n'
            '<a href="/page2.html?after1">after 1</a>\n'
            '<a href="/page2.html?after2">after 2</a>\n'
            '<a href="/page2.html?after3">after 3</a>')
        .encode("shift_jis").replace(b"\x00", b"\x81 \xff\xfe\x81")),
}

ESC, BEL = "\x1b", "\x07"
HOSTILE = (
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
    "<title>Hostile " + ESC + "]0;PWNED" + BEL + " page \u202e</title></head>\n<body>\n"
    # 0. plain UTF-8, to check the page is decoded as its header says
    '<a href="/page2.html?utf8">café ✓</a>\n'
    # 1. OSC 0 (set window title), in href and text
    '<a href="/page2.html?osc0=' + ESC + ']0;PWNED' + BEL + '">Title ' + ESC + ']0;PWNED' + BEL + ' set</a>\n'
    # 2. OSC 52 (set clipboard to base64 "pwned")
    '<a href="/page2.html?osc52=' + ESC + ']52;c;cHduZWQ=' + BEL + '">Clip ' + ESC + ']52;c;cHduZWQ=' + BEL + ' board</a>\n'
    # 3. CSI: clear screen, cursor up
    '<a href="/page2.html?clear=' + ESC + '[2J">Clear ' + ESC + '[2J screen ' + ESC + '[2A up</a>\n'
    # 4. C1 CSI as raw U+009B (C2 9B) and as a character reference
    '<a href="/page2.html?c1=\u009b31m&amp;e=&#x9b;32m">C1 raw \u009b31m and &#x9b;31m entity</a>\n'
    # 5. C0 and DEL in text, CR LF and TAB inside the href
    '<a href="/page2.html?ctl=a\r\nb\tc">CR\rBS\bTAB\tVT\x0bFF\x0cDEL\x7fend\nnewline</a>\n'
    # 6. bidi override and isolate
    '<a href="/page2.html?bidi=\u202e\u2066">\u202egpj.exe and \u2066isolate\u2069 done</a>\n'
    # 7. ESC as character references (libxml2 drops &#27;)
    '<a href="/page2.html?ref">ref &#27;[31m and &#x1b;[2J</a>\n'
    # 8. escapes in alt and title
    '<img src="/img/h.png" alt="alt ' + ESC + ']0;PWNED' + BEL + ' text">\n'
    '<iframe src="/page2.html?t" title="title ' + ESC + '[2J \u202e"></iframe>\n'
    # 9. the link the invalid-UTF-8 and NUL cases come after
    '<a href="/page2.html?before-invalid">before invalid</a>\n'
    # 10, 11: invalid UTF-8 (placeholder \ufffe) and a NUL, replaced below
    '<a href="/page2.html?invalid=\ufffe">invalid \ufffe UTF-8</a>\n'
    '<a href="/page2.html?nul">NUL \x00 byte</a>\n'
    '<a href="/page2.html?last">last hostile link</a>\n'
    "</body></html>\n"
).encode("utf-8").replace("\ufffe".encode("utf-8"), b"\xff\xfe\xc3(")
HOSTILE_HEADER = b"X-Hostile: " + ESC.encode() + b"]0;PWNED" + BEL.encode() + b" " + ESC.encode() + b"[2J"

FAKE_TYPES = {
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
    "gif": "image/gif", "ico": "image/x-icon", "svg": "image/svg+xml",
    "webp": "image/webp", "css": "text/css", "js": "text/javascript",
    "pdf": "application/pdf", "ogg": "audio/ogg", "mp3": "audio/mpeg",
    "webm": "video/webm", "mp4": "video/mp4", "vtt": "text/vtt",
    "txt": "text/plain; charset=utf-8", "html": "text/html; charset=utf-8",
    "swf": "application/x-shockwave-flash",
}


def _png_1x1():
    """A valid 1x1 grey PNG, so image links serve a real image."""
    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return len(data).to_bytes(4, "big") + kind + data + crc.to_bytes(4, "big")
    ihdr = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


PNG = _png_1x1()


def pattern(n):
    """n bytes of a fixed pseudo-random pattern (SHA-256 in counter mode)."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"scraper-test-%d" % i).digest()
        i += 1
    return bytes(out[:n])


DOWNLOAD = pattern(102400)

# /big: an exact-size page made of fixed-width link lines.
BIG_HEAD = b'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Big page</title></head><body>\n'
BIG_TAIL = b"</body></html>\n"
BIG_UNIT = len(b'<p><a href="/page2.html?n=00000000">link 00000000</a></p>\n')


def big_body(n, block=65536):
    """Yield the /big page of n bytes in pieces of about `block` bytes."""
    room = max(0, n - len(BIG_HEAD) - len(BIG_TAIL))
    units, pad = divmod(room, BIG_UNIT)
    yield BIG_HEAD
    per = max(1, block // BIG_UNIT)
    for start in range(0, units, per):
        yield b"".join(b'<p><a href="/page2.html?n=%08d">link %08d</a></p>\n' % (i, i)
                       for i in range(start, min(units, start + per)))
    if pad >= 7:
        yield b"<!--" + b"x" * (pad - 7) + b"-->"
    else:
        yield b"\n" * pad
    yield BIG_TAIL


_BOMB = None
_BOMB_LOCK = threading.Lock()


def bomb():
    """gzip of a 50 MiB page (mostly spaces), built once on first use."""
    global _BOMB
    with _BOMB_LOCK:
        if _BOMB is None:
            comp = zlib.compressobj(9, zlib.DEFLATED, 31)   # 31: gzip wrapper
            parts = [comp.compress(b"<!DOCTYPE html><html><body>\n")]
            spaces = b" " * (1 << 20)
            for _ in range(50):
                parts.append(comp.compress(spaces))
            parts.append(comp.compress(b'<a href="/page2.html?bomb">bomb</a></body></html>\n'))
            parts.append(comp.flush())
            _BOMB = b"".join(parts)
        return _BOMB


# ==== the screen's pages (tests/screen.t) ===================================
# /screen/rows.html: long same-host paths with their text, another host,
# a URL repeated; /screen/mixed.html: a pane that mixes tags;
# /screen/source.html: a 6,000-column line, tabs, 400 numbered lines.

SCREEN_ROWS = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Rows</title></head><body>
<a href="/news/2017/01/13/us/politics/comey-hearing-senate-intelligence-committee.html">Comey hearing text</a>
<a href="http://other.example/sport/football/2017/01/13/final-score-of-the-match.html">Sport elsewhere</a>
<a href="/news/sport/tennis.html">Tennis news</a>
<a href="/news/world.html">World news</a>
<a href="/news/sport/tennis.html">Tennis again</a>
<a href="/news/sport/tennis.html">Tennis thrice</a>
<a href="/short">Short</a>
<img src="/images/2017/01/13/us/13comey/13comey-articleLarge-v2.jpg" alt="James Comey at the hearing">
<img src="/images/a.png" alt="Plain A">
</body></html>
"""

SCREEN_MIXED = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Mixed</title></head><body>
<a href="/one.html">One</a>
<map name="m"><area href="/two.html" alt="Two"></map>
</body></html>
"""


def screen_source():
    lines = ["<!DOCTYPE html>", "<html><head><title>Source</title></head><body>",
             "<p>" + "filler " * 850 + "NEEDLE-FAR-RIGHT</p>",
             "\tTAB-ONE\tTAB-TWO"]
    lines += ["<p>numbered line %04d</p>" % i for i in range(1, 401)]
    lines += ["</body></html>", ""]
    return "\n".join(lines)


SCREEN_PAGES = {"/screen/rows.html": SCREEN_ROWS, "/screen/mixed.html": SCREEN_MIXED,
                "/screen/source.html": screen_source()}
# ==== end of the screen's pages ==============================================


# --------------------------------------------------------------------------
# Faults (tests/faults.t, tests/faults-tui.t).


def _fault_page(body, title="Fault page", meta='<meta charset="utf-8">'):
    return ("<!DOCTYPE html>\n<html><head>%s<title>%s</title></head>\n<body>\n%s\n"
            '<a href="/page2.html?last">last</a>\n</body></html>\n') % (meta, title, body)


def _head(status="200 OK", lines=(), ctype=b"text/html; charset=utf-8"):
    """A raw response head: status, Server, Content-Type (unless None),
    the raw `lines` (bytes), Connection: close."""
    out = [b"HTTP/1.1 " + status.encode(), b"Server: scraper-test"]
    if ctype is not None:
        out.append(b"Content-Type: " + ctype)
    out += list(lines)
    out.append(b"Connection: close")
    return b"\r\n".join(out) + b"\r\n\r\n"


def _chunked_head():
    return _head(lines=[b"Transfer-Encoding: chunked"])


def _redirect(location):
    body = b"<html><body>Moved</body></html>\n"
    return _head("302 Found", [b"Location: " + location, b"Content-Length: %d" % len(body)]) + body


def _with_length(body, ctype=b"text/html; charset=utf-8", lines=()):
    return _head(lines=list(lines) + [b"Content-Length: %d" % len(body)], ctype=ctype) + body


CUT_PAGE = _fault_page(
    '<a href="/page2.html?cut1">cut one</a>\n<a href="/page2.html?cut2">cut two</a>\n'
    '<a href="/page2.html?cut3">cut three</a>', "Cut page").encode()
FAULT_OK_PAGE = _fault_page('<a href="/page2.html?fault">fault page link</a>').encode()

_ESC, _BEL = b"\x1b", b"\x07"

# Byte-exact replies, sent as they are, then the connection is closed.
FAULT_RAW = {
    "truncated-links": _head(lines=[b"Content-Length: 1000"]) + CUT_PAGE,
    "chunk-illegal": _chunked_head() + b"ILLEGAL\r\n" + FAULT_OK_PAGE + b"\r\n0\r\n\r\n",
    "chunk-overflow": _chunked_head() + b"FFFFFFFFFFFFFFFFF\r\n" + FAULT_OK_PAGE + b"\r\n0\r\n\r\n",
    "chunk-cut": _chunked_head() + b"40\r\nabc",
    "redirect-gopher": _redirect(b"gopher://127.0.0.1/x"),
    "redirect-dict": _redirect(b"dict://127.0.0.1/x"),
    "location-esc": _redirect(b"/page2.html?esc=" + _ESC + b"[2J"),
    "location-space-c1": _redirect(b"/page2.html?sp=a b&c1=\xc2\x9b31m"),
    "location-bad-utf8": _redirect(b"/page2.html?bad=\xff\xfe\xc3("),
    "location-scheme": _redirect(b"pw" + _ESC + b"]0;PWNED" + _BEL + b"ned://x/"),
    "location-host": _redirect(b"http://pw\xc2\x9bned" + _ESC + b"[2J.invalid/"),
    "status-esc": b"HTTP/1.1 2" + _ESC + b"[2J0 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nabcd",
    "header-huge": _with_length(FAULT_OK_PAGE, lines=[b"X-Huge: " + b"h" * 200000]),
    "header-many": _with_length(FAULT_OK_PAGE, lines=[
        b"X-Many-%04d: " % i + b"m" * 186 for i in range(3000)]),
    "cl-negative": _head(lines=[b"Content-Length: -1"]) + FAULT_OK_PAGE,
    "cl-garbage": _head(lines=[b"Content-Length: 12abc"]) + FAULT_OK_PAGE,
    "cl-overflow": _head(lines=[b"Content-Length: 36893488147419103232"]) + FAULT_OK_PAGE,
    # trailers after a chunked body, naming a length and a file: no header
    "trailers": _chunked_head() + b"5\r\nhello\r\n0\r\nContent-Length: 1, 2\r\n"
                b"Content-Disposition: attachment; filename=\"trailer-named.txt\"\r\n\r\n",
    "cl-double": _head(lines=[b"Content-Length: %d" % len(FAULT_OK_PAGE),
                              b"Content-Length: %d" % (len(FAULT_OK_PAGE) // 2)]) + FAULT_OK_PAGE,
    "http09": FAULT_OK_PAGE,
    "empty-body": _with_length(b""),
    "binary": _with_length((PNG + b"\x00" * 61 + pattern(200)) * 16 + b"\x00" * 64),
    "cs-1251": _with_length(
        _fault_page('<a href="/page2.html?privet">Привет</a>').encode("cp1251"),
        ctype=b"text/html; charset=windows-1251"),
    "cs-bogus": _with_length(
        _fault_page('<a href="/page2.html?cafe">café</a>').encode(),
        ctype=b"text/html; charset=x-bogus"),
    "cs-bogus-nometa": _with_length(
        _fault_page('<a href="/page2.html?cafe">café</a>', meta="").encode(),
        ctype=b"text/html; charset=x-bogus"),
    "utf16": _with_length(
        b"\xff\xfe" + _fault_page('<a href="/page2.html?utf16">café UTF-16</a>', meta="")
        .encode("utf-16-le"), ctype=b"text/html"),
    "deep": _with_length(_fault_page(
        '<a href="/page2.html?before-deep">before deep</a>\n' + "<div>" * 300
        + '<a href="/page2.html?after-deep">after deep</a>' + "</div>" * 300).encode()),
    "long-urls": _with_length(_fault_page(
        '<a href="data:text/plain;base64,' + "QUJD" * 1250000 + '">data URL</a>\n'
        '<a href="/page2.html?long=' + "x" * 300000 + '">long URL</a>\n'
        '<a href="/page2.html?after-long">after long</a>').encode()),
    "nul-refs": _with_length(_fault_page(
        '<a href="/page2.html?nul1=a\x00b">NUL in href</a>\n'
        '<a href="/page2.html?nul2">NUL \x00 in text</a>\n'
        '<a href="/page2.html?nul3">refs &#0; &#x110000; &#xD800; end</a>\n'
        '<a href="/page2.html?after-nul">after nul</a>').encode()),
    "schemes": _with_length(_fault_page(
        '<a href="javascript:alert(1)">js</a>\n'
        '<a href="data:text/html,hello">data</a>\n'
        '<a href="mailto:a@example.com">mail</a>\n'
        '<a href="file:///etc/passwd">file</a>\n'
        '<a href="about:blank">about</a>').encode()),
    "wide": _with_length(_fault_page(
        '<a href="/page2.html?cjk=' + "漢" * 60 + '">' + "字" * 60 + '</a>\n'
        '<a href="/page2.html?comb=e' + "\u0301" * 50 + '">e' + "\u0301" * 50 + ' combining</a>\n'
        '<a href="/page2.html?zwj=\U0001F468\u200D\U0001F469\u200D\U0001F467">'
        'family \U0001F468\u200D\U0001F469\u200D\U0001F467 ' + "\U0001F600" * 40 + '</a>').encode()),
    "bad-tag": _with_length(
        b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>bad tag</title></head>\n"
        b"<body>\n<foo " + _ESC + b"[2J>\n<a href=\"/page2.html?bad-tag\">bad tag</a>\n<bar "
        + _ESC + b"]0;PWNED" + _BEL + b">x</bar>\n<a href=\"/page2.html?last\">last</a>\n</body></html>\n",
        lines=[b"X-A: " + _ESC + b"[2J " + _ESC + b"]0;PWNED" + _BEL]),
    "bad-header-utf8": _with_length(FAULT_OK_PAGE, lines=[b"X-Bad: \xff\xfe\xc3( \xc2\x9b"]),
    "bidi-name": _with_length(_fault_page(
        '<a href="/files/\u202egpj.exe">bidi name</a>').encode()),
    "a.txt": _redirect(b"/files/.profile"),
    "cd": _with_length(b"content-disposition body\n", ctype=b"text/plain",
                       lines=[b'Content-Disposition: attachment; filename="../../x"']),
    "cd-abs": _with_length(b"content-disposition body\n", ctype=b"text/plain",
                           lines=[b'Content-Disposition: attachment; filename="/etc/passwd"']),
    "dl-page": _with_length(_fault_page(
        '<a href="/fault/slow-dl/slow.bin">slow download</a>\n'
        '<a href="/download/big.bin?bytes=1000000">one megabyte</a>\n'
        '<a href="/fault/stream/endless.bin">endless stream</a>\n'
        '<a href="/truncated">truncated download</a>\n'
        '<a href="/404">missing download</a>\n'
        '<a href="/files/\u202egpj.exe">bidi name</a>\n'
        '<a href="/download/small.bin?bytes=1000">small download</a>', "Downloads").encode()),
    # charset labels that cannot be right for the bytes
    "cs-header-utf16": _with_length(
        _fault_page('<a href="/page2.html?cafe">café</a>', meta="").encode(),
        ctype=b"text/html; charset=utf-16"),
    "cs-header-ibm037": _with_length(
        _fault_page('<a href="/page2.html?ascii">plain ASCII</a>', meta="").encode(),
        ctype=b"text/html; charset=IBM037"),
    "cs-meta-utf16": _with_length(
        _fault_page('<a href="/page2.html?cafe">café</a>', meta='<meta charset="utf-16">')
        .encode(), ctype=b"text/html"),
    "cs-utf32": _with_length(
        b"\xff\xfe\x00\x00" + _fault_page('<a href="/page2.html?utf32">café UTF-32</a>', meta="")
        .encode("utf-32-le"), ctype=b"text/html"),
    "cs-declared-wrong": _with_length(
        _fault_page('<a href="/page2.html?qq">腾讯首页</a>', title="腾讯首页",
                    meta='<meta charset="gb2312">').encode(), ctype=b"text/html"),
    # labels whose browsers' charset is a superset of glibc's strict one
    "cs-gb2312-superset": _with_length(
        _fault_page('<a href="/page2.html?gb">啰嗦</a>', meta='<meta charset="gb2312">')
        .encode("gb18030"), ctype=b"text/html"),
    "cs-latin5-superset": _with_length(
        _fault_page('<a href="/page2.html?tr">‘ok’ ğ</a>', meta='<meta charset="iso-8859-9">')
        .encode("cp1254"), ctype=b"text/html"),
    # a body its Content-Encoding cannot decode; headers over libcurl's total
    "br-bad": _with_length(b"\x0b\x03\x80garbage, not brotli",
                           lines=[b"Content-Encoding: br"]),
    "cookies-many": _with_length(FAULT_OK_PAGE, lines=[
        b"Set-Cookie: c%05d=" % i + b"v" * 16 for i in range(10000)]),
    # 5,000 combining marks in one href: zero columns wide
    "zero-width": _with_length(_fault_page(
        '<a href="/page2.html?zw=e' + "\u0300" * 5000 + '">e' + "\u0300" * 5000 + '</a>\n'
        '<a href="/page2.html?zw2=' + "\u200b" * 3000 + '">zero width spaces</a>').encode()),
}

# Pages that name the server's port: built per request.
FAULT_PORT_PAGES = {
    "relative": _fault_page(
        '<a href="//127.0.0.1:{port}/net-path">net path</a>\n'
        '<a href="../../../../up4">dot dot</a>\n'
        '<a href="?q=1">query</a>\n'
        '<a href="#frag">fragment</a>\n'
        '<a href=" \t /spaced \n ">spaced</a>\n'
        '<a href="HTTP://127.0.0.1:{port}/UPPER">upper scheme</a>'),
}


# ---- records and the batch output (tests/rows.t, tests/rows-tui.t) --------

ROWS_LAZY = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Lazy rows</title>
<link rel="Stylesheet" href="/files/style.css">
<link rel="canonical" href="/rows/lazy">
<link rel=" alternate
  ICON " href="/img/favicon.ico">
<link href="/files/norel.css">
</head><body>
<a href="/page2.html?nofollow" rel="nofollow noopener">Follow me not</a>
<a href="/page2.html?plain">Plain link</a>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="
 data-src="/img/lazy.jpg" data-srcset="/img/lazy-480.jpg 480w, /img/lazy-960.jpg 960w" alt="Lazy">
<img src="img/sharp.png" srcset="img/sharp.png 1x,
   /img/sharp@2x.png  2x , /img/sharp-plain.png" rel="ignored" alt="Sharp">
<img data-original="/img/orig.jpg" data-lazy-src="/img/lazysrc.jpg"
 data-lazy-srcset="/img/ls.jpg 1.5x" alt="Other loaders">
<picture><source data-srcset="/img/pic.webp 2x" type="image/webp">
<source data-lazy-srcset="/img/pic2.webp 800w"></picture>
<video data-src="/media/clip.mp4" data-poster="/img/poster.jpg">
<source data-src="/media/clip.webm"></video>
<iframe data-src="/page2.html?frame" title="Lazy frame"></iframe>
<iframe data-lazy-src="/page2.html?frame2"></iframe>
<map name="m"><area href="/page2.html?area" rel="help" alt="Area"></map>
<div data-src="/img/not-a-record.jpg"></div>
</body></html>
"""


def route_rows(handler, name):
    """The /rows/ routes; False when there is no such route."""
    if name == "lazy":
        handler.page(ROWS_LAZY)
    elif name == "redirect":
        handler.send(301, "Moved Permanently", b"<html><body>Moved</body></html>\n",
                     extra=["Location: /rows/lazy", "Set-Cookie: a=1", "X-Rows: one",
                            "Set-Cookie: b=2"])
    else:
        return False
    return True

# ---- end of records and the batch output ----------------------------------


def records_page(n, base, meta=True, late=-1, nul=-1):
    """Many records, in the shapes that decide when a record is final."""
    out = ['<!DOCTYPE html><html><head>%s<title>Records</title></head><body>\n'
           % ('<meta charset="utf-8">' if meta else '')]
    for i in range(n):
        text = "caf\udce9" if i == late else "caf\0e" if i == nul else "caf\u00e9"
        out.append('<p><a href="/r/%d?x=1#f">link %d %s</a> <img src="i%d.png" '
                   'srcset="s%d-1.png 1x, s%d-2.png 2x" alt="alt %d"></p>\n'
                   % (i, i, text, i, i, i, i))
    out.append('<a href="/open">open around images ')
    out.extend('<img src="/in/%d.png">' % i for i in range(2500))
    out.append(' end of open</a>\n<a href="/outer">outer <a href="/inner">inner</a> tail</a>\n')
    out.append('<a href="/last">never closed')
    if base:
        out.append('<BASE href="http://base.example/dir/">')
    return "".join(out).encode("utf-8", "surrogateescape")


TRICKLE_HEAD = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Trickle</title>'
                '</head><body>\n' + "".join('<p><a href="/t/%d">filler %d</a></p>\n' % (i, i)
                                            for i in range(160))).encode()
TRICKLE_TAIL = "".join(
    '<!-- <a href="/hidden/%d">hidden</a> --><a href="/v/%d?x=1&amp;y=2">amp &eacute;'
    ' &#233;</a><textarea><a href="/in-textarea/%d">t</a></textarea><title>t%d</title>'
    '<img src="/i/%d.png" alt="a &lt; b"><script>var s = "<a href=\'/in-script\'>";</script>\n'
    % ((i,) * 5) for i in range(12)).encode()


def many_attrs_page(n):
    return _fault_page(
        '<a href="/page2.html?before-attrs">before attrs</a>\n<p '
        + " ".join("a%d=%d" % (i, i) for i in range(n))
        + '>many attributes</p>\n<a href="/page2.html?after-attrs">after attrs</a>').encode()



# --------------------------------------------------------------------------
# Request handling


class Request:
    def __init__(self, method, target, headers):
        self.method = method
        self.target = target
        parts = urllib.parse.urlsplit(target)
        self.path = parts.path
        self.query = urllib.parse.parse_qs(parts.query)
        self.headers = headers


class Handler(socketserver.BaseRequestHandler):
    """One connection, one request, one response, then close."""

    def handle(self):
        sock = self.request
        sock.settimeout(30 * float(os.environ.get("TIME_SCALE") or 1))   # tests' time limits scale
        if isinstance(sock, ssl.SSLSocket):
            try:
                sock.do_handshake()
            except (ssl.SSLError, OSError) as e:
                log_line("TLS handshake failed: %s" % (getattr(e, "reason", None) or e))
                return
        try:
            req = self.read_request(sock)
            if req is None:
                return
            log_request(req)
            self.port = self.server.server_address[1]
            self.dispatch(req)
        except OSError:
            pass        # the client went away (e.g. a size cap hit): fine
        finally:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    @staticmethod
    def read_request(sock):
        data = b""
        while b"\r\n\r\n" not in data:
            piece = sock.recv(4096)
            if not piece or len(data) > 65536:
                return None
            data += piece
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        lines = head.split("\r\n")
        try:
            method, target, _version = lines[0].split(" ", 2)
        except ValueError:
            return None
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        return Request(method, target, headers)

    # -- response helpers ---------------------------------------------------

    def send(self, status, reason, body=b"", ctype="text/html; charset=utf-8",
             extra=(), length=None):
        """Send a response. `extra`: raw header lines (bytes or str).
        `length`: the Content-Length to announce (default len(body), which
        may be a lie on purpose), or False for none."""
        lines = [b"HTTP/1.1 %d %s" % (status, reason.encode()), b"Server: scraper-test"]
        if ctype:
            lines.append(b"Content-Type: " + ctype.encode())
        if length is not False:
            lines.append(b"Content-Length: %d" % (len(body) if length is None else length))
        for h in extra:
            lines.append(h if isinstance(h, bytes) else h.encode())
        lines.append(b"Connection: close")
        self.request.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)

    def page(self, text, status=200, reason="OK"):
        self.send(status, reason, text.replace("{port}", str(self.port)).encode("utf-8"))

    def redirect(self, location, status=302):
        reason = {301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect"}[status]
        body = b"<html><body>Moved</body></html>\n"
        self.send(status, reason, body, extra=["Location: " + location])

    def error(self, status, reason):
        self.page(ERROR_PAGE.replace("{status}", str(status)).replace("{reason}", reason),
                  status, reason)

    def send_chunked(self, pieces, ctype="text/html; charset=utf-8"):
        self.request.sendall(
            b"HTTP/1.1 200 OK\r\nServer: scraper-test\r\nContent-Type: " + ctype.encode()
            + b"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        for p in pieces:
            if p:
                self.request.sendall(b"%x\r\n%s\r\n" % (len(p), p))
        self.request.sendall(b"0\r\n\r\n")

    def int_arg(self, req, name, default, limit=1 << 31):
        try:
            return max(0, min(limit, int(req.query.get(name, [default])[0])))
        except ValueError:
            return default

    # -- routes ---------------------------------------------------------------

    def dispatch(self, req):
        p = req.path
        simple = {
            "/page2.html": PAGE2, "/base.html": BASE, "/frames.html": FRAMES,
            "/chain-end/dir/final.html": CHAIN_END, "/chain/0": CHAIN_END,
        }
        if p in ("/", "/index.html"):
            self.page(DEMO)
        elif p in simple:
            self.page(simple[p])
        elif p in SCREEN_PAGES:  # the screen's pages (tests/screen.t)
            self.page(SCREEN_PAGES[p])
        elif p == "/redirect":
            self.redirect("http://127.0.0.1:%d/page2.html" % self.port)
        elif p.startswith("/chain/"):
            self.route_chain(p[len("/chain/"):])
        elif p == "/loop":
            self.redirect("/loop")
        elif p == "/redirect-file":
            self.redirect("file:///etc/passwd")
        elif p == "/redirect-ftp":
            self.redirect("ftp://127.0.0.1/x")
        elif p == "/gzip":
            self.send(200, "OK", gzip.compress(GZIP_PAGE.encode(), mtime=0),
                      extra=["Content-Encoding: gzip"])
        elif p == "/chunked":
            body = CHUNKED_PAGE.encode()
            cuts = (0,) + CHUNK_CUTS + (len(body),)
            self.send_chunked(body[a:b] for a, b in zip(cuts, cuts[1:]))
        elif p == "/gzip-bad":
            self.send(200, "OK", b"\x1f\x8b\x08garbage", extra=["Content-Encoding: gzip"])
        elif p in CHARSET_PAGES:
            ctype, body = CHARSET_PAGES[p]
            self.send(200, "OK", body, ctype=ctype)
        elif p == "/404":
            self.error(404, "Not Found")
        elif p == "/500":
            self.error(500, "Internal Server Error")
        elif p == "/slow":
            self.route_slow()
        elif p == "/stall":
            self.send(200, "OK", length=100)
            STOP.wait(60)
        elif p == "/truncated":
            self.send(200, "OK", b"<html><bod", length=1000)
        elif p == "/empty-reply":
            pass
        elif p == "/big":
            body = b"".join(big_body(self.int_arg(req, "bytes", 1 << 20)))
            self.send(200, "OK", body)
        elif p == "/big-chunked":
            self.send_chunked(big_body(self.int_arg(req, "bytes", 1 << 20)))
        elif p == "/trickle":
            rng = random.Random(7)
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.request.sendall(_with_length(TRICKLE_HEAD + TRICKLE_TAIL)
                                 [:-len(TRICKLE_TAIL)])
            pos = 0
            most = self.int_arg(req, "most", 3, 64)
            while pos < len(TRICKLE_TAIL) and not STOP.wait(0.001):
                n = rng.randint(1, max(1, most))
                self.request.sendall(TRICKLE_TAIL[pos:pos + n])
                pos += n
        elif p == "/bomb-slow":
            body = many_attrs_page(100000)
            self.send_chunked(body[i:i + 65536] for i in range(0, len(body), 65536)
                              if not STOP.wait(0.05))
        elif p == "/big-slow":
            self.send_chunked(piece for piece in big_body(4 << 20) if not STOP.wait(0.1))
        elif p == "/records":
            meta = req.query.get("meta") != ["0"]
            self.send(200, "OK", records_page(self.int_arg(req, "n", 3000, 100000),
                                              req.query.get("base") == ["1"], meta,
                                              self.int_arg(req, "late", 1 << 31),
                                              self.int_arg(req, "nul", 1 << 31)),
                      ctype="text/html; charset=utf-8" if meta else "text/html")
        elif p == "/bomb":
            self.send(200, "OK", bomb(), extra=["Content-Encoding: gzip"])
        elif p == "/hostile":
            self.send(200, "OK", HOSTILE, extra=[HOSTILE_HEADER])
        elif p.startswith("/download/") and len(p) > len("/download/"):
            n = self.int_arg(req, "bytes", len(DOWNLOAD), 1 << 26)
            body = DOWNLOAD[:n] if n <= len(DOWNLOAD) else pattern(n)
            self.send(200, "OK", body, ctype="application/octet-stream")
        elif p.startswith(("/img/", "/media/", "/files/")):
            self.route_fake(p)
        elif p.startswith("/fault/") and self.route_fault(req):
            pass
        elif p.startswith("/in/") and self.route_input(req):
            pass
        elif p.startswith("/rows/") and route_rows(self, p[len("/rows/"):]):
            pass  # records and the batch output (tests/rows.t, tests/rows-tui.t)
        elif p.startswith("/story/") or req.target.startswith("http://"):
            self.route_story(req)      # ==== story block: see route_story ====
        else:
            self.error(404, "Not Found")

    # ==== story block (tests/story.t): the Transfer story's steps ==========
    def route_story(self, req):
        """The /story/ routes and the proxy's absolute-URI requests (see
        the top of this file)."""
        scale = float(os.environ.get("TIME_SCALE") or 1)
        p = req.path
        if req.target.startswith("http://"):
            host = urllib.parse.urlsplit(req.target).netloc
            self.page("<html><head><title>via the proxy</title></head><body>"
                      "<a href=\"/asked\">asked for %s</a></body></html>\n" % host.replace("<", "").replace("&", ""))
        elif p == "/story/delay":
            if not STOP.wait(self.int_arg(req, "ms", 300, 60000) * scale / 1000.0):
                self.page(PAGE2)
        elif p == "/story/hop":
            self.redirect("/story/delay?ms=%d" % self.int_arg(req, "ms", 300, 60000))
        elif p == "/story/silent":
            STOP.wait(60)
        elif p == "/story/304":
            self.send(304, "Not Modified", ctype=None, length=False)
        else:
            self.error(404, "Not Found")
    # ==== end of the story block ==============================================

    def route_chain(self, rest):
        try:
            n = int(rest)
        except ValueError:
            return self.error(404, "Not Found")
        if n <= 0:
            return self.page(CHAIN_END)
        location = "/chain/%d" % (n - 1) if n > 1 else "/chain-end/dir/final.html"
        self.redirect(location, (302, 301, 307)[n % 3])

    def route_slow(self):
        body = SLOW_PAGE.encode()
        self.send(200, "OK", length=len(body))
        step = -(-len(body) // 15)
        for i in range(0, len(body), step):
            if STOP.wait(0.2):
                return
            self.request.sendall(body[i:i + step])

    def route_fake(self, path):
        ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
        ctype = FAKE_TYPES.get(ext, "application/octet-stream")
        if ext == "png":
            body = PNG
        elif ctype.startswith(("text/", "application/pdf")):
            body = ("fake %s file for %s\n" % (ext or "data", path)).encode("utf-8")
        else:
            body = b"FAKE-" + ext.encode() + b"\x00\x01\x02" + pattern(64)
        self.send(200, "OK", body, ctype=ctype)


    def route_fault(self, req):
        """The /fault/NAME routes (see the top of this file); False when
        NAME is none of them (the caller answers 404)."""
        name = req.path[len("/fault/"):].split("/", 1)[0]
        port = str(self.port)
        if name in FAULT_RAW:
            self.request.sendall(FAULT_RAW[name])
        elif name in FAULT_PORT_PAGES:
            self.request.sendall(_with_length(FAULT_PORT_PAGES[name].replace("{port}", port).encode()))
        elif name == "many-attrs":
            self.request.sendall(_with_length(many_attrs_page(self.int_arg(req, "n", 40000, 1 << 20))))
        elif name == "stray-end-tags":
            n = self.int_arg(req, "n", 150000, 1 << 24)
            self.request.sendall(_with_length(
                b'<a href="/page2.html?first">first</a>' + b"<b>" * n + b"</i>" * n
                + b'<a href="/page2.html?last">last</a>'))
        elif name == "attr-flood":
            n = self.int_arg(req, "n", 11043, 1 << 16)
            tag = b"<p " + b" ".join(b"a%d=1" % i for i in range(n)) + b">\n"
            self.request.sendall(_with_length(
                b'<a href="/page2.html?first">first</a>' + tag * self.int_arg(req, "tags", 100, 1000)
                + b'<a href="/page2.html?last">last</a>'))
        elif name == "attr-bypass":
            # bytes the scanner once read otherwise than libxml2, each hiding
            # 30 tags of 11,000 attributes
            kind = req.query.get("kind", ["digit"])[0]
            flood = b" ".join(b"x%d" % i for i in range(11000))
            tag = {"digit": b'<a 1=" ' + flood + b' ">t</a>\n',
                   "eq": b'<a =" ' + flood + b' ">t</a>\n',
                   "at": b'<a @x=" ' + flood + b' ">t</a>\n',
                   "slash": b'<a /=" ' + flood + b' ">t</a>\n'}.get(kind, b"<a " + flood + b">t</a>\n")
            lead = {"comment-quote": b'<!-- <a b=" -->', "comment-script": b"<!-- <script> -->",
                    "script-self": b"<script/>"}.get(kind, b"")
            self.request.sendall(_with_length(
                b'<a href="/page2.html?first">first</a>' + lead + tag * 30
                + b'<a href="/page2.html?last">last</a>'))
        elif name == "script-at-slice":
            # a <script> across the 1 MiB boundary of the guard's scan, holding
            # 300 words after a "<b": script text, not a tag to cut
            head = b'<a href="/page2.html?first">first</a>\n'
            pad = b"<!-- " + b"p" * ((1 << 20) - 4 - len(head) - 9) + b" -->\n"
            self.request.sendall(_with_length(
                head + pad + b"<script>if (a<b " + b" ".join(b"w%d" % i for i in range(300))
                + b") {}</script>\n<a href=\"/page2.html?last\">last</a>"))
        elif name == "trickle":
            self.request.sendall(_head(lines=[b"Content-Length: 100"]))
            for i in range(100):
                if STOP.wait(1):
                    return True
                self.request.sendall(b"x")
        elif name == "huge-cl":
            self.request.sendall(_head(lines=[b"Content-Length: 50000000"]) + b" " * 1024)
            STOP.wait(30)
        elif name == "stream":
            self.request.sendall(b"HTTP/1.0 200 OK\r\nServer: scraper-test\r\n"
                                 b"Content-Type: application/octet-stream\r\n\r\n")
            block = pattern(65536)
            for _ in range(32768):      # 2 GiB at most
                if STOP.is_set():
                    break
                self.request.sendall(block)
        elif name == "slow-dl":
            block = pattern(65536)
            self.request.sendall(_head(lines=[b"Content-Length: %d" % (64 * len(block))],
                                       ctype=b"application/octet-stream"))
            for _ in range(64):
                if STOP.wait(0.1):
                    break
                self.request.sendall(block)
        else:
            return False
        return True


    # ---- inputs and names (tests/input.t, tests/input-tui.t) ------------------
    # /in/photo.jpg?bytes=N  N bytes (default 3,000,000) of image/jpeg holding
    #                        NULs and an <a href="/in/inside-image"> (not parsed)
    # /in/notype             no Content-Type: the same bytes, 4,000 of them
    # /in/notype-page        no Content-Type: a page with a link ?notype-page
    # /in/data.json, /in/feed.xml, /in/plain.txt   application/json,
    #                        application/xml, text/plain, each holding an
    #                        <a href="/in/inside-text"> and a line "TEXT-MARK"
    # /in/download?id=N      application/pdf, Content-Disposition: attachment;
    #                        filename="Q3-report.pdf"
    # /in/report, /in/images/   application/pdf and text/html, no disposition
    # /in/cd?f=VALUE         text/plain, Content-Disposition: attachment;
    #                        filename=VALUE (the query value, sent as it is)
    # /in/names.html         links to /in/download?id=42, /in/report, /in/images/
    #                        and /page2.html (for d on the screen)
    def route_input(self, req):
        name = req.path[len("/in/"):]
        inside = b'<a href="/in/inside-image">inside</a>\x00'
        if name == "photo.jpg":
            n = self.int_arg(req, "bytes", 3000000, 1 << 26)
            body = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + inside * (n // len(inside) + 1))[:n]
            self.send(200, "OK", body, ctype="image/jpeg")
        elif name == "notype":
            self.send(200, "OK", (b"\x89PNG\x00" + inside * 200)[:4000], ctype=None)
        elif name == "notype-page":
            self.send(200, "OK", b'<!DOCTYPE html><title>no type</title>'
                      b'<a href="/page2.html?notype-page">no type</a>', ctype=None)
        elif name in ("data.json", "feed.xml", "plain.txt"):
            ctype = {"data.json": "application/json", "feed.xml": "application/xml",
                     "plain.txt": "text/plain; charset=utf-8"}[name]
            body = ('{"html": "<a href=\\"/in/inside-text\\">x</a>"}\nTEXT-MARK caf\u00e9\n'
                    '<link href="/in/inside-text"/>\n').encode()
            self.send(200, "OK", body, ctype=ctype)
        elif name == "download":
            self.send(200, "OK", b"%PDF-1.4 fake report\n", ctype="application/pdf",
                      extra=['Content-Disposition: attachment; filename="Q3-report.pdf"'])
        elif name == "report":
            self.send(200, "OK", b"%PDF-1.4 fake report\n", ctype="application/pdf")
        elif name == "images/":
            self.page(PAGE2)
        elif name == "cd":
            value = urllib.parse.unquote_to_bytes(req.target.split("f=", 1)[-1])
            self.send(200, "OK", b"content-disposition body\n", ctype="text/plain",
                      extra=[b"Content-Disposition: attachment; filename=" + value])
        elif name == "names.html":
            self.page('<!DOCTYPE html><title>names</title>\n'
                      '<a href="/in/download?id=42">the report</a>\n'
                      '<a href="/in/report">report, no extension</a>\n'
                      '<a href="/in/images/">a directory</a>\n'
                      '<a href="/page2.html">page two</a>\n')
        else:
            return False
        return True
    # ---- end of inputs and names -----------------------------------------------


def log_request(req):
    if LOG is None:
        return
    lines = ["%s %s" % (req.method, req.target)]
    lines += ["%s: %s" % h for h in req.headers]
    with LOG_LOCK:
        LOG.write("\n".join(lines) + "\n\n")
        LOG.flush()


def log_line(line):
    """A line of its own in the log (and an empty line), e.g. a failed TLS
    handshake, which never becomes a request."""
    if LOG is None:
        return
    with LOG_LOCK:
        LOG.write(line + "\n\n")
        LOG.flush()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True          # a stalled handler never delays exit
    allow_reuse_address = True
    request_queue_size = 64


class TLSServer(Server):
    """The same routes over TLS; the handshake happens in the handler's
    thread (Handler.handle), so a client that refuses the certificate never
    holds up the listener."""
    context = None

    def get_request(self):
        sock, addr = super().get_request()
        return self.context.wrap_socket(sock, server_side=True,
                                        do_handshake_on_connect=False), addr


# ==== request options (tests/request.t, tests/request-tui.t) ==============
# What the server received, for the tests of curl's request options:
#   /echo             JSON of the request: method, target, headers (a list of
#                     [name, value]), cookies (an object) and body (text)
#   /echo-page        the same JSON in a <pre> of an HTML page with a link to
#                     /echo-page?followed (for the screen)
#   /cookie/set       sets "session=s3cret-cookie" (Path=/), links to /cookie/need
#   /cookie/need      200 when the request carries that cookie, else 403
#   /redirect-echo    302 -> /echo
# The body of a request (Content-Length) is read here only: the routes above
# are dispatched before the others.

def _read_request_with_body(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(4096)
        if not piece or len(data) > 65536:
            return None
        data += piece
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, _version = lines[0].split(" ", 2)
    except ValueError:
        return None
    headers = [tuple(x.strip() for x in line.partition(":")[::2]) for line in lines[1:]]
    want = 0
    for name, value in headers:
        if name.lower() == "content-length" and value.isdigit():
            want = min(int(value), 1 << 20)
    while len(body) < want:
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    req = Request(method, target, headers)
    req.body = body
    return req


def _echo_json(req):
    cookies = {}
    for name, value in req.headers:
        if name.lower() == "cookie":
            for part in value.split(";"):
                k, _, v = part.strip().partition("=")
                if k:
                    cookies[k] = v
    import json
    return json.dumps({"method": req.method, "target": req.target,
                       "headers": [list(h) for h in req.headers], "cookies": cookies,
                       "body": req.body.decode("utf-8", "backslashreplace")})


_dispatch_before_request_options = Handler.dispatch


def _dispatch_request_options(self, req):
    p = req.path
    if p == "/echo":
        self.send(200, "OK", _echo_json(req).encode(), ctype="application/json")
    elif p == "/echo-page":
        import html
        self.page('<!doctype html><title>echo</title><pre>%s</pre>\n'
                  '<a href="/echo-page?followed">follow me</a>\n' % html.escape(_echo_json(req)))
    elif p == "/cookie/set":
        self.send(200, "OK", b'<a href="/cookie/need">need</a>\n',
                  extra=["Set-Cookie: session=s3cret-cookie; Path=/"])
    elif p == "/cookie/need":
        if "session=s3cret-cookie" in "; ".join(v for n, v in req.headers if n.lower() == "cookie"):
            self.page("<title>welcome back</title><p>cookie seen</p>")
        else:
            self.error(403, "Forbidden")
    elif p == "/redirect-echo":
        self.redirect("/echo")
    else:
        _dispatch_before_request_options(self, req)


Handler.read_request = staticmethod(_read_request_with_body)
Handler.dispatch = _dispatch_request_options
# ==== end of request options ================================================

# ==== curl on the screen (tests/curl-tui.t) ================================
# Requests whose body and headers a test reads back after the screen made them:
#   /curl/echo[...]   the request as /echo's JSON, in a <pre> of an HTML page
#                     that links to /curl/echo?followed; remembered
#   /curl/last        the JSON of the last /curl/echo request (404: none yet)
# Reads bodies as the request options block does (dispatched before it).

_curl_last = []

_dispatch_before_curl = Handler.dispatch


def _dispatch_curl(self, req):
    p = req.path
    if p == "/curl/echo":
        import html
        text = _echo_json(req)
        _curl_last[:] = [text]
        self.page('<!doctype html><title>curl echo</title><pre>%s</pre>\n'
                  '<a href="/curl/echo?followed">follow me</a>\n' % html.escape(text))
    elif p == "/curl/last":
        if _curl_last:
            self.send(200, "OK", _curl_last[0].encode(), ctype="application/json")
        else:
            self.error(404, "Not Found")
    else:
        _dispatch_before_curl(self, req)


Handler.dispatch = _dispatch_curl
# ==== end of curl on the screen =============================================


# ---- the download queue and link checks ------------------------------------
# /q/gallery?k=K     images for --download: two of one name, a 404, a 429 (then
#                    200), one broken halfway (then resumed with Range), one
#                    named by Content-Disposition, a data: URL, a link, a video
# /q/whole.bin       the broken one's bytes, whole
# /q/links           links for --check: 200, 404, HEAD refused (405, 403),
#                    403 either way, a redirect, #fragments found and not, a
#                    refused port, mailto:
# /q/polite-page?n=N N links to /q/polite/I, which answers 429 (Retry-After:
#                    1) while 2 requests are in flight, else 200 after 0.2 s
# /q/busy-day        429 with Retry-After: 86400, always
# /q/slow?n=BYTES    a download at 20 KB/s, to watch
# /q/slow-page?n=BYTES&c=C  C links to such downloads
# /q/norange-page?k=K  a link to /q/norange.bin, broken halfway the first time
#                    and offering no ranges: a Range request gets 416
QUEUE_LOCK = threading.Lock()
QUEUE_SEEN = {}               # path?query -> requests so far
QUEUE_INFLIGHT = [0]
QUEUE_BROKEN = pattern(100000)


def _queue_count(req):
    with QUEUE_LOCK:
        QUEUE_SEEN[req.target] = QUEUE_SEEN.get(req.target, 0) + 1
        return QUEUE_SEEN[req.target]


def _queue_range(req):
    for name, value in req.headers:
        if name.lower() == "range" and value.startswith("bytes=") and value.endswith("-"):
            return int(value[6:-1])
    return None


def _queue_gallery(self, k):
    q = "?k=" + k
    self.page('<!doctype html><title>gallery</title>\n'
              '<img src="/q/img/a.png%s" alt="a">\n<img src="/q/img2/a.png%s" alt="a again">\n'
              '<img src="/q/missing.png" alt="missing">\n<img src="/q/busy.png%s" alt="busy">\n'
              '<img src="/q/broken.bin%s" alt="broken">\n<img src="/q/cd%s" alt="named">\n'
              '<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline">\n'
              '<a href="/q/img/link.png%s">a link</a>\n<video src="/q/clip.webm%s"></video>\n'
              % (q, q, q, q, q, q, q))


def _queue_broken(self, req):
    start = _queue_range(req)
    if start is not None and 0 < start < len(QUEUE_BROKEN):
        self.send(206, "Partial Content", QUEUE_BROKEN[start:], ctype="application/octet-stream",
                  extra=["Content-Range: bytes %d-%d/%d" % (start, len(QUEUE_BROKEN) - 1,
                                                           len(QUEUE_BROKEN))])
        return
    # the whole announced, 40% sent, then the connection drops
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            b"Accept-Ranges: bytes\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % len(QUEUE_BROKEN))
    self.request.sendall(head + QUEUE_BROKEN[:40000])


def _queue_links(self):
    self.page('<!doctype html><title>links</title><h2 id="self">Links</h2>\n'
              '<a href="/q/ok">ok</a>\n<a href="/q/gone">gone</a>\n'
              '<a href="/q/nohead">no HEAD</a>\n<a href="/q/headforbidden">HEAD forbidden</a>\n'
              '<a href="/q/forbidden">forbidden</a>\n<a href="/q/moved">moved</a>\n'
              '<a href="/q/target#here">here</a>\n<a href="/q/target#nowhere">nowhere</a>\n'
              '<a href="/q/target#named">named</a>\n<a href="#self">self</a>\n'
              '<a href="http://127.0.0.1:1/">refused</a>\n<a href="mailto:a@example.com">mail</a>\n')


def _queue_polite(self):
    with QUEUE_LOCK:
        busy = QUEUE_INFLIGHT[0] >= 2
        if not busy:
            QUEUE_INFLIGHT[0] += 1
    if busy:
        self.send(429, "Too Many Requests", b"busy\n", ctype="text/plain",
                  extra=["Retry-After: 1"])
        return
    time.sleep(0.2)
    with QUEUE_LOCK:           # out of flight before the answer leaves
        QUEUE_INFLIGHT[0] -= 1
    self.page("<title>polite</title>ok\n")


def _queue_slow(self, req):
    n = self.int_arg(req, "n", 200000, 1 << 24)
    self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n" % n)
    sent = 0
    while sent < n and not STOP.is_set():
        piece = DOWNLOAD[:min(2000, n - sent)]
        self.request.sendall(piece)
        sent += len(piece)
        time.sleep(0.1)


def _queue_simple(self, req, p):
    if p.startswith(("/q/img/", "/q/img2/")):
        self.send(200, "OK", b"PNG " + p.encode(), ctype="image/png")
    elif p == "/q/busy.png":
        if _queue_count(req) == 1:
            self.send(429, "Too Many Requests", b"slow down\n", ctype="text/plain",
                      extra=["Retry-After: 1"])
        else:
            self.send(200, "OK", b"PNG busy", ctype="image/png")
    elif p == "/q/busy-day":
        self.send(429, "Too Many Requests", b"come back tomorrow\n", ctype="text/plain",
                  extra=["Retry-After: 86400"])
    elif p == "/q/cd":
        self.send(200, "OK", b"JPEG", ctype="image/jpeg",
                  extra=['Content-Disposition: attachment; filename="photo.jpg"'])
    elif p == "/q/clip.webm":
        self.send(200, "OK", b"WEBM", ctype="video/webm")
    elif p in ("/q/ok", "/q/target"):
        self.page('<title>ok</title><p id="here">here</p><a name="named">n</a>\n')
    elif p in ("/q/nohead", "/q/headforbidden") and req.method == "HEAD":
        self.error(405 if p == "/q/nohead" else 403, "No HEAD here")
    elif p in ("/q/nohead", "/q/headforbidden"):
        self.page("<title>GET only</title>\n")
    elif p == "/q/forbidden":
        self.error(403, "Forbidden")
    elif p == "/q/moved":
        self.redirect("/q/ok", 301)
    else:
        return False
    return True


_dispatch_before_queue = Handler.dispatch


def _dispatch_queue(self, req):
    p = req.path
    if not p.startswith("/q/"):
        _dispatch_before_queue(self, req)
    elif p == "/q/gallery":
        _queue_gallery(self, req.query.get("k", ["0"])[0])
    elif p == "/q/broken.bin":
        _queue_broken(self, req)
    elif p == "/q/whole.bin":
        self.send(200, "OK", QUEUE_BROKEN, ctype="application/octet-stream")
    elif p == "/q/links":
        _queue_links(self)
    elif p == "/q/polite-page":
        n = self.int_arg(req, "n", 40, 10000)
        self.page("<title>polite</title>\n" + "".join(
            '<a href="/q/polite/%d">%d</a>\n' % (i, i) for i in range(n)))
    elif p.startswith("/q/polite/"):
        _queue_polite(self)
    elif p == "/q/slow":
        _queue_slow(self, req)
    elif p == "/q/norange-page":
        self.page('<a href="/q/norange.bin?k=%s">n</a>\n' % req.query.get("k", ["0"])[0])
    elif p == "/q/norange.bin":
        if _queue_range(req) is not None:
            self.error(416, "Range Not Satisfiable")
        elif _queue_count(req) == 1:
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                                 b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                                 % len(QUEUE_BROKEN) + QUEUE_BROKEN[:40000])
        else:
            self.send(200, "OK", QUEUE_BROKEN, ctype="application/octet-stream")
    elif p == "/q/slow-page":
        n, c = self.int_arg(req, "n", 200000), self.int_arg(req, "c", 1, 100)
        self.page("<title>slow</title>\n" + "".join(
            '<a href="/q/slow?n=%d&amp;i=%d">slow %d</a>\n' % (n, i, i) for i in range(c)))
    elif not _queue_simple(self, req, p):
        self.error(404, "Not Found")


Handler.dispatch = _dispatch_queue
# ---- end of the download queue and link checks ------------------------------


# ==== marks, export and pipe (tests/marks-tui.t, tests/export.t) ============
MARKS_PAGE = """<!doctype html><meta charset="utf-8"><title>Marks page</title>
<a href="/m/one">One</a> <a href="/m/two">Two</a> <a href="/m/three">Three</a>
<a href="/m/two">Two again</a> <a href="/m/four">Four</a> <a href="/m/five">Five</a>
<img src="/m/pic.png" alt="pic"> <a href="/marks/page?next">Next page</a>
"""
MARKS_RELOADS = [0]
# Cells to break a CSV, a JSON or a shell: quotes, commas, line breaks,
# control bytes, invalid UTF-8, $(...) and backquotes in URLs and text.
MARKS_HOSTILE = (
    b'<!doctype html><meta charset="utf-8"><title>Hostile "cells", here</title>\n'
    b'<a href="/h/plain">Plain</a>\n'
    b'<a href=\'/h/q?a="x",b\'>say "hi", then\nleave</a>\n'
    b'<a href="/h/ctl">bell\x07 esc\x1b[31m tab\there del\x7f</a>\n'
    b'<a href="/h/bad">bytes \xff\xfe here \xc3( end</a>\n'
    b'<a href="/h/$(touch%20INJECTED)`touch INJECTED2`;id">shell $(x) `y` \'z\'</a>\n'
    b'<a href="/h/crlf">line\r\nbreak, "quoted"\r</a>\n'
    b'<img src="/h/i.png" alt="alt, with &quot;quotes&quot;\nand a newline">\n'
)


def _dispatch_marks(self, req):
    p = req.path
    if p == "/marks/page":
        self.page(MARKS_PAGE)
    elif p == "/marks/hostile":
        self.send(200, "OK", MARKS_HOSTILE)
    elif p == "/marks/quotes":
        self.page('<title>quotes</title>'
                  '<a href="/q/it\'s%20\'\'\\\'$(touch INJECTED3)\'">quotes</a>'
                  '<a href=\'/q/"$HOME"\\$IFS;`id`|&amp;{}\'>shell words</a>')
    elif p == "/marks/changing":
        MARKS_RELOADS[0] += 1
        n = MARKS_RELOADS[0]
        self.page('<title>changing</title><a href="/m/a%d">A</a> <a href="/m/b%d">B</a>' % (n, n))
    else:
        _dispatch_before_marks(self, req)


_dispatch_before_marks = Handler.dispatch
Handler.dispatch = _dispatch_marks
# ==== end of marks, export and pipe =========================================


# ---- wire: the connection's facts (tests/wire.t) ----------------------------
# Routes that keep the connection open for the next request (the others
# close it), for the story's connection reuse, and bodies whose bytes on the
# wire differ from the bytes kept:
#   /wire/ka?ms=N       after N ms (default 0), a page with Content-Length,
#                       the connection kept open (Connection: keep-alive)
#   /wire/ka-hop        302 -> /wire/ka, the connection kept open
#   /wire/ka-gone       says keep-alive, but closes the connection at once
#   /wire/http10        an HTTP/1.0 answer with no Connection header: closed
#   /wire/close         HTTP/1.1 with Connection: close
#   /wire/peer          a page titled "peer IP port N": the client's end
#   /wire/gzip-chunked  the demo page gzipped and sent chunked, then closed
# A kept connection serves the requests that follow on it, /wire/ routes or
# any other (which close it).

def _wire_send(self, status, body, lines=(), version=b"HTTP/1.1", keep=True):
    reason = {200: b"OK", 302: b"Found"}[status]
    head = [version + b" %d " % status + reason, b"Server: scraper-test",
            b"Content-Type: text/html; charset=utf-8", b"Content-Length: %d" % len(body)]
    head += list(lines)
    if keep:
        head.append(b"Connection: keep-alive")
    elif version == b"HTTP/1.1":
        head.append(b"Connection: close")
    self.request.sendall(b"\r\n".join(head) + b"\r\n\r\n" + body)


def route_wire(self, req):
    """Answers a /wire/ request; True when the connection stays open."""
    p = req.path
    page = PAGE2.replace("{port}", str(self.port)).encode("utf-8")
    if p == "/wire/ka":
        if STOP.wait(self.int_arg(req, "ms", 0, 60000) * float(os.environ.get("TIME_SCALE") or 1) / 1000.0):
            return False
        _wire_send(self, 200, page)
        return True
    if p == "/wire/ka-gone":
        _wire_send(self, 200, page)   # says keep-alive, closes at once
        return False
    if p == "/wire/ka-hop":
        _wire_send(self, 302, b"<html><body>Moved</body></html>\n", [b"Location: /wire/ka"])
        return True
    if p == "/wire/http10":
        _wire_send(self, 200, page, version=b"HTTP/1.0", keep=False)
    elif p == "/wire/peer":
        _wire_send(self, 200, b"<title>peer %s port %d</title>" % (
            self.client_address[0].encode(), self.client_address[1]), keep=False)
    elif p == "/wire/close":
        _wire_send(self, 200, page, keep=False)
    elif p == "/wire/gzip-chunked":
        body = gzip.compress(DEMO.replace("{port}", str(self.port)).encode(), mtime=0)
        self.request.sendall(
            b"HTTP/1.1 200 OK\r\nServer: scraper-test\r\nContent-Type: text/html; charset=utf-8"
            b"\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        for i in range(0, len(body), 1000):
            self.request.sendall(b"%x\r\n%s\r\n" % (len(body[i:i + 1000]), body[i:i + 1000]))
        self.request.sendall(b"0\r\n\r\n")
    else:
        self.error(404, "Not Found")
    return False


_dispatch_before_wire = Handler.dispatch


def _dispatch_wire(self, req):
    while req is not None and req.path.startswith("/wire/"):
        if not route_wire(self, req):
            return
        req = self.read_request(self.request)
        if req is not None:
            log_request(req)
    if req is not None:
        _dispatch_before_wire(self, req)


Handler.dispatch = _dispatch_wire
# ---- end of wire --------------------------------------------------------------


# ==== what a followed link is sent with (tests/links-request.t) ============
#   /links/to?url=URL   a page with one link, to URL
_dispatch_before_links = Handler.dispatch


def _dispatch_links(self, req):
    if req.path == "/links/to":
        import html
        to = req.query.get("url", ["/"])[0]
        self.page('<!doctype html><title>a link</title><a href="%s">the link</a>\n'
                  % html.escape(to))
    else:
        _dispatch_before_links(self, req)


Handler.dispatch = _dispatch_links
# ==== end of what a followed link is sent with ==============================


# ---- the Query pane (tests/query-tui.t) -------------------------------------
# /q/list1.html, /q/list2.html  a listing walked page by page: a table of
#                     items (name, price, a link), and a link to the next page
# /q/hostile.html     the same table, its names hostile text and wide characters
# /q/item/NAME        an item's page
# /q/deep.html?n=N[&next=I]  N blocks of 200 nested <div>s: 200 * N
#                     elements on which //*//*//* explodes; with next, the
#                     last link goes to the next such page (I+1)

def _q_listing(title, items, next_href):
    rows = "".join('<tr><td class="name">%s</td><td class="price">%s</td>'
                   '<td><a href="/q/item/%s">more</a></td></tr>\n'
                   % (name, price, name.split()[0].lower()) for name, price in items)
    nxt = '<a class="next" href="%s">next page</a>\n' % next_href if next_href else ""
    return ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>%s</title></head>'
            '<body>\n<table class="items">\n%s</table>\n%s</body></html>\n' % (title, rows, nxt))


Q_PAGES = {
    "/q/list1.html": _q_listing("Listing one", [
        ("Alpha widget", "10"), ("Beta widget", "20"),
        ("Omega widget whose name is far too long to fit in any column of a terminal "
         "eighty columns wide", "99")], "/q/list2.html"),
    "/q/list2.html": _q_listing("Listing two", [("Delta gadget", "40"), ("Epsilon gadget", "50")],
                                None),
    # hostile cells: an OSC title sequence, a BEL, bidi controls; wide characters
    "/q/hostile.html": _q_listing("Hostile", [
        ("\x1b]0;PWNED\x07 evil \u202egnp.exe", "1"), ("\u65e5\u672c\u8a9e\u306e\u540d\u524d", "2")],
        None),
}


def _q_deep(n, nxt=0):
    block = "<div>" * 200 + "x" + "</div>" * 200 + "\n"
    link = ('<a href="/q/deep.html?n=%d&amp;next=%d">next</a>' % (n, nxt + 1) if nxt
            else '<a href="/page2.html">end</a>')
    return ("<!DOCTYPE html>\n<html><head><title>deep</title></head><body>\n" + block * n +
            link + "</body></html>\n")


_dispatch_before_query = Handler.dispatch


def _dispatch_query(self, req):
    p = req.path
    if p in Q_PAGES:
        self.page(Q_PAGES[p])
    elif p.startswith("/q/item/"):
        self.page("<!DOCTYPE html><title>item %s</title><p>item</p>" % p[8:].replace("<", ""))
    elif p == "/q/deep.html":
        n = req.query.get("n", ["1000"])[0]
        nxt = req.query.get("next", ["0"])[0]
        self.page(_q_deep(min(int(n) if n.isdigit() else 1000, 10000),
                          int(nxt) if nxt.isdigit() else 0))
    else:
        _dispatch_before_query(self, req)


Handler.dispatch = _dispatch_query
# ---- end of the Query pane ---------------------------------------------------


def main():
    global LOG
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--lifetime", type=float, default=600)
    ap.add_argument("--log")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-port-file")
    args = ap.parse_args()

    if args.log:
        LOG = open(args.log, "a", encoding="utf-8", errors="backslashreplace")
    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    if args.tls_cert and args.tls_port_file:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        TLSServer.context = ctx
        tls = TLSServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=tls.serve_forever, daemon=True).start()
        tmp = args.tls_port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % tls.server_address[1])
        os.replace(tmp, args.tls_port_file)

    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(tmp, args.port_file)

    # Signal handlers only set the flag; the main thread polls it.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: STOP.set())
    deadline = time.monotonic() + args.lifetime
    while not STOP.is_set() and time.monotonic() < deadline:
        STOP.wait(0.2)
    STOP.set()
    if LOG:
        LOG.flush()
    # os._exit: handler threads may be blocked in sendall/recv; do not join them.
    os._exit(0)


if __name__ == "__main__":
    main()
