/*
 * scraper — a keyboard-driven terminal web scraper.
 *
 * It fetches one page over HTTP(S), tells the story of the fetch step by step
 * (host → IP, TCP connection, request, response headers, body), and lists the
 * URL-bearing elements of the page: links, images, media, embeds, resources.
 * Interactively it shows them in panes; with --dump it prints TSV or JSON.
 *
 * Three layers, each in its own section and each testable alone:
 *   parse  libxml2's HTML parser driven through SAX: bytes + URL in, a page of
 *          plain C strings out (no tree is built: it is ~10x the page in memory);
 *   net    libcurl's multi interface: transfers are driven by one loop that
 *          never blocks, so the screen stays alive during a fetch;
 *   ui     ncurses: panes, the URL form, the status line.
 * Data flows net → parse → output/ui. Everything from the network is hostile:
 * it passes through buf_add_safe() before reaching a terminal or a file format.
 *
 * Start reading at main(). `grep -n '^/\* ====' scraper.c` is the table of contents.
 */

/* ==== includes, limits and enums ==== */

#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* wcwidth; pkg-config's ncursesw flags set it too */
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#define VERSION "0.1.0"

#define DEFAULT_MAX_SIZE (64L * 1024 * 1024)
#define DEFAULT_TIMEOUT 30L
#define DEFAULT_DIR "Files"
#define MAX_REDIRECTS 10L
#define TEXT_CAP 1024       /* bytes kept of a link's text or the title */
#define NAME_MAX_BYTES 255  /* longest file name we create */

enum exit_status {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_TRANSFER = 2,
	EXIT_HTTP = 3,
	EXIT_LOCAL = 4,
	EXIT_SIGINT = 130,
	EXIT_SIGTERM = 143,
};

enum kind { K_LINK, K_IMAGE, K_MEDIA, K_EMBED, K_RESOURCE, K_COUNT };

/* How a string from the network is made safe for where it goes. */
enum san_mode {
	SAN_TEXT, /* terminal or stderr: controls shown as ^X or <U+XXXX> */
	SAN_TSV,  /* controls become spaces, bidi controls U+FFFD */
	SAN_JSON, /* RFC 8259 escapes, plus DEL, C1 and bidi as \uXXXX */
};

/* ==== types ==== */

struct buf {
	char *data;
	size_t len, cap;
};

/* Strings of one page live in an arena: one free for the lot, no per-string
 * malloc overhead on pages with 100,000 links. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

struct arena {
	struct arena_chunk *head;
};

struct rule {
	const char *tag, *attr;
	enum kind kind;
	int srcset; /* the value is a srcset: one record per candidate */
};

struct element {
	const struct rule *rule;
	const char *raw;  /* the attribute value as written (one candidate for srcset) */
	const char *url;  /* resolved against the document base */
	const char *text; /* never NULL */
};

struct page {
	struct arena arena;
	struct element *el;
	size_t n, cap;
	size_t count[K_COUNT];
	const char *title;    /* NULL when the page has none */
	const char *base;     /* the URL records were resolved against */
	const char *charset;  /* the charset the body was read as */
	const char *charset_from;
	int partial;          /* the parser gave up before the end */
};

struct transfer {
	CURL *easy;
	char *url;          /* as requested */
	struct buf body;
	struct buf log;     /* the story: lines "* step", "> sent", "< received" */
	size_t max_size;
	int too_large;
	int done;
	CURLcode result;
	long status;
	char errbuf[CURL_ERROR_SIZE];
	/* from the info getters once done */
	char *final_url, *content_type, *ip;
	long port, redirects;
	curl_off_t content_length; /* -1: not sent */
	double t_dns, t_connect, t_tls, t_first, t_total; /* milliseconds */
};

struct options {
	int dump;
	int json;
	int verbose;
	int force;
	int save;            /* --save given */
	const char *save_name; /* NULL: derive from the URL */
	const char *dir;
	long max_size;
	long timeout;
	const char *user_agent;
	const char *url;
};

struct app {
	struct options opt;
	CURLM *multi;
	struct transfer *xfer; /* the page fetch in flight, or NULL */
};

/* ==== configuration ==== */

/* The extraction table of SPEC.md. Tags and attributes as libxml2 reports
 * them: lower case. */
static const struct rule rules[] = {
	{"a", "href", K_LINK, 0},          {"area", "href", K_LINK, 0},
	{"img", "src", K_IMAGE, 0},        {"img", "srcset", K_IMAGE, 1},
	{"source", "srcset", K_IMAGE, 1},  {"audio", "src", K_MEDIA, 0},
	{"video", "src", K_MEDIA, 0},      {"video", "poster", K_MEDIA, 0},
	{"source", "src", K_MEDIA, 0},     {"track", "src", K_MEDIA, 0},
	{"object", "data", K_EMBED, 0},    {"embed", "src", K_EMBED, 0},
	{"iframe", "src", K_EMBED, 0},     {"frame", "src", K_EMBED, 0},
	{"link", "href", K_RESOURCE, 0},   {"script", "src", K_RESOURCE, 0},
};
#define NRULES (sizeof rules / sizeof rules[0])

static const char *const kind_names[K_COUNT] = {
	"link", "image", "media", "embed", "resource",
};

/* ==== util: pure helpers (may call libc only) ==== */

static volatile sig_atomic_t got_signal; /* set by the handler, read by the loop */
static char cleanup_path[PATH_MAX];      /* a temp file to remove on any exit */

static void
cleanup_temp(void)
{
	if (cleanup_path[0]) {
		unlink(cleanup_path);
		cleanup_path[0] = '\0';
	}
}

static void
die(const char *fmt, ...)
{
	va_list ap;

	cleanup_temp();
	fputs("scraper: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_TRANSFER);
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static void *
xmalloc(size_t n)
{
	return xrealloc(NULL, n);
}

static char *
xstrndup(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

static void
buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1; /* room for a terminating NUL */

	if (need < b->len)
		die("out of memory");
	if (need <= b->cap)
		return;
	if (b->cap < 64)
		b->cap = 64;
	while (b->cap < need)
		b->cap = b->cap > SIZE_MAX / 2 ? need : b->cap * 2;
	b->data = xrealloc(b->data, b->cap);
}

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

static void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void
buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

static char *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	char *p;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > 64 * 1024 ? n : 64 * 1024;

		c = xmalloc(sizeof *c + cap);
		c->next = a->head;
		c->used = 0;
		c->cap = cap;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

static const char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void
arena_free(struct arena *a)
{
	while (a->head) {
		struct arena_chunk *next = a->head->next;

		free(a->head);
		a->head = next;
	}
}

/* Decodes one UTF-8 sequence. Returns its length (1 for an invalid byte,
 * with *cp = U+FFFD): overlong forms, surrogates and values past U+10FFFF are
 * invalid, as in the Unicode standard's table 3-7. */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07, min = 0x10000;
	else
		goto invalid;
	if (n < len)
		goto invalid;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto invalid;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto invalid;
	*cp = c;
	return len;
invalid:
	*cp = 0xfffd;
	return 1;
}

static int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;

	while (i < n) {
		size_t len;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		len = utf8_decode(p + i, n - i, &cp);
		if (cp == 0xfffd && len == 1)
			return 0;
		i += len;
	}
	return 1;
}

static int
is_control(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0);
}

/* Characters that reorder text on a terminal (Trojan Source). */
static int
is_bidi(uint32_t c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x200e || c == 0x200f || c == 0x061c;
}

