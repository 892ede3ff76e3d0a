/*
 * A command line → words (shell_words), as the URL form reads a pasted curl
 * command; a word → shell text (shell_quote), as C writes one.
 *
 * shell_words either refuses (with a reason, and then only for an
 * unterminated quote, a NUL, a NUL escape or shell syntax) or gives words
 * that hold no NUL; shell_quote gives printable ASCII only (the C key's
 * text reaches a clipboard and the form), which shell_words reads back as
 * that one word, byte for byte; and the words of a line, each quoted and
 * joined by spaces, read back as the same words.
 */
#define SCRAPER_NO_MAIN
#include "../../scraper.c"
#include "check.h"

/* The word back from its quoted form, or abort. */
static void
round_trip(const char *w, size_t n)
{
	struct buf q = {0}, back = {0}, why = {0};
	size_t words = 0, i;

	shell_quote(&q, w, n);
	for (i = 0; i < q.len; i++)
		CHECK_BYTES((unsigned char)q.data[i] >= 0x20 && (unsigned char)q.data[i] < 0x7f,
			    "shell_quote wrote a byte that is not printable ASCII", q.data, q.len);
	CHECK_BYTES(shell_words(q.data, q.len, &back, &words, &why) == 0,
		    "shell_words refuses what shell_quote wrote", q.data, q.len);
	CHECK_BYTES(words == 1 && back.len == n + 1 && !memcmp(back.data, w, n),
		    "a quoted word does not read back as itself", q.data, q.len);
	buf_free(&q);
	buf_free(&back);
	buf_free(&why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = {0}, why = {0}, joined = {0}, again = {0};
	size_t n = 0, n2 = 0, i, len;
	const char *w;

	if (shell_words((const char *)data, size, &out, &n, &why) < 0) {
		CHECK(why.len > 0, "refused without a reason");
		goto done;
	}
	CHECK(why.len == 0, "a reason without a refusal");
	for (i = 0, w = out.data; i < n; i++, w += len + 1) {
		len = strlen(w);
		CHECK_BYTES(w + len < out.data + out.len, "the words overrun", out.data, out.len);
		round_trip(w, len);
		shell_quote(&joined, w, len);
		buf_addc(&joined, ' ');
	}
	CHECK_BYTES(!n || (size_t)(w - out.data) == out.len, "bytes after the last word",
		    out.data, out.len);
	CHECK_BYTES(shell_words(joined.data ? joined.data : "", joined.len, &again, &n2, &why) == 0 &&
		    n2 == n && again.len == out.len && (!n || !memcmp(again.data, out.data, out.len)),
		    "the words, quoted and joined, do not read back as the same words",
		    joined.data, joined.len);
done:
	buf_free(&out);
	buf_free(&why);
	buf_free(&joined);
	buf_free(&again);
	return 0;
}
