#!/usr/bin/python3
"""Deterministic generator of realistic HTML pages for scraper's benchmark.

Usage:
    python3 tests/bench/gen.py --size 10M --out FILE [--seed N] [--quiet]
    python3 tests/bench/gen.py --links N --out FILE      (keys.sh: N <a href>)

Writes a UTF-8 page of exactly SIZE bytes (1M = 1,000,000 bytes, 1Mi =
1,048,576; k/K, M, G), and FILE.counts: a JSON object
{"size": bytes, "seed": n, "total": records, "counts": {"TAG ATTR": n, ...}}
with the number of records of each (tag, attribute) pair of the extraction
table (README, "What is extracted") that `scraper --dump` must print for
the page (one per srcset candidate).  The same summary goes to stderr unless --quiet.

What the page holds (all from one random.Random(seed), so the same arguments
always give the same bytes): head with <meta charset>, <title>, <link> and
<script src>, inline <script> (JS with '<' comparisons and '<a href>' inside
strings), JSON-LD, <style> with url(); then nested <header>/<nav>/<main>/
<section>/<article>/<div>/<aside>/<footer>, tables, lists, forms, inline SVG
icons; links of every form (relative, ../, /absolute, http(s)://,
//proto-relative, ?query, #fragment, mailto:, tel:, javascript:, data:,
non-ASCII paths, spaces inside, padded with ASCII whitespace, & written as
&amp; &#38; &#x26; or raw, upper-case tags, single-quoted and unquoted
values); img src + srcset (x and w descriptors, commas inside URLs, empty
and whitespace-only srcset), picture>source srcset, audio/video src, video
poster, video/audio>source src, track src, iframe src, object data, embed
src, area href; French, CJK and emoji text with entities; comments holding
markup; and malformed markup: unclosed <p>, <li>, <td>, <tr>, <dt>/<dd>,
<option>, stray end tags, unquoted attributes, spaces around '='.

Only malformations on which libxml2's HTML parser (scraper, xmllint, lxml)
and an HTML5 parser (html5lib, pup's golang.org/x/net/html) agree on the
records are used.  Left out on purpose, because they disagree or the
HTML5 tree differs in what is an element: <frame> outside a <frameset>
(HTML5 drops it, so `frame src` is never generated), <noscript> (raw text
when scripting is on), <textarea>/<template>/foreign <svg><a>, a bare
attribute (<a href>: libxml2 gives no value, HTML5 an empty one),
duplicate attributes, `</` inside <script>, `<!--` inside <script>,
entities without ';' right before '=' or a letter, and content between
table rows (foster parenting).

Records are counted as the elements are written (see el()): srcset values
are counted with the HTML standard's srcset parser (tests/corpus.py's
parse_srcset, as srcset_urls), on the attribute value as a parser decodes it.
"""

import argparse
import json
import os
import random
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from corpus import parse_srcset as srcset_urls  # noqa: E402

SEED = 20240527

# The extraction table (README, "What is extracted").
TABLE = {
    "a": ("href",), "area": ("href",),
    "img": ("src", "srcset", "data-src", "data-srcset", "data-original", "data-lazy-src",
            "data-lazy-srcset"),
    "source": ("srcset", "src", "data-srcset", "data-lazy-srcset", "data-src"),
    "audio": ("src",), "video": ("src", "poster", "data-src", "data-poster"),
    "track": ("src",), "object": ("data",), "embed": ("src",),
    "iframe": ("src", "data-src", "data-lazy-src"),
    "frame": ("src",), "link": ("href",), "script": ("src",),
}
SRCSET = {("img", "srcset"), ("source", "srcset"), ("img", "data-srcset"),
          ("img", "data-lazy-srcset"), ("source", "data-srcset"), ("source", "data-lazy-srcset")}


def records_of(tag, attr, value):
    """How many records (tag, attr=value) gives; value as decoded."""
    if (tag, attr) in SRCSET:
        return len(srcset_urls(value))
    return 1


# ---- words ----------------------------------------------------------------

