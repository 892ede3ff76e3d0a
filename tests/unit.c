/*
 * Unit tests of scraper's pure functions and of the parse layer, run on the
 * real libxml2. The program is included whole, with main() compiled out.
 * Prints TAP.
 */
#define SCRAPER_NO_MAIN
#include "../scraper.c"

static int test_no, failed;

static void
ok(int cond, const char *name)
{
	printf("%sok %d - ", cond ? "" : "not ", ++test_no);
	for (; *name; name++) /* a test name with a newline would break TAP */
		putchar((unsigned char)*name < 0x20 ? '?' : *name);
	putchar('\n');
	if (!cond)
		failed++;
}

static void
is_str(const char *got, const char *want, const char *name)
{
	int same = got && want ? !strcmp(got, want) : got == want;

	ok(same, name);
	if (!same)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
}

/* RFC 3986 section 5.4: every normal and abnormal example, plus the cases
 * where libcurl and libxml2 were measured wrong for pages. */
static void
test_resolve(void)
{
	static const char *const cases[][2] = {
		{"g:h", "g:h"}, {"g", "http://a/b/c/g"}, {"./g", "http://a/b/c/g"},
		{"g/", "http://a/b/c/g/"}, {"/g", "http://a/g"}, {"//g", "http://g"},
		{"?y", "http://a/b/c/d;p?y"}, {"g?y", "http://a/b/c/g?y"},
		{"#s", "http://a/b/c/d;p?q#s"}, {"g#s", "http://a/b/c/g#s"},
		{"g?y#s", "http://a/b/c/g?y#s"}, {";x", "http://a/b/c/;x"},
		{"g;x", "http://a/b/c/g;x"}, {"g;x?y#s", "http://a/b/c/g;x?y#s"},
		{"", "http://a/b/c/d;p?q"}, {".", "http://a/b/c/"},
		{"./", "http://a/b/c/"}, {"..", "http://a/b/"}, {"../", "http://a/b/"},
		{"../g", "http://a/b/g"}, {"../..", "http://a/"}, {"../../", "http://a/"},
		{"../../g", "http://a/g"},
		/* abnormal */
		{"../../../g", "http://a/g"}, {"../../../../g", "http://a/g"},
		{"/./g", "http://a/g"}, {"/../g", "http://a/g"}, {"g.", "http://a/b/c/g."},
		{".g", "http://a/b/c/.g"}, {"g..", "http://a/b/c/g.."},
		{"..g", "http://a/b/c/..g"}, {"./../g", "http://a/b/g"},
		{"./g/.", "http://a/b/c/g/"}, {"g/./h", "http://a/b/c/g/h"},
		{"g/../h", "http://a/b/c/h"}, {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
		{"g;x=1/../y", "http://a/b/c/y"}, {"g?y/./x", "http://a/b/c/g?y/./x"},
		{"g?y/../x", "http://a/b/c/g?y/../x"}, {"g#s/./x", "http://a/b/c/g#s/./x"},
		{"g#s/../x", "http://a/b/c/g#s/../x"},
		/* same scheme, no authority: relative, as browsers and urljoin do */
		{"http:g", "http://a/b/c/g"},
		/* what pages need */
		{"  /x  ", "http://a/x"}, {"\n/x\t", "http://a/x"},
		{"/very/long/\npath", "http://a/very/long/path"},
		{"mailto:someone@example.com", "mailto:someone@example.com"},
		{"javascript:void(0)", "javascript:void(0)"}, {"tel:+123", "tel:+123"},
		{"data:image/png;base64,AA==", "data:image/png;base64,AA=="},
		{"HTTPS://Example.COM/A", "https://Example.COM/A"},
		{"/a b/ü", "http://a/a b/ü"}, {"/a:b", "http://a/a:b"},
		{"https://x/./y/../z", "https://x/z"},
	};
	size_t i;
	char name[256];

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = url_resolve("http://a/b/c/d;p?q", cases[i][0]);

		snprintf(name, sizeof name, "resolve '%s'", cases[i][0]);
		is_str(got, cases[i][1], name);
		free(got);
	}
	{
		char *got = url_resolve("http://h", "x");

		is_str(got, "http://h/x", "resolve against an empty base path");
		free(got);
		got = url_resolve("http://h/dir/page#frag", "#top");
		is_str(got, "http://h/dir/page#top", "fragment against the document");
		free(got);
	}
	{
		/* a merged path longer than the resolver's stack buffer */
		struct buf base = {0}, want = {0};
		char *got;

		buf_adds(&base, "http://h/");
		for (i = 0; i < 80; i++)
			buf_adds(&base, "segment-");
		buf_adds(&base, "/page");
		buf_add(&want, base.data, base.len - 4);
		buf_adds(&want, "x/y");
		got = url_resolve(base.data, "./x/../x/y");
		is_str(got, want.data, "resolve against a base path of 640 bytes");
		free(got);
		buf_free(&base);
		buf_free(&want);
	}
}

static void
test_srcset(void)
{
	static const char *const cases[][2] = {
		{"a.png 1x, b.png 2x", "a.png|b.png|"},
		{"a.png", "a.png|"},
		{"  a.png  ,  b.png  ", "a.png|b.png|"},
		{"a.png, b,c.png 2x", "a.png|b,c.png|"},
		{"a.png 100w, b.png 200w", "a.png|b.png|"},
		{"a.png,b.png", "a.png,b.png|"},
		{"a.png, b.png,", "a.png|b.png|"},
		{"x.png (a, b) 1x, y.png", "x.png|y.png|"},
		{"data:image/png;base64,AA== 1x, c.png 2x",
		 "data:image/png;base64,AA==|c.png|"},
		{"", ""}, {" , , ", ""},
	};
	size_t i;
	char name[256];

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b = {0};
		size_t pos = 0, start, len;
		const char *s = cases[i][0];

		buf_adds(&b, "");
		while (srcset_next(s, strlen(s), &pos, &start, &len)) {
			buf_add(&b, s + start, len);
			buf_addc(&b, '|');
		}
		snprintf(name, sizeof name, "srcset '%s'", s);
		is_str(b.data, cases[i][1], name);
		buf_free(&b);
	}
}

