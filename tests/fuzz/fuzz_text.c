/*
 * Any bytes → display-safe text (buf_add_safe, SAN_TEXT: what reaches the
 * terminal and stderr), and any base + reference → url_resolve.
 *
 * Text: the output is valid UTF-8 with no C0 at all (ESC, CR, BS, TAB, LF
 * included), no DEL, C1, bidi control or U+2028/2029, and is exactly
 * check.h's model: invalid bytes U+FFFD, C0/DEL as ^X, C1, bidi and
 * U+2028/2029 as <U+XXXX>, the rest as is.
 *
 * URLs: the input up to its first NUL is the base, the rest the reference
 * (no NUL: the base is RFC 3986's http://a/b/c/d;p?q). A base that does not
 * start with "http(s)://" gets "http://" in front: url_resolve takes an
 * absolute http(s) URL with an authority (scraper's bases come from
 * url_normalize via libcurl, or from a <base> checked to have one; against
 * "http:x" a reference "y" would become "http://y"). The result exists; a reference without a scheme of its own (or
 * with the base's http scheme and no "//") yields the base's scheme,
 * lower-cased, then "://", and unless it starts with "//" the base's
 * authority; any other non-http reference is returned cleaned, as written;
 * tab, CR and LF are gone if the base had none.
 */
#define SCRAPER_NO_MAIN
#include "../../scraper.c"
#include "check.h"

static void
check_text(const uint8_t *data, size_t size)
{
	struct buf b = {0};

	buf_add_safe(&b, (const char *)data, size, SAN_TEXT);
	CHECK(size == 0 || b.data, "no output for non-empty input");
	fz_check_clean("SAN_TEXT", b.data ? b.data : "", b.len, "");
	fz_check_model("SAN_TEXT", b.data ? b.data : "", b.len, (const char *)data, size,
		       FZ_TEXT);
	buf_free(&b);
}

static void
check_resolve(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	struct fz_buf base = {0}, ref = {0}, origin = {0};
	const char *refs;
	char *out;
	size_t sl, ol, rsl;

	if (nul) {
		size_t bl = (size_t)(nul - data);

		sl = fz_scheme_len((const char *)data, bl);
		if (!fz_is_http((const char *)data, sl) || bl < sl + 3 ||
		    memcmp(data + sl + 1, "//", 2))
			fz_add(&base, "http://", 7);
		fz_add(&base, data, bl);
		refs = (const char *)nul + 1;
		size -= bl + 1;
	} else {
		fz_add(&base, "http://a/b/c/d;p?q", 18);
		refs = (const char *)data;
	}
	/* the reference is a C string: up to its own NUL, if any */
	{
		char *r = malloc(size + 1);

		if (!r)
			abort();
		memcpy(r, refs, size);
		r[size] = '\0';
		out = url_resolve(base.data, r);
		CHECK(out != NULL, "url_resolve returned NULL");
		fz_url_clean(&ref, r);
		free(r);
	}
	ol = strlen(out);
	rsl = fz_scheme_len(ref.data, ref.len);
#define URL_CHECK(cond, what) do { \
		if (!(cond)) { \
			FZ_FAIL(what); \
			fprintf(stderr, "  condition: %s\n", #cond); \
			fz_dump("base", base.data, base.len); \
			fz_dump("ref (cleaned)", ref.data, ref.len); \
			fz_dump("result", out, ol); \
			abort(); \
		} \
	} while (0)
	if (fz_ref_is_relative(ref.data, ref.len, base.data)) {
		fz_base_origin(&origin, base.data);
		sl = fz_scheme_len(base.data, base.len);
		URL_CHECK(ol >= sl + 3 && !memcmp(out, origin.data, sl + 3),
			  "a relative reference did not keep the base's scheme");
		if (!(ref.len >= 2 && ref.data[0] == '/' && ref.data[1] == '/'))
			URL_CHECK(ol >= origin.len && !memcmp(out, origin.data, origin.len) &&
				  strchr("/?#", out[origin.len]),
				  "a relative reference did not keep the base's authority");
	} else if (!fz_is_http(ref.data, rsl)) {
		URL_CHECK(ol == ref.len && !memcmp(out, ref.data, ol),
			  "a non-http reference was changed");
	}
	if (!strpbrk(base.data, "\t\r\n"))
		URL_CHECK(!strpbrk(out, "\t\r\n"), "tab, CR or LF left in a resolved URL");
	free(out);
	fz_free(&base);
	fz_free(&ref);
	fz_free(&origin);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_text(data, size);
	check_resolve(data, size);
	return 0;
}
