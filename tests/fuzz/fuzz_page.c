/*
 * Page bytes + charset → records → TSV and JSON.
 *
 * Input: a first line of at most 40 bytes is the HTTP charset (an empty one
 * is no charset); the rest is the body. Input without such a line is all
 * body. The body is parsed as the screen parses http://h/d/p.html
 * (page_parse, body in memory), resolved, checked record by record, and
 * printed both ways (see check.h for what the output must be). Then it is
 * parsed again as --dump does (the body received in pieces, read by
 * libxml2 through a callback that gives the pages back behind it; from
 * 4 KiB on, parsed by a second thread while the rest arrives, or again the
 * usual way when the whole body needs converting), and the two pages must
 * hold the same records: the screen and --dump never disagree. That second
 * parse has --dump's writer beside it (TSV written by a third thread while
 * the parse goes on): what it writes must be out_tsv of the screen's page,
 * byte for byte, and it must not run when the page has a <base href> (which
 * changes every record's URL). Inputs are at most 4 KB: the same is done
 * again on the input repeated past 4 KiB, where the early parse starts.
 */
#define SCRAPER_NO_MAIN
#include "../../scraper.c"
#include "check.h"

#define PAGE_URL "http://h/d/p.html"

static void
check_record(const struct page *p, const struct element *e)
{
	struct fz_buf ref = {0}, origin = {0};

	CHECK((e->rule >= rules && e->rule < rules + NRULES) ||
	      (e->rule >= lazy_rules && e->rule < lazy_rules + NLAZY_RULES),
	      "a record's rule is not in the table");
	CHECK(e->raw && e->url && e->text, "a record with a NULL string");
	CHECK_BYTES(fz_utf8_valid(e->url, strlen(e->url)), "a record's url is not valid UTF-8",
		    e->url, strlen(e->url));
	CHECK_BYTES(fz_utf8_valid(e->text, strlen(e->text)), "a record's text is not valid UTF-8",
		    e->text, strlen(e->text));
	CHECK_BYTES(fz_utf8_valid(e->raw, strlen(e->raw)), "a record's raw value is not valid UTF-8",
		    e->raw, strlen(e->raw));
	CHECK_BYTES(strlen(e->text) <= TEXT_CAP + 1, "a record's text is longer than the cap",
		    e->text, strlen(e->text));
	fz_url_clean(&ref, e->raw);
	if (fz_ref_is_relative(ref.data, ref.len, p->base)) {
		/* a relative reference stays on http(s), and on the base's host
		 * unless it names its own ("//host/...") */
		CHECK_BYTES(!strncmp(e->url, "http://", 7) || !strncmp(e->url, "https://", 8),
			    "a relative reference resolved to a non-http URL", e->url,
			    strlen(e->url));
		fz_base_origin(&origin, p->base);
		if (!(ref.len >= 2 && ref.data[0] == '/' && ref.data[1] == '/') &&
		    (strncmp(e->url, origin.data, origin.len) ||
		     !strchr("/?#", e->url[origin.len]))) {
			FZ_FAIL("a relative reference left the base's origin");
			fz_dump("base", p->base, strlen(p->base));
			fz_dump("raw", e->raw, strlen(e->raw));
			fz_dump("url", e->url, strlen(e->url));
			abort();
		}
	} else if (!fz_is_http(ref.data, fz_scheme_len(ref.data, ref.len))) {
		/* mailto:, javascript:, data: ... stand as written, cleaned */
		CHECK_BYTES(!strcmp(e->url, ref.data), "a non-http URL was changed", e->url,
			    strlen(e->url));
	}
	fz_free(&ref);
	fz_free(&origin);
}

