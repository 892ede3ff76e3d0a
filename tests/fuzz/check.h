/*
 * What the fuzz targets assert, written apart from scraper.c so that a bug
 * there is not repeated here: a UTF-8 decoder after table 3-7 of the Unicode
 * standard (by byte ranges, where scraper decodes and then range-checks the
 * value), a strict RFC 8259 JSON validator with a string decoder, reference
 * models of what each sanitiser mode must produce, and the checks of the TSV
 * and JSON of a whole page, shared by fuzz_page and fuzz_out.
 *
 * Included after ../../scraper.c, whose types the page checks use; it also
 * holds LLVMFuzzerInitialize, the same for every target.
 * A violated invariant prints what it was and the bytes involved, then
 * abort()s: libFuzzer saves the input as a crash.
 */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* libFuzzer's entry points; every target starts libxml2 the same way. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	return 0;
}

/* Prints the first bytes of s, C-escaped, for a failure report. */
static void
fz_dump(const char *label, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t i, shown = n < 400 ? n : 400;

	fprintf(stderr, "  %s (%zu bytes): \"", label, n);
	for (i = 0; i < shown; i++) {
		if (p[i] == '"' || p[i] == '\\')
			fprintf(stderr, "\\%c", p[i]);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			fputc(p[i], stderr);
		else
			fprintf(stderr, "\\x%02x", p[i]);
	}
	fprintf(stderr, "\"%s\n", shown < n ? "..." : "");
}

#define FZ_FAIL(what) \
	(fprintf(stderr, "\nINVARIANT VIOLATED at %s:%d: %s\n", __FILE__, __LINE__, what))

/* CHECK(cond, what): abort when cond is false. */
#define CHECK(cond, what) do { \
		if (!(cond)) { \
			FZ_FAIL(what); \
			fprintf(stderr, "  condition: %s\n", #cond); \
			abort(); \
		} \
	} while (0)

/* CHECK_BYTES(cond, what, s, n): the same, showing the bytes concerned. */
#define CHECK_BYTES(cond, what, s, n) do { \
		if (!(cond)) { \
			FZ_FAIL(what); \
			fprintf(stderr, "  condition: %s\n", #cond); \
			fz_dump("bytes", (s), (n)); \
			abort(); \
		} \
	} while (0)

/* ---- UTF-8, by the byte ranges of table 3-7 ---- */

/* The length of the well-formed sequence at s[0..n), or 0 when there is none. */
static size_t
fz_u8_len(const unsigned char *s, size_t n)
{
	unsigned char b0 = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (b0 <= 0x7f)
		return 1;
	if (b0 >= 0xc2 && b0 <= 0xdf)
		len = 2;
	else if (b0 >= 0xe0 && b0 <= 0xef)
		len = 3;
	else if (b0 >= 0xf0 && b0 <= 0xf4)
		len = 4;
	else
		return 0;
	if (b0 == 0xe0)
		lo = 0xa0;
	else if (b0 == 0xed)
		hi = 0x9f;
	else if (b0 == 0xf0)
		lo = 0x90;
	else if (b0 == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* The code point of a well-formed sequence of length len. */
static uint32_t
fz_u8_cp(const unsigned char *s, size_t len)
{
	static const unsigned char lead_mask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	uint32_t c = s[0] & lead_mask[len];
	size_t i;

	for (i = 1; i < len; i++)
		c = (c << 6) | (s[i] & 0x3f);
	return c;
}

static int
fz_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;

	while (i < n) {
		if (!(len = fz_u8_len(p + i, n - i)))
			return 0;
		i += len;
	}
	return 1;
}

/* The characters that must never reach a terminal or a TSV field raw. */
static int
fz_is_c0_c1_del(uint32_t c)
{
	return c <= 0x1f || c == 0x7f || (c >= 0x80 && c <= 0x9f);
}

static int
fz_is_bidi(uint32_t c)
{
	switch (c) {
	case 0x061c: case 0x200e: case 0x200f:
	case 0x202a: case 0x202b: case 0x202c: case 0x202d: case 0x202e:
	case 0x2066: case 0x2067: case 0x2068: case 0x2069:
		return 1;
	}
	return 0;
}

/* The line and paragraph separators: line ends to python and JavaScript. */
static int
fz_is_line_sep(uint32_t c)
{
	return c == 0x2028 || c == 0x2029;
}

/*
 * Asserts s[0..n) is valid UTF-8 without C0, DEL, C1, bidi controls or
 * line separators;
 * `allowed` lists C0 bytes that may appear ("\t\n" for TSV, "\n" for the
 * JSON document, "" for text).
 */
static void
fz_check_clean(const char *what, const char *s, size_t n, const char *allowed)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;

	while (i < n) {
		uint32_t c;

		len = fz_u8_len(p + i, n - i);
		if (!len) {
			FZ_FAIL("output is not valid UTF-8");
			fprintf(stderr, "  in: %s, at byte %zu\n", what, i);
			fz_dump("output", s, n);
			abort();
		}
		c = fz_u8_cp(p + i, len);
		if ((fz_is_c0_c1_del(c) && !(c && c < 0x20 && strchr(allowed, (int)c))) ||
		    fz_is_bidi(c) || fz_is_line_sep(c)) {
			FZ_FAIL("a control, bidi or line separator character got through");
			fprintf(stderr, "  in: %s, U+%04X at byte %zu\n", what, (unsigned)c, i);
			fz_dump("output", s, n);
			abort();
		}
		i += len;
	}
}