static void
test_sanitize(void)
{
	struct buf b = {0};
	static const char hostile[] = "a\x1b]0;T\x07" "b\tc\nd\x7f" "e\xc2\x9b" "f"
				      "\xe2\x80\xae" "g\xff" "h";

	buf_add_safe(&b, hostile, sizeof hostile - 1, SAN_TSV);
	is_str(b.data, "a ]0;T b c d e f\xef\xbf\xbdg\xef\xbf\xbdh", "TSV sanitising");
	b.len = 0;
	buf_add_safe(&b, hostile, sizeof hostile - 1, SAN_TEXT);
	is_str(b.data, "a^[]0;T^Gb^Ic^Jd^?e<U+009B>f<U+202E>g\xef\xbf\xbdh",
	       "terminal sanitising");
	b.len = 0;
	buf_add_safe(&b, hostile, sizeof hostile - 1, SAN_JSON);
	is_str(b.data, "a\\u001b]0;T\\u0007b\\tc\\nd\\u007fe\\u009bf\\u202eg\xef\xbf\xbdh",
	       "JSON escaping");
	b.len = 0;
	buf_add_safe(&b, "q\"\\ é", 6, SAN_JSON);
	is_str(b.data, "q\\\"\\\\ é", "JSON quotes, backslash, UTF-8 kept");
	b.len = 0;
	buf_add_safe(&b, "\xe0\x80\x80\xed\xa0\x80\xf4\x90\x80\x80", 10, SAN_TSV);
	ok(utf8_valid(b.data, b.len), "overlong, surrogate, >U+10FFFF replaced");
	ok(!utf8_valid("\xc3", 1) && utf8_valid("\xc3\xa9", 2) &&
	   utf8_valid("\xef\xbf\xbd", 3), "utf8_valid");
	buf_free(&b);
}

static void
test_collapse(void)
{
	struct buf b = {0};
	int space = 0;

	buf_adds(&b, "");
	text_collapse_add(&b, "  Hello \n\t ", 11, &space, 100);
	text_collapse_add(&b, "  world  ", 9, &space, 100);
	is_str(b.data, "Hello world", "whitespace collapsed across pieces, trimmed");
	b.len = 0;
	space = 0;
	text_collapse_add(&b, "\xc3\xa9\xc3\xa9\xc3\xa9", 6, &space, 5);
	utf8_trim_tail(&b);
	is_str(b.data, "\xc3\xa9\xc3\xa9", "cap does not split a UTF-8 sequence");
	buf_free(&b);
}

static void
test_names(void)
{
	static const char *const cases[][2] = {
		{"http://h/", "index.html"}, {"http://h", "index.html"},
		{"http://h/a/b.html?x=1/2#f", "b.html"},
		{"http://h/..%2F..%2F.bashrc", "..%2F..%2F.bashrc"}, /* prefixed below */
		{"http://h/.profile", "_.profile"}, {"http://h/-rf", "_-rf"},
		{"http://h/a\x1b]0;x", "a_]0;x"}, {"http://h/\xe2\x80\xaegpj.exe", "_gpj.exe"},
		{"http://h/x/..", "index.html"}, {"http://h/x/.", "index.html"},
	};
	size_t i;
	char name[256], *got;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		got = name_from_url(cases[i][0]);
		snprintf(name, sizeof name, "name from '%s'", cases[i][0]);
		if (i == 3)
			is_str(got, "_..%2F..%2F.bashrc", name);
		else
			is_str(got, cases[i][1], name);
		free(got);
	}
	{
		char url[600] = "http://h/";
		size_t n = strlen(url);

		memset(url + n, 'a', 300);
		strcpy(url + n + 300, ".html");
		got = name_from_url(url);
		ok(strlen(got) == 255 && !strcmp(got + 250, ".html"),
		   "a 305-byte name is cut to 255, extension kept");
		free(got);
	}
	{
		char url[600] = "http://h/a";
		size_t n = strlen(url), k;

		for (k = 0; k < 140; k++, n += 2)
			memcpy(url + n, "\xc3\xa9", 2);
		strcpy(url + n, ".html");
		got = name_from_url(url);
		ok(strlen(got) <= 255 && utf8_valid(got, strlen(got)) &&
		   !strcmp(got + strlen(got) - 5, ".html"),
		   "a long non-ASCII name is cut at a character boundary, extension kept");
		free(got);
	}
	ok(name_refusal("a/b") && name_refusal(".x") && name_refusal("") &&
	   !name_refusal("page.html"), "--save names with '/', a leading '.' refused");
}

static struct page *
parse(const char *html, const char *charset)
{
	struct page *p = page_parse(html, strlen(html), "http://h/d/p.html", charset, NULL);

	page_resolve(p);
	return p;
}