static int
same_str(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

/* The page --dump makes of the same bytes must be the screen's. */
static void
check_same_page(const struct page *p, const struct page *q)
{
	size_t i;

#define SAME(cond, what) do { \
		if (!(cond)) { \
			FZ_FAIL("page_parse_input (--dump) differs from page_parse (screen)"); \
			fprintf(stderr, "  %s (condition: %s)\n", what, #cond); \
			fprintf(stderr, "  records: %zu vs %zu\n", p->n, q->n); \
			abort(); \
		} \
	} while (0)
	SAME(p->n == q->n, "record count");
	SAME(same_str(p->title, q->title), "title");
	SAME(same_str(p->base, q->base), "base");
	SAME(same_str(p->charset, q->charset), "charset");
	SAME(p->replaced == q->replaced, "bytes replaced");
	SAME(p->partial == q->partial, "partial");
	for (i = 0; i < p->n; i++) {
		const struct element *a = &p->el[i], *b = &q->el[i];

		if (a->rule != b->rule || strcmp(a->raw, b->raw) || strcmp(a->text, b->text) ||
		    strcmp(a->url, b->url)) {
			fprintf(stderr, "  record %zu:\n", i);
			fz_dump("screen raw", a->raw, strlen(a->raw));
			fz_dump("dump raw", b->raw, strlen(b->raw));
			fz_dump("screen text", a->text, strlen(a->text));
			fz_dump("dump text", b->text, strlen(b->text));
			SAME(0, "a record");
		}
	}
#undef SAME
}

/* --dump's way (run_dump): the body received in pieces through feed_push,
 * records written by the writer into *streamed when it ran. */
static struct page *
parse_as_dump(const char *body, size_t len, const char *charset, struct fz_buf *streamed,
	      int *ran)
{
	struct page_input pi;
	struct page *q;
	size_t pos = 0, step = 1 + len % 1021, size = 0;
	char *mem = NULL;
	struct writer w = {.lock = PTHREAD_MUTEX_INITIALIZER,
			   .more = PTHREAD_COND_INITIALIZER,
			   .ended_cv = PTHREAD_COND_INITIALIZER, .base = PAGE_URL};
	const struct records_sink sink = {writer_start, writer_final, writer_go, writer_moving, &w};
	struct feed f;

	w.f = open_memstream(&mem, &size);
	CHECK(w.f != NULL, "open_memstream failed");

	page_input_init(&pi, len);
	feed_init(&f, &pi, &sink);
	f.header_charset = charset;
	while (pos < len) {
		size_t n = len - pos < step ? len - pos : step;

		CHECK(feed_push(&f, body + pos, n) == 0, "feed_push failed");
		pos += n;
		step = step * 7 % 1531 + 1;
	}
	if (!(q = feed_finish(&f, PAGE_URL)))
		q = page_parse_input(&pi, PAGE_URL, charset, &sink);
	feed_free(&f);
	CHECK(pi.base == NULL, "page_parse_input did not consume its input");
	*ran = w.go > 0;
	if (w.go > 0)
		CHECK(writer_finish(&w, q) == 0, "the writer failed to write to memory");
	CHECK(fclose(w.f) == 0, "fclose of the memory stream failed");
	fz_add(streamed, mem, size);
	free(mem);
	page_resolve(q);
	return q;
}

/* p (the screen's page of body) against --dump's way with the same bytes. */
static void
check_dump_way(const struct page *p, const char *body, size_t len, const char *charset)
{
	struct fz_buf streamed = {0};
	int ran = 0;
	struct page *q = parse_as_dump(body, len, charset, &streamed, &ran);

	check_same_page(p, q);
	if (ran) {
		struct buf o = {0};

		CHECK(!p->base_from_page, "the writer ran on a page with a <base href>");
		CHECK(out_tsv(&o, p, NULL, NULL, NULL) == 0, "out_tsv into a buffer fails");
		if (o.len != streamed.len || (o.len && memcmp(o.data, streamed.data, o.len))) {
			FZ_FAIL("the writer's TSV differs from out_tsv of the page");
			fz_dump("out_tsv", o.data ? o.data : "", o.len);
			fz_dump("writer", streamed.data ? streamed.data : "", streamed.len);
			abort();
		}
		buf_free(&o);
	}
	fz_free(&streamed);
	page_free(q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char cs[41], ctype[64];
	const char *charset = NULL, *body = (const char *)data;
	const uint8_t *nl = memchr(data, '\n', size < 41 ? size : 41);
	size_t len = size, i, k, sum = 0, count[K_COUNT] = {0};
	struct page *p;
	struct transfer t;

	if (nl) {
		k = (size_t)(nl - data);
		memcpy(cs, data, k);
		cs[k] = '\0';
		if (k)
			charset = cs;
		body = (const char *)nl + 1;
		len = size - k - 1;
	}
	/* the body is passed in place: reading past it is an ASan report */
	p = page_parse(body, len, PAGE_URL, charset, NULL);
	page_resolve(p);

	CHECK(p->base && p->charset, "page without base or charset");
	CHECK_BYTES(fz_utf8_valid(p->base, strlen(p->base)), "base is not valid UTF-8", p->base,
		    strlen(p->base));
	CHECK_BYTES(!strncmp(p->base, "http://", 7) || !strncmp(p->base, "https://", 8),
		    "the document base is not an http(s) URL", p->base, strlen(p->base));
	if (!p->base_from_page)
		CHECK(!strcmp(p->base, PAGE_URL), "base not from the page, yet not the URL");
	if (p->title)
		CHECK_BYTES(fz_utf8_valid(p->title, strlen(p->title)) &&
			    strlen(p->title) <= TEXT_CAP + 1, "title not valid UTF-8 or too long",
			    p->title, strlen(p->title));
	for (i = 0; i < p->n; i++) {
		check_record(p, &p->el[i]);
		count[p->el[i].rule->kind]++;
	}
	for (k = 0; k < K_COUNT; k++) {
		CHECK(count[k] == p->count[k], "a kind's count differs from its records");
		sum += p->count[k];
	}
	CHECK(sum == p->n, "counts per kind do not sum to n");

	memset(&t, 0, sizeof t);
	snprintf(ctype, sizeof ctype, "text/html; charset=%s", charset ? charset : "");
	t.url = t.final_url = (char *)PAGE_URL;
	t.ip = (char *)"127.0.0.1";
	t.port = 80;
	t.status = 200;
	/* hostile bytes in a header-derived field must be escaped too */
	t.content_type = charset ? ctype : NULL;
	t.content_length = (curl_off_t)len;
	t.received = len;
	fz_check_outputs(p, &t);

	check_dump_way(p, body, len, charset);
	if (len > 0 && len <= FEED_AFTER) {
		struct fz_buf more = {0};
		struct page *r;

		while (more.len <= FEED_AFTER)
			fz_add(&more, body, len);
		r = page_parse(more.data, more.len, PAGE_URL, charset, NULL);
		page_resolve(r);
		check_dump_way(r, more.data, more.len, charset);
		page_free(r);
		fz_free(&more);
	}
	page_free(p);
	return 0;
}