static void
buf_add_utf8(struct buf *b, uint32_t c)
{
	char s[4];

	if (c < 0x80) {
		buf_addc(b, (char)c);
	} else if (c < 0x800) {
		s[0] = (char)(0xc0 | (c >> 6));
		s[1] = (char)(0x80 | (c & 0x3f));
		buf_add(b, s, 2);
	} else if (c < 0x10000) {
		s[0] = (char)(0xe0 | (c >> 12));
		s[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		s[2] = (char)(0x80 | (c & 0x3f));
		buf_add(b, s, 3);
	} else {
		s[0] = (char)(0xf0 | (c >> 18));
		s[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		s[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		s[3] = (char)(0x80 | (c & 0x3f));
		buf_add(b, s, 4);
	}
}

static void
add_escaped(struct buf *b, uint32_t c, enum san_mode m)
{
	if (m == SAN_TSV) {
		if (is_bidi(c))
			buf_add_utf8(b, 0xfffd);
		else
			buf_addc(b, ' ');
	} else if (m == SAN_JSON) {
		buf_addf(b, "\\u%04x", (unsigned)c);
	} else if (c < 0x20 || c == 0x7f) {
		buf_addc(b, '^');
		buf_addc(b, (char)(c ^ 0x40));
	} else {
		buf_addf(b, "<U+%04X>", (unsigned)c);
	}
}

static void
add_json_char(struct buf *b, uint32_t c)
{
	switch (c) {
	case '"': buf_adds(b, "\\\""); break;
	case '\\': buf_adds(b, "\\\\"); break;
	case '\n': buf_adds(b, "\\n"); break;
	case '\r': buf_adds(b, "\\r"); break;
	case '\t': buf_adds(b, "\\t"); break;
	default: add_escaped(b, c, SAN_JSON); break;
	}
}

/* The one gate between network bytes and anything a person or a parser
 * reads: invalid UTF-8 becomes U+FFFD, controls and bidi controls are made
 * harmless as the mode says. */
static void
buf_add_safe(struct buf *b, const char *s, size_t n, enum san_mode m)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;
	uint32_t c;

	while (i < n) {
		/* copy plain printable ASCII in one go: the common case */
		for (run = i; run < n && p[run] >= 0x20 && p[run] < 0x7f &&
		     !(m == SAN_JSON && (p[run] == '"' || p[run] == '\\'));
		     run++)
			;
		if (run > i) {
			buf_add(b, p + i, run - i);
			i = run;
			continue;
		}
		i += utf8_decode(p + i, n - i, &c);
		if (m == SAN_JSON && (c == '"' || c == '\\' || is_control(c) ||
				      is_bidi(c)))
			add_json_char(b, c);
		else if (is_control(c) || is_bidi(c))
			add_escaped(b, c, m);
		else
			buf_add_utf8(b, c);
	}
}

static int
is_html_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* Appends text with runs of ASCII whitespace collapsed to one space, never
 * letting b grow past cap bytes. *pending_space carries a run across calls. */
static void
text_collapse_add(struct buf *b, const char *s, size_t n, int *pending_space,
		  size_t cap)
{
	size_t i;

	for (i = 0; i < n && b->len < cap; i++) {
		if (is_html_space((unsigned char)s[i])) {
			*pending_space = 1;
			continue;
		}
		if (*pending_space && b->len > 0)
			buf_addc(b, ' ');
		*pending_space = 0;
		buf_addc(b, s[i]);
	}
}

/* Cutting at cap may split a UTF-8 sequence: drop the broken tail. */
static void
utf8_trim_tail(struct buf *b)
{
	size_t i = b->len, back = 0;

	while (i > 0 && back < 4 && ((unsigned char)b->data[i - 1] & 0xc0) == 0x80)
		i--, back++;
	if (i > 0 && (unsigned char)b->data[i - 1] >= 0xc0) {
		uint32_t cp;
		size_t len = utf8_decode((const unsigned char *)b->data + i - 1,
					 b->len - i + 1, &cp);
		if (cp == 0xfffd && len == 1) {
			b->len = i - 1;
			b->data[b->len] = '\0';
		}
	}
}

static int
ascii_casecmp_n(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int ca = tolower((unsigned char)a[i]), cb = tolower((unsigned char)b[i]);

		if (ca != cb || !ca)
			return ca - cb;
	}
	return 0;
}

/* ---- srcset: the HTML standard's "parse a srcset attribute" ---- */

/* Finds the next candidate's URL in s[*pos..n). Returns 0 at the end.
 * Descriptors are skipped; commas inside a URL are part of it, and a comma
 * inside parentheses in a descriptor does not end the candidate. */
static int
srcset_next(const char *s, size_t n, size_t *pos, size_t *url_start,
	    size_t *url_len)
{
	size_t i = *pos, start, end;
	int depth = 0;

	while (i < n && (is_html_space((unsigned char)s[i]) || s[i] == ','))
		i++;
	if (i >= n)
		return 0;
	start = i;
	while (i < n && !is_html_space((unsigned char)s[i]))
		i++;
	end = i;
	if (end > start && s[end - 1] == ',') {
		while (end > start && s[end - 1] == ',')
			end--;
	} else {
		for (; i < n; i++) {
			if (s[i] == '(')
				depth = 1;
			else if (s[i] == ')')
				depth = 0;
			else if (s[i] == ',' && !depth) {
				i++;
				break;
			}
		}
	}
	*pos = i;
	*url_start = start;
	*url_len = end - start;
	return 1;
}

/* ---- URLs: RFC 3986 section 5 ---- */
/*
 * Measured on this Debian, neither library resolves the way pages need:
 * libcurl 7.88's curl_url() resolves "#top" against the directory, refuses
 * mailto:, javascript:, tel: and data:, and keeps surrounding spaces;
 * libxml2 2.9.14's xmlBuildURI() percent-encodes ':' in paths and gives up
 * on spaces and non-ASCII letters. So section 5.2 is written out here; a
 * reference is kept as written beyond what the algorithm changes, as
 * browsers' "href" attribute readers and urljoin() show it (no
 * percent-encoding; that happens when a URL is fetched).
 */

struct uri {
	const char *scheme, *auth, *path, *query, *frag;
	size_t scheme_len, auth_len, path_len, query_len, frag_len;
	int has_auth, has_query, has_frag;
};

static size_t
uri_scheme_len(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !isalpha((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ':')
			return i;
		if (!isalnum(c) && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 0;
}

static void
uri_split(const char *s, size_t n, struct uri *u)
{
	size_t i = 0, j;

	memset(u, 0, sizeof *u);
	u->scheme_len = uri_scheme_len(s, n);
	if (u->scheme_len) {
		u->scheme = s;
		i = u->scheme_len + 1;
	}
	if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
		u->has_auth = 1;
		i += 2;
		for (j = i; j < n && s[j] != '/' && s[j] != '?' && s[j] != '#'; j++)
			;
		u->auth = s + i;
		u->auth_len = j - i;
		i = j;
	}
	for (j = i; j < n && s[j] != '?' && s[j] != '#'; j++)
		;
	u->path = s + i;
	u->path_len = j - i;
	i = j;
	if (i < n && s[i] == '?') {
		u->has_query = 1;
		for (j = ++i; j < n && s[j] != '#'; j++)
			;
		u->query = s + i;
		u->query_len = j - i;
		i = j;
	}
	if (i < n && s[i] == '#') {
		u->has_frag = 1;
		u->frag = s + i + 1;
		u->frag_len = n - i - 1;
	}
}

static int
scheme_is_http(const char *s, size_t n)
{
	return (n == 4 && !ascii_casecmp_n(s, "http", 4)) ||
	       (n == 5 && !ascii_casecmp_n(s, "https", 5));
}

/* RFC 3986 5.2.4 over in[0..n): `in` is consumed left to right, whole
 * segments are appended to or taken off `out` (room for n bytes). */
static size_t
path_remove_dots(char *out, const char *in, size_t n)
{
	size_t i = 0, o = 0, j;

	while (i < n) {
		const char *p = in + i;
		size_t left = n - i;

		if (left >= 3 && !memcmp(p, "../", 3)) {
			i += 3;
		} else if (left >= 2 && !memcmp(p, "./", 2)) {
			i += 2;
		} else if (left >= 3 && !memcmp(p, "/./", 3)) {
			i += 2;
		} else if (left == 2 && !memcmp(p, "/.", 2)) {
			out[o++] = '/';
			break;
		} else if ((left >= 4 && !memcmp(p, "/../", 4)) ||
			   (left == 3 && !memcmp(p, "/..", 3))) {
			i += 3;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			if (left == 3) {
				out[o++] = '/';
				break;
			}
		} else if ((left == 1 && p[0] == '.') ||
			   (left == 2 && !memcmp(p, "..", 2))) {
			break;
		} else {
			j = i + (in[i] == '/');
			while (j < n && in[j] != '/')
				j++;
			memcpy(out + o, in + i, j - i);
			o += j - i;
			i = j;
		}
	}
	return o;
}

/* Appends a path with its dot segments removed. */
static void
buf_add_path(struct buf *b, const char *path, size_t n)
{
	buf_reserve(b, n);
	b->len += path_remove_dots(b->data + b->len, path, n);
	b->data[b->len] = '\0';
}

static void
buf_add_lower(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_addc(b, (char)tolower((unsigned char)s[i]));
}

/* The target path of 5.2.2 when the reference has neither scheme nor
 * authority: the reference's own, or merged with the base's (5.2.3). */
static void
uri_merge_path(struct buf *out, const struct uri *b, const struct uri *r)
{
	struct buf tmp = {0};
	size_t i;

	if (r->path_len && r->path[0] == '/') {
		buf_add_path(out, r->path, r->path_len);
		return;
	}
	if (b->has_auth && b->path_len == 0) {
		buf_addc(&tmp, '/');
	} else {
		for (i = b->path_len; i > 0 && b->path[i - 1] != '/'; i--)
			;
		buf_add(&tmp, b->path, i);
	}
	buf_add(&tmp, r->path, r->path_len);
	buf_add_path(out, tmp.data, tmp.len);
	buf_free(&tmp);
}

/* Resolves ref[0..n) against an absolute http(s) base into out (cleared
 * first). ref has been trimmed of surrounding whitespace by the caller. */
static void
url_resolve_into(struct buf *out, const struct uri *b, const char *ref, size_t n)
{
	struct uri r;
	const struct uri *q; /* whose query the target takes */

	out->len = 0;
	buf_reserve(out, n);
	out->data[0] = '\0';
	uri_split(ref, n, &r);
	/* "http:x" with the base's own scheme is relative, as in browsers and
	 * urljoin(); any other scheme stands as written (mailto:, data:, ...). */
	if (r.scheme_len && !(scheme_is_http(r.scheme, r.scheme_len) &&
			      r.scheme_len == b->scheme_len && !r.has_auth &&
			      !ascii_casecmp_n(r.scheme, b->scheme, r.scheme_len))) {
		if (!scheme_is_http(r.scheme, r.scheme_len)) {
			buf_add(out, ref, n);
			return;
		}
		buf_add_lower(out, r.scheme, r.scheme_len);
		buf_adds(out, ":");
		if (r.has_auth) {
			buf_adds(out, "//");
			buf_add(out, r.auth, r.auth_len);
		}
		buf_add_path(out, r.path, r.path_len);
		q = &r;
	} else {
		buf_add_lower(out, b->scheme, b->scheme_len);
		buf_adds(out, "://");
		if (r.has_auth) {
			buf_add(out, r.auth, r.auth_len);
			buf_add_path(out, r.path, r.path_len);
			q = &r;
		} else {
			buf_add(out, b->auth, b->auth_len);
			if (r.path_len == 0) {
				buf_add(out, b->path, b->path_len);
				q = r.has_query ? &r : b;
			} else {
				uri_merge_path(out, b, &r);
				q = &r;
			}
		}
	}
	if (q->has_query) {
		buf_addc(out, '?');
		buf_add(out, q->query, q->query_len);
	}
	if (r.has_frag) {
		buf_addc(out, '#');
		buf_add(out, r.frag, r.frag_len);
	}
}

/* Strips leading and trailing ASCII whitespace, as HTML does for URL
 * attributes, and drops tabs and newlines inside, as the URL standard does
 * (a long href is often wrapped across lines in the source). */
static void
url_clean(struct buf *out, const char *s, size_t n)
{
	size_t i;

	while (n && is_html_space((unsigned char)s[0]))
		s++, n--;
	while (n && is_html_space((unsigned char)s[n - 1]))
		n--;
	out->len = 0;
	buf_reserve(out, n);
	for (i = 0; i < n; i++)
		if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			out->data[out->len++] = s[i];
	out->data[out->len] = '\0';
}

/* Resolves ref against base (an absolute http(s) URL); returns a new string. */
static char *
url_resolve(const char *base, const char *ref)
{
	struct buf clean = {0}, out = {0};
	struct uri b;

	uri_split(base, strlen(base), &b);
	url_clean(&clean, ref, strlen(ref));
	url_resolve_into(&out, &b, clean.data, clean.len);
	buf_free(&clean);
	return out.data;
}

/* ---- file names ---- */

/* A name given by the user for --save: refused, not repaired. */
static const char *
name_refusal(const char *name)
{
	if (!name[0])
		return "empty file name";
	if (strchr(name, '/'))
		return "file name contains '/'";
	if (name[0] == '.')
		return "file name starts with '.'";
	if (strlen(name) > NAME_MAX_BYTES)
		return "file name longer than 255 bytes";
	return NULL;
}

/* Derives a safe local name from a URL's last path segment (the URL as
 * asked, not the redirect target: wget's lesson of CVE-2010-2252). Never
 * percent-decoded, so "%2F" cannot become a '/' (wcurl CVE-2025-11563);
 * controls, bidi controls and '\' become '_'; a leading '.' or '-' is
 * prefixed with '_'; too long a name is cut, keeping its extension. */
static char *
name_from_url(const char *url)
{
	struct uri u;
	struct buf out = {0};
	const char *seg;
	size_t n, i;

	uri_split(url, strlen(url), &u);
	for (n = u.path_len; n > 0 && u.path[n - 1] != '/'; n--)
		;
	seg = u.path + n;
	n = u.path_len - n;
	if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && !memcmp(seg, "..", 2)))
		return xstrdup("index.html");
	if (seg[0] == '.' || seg[0] == '-')
		buf_addc(&out, '_');
	for (i = 0; i < n;) {
		uint32_t c;
		size_t len = utf8_decode((const unsigned char *)seg + i, n - i, &c);

		if (is_control(c) || is_bidi(c) || c == '\\' || c == 0xfffd)
			buf_addc(&out, '_');
		else
			buf_add(&out, seg + i, len);
		i += len;
	}
	if (out.len > NAME_MAX_BYTES) {
		const char *dot = strrchr(out.data, '.');
		size_t ext = dot ? strlen(dot) : 0;

		if (ext > 16)
			ext = 0;
		memmove(out.data + NAME_MAX_BYTES - ext, out.data + out.len - ext, ext);
		out.len = NAME_MAX_BYTES;
		out.data[out.len] = '\0';
		utf8_trim_tail(&out);
	}
	return out.data;
}