static void
test_parse(void)
{
	struct page *p;

	p = parse("<title> T  one </title><base href='/b/'><a href=x>  A\n b </a>"
		  "<img src=i alt=' alt '><area href=r alt=ar>"
		  "<a href=y title=tt></a><video poster=po><source src=s></video>", NULL);
	ok(p->n == 6, "six records");
	is_str(p->title, "T one", "title collapsed");
	is_str(p->el[0].url, "http://h/b/x", "base applies");
	is_str(p->el[0].text, "A b", "link text collapsed");
	is_str(p->el[1].text, "alt", "img alt");
	is_str(p->el[2].text, "ar", "area alt");
	is_str(p->el[3].text, "tt", "title when no text");
	is_str(p->el[4].rule->attr, "poster", "video poster");
	ok(p->count[K_LINK] == 3 && p->count[K_IMAGE] == 1 && p->count[K_MEDIA] == 2,
	   "counts per kind");
	page_free(p);

	p = parse("<a href=early></a><base href='http://o/x/'><base href='/no/'>", NULL);
	is_str(p->el[0].url, "http://o/x/early", "first base, also for earlier links");
	page_free(p);

	p = parse("<p>caf\xc3\xa9<a href=x>caf\xc3\xa9</a>", NULL);
	is_str(p->el[0].text, "caf\xc3\xa9", "undeclared UTF-8 read as UTF-8");
	is_str(p->charset, "UTF-8", "charset UTF-8 by default");
	page_free(p);

	p = parse("<meta charset=iso-8859-1><a href=x>caf\xe9</a>", NULL);
	is_str(p->el[0].text, "caf\xc3\xa9", "meta charset honoured");
	page_free(p);

	p = parse("<meta charset=iso-8859-1><a href=x>caf\xc3\xa9</a>", "utf-8");
	is_str(p->el[0].text, "caf\xc3\xa9", "HTTP charset beats meta");
	page_free(p);

	p = parse("<meta charset=utf-8><a href=a>\xe9\xe9</a><p>\xff\xfe"
		  "<a href=b>x</a><a href=last>y</a>", NULL);
	ok(p->n == 3 && !strcmp(p->el[2].url, "http://h/d/last"),
	   "a wrong declared charset does not lose later links");
	page_free(p);

	p = parse("<a href=x>\x80</a>", "x-bogus");
	ok(p->n == 1, "unknown HTTP charset ignored");
	page_free(p);

	p = parse("<img srcset='a.png 1x, b.png 2x'><picture><source srcset='c.png 100w'>"
		  "</picture><a href='java\nscript:x'>j</a>", NULL);
	ok(p->n == 4 && !strcmp(p->el[2].rule->tag, "source") &&
	   p->el[2].rule->kind == K_IMAGE, "srcset records, source srcset is an image");
	page_free(p);

	p = parse("", NULL);
	ok(p->n == 0 && !p->title, "empty body");
	page_free(p);

	{
		struct buf bomb = {0};
		int i;

		buf_adds(&bomb, "<a href=first>f</a><div");
		for (i = 0; i < 9000; i++)
			buf_addf(&bomb, " a%d=\"x\"", i);
		buf_adds(&bomb, "><a href=inside>i</a></div><a href=last>l</a>");
		p = parse(bomb.data, NULL);
		ok(p->trimmed == 1 && p->n == 3 && !strcmp(p->el[2].url, "http://h/d/last"),
		   "a tag with 9,000 attributes is cut at 64 KiB; no link is lost");
		page_free(p);
		buf_free(&bomb);
	}
	{
		struct buf big = {0};
		int i;

		for (i = 0; i < 300; i++)
			buf_adds(&big, "<div>");
		buf_adds(&big, "<a href=deep>d</a>");
		p = parse(big.data, NULL);
		ok(p->n == 1, "a link below 300 nested elements is kept");
		page_free(p);
		buf_free(&big);
	}
}

/* ---- the fast paths, against one-character-at-a-time references ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* Random text made of the pieces the fast paths must tell apart. */
static size_t
random_text(char *out, size_t cap)
{
	static const char *const pieces[] = {
		"a", "Z", " ", "~", "\x1f", "\x20", "\x7e", "\x7f", "\"", "\\",
		"\t", "\n", "\r", "\x1b", "\0", "\xc3\xa9", "\xc2\x9b", "\xc2\xa0",
		"\xe2\x80\xae", "\xe2\x81\xa6", "\xe2\x80\x8f", "\xd8\x9c",
		"\xe5\x9f\xba", "\xef\xbf\xbd", "\xf0\x9f\x9a\x80", "\xe0\x80\x80",
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\xc3", "\xe5\x9f",
		"\xf0\x9f\x9a", "\x80", "\xff", "abcdefgh", "0123456789abcdef",
	};
	size_t n = 0, count = rng() % 24;

	while (count--) {
		const char *p = pieces[rng() % (sizeof pieces / sizeof pieces[0])];
		size_t len = p[0] ? strlen(p) : 1;

		if (n + len > cap)
			break;
		memcpy(out + n, p, len);
		n += len;
	}
	return n;
}

static void
safe_reference(struct buf *b, const char *s, size_t n, enum san_mode m)
{
	size_t i = 0;
	uint32_t c;

	while (i < n) {
		i += utf8_decode((const unsigned char *)s + i, n - i, &c);
		add_safe_char(b, c, m);
	}
}

static int
valid_reference(const char *s, size_t n)
{
	size_t i = 0, len;
	uint32_t c;

	for (; i < n; i += len) {
		len = utf8_decode((const unsigned char *)s + i, n - i, &c);
		if (c == 0xfffd && len == 1)
			return 0;
	}
	return 1;
}