/* ---- reference models of the sanitiser ---- */

struct fz_buf {
	char *data;
	size_t len, cap;
};

static void
fz_add(struct fz_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->data = realloc(b->data, b->cap);
		if (!b->data)
			abort();
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
fz_add_cp(struct fz_buf *b, uint32_t c)
{
	unsigned char s[4];
	size_t n;

	if (c < 0x80)
		s[0] = (unsigned char)c, n = 1;
	else if (c < 0x800)
		s[0] = 0xc0 | (c >> 6), s[1] = 0x80 | (c & 0x3f), n = 2;
	else if (c < 0x10000)
		s[0] = 0xe0 | (c >> 12), s[1] = 0x80 | ((c >> 6) & 0x3f),
		s[2] = 0x80 | (c & 0x3f), n = 3;
	else
		s[0] = 0xf0 | (c >> 18), s[1] = 0x80 | ((c >> 12) & 0x3f),
		s[2] = 0x80 | ((c >> 6) & 0x3f), s[3] = 0x80 | (c & 0x3f), n = 4;
	fz_add(b, s, n);
}

static void
fz_free(struct fz_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

enum fz_model { FZ_TEXT, FZ_TSV, FZ_DECODED };

/*
 * What buf_add_safe() must produce, character by character: a byte that
 * starts no well-formed sequence is U+FFFD (one per byte); then
 *   FZ_TEXT     C0 and DEL as ^X, C1, bidi and U+2028/2029 as <U+XXXX>;
 *   FZ_TSV      C0, DEL, C1 and U+2028/2029 as a space, bidi as U+FFFD;
 *   FZ_DECODED  every character as itself: what SAN_JSON's output must
 *               decode to (JSON escapes lose nothing).
 */
static void
fz_model(struct fz_buf *out, const char *s, size_t n, enum fz_model m)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;
	char tmp[16];

	while (i < n) {
		uint32_t c = 0xfffd;

		len = fz_u8_len(p + i, n - i);
		if (len)
			c = fz_u8_cp(p + i, len);
		else
			len = 1;
		i += len;
		if (m == FZ_DECODED || !(fz_is_c0_c1_del(c) || fz_is_bidi(c) || fz_is_line_sep(c))) {
			fz_add_cp(out, c);
		} else if (m == FZ_TSV) {
			fz_add_cp(out, fz_is_bidi(c) ? 0xfffd : ' ');
		} else if (c < 0x20 || c == 0x7f) {
			tmp[0] = '^';
			tmp[1] = (char)(c ^ 0x40);
			fz_add(out, tmp, 2);
		} else {
			snprintf(tmp, sizeof tmp, "<U+%04X>", (unsigned)c);
			fz_add(out, tmp, strlen(tmp));
		}
	}
}

/* Asserts got equals the model of s[0..n). */
static void
fz_check_model(const char *what, const char *got, size_t got_len,
	       const char *s, size_t n, enum fz_model m)
{
	struct fz_buf want = {0};

	fz_add(&want, "", 0);
	fz_model(&want, s, n, m);
	if (got_len != want.len || memcmp(got, want.data, want.len)) {
		FZ_FAIL("output differs from the reference model");
		fprintf(stderr, "  in: %s\n", what);
		fz_dump("input", s, n);
		fz_dump("got", got, got_len);
		fz_dump("want", want.data, want.len);
		abort();
	}
	fz_free(&want);
}

/* ---- JSON: RFC 8259, strictly ---- */

/* Called for every string, decoded, with its nesting depth (1 inside the
 * top-level object or array) and whether it is an object key. */
typedef void fz_json_string_fn(void *ctx, int depth, int is_key,
			       const char *s, size_t n);

struct fz_json {
	const unsigned char *s;
	size_t n, i;
	int depth;
	const char *err;
	struct fz_buf str;        /* the string being decoded */
	fz_json_string_fn *fn;
	void *ctx;
};

#define FZ_JSON_MAX_DEPTH 64

static int fz_json_value(struct fz_json *j);

static void
fz_json_ws(struct fz_json *j)
{
	while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' ||
			       j->s[j->i] == '\n' || j->s[j->i] == '\r'))
		j->i++;
}