/* ==== parse: libxml2 only — bytes + URL in, struct page out ==== */

struct parse_state {
	struct page *page;
	long anchor;          /* record of the open <a>, or -1 */
	struct buf text;      /* its text so far, whitespace collapsed */
	int text_space;
	int in_title, title_space;
	struct buf title;
	const char *base_raw; /* first <base href>, in the arena */
	int encoding_error;   /* the parse stopped on bytes the charset refused */
};

static void
page_add(struct page *p, const struct rule *r, const char *raw, size_t n,
	 const char *text)
{
	struct element *e;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->el = xrealloc(p->el, p->cap * sizeof *p->el);
	}
	e = &p->el[p->n++];
	e->rule = r;
	e->raw = arena_strndup(&p->arena, raw, n);
	e->url = NULL;
	e->text = text;
	p->count[r->kind]++;
}

static const char *
attr_get(const xmlChar **atts, const char *name)
{
	for (; atts && atts[0]; atts += 2)
		if (!strcmp((const char *)atts[0], name))
			return atts[1] ? (const char *)atts[1] : "";
	return NULL;
}

/* The text of a record that has no text content: alt for img and area,
 * otherwise title, else empty. */
static const char *
element_fallback_text(struct page *p, const char *tag, const xmlChar **atts)
{
	const char *t = NULL;

	if (!strcmp(tag, "img") || !strcmp(tag, "area"))
		t = attr_get(atts, "alt");
	if (!t || !*t)
		t = attr_get(atts, "title");
	if (!t)
		return "";
	{
		struct buf b = {0};
		int space = 0;
		const char *s;

		text_collapse_add(&b, t, strlen(t), &space, TEXT_CAP);
		utf8_trim_tail(&b);
		s = arena_strndup(&p->arena, b.data ? b.data : "", b.len);
		buf_free(&b);
		return s;
	}
}