FR = ("le la les un une des du de et à été être avoir fait très plus moins "
      "où été déjà après château forêt élève fenêtre garçon naïve œuvre cœur "
      "ça français hôpital théâtre économie société journée réunion voilà "
      "année côte crème brûlée fromage pâtisserie boulangerie rivière "
      "Noël Zoë Hélène Élodie Ève mère père frère sœur été hiver printemps "
      "automne musée bibliothèque gare métro université recherche données").split()
EN = ("the of and to in is that for it as was with on by at from this have "
      "not are but an or which one you all were her she there would their "
      "we him been has when who will more no if out so said what up its about "
      "into than them can only other new some could time these two may then "
      "first any my now such like our over man me even most made after also "
      "network protocol server client request response header body page link "
      "image video audio stream socket parser element attribute benchmark").split()
JA = ("東京 大阪 京都 日本語 情報 技術 開発 研究 新聞 記事 写真 動画 音楽 "
      "天気 経済 政治 社会 文化 科学 教育 健康 旅行 料理 映画 図書館 駅 "
      "北京 上海 中文 网络 服务器 浏览器 页面 链接 图片 视频 数据 搜索 "
      "서울 한국어 뉴스 사진").split()
EMOJI = "🎉 🚀 ✨ 📷 🎬 🎵 🌍 🔗 ❤️ 👍 😀 🇫🇷 🇯🇵 ☕ 🍣 🥐 ✓ ★ → ©".split()
ENTITIES = ("&amp;", "&lt;", "&gt;", "&nbsp;", "&eacute;", "&copy;", "&mdash;",
            "&hellip;", "&laquo;", "&raquo;", "&#233;", "&#x2014;", "&quot;")
SLUGS = ("actualites", "politique", "economie", "culture", "sport", "sciences",
         "tech", "monde", "blog", "wiki", "docs", "api", "news", "story",
         "video", "photos", "archives", "tag", "auteur", "user", "search")
NONASCII_PATHS = ("/wiki/Élysée", "/wiki/Café_crème", "/搜索/東京", "/記事/日本語",
                  "/emoji/🎉", "/ville/Zürich", "/fr/été-2024", "/키워드/서울",
                  "/ﬁle/naïve", "/ü/ö/ä")
HOSTS = ("www.example.com", "example.org", "news.example.net",
         "static.example-cdn.com", "img.example.io", "media.example.tv",
         "xn--caf-dma.example", "localhost:8080", "user@auth.example.com",
         "[::1]:8443", "cdn.example.net")