static int
fz_json_fail(struct fz_json *j, const char *err)
{
	if (!j->err)
		j->err = err;
	return 0;
}

static int
fz_json_hex4(struct fz_json *j, uint32_t *v)
{
	size_t k;

	*v = 0;
	if (j->n - j->i < 4)
		return fz_json_fail(j, "short \\u escape");
	for (k = 0; k < 4; k++) {
		unsigned char c = j->s[j->i++];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return fz_json_fail(j, "bad hex digit in \\u escape");
	}
	return 1;
}

/* A string at j->i (the opening quote), decoded into j->str. Raw bytes must
 * be valid UTF-8 and not below U+0020; a \u escape of a surrogate must be
 * one half of a pair (RFC 7493: no lone surrogates). */
static int
fz_json_string(struct fz_json *j, int is_key)
{
	j->str.len = 0;
	fz_add(&j->str, "", 0);
	if (j->i >= j->n || j->s[j->i] != '"')
		return fz_json_fail(j, "expected a string");
	j->i++;
	for (;;) {
		unsigned char c;
		size_t len;

		if (j->i >= j->n)
			return fz_json_fail(j, "unterminated string");
		c = j->s[j->i];
		if (c == '"') {
			j->i++;
			break;
		}
		if (c < 0x20)
			return fz_json_fail(j, "raw control character in a string");
		if (c != '\\') {
			len = fz_u8_len(j->s + j->i, j->n - j->i);
			if (!len)
				return fz_json_fail(j, "invalid UTF-8 in a string");
			fz_add(&j->str, j->s + j->i, len);
			j->i += len;
			continue;
		}
		if (++j->i >= j->n)
			return fz_json_fail(j, "unterminated escape");
		c = j->s[j->i++];
		switch (c) {
		case '"': case '\\': case '/':
			fz_add(&j->str, &c, 1);
			break;
		case 'b': fz_add(&j->str, "\b", 1); break;
		case 'f': fz_add(&j->str, "\f", 1); break;
		case 'n': fz_add(&j->str, "\n", 1); break;
		case 'r': fz_add(&j->str, "\r", 1); break;
		case 't': fz_add(&j->str, "\t", 1); break;
		case 'u': {
			uint32_t v, lo;

			if (!fz_json_hex4(j, &v))
				return 0;
			if (v >= 0xdc00 && v <= 0xdfff)
				return fz_json_fail(j, "lone low surrogate");
			if (v >= 0xd800 && v <= 0xdbff) {
				if (j->n - j->i < 6 || j->s[j->i] != '\\' || j->s[j->i + 1] != 'u')
					return fz_json_fail(j, "lone high surrogate");
				j->i += 2;
				if (!fz_json_hex4(j, &lo))
					return 0;
				if (lo < 0xdc00 || lo > 0xdfff)
					return fz_json_fail(j, "high surrogate without a low one");
				v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
			}
			fz_add_cp(&j->str, v);
			break;
		}
		default:
			return fz_json_fail(j, "unknown escape");
		}
	}
	if (j->fn)
		j->fn(j->ctx, j->depth, is_key, j->str.data, j->str.len);
	return 1;
}

static int
fz_json_digits(struct fz_json *j)
{
	size_t start = j->i;

	while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
		j->i++;
	return j->i > start;
}