static void
anchor_close(struct parse_state *st)
{
	if (st->anchor < 0)
		return;
	if (st->text.len) {
		utf8_trim_tail(&st->text);
		st->page->el[st->anchor].text =
			arena_strndup(&st->page->arena, st->text.data, st->text.len);
	}
	st->anchor = -1;
	st->text.len = 0;
	st->text_space = 0;
}

static void
element_records(struct parse_state *st, const struct rule *r, const char *v)
{
	size_t pos = 0, start, len, n = strlen(v);

	if (!r->srcset) {
		page_add(st->page, r, v, n, "");
		return;
	}
	while (srcset_next(v, n, &pos, &start, &len))
		page_add(st->page, r, v + start, len, "");
}

static void
sax_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	struct parse_state *st = ctx;
	const char *tag = (const char *)name;
	const xmlChar **a;
	size_t i, first = st->page->n;
	int matched = 0;

	if (!strcmp(tag, "title") && !st->page->title)
		st->in_title = 1;
	else if (!strcmp(tag, "base") && !st->base_raw && attr_get(atts, "href"))
		st->base_raw = arena_strndup(&st->page->arena, attr_get(atts, "href"),
					     strlen(attr_get(atts, "href")));
	if (!strcmp(tag, "a"))
		anchor_close(st); /* <a> inside <a> closes the outer one */
	for (i = 0; i < NRULES && !matched; i++)
		matched = !strcmp(rules[i].tag, tag);
	if (!matched || !atts)
		return;
	for (a = atts; a[0]; a += 2)
		for (i = 0; i < NRULES; i++)
			if (a[1] && !strcmp(rules[i].tag, tag) &&
			    !strcmp(rules[i].attr, (const char *)a[0]))
				element_records(st, &rules[i], (const char *)a[1]);
	if (st->page->n > first) {
		const char *text = element_fallback_text(st->page, tag, atts);

		for (i = first; i < st->page->n; i++)
			st->page->el[i].text = text;
		if (!strcmp(tag, "a"))
			st->anchor = (long)first;
	}
}

static void
sax_end(void *ctx, const xmlChar *name)
{
	struct parse_state *st = ctx;

	if (!strcmp((const char *)name, "a"))
		anchor_close(st);
	else if (!strcmp((const char *)name, "title"))
		st->in_title = 0;
}

static void
sax_characters(void *ctx, const xmlChar *ch, int len)
{
	struct parse_state *st = ctx;

	if (st->anchor >= 0)
		text_collapse_add(&st->text, (const char *)ch, (size_t)len,
				  &st->text_space, TEXT_CAP);
	if (st->in_title)
		text_collapse_add(&st->title, (const char *)ch, (size_t)len,
				  &st->title_space, TEXT_CAP);
}

/* libxml2's default reporters print to stderr, even under NOERROR for
 * encoding errors, and echo raw page bytes: all errors come here instead. */
static void
xml_silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
xml_collect(void *ctx, xmlErrorPtr err)
{
	struct parse_state *st = ctx;

	if (!st || !err)
		return;
	if (err->domain == XML_FROM_I18N || err->domain == XML_FROM_IO ||
	    err->code == XML_ERR_INVALID_ENCODING ||
	    err->code == XML_ERR_UNSUPPORTED_ENCODING)
		st->encoding_error = 1;
}

/* HTML labels that the encoding standard reads as windows-1252. */
static const char *
charset_normalize(const char *name)
{
	static const char *const latin1[] = {
		"iso-8859-1", "iso8859-1", "latin1", "l1", "us-ascii", "ascii",
		"iso_8859-1", "cp819", "ibm819", "iso-ir-100", "csisolatin1",
	};
	size_t i;

	for (i = 0; i < sizeof latin1 / sizeof latin1[0]; i++)
		if (!ascii_casecmp_n(name, latin1[i], strlen(latin1[i]) + 1))
			return "windows-1252";
	return name;
}

/* Reads a charset name after "charset" in s, as the HTML prescan does for
 * both <meta charset=x> and <meta http-equiv content="...; charset=x">. */
static int
charset_token(const char *s, const char *end, char *out, size_t outsz)
{
	size_t n = 0;

	while (s < end && is_html_space((unsigned char)*s))
		s++;
	if (s >= end || *s != '=')
		return 0;
	s++;
	while (s < end && (is_html_space((unsigned char)*s) || *s == '"' || *s == '\''))
		s++;
	while (s < end && n + 1 < outsz && (isalnum((unsigned char)*s) ||
					    strchr("-_.:()", *s)))
		out[n++] = *s++;
	out[n] = '\0';
	return n > 0;
}

/* Finds a charset declared by a <meta> in the first 4 KiB. */
static int
charset_from_meta(const char *body, size_t len, char *out, size_t outsz)
{
	const char *end = body + (len < 4096 ? len : 4096), *p = body, *gt;

	while ((p = memchr(p, '<', (size_t)(end - p))) && end - p > 6) {
		if (ascii_casecmp_n(p + 1, "meta", 4) ||
		    !is_html_space((unsigned char)p[5])) {
			p++;
			continue;
		}
		gt = memchr(p, '>', (size_t)(end - p));
		if (!gt)
			break;
		for (; p + 7 < gt; p++)
			if (!ascii_casecmp_n(p, "charset", 7) &&
			    charset_token(p + 7, gt, out, outsz))
				return 1;
		p = gt;
	}
	return 0;
}

static void
page_free(struct page *p)
{
	if (!p)
		return;
	arena_free(&p->arena);
	free(p->el);
	free(p);
}