static void
test_fast_paths(void)
{
	static const unsigned char edges[] = {
		0x00, 0x1f, 0x20, 0x21, '"', '\\', 'a', 0x7e, 0x7f, 0x80, 0xc3, 0xff,
	};
	const enum san_mode modes[] = {SAN_TSV, SAN_JSON, SAN_TEXT};
	struct buf got = {0}, want = {0};
	char text[200];
	int i, k, words = 0, safe = 0, valid = 0;

	for (i = 0; i < 200000; i++) {
		unsigned char w8[8];
		uint64_t w;
		int plain[2] = {1, 1};

		for (k = 0; k < 8; k++) {
			w8[k] = rng() % 4 ? edges[rng() % sizeof edges] : (unsigned char)rng();
			plain[0] &= w8[k] >= 0x20 && w8[k] < 0x7f;
			plain[1] &= w8[k] >= 0x20 && w8[k] < 0x7f && w8[k] != '"' &&
				    w8[k] != '\\';
		}
		memcpy(&w, w8, 8);
		words += word_plain(w, SAN_TSV) == plain[0] &&
			 word_plain(w, SAN_JSON) == plain[1];
	}
	ok(words == 200000, "word_plain agrees with a byte test on 200,000 words");
	for (i = 0; i < 20000; i++) {
		size_t n = random_text(text, sizeof text);

		for (k = 0; k < 3; k++) {
			got.len = want.len = 0;
			buf_add(&got, "", 0);
			buf_add(&want, "", 0);
			buf_add_safe(&got, text, n, modes[k]);
			safe_reference(&want, text, n, modes[k]);
			safe += got.len == want.len && !memcmp(got.data, want.data, got.len);
		}
		valid += utf8_valid(text, n) == valid_reference(text, n);
	}
	ok(safe == 60000, "buf_add_safe = a character-at-a-time copy, 20,000 texts x 3 modes");
	ok(valid == 20000, "utf8_valid = utf8_decode over 20,000 texts");
	buf_free(&got);
	buf_free(&want);
}

/* Each srcset candidate's descriptor, as written, blanks and commas trimmed. */
static void
test_descriptors(void)
{
	static const char *const cases[][2] = {
		{"a.png 2x, b.png 480w,c.png", "2x|480w||"},
		{"a.png,, b.png  1.5x  ,", "|1.5x|"},
		{"x.png (a, b) 1x, y.png 100w 2x", "(a, b) 1x|100w 2x|"},
		{"a.png\n\t2x\n,b.png", "2x||"},
	};
	struct buf b = {0};
	size_t i, pos, start, len, d, dlen;
	const char *s;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		b.len = 0;
		buf_adds(&b, "");
		for (s = cases[i][0], pos = 0; srcset_next(s, strlen(s), &pos, &start, &len);) {
			srcset_descriptor(s, start + len, pos, &d, &dlen);
			buf_add(&b, s + d, dlen);
			buf_addc(&b, '|');
		}
		is_str(b.data, cases[i][1], "srcset descriptors");
	}
	buf_free(&b);
}

/* The JSON of a transfer's facts (TLS cannot be seen end to end: the
 * tests' certificate is self-signed, and nothing here can trust it). */
static void
test_transfer_facts(void)
{
	struct transfer t = {.content_length = -1};
	struct buf b = {0};
	const char *s;

	s = "Content-Type: text/html\r\nSet-Cookie: a=1\r\nno colon\r\n"
	    "set-cookie:b=2 \r\nX-E:\x1b[2J\r\n";
	json_headers(&b, s, strlen(s));
	is_str(b.data, "{\"content-type\":[\"text/html\"],\"set-cookie\":[\"a=1\",\"b=2\"],"
		       "\"x-e\":[\"\\u001b[2J\"]}", "hop headers: names once, in lower case, values in order");
	s = "SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384";
	net_debug_text(&t, NULL, s, strlen(s));
	b.len = 0;
	json_transfer(&b, &t);
	ok(strstr(b.data, "\"tls\":{\"version\":\"TLSv1.3\",\"cipher\":"
			  "\"TLS_AES_256_GCM_SHA384\",\"alpn\":null,") != NULL,
	   "tls: the version and cipher libcurl said");
	ok(strstr(b.data, "\"hops\":[],\"timings\":{\"dns\":null,") != NULL,
	   "no hop, no time: empty and null");
	t.t_total = 1234.5678;
	b.len = 0;
	json_transfer(&b, &t);
	ok(strstr(b.data, "\"total\":1234.568,") != NULL, "timings: milliseconds, three decimals");
	buf_free(&b);
	buf_free(&t.story);
}

/* Words as a POSIX shell (bash, for $'...') splits them: a \x01 in want
 * separates the words expected; NULL: refused. */
static void
words_case(const char *in, const char *want, const char *name)
{
	struct buf out = {0}, why = {0};
	size_t n = 0, i;
	int rc = shell_words(in, strlen(in), &out, &n, &why);

	for (i = 0; rc == 0 && i < out.len; i++)
		if (out.data[i] == '\0')
			out.data[i] = '\x01';
	buf_addc(&out, '\0');
	if (!want) {
		ok(rc < 0 && why.len, name);
	} else {
		is_str(rc == 0 ? out.data : why.data, want, name);
		ok(rc < 0 || (size_t)(strchr(want, '\0') - want) == 0 || n >= 1, name);
	}
	buf_free(&out);
	buf_free(&why);
}

