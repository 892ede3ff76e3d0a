/*
 * Any bytes → TSV fields and JSON strings, alone and as a whole page.
 *
 * 1. buf_add_safe(SAN_TSV): valid UTF-8 without tab, newline or any other
 *    C0, DEL, C1 or bidi control, and exactly check.h's model (controls a
 *    space, bidi U+FFFD, invalid bytes U+FFFD).
 * 2. buf_add_safe(SAN_JSON) between quotes: one valid JSON string, with no
 *    raw control, DEL, C1 or bidi character, that decodes to the input
 *    itself when it is valid UTF-8 (JSON escapes lose nothing), else to the
 *    input with each invalid byte as U+FFFD.
 * 3. A page made of the input: split at NUL bytes, the first piece is the
 *    title (empty: none), then pairs of raw URL and text; every other record
 *    carries its URL as is (the screen's case), the others are resolved as
 *    they are printed (--dump's case). The transfer has one hop whose
 *    header lines are the whole input, and the title as its TLS version.
 *    out_tsv and out_json must hold to check.h's fz_check_outputs.
 */
#define SCRAPER_NO_MAIN
#include "../../scraper.c"
#include "check.h"

#define MAX_PIECES 17

struct decoded {
	struct fz_buf s;
	int strings;
};

static void
keep_string(void *ctx, int depth, int is_key, const char *s, size_t n)
{
	struct decoded *d = ctx;

	(void)depth;
	(void)is_key;
	d->strings++;
	d->s.len = 0;
	fz_add(&d->s, s, n);
}

static void
check_field_list(const uint8_t *data, size_t size)
{
	struct buf b = {0};
	struct decoded d = {{0}, 0};
	const char *in = (const char *)data;

	buf_add_safe(&b, in, size, SAN_TSV);
	fz_check_clean("SAN_TSV", b.data ? b.data : "", b.len, "");
	fz_check_model("SAN_TSV", b.data ? b.data : "", b.len, in, size, FZ_TSV);

	b.len = 0;
	buf_addc(&b, '"');
	buf_add_safe(&b, in, size, SAN_JSON);
	buf_addc(&b, '"');
	fz_check_clean("SAN_JSON", b.data, b.len, "");
	fz_check_json("SAN_JSON string", b.data, b.len, keep_string, &d);
	CHECK(d.strings == 1, "not one JSON string");
	fz_check_model("SAN_JSON, decoded", d.s.data, d.s.len, in, size, FZ_DECODED);
	if (fz_utf8_valid(in, size))
		CHECK_BYTES(d.s.len == size && !memcmp(d.s.data, in, size),
			    "valid UTF-8 does not survive JSON escaping", in, size);
	fz_free(&d.s);
	buf_free(&b);
}

static void
check_page(const uint8_t *data, size_t size)
{
	const char *piece[MAX_PIECES], *in = (const char *)data;
	size_t len[MAX_PIECES], np = 0, i, pos = 0;
	struct page *p = xmalloc(sizeof *p);
	struct transfer t;
	struct hop hop;

	while (np < MAX_PIECES && pos <= size) {
		const char *nul = memchr(in + pos, 0, size - pos);
		size_t end = nul ? (size_t)(nul - in) : size;

		piece[np] = in + pos;
		len[np++] = end - pos;
		pos = end + 1;
	}
	memset(p, 0, sizeof *p);
	p->base = "http://h/d/p.html";
	if (len[0])
		p->title = arena_strndup(&p->arena, piece[0], len[0]);
	p->cap = np / 2 + 1;
	p->el = xmalloc(p->cap * sizeof *p->el);
	for (i = 1; i + 1 <= np; i += 2) {
		struct element *e = &p->el[p->n];
		const struct rule *r = &rules[(len[i] + i) % NRULES];

		e->rule = r;
		e->raw = arena_strndup(&p->arena, piece[i], len[i]);
		e->url = p->n % 2 ? NULL : e->raw;
		e->text = i + 1 < np ? arena_strndup(&p->arena, piece[i + 1], len[i + 1]) : "";
		e->extra = p->n % 3 ? e->text : NULL; /* a descriptor or a rel, by the rule */
		p->count[r->kind]++;
		p->n++;
	}
	memset(&t, 0, sizeof t);
	t.url = (char *)(p->title ? p->title : "http://h/d/p.html");
	t.final_url = (char *)p->base;
	t.ip = p->n ? (char *)p->el[0].text : NULL;
	t.content_type = p->n > 1 ? (char *)p->el[1].text : NULL;
	t.content_length = -1;
	t.status = 200;
	t.received = size;
	memset(&hop, 0, sizeof hop);
	hop.url = t.url;
	hop.status = 301;
	snprintf(hop.version, sizeof hop.version, "%.*s", (int)len[0], piece[0]);
	hop.head = 0;
	hop.len = size;
	t.hops = &hop;
	t.nhops = 1;
	t.headers.data = (char *)in;
	t.headers.len = size;
	snprintf(t.tls_version, sizeof t.tls_version, "%.*s", (int)len[0], piece[0]);
	fz_check_outputs(p, &t);
	page_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_field_list(data, size);
	check_page(data, size);
	return 0;
}