/* One pass of the parser with one charset; 0 when it ran to the end. */
static int
page_parse_as(struct page *p, const char *body, size_t len, const char *charset)
{
	static xmlSAXHandler sax;
	struct parse_state st = {.page = p, .anchor = -1};
	htmlParserCtxtPtr ctxt;
	xmlCharEncodingHandlerPtr enc;

	sax.startElement = sax_start;
	sax.endElement = sax_end;
	sax.characters = sax_characters;
	sax.ignorableWhitespace = sax_characters;
	sax.initialized = XML_SAX2_MAGIC; /* so errors reach sax.serror */
	sax.serror = xml_collect;
	ctxt = htmlCreateMemoryParserCtxt(len ? body : " ", len ? (int)len : 1);
	if (!ctxt)
		die("out of memory");
	memcpy(ctxt->sax, &sax, sizeof sax);
	ctxt->userData = &st;
	htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
				 HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	if (charset && (enc = xmlFindCharEncodingHandler(charset))) {
		xmlSwitchToEncoding(ctxt, enc);
		if (ctxt->input->encoding)
			xmlFree((xmlChar *)ctxt->input->encoding);
		ctxt->input->encoding = xmlStrdup((const xmlChar *)charset);
	}
	xmlSetGenericErrorFunc(NULL, xml_silent);
	xmlSetStructuredErrorFunc(&st, xml_collect);
	htmlParseDocument(ctxt);
	xmlSetStructuredErrorFunc(NULL, xml_collect);
	anchor_close(&st);
	if (st.title.len) {
		utf8_trim_tail(&st.title);
		p->title = arena_strndup(&p->arena, st.title.data, st.title.len);
	}
	p->base = st.base_raw;
	htmlFreeParserCtxt(ctxt);
	buf_free(&st.text);
	buf_free(&st.title);
	return st.encoding_error;
}

/* Resolves every record against the document base: the first <base href>
 * (itself resolved against the URL), else the URL. Done after the parse
 * because a <base> late in the document still applies to earlier links. */
static void
page_resolve(struct page *p, const char *url)
{
	struct buf clean = {0}, out = {0};
	struct uri b;
	const char *base = url;
	size_t i;

	if (p->base) {
		char *abs = url_resolve(url, p->base);

		uri_split(abs, strlen(abs), &b);
		if (scheme_is_http(b.scheme, b.scheme_len) && b.has_auth)
			base = arena_strndup(&p->arena, abs, strlen(abs));
		free(abs);
	}
	p->base = base;
	uri_split(base, strlen(base), &b);
	for (i = 0; i < p->n; i++) {
		url_clean(&clean, p->el[i].raw, strlen(p->el[i].raw));
		url_resolve_into(&out, &b, clean.data, clean.len);
		p->el[i].url = arena_strndup(&p->arena, out.data, out.len);
	}
	buf_free(&clean);
	buf_free(&out);
}

static void
page_reset(struct page *p)
{
	arena_free(&p->arena);
	p->n = 0;
	memset(p->count, 0, sizeof p->count);
	p->title = p->base = NULL;
	p->partial = 0;
}

/* libxml2 allocates a handler for each iconv charset it finds: close it. */
static int
charset_known(const char *name)
{
	xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(name);

	if (h)
		xmlCharEncCloseFunc(h);
	return h != NULL;
}

/* The charset decision of SPEC.md: a byte-order mark, then the HTTP header,
 * then the document's <meta>, then UTF-8 — or windows-1252 when the body is
 * not valid UTF-8, as browsers fall back. */
static void
page_choose_charset(const char *body, size_t len, const char *http_charset,
		    char *name, size_t namesz, const char **from)
{
	if (len >= 3 && !memcmp(body, "\xef\xbb\xbf", 3)) {
		snprintf(name, namesz, "UTF-8"), *from = "byte-order mark";
	} else if (len >= 2 && !memcmp(body, "\xff\xfe", 2)) {
		snprintf(name, namesz, "UTF-16LE"), *from = "byte-order mark";
	} else if (len >= 2 && !memcmp(body, "\xfe\xff", 2)) {
		snprintf(name, namesz, "UTF-16BE"), *from = "byte-order mark";
	} else if (http_charset && *http_charset &&
		   charset_known(charset_normalize(http_charset))) {
		snprintf(name, namesz, "%s", charset_normalize(http_charset));
		*from = "HTTP header";
	} else if (charset_from_meta(body, len, name, namesz) &&
		   charset_known(charset_normalize(name))) {
		snprintf(name, namesz, "%s", charset_normalize(name));
		*from = "<meta> in the document";
	} else if (utf8_valid(body, len)) {
		snprintf(name, namesz, "UTF-8"), *from = "default";
	} else {
		snprintf(name, namesz, "windows-1252");
		*from = "fallback: the body is not UTF-8";
	}
}

/* Parses a body. A declared charset that the bytes contradict stops
 * libxml2's parse at the first bad byte; rather than lose the rest, the
 * page is parsed again as UTF-8 (if valid), then windows-1252, then
 * ISO-8859-1, which accepts every byte. */
static struct page *
page_parse(const char *body, size_t len, const char *url, const char *http_charset)
{
	static const char *const retry[] = {"UTF-8", "windows-1252", "ISO-8859-1"};
	struct page *p = xmalloc(sizeof *p);
	char name[64];
	const char *from;
	size_t i;

	memset(p, 0, sizeof *p);
	page_choose_charset(body, len, http_charset, name, sizeof name, &from);
	p->charset_from = from;
	if (page_parse_as(p, body, len, name)) {
		for (i = 0; i < 3; i++) {
			if (!ascii_casecmp_n(name, retry[i], strlen(retry[i]) + 1))
				continue;
			if (i == 0 && !utf8_valid(body, len))
				continue;
			page_reset(p);
			snprintf(name, sizeof name, "%s", retry[i]);
			p->charset_from = "retried: the declared charset did not fit the bytes";
			if (!page_parse_as(p, body, len, name))
				break;
		}
	}
	p->charset = arena_strndup(&p->arena, name, strlen(name));
	page_resolve(p, url);
	return p;
}

/* ==== net: libcurl only — start, drive, finish transfers; never draws ==== */

static void
log_line(struct transfer *t, char prefix, const char *s, size_t n)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	buf_addc(&t->log, prefix);
	buf_addc(&t->log, ' ');
	buf_add(&t->log, s, n);
	buf_addc(&t->log, '\n');
}

static void
log_step(struct transfer *t, const char *fmt, ...)
{
	struct buf b = {0};
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(&b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b.data, (size_t)n + 1, fmt, ap);
	va_end(ap);
	log_line(t, '*', b.data, (size_t)n);
	buf_free(&b);
}

static double
info_ms(CURL *e, CURLINFO what)
{
	curl_off_t us = 0;

	curl_easy_getinfo(e, what, &us);
	return (double)us / 1000.0;
}

/* libcurl's own account of the exchange, reworded as the lab's steps. Only
 * the lines that tell the story are kept; headers are logged as they pass. */
static void
net_debug_text(struct transfer *t, CURL *e, const char *s, size_t n)
{
	while (n && *s == ' ')
		s++, n--;
	if (n > 7 && !memcmp(s, "Trying ", 7)) {
		log_step(t, "Resolved host in %.1f ms", info_ms(e, CURLINFO_NAMELOOKUP_TIME_T));
		log_line(t, '*', s, n);
	} else if (n > 13 && !memcmp(s, "Connected to ", 13)) {
		log_line(t, '*', s, n);
	} else if ((n > 15 && !memcmp(s, "SSL connection ", 15)) ||
		   (n > 5 && !memcmp(s, "ALPN", 4)) ||
		   (n > 13 && !memcmp(s, "Issue another", 13)) ||
		   (n > 8 && !memcmp(s, "Maximum ", 8))) {
		log_line(t, '*', s, n);
	}
}