PARAMS = ("page", "sort", "id", "q", "utm_source", "ref", "v", "lang", "copy",
          "not", "section", "size")


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.counts = {}
        self.parts = []
        self.nbytes = 0
        self.uid = 0

    # ---- output and counting ---------------------------------------------

    def w(self, s):
        self.parts.append(s)
        self.nbytes += len(s.encode("utf-8"))

    def count(self, tag, attr, n):
        if n:
            key = tag + " " + attr
            self.counts[key] = self.counts.get(key, 0) + n

    def next_id(self):
        self.uid += 1
        return self.uid

    # ---- attribute values -------------------------------------------------

    def esc_amp(self, v):
        """& as a parser will decode it back: mostly &amp;, sometimes a
        numeric reference, sometimes raw (only where no entity name can
        follow: our parameter names are chosen so)."""
        if "&" not in v:
            return v
        r = self.r.random()
        if r < 0.7:
            return v.replace("&", "&amp;")
        if r < 0.8:
            return v.replace("&", "&#38;")
        if r < 0.9:
            return v.replace("&", "&#x26;")
        return v  # raw: "&page=" is no character reference in either parser

    def attr(self, name, value, style=None):
        """ name="value" in a quoting style (d, s, u); value is the decoded
        value, written back with its '&' escaped as esc_amp() picks."""
        r = self.r
        if style is None:
            x = r.random()
            style = "d" if x < 0.75 else "s" if x < 0.88 else "u"
        if style == "u" and (not re.fullmatch(r"[^\s\"'`<>]+", value) or value.endswith("/")):
            style = "d"
        v = self.esc_amp(value)
        if style == "u":
            return " %s=%s" % (name, v)
        if style == "s":
            return " %s='%s'" % (name, v.replace("'", "&#39;"))
        sp = " = " if r.random() < 0.02 else "="
        return ' %s%s"%s"' % (name, sp, v.replace('"', "&quot;"))

    def el(self, tag, attrs, close=False, content="", upper=False):
        """A start tag (and optionally content and end tag); every
        (tag, attr) of the table among attrs is counted.  attrs: list of
        (name, decoded value[, style])."""
        parts = ["<", tag.upper() if upper else tag]
        for a in attrs:
            name, value = a[0], a[1]
            style = a[2] if len(a) > 2 else None
            if value is None:          # boolean attribute
                parts.append(" " + (name.upper() if upper else name))
                continue
            if name in TABLE.get(tag, ()):
                self.count(tag, name, records_of(tag, name, value))
            parts.append(self.attr(name.upper() if upper else name, value, style))
        parts.append(">")
        if close:
            parts.append(content)
            parts.append("</%s>" % (tag.upper() if upper else tag))
        return "".join(parts)

    # ---- URLs and text ------------------------------------------------------

    def query(self):
        r = self.r
        ps = r.sample(PARAMS, r.randint(1, 3))
        return "&".join("%s=%s" % (p, r.choice((str(r.randint(1, 999)), r.choice(SLUGS),
                                                 "a%20b", "x,y", "é")))
                        for p in ps)

    def path(self):
        r = self.r
        segs = [r.choice(SLUGS) for _ in range(r.randint(1, 4))]
        last = "%s-%d" % (r.choice(SLUGS), r.randint(1, 99999))
        ext = r.choice(("", ".html", ".php", "/", ".htm", ".aspx"))
        return "/".join(segs + [last]) + ext

    def url(self, kind="page"):
        """A decoded URL of one of the forms a page uses."""
        r = self.r
        x = r.random()
        if kind == "img":
            ext = r.choice((".jpg", ".png", ".webp", ".gif", ".avif", ".svg"))
        elif kind == "media":
            ext = r.choice((".mp4", ".webm", ".ogg", ".mp3", ".m4a", ".vtt"))
        elif kind == "js":
            ext = ".js"
        elif kind == "css":
            ext = ".css"
        else:
            ext = ""
        if kind != "page":
            base = "%s/%s-%d%s" % (r.choice(SLUGS), r.choice(SLUGS), r.randint(1, 9999), ext)
            if x < 0.35:
                u = "/static/" + base
            elif x < 0.55:
                u = "//%s/%s" % (r.choice(HOSTS), base)
            elif x < 0.7:
                u = "https://%s/%s" % (r.choice(HOSTS), base)
            elif x < 0.8:
                u = "../" * r.randint(1, 3) + base
            elif x < 0.9:
                u = base + "?" + self.query()
            elif x < 0.95:
                u = r.choice(NONASCII_PATHS) + ext
            else:
                u = "./" + base
            return u
        if x < 0.005:
            u = ""                       # href="": a record, the base URL
        elif x < 0.22:
            u = "/" + self.path()
        elif x < 0.37:
            u = self.path()
        elif x < 0.45:
            u = "../" * r.randint(1, 4) + self.path()
        elif x < 0.58:
            u = "https://%s/%s" % (r.choice(HOSTS), self.path())
        elif x < 0.62:
            u = "http://%s/" % r.choice(HOSTS)
        elif x < 0.68:
            u = "//%s/%s" % (r.choice(HOSTS), self.path())
        elif x < 0.76:
            u = "?" + self.query()
        elif x < 0.82:
            u = "#" + r.choice(("top", "comments", "section-%d" % r.randint(1, 50), "", "fn%d" % r.randint(1, 9)))
        elif x < 0.85:
            u = "mailto:%s@example.org?subject=%s" % (r.choice(("contact", "rédaction", "info")),
                                                      r.choice(("Bonjour", "a%20b", "日本")))
        elif x < 0.87:
            u = r.choice(("javascript:void(0)", "javascript:window.print();",
                          "javascript:alert('x&y')"))
        elif x < 0.88:
            u = "tel:+33-1-23-45-67-89"
        elif x < 0.89:
            u = "data:text/html,%3Ch1%3Ehi%3C/h1%3E"
        elif x < 0.94:
            u = r.choice(NONASCII_PATHS) + r.choice(("", "?q=" + r.choice(JA), "#" + r.choice(FR)))
        elif x < 0.97:
            u = "/%s/%s %s.pdf" % (r.choice(SLUGS), r.choice(FR), r.choice(FR))
        else:
            u = "/" + self.path() + "?" + self.query() + "#" + r.choice(SLUGS)
        if r.random() < 0.05:  # padded with ASCII whitespace
            u = r.choice((" ", "  ", "\n", "\t ", " \n  ")) + u + r.choice((" ", "\n", "  \t", ""))
        return u

    def words(self, n):
        r = self.r
        lang = r.random()
        pool = FR if lang < 0.45 else EN if lang < 0.85 else JA
        out = []
        for _ in range(n):
            w = r.choice(pool)
            y = r.random()
            if y < 0.03:
                w = r.choice(EMOJI)
            elif y < 0.05:
                w = r.choice(ENTITIES)
            out.append(w)
        sep = "" if pool is JA and r.random() < 0.5 else " "
        return sep.join(out)

    def sentence(self):
        s = self.words(self.r.randint(4, 16))
        return s[:1].upper() + s[1:] + self.r.choice((".", ".", "!", " ?", "…", "。"))

    # ---- inline content ----------------------------------------------------

    def link(self, text=None):
        r = self.r
        attrs = [("href", self.url())]
        if r.random() < 0.2:
            attrs.append(("title", self.words(3)))
        if r.random() < 0.1:
            attrs.append(("rel", r.choice(("nofollow", "noopener noreferrer", "external"))))
        if r.random() < 0.1:
            attrs.append(("class", r.choice(("btn", "more", "tag", "ext link"))))
        if r.random() < 0.05:
            attrs.append(("target", "_blank"))
        r.shuffle(attrs)
        return self.el("a", attrs, close=True, content=text or self.words(r.randint(1, 5)),
                       upper=r.random() < 0.03)

    def inline(self):
        """A run of prose with inline markup and links."""
        r = self.r
        out = []
        for _ in range(r.randint(2, 6)):
            x = r.random()
            if x < 0.45:
                out.append(self.sentence())
            elif x < 0.8:
                out.append(self.words(r.randint(2, 6)) + " " + self.link() + " " + self.words(2))
            elif x < 0.86:
                tag = r.choice(("em", "strong", "b", "i", "small", "mark"))
                out.append("<%s>%s</%s>" % (tag, self.words(3), tag))
            elif x < 0.9:
                out.append("<code>%s</code>" % r.choice(("a &lt; b", "x &amp;&amp; y", "&lt;a href&gt;", "f(x)")))
            elif x < 0.93:
                img = self.el("img", [("src", self.url("img")), ("alt", self.words(2))])
                out.append(self.link(img + " " + self.words(2)))
            elif x < 0.96:
                out.append("<span class=note>%s</span>" % self.words(4))
            elif x < 0.98:
                out.append("<br>")
            else:
                out.append("<abbr title='%s'>%s</abbr>" % (self.words(3).replace("'", ""), "HTML"))
        return " ".join(out)

    # ---- blocks --------------------------------------------------------------

    def b_article(self):
        r = self.r
        n = self.next_id()
        out = ['<article class="post" id="post-%d">' % n,
               "<h2>%s</h2>" % self.link(self.sentence()),
               '<p class=meta>%s <time datetime="2024-05-%02d">%d mai 2024</time> · %s</p>'
               % (self.link(r.choice(("Zoë Dupont", "山田太郎", "Ève", "J. Smith"))),
                  r.randint(1, 28), r.randint(1, 28), self.link(r.choice(SLUGS)))]
        for _ in range(r.randint(1, 4)):
            if r.random() < 0.3:
                out.append("<p>" + self.inline())           # unclosed <p>
            else:
                out.append("<p>" + self.inline() + "</p>")
        if r.random() < 0.3:
            out.append(self.b_figure())
        out.append("</article>")
        return "\n".join(out)

    def srcset(self, desc):
        """A srcset value (decoded) with its candidates' descriptors."""
        r = self.r
        k = r.randint(1, 5)
        cands = []
        for i in range(k):
            u = self.url("img")
            y = r.random()
            if y < 0.1:
                u = u.replace(".", ",v2.", 1) if "." in u else u + ",v2"   # comma inside
            elif y < 0.15:
                u += "?crop=0,0,%d,%d" % (r.randint(10, 999), r.randint(10, 999))
            if desc == "x":
                d = " %gx" % (1 + i * r.choice((0.5, 1))) if (i or r.random() < 0.8) else ""
            else:
                d = " %dw" % (320 * (i + 1))
            if r.random() < 0.05 and desc == "w":
                d += " %dh" % (200 * (i + 1))
            cands.append(u + d)
        sep = r.choice((", ", ",", " , ", ",\n   ", ", "))
        v = sep.join(cands)
        if r.random() < 0.1:
            v = "  " + v + " ,"
        return v

    def img(self):
        r = self.r
        attrs = [("src", self.url("img"))]
        y = r.random()
        if y < 0.35:
            attrs.append(("srcset", self.srcset("x")))
        elif y < 0.55:
            attrs.append(("srcset", self.srcset("w")))
            attrs.append(("sizes", "(max-width: 600px) 100vw, 50vw"))
        elif y < 0.57:
            attrs.append(("srcset", r.choice(("", "   ", " , "))))   # no candidate
        if r.random() < 0.85:
            attrs.append(("alt", self.words(r.randint(0, 5))))
        if r.random() < 0.5:
            attrs.append(("width", str(r.randint(50, 1600))))
            attrs.append(("height", str(r.randint(50, 1200))))
        if r.random() < 0.3:
            attrs.append(("loading", "lazy"))
        if r.random() < 0.05:
            attrs.append(("data-src", self.url("img")))   # lazy loading: a record too
        if r.random() < 0.03:
            attrs.append(("decoding", None))
        if r.random() < 0.02:
            attrs = [("src", "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")] + attrs[1:]
        r.shuffle(attrs)
        return self.el("img", attrs, upper=r.random() < 0.03)

    def b_figure(self):
        r = self.r
        if r.random() < 0.4:
            srcs = []
            for _ in range(r.randint(1, 3)):
                a = [("srcset", self.srcset(r.choice("xw")))]
                if r.random() < 0.5:
                    a.append(("media", "(min-width: %dpx)" % r.choice((480, 768, 1024))))
                if r.random() < 0.5:
                    a.append(("type", r.choice(("image/webp", "image/avif"))))
                srcs.append(self.el("source", a))
            pic = "<picture>" + "".join(srcs) + self.img() + "</picture>"
        else:
            pic = self.img()
        cap = "<figcaption>%s</figcaption>" % self.inline() if r.random() < 0.6 else ""
        return "<figure>%s%s</figure>" % (pic, cap)

    def b_table(self):
        r = self.r
        cols = r.randint(2, 5)
        out = ["<table class=data>"]
        if r.random() < 0.5:
            out.append("<caption>%s</caption>" % self.words(4))
        out.append("<thead><tr>" + "".join("<th>%s</th>" % self.words(2) for _ in range(cols)) + "</tr></thead>")
        out.append("<tbody>")
        unclosed = r.random() < 0.4
        for _ in range(r.randint(2, 8)):
            row = ["<tr>"]
            for _c in range(cols):
                y = r.random()
                if y < 0.35:
                    cell = self.link()
                elif y < 0.45:
                    cell = self.img()
                elif y < 0.5:
                    cell = self.words(2) + "<br>" + self.link()
                else:
                    cell = self.words(r.randint(1, 4))
                row.append(("<td>%s" if unclosed else "<td>%s</td>") % cell)
            if not (unclosed and r.random() < 0.5):
                row.append("</tr>")
            out.append("".join(row))
        out.append("</tbody></table>")
        return "\n".join(out)

    def b_list(self):
        r = self.r
        tag = r.choice(("ul", "ol", "ul"))
        unclosed = r.random() < 0.5
        items = []
        for _ in range(r.randint(3, 12)):
            y = r.random()
            body = self.link() if y < 0.6 else self.words(3) + " " + self.link() if y < 0.8 else self.words(5)
            if r.random() < 0.05:
                body += "<ul><li>%s<li>%s</ul>" % (self.link(), self.link())
            items.append(("<li>%s" if unclosed else "<li>%s</li>") % body)
        return "<%s class=list>\n%s\n</%s>" % (tag, "\n".join(items), tag)

    def b_dl(self):
        items = "".join("<dt>%s<dd>%s" % (self.words(2), self.link()) for _ in range(self.r.randint(2, 5)))
        return "<dl>%s</dl>" % items

    def b_media(self):
        r = self.r
        y = r.random()
        if y < 0.3:
            a = [("controls", None), ("src", self.url("media"))]
            if r.random() < 0.7:
                a.append(("poster", self.url("img")))
            if r.random() < 0.3:
                a.append(("preload", "none"))
            return self.el("video", a, close=True, content="Votre navigateur ne lit pas la vidéo.")
        if y < 0.65:
            a = [("controls", None), ("width", "640")]
            if r.random() < 0.8:
                a.append(("poster", self.url("img")))
            inner = []
            for t in r.sample(("video/mp4", "video/webm", "video/ogg"), r.randint(1, 3)):
                inner.append(self.el("source", [("src", self.url("media")), ("type", t)]))
            for lang in r.sample(("fr", "en", "ja", "de"), r.randint(0, 2)):
                inner.append(self.el("track", [("kind", "subtitles"), ("srclang", lang),
                                               ("src", self.url("media")), ("label", lang)]))
            inner.append("<p>%s</p>" % self.link("Télécharger la vidéo"))
            return self.el("video", a, close=True, content="".join(inner))
        if y < 0.8:
            return self.el("audio", [("src", self.url("media")), ("controls", None)], close=True,
                           content=self.words(3))
        inner = "".join(self.el("source", [("src", self.url("media")), ("type", t)])
                        for t in r.sample(("audio/ogg", "audio/mpeg", "audio/aac"), r.randint(1, 2)))
        return self.el("audio", [("controls", None)], close=True, content=inner)

    def b_embed(self):
        r = self.r
        y = r.random()
        if y < 0.45:
            a = [("src", r.choice(("https://www.youtube.com/embed/%s" % r.choice(("dQw4w9WgXcQ", "abc-DEF_123")),
                                   self.url(), "about:blank", "/widgets/map?lat=48.85&lon=2.35")))]
            a.append(("title", self.words(3)))
            if r.random() < 0.5:
                a += [("width", "560"), ("height", "315"), ("allowfullscreen", None)]
            return self.el("iframe", a, close=True)
        if y < 0.75:
            inner = '<param name="movie" value="/swf/player.swf">'
            if r.random() < 0.5:
                inner += self.el("embed", [("src", self.url("media")), ("type", "application/x-shockwave-flash")])
            inner += "<p>%s</p>" % self.words(4)
            return self.el("object", [("data", self.url()), ("type", r.choice(("application/pdf", "image/svg+xml")))],
                           close=True, content=inner)
        # A lone <embed> inside a container that its end tag closes: libxml2
        # 2.9.14 does not know <embed> is void, so each unclosed one nests the
        # rest of the page one level deeper, and past depth 256 its tree
        # builder (xmllint, lxml) halts the parse; scraper's SAX pass does not.
        return "<div class=player>%s</div>" % self.el(
            "embed", [("src", self.url("media")), ("type", "video/mp4"), ("width", "320")])

    def b_map(self):
        r = self.r
        name = "map%d" % self.next_id()
        img = self.el("img", [("src", self.url("img")), ("usemap", "#" + name), ("alt", self.words(2))])
        areas = "".join(self.el("area", [("shape", "rect"), ("coords", "0,0,%d,%d" % (r.randint(1, 99), r.randint(1, 99))),
                                          ("href", self.url()), ("alt", self.words(2))])
                        for _ in range(r.randint(1, 4)))
        areas += '<area shape="default" nohref alt="">'
        return "<div class=map>%s<map name=%s>%s</map></div>" % (img, name, areas)

    def b_script(self):
        r = self.r
        y = r.random()
        if y < 0.4:
            body = ("\n(function(){var a=%d,b=%d;if(a<b&&b>0){document.title+=' ';}\n"
                    "var s='<a href=\"/not-a-link-%d\">x<\\/a>';var t=\"<img src='/no.png'>\";\n"
                    "for(var i=0;i<10;i++){if(i<a){continue}}window.__x=s+t;})();\n"
                    % (r.randint(0, 99), r.randint(0, 99), r.randint(0, 999)))
            return "<script>%s</script>" % body
        if y < 0.6:
            return '<script type="application/ld+json">{"@context":"https://schema.org","url":"https://example.org/%s","image":["/i/%d.jpg"]}</script>' % (
                self.path(), r.randint(1, 999))
        if y < 0.8:
            return "<style>.c%d{background:url(/img/bg-%d.png) no-repeat}a[href^=\"http\"]::after{content:\"\\2197\"}</style>" % (
                r.randint(1, 99), r.randint(1, 99))
        a = [("src", self.url("js"))]
        a.append(r.choice((("async", None), ("defer", None), ("type", "module"), ("crossorigin", "anonymous"))))
        return self.el("script", a, close=True)

    def b_comment(self):
        r = self.r
        return r.choice((
            "<!-- %s -->" % self.words(6).replace("--", "—"),
            '<!-- <a href="/commented-out">old</a> <img src="/old.png"> -->',
            "<!--[if lt IE 9]><script src=\"/ie.js\"></script><![endif]-->",
            "<!-- google_ad_section_start(name=%s) -->" % r.choice(SLUGS),
        ))

    def b_resource(self):
        r = self.r
        if r.random() < 0.5:
            return self.el("link", [("rel", r.choice(("stylesheet", "preload", "prefetch", "alternate"))),
                                    ("href", self.url("css"))])
        return self.el("script", [("src", self.url("js"))], close=True)

    def b_form(self):
        r = self.r
        opts = "".join("<option value=%d>%s" % (i, self.words(1)) for i in range(r.randint(2, 5)))
        return ('<form action="/search" method=get class=search><label>%s <input type=text name=q '
                'placeholder="Rechercher…"></label><select name=s>%s</select>'
                '<input type=image src="/btn/go.png" alt=Go><button type=submit>OK</button></form>'
                % (self.words(1), opts))

    def b_svg(self):
        return ('<svg class=icon width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">'
                '<use xlink:href="#icon-%s"></use><path d="M0 0h16v16H0z" fill="none"/></svg>'
                % self.r.choice(SLUGS))

    def b_stray(self):
        return self.r.choice(("</span>", "</font>", "</b>", "</li>", "</td>", "</p>", "</em>", "</a>",
                              "</i></b>", "</center>"))

    def b_nav(self):
        r = self.r
        items = "".join("<li>%s" % self.link(r.choice(SLUGS).capitalize()) for _ in range(r.randint(4, 10)))
        return "<nav class=breadcrumbs><ul>%s</ul></nav>" % items

    def b_section(self, depth):
        """Nested containers around some blocks."""
        r = self.r
        tag = r.choice(("section", "div", "div", "aside", "div"))
        cls = r.choice(("row", "col", "container", "card", "widget", "grid", "content"))
        inner = [self.block(depth + 1) for _ in range(r.randint(1, 4))]
        return "<%s class=%s>\n%s\n</%s>" % (tag, cls, "\n".join(inner), tag)

    BLOCKS = (("article", 22), ("figure", 8), ("table", 5), ("list", 8), ("dl", 2),
              ("media", 4), ("embed", 3), ("map", 1), ("script", 4), ("comment", 3),
              ("resource", 2), ("form", 1), ("svg", 2), ("stray", 2), ("nav", 2),
              ("section", 12), ("para", 12))

    def block(self, depth=0):
        r = self.r
        total = sum(w for _, w in self.BLOCKS)
        x = r.uniform(0, total)
        for name, w in self.BLOCKS:
            x -= w
            if x <= 0:
                break
        if name == "section":
            if depth >= 6:
                name = "para"
            else:
                return self.b_section(depth)
        if name == "para":
            return "<p>%s</p>" % self.inline()
        return getattr(self, "b_" + name)()

    # ---- the page ------------------------------------------------------------

    def head(self, title):
        out = ["<!DOCTYPE html>", '<html lang="fr">', "<head>", '<meta charset="utf-8">',
               '<meta name="viewport" content="width=device-width, initial-scale=1">',
               "<title>%s</title>" % title,
               self.el("link", [("rel", "stylesheet"), ("href", "/static/css/main.css?v=3")]),
               self.el("link", [("rel", "icon"), ("href", "//cdn.example.net/favicon.ico")]),
               self.el("link", [("rel", "preload"), ("as", "font"), ("href", "../fonts/inter.woff2"),
                                ("crossorigin", None)]),
               self.el("link", [("rel", "canonical"), ("href", "https://www.example.com/bench/page.html")]),
               self.el("link", [("rel", "alternate"), ("hreflang", "ja"), ("href", "/ja/ページ.html")]),
               self.el("script", [("src", "/static/js/app.js"), ("defer", None)], close=True),
               self.el("script", [("src", "https://www.example.com/analytics.js?id=UA-1&amp=1"), ("async", None)],
                       close=True),
               self.b_script(), self.b_script(), self.b_script(),
               "</head>", "<body class=\"page\">"]
        return "\n".join(out)

    def page(self, size):
        title = "Banc d’essai — scraper 基準ページ 🚀 &amp; co (%d octets)" % size
        self.w(self.head(title) + "\n")
        self.w("<header><h1>%s</h1>%s</header>\n<main>\n" % (self.words(4), self.b_nav()))
        tail = "\n</main>\n<footer><p>%s © 2024</p></footer>\n" % self.link("Mentions légales")
        end = "</body>\n</html>\n"
        tail_bytes = len(tail.encode()) + len(end.encode())
        # Blocks while they fit; then small paragraphs while they fit.  A
        # block that does not fit is dropped, and so are its counts.
        misses = 0
        while misses < 20:
            saved = dict(self.counts)
            b = (self.block() if not misses else "<p>%s</p>" % self.inline()) + "\n"
            if self.nbytes + len(b.encode("utf-8")) + tail_bytes > size:
                self.counts = saved
                misses += 1
                continue
            self.w(b)
        self.w(tail)
        # pad to the exact size with a comment, or spaces if too little room
        room = size - self.nbytes - len(end.encode())
        if room >= 7:
            self.w("<!--" + "x" * (room - 7) + "-->")
        elif room > 0:
            self.w(" " * room)
        self.w(end)
        return "".join(self.parts)

    def links_page(self, n):
        """keys.sh: a page of exactly n <a href> records, nothing else."""
        out = ["<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>%d links</title></head><body>\n<ul>\n" % n]
        for i in range(n):
            out.append('<li><a href="/l/%07d">link %d %s</a>\n' % (i + 1, i + 1, self.words(3)))
        out.append("</ul></body></html>\n")
        self.counts = {"a href": n}
        return "".join(out)