static void
test_shell_words(void)
{
	struct buf out = {0}, why = {0}, big = {0}, q = {0};
	size_t n = 0, i;
	char *s;

	words_case("curl 'https://a.test/?q=1&b' -H 'x: y'",
		   "curl\001https://a.test/?q=1&b\001-H\001x: y\001", "single quotes");
	words_case("a\\ b \"c \\\"d\\\" \\$e \\x\" f''g", "a b\001c \"d\" $e \\x\001fg\001",
		   "backslash; double quotes keep a backslash before other bytes");
	words_case("curl 'u' \\\n  -H 'a: b' \\\r\n  --compressed",
		   "curl\001u\001-H\001a: b\001--compressed\001", "backslash-newline joins lines");
	words_case("$'\\x41\\n'", "A\n\001", "$'\\x41\\n'");
	words_case("$'it\\'s \\u00e9\\u0021\\101\\cA\\e'", "it's \xc3\xa9!A\001\033\001",
		   "$'...': quotes, \\u, octal, \\c, \\e");
	words_case("'' \"\"", "\001\001", "empty quoted words are words");
	words_case("  ", "", "blanks: no word");
	words_case("a # a comment\nb", "a\001b\001", "a comment to the end of the line");
	words_case("'open", NULL, "an unterminated ' quote is refused");
	words_case("\"open", NULL, "an unterminated \" quote is refused");
	words_case("$'open", NULL, "an unterminated $' quote is refused");
	words_case("$'a\\0b'", NULL, "$'\\0' (a NUL) is refused");
	words_case("$'\\x00'", NULL, "$'\\x00' is refused");
	words_case("curl u | sh", NULL, "a pipe is refused");
	words_case("echo $HOME", NULL, "an expansion is refused");
	words_case("\"$(id)\"", NULL, "an expansion in double quotes is refused");
	ok(shell_words("a\0b", 3, &out, &n, &why) < 0 && strstr(why.data, "NUL"),
	   "a NUL byte in the line is refused");
	for (i = 0; i < 200000; i++)
		buf_adds(&big, "-H 'X-Long: 0123456789abcdef' ");
	out.len = 0;
	ok(shell_words(big.data, big.len, &out, &n, &why) == 0 && n == 400000,
	   "a 6 MB command line: 400,000 words");
	for (i = 0; i < 256; i++)
		buf_addc(&q, (char)(i ? i : 'x'));
	buf_addc(&q, '\0');
	big.len = 0;
	shell_quote(&big, q.data, q.len - 1);
	for (i = 0, s = big.data; i < big.len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			break;
	ok(i == big.len, "shell_quote: printable ASCII only");
	buf_addc(&big, '\0');
	out.len = 0;
	ok(shell_words(big.data, big.len - 1, &out, &n, &why) == 0 && n == 1 &&
	   out.len == q.len && !memcmp(out.data, q.data, q.len), "... read back byte for byte");
	buf_free(&out);
	buf_free(&why);
	buf_free(&big);
	buf_free(&q);
}

/* curl words read as the command line reads its options: "" when taken
 * (then want_* hold), else the refusal. */
static const char *
read_case(const char *line, struct asked **out, const char **url)
{
	static struct buf why;
	static struct options base;

	base.req.max_redirs = MAX_REDIRECTS;
	base.user_agent = "scraper/" VERSION;
	why.len = 0;
	*url = NULL;
	*out = asked_read(&base, line, 1, url, &why);
	buf_addc(&why, '\0');
	return *out ? "" : why.data;
}

static void
test_request_words(void)
{
	struct asked *k;
	const char *url;
	struct buf b = {0};

	is_str(read_case("curl 'http://h.test/p' -sSL -o out.html --compressed -# -i -v -O "
			 "-H 'a: 1' --header='b: 2' -Hc:3 -X PUT --data-raw @x -b 'n=v' -k "
			 "-e http://r.test/ -A agent -u al:pw --max-redirs 3 --url-not", &k, &url),
	       "unknown curl option --url-not", "an unknown long option is named");
	is_str(read_case("curl 'http://h.test/p' -sSL -o out.html --compressed -# -i -v -O "
			 "-H 'a: 1' --header='b: 2' -Hc:3 -X PUT --data-raw @x -b 'n=v' -k "
			 "-e http://r.test/ -A agent -u al:pw --max-redirs 3", &k, &url),
	       "", "Chrome's and curl's words are taken");
	if (k) {
		is_str(url, "http://h.test/p", "... the URL");
		is_str(k->opt.req.headers && k->opt.req.headers->next && k->opt.req.headers->next->next
		       ? k->opt.req.headers->next->next->data : NULL, "c:3", "... -Hc:3");
		is_str(k->opt.req.data.data, "@x", "... --data-raw: '@' as it is");
		is_str(k->opt.req.cookie, "n=v", "... -b cookies");
		is_str(k->opt.user_agent, "agent", "... -A");
		ok(k->opt.req.insecure && k->opt.req.max_redirs == 3, "... -k, --max-redirs 3");
		request_words(&b, &k->opt, 0);
		buf_addc(&b, '\0');
		is_str(b.data, " -H 'a: 1' -H 'b: 2' -H c:3 -A agent -e http://r.test/ -u al -X PUT "
		       "--data-binary @x -b n=v -k --max-redirs 3", "... and back to words, without the password");
		b.len = 0;
		request_words(&b, &k->opt, 1);
		buf_addc(&b, '\0');
		ok(strstr(b.data, " -u al:pw ") && strstr(b.data, " --compressed -L --max-redirs 3"),
		   "... to replay: the password, --compressed, -L");
		asked_free(k);
	}
	is_str(read_case("curl --url http://h.test/ -z", &k, &url), "unknown curl option -z",
	       "an unknown short option is named");
	is_str(read_case("curl http://h.test/ -H", &k, &url), "-H needs a value",
	       "a missing value is named");
	is_str(read_case("curl http://h.test/ --dump", &k, &url), "--dump is not a request option",
	       "scraper's own options are no request options");
	is_str(read_case("curl http://h.test/ -k=1 --insecure=1", &k, &url),
	       "unknown curl option -=", "-k=1: '=' is no option letter");
	is_str(read_case("curl http://h.test/ --insecure=1", &k, &url), "--insecure takes no value",
	       "a value where none is taken");
	is_str(read_case("curl http://a.test/ http://b.test/", &k, &url),
	       "a second URL, http://b.test/: one fetch at a time", "one URL");
	is_str(read_case("curl http://a.test/ -d @-", &k, &url),
	       "-d @-: standard input is the terminal here", "-d @- is refused");
	is_str(read_case("curl http://a.test/ --data-binary @/dev/zero", &k, &url),
	       "@/dev/zero: not a regular file (the screen would wait on it)",
	       "a data file that never ends is refused");
	is_str(read_case("curl http://a.test/ -b /dev/zero", &k, &url),
	       "/dev/zero: not a regular file (the screen would wait on it)",
	       "a cookie file that never ends is refused");
	is_str(read_case("curl http://a.test/ --cacert /dev/zero", &k, &url),
	       "/dev/zero: not a regular file (the screen would wait on it)",
	       "... a CA file too");
	is_str(read_case("curl http://a.test/ -H 'NoColon'", &k, &url),
	       "-H 'NoColon': \"Name: value\" expected", "a bad value: the command line's message");
	buf_free(&b);
}


/* The rows of expr on html, as "cell|cell" lines; "!offset msg" for an
 * error; a trailing "~" when cut. */
static char *
query_on(const char *html, const char *expr, unsigned long bound)
{
	static char out[4096];
	struct page *p = page_parse(html, strlen(html), "http://h/d/p.html", NULL, NULL);
	struct query_error err;
	struct query *q = query_compile(expr, &err);
	struct query_rows r;
	struct buf b = {0};
	size_t i, j;

	buf_adds(&b, "");
	if (!q || query_run(q, p, bound, &r, &err) < 0) {
		buf_addf(&b, "!%zu %s", err.offset, err.msg);
	} else {
		for (i = 0; i < r.nrows; i++)
			for (j = 0; j < r.ncols; j++)
				buf_addf(&b, "%s%s", r.cells[i * r.ncols + j],
					 j + 1 < r.ncols ? "|" : i + 1 < r.nrows ? "\n" : "");
		if (r.cut)
			buf_adds(&b, "~");
		query_rows_free(&r);
	}
	snprintf(out, sizeof out, "%s", b.data);
	buf_free(&b);
	query_free(q);
	page_free(p);
	return out;
}

/* The CSS translator: each construct as cssselect (and parsel) writes
 * it, or in the shorter form the README names; each error at its byte. */
static void
test_query_css(void)
{
	static const char *const cases[][2] = {
		{"a", "descendant-or-self::a"},
		{"*", "descendant-or-self::*"},
		{"A", "descendant-or-self::a"},
		{"#x", "descendant-or-self::*[@id = 'x']"},
		{".c", "descendant-or-self::*[@class and contains(concat(' ', normalize-space(@class), ' '), ' c ')]"},
		{"p.a.b", "descendant-or-self::p[(@class and contains(concat(' ', normalize-space(@class), ' '), ' a ')) and (@class and contains(concat(' ', normalize-space(@class), ' '), ' b '))]"},
		{"[HREF]", "descendant-or-self::*[@href]"},
		{"[a=\"x\"]", "descendant-or-self::*[@a = 'x']"},
		{"[a=x]", "descendant-or-self::*[@a = 'x']"},
		{"[a~=b]", "descendant-or-self::*[@a and contains(concat(' ', normalize-space(@a), ' '), ' b ')]"},
		{"[a~='b c']", "descendant-or-self::*[0]"},
		{"[lang|=en]", "descendant-or-self::*[@lang and (@lang = 'en' or starts-with(@lang, 'en-'))]"},
		{"[a^=x]", "descendant-or-self::*[@a and starts-with(@a, 'x')]"},
		{"[a^='']", "descendant-or-self::*[0]"},
		{"[a$=xyz]", "descendant-or-self::*[@a and substring(@a, string-length(@a)-2) = 'xyz']"},
		{"[a*=\"it's\"]", "descendant-or-self::*[@a and contains(@a, \"it's\")]"},
		{"[a='\"\\'']", "descendant-or-self::*[@a = concat('\"',\"'\",'')]"},
		{"div p", "descendant-or-self::div//p"},
		{"div > p", "descendant-or-self::div/p"},
		{"h1 + p", "descendant-or-self::h1/following-sibling::*[1][self::p]"},
		{"h1 + *", "descendant-or-self::h1/following-sibling::*[1]"},
		{"h1 ~ p", "descendant-or-self::h1/following-sibling::p"},
		{"li:first-child", "descendant-or-self::li[count(preceding-sibling::*) = 0]"},
		{"li:last-child", "descendant-or-self::li[count(following-sibling::*) = 0]"},
		{"li:only-child", "descendant-or-self::li[count(parent::*/child::*) = 1]"},
		{"li:first-of-type", "descendant-or-self::li[count(preceding-sibling::li) = 0]"},
		{"li:last-of-type", "descendant-or-self::li[count(following-sibling::li) = 0]"},
		{"li:only-of-type", "descendant-or-self::li[count(parent::*/child::li) = 1]"},
		{"li:nth-child(3)", "descendant-or-self::li[count(preceding-sibling::*) = 2]"},
		{"li:nth-child(odd)", "descendant-or-self::li[count(preceding-sibling::*) mod 2 = 0]"},
		{"li:nth-child(even)", "descendant-or-self::li[(count(preceding-sibling::*) +1) mod 2 = 0]"},
		{"li:nth-child(2n + 1)", "descendant-or-self::li[count(preceding-sibling::*) mod 2 = 0]"},
		{"li:nth-child(-n+3)", "descendant-or-self::li[count(preceding-sibling::*) <= 2]"},
		{"li:nth-child(3n-1)", "descendant-or-self::li[(count(preceding-sibling::*) +2) mod 3 = 0]"},
		{"li:nth-child(n)", "descendant-or-self::li"},
		{"li:nth-child(-n)", "descendant-or-self::li[0]"},
		{"li:nth-child(3n+4)", "descendant-or-self::li[(count(preceding-sibling::*) >= 3) and (count(preceding-sibling::*) mod 3 = 0)]"},
		{"li:nth-last-child(2)", "descendant-or-self::li[count(following-sibling::*) = 1]"},
		{"li:nth-of-type(3n)", "descendant-or-self::li[(count(preceding-sibling::li) +1) mod 3 = 0]"},
		{"li:nth-last-of-type(1)", "descendant-or-self::li[count(following-sibling::li) = 0]"},
		{"p:not(.x)", "descendant-or-self::p[not(@class and contains(concat(' ', normalize-space(@class), ' '), ' x '))]"},
		{"p:not(a)", "descendant-or-self::p[not(name() = 'a')]"},
		{":not(*)", "descendant-or-self::*[0]"},
		{"p:empty", "descendant-or-self::p[not(*) and not(string-length())]"},
		{":root", "descendant-or-self::*[not(parent::*)]"},
		{"a, b", "descendant-or-self::a | descendant-or-self::b"},
		{"a::text", "descendant-or-self::a/text()"},
		{"::text", "descendant-or-self::text()"},
		{"a ::text", "descendant-or-self::a//text()"},
		{"a::attr(HREF)", "descendant-or-self::a/@href"},
		{"a ::attr(href)", "descendant-or-self::a//@href"},
		{"::attr(id)", "descendant-or-self::*/@id"},
		{"x\\31 y", "descendant-or-self::x1y"},
		{"p.it\\'s", "descendant-or-self::p[@class and contains(concat(' ', normalize-space(@class), ' '), \" it's \")]"},
		{"\\31 x", "descendant-or-self::*[name() = '1x']"},
		{"[\\31 x]", "descendant-or-self::*[@*[name() = '1x']]"},
	};
	static const struct { const char *css; size_t at; const char *msg; } bad[] = {
		{"a,", 2, "a selector is expected"}, {",a", 0, "a selector is expected"},
		{"a,,b", 2, "a selector is expected"},
		{"a >", 3, "a selector is expected after the combinator"},
		{"a > > b", 4, "a selector is expected"}, {"a[", 2, "a name is expected"},
		{"a[x", 3, "an operator or a ] is expected"}, {"a[x=", 4, "a name is expected"},
		{"a[x=y z]", 6, "a ] is expected"}, {"a[x=\"y", 4, "a quote is not closed"},
		{"a:foo", 2, "an unknown pseudo-class"}, {"a:foo(1)", 2, "an unknown pseudo-class"},
		{"a:nth-child(", 12, "a ) is missing"},
		{"a:nth-child(x)", 12, "An+B is expected (odd, even, 3, 2n+1)"},
		{"a:nth-child(2n+)", 12, "An+B is expected (odd, even, 3, 2n+1)"},
		{"a::text b", 8, "a , or the end is expected after a pseudo-element"},
		{"a::foo", 3, "::text or ::attr(name) is expected"},
		{"a::attr(x", 9, "a ) is expected"},
		{"*:first-of-type", 2, "an -of-type pseudo-class needs a tag name"},
		{"*:nth-of-type(2)", 2, "an -of-type pseudo-class needs a tag name"},
		{"a:not(b:not(c))", 8, ":not() inside :not()"}, {"a:not(b", 7, "a ) is expected"},
		{"ns|a", 2, "an unexpected character"}, {"123", 0, "a name may not start with a digit"},
		{"a!", 1, "an unexpected character"}, {"#", 1, "a name is expected"},
		{"a\\", 2, "an escape is cut short"}, {"a:", 2, "a name is expected"},
		{"a b\x01", 3, "invalid UTF-8, or a character XPath cannot hold"},
		{"a[x='\xff']", 5, "invalid UTF-8, or a character XPath cannot hold"},
		{"a.b\\1 c", 3, "an escape of a character XPath cannot hold"},
	};
	struct query_error err;
	char name[200], *x;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		x = css_to_xpath(cases[i][0], 0, strlen(cases[i][0]), NULL, &err);
		snprintf(name, sizeof name, "css %s", cases[i][0]);
		is_str(x, cases[i][1], name);
		if (x) {
			xmlXPathCompExprPtr c = xpath_compile(x, 0, SIZE_MAX, &err);

			ok(c != NULL, "... compiles");
			xmlXPathFreeCompExpr(c);
		}
		free(x);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&err, 0, sizeof err);
		x = css_to_xpath(bad[i].css, 0, strlen(bad[i].css), NULL, &err);
		snprintf(name, sizeof name, "css error %s: at %zu, %s", bad[i].css, bad[i].at, bad[i].msg);
		ok(!x && err.offset == bad[i].at && !strcmp(err.msg, bad[i].msg), name);
		if (x || err.offset != bad[i].at)
			printf("#   got %zu %s\n", err.offset, err.msg);
		free(x);
	}
}