static int
net_debug(CURL *e, curl_infotype type, char *data, size_t size, void *userp)
{
	struct transfer *t = userp;
	const char *p = data, *end = data + size, *nl;

	switch (type) {
	case CURLINFO_TEXT:
		net_debug_text(t, e, data, size);
		break;
	case CURLINFO_HEADER_OUT:
		log_step(t, "Request sent (%zu bytes of header):", size);
		for (; p < end; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				nl = end - 1;
			if (nl - p > 1)
				log_line(t, '>', p, (size_t)(nl - p + 1));
		}
		break;
	case CURLINFO_HEADER_IN:
		if (size > 2 || (size && data[0] != '\r' && data[0] != '\n'))
			log_line(t, '<', data, size);
		break;
	default:
		break;
	}
	return 0;
}

static size_t
net_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	size_t n = size * nmemb;

	/* The only cap that holds on libcurl 7.88: MAXFILESIZE trusts
	 * Content-Length, and chunked or compressed bodies pass it. */
	if (n > t->max_size - t->body.len) {
		t->too_large = 1;
		return CURL_WRITEFUNC_ERROR;
	}
	buf_add(&t->body, data, n);
	return n;
}

static int
net_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow,
	     curl_off_t ultotal, curl_off_t ulnow)
{
	(void)userp, (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return got_signal != 0; /* aborts the transfer within a second */
}

static CURL *
net_easy(struct transfer *t, const struct options *o)
{
	CURL *e = curl_easy_init();

	if (!e)
		die("out of memory");
	curl_easy_setopt(e, CURLOPT_URL, t->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	/* a typed file:// would read local files; a redirect may go to ftp: */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, MAX_REDIRECTS); /* 7.88: unlimited */
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, o->timeout < 10 ? o->timeout : 10L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, o->timeout);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_size);
	curl_easy_setopt(e, CURLOPT_USERAGENT, o->user_agent);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, net_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, net_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, t);
	curl_easy_setopt(e, CURLOPT_VERBOSE, 1L); /* feeds net_debug, prints nothing */
	curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, net_debug);
	curl_easy_setopt(e, CURLOPT_DEBUGDATA, t);
	return e;
}

static struct transfer *
net_start(struct app *a, const char *url)
{
	struct transfer *t = xmalloc(sizeof *t);

	memset(t, 0, sizeof *t);
	t->url = xstrdup(url);
	t->max_size = (size_t)a->opt.max_size;
	t->content_length = -1;
	t->easy = net_easy(t, &a->opt);
	if (curl_multi_add_handle(a->multi, t->easy) != CURLM_OK)
		die("cannot start a transfer");
	return t;
}

static char *
info_str(CURL *e, CURLINFO what)
{
	char *s = NULL;

	curl_easy_getinfo(e, what, &s);
	return s ? xstrdup(s) : NULL;
}

static void
net_collect_info(struct transfer *t)
{
	CURL *e = t->easy;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &t->status);
	curl_easy_getinfo(e, CURLINFO_PRIMARY_PORT, &t->port);
	curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &t->redirects);
	curl_easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &t->content_length);
	t->final_url = info_str(e, CURLINFO_EFFECTIVE_URL);
	t->content_type = info_str(e, CURLINFO_CONTENT_TYPE);
	t->ip = info_str(e, CURLINFO_PRIMARY_IP);
	t->t_dns = info_ms(e, CURLINFO_NAMELOOKUP_TIME_T);
	t->t_connect = info_ms(e, CURLINFO_CONNECT_TIME_T);
	t->t_tls = info_ms(e, CURLINFO_APPCONNECT_TIME_T);
	t->t_first = info_ms(e, CURLINFO_STARTTRANSFER_TIME_T);
	t->t_total = info_ms(e, CURLINFO_TOTAL_TIME_T);
}

/* The closing lines of the story: what the info getters know at the end. */
static void
net_log_summary(struct transfer *t)
{
	if (t->ip && *t->ip)
		log_step(t, "Host resolved to %s in %.1f ms; TCP connection to %s:%ld "
			 "in %.1f ms", t->ip, t->t_dns, t->ip, t->port, t->t_connect);
	if (t->t_tls > 0)
		log_step(t, "TLS handshake done after %.1f ms", t->t_tls);
	if (t->redirects)
		log_step(t, "Followed %ld redirect%s to %s", t->redirects,
			 t->redirects == 1 ? "" : "s", t->final_url);
	if (t->content_length >= 0)
		log_step(t, "Content-Length: %" CURL_FORMAT_CURL_OFF_T, t->content_length);
	else
		log_step(t, "Content-Length: not sent");
	log_step(t, "Received %zu bytes of body; first byte after %.1f ms, "
		 "total %.1f ms", t->body.len, t->t_first, t->t_total);
}

static void
net_finish(struct transfer *t, CURLcode result)
{
	t->done = 1;
	t->result = result;
	net_collect_info(t);
	net_log_summary(t);
}

/* One turn of the engine: lets libcurl work, and marks finished transfers. */
static void
net_drive(struct app *a)
{
	CURLMsg *m;
	int running, left;

	curl_multi_perform(a->multi, &running);
	while ((m = curl_multi_info_read(a->multi, &left))) {
		struct transfer *t = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		if (t)
			net_finish(t, m->data.result);
	}
}

/* The one place a transfer is freed, done or cancelled. */
static void
net_free(struct app *a, struct transfer *t)
{
	if (!t)
		return;
	if (t->easy) {
		curl_multi_remove_handle(a->multi, t->easy);
		curl_easy_cleanup(t->easy);
	}
	buf_free(&t->body);
	buf_free(&t->log);
	free(t->url);
	free(t->final_url);
	free(t->content_type);
	free(t->ip);
	free(t);
}

/* One line naming why a transfer failed; NULL when it did not. */
static void
net_error(const struct transfer *t, const struct options *o, struct buf *out)
{
	switch (t->result) {
	case CURLE_OK:
		return;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (t->too_large || t->result == CURLE_FILESIZE_EXCEEDED) {
			buf_addf(out, "response larger than --max-size (%ld bytes)",
				 o->max_size);
			return;
		}
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		buf_addf(out, "too many redirects (more than %ld)", MAX_REDIRECTS);
		return;
	case CURLE_UNSUPPORTED_PROTOCOL:
		buf_adds(out, "refused: only http and https URLs are fetched");
		if (t->errbuf[0]) {
			buf_adds(out, " (");
			buf_add_safe(out, t->errbuf, strlen(t->errbuf), SAN_TEXT);
			buf_adds(out, ")");
		}
		return;
	case CURLE_OUT_OF_MEMORY:
		/* 7.88 reports an oversized header line this way */
		buf_adds(out, "response headers too large");
		return;
	case CURLE_OPERATION_TIMEDOUT:
		buf_addf(out, "timed out after %ld s (", o->timeout);
		buf_add_safe(out, t->errbuf, strlen(t->errbuf), SAN_TEXT);
		buf_adds(out, ")");
		return;
	case CURLE_ABORTED_BY_CALLBACK:
		buf_adds(out, "interrupted");
		return;
	default:
		break;
	}
	if (t->errbuf[0])
		buf_add_safe(out, t->errbuf, strlen(t->errbuf), SAN_TEXT);
	else
		buf_adds(out, curl_easy_strerror(t->result));
}

/* The charset parameter of a Content-Type value, or NULL. */
static char *
http_charset(const char *content_type)
{
	const char *p;
	char name[64];

	if (!content_type)
		return NULL;
	for (p = content_type; *p; p++)
		if (!ascii_casecmp_n(p, "charset", 7) &&
		    charset_token(p + 7, p + strlen(p), name, sizeof name))
			return xstrdup(name);
	return NULL;
}