def parse_size(s):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kKmMgG]?)(i?)[bB]?", s)
    if not m:
        raise argparse.ArgumentTypeError("bad size: %s (e.g. 10M)" % s)
    mult = {"": 1, "k": 1000, "m": 1000 ** 2, "g": 1000 ** 3}[m.group(2).lower()]
    if m.group(3):
        mult = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=parse_size, help="page size, e.g. 1M, 10M, 50M (1M = 10^6 bytes)")
    ap.add_argument("--links", type=int, help="a plain page of N links instead (keys.sh)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    if (a.size is None) == (a.links is None):
        ap.error("give one of --size or --links")
    g = Gen(a.seed)
    text = g.page(a.size) if a.size is not None else g.links_page(a.links)
    data = text.encode("utf-8")
    if a.size is not None and len(data) != a.size and a.size > 8192:
        sys.exit("gen.py: internal error: %d bytes, wanted %d" % (len(data), a.size))
    with open(a.out, "wb") as f:
        f.write(data)
    summary = {"size": len(data), "seed": a.seed, "total": sum(g.counts.values()),
               "counts": dict(sorted(g.counts.items()))}
    with open(a.out + ".counts", "w") as f:
        json.dump(summary, f, indent=1, ensure_ascii=False)
        f.write("\n")
    if not a.quiet:
        print("%s: %d bytes, %d records" % (a.out, len(data), summary["total"]), file=sys.stderr)
        for k, v in summary["counts"].items():
            print("  %-14s %8d" % (k, v), file=sys.stderr)


if __name__ == "__main__":
    main()
