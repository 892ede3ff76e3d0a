/*
 * URL → local file name (name_from_url), the name a download is saved as.
 *
 * The name must be safe to create in the save directory and to show on a
 * terminal: non-empty; no '/', '\' or NUL; no C0, DEL, C1 or bidi control;
 * not "." or ".."; not starting with '.' or '-'; at most 255 bytes; valid
 * UTF-8 (its comment does not say so, but it replaces invalid bytes and
 * U+FFFD with '_' and cuts a long name at a character boundary, so it means
 * to; regress/fuzz_name/ holds the cut that once split a character);
 * and name_refusal(), which judges names the user types, accepts it.
 */
#define SCRAPER_NO_MAIN
#include "../../scraper.c"
#include "check.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = malloc(size + 1), *name;
	const char *refused;
	size_t n;

	if (!url)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';
	name = name_from_url(url);
	CHECK(name != NULL, "no name");
	n = strlen(name);
#define NAME_CHECK(cond, what) do { \
		if (!(cond)) { \
			FZ_FAIL(what); \
			fprintf(stderr, "  condition: %s\n", #cond); \
			fz_dump("url", url, strlen(url)); \
			fz_dump("name", name, n); \
			abort(); \
		} \
	} while (0)
	NAME_CHECK(n > 0, "empty name");
	NAME_CHECK(n <= NAME_MAX_BYTES, "name longer than 255 bytes");
	NAME_CHECK(!strchr(name, '/'), "name contains '/'");
	NAME_CHECK(!strchr(name, '\\'), "name contains '\\'");
	NAME_CHECK(strcmp(name, ".") && strcmp(name, ".."), "name is . or ..");
	NAME_CHECK(name[0] != '.' && name[0] != '-', "name starts with '.' or '-'");
	NAME_CHECK(fz_utf8_valid(name, n), "name is not valid UTF-8");
	fz_check_clean("file name", name, n, "");
	{
		/* a plain last path segment is kept as it is */
		size_t sl = fz_scheme_len(url, strlen(url));
		const char *path = url + (sl ? sl + 1 : 0), *seg, *c;
		size_t plen, slen;

		if (path[0] == '/' && path[1] == '/')
			path += 2 + strcspn(path + 2, "/?#");
		plen = strcspn(path, "?#");
		for (seg = path + plen; seg > path && seg[-1] != '/'; seg--)
			;
		slen = (size_t)(path + plen - seg);
		for (c = seg; c < path + plen && *c > 0x20 && *c < 0x7f && *c != '\\'; c++)
			;
		if (c == path + plen && slen > 0 && slen <= NAME_MAX_BYTES &&
		    seg[0] != '.' && seg[0] != '-')
			NAME_CHECK(n == slen && !memcmp(name, seg, n),
				   "a plain last segment was not kept as the name");
	}
	refused = name_refusal(name);
	if (refused) {
		FZ_FAIL("name_refusal() refuses a name name_from_url() derived");
		fprintf(stderr, "  refusal: %s\n", refused);
		fz_dump("url", url, strlen(url));
		fz_dump("name", name, n);
		abort();
	}
	free(name);
	free(url);
	return 0;
}