/* ==== output: TSV, JSON, the report; saving files (temp + rename) ==== */

static void
out_tsv(struct buf *o, const struct page *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct element *e = &p->el[i];

		buf_adds(o, e->rule->tag);
		buf_addc(o, '\t');
		buf_adds(o, e->rule->attr);
		buf_addc(o, '\t');
		buf_add_safe(o, e->url, strlen(e->url), SAN_TSV);
		buf_addc(o, '\t');
		buf_add_safe(o, e->text, strlen(e->text), SAN_TSV);
		buf_addc(o, '\n');
	}
}

static void
json_str(struct buf *o, const char *s)
{
	if (!s) {
		buf_adds(o, "null");
		return;
	}
	buf_addc(o, '"');
	buf_add_safe(o, s, strlen(s), SAN_JSON);
	buf_addc(o, '"');
}

static void
out_json(struct buf *o, const struct transfer *t, const struct page *p,
	 const char *saved)
{
	size_t i;

	buf_adds(o, "{\"url\":");
	json_str(o, t->url);
	buf_adds(o, ",\"final_url\":");
	json_str(o, t->final_url);
	buf_addf(o, ",\"status\":%ld,\"ip\":", t->status);
	json_str(o, t->ip);
	buf_addf(o, ",\"port\":%ld,\"content_type\":", t->port);
	json_str(o, t->content_type);
	if (t->content_length >= 0)
		buf_addf(o, ",\"content_length\":%" CURL_FORMAT_CURL_OFF_T,
			 t->content_length);
	else
		buf_adds(o, ",\"content_length\":null");
	buf_addf(o, ",\"bytes\":%zu,\"title\":", t->body.len);
	json_str(o, p->title);
	buf_adds(o, ",\"saved\":");
	json_str(o, saved);
	buf_adds(o, ",\"elements\":[");
	for (i = 0; i < p->n; i++) {
		const struct element *e = &p->el[i];

		buf_adds(o, i ? ",\n" : "\n");
		buf_adds(o, "{\"kind\":");
		json_str(o, kind_names[e->rule->kind]);
		buf_addf(o, ",\"tag\":\"%s\",\"attr\":\"%s\",\"url\":", e->rule->tag,
			 e->rule->attr);
		json_str(o, e->url);
		buf_adds(o, ",\"text\":");
		json_str(o, e->text);
		buf_addc(o, '}');
	}
	buf_adds(o, "]}\n");
}

/* The transfer's story made safe for a terminal: the -v report. */
static void
out_report(struct buf *o, const struct transfer *t)
{
	const char *p = t->log.data, *end = p + t->log.len, *nl;

	for (; p && p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		buf_add_safe(o, p, (size_t)(nl - p), SAN_TEXT);
		buf_addc(o, '\n');
	}
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Creates dir and its parents (mode 0755) where missing. */
static int
mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof path)
		return errno = ENAMETOOLONG, -1;
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		path[i] = i < n ? '/' : '\0';
	}
	return 0;
}

/*
 * Writes data to dir/name through a temporary file in the same directory,
 * renamed into place only when complete: a failure leaves nothing behind.
 * Without force an existing file is never replaced: link() fails with EEXIST
 * atomically, where a check-then-rename would race. On error returns -1
 * with a message in err.
 */
static int
save_file(const char *dir, const char *name, const char *data, size_t n,
	  int force, struct buf *err, struct buf *path)
{
	char tmp[PATH_MAX];
	int fd, rc = -1;
	struct stat st;

	path->len = 0;
	buf_addf(path, "%s/%s", dir, name);
	if (mkdir_p(dir) < 0 || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		buf_addf(err, "cannot use directory %s: %s", dir,
			 errno ? strerror(errno) : "not a directory");
		return -1;
	}
	if (snprintf(tmp, sizeof tmp, "%s/.scraper-XXXXXX", dir) >= (int)sizeof tmp) {
		buf_addf(err, "%s: path too long", dir);
		return -1;
	}
	fd = mkstemp(tmp); /* O_EXCL, mode 0600: nothing of another file's kept */
	if (fd < 0) {
		buf_addf(err, "cannot create a file in %s: %s", dir, strerror(errno));
		return -1;
	}
	memcpy(cleanup_path, tmp, strlen(tmp) + 1);
	if (write_all(fd, data, n) < 0 || fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		buf_addf(err, "cannot write %s: %s", path->data, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) < 0) {
		buf_addf(err, "cannot write %s: %s", path->data, strerror(errno));
		goto out;
	}
	if (force ? rename(tmp, path->data) : link(tmp, path->data)) {
		if (errno == EEXIST)
			buf_addf(err, "%s exists; not overwritten (use --force)", path->data);
		else
			buf_addf(err, "cannot write %s: %s", path->data, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	cleanup_temp(); /* after rename it is gone already; after link, a spare name */
	return rc;
}

/* ==== ui: ncurses only (the interactive screen comes with the TUI) ==== */

/* ==== loop: the one event loop, options and main() ==== */

static void
on_signal(int sig)
{
	got_signal = sig;
}

static void
signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* with NOSIGNAL, EPIPE is checked instead */
}

/* Runs the engine until the transfer is done or a signal came. */
static void
loop_until_done(struct app *a, struct transfer *t)
{
	while (!t->done && !got_signal) {
		net_drive(a);
		if (t->done)
			break;
		curl_multi_poll(a->multi, NULL, 0, 1000, NULL);
	}
}

static void
usage(FILE *f)
{
	fputs("usage: scraper [OPTIONS] [URL]\n"
	      "  --dump                  print the extracted elements, no screen\n"
	      "  --format tsv|json       output format of --dump (default tsv)\n"
	      "  -v, --verbose           the transfer report on stderr\n"
	      "  -s, --save [NAME]       also save the body as DIR/NAME (name from the URL\n"
	      "                          when omitted)\n"
	      "  --dir DIR               directory for saved files (default Files)\n"
	      "  --force                 overwrite an existing file when saving\n"
	      "  --max-size BYTES        largest body accepted (default 67108864)\n"
	      "  --timeout SECONDS       limit for the whole transfer (default 30)\n"
	      "  --user-agent STRING     User-Agent header (default scraper/" VERSION ")\n"
	      "  -h, --help              this help\n"
	      "  -V, --version           the version\n",
	      f);
}

static void
usage_error(const char *fmt, const char *arg)
{
	fputs("scraper: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	exit(EXIT_USAGE);
}

static long
parse_number(const char *s, const char *opt, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min)
		usage_error("invalid number for %s", opt);
	return v;
}

enum { OPT_DUMP = 256, OPT_FORMAT, OPT_DIR, OPT_FORCE, OPT_MAX, OPT_TIMEOUT, OPT_UA };

static void
options_parse(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dump", no_argument, NULL, OPT_DUMP},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"verbose", no_argument, NULL, 'v'},
		{"save", optional_argument, NULL, 's'},
		{"dir", required_argument, NULL, OPT_DIR},
		{"force", no_argument, NULL, OPT_FORCE},
		{"max-size", required_argument, NULL, OPT_MAX},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"user-agent", required_argument, NULL, OPT_UA},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	o->dir = DEFAULT_DIR;
	o->max_size = DEFAULT_MAX_SIZE;
	o->timeout = DEFAULT_TIMEOUT;
	o->user_agent = "scraper/" VERSION;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vs::hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DUMP: o->dump = 1; break;
		case OPT_FORMAT:
			if (strcmp(optarg, "tsv") && strcmp(optarg, "json"))
				usage_error("unknown format '%s' (tsv or json)", optarg);
			o->json = !strcmp(optarg, "json");
			break;
		case 'v': o->verbose = 1; break;
		case 's':
			o->save = 1;
			/* "--save NAME" as well as "--save=NAME": the next word is
			 * the name unless it is an option (or, see below, the URL) */
			if (!optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			o->save_name = optarg && *optarg ? optarg : NULL;
			break;
		case OPT_DIR: o->dir = optarg; break;
		case OPT_FORCE: o->force = 1; break;
		case OPT_MAX: o->max_size = parse_number(optarg, "--max-size", 1); break;
		case OPT_TIMEOUT: o->timeout = parse_number(optarg, "--timeout", 1); break;
		case OPT_UA: o->user_agent = optarg; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		case 'V': puts("scraper " VERSION); exit(EXIT_OK);
		case ':': usage_error("missing argument for %s", argv[optind - 1]); break;
		default: usage_error("unknown option %s", argv[optind - 1]); break;
		}
	}
	if (optind < argc)
		o->url = argv[optind++];
	else if (o->save_name) {
		o->url = o->save_name; /* "--save URL": the word was the URL */
		o->save_name = NULL;
	}
	if (optind < argc)
		usage_error("unexpected argument %s", argv[optind]);
	if (o->save_name && name_refusal(o->save_name)) {
		fprintf(stderr, "scraper: --save %s: %s\n", o->save_name,
			name_refusal(o->save_name));
		exit(EXIT_USAGE);
	}
}