static int
fz_json_number(struct fz_json *j)
{
	if (j->i < j->n && j->s[j->i] == '-')
		j->i++;
	if (j->i < j->n && j->s[j->i] == '0')
		j->i++;
	else if (!(j->i < j->n && j->s[j->i] >= '1' && j->s[j->i] <= '9') ||
		 !fz_json_digits(j))
		return fz_json_fail(j, "bad number");
	if (j->i < j->n && j->s[j->i] == '.') {
		j->i++;
		if (!fz_json_digits(j))
			return fz_json_fail(j, "bad fraction");
	}
	if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
		j->i++;
		if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
			j->i++;
		if (!fz_json_digits(j))
			return fz_json_fail(j, "bad exponent");
	}
	return 1;
}

static int
fz_json_word(struct fz_json *j, const char *w)
{
	size_t n = strlen(w);

	if (j->n - j->i < n || memcmp(j->s + j->i, w, n))
		return fz_json_fail(j, "bad literal");
	j->i += n;
	return 1;
}

/* An object or array at j->i (its opening bracket). */
static int
fz_json_container(struct fz_json *j)
{
	int object = j->s[j->i] == '{';
	char close = object ? '}' : ']';

	if (++j->depth > FZ_JSON_MAX_DEPTH)
		return fz_json_fail(j, "nested too deep");
	j->i++;
	fz_json_ws(j);
	if (j->i < j->n && j->s[j->i] == close) {
		j->i++;
		j->depth--;
		return 1;
	}
	for (;;) {
		if (object) {
			fz_json_ws(j);
			if (!fz_json_string(j, 1))
				return 0;
			fz_json_ws(j);
			if (j->i >= j->n || j->s[j->i] != ':')
				return fz_json_fail(j, "expected ':'");
			j->i++;
		}
		if (!fz_json_value(j))
			return 0;
		fz_json_ws(j);
		if (j->i < j->n && j->s[j->i] == ',') {
			j->i++;
			continue;
		}
		if (j->i < j->n && j->s[j->i] == close) {
			j->i++;
			j->depth--;
			return 1;
		}
		return fz_json_fail(j, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

/* A value, with the whitespace around it. */
static int
fz_json_value(struct fz_json *j)
{
	int ok;

	fz_json_ws(j);
	if (j->i >= j->n)
		return fz_json_fail(j, "expected a value");
	switch (j->s[j->i]) {
	case '{': case '[': ok = fz_json_container(j); break;
	case '"': ok = fz_json_string(j, 0); break;
	case 't': ok = fz_json_word(j, "true"); break;
	case 'f': ok = fz_json_word(j, "false"); break;
	case 'n': ok = fz_json_word(j, "null"); break;
	default: ok = fz_json_number(j); break;
	}
	fz_json_ws(j);
	return ok;
}

/* Returns NULL when s[0..n) is exactly one JSON value (RFC 8259, UTF-8),
 * else what is wrong; *at gets the offset. fn, if given, sees every string. */
static const char *
fz_json_check(const char *s, size_t n, size_t *at, fz_json_string_fn *fn, void *ctx)
{
	struct fz_json j = {(const unsigned char *)s, n, 0, 0, NULL, {0}, fn, ctx};

	if (fz_json_value(&j) && j.i != n)
		fz_json_fail(&j, "bytes after the value");
	*at = j.i;
	fz_free(&j.str);
	return j.err;
}

/* Asserts s[0..n) is valid JSON. */
static void
fz_check_json(const char *what, const char *s, size_t n, fz_json_string_fn *fn,
	      void *ctx)
{
	size_t at;
	const char *err = fz_json_check(s, n, &at, fn, ctx);

	if (err) {
		FZ_FAIL("invalid JSON");
		fprintf(stderr, "  in: %s: %s at byte %zu\n", what, err, at);
		fz_dump("around there", s + (at > 40 ? at - 40 : 0),
			n - (at > 40 ? at - 40 : 0) < 120 ? n - (at > 40 ? at - 40 : 0) : 120);
		fz_dump("json", s, n);
		abort();
	}
}

/* ---- a scheme, per RFC 3986 3.1, and URL cleaning as HTML does it ---- */

/* Length of "scheme" in "scheme:...", 0 when there is none. */
static size_t
fz_scheme_len(const char *s, size_t n)
{
	size_t i;

	if (!n || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (i = 1; i < n && s[i] != ':'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' ||
		      s[i] == '.'))
			return 0;
	return i < n ? i : 0;
}

static int
fz_is_http(const char *s, size_t n)
{
	return (n == 4 && !strncasecmp(s, "http", 4)) || (n == 5 && !strncasecmp(s, "https", 5));
}

/* An attribute value as a URL: ASCII whitespace trimmed, tab/CR/LF dropped. */
static void
fz_url_clean(struct fz_buf *out, const char *s)
{
	size_t n = strlen(s), i;

#define FZ_SP(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\f' || (c) == '\r')
	while (n && FZ_SP(s[0]))
		s++, n--;
	while (n && FZ_SP(s[n - 1]))
		n--;
#undef FZ_SP
	out->len = 0;
	fz_add(out, "", 0);
	for (i = 0; i < n; i++)
		if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			fz_add(out, s + i, 1);
}

/*
 * Is cleaned reference ref relative to base for scraper's resolver: it has
 * no scheme, or (as in browsers) the base's own http(s) scheme without "//".
 */
static int
fz_ref_is_relative(const char *ref, size_t n, const char *base)
{
	size_t sl = fz_scheme_len(ref, n), bl = fz_scheme_len(base, strlen(base));

	if (!sl)
		return 1;
	return fz_is_http(ref, sl) && sl == bl && !strncasecmp(ref, base, sl) &&
	       !(n - sl - 1 >= 2 && ref[sl + 1] == '/' && ref[sl + 2] == '/');
}

/* "scheme://authority" of an http(s) base, scheme in lower case. */
static void
fz_base_origin(struct fz_buf *out, const char *base)
{
	size_t sl = fz_scheme_len(base, strlen(base)), i;
	const char *a = base + sl + 1;

	out->len = 0;
	for (i = 0; i < sl; i++) {
		char c = base[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		fz_add(out, &c, 1);
	}
	fz_add(out, "://", 3);
	if (a[0] == '/' && a[1] == '/') {
		a += 2;
		fz_add(out, a, strcspn(a, "/?#"));
	}
}

/* ---- a whole page's TSV and JSON ---- */

/* Walks out_json's strings: element objects are at depth 3 in "elements"
 * (hop objects are at depth 3 too, in "hops"). */
struct fz_json_walk {
	const struct page *p;
	char **urls;          /* each record's URL as out_* must print it */
	const char *key;      /* the key the next value belongs to */
	char keybuf[32];
	size_t el;            /* elements whose "text" was seen */
	int title_seen;
	int in_elements;      /* the last key of the page object was "elements" */
	size_t extras;        /* descriptors and rels seen */
};

static void
fz_expect_decoded(const char *what, const char *got, size_t n, const char *orig)
{
	fz_check_model(what, got, n, orig, strlen(orig), FZ_DECODED);
}

static void
fz_json_walk_string(void *ctx, int depth, int is_key, const char *s, size_t n)
{
	struct fz_json_walk *w = ctx;
	const struct element *e;

	if (is_key) {
		snprintf(w->keybuf, sizeof w->keybuf, "%.*s", (int)n, s);
		w->key = w->keybuf;
		if (depth == 1)
			w->in_elements = !strcmp(w->key, "elements");
		return;
	}
	if (depth == 1 && !strcmp(w->key, "title")) {
		CHECK(w->p->title != NULL, "JSON has a title string, the page none");
		fz_expect_decoded("JSON title", s, n, w->p->title);
		w->title_seen = 1;
		return;
	}
	if (depth != 3 || !w->in_elements)
		return;
	if (!strcmp(w->key, "kind")) { /* the first key of an element */
		CHECK(w->el < w->p->n, "more JSON elements than records");
		e = &w->p->el[w->el++];
		CHECK(n == strlen(kind_names[e->rule->kind]) &&
		      !memcmp(s, kind_names[e->rule->kind], n), "JSON kind of a record");
		return;
	}
	CHECK(w->el > 0, "a JSON element's field before its kind");
	e = &w->p->el[w->el - 1];
	if (!strcmp(w->key, "url")) {
		fz_expect_decoded("JSON url of a record", s, n, w->urls[w->el - 1]);
	} else if (!strcmp(w->key, "text")) {
		fz_expect_decoded("JSON text of a record", s, n, e->text);
	} else if (!strcmp(w->key, "descriptor") || !strcmp(w->key, "rel")) {
		const char *v = w->key[0] == 'd' ? record_descriptor(e) : record_rel(e);

		CHECK(v != NULL, "JSON descriptor or rel of a record that has none");
		fz_expect_decoded("JSON descriptor or rel of a record", s, n, v);
		w->extras++;
	}
}

/*
 * out_tsv and out_json of p (t: the transfer out_json reports), into
 * buffers without a FILE, and what they must be:
 *  TSV   exactly p->n lines of exactly 4 tabs; kind, tag and attribute
 *        first; valid UTF-8 without C0 (but tab, newline), DEL, C1 or bidi
 *        controls; the url and text fields are the sanitiser model of the
 *        record's own.
 *  JSON  valid RFC 8259; no raw control, DEL, C1 or bidi character outside
 *        the newlines between elements; p->n elements whose kind, url,
 *        text, descriptor and rel decode to the record's own (invalid UTF-8
 *        as U+FFFD).
 */
static void
fz_check_outputs(const struct page *p, const struct transfer *t)
{
	struct buf o = {0};
	struct fz_json_walk w = {p, NULL, "", {0}, 0, 0, 0, 0};
	size_t i, lines = 0, nl = 0;
	const char *line;

	/* a record without a stored URL is resolved as it is printed (--dump) */
	w.urls = xmalloc((p->n ? p->n : 1) * sizeof *w.urls);
	for (i = 0; i < p->n; i++)
		w.urls[i] = p->el[i].url ? xstrdup(p->el[i].url)
					 : url_resolve(p->base, p->el[i].raw);
	CHECK(out_tsv(&o, p, NULL, NULL, NULL) == 0, "out_tsv into a buffer fails");
	fz_check_clean("TSV", o.data ? o.data : "", o.len, "\t\n");
	CHECK_BYTES(o.len == 0 || o.data[o.len - 1] == '\n', "TSV does not end with a newline",
		    o.data, o.len);
	for (line = o.data; line && line < o.data + o.len; lines++) {
		const char *end = memchr(line, '\n', (size_t)(o.data + o.len - line));
		const char *f[5];
		size_t tabs = 0, k;
		const struct element *e;

		CHECK_BYTES(lines < p->n, "more TSV lines than records", o.data, o.len);
		e = &p->el[lines];
		for (k = 0; line + k < end; k++)
			if (line[k] == '\t' && tabs < 4)
				f[++tabs] = line + k + 1;
			else if (line[k] == '\t')
				tabs++;
		CHECK_BYTES(tabs == 4, "a TSV line without exactly 4 tabs", line,
			    (size_t)(end - line));
		f[0] = line;
		CHECK_BYTES((size_t)(f[1] - 1 - f[0]) == strlen(kind_names[e->rule->kind]) &&
			    !memcmp(f[0], kind_names[e->rule->kind], strlen(kind_names[e->rule->kind])),
			    "TSV field 1 is not the kind", line, (size_t)(end - line));
		CHECK_BYTES((size_t)(f[2] - 1 - f[1]) == strlen(e->rule->tag) &&
			    !memcmp(f[1], e->rule->tag, strlen(e->rule->tag)),
			    "TSV field 2 is not the tag", line, (size_t)(end - line));
		CHECK_BYTES((size_t)(f[3] - 1 - f[2]) == strlen(e->rule->attr) &&
			    !memcmp(f[2], e->rule->attr, strlen(e->rule->attr)),
			    "TSV field 3 is not the attribute", line, (size_t)(end - line));
		fz_check_model("TSV url field", f[3], (size_t)(f[4] - 1 - f[3]),
			       w.urls[lines], strlen(w.urls[lines]), FZ_TSV);
		fz_check_model("TSV text field", f[4], (size_t)(end - f[4]),
			       e->text, strlen(e->text), FZ_TSV);
		line = end + 1;
	}
	CHECK(lines == p->n, "TSV line count differs from the record count");

	o.len = 0;
	CHECK(out_json(&o, t, p, NULL, NULL, 0, NULL) == 0, "out_json into a buffer fails");
	fz_check_clean("JSON", o.data, o.len, "\n");
	fz_check_json("out_json", o.data, o.len, fz_json_walk_string, &w);
	for (i = 0; i < o.len; i++)
		nl += o.data[i] == '\n';
	CHECK(nl == p->n + 1, "JSON: not one line per element plus the last");
	CHECK(w.el == p->n, "JSON element count differs from the record count");
	for (i = 0; i < p->n; i++)
		w.extras -= record_descriptor(&p->el[i]) || record_rel(&p->el[i]);
	CHECK(w.extras == 0, "JSON descriptors and rels differ from the records'");
	CHECK(w.title_seen == (p->title != NULL), "JSON title is null, the page has one");
	for (i = 0; i < p->n; i++)
		free(w.urls[i]);
	free(w.urls);
	buf_free(&o);
}

#endif