/* Paths as xmlGetNodePath() makes them, for every node and attribute. */
static void
test_query_paths(void)
{
	static const char html[] =
		"<!-- c --><html><body><p>a<b>x</b>b<!--k-->c<b>y</b><i>z</i></p><p id=q>"
		"<?pi x?><br><br></p><div><span/></div></body></html>";
	struct page *p = page_parse(html, strlen(html), "http://h/", NULL, NULL);
	xmlDocPtr doc = page_tree(p);
	xmlXPathContextPtr x = xmlXPathNewContext(doc);
	xmlXPathObjectPtr res = xmlXPathEval((const xmlChar *)"//node() | //@*", x);
	int i, same = 0;

	for (i = 0; i < res->nodesetval->nodeNr; i++) {
		xmlNodePtr n = res->nodesetval->nodeTab[i];
		char *mine = node_path(n);
		xmlChar *theirs = xmlGetNodePath(n);

		if (!strcmp(mine, (const char *)theirs))
			same++;
		else
			printf("# %s != %s\n", mine, (const char *)theirs);
		free(mine);
		xmlFree(theirs);
	}
	ok(same == i && i > 15, "query: node paths as xmlGetNodePath() writes them");
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(x);
	page_free(p);
}

/* A query that libxml2 would take minutes over is cut at its time. */
static void
test_query_bound(void)
{
	struct buf b = {0};
	struct timespec since;
	char *got;
	int i;

	buf_adds(&b, "<html><body>");
	for (i = 0; i < 20000; i++)
		buf_adds(&b, "<div><p>a <a href=x>b</a></p><ul><li>c</li></ul></div>");
	clock_gettime(CLOCK_MONOTONIC, &since);
	got = query_on(b.data, "count(//div//*)", 300);
	ok(strlen(got) > 0 && got[strlen(got) - 1] == '~', "query: cut at the time bound");
	ok(elapsed_s(&since) < 5, "query: ... soon after it");
	got = query_on(b.data, "count(//li)", 60000);
	is_str(got, "20000", "query: under the bound, whole");
	buf_free(&b);
}