/* Adds http:// to a URL typed without a scheme ("example.com/x",
 * "localhost:8080"), and refuses any scheme but http and https. Returns a
 * new string, or NULL with *why set. */
static char *
url_normalize(const char *in, const char **why)
{
	struct buf b = {0};
	size_t n, scheme;
	char *out = NULL;
	CURLU *u;

	while (is_html_space((unsigned char)*in))
		in++;
	n = strlen(in);
	while (n && is_html_space((unsigned char)in[n - 1]))
		n--;
	scheme = uri_scheme_len(in, n);
	/* "host:8080" is a host and a port, not a scheme */
	if (scheme && isdigit((unsigned char)in[scheme + 1]))
		scheme = 0;
	if (scheme && !scheme_is_http(in, scheme)) {
		*why = "refused: only http and https URLs are fetched";
		return NULL;
	}
	if (!scheme)
		buf_adds(&b, "http://");
	buf_add(&b, in, n);
	u = curl_url();
	if (!u)
		die("out of memory");
	if (curl_url_set(u, CURLUPART_URL, b.data, CURLU_URLENCODE) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK) {
		*why = "not a valid URL";
	} else {
		char *copy = xstrdup(out);

		curl_free(out);
		out = copy;
	}
	curl_url_cleanup(u);
	buf_free(&b);
	return out;
}

static void
print_err(const char *url, const char *msg)
{
	struct buf b = {0};

	buf_adds(&b, "scraper: ");
	if (url) {
		buf_add_safe(&b, url, strlen(url), SAN_TEXT);
		buf_adds(&b, ": ");
	}
	buf_adds(&b, msg);
	buf_addc(&b, '\n');
	fputs(b.data, stderr);
	buf_free(&b);
}

static int
flush_stdout(const struct buf *o)
{
	if (o->len && fwrite(o->data, 1, o->len, stdout) != o->len)
		return -1;
	return fflush(stdout);
}

/* --save after a complete transfer; returns an exit status. */
static int
dump_save(const struct options *o, struct transfer *t, struct buf *saved)
{
	struct buf err = {0};
	char *name = o->save_name ? xstrdup(o->save_name) : name_from_url(t->url);
	int rc = EXIT_OK;

	if (save_file(o->dir, name, t->body.data ? t->body.data : "", t->body.len,
		      o->force, &err, saved) < 0) {
		print_err(NULL, err.data);
		rc = EXIT_LOCAL;
	} else {
		log_step(t, "Saved the body to %s", saved->data);
	}
	buf_free(&err);
	free(name);
	return rc;
}

/* --dump: fetch, parse, print; returns the exit status of SPEC.md. */
static int
run_dump(struct app *a)
{
	struct buf out = {0}, saved = {0}, err = {0};
	struct transfer *t;
	struct page *p = NULL;
	char *charset;
	int rc = EXIT_OK;

	t = a->xfer = net_start(a, a->opt.url);
	loop_until_done(a, t);
	if (got_signal) {
		rc = got_signal == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM;
		print_err(a->opt.url, "interrupted");
		goto out;
	}
	net_error(t, &a->opt, &err);
	if (err.len) {
		if (a->opt.verbose)
			out_report(&out, t);
		fputs(out.data ? out.data : "", stderr);
		print_err(t->url, err.data);
		rc = EXIT_TRANSFER;
		goto out;
	}
	charset = http_charset(t->content_type);
	p = page_parse(t->body.data ? t->body.data : "", t->body.len,
		       t->final_url ? t->final_url : t->url, charset);
	free(charset);
	log_step(t, "Charset: %s (%s)", p->charset, p->charset_from);
	log_step(t, "Base URL: %s", p->base);
	log_step(t, "Found %zu elements", p->n);
	if (t->status >= 400)
		rc = EXIT_HTTP;
	else if (a->opt.save)
		rc = dump_save(&a->opt, t, &saved);
	if (a->opt.verbose) {
		out_report(&err, t);
		fputs(err.data, stderr);
	}
	if (a->opt.json)
		out_json(&out, t, p, saved.len ? saved.data : NULL);
	else
		out_tsv(&out, p);
	if (flush_stdout(&out) < 0 && errno != EPIPE) {
		print_err(NULL, "cannot write the output");
		rc = EXIT_LOCAL;
	}
	if (rc == EXIT_HTTP) {
		char msg[64];

		snprintf(msg, sizeof msg, "HTTP status %ld", t->status);
		print_err(t->url, msg);
	}
out:
	page_free(p);
	net_free(a, t);
	a->xfer = NULL;
	buf_free(&out);
	buf_free(&saved);
	buf_free(&err);
	return rc;
}

#ifndef SCRAPER_NO_MAIN
int
main(int argc, char **argv)
{
	struct app a;
	const char *why = NULL;
	char *url;
	int rc;

	memset(&a, 0, sizeof a);
	setlocale(LC_ALL, "");
	options_parse(&a.opt, argc, argv);
	if (!a.opt.dump && !(isatty(0) && isatty(1)))
		a.opt.dump = 1;
	if (!a.opt.url) {
		if (a.opt.dump)
			usage_error("%s", "no URL given (needed when not on a terminal)");
		fputs("scraper: the interactive screen is not built yet; use --dump URL\n",
		      stderr);
		return EXIT_USAGE;
	}
	if (!a.opt.dump) {
		fputs("scraper: the interactive screen is not built yet; use --dump URL\n",
		      stderr);
		return EXIT_USAGE;
	}
	url = url_normalize(a.opt.url, &why);
	if (!url) {
		print_err(a.opt.url, why);
		return strstr(why, "refused") ? EXIT_TRANSFER : EXIT_USAGE;
	}
	a.opt.url = url;
	signals_install();
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		die("cannot initialise libcurl");
	xmlInitParser();
	a.multi = curl_multi_init();
	if (!a.multi)
		die("out of memory");
	rc = run_dump(&a);
	curl_multi_cleanup(a.multi);
	curl_global_cleanup();
	xmlCleanupParser();
	free(url);
	return rc;
}
#endif
