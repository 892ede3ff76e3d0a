/*
 * floor.c — libxml2's HTML parser alone, quiet: extra floors for the
 * benchmark (tests/bench/run.sh builds it when libxml2's headers are there).
 *
 *     floor sax FILE     SAX pass: a start-element callback that only counts
 *                        elements; no tree, errors discarded. The context as
 *                        scraper makes it: htmlCreateMemoryParserCtxt (a copy
 *                        of the bytes) + xmlSwitchToEncoding(UTF-8) (another)
 *     floor nocvt FILE   the same SAX pass without xmlSwitchToEncoding: the
 *                        context is only told the input is UTF-8
 *                        (input->encoding, so a <meta> cannot switch it), and
 *                        libxml2 reads the bytes in place: one copy fewer.
 *                        (The copy made by htmlCreateMemoryParserCtxt is
 *                        still there. Avoiding it with
 *                        xmlParserInputBufferCreateStatic + xmlNewIOInputStream
 *                        went wrong with 2.9.14: twice the elements on the
 *                        10 MB page, a segfault on the 50 MB one.)
 *     floor tree FILE    htmlReadMemory: the tree, errors discarded, then freed
 *
 * Both read the whole file into memory first (as scraper has the body in
 * memory) and parse it as UTF-8 with HTML_PARSE_RECOVER | NOERROR |
 * NOWARNING | NONET — the options scraper uses. `xmllint --html --noout`, the
 * benchmark's official floor, builds the tree and also formats every parser
 * error on stderr; the difference between it and `floor tree` is that cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>

static unsigned long elements;

static void
count_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	(void)ctx;
	(void)name;
	(void)atts;
	elements++;
}

static void
silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
silent_structured(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		return NULL;
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		return NULL;
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

int
main(int argc, char **argv)
{
	const int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
			 HTML_PARSE_NONET;
	size_t len;
	char *buf;

	if (argc != 3 || (strcmp(argv[1], "sax") && strcmp(argv[1], "nocvt") &&
			  strcmp(argv[1], "tree"))) {
		fprintf(stderr, "usage: floor sax|nocvt|tree FILE\n");
		return 1;
	}
	if (!(buf = slurp(argv[2], &len))) {
		perror(argv[2]);
		return 1;
	}
	xmlSetGenericErrorFunc(NULL, silent);
	xmlSetStructuredErrorFunc(NULL, silent_structured);
	if (!strcmp(argv[1], "tree")) {
		htmlDocPtr doc = htmlReadMemory(buf, (int)len, NULL, "UTF-8", opts);

		if (!doc)
			return 2;
		xmlFreeDoc(doc);
	} else {
		htmlSAXHandler sax;
		htmlParserCtxtPtr ctxt;

		memset(&sax, 0, sizeof sax);
		sax.startElement = count_start;
		sax.initialized = XML_SAX2_MAGIC;
		sax.serror = silent_structured;
		if (!(ctxt = htmlCreateMemoryParserCtxt(buf, (int)len)))
			return 2;
		if (!strcmp(argv[1], "sax")) {
			xmlCharEncodingHandlerPtr enc = xmlFindCharEncodingHandler("UTF-8");

			if (enc)
				xmlSwitchToEncoding(ctxt, enc);
		} else {
			/* declared, so a <meta charset> cannot switch it */
			ctxt->charset = XML_CHAR_ENCODING_UTF8;
			ctxt->input->encoding = xmlStrdup((const xmlChar *)"UTF-8");
		}
		memcpy(ctxt->sax, &sax, sizeof sax);
		htmlCtxtUseOptions(ctxt, opts);
		htmlParseDocument(ctxt);
		htmlFreeParserCtxt(ctxt);
		printf("%lu elements\n", elements);
	}
	free(buf);
	return 0;
}