static void
test_query_xpath(void)
{
	static const char page[] =
		"<html><head><title>T</title></head><body><div id=m class='a b'>"
		"<p>One <a href='x'>first\n  link</a></p><p><a href='/y' class=k>two</a>"
		"<img src=i.png></p></div><table><tr><td>1</td><td>a</td></tr>"
		"<tr><td>2</td><td><a href=z>b</a></td></tr></table></body></html>";
	static const char *const cases[][2] = {
		{"//a/@href", "x\n/y\nz"},
		{"//a", "first link\ntwo\nb"},
		{"//p/text()", "One "},
		{"count(//a)", "3"},
		{"string(//title)", "T"},
		{"xpath://img/@src", "i.png"},
		{"descendant::td[1]", "1"},
		{"./body/div/@id", "m"},
		{"//tr { ./td[1], ./td[2], xpath:.//a/@href }", "1|a|\n2|b|z"},
		{"//a { text, @href, url, xpath }",
		 "first link|x|http://h/d/x|/html/body/div/p[1]/a\n"
		 "two|/y|http://h/y|/html/body/div/p[2]/a\nb|z|http://h/d/z|/html/body/table/tr[2]/td[2]/a"},
		{"//img { @SRC, url, html }", "i.png|http://h/d/i.png|<img src=\"i.png\">"},
		{"//div {@class, @none}", "a b|"},
		{" //td[2] { text } ", "a\nb"},
		{"//a[@href='{']", ""},
		{"//a[", "!4 an expression is invalid"},
		{"//a[@x='", "!7 a quote is not closed"},
		{"//a { text", "!10 a closing } is missing"},
		{"//a { text } x", "!13 nothing may follow the fields' }"},
		{"//a { text, }", "!12 a field is missing"},
		{"//a { @ }", "!7 an attribute name is expected"},
		{"//a { @a b }", "!8 an attribute name is expected"},
		{"//a { text, ./b[ }", "!16 an expression is invalid"},
		{"{ text }", "!0 a selector is missing"},
		{"xpath: ", "!6 a selector is missing"},
		{"foo(1)", "!0 an unknown function"},
		{"//p//a", "first link\ntwo"},
		{"div p a", "first link\ntwo"},
		{"css:a::attr(href)", "x\n/y\nz"},
		{"tr { td:nth-child(1)::text, td:nth-child(2)::text, a::attr(href) }", "1|a|\n2||z"},
		{"a { @href, xpath: . }", "x|first link\n/y|two\nz|b"},
		{"a:nth-child(x)", "!12 An+B is expected (odd, even, 3, 2n+1)"},
		{"tr { td:nth-child(x)::text }", "!18 An+B is expected (odd, even, 3, 2n+1)"},
		{"  css:  p >", "!11 a selector is expected after the combinator"},
	};
	size_t i;
	char name[160];

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(name, sizeof name, "query %s", cases[i][0]);
		is_str(query_on(page, cases[i][0], 0), cases[i][1], name);
		snprintf(name, sizeof name, "query %s, in a child process", cases[i][0]);
		is_str(query_on(page, cases[i][0], 60000), cases[i][1], name);
	}
}

