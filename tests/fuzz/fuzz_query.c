/*
 * Any bytes → the query engine's expression: a CSS selector translated to
 * XPath, and a whole expression (selector and fields) compiled.
 *
 * 1. css_to_xpath() on the bytes (up to a NUL) gives either XPath that
 *    libxml2 compiles without an error, or NULL with a message and an
 *    offset within the input.
 * 2. The XPath it gives evaluates on a small page without a crash or a
 *    leak (in this process: query_run() without a bound), and each row has
 *    its columns.
 * 3. query_compile() on the bytes gives a query, or NULL with a message
 *    and an offset within the input; a query is freed whole.
 * 4. --dump's rows of a CSS query are the same on the tree of only what
 *    the query reads (its needs) as on the whole tree.
 */
#define SCRAPER_NO_MAIN
#include "../../scraper.c"
#include "check.h"

static const char page_html[] =
	"<html><head><title>t</title><base href='/b/'></head><body>"
	"<div id=m class='a b' lang=en-GB><p>One <a href='x' title=T>first</a></p>"
	"<p></p><ul><li>1</li><li class=x>2<span>s</span></li><li>3</li></ul>"
	"<table><tr><th>h</th></tr><tr><td>1</td><td><a href=z>b</a></td></tr></table>"
	"<img src=i.png alt=''><!-- c --><input type=hidden name=n></div>"
	"<p data-x=1 style=s>a<!-- c -->b<b id=q> c </b>\n<i></i><i><!-- k --></i></p></body></html>";

static struct page *page;

static void
check_error(const struct query_error *err, size_t n, const char *what, const char *in)
{
	if (err->msg[0] && err->offset <= n)
		return;
	FZ_FAIL(what);
	fprintf(stderr, "  offset %zu of %zu, message \"%s\"\n", err->offset, n, err->msg);
	fz_dump("input", in, n);
	abort();
}

/* Whether the input is CSS that translates. */
static int
check_css(const char *in, size_t n)
{
	struct query_error err;
	struct xpath_seen seen;
	xmlXPathContextPtr x;
	xmlXPathCompExprPtr comp;
	char *xp;

	memset(&err, 0, sizeof err);
	if (!(xp = css_to_xpath(in, 0, n, NULL, &err))) {
		check_error(&err, n, "css_to_xpath: NULL without a message or past the input", in);
		return 0;
	}
	x = xpath_context(NULL, &seen);
	comp = xmlXPathCtxtCompile(x, (const xmlChar *)xp);
	if (!comp || seen.code) {
		FZ_FAIL("the XPath of a translation does not compile");
		fprintf(stderr, "  libxml2: %s at %d\n", seen.msg, seen.offset);
		fz_dump("input", in, n);
		fz_dump("xpath", xp, strlen(xp));
		abort();
	}
	xmlXPathFreeCompExpr(comp);
	xmlXPathFreeContext(x);
	free(xp);
	return 1;
}

static void
check_run(const struct query *q)
{
	struct query_rows r;
	struct query_error err;
	size_t i;

	if (query_run(q, page, 0, &r, &err) < 0)
		return;
	CHECK(r.ncols == (q->nf ? q->nf : 1), "a row's columns are not the fields");
	for (i = 0; i < r.nrows * r.ncols; i++)
		CHECK(r.cells[i] != NULL, "a NULL cell");
	query_rows_free(&r);
}

/* --dump's rows on the tree of what q reads, against the whole tree's. */
static void
check_lean(struct query *q, const char *in, size_t n)
{
	struct page *lean = page_parse(page_html, strlen(page_html), "http://h/d/p.html",
				       NULL, NULL);
	struct query_rows whole, part;
	struct query_error err;
	size_t i, same;

	lean->tree = tree_parse(lean, ctxt_from_memory(page_html, strlen(page_html), NULL), 0,
				&q->needs);
	q->cells_only = 1;
	if (query_run(q, page, 0, &whole, &err) == 0) {
		CHECK(query_run(q, lean, 0, &part, &err) == 0, "fails on the lean tree only");
		same = whole.nrows == part.nrows && whole.ncols == part.ncols;
		for (i = 0; same && i < whole.nrows * whole.ncols; i++)
			same = !strcmp(whole.cells[i], part.cells[i]);
		if (!same) {
			FZ_FAIL("rows on the lean tree differ from the whole tree's");
			fz_dump("input", in, n);
			abort();
		}
		query_rows_free(&part);
		query_rows_free(&whole);
	}
	page_free(lean);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1);
	struct query_error err;
	struct query *q;
	size_t n;
	int css;

	if (!in)
		return 0;
	if (!page)
		page = page_parse(page_html, strlen(page_html), "http://h/d/p.html", NULL, NULL);
	memcpy(in, data, size);
	in[size] = '\0';
	n = strlen(in);
	css = check_css(in, n);
	memset(&err, 0, sizeof err);
	q = query_compile(in, &err);
	if (!q)
		check_error(&err, n, "query_compile: NULL without a message or past the input", in);
	else if (css) { /* XPath as typed may be slow by design: CSS only */
		check_run(q);
		check_lean(q, in, n);
	}
	query_free(q);
	free(in);
	return 0;
}