/* What an expression's --dump rows read of the tree: text, or not; the
 * attributes named; every attribute for a typed XPath or an html field. */
static void
test_query_needs(void)
{
	static const char *const cases[][2] = {
		{"a::attr(href)", "- href "},
		{"a::attr(HREF), img::attr(src)", "- href src "},
		{"a::attr(href), p", "text href "},
		{"div.card p a", "text class "},
		{"#main > li[data-x^=y]:nth-child(2) { xpath }", "- id data-x "},
		{"p:empty { xpath }", "text "},
		{"p:first-child:not([lang]) { xpath, @Title }", "- lang title "},
		{"a { url }", "- href src data poster "},
		{"tr { td::text, a::attr(href) }", "text href "},
		{"tr { a::attr(href), img::attr(src) }", "- href src "},
		{"tr { a }", "text "},
		{"p { html }", "text all "},
		{"//a/@href", "text all "},
		{"tr { xpath:./td }", "text all "},
		{"p::text", "text "},
	};
	struct query_error err;
	char name[200];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct query *q = query_compile(cases[i][0], &err);
		struct buf b = {0};

		buf_adds(&b, q && q->needs.text ? "text" : "-");
		if (q && q->needs.attrs)
			buf_adds(&b, " all ");
		else if (q)
			buf_adds(&b, q->needs.names.len ? q->needs.names.data : " ");
		snprintf(name, sizeof name, "what %s reads", cases[i][0]);
		is_str(b.data, cases[i][1], name);
		buf_free(&b);
		query_free(q);
	}
}

int
main(void)
{
	xmlInitParser();
	test_resolve();
	test_srcset();
	test_sanitize();
	test_fast_paths();
	test_collapse();
	test_names();
	test_parse();
	test_descriptors();
	test_transfer_facts();
	test_shell_words();
	test_request_words();
	test_query_xpath();
	test_query_paths();
	test_query_css();
	test_query_bound();
	test_query_needs();
	printf("1..%d\n", test_no);
	xmlCleanupParser();
	return failed != 0;
}
