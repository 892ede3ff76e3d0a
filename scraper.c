/*
 * scraper — a keyboard-driven terminal web scraper.
 *
 * It fetches one page over HTTP(S), tells the story of the fetch step by step
 * (host → IP, TCP connection, request, response headers, body), and lists the
 * URL-bearing elements of the page: links, images, media, embeds, resources.
 * Interactively it shows them in panes; with --dump it prints TSV or JSON.
 * Everything from the network is hostile: it passes through buf_add_safe()
 * before it reaches a terminal or a file format.
 *
 * The sections, in order; each calls only those above it (tests/layout.t
 * checks), and `grep -n '^/\* ====' scraper.c` lists them:
 *   includes, types,  the limits; the data the sections share; the
 *   configuration     extraction table and the key tables
 *   base      memory, buffers; the process: signals, temp files, threads,
 *             a helper program (tmux, for the clipboard), the user's shell
 *             command (| and !)
 *   text      UTF-8, the gate for network text, the line editor's text
 *   url       RFC 3986 references, srcset, typed URLs, local inputs, file names
 *   parse     what a body is (a page, text, bytes); libxml2's HTML parser
 *             through SAX: bytes + URL in, a page of C strings out (no tree:
 *             one is ~10x the page in memory)
 *   query     CSS and XPath expressions with fields, evaluated by libxml2's
 *             XPath on a tree of the page built when a query first asks
 *   net       libcurl's multi interface: transfers, and the story of each;
 *             a local file or standard input read as a finished transfer
 *   request   curl's request options: from the command line's words, or a
 *             curl command line's on the screen (shell quoting), and back
 *   output    TSV, JSON, CSV, the story as text, errors; files saved (temp +
 *             rename)
 *   queue     many transfers at once within limits (--parallel, --per-host),
 *             429s waited for, broken downloads resumed: --download, --check,
 *             D and c on the screen
 *   stream    --dump's pipeline: the body parsed as it arrives, written as parsed
 *   view      what the panes hold: rows, the filter, the selection, the marks
 *             and the rows an action on many applies to
 *   ui        ncurses: layout, drawing, the URL form, the help, the status line
 *   app       the transitions: fetches, parses, pages, history, saves, downloads,
 *             exports, the command's runs
 *   input     the line editor, each mode's keys, the key dispatch
 *   actions   one function per key-table entry
 *   main      the options, the two runs, main()
 *
 * Two ways in. The screen: main() → run_tui(), one loop that drives libcurl
 * (net_drive), hands an arrived page to a parse thread (fetch_arrived, then
 * parse_done), reads keys (keys_drain → on_key → key_dispatch → act_*) and
 * draws (ui_draw). Batch: main() → run_dump(), each input in turn through
 * dump_one(): dump_start, loop_until_done, dump_parse (feed_finish, or
 * page_parse_input), dump_print; with --check dump_check before the print,
 * with --download dump_download after it (queue_run, each a queue_step).
 *
 * What this Debian's libraries get wrong for real pages, and the function
 * that works around each: the list to check again on a newer release.
 * libxml2 2.9.14:
 *   - checks each attribute of a tag against all before it (quadratic):
 *     page_guard(), tags_trim(), feed_bomb();
 *   - looks through every open element for a stray end tag or a second
 *     <body>: xml_error_seen(), costs_a_stack_scan();
 *   - formats a message for every markup error, even under NOERROR:
 *     error_flood(); and prints them to stderr: xml_silent(), xml_quiet();
 *   - its own charset conversion ends the parse at the first byte the
 *     charset refuses, and a NUL loses a tag: body_to_utf8();
 *   - an input buffer it does not own crashed its HTML parser:
 *     ctxt_from_memory(); unsaid UTF-8 is copied twice: page_parse_as();
 *   - misreads a token cut by a short read: feed_wait(); its push parser
 *     builds nothing until the last chunk: the stream section's pull parse;
 *   - xmlBuildURI() percent-encodes ':' and gives up on spaces:
 *     url_resolve_into().
 * libcurl 7.88:
 *   - curl_url() resolves "#top" against the directory and refuses mailto:
 *     and data: references: url_resolve_into();
 *   - reads Content-Length "12abc" as 12 and lets a second one win:
 *     net_length_seen(); MAXFILESIZE trusts Content-Length: net_write();
 *   - averages --limit-rate over seconds, and lets a body that arrives
 *     within them pass at full speed: net_too_fast();
 *   - follows redirects without limit: net_easy(); reports a bad
 *     Content-Encoding, HTTP/0.9 and an oversized header line in its own
 *     words: net_body_error(), net_error().
 * ncurses 6.4:
 *   - cbreak() leaves IXON on (Ctrl-S freezes output): flow_control_off();
 *   - an event outside the mouse mask blocks in read(): ui_start().
 */

/* ==== includes, limits and enums ==== */

#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* wcwidth; pkg-config's ncursesw flags set it too */
#endif

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <ctype.h>

#include <dirent.h>

#include <errno.h>

#include <fcntl.h>

#include <iconv.h>

#include <getopt.h>

#include <limits.h>

#include <locale.h>

#include <poll.h>

#include <pthread.h>

#include <signal.h>

#include <stdarg.h>

#include <stdatomic.h>

#include <stdint.h>

#include <stdio.h>

#include <stdlib.h>

#include <string.h>

#include <sys/file.h>

#include <sys/mman.h>

#include <sys/stat.h>

#include <sys/types.h>

#include <sys/wait.h>

#include <termios.h>

#include <time.h>

#include <unistd.h>

#include <wchar.h>

#define NCURSES_WIDECHAR 1

#include <curses.h>

#include <form.h>

#include <curl/curl.h>

#include <libxml/HTMLparser.h>

#include <libxml/HTMLtree.h>

#include <libxml/parserInternals.h>

#include <libxml/xmlerror.h>

#include <libxml/xpath.h>

#define VERSION "0.1.0"

#define DEFAULT_MAX_SIZE (64L * 1024 * 1024)

#define DEFAULT_TIMEOUT 30L

#define DEFAULT_DIR "Files"

#define MAX_REDIRECTS 10L

#define DOWNLOAD_MAX_SIZE (1024L * 1024 * 1024) /* the user picked it: larger */

#define TEXT_CAP 1024       /* bytes kept of a link's text or the title */

#define NAME_MAX_BYTES 255  /* longest file name we create */

#define HIST_MAX 32         /* pages kept for "back" */

#ifndef HIST_BYTES          /* ... in at most this much memory; older ones are fetched again */
#define HIST_BYTES (512L * 1024 * 1024)
#endif

#define MIN_LINES 10        /* below this the screen says it is too small */

#define MIN_COLS 40

#define WIDE_COLS 120       /* from here the detail stands beside the list */

#define MAX_COLS 1000

#define DETAIL_CAP 8192     /* bytes of one value shown in the detail area */

#define URL_FIELD_MAX 65536 /* a URL, or a curl command pasted (browsers copy cookies) */

#define TAG_ATTRS 256       /* a tag's attributes past this are cut (real pages: 36) */

#define END_TAG_WORK (64L * 1024 * 1024) /* open elements scanned for stray end tags */

#define ERRORS_FREE 100000   /* errors in the markup a page may have, plus one per ... */

#define ERRORS_PER 16        /* ... this many bytes read (real pages: under 1 per 125) */

#define PARALLEL_MAX 64      /* --parallel, --per-host: at most */

#define WRITE_BATCH (128 * 1024) /* a download's bytes gathered for one write(2) */

#define QUEUE_TRIES 3        /* a 429, a 503 or a broken download: tries in all */

#define TMP_SLOTS (2 + 2 * PARALLEL_MAX) /* a save, a download, the queue's files */

#define CMD_OUTPUT_MAX (1024 * 1024) /* bytes of a command's output (|) kept */

#define CMD_KILL_AFTER 1.0   /* s after Esc's SIGTERM before SIGKILL */
#define QUERY_HIST 64        /* expressions the query line recalls with Up and Down */

#ifndef QUERY_MS             /* an evaluation on the screen is cut after this long: a key */
#define QUERY_MS 100UL       /* is answered at once on any page, for any expression (0: */
#endif                       /* no bound, evaluated in the process: make bench-keys) */

enum exit_status {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_TRANSFER = 2,
	EXIT_HTTP = 3,
	EXIT_LOCAL = 4,
	EXIT_BROKEN = 5,    /* --check: a link is broken */
	EXIT_SIGHUP = 129,
	EXIT_SIGINT = 130,
	EXIT_SIGTERM = 143,
};

enum kind { K_LINK, K_IMAGE, K_MEDIA, K_EMBED, K_RESOURCE, K_COUNT };

/* What a body is, by its Content-Type: a page to parse, text to show as it
 * is, or bytes only saved (images, media, PDFs, archives). */
enum body_kind { BODY_HTML, BODY_TEXT, BODY_BINARY };

#define SNIFF_BYTES 1024    /* a body without Content-Type with a NUL in these is binary */

/* The columns of a TSV line (--fields), listed as a 0-terminated string. */
enum field { F_END, F_KIND, F_TAG, F_ATTR, F_URL, F_RAW, F_TEXT, F_DESCRIPTOR, F_REL, F_PAGE,
	     F_STATUS, F_COUNT };

#define FIELDS_MAX 32

/* How a string from the network is made safe for where it goes. */
enum san_mode {
	SAN_TEXT, /* terminal or stderr: controls shown as ^X or <U+XXXX> */
	SAN_TSV,  /* controls, U+2028 and U+2029 become spaces, bidi controls U+FFFD */
	SAN_JSON, /* RFC 8259 escapes, plus DEL, C1, bidi, U+2028 and U+2029 as \uXXXX */
};

/* ==== types: the data every section shares ==== */

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

/* A set of strings, each with a number (--unique, the u key): open
 * addressing on FNV-1a hashes; the strings are copied into its arena. */
struct str_slot {
	const char *s;      /* NULL: free */
	size_t n, value;
	uint64_t hash;
};

struct str_set {
	struct arena keys;
	struct str_slot *slot;
	size_t cap, n;
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
	/* a srcset candidate's descriptor ("2x", "480w"), else the element's
	 * rel ("stylesheet"); NULL when none. One field for both, as no rule
	 * has both: a record of a 100,000-link page stays five pointers. */
	const char *extra;
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
	int base_from_page;   /* base is the document's <base href> */
	size_t replaced;      /* bytes the charset refused, shown as U+FFFD */
	size_t trimmed;       /* tags cut by the attribute-bomb guard */
	size_t stray_end_tags; /* the parse was stopped after so many: see END_TAG_WORK */
	size_t errors;        /* libxml2 reported so many (it recovers from them) */
	size_t error_flood;   /* the parse was stopped after so many: see ERRORS_FREE */
	enum body_kind body;  /* not BODY_HTML: not parsed, no records */
	struct buf text;      /* the body converted to UTF-8, when it was */
	struct str_set ids;   /* id and a's name values, when parse_ids asks */
	const char **status;  /* --check: each record's, or NULL */
	/* the query section's tree, built on first use from text, or from src
	 * (the body, kept by the caller) when it needed no converting */
	xmlDocPtr tree;
	const char *src;
	size_t src_len;
	int tree_cut;         /* a guard stopped the tree's parse early */
};

/* One response of a transfer: a redirect, or the last. */
struct hop {
	char *url;          /* the URL that gave it */
	long status;
	size_t head, len;   /* its header lines, in the transfer's headers */
	/* milliseconds from the transfer's start, by our clock: its request
	 * sent, its status line come, its body ended (0: not yet) */
	double ms_sent, ms_first, ms_done;
	char version[16];   /* of its status line: "HTTP/1.1" */
};

/* One certificate of the chain a TLS server sent, as libcurl's
 * CURLOPT_CERTINFO tells it (OpenSSL's words, from the network). */
struct cert_seen {
	char *subject, *issuer, *start, *expire, *names; /* names: the SANs, or NULL */
};

struct transfer {
	CURL *easy;         /* NULL once ended: transfer_end() */
	CURLM *multi;       /* what drives it */
	unsigned long id;   /* unique in the run: tells a new story from a freed one */
	char *url;          /* as requested */
	char *base;         /* a local input's: what its links resolve against */
	int fd;             /* a download writes here; -1: the body stays in memory */
	int (*sink)(void *, const char *, size_t); /* or the body goes here */
	void *sink_ctx;
	size_t received;    /* body bytes so far, in memory or written */
	struct buf body;
	struct buf story;   /* the story: lines "* step", "> sent", "< received" */
	size_t max_size;
	int too_large;
	int write_errno;    /* a download's local write failed */
	char encoding[32];  /* Content-Encoding of the last response */
	char *disposition;  /* its Content-Disposition, or NULL */
	int chunked;        /* it came with Transfer-Encoding */
	curl_off_t length_seen; /* its Content-Length, -1: none yet */
	int bad_length;     /* malformed, or two that differ */
	int done;
	CURLcode result;
	long status;
	char errbuf[CURL_ERROR_SIZE];
	/* from the info getters once done */
	char *final_url, *content_type, *ip;
	long port, redirects;
	curl_off_t content_length; /* -1: not sent */
	curl_off_t dl_total;       /* expected body size while running, 0: unknown */
	struct timespec started;
	double t_dns, t_connect, t_tls, t_first, t_total; /* milliseconds */
	double t_pre, t_redirect; /* from the start, summed over hops, as libcurl's */
	double ms_tried, ms_connected; /* our clock: a connection's start, its length */
	/* the story's times: our clock, read in net_debug as libcurl tells
	 * each step, for the last request (a hop) only. libcurl's own times
	 * mix hops after a redirect and leave a failed step at 0, so they
	 * could not add up to the total. 0: not reached */
	double ms_hop, h_tried, h_conn, h_tls, ms_first, ms_end;
	int h_literal;      /* the hop's host is an IP address: no lookup */
	int insecure;       /* -k: the certificate was not checked */
	int cacert;         /* --cacert or --capath: trust is what they name */
	int glossed;        /* the words already explained in this story: GLOSS_* */
	long nconns;        /* the TCP connections this transfer made */
	int via_proxy;      /* libcurl said it uses a proxy */
	int connecting;     /* "Trying" seen, not yet "Connected to": one lookup */
	int connected;      /* a TCP connection was made */
	struct hop *hops;   /* each response, in turn */
	size_t nhops;
	struct buf headers; /* the hops' header lines, as received */
	int in_head;        /* a response's header lines are passing */
	int interim;        /* ... of a 1xx response: not a hop */
	char tls_version[32], tls_cipher[96]; /* as libcurl tells them, or "" */
	long max_redirs;    /* --max-redirs, for the error that names it */
	curl_off_t rate;    /* --limit-rate: body bytes per second at most, 0: any */
	int paused;         /* ... and the body waits for the time to catch up */
	const struct options *opt; /* made with these (NULL: a local input) */
	/* the connection: its number in libcurl's story ("#0"), whether it
	 * was re-used, and what became of it */
	long conn_id;       /* -1: none yet */
	int reused;         /* no lookup, no connect: an open one served */
	int server_close;   /* the last response said Connection: close */
	int http10;         /* ... or was HTTP/1.0, which closes by default */
	int conn_kept;      /* 1: left open for the next request, -1: closed */
	long new_conns;     /* CURLINFO_NUM_CONNECTS: 0 when re-used */
	char *local_ip;     /* this machine's end of the socket, from the getters */
	long local_port;
	/* TLS, beyond version and cipher */
	struct cert_seen *certs; /* the chain the server sent, its own first */
	size_t ncerts;
	long verify_result; /* CURLINFO_SSL_VERIFYRESULT: 0 trusted, else OpenSSL's code */
	char alpn[32];      /* the protocol the server chose by ALPN, "" none */
	long http_version;  /* CURLINFO_HTTP_VERSION: CURL_HTTP_VERSION_* */
	/* bytes as they passed the connection, every hop's: libcurl's size
	 * getters count the last hop only, chunk sizes left out */
	size_t head_out, body_out, head_in, body_in;
	curl_off_t body_wire; /* CURLINFO_SIZE_DOWNLOAD_T: the last body, not decoded */
	double ms_sent;     /* our clock: when the last request went out */
	int awaiting;       /* ... and no byte of its answer has come yet */
	size_t wait_line;   /* ... said at this offset of the story */
	int conn_died;      /* the re-used connection was found closed: sent again */
	int ranges;         /* the response said Accept-Ranges: bytes */
	int quiet;          /* no story: nobody reads it (net_quiet) */
};

/* The request options, as curl names them: each fetch of the run (pages,
 * follows, reloads, downloads) is made with all of them. */
struct request {
	struct curl_slist *headers;  /* -H, as given: libcurl drops "Name:" */
	struct curl_slist *resolve;  /* --resolve HOST:PORT:ADDR */
	const char *referer;         /* -e, without ";auto" */
	int autoreferer;             /* -e ...;auto */
	const char *userpwd;         /* -u: a copy (argv's password is blanked) */
	const char *method;          /* -X */
	struct buf data;             /* -d, --data-binary: the body of a POST */
	int has_data;                /* ... even an empty one */
	const char *cookie;          /* -b "n=v; n2=v2": sent as it is */
	const char *cookie_file;     /* -b FILE: read into the run's cookies */
	const char *cookie_jar;      /* -c FILE: the run's cookies, written at exit */
	int insecure;                /* -k */
	const char *cacert, *capath; /* or SSL_CERT_FILE, SSL_CERT_DIR, CURL_CA_BUNDLE */
	const char *proxy, *noproxy; /* -x, --noproxy */
	long ip_resolve;             /* -4, -6: CURL_IPRESOLVE_* */
	long http_version;           /* --http1.1, --http2: 0, libcurl's choice */
	int no_compressed;           /* --no-compressed */
	long max_redirs;             /* --max-redirs; 0: a redirect is the answer */
	curl_off_t limit_rate;       /* --limit-rate, bytes/s; 0: no limit */
};

struct options {
	int dump;
	int json;
	int verbose;
	int force;
	int unique;          /* --unique: the first record of each URL */
	int save;            /* --save given */
	const char *save_name; /* NULL: derive from the URL */
	const char *dir;
	long max_size;
	long timeout;
	const char *user_agent;
	const char *base;    /* --base: a local input's links resolve against it */
	int jsonl;           /* --format jsonl: each JSON object on one line */
	char **inputs;       /* URLs, paths, file:// URLs or "-", in turn */
	int ninputs;
	unsigned char fields[FIELDS_MAX + 1]; /* the TSV's columns, F_END-terminated */
	struct request req;  /* curl's request options, for every fetch of the run */
	unsigned download;   /* --download: a bit per kind to fetch after the extraction */
	int check;           /* --check: each record's URL checked */
	int parallel;        /* --parallel: transfers of the queue at once */
	int per_host;        /* --per-host: ... to one host */
	int fsync;           /* --fsync: each file on the disk before it has its name */
	const char **queries; /* -q, --query: the expressions, in order */
	struct query **query; /* ... compiled */
	int nqueries;
};

enum pane_id { P_TRANSFER = K_COUNT, P_SOURCE, P_QUERY, P_DOWNLOADS, P_COUNT };

enum mode { M_LIST, M_FORM, M_FILTER, M_PROMPT, M_CONFIRM, M_HELP,
	    M_GOTO, M_OUTPUT, M_QUERY };

enum confirm { C_NONE, C_SAVE_OVERWRITE, C_DOWNLOAD_OVERWRITE, C_FORM_OVERWRITE,
	       C_EXPORT_OVERWRITE };

struct view {
	size_t sel, top; /* selected row and first row shown, in the pane's rows */
};

/* One loaded page: what the panes show, and where the user was in them. */
struct doc {
	struct transfer *t; /* finished: its story and its body */
	struct page *p;
	size_t *kind_rows[K_COUNT]; /* element indices of each kind */
	size_t *uniq_rows[K_COUNT]; /* with u: the first element of each URL, made */
	size_t *uniq_times[K_COUNT]; /* when first shown; how many of each there are */
	size_t uniq_n[K_COUNT];
	char *saved;                /* where the body was saved, or NULL */
	char *url;                  /* set when t and p were let go to bound memory */
	char *filter;               /* the filter in force when the user left it, or NULL */
	int pane;
	struct view view[P_COUNT];
	unsigned char *mark;        /* one byte an element: marked; NULL until the first mark */
	size_t nmark[K_COUNT];      /* how many of each kind are marked */
	size_t mark_n;              /* the elements mark was made for */
	uint64_t mark_rows;         /* ... and their hash, kept when the page is let go */
	struct queue *check;        /* c: the check of its rows' URLs, or NULL */
	size_t *check_item;         /* ... each element's item in it, -1: not checked */
};

/* A one-line editor for the filter and the save prompt. */
struct line_edit {
	wchar_t text[1024];
	size_t len, cur;
};

struct lines {
	const char *src;  /* the text indexed, and its length: rebuilt if either changes */
	size_t len;
	size_t *start, n, cap;
};

/* The screen parses a page in a second thread, so that keys, signals and
 * Esc are heard during a long parse: the thread reads t->body and makes
 * page; the loop reads only t->story meanwhile. */
struct parse_job {
	pthread_t thread;
	struct transfer *t;
	char *charset;        /* of the HTTP header, or NULL */
	struct page *page;    /* the result, once done */
	atomic_int done, cancel;
	CURLM *wake;          /* woken out of curl_multi_poll() when done */
};

struct app;

/* A bracketed paste's start and end, as define_key() reports them: far
 * above the codes ncurses gives the terminal's own extended keys. */
enum { KEY_PASTE_BEGIN = 0x7f00, KEY_PASTE_END };

/* Control keys by name (ncurses reports them as characters). */
enum { CTRL_A = 1, CTRL_E = 5, CTRL_H = 8, CTRL_K = 11, CTRL_L = 12, CTRL_U = 21,
       CTRL_W = 23, ESC = 27, DEL = 127 };

/* What a key's action changes, which decides how the screen is redrawn,
 * and two exceptions to what every key does. */
enum key_class {
	MOVES = 0,         /* the selection only: the rows left and entered are drawn */
	CHANGES = 1,       /* anything: the whole screen is drawn */
	KEEPS_MESSAGE = 2, /* the status line's message stays (the action decides) */
	ASKS_TWICE = 4,    /* a second press in a row confirms */
};

/* One entry of a key table (see keys[]). */
struct key {
	int code;
	int fkey;
	const char *name;
	void (*fn)(struct app *, int);
	int arg;
	int class;
	const char *help;
};

/* What the screen shows, to tell a cursor move from a change. */
struct drawn {
	int pane, lines, cols, filtering;
	const struct doc *doc;
	size_t nrows, top, sel;
};

/* The URL form (ncurses' form library), and its text across a resize. */
struct url_form {
	FORM *form;               /* NULL while closed, or while too small to show */
	WINDOW *win, *sub;
	char error[160];          /* why the last Enter did not fetch */
	int fresh;                /* the URL field holds the prefilled text, untouched */
	char *keep[3];            /* the fields' text: URL, Save as, Headers */
	char *save_as;            /* "Save as" of the fetch it started */
	char *headers_was;        /* the Headers field as opened: the options in effect */
	int pasting;              /* inside a bracketed paste: its text goes to paste */
	struct buf paste;         /* ... UTF-8, put in the field at once when it ends */
};

/* One word of a filter: a row passes when it holds it (or, after '!', not). */
struct filter_word {
	const char *s;            /* in filter.lc, lower case */
	size_t n;
	int not;
};

/* The filter of the current pane: as typed, and as applied. */
struct filter {
	struct line_edit edit;    /* the text being typed */
	char mb[4096];            /* the filter in force, UTF-8 */
	char lc[4096];            /* the same in lower case */
	char was[4096];           /* what rows was made for, and its length */
	size_t was_len;
	size_t *rows, nrows;      /* rows that pass the filter */
	size_t *at;               /* lines: where each row's first word is, or -1 */
	size_t at_len;            /* ... that word's length */
	struct filter_word *words; /* lc in words, all of which a row must pass */
	size_t nwords, words_cap;
	int on;                   /* rows is in force */
};

/* The save prompt, and the y/n question before a file is replaced. */
struct prompt {
	char text[64];            /* "Save as Files/" */
	struct line_edit name;    /* a page arriving keeps it */
	struct doc *doc;          /* the page the prompt (or its y/n) saves */
	enum confirm confirm;     /* what the y/n is about */
	char *pending_name;       /* ... the file's name */
	char *pending_url;        /* ... and the download's URL (or the prompt's) */
	int download;             /* the prompt names a download of pending_url */
	char *offered;            /* ... and offered this name: kept, the body names it */
	int export;               /* the prompt names an export of the rows of ... */
	int rows_pane;            /* ... this pane of doc (a command's too) */
	int command;              /* the prompt is a command's: '|' or '!', else 0 */
};

/* The columns of an element pane's rows, made once a page and pane. */
struct row_cols {
	unsigned long id;         /* the page's transfer, 0: not made */
	int pane, unique;
	int tag;                  /* "tag attr " when the pane mixes them, else 0 */
	int times;                /* u: "12× " */
	int url;                  /* the widest URL as shown (capped) */
	int text;                 /* some row has text */
	size_t origin;            /* "http://host:port" of the page, shown as "" */
};

/* Everything the screen keeps besides the pages: what is shown, where. */
struct ui {
	enum mode mode;
	int pane;
	int dirty;                /* something changed: draw before waiting */
	int moved, changed;       /* since the last draw: the selection moved; more changed */
	struct drawn drawn;
	int color;
	struct buf msg;           /* the status line's message */
	int msg_error;
	struct lines story_lines, src_lines; /* line starts of the Transfer and Source panes */
	unsigned long story_id;   /* the transfer story_lines indexes */
	struct view no_view;      /* the selection while no page is shown */
	struct row_cols cols;     /* of the element pane shown */
	int tab_x[P_COUNT + 1];   /* where each tab starts, for mouse clicks */
	int cursor_x;             /* in the filter or the prompt */
	struct url_form form;
	struct filter filter;
	struct prompt prompt;
	size_t help_top, help_rows;
	int stdin_idle;           /* readable, yet no key: stdin is gone */
	int unique;               /* u: one row per URL in the element panes */
	int wrap;                 /* w: long lines of Source and Transfer wrapped */
	long hshift;              /* < and >: bytes the lines are shown moved by */
	struct line_edit go_line; /* #: the number being typed */
	int save_derive;          /* -s without a name: save the page as its URL says */
	struct buf queue_text;    /* the Downloads pane: a line per item, under a total */
	struct lines queue_lines;
	struct buf check_detail;  /* the selected row's check status, as drawn */
};

/* The Query pane: the expression in force (kept from page to page), its
 * rows on the page shown, and the query line (:) as it is typed. */
struct query_pane {
	struct line_edit edit;    /* the query line */
	char *expr;               /* the expression in force, NULL: none */
	struct query *q;          /* ... compiled */
	unsigned long gen;        /* q's version: rows made for an older one are stale */
	char *before;             /* in force when : was pressed: Esc brings it back */
	int typed;                /* the line changed since it was last compiled */
	int bad;                  /* the line does not compile (or run): why, where */
	size_t err_at;            /* ... the byte of the line it stops at */
	char err[160];
	char failed[160];         /* why q failed on the page shown ("": it did not) */
	struct query_rows *rows;  /* q's matches on the page shown, or NULL */
	unsigned long rows_id;    /* that page's transfer (0: none), and q's version */
	unsigned long rows_gen;
	char *hist[QUERY_HIST];   /* expressions entered, oldest first */
	size_t nhist, hist_at;    /* Up and Down move hist_at; nhist: the line typed */
	char *draft;              /* the line typed before Up recalled older ones */
	int *colw;                /* the width of each column of rows ... */
	int cols_w;               /* ... in this width (0: not measured) */
};

/* The one download in flight: into a temp file, then renamed to path. */
struct download {
	struct transfer *t;       /* NULL: none */
	char *path;
	int force;                /* replace a file of that name */
	int auto_name;            /* the name is the response's: name_for_body() */
};

/* One host of the queue: how many of its transfers may run, and when. */
struct qhost {
	char *name;               /* "host:port", as the URL says */
	int limit, active;        /* a 429 or 503 lowers the limit */
	double not_before;        /* ... and nothing starts before (the queue's clock) */
};

enum qstate { Q_QUEUED, Q_ACTIVE, Q_DONE, Q_FAILED, Q_SKIPPED };

/* A complete download's fsync, beside the loop: one in the loop held
 * every transfer up (200 files of 100 KB: 12% longer). */
struct qsync {
	struct qsync *next;       /* the next one waiting for a thread */
	int fd, err;
	atomic_int done;
	CURLM *wake;              /* woken out of curl_multi_poll() when done */
};

/* The threads that make the fsyncs, kept while the queue lives: a thread
 * started and ended for each file cost more CPU than its fsync. There is
 * one for each fsync under way, as many as the queue's temp files at most,
 * so none waits for another. */
struct qsyncer {
	pthread_mutex_t lock;
	pthread_cond_t more;      /* a job came, or stop */
	pthread_cond_t over;      /* a job is done */
	struct qsync *head, *tail; /* the jobs no thread took yet */
	size_t waiting, idle;     /* how many jobs wait, how many threads do */
	pthread_t thread[2 * PARALLEL_MAX];
	size_t nthreads;
	int stop;
	/* the queue's transfers running: while there are some, their traffic
	 * wakes the loop soon enough to see an fsync over, and a wake-up of
	 * its own for each (a turn of every transfer) cost more CPU than the
	 * fsync; the loop waits 100 ms at most meanwhile */
	atomic_int transfers;
};

/* One URL of the queue: a download into a temp file, or a link check. */
struct qitem {
	char *url;                /* without its #fragment */
	char *path;               /* a download's file, once saved */
	char *error;              /* why it failed, as safe text */
	char *final_url;          /* a check: where redirects led, or NULL */
	struct transfer *t;       /* while active */
	struct str_set ids;       /* a check of #fragments: the page's ids */
	double not_before;        /* a retry waits until then */
	curl_off_t have;          /* bytes of the temp file kept: a retry asks for the rest */
	curl_off_t total;         /* the size expected, 0: unknown */
	size_t bytes;             /* of the body, over all tries */
	long status, first_status; /* a check: the last response's, the first one's */
	int state, tries, host;
	int slot, fd;             /* a download's temp file, -1: none yet */
	int get;                  /* a check: HEAD was refused, or ids are wanted */
	int want_ids;
	int told;                 /* its end was reported */
	struct qsync *sync;       /* a complete download's fsync, while it runs */
	char *name;               /* ... and the name the response gave it */
	const struct options *o;  /* fetched with these; NULL: the queue's */
};

/* Many transfers at once on the run's multi handle, within limits. */
struct queue {
	CURLM *multi;
	const struct options *o;
	struct qitem *it;
	size_t n, cap, first;     /* items before first are over */
	size_t begun;             /* items from there on never started */
	size_t told;              /* items before it were told (queue_run) */
	size_t syncing;           /* fsyncs under way */
	struct str_set urls;      /* url -> its item */
	struct qhost *host;
	size_t nhosts;
	int active, check;
	int dir_ready, dfd;       /* --dir made ready, and its descriptor: queue_dir() */
	struct timespec t0;       /* the queue's clock */
	struct qsyncer syncer;
};

/* The shell command the URLs go to (| and !), and what it wrote. */
struct command {
	pid_t pid;                /* the run going on (a process group), or 0 */
	int out;                  /* while it runs: its standard output and error */
	char *line;               /* as typed; with {}, run once a URL */
	struct buf urls;          /* the URLs, one a line, made safe */
	size_t next;              /* with {}: where the next run's URL starts in urls */
	struct buf output;        /* each run's command line, output and status */
	size_t cut;               /* bytes of output past CMD_OUTPUT_MAX, not kept */
	int runs, failed;         /* runs ended, and those that failed */
	struct timespec killed;   /* when Esc sent SIGTERM, if killing */
	int killing;
	size_t top;               /* the first line shown, unless following */
	int follow;               /* the last lines are shown as they come */
	struct lines lines;
	int status;               /* the last run's wait status */
	int eof;                  /* its output ended: no more to wait for there */
};

struct app {
	struct options opt;
	CURLM *multi;
	struct transfer *fetch;    /* the page fetch in flight, or NULL */
	struct parse_job *parsing; /* then the parse of what it fetched, or NULL */
	int fetch_reload;          /* it replaces the page instead of adding history */
	struct download download;
	struct doc *doc;           /* the page shown, or NULL */
	struct transfer *failed;   /* the last fetch that failed: its story stays visible */
	struct doc *hist[HIST_MAX];
	size_t nhist;
	struct doc *restore;       /* a page fetched again by back: where the user was */
	int quit;
	int quit_armed;            /* q was pressed once during a download */
	struct ui ui;
	struct queue queue;        /* D's downloads */
	int queues_busy;           /* it, or a page's check, was running at the last turn */
	struct command cmd;
	const struct options *req_opt; /* what each fetch is made with: opt, or what */
	struct asked *asked;       /* the form set since (each set, newest first) */
	struct curl_slist *typed;  /* the servers of the URLs typed: url_origin()s */
	struct link_request *links; /* the options for links: options_for_link() */
	struct query_pane query;   /* the Query pane and its line */
};

/* The options for a fetch the page asks for, made from a set in effect
 * (request_for_page): kept to the end of the run, as a transfer in flight
 * may still use them. */
struct link_request {
	struct link_request *next;
	const struct options *of;  /* made from these */
	int other_server;          /* for a server no URL typed named */
	struct options opt;
	struct buf left;           /* the credentials left out, named */
	int as_get;                /* a -d body or -X was left out */
};

/* Request options set on the screen (a pasted curl command, the form's
 * Headers field), and the words they point into: kept to the end of the
 * run, as a transfer in flight may still use them. */
struct asked {
	struct asked *next;       /* the set before */
	struct options opt;       /* the run's, with these request options */
	struct buf words;         /* the words, each ended by a NUL */
	char **argv;              /* where each begins */
};

/* ==== configuration: the extraction table and the key tables ==== */

/* The extraction table: which attribute of which tag makes a record of
 * which kind. Tags and attributes as libxml2 reports
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

/* Lazy loading: the page's scripts move these into src and srcset, which
 * hold a 1x1 placeholder until then; the names lazysizes, lozad, jQuery
 * lazyload (data-original) and WP Rocket (data-lazy-*) use. Only a tag
 * that rules[] names has them, so they are looked for only then: most
 * tags of a page are compared with rules[] alone. */
static const struct rule lazy_rules[] = {
	{"img", "data-src", K_IMAGE, 0},          {"img", "data-srcset", K_IMAGE, 1},
	{"img", "data-original", K_IMAGE, 0},     {"img", "data-lazy-src", K_IMAGE, 0},
	{"img", "data-lazy-srcset", K_IMAGE, 1},  {"source", "data-srcset", K_IMAGE, 1},
	{"source", "data-lazy-srcset", K_IMAGE, 1}, {"source", "data-src", K_MEDIA, 0},
	{"video", "data-src", K_MEDIA, 0},        {"video", "data-poster", K_MEDIA, 0},
	{"iframe", "data-src", K_EMBED, 0},       {"iframe", "data-lazy-src", K_EMBED, 0},
};

#define NLAZY_RULES (sizeof lazy_rules / sizeof lazy_rules[0])

static const char *const kind_names[K_COUNT] = {
	"link", "image", "media", "embed", "resource",
};

static const char *const field_names[F_COUNT] = {
	NULL, "kind", "tag", "attr", "url", "raw", "text", "descriptor", "rel", "page",
	"status",
};

/* The TSV's columns unless --fields says otherwise. */
static const unsigned char default_fields[] = {F_KIND, F_TAG, F_ATTR, F_URL, F_TEXT, F_END};

/* ... and with --check. */
static const unsigned char check_fields[] = {F_KIND, F_TAG, F_ATTR, F_URL, F_TEXT, F_STATUS,
					     F_END};

/* The actions of the key table, defined in the actions section. */
static void act_back(struct app *, int);
static void act_download(struct app *, int);
static void act_queue(struct app *, int);
static void act_check(struct app *, int);
static void act_cancel_all(struct app *, int);
static void act_edge(struct app *, int);
static void act_escape(struct app *, int);
static void act_filter(struct app *, int);
static void act_follow(struct app *, int);
static void act_help(struct app *, int);
static void act_move(struct app *, int);
static void act_open(struct app *, int);
static void act_pane(struct app *, int);
static void act_pane_jump(struct app *, int);
static void act_query(struct app *, int);
static void act_quit(struct app *, int);
static void act_unique(struct app *, int);
static void act_goto(struct app *, int);
static void act_hscroll(struct app *, int);
static void act_wrap(struct app *, int);
static void act_redraw(struct app *, int);
static void act_reload(struct app *, int);
static void act_save(struct app *, int);
static void act_scroll(struct app *, int);
static void act_yank(struct app *, int);
static void act_mark(struct app *, int);
static void act_mark_shown(struct app *, int);
static void act_marks_clear(struct app *, int);
static void act_export(struct app *, int);
static void act_command(struct app *, int);
static void act_curl(struct app *, int);

/*
 * The key table: the loop dispatches from it and the help screen is made
 * from it, so the two cannot disagree. Columns: the key (a character, or
 * a KEY_ code of ncurses when fkey), its name in the help (NULL: not
 * shown), the action and its argument, what the action changes (MOVES:
 * the selection only, drawn as two rows), and the help text (NULL: an
 * alias of the entry before, listed with it).
 */
static const struct key keys[] = {
	{'o', 0, "o", act_open, 0, CHANGES, "open the URL form (prefilled with the current URL)"},
	/* a paste is a URL or a curl command, not a storm of keys: into the form */
	{KEY_PASTE_BEGIN, 1, NULL, act_open, 1, CHANGES, NULL},
	{'\t', 0, "Tab", act_pane, 1, CHANGES, "next pane"},
	{KEY_BTAB, 1, "Shift-Tab", act_pane, -1, CHANGES, "previous pane"},
	{'1', 0, "1-9", act_pane_jump, 0, CHANGES,
	 "go to pane 1 (Links) ... 7 (Source), 8 (Query), 9 (Downloads)"},
	{'2', 0, NULL, act_pane_jump, 1, CHANGES, NULL},
	{'3', 0, NULL, act_pane_jump, 2, CHANGES, NULL},
	{'4', 0, NULL, act_pane_jump, 3, CHANGES, NULL},
	{'5', 0, NULL, act_pane_jump, 4, CHANGES, NULL},
	{'6', 0, NULL, act_pane_jump, 5, CHANGES, NULL},
	{'7', 0, NULL, act_pane_jump, 6, CHANGES, NULL},
	{'8', 0, NULL, act_pane_jump, P_QUERY, CHANGES, NULL},
	{'9', 0, NULL, act_pane_jump, P_DOWNLOADS, CHANGES, NULL},
	{'j', 0, "j", act_move, 1, MOVES, "move down"},
	{KEY_DOWN, 1, "Down", act_move, 1, MOVES, NULL},
	{'k', 0, "k", act_move, -1, MOVES, "move up"},
	{KEY_UP, 1, "Up", act_move, -1, MOVES, NULL},
	{KEY_NPAGE, 1, "PgDn", act_scroll, 1, MOVES, "page down"},
	{' ', 0, "Space", act_scroll, 1, MOVES, NULL},
	{KEY_PPAGE, 1, "PgUp", act_scroll, -1, MOVES, "page up"},
	{'g', 0, "g", act_edge, 0, MOVES, "first row"},
	{KEY_HOME, 1, "Home", act_edge, 0, MOVES, NULL},
	{'G', 0, "G", act_edge, 1, MOVES, "last row"},
	{KEY_END, 1, "End", act_edge, 1, MOVES, NULL},
	{'/', 0, "/", act_filter, 0, CHANGES,
	 "filter the current pane as you type: rows with every word (in the URL or the text) "
	 "and none of the !words; Esc clears"},
	{'<', 0, "<", act_hscroll, -1, CHANGES,
	 "Source, Transfer: long lines half a screen left (Left and h still go back a page)"},
	{'>', 0, ">", act_hscroll, 1, CHANGES,
	 "Source, Transfer: long lines half a screen right (Right and l still follow the link)"},
	{'w', 0, "w", act_wrap, 0, CHANGES, "Source, Transfer: wrap long lines, or cut them again"},
	{'#', 0, "#", act_goto, 0, CHANGES, "go to line N (Source, Transfer) or row N: type N, Enter"},
	{'u', 0, "u", act_unique, 0, CHANGES,
	 "unique URLs in the element panes: the first row of each, with how many there are; "
	 "u again: every row"},
	{'m', 0, "m", act_mark, 0, CHANGES,
	 "mark the selected row (or unmark it) and move down; with u, every row of its URL"},
	{'M', 0, "M", act_mark_shown, 0, CHANGES, "mark every row the filter shows"},
	{'U', 0, "U", act_marks_clear, 0, CHANGES, "clear the pane's marks"},
	{'e', 0, "e", act_export, 0, CHANGES,
	 "export the pane's rows (the marked ones, else those shown) to a file: .tsv, .csv, "
	 ".json, .jsonl or .txt (URLs), as its extension says"},
	{'|', 0, "|", act_command, '|', CHANGES,
	 "pipe the rows' URLs (marked, else shown), one a line, to a shell command; with {} "
	 "in it, run it once a URL, quoted in its place; its output is shown (Esc ends it)"},
	{'!', 0, "!", act_command, '!', CHANGES,
	 "the same, the terminal handed to the command (less, vim -) until it ends"},
	{'\r', 0, "Enter", act_follow, 0, CHANGES,
	 "fetch and scrape the selected link (or iframe, frame; in the Query pane, the row's URL)"},
	{'\n', 0, NULL, act_follow, 0, CHANGES, NULL},
	{KEY_ENTER, 1, NULL, act_follow, 0, CHANGES, NULL},
	{KEY_RIGHT, 1, "Right", act_follow, 0, CHANGES, NULL},
	{'l', 0, "l", act_follow, 0, CHANGES, NULL},
	{KEY_BACKSPACE, 1, "Backspace", act_back, 0, CHANGES, "back to the previous page"},
	{DEL, 0, NULL, act_back, 0, CHANGES, NULL},
	{CTRL_H, 0, NULL, act_back, 0, CHANGES, NULL},
	{'h', 0, "h", act_back, 0, CHANGES, NULL},
	{KEY_LEFT, 1, "Left", act_back, 0, CHANGES, NULL},
	{'d', 0, "d", act_download, 0, CHANGES,
	 "download the selected element's URL (or the Query row's) into the save directory "
	 "(asks for the name)"},
	{'D', 0, "D", act_queue, 0, CHANGES,
	 "download the marked rows' URLs (else the selected one), many at once (9)"},
	{'c', 0, "c", act_check, 0, CHANGES,
	 "check the marked rows' links (else those shown); /status:404, /!ok"},
	{'X', 0, "X", act_cancel_all, 0, CHANGES, "cancel every download of the queue"},
	{'s', 0, "s", act_save, 0, CHANGES, "save the current page's body (asks for the name)"},
	{'y', 0, "y", act_yank, 0, CHANGES,
	 "copy the selected URL (or line, or the Query row's value) to the clipboard: OSC 52, "
	 "and tmux's buffer in tmux"},
	{'C', 0, "C", act_curl, 0, CHANGES,
	 "copy the current fetch as a curl command (its URL and request options), as y does"},
	{'Y', 0, "Y", act_yank, 1, CHANGES, "copy the XPath of the selected Query row's node"},
	{':', 0, ":", act_query, 0, CHANGES,
	 "the query line: a CSS selector or XPath, with fields in braces; the Query pane (8) "
	 "shows its matches as you type"},
	{ESC, 0, "Esc", act_escape, 0, CHANGES | KEEPS_MESSAGE,
	 "cancel the page fetch in flight, else the download; clear the filter"},
	{'r', 0, "r", act_reload, 0, CHANGES, "reload"},
	{CTRL_L, 0, "Ctrl-L", act_redraw, 0, CHANGES, "redraw the whole screen"},
	{'?', 0, "?", act_help, 0, CHANGES, "this help"},
	{'q', 0, "q", act_quit, 0, CHANGES | ASKS_TWICE, "quit, restoring the terminal"},
};
static const size_t nkeys = sizeof keys / sizeof keys[0];

/* The URL form's keys, most of them requests of ncurses' form library.
 * Printable characters are typed in; other control characters refused. */
static void form_delete_word(struct app *, int);
static void form_enter(struct app *, int);
static void form_escape(struct app *, int);
static void form_field(struct app *, int);
static void form_request(struct app *, int);

static const struct key form_keys[] = {
	{'\r', 0, "Enter", form_enter, 0, CHANGES, "fetch"},
	{'\n', 0, NULL, form_enter, 0, CHANGES, NULL},
	{KEY_ENTER, 1, NULL, form_enter, 0, CHANGES, NULL},
	{'\t', 0, "Tab", form_field, REQ_NEXT_FIELD, CHANGES, "next field"},
	{KEY_DOWN, 1, "Down", form_field, REQ_NEXT_FIELD, CHANGES, NULL},
	{KEY_BTAB, 1, "Shift-Tab", form_field, REQ_PREV_FIELD, CHANGES, "previous field"},
	{KEY_UP, 1, "Up", form_field, REQ_PREV_FIELD, CHANGES, NULL},
	{KEY_LEFT, 1, "Left", form_request, REQ_PREV_CHAR, CHANGES, "previous character"},
	{KEY_RIGHT, 1, "Right", form_request, REQ_NEXT_CHAR, CHANGES, "next character"},
	{CTRL_A, 0, "Ctrl-A", form_request, REQ_BEG_LINE, CHANGES, "start of the field"},
	{KEY_HOME, 1, "Home", form_request, REQ_BEG_LINE, CHANGES, NULL},
	{CTRL_E, 0, "Ctrl-E", form_request, REQ_END_LINE, CHANGES, "end of the field"},
	{KEY_END, 1, "End", form_request, REQ_END_LINE, CHANGES, NULL},
	{KEY_BACKSPACE, 1, "Backspace", form_request, REQ_DEL_PREV, CHANGES,
	 "delete the character before"},
	{DEL, 0, NULL, form_request, REQ_DEL_PREV, CHANGES, NULL},
	{CTRL_H, 0, NULL, form_request, REQ_DEL_PREV, CHANGES, NULL},
	{KEY_DC, 1, "Delete", form_request, REQ_DEL_CHAR, CHANGES, "delete the character"},
	{CTRL_K, 0, "Ctrl-K", form_request, REQ_CLR_EOL, CHANGES, "delete to the end"},
	{CTRL_U, 0, "Ctrl-U", form_request, REQ_CLR_FIELD, CHANGES, "delete the whole field"},
	{CTRL_W, 0, "Ctrl-W", form_delete_word, 0, CHANGES, "delete the word before"},
	{ESC, 0, "Esc", form_escape, 0, CHANGES, "close the form"},
};
static const size_t nform_keys = sizeof form_keys / sizeof form_keys[0];

/* The query line's own keys; the others edit the line as in the filter. */
static void query_enter(struct app *, int);
static void query_escape(struct app *, int);
static void query_recall(struct app *, int);

static const struct key query_keys[] = {
	{'\r', 0, "Enter", query_enter, 0, CHANGES,
	 "keep the query: it stays in force on every page opened after it (a listing walk); "
	 "an empty line clears it"},
	{'\n', 0, NULL, query_enter, 0, CHANGES, NULL},
	{KEY_ENTER, 1, NULL, query_enter, 0, CHANGES, NULL},
	{ESC, 0, "Esc", query_escape, 0, CHANGES,
	 "leave the line: the query in force before it, and its rows, come back"},
	{KEY_UP, 1, "Up", query_recall, -1, CHANGES, "the query entered before (this session's)"},
	{KEY_DOWN, 1, "Down", query_recall, 1, CHANGES, "the one after, then the line as typed"},
};
static const size_t nquery_keys = sizeof query_keys / sizeof query_keys[0];

/* ==== base: memory, buffers; the process: signals, temp files, threads, helpers ==== */

/* Set by the handler, read by the loop and --dump's writer thread: a
 * lock-free atomic, safe in a handler and seen by every thread. */
static atomic_int got_signal;

static char cleanup_path[TMP_SLOTS][PATH_MAX]; /* temp files to remove on any exit */

static int ui_active;                    /* curses owns the terminal */

static void
cleanup_temp(void)
{
	int i;

	for (i = 0; i < TMP_SLOTS; i++)
		if (cleanup_path[i][0]) {
			unlink(cleanup_path[i]);
			cleanup_path[i][0] = '\0';
		}
}

/* Gives the terminal back (cursor shown, normal screen) if curses has it. */
static void
terminal_give_back(void)
{
	if (!ui_active)
		return;
	ui_active = 0;
	if (write(STDOUT_FILENO, "\033[?2004l", 8) < 0) { /* pastes as they were */
	}
	curs_set(1);
	endwin();
}

static void
die(const char *fmt, ...)
{
	va_list ap;

	cleanup_temp();
	terminal_give_back();
	fputs("scraper: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_TRANSFER);
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

static void *
xrealloc(void *p, size_t n)
{
#ifdef SCRAPER_ALLOC_FAIL
	/* tests/alloc.t: SCRAPER_FAIL_AT=N fails the program's Nth allocation */
	static long count, fail_at = -1;

	if (fail_at < 0)
		fail_at = getenv("SCRAPER_FAIL_AT") ? atol(getenv("SCRAPER_FAIL_AT")) : 0;
	if (++count == fail_at)
		die("out of memory");
#endif
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
	/* doubling keeps appends amortised O(1); a large first reservation
	 * (a body of known length) is taken exactly */
	b->cap = b->cap > SIZE_MAX / 2 ? need : b->cap * 2;
	if (b->cap < need)
		b->cap = need;
	if (b->cap < 64)
		b->cap = 64;
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
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n >= 0) {
		buf_reserve(b, (size_t)n);
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
		b->len += (size_t)n;
	}
	va_end(again);
}

static void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

static void
buf_free(struct buf *b)
{
	if (!b)
		return;
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

static size_t
arena_bytes(const struct arena *a)
{
	const struct arena_chunk *c;
	size_t n = 0;

	for (c = a->head; c; c = c->next)
		n += sizeof *c + c->cap;
	return n;
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

static uint64_t
str_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
	return h;
}

/* The slot of a string, or the free slot where it would go. */
static struct str_slot *
set_slot(struct str_set *set, const char *s, size_t n, uint64_t h)
{
	size_t i = (size_t)h & (set->cap - 1);

	while (set->slot[i].s && (set->slot[i].hash != h || set->slot[i].n != n ||
				  memcmp(set->slot[i].s, s, n)))
		i = (i + 1) & (set->cap - 1);
	return &set->slot[i];
}

static void
set_grow(struct str_set *set)
{
	struct str_slot *old = set->slot;
	size_t i, cap = set->cap;

	set->cap = cap ? cap * 2 : 1024;
	set->slot = xmalloc(set->cap * sizeof *set->slot);
	memset(set->slot, 0, set->cap * sizeof *set->slot);
	for (i = 0; i < cap; i++)
		if (old[i].s)
			*set_slot(set, old[i].s, old[i].n, old[i].hash) = old[i];
	free(old);
}

/* Adds s with value; returns the value s was added with before, or
 * (size_t)-1 when it is new. */
static size_t
set_put(struct str_set *set, const char *s, size_t n, size_t value)
{
	uint64_t h = str_hash(s, n);
	struct str_slot *slot;

	if (set->n * 2 >= set->cap)
		set_grow(set);
	slot = set_slot(set, s, n, h);
	if (slot->s)
		return slot->value;
	slot->s = arena_strndup(&set->keys, s, n);
	slot->n = n;
	slot->hash = h;
	slot->value = value;
	set->n++;
	return (size_t)-1;
}

static void
set_free(struct str_set *set)
{
	arena_free(&set->keys);
	free(set->slot);
	memset(set, 0, sizeof *set);
}

static double
elapsed_s(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) +
	       (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* Helper threads take no signal: the main thread's poll sees them. */
static int
thread_start(pthread_t *th, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* A signal, or the screen's Esc (*cancel, set by the screen's thread). */
static int
stop_asked(const atomic_int *cancel)
{
	return got_signal || (cancel && atomic_load(cancel));
}

/* The handler writes a byte here, and the loops wait on it: a signal that
 * lands between their check of got_signal and their wait would otherwise
 * go unseen for the whole wait. */
static int signal_pipe[2] = {-1, -1};

static void
on_signal(int sig)
{
	int saved = errno;

	got_signal = sig;
	if (signal_pipe[1] >= 0) {
		ssize_t w = write(signal_pipe[1], "", 1); /* full: a byte is there */

		(void)w;
	}
	errno = saved;
}

/* What the loops wait on besides libcurl's sockets: the signal pipe. */
static struct curl_waitfd
signal_waitfd(void)
{
	struct curl_waitfd w = {.fd = signal_pipe[0], .events = CURL_WAIT_POLLIN};

	return w;
}

static int
signal_status(void)
{
	return got_signal == SIGINT ? EXIT_SIGINT : got_signal == SIGHUP ? EXIT_SIGHUP
									 : EXIT_SIGTERM;
}

/* What a crash found in place: the sanitizers' reporters, or the default. */
static struct sigaction fatal_was[NSIG];

/*
 * A crash must not leave the terminal raw on the alternate screen: give it
 * back, then let the signal do what it did before (a fault is simply
 * taken again on return, now by the previous handler, so a sanitizer still
 * reports where it happened). endwin() is not async-signal-safe, but the
 * process is lost anyway and a usable shell is worth the risk.
 */
static void
on_fatal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	cleanup_temp();
	if (ui_active) {
		ui_active = 0;
		endwin();
	}
	sigaction(sig, &fatal_was[sig], NULL);
	if (info->si_code <= 0 || sig == SIGABRT) /* sent, not a fault: send again */
		raise(sig);
}

static void
signals_install_fatal(void)
{
	static const int fatal[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fatal;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		sigaction(fatal[i], &sa, &fatal_was[fatal[i]]);
}

static void
signals_install(void)
{
	struct sigaction sa;

	if (pipe(signal_pipe) == 0) {
		fcntl(signal_pipe[0], F_SETFL, O_NONBLOCK);
		fcntl(signal_pipe[1], F_SETFL, O_NONBLOCK);
		fcntl(signal_pipe[0], F_SETFD, FD_CLOEXEC);
		fcntl(signal_pipe[1], F_SETFD, FD_CLOEXEC);
	} else {
		signal_pipe[0] = signal_pipe[1] = -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL); /* the terminal went away */
	signal(SIGPIPE, SIG_IGN); /* with NOSIGNAL, EPIPE is checked instead */
	signals_install_fatal();
}

/* ---- a helper program: tmux, for the clipboard ---- */

#define HELPER_WAIT_MS 500 /* the screen waits no longer for tmux */

/* Writes data to fd (non-blocking) until done or the deadline passes. */
static int
write_until(int fd, const char *p, size_t n, const struct timespec *since)
{
	struct pollfd pf = {.fd = fd, .events = POLLOUT};

	while (n) {
		int left = HELPER_WAIT_MS - (int)(elapsed_s(since) * 1000);
		ssize_t w;

		if (left <= 0 || poll(&pf, 1, left) <= 0)
			return -1;
		w = write(fd, p, n);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Waits for the child until the deadline, then ends it; its exit status,
 * or -1. */
static int
child_wait(pid_t pid, const struct timespec *since)
{
	struct timespec pause = {0, 2 * 1000 * 1000};
	int st;

	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (elapsed_s(since) * 1000 > HELPER_WAIT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		nanosleep(&pause, NULL);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Reads fd (non-blocking) to its end into out (NUL-terminated, cut to
 * outsz), until the deadline passes. */
static int
read_until(int fd, char *out, size_t outsz, const struct timespec *since)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	size_t got = 0;

	for (;;) {
		int left = HELPER_WAIT_MS - (int)(elapsed_s(since) * 1000);
		ssize_t r;

		if (left <= 0 || poll(&pf, 1, left) <= 0)
			return -1;
		r = read(fd, out + got, outsz - 1 - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0 || (got += (size_t)r) == outsz - 1)
			break;
	}
	out[got] = '\0';
	return 0;
}

/*
 * Runs a helper program (argv[0] looked up in PATH, no shell), in (when
 * given) on its standard input, its standard output into out (when given,
 * else thrown away with its errors: the screen is ours), waited for
 * HELPER_WAIT_MS at most. Returns its exit status, or -1.
 */
static int
helper_run(char *const argv[], const char *in, size_t n, char *out, size_t outsz)
{
	struct timespec since;
	int p[2] = {-1, -1}, null = open("/dev/null", O_RDWR | O_CLOEXEC), io = 0;
	pid_t pid = -1;

	clock_gettime(CLOCK_MONOTONIC, &since);
	if (null >= 0 && pipe(p) == 0)
		pid = fork();
	if (pid == 0) {
		dup2(in ? p[0] : null, STDIN_FILENO);
		dup2(out ? p[1] : null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(p[0]); /* else the helper holds its own input open */
		close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid > 0) {
		fcntl(in ? p[1] : p[0], F_SETFL, O_NONBLOCK);
		close(in ? p[0] : p[1]);
		p[in ? 0 : 1] = -1;
		io = in ? write_until(p[1], in, n, &since) : read_until(p[0], out, outsz, &since);
	}
	close(p[0]);
	close(p[1]); /* the helper reads to the end of its input */
	if (null >= 0)
		close(null);
	return pid > 0 && child_wait(pid, &since) == 0 && io == 0 ? 0 : -1;
}

/*
 * Hands text to `tmux load-buffer -` (the tmux that TMUX names) unless its
 * set-clipboard is on (then the OSC 52 sent lands in a buffer already):
 * tmux's default, external, drops a program's OSC 52. 1 when it took the
 * text, 0 when OSC 52 does, -1 on failure.
 */
static int
tmux_load_buffer(const char *text, size_t n)
{
	static char *const show[] = {"tmux", "show-options", "-sv", "set-clipboard", NULL};
	static char *const load[] = {"tmux", "load-buffer", "-", NULL};
	char value[32];

	if (helper_run(show, NULL, 0, value, sizeof value) == 0 && !strcmp(value, "on\n"))
		return 0;
	return helper_run(load, text, n, NULL, 0) == 0 ? 1 : -1;
}

/* ---- the user's shell command: | and ! ---- */

/* In the child: what we ignore (SIGPIPE; SIGINT during !) set back to the
 * defaults, stdin from in (-1: as it is), stdout and stderr to out (-1:
 * the terminal), no other descriptor of ours; then sh -c line. */
static void
shell_exec(const char *line, int in, int out)
{
	static const int sigs[] = {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP};
	sigset_t none;
	size_t i;

	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (in >= 0)
		dup2(in, STDIN_FILENO);
	if (out >= 0) {
		dup2(out, STDOUT_FILENO);
		dup2(out, STDERR_FILENO);
	}
	closefrom(3);
	execl("/bin/sh", "sh", "-c", line, (char *)NULL);
	_exit(127);
}

/* Starts `sh -c line` in a process group of its own, so that Esc ends all
 * it started: stdin from in (-1: /dev/null), stdout and stderr into a pipe
 * whose read end, non-blocking, *out gets. Its pid, or -1. */
static pid_t
shell_start(const char *line, int in, int *out)
{
	int p[2], null = -1;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	if (in < 0)
		in = null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		shell_exec(line, in, p[1]);
	}
	if (pid > 0)
		setpgid(pid, pid); /* whichever runs first: no kill misses it */
	close(p[1]);
	if (null >= 0)
		close(null);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	*out = p[0];
	return pid;
}

/* Runs `sh -c line` on the terminal, stdin from in (-1: the terminal), and
 * waits as system() does: SIGINT and SIGQUIT are the command's alone
 * meanwhile. Its wait status, or -1. */
static int
shell_run(const char *line, int in)
{
	struct sigaction ign, was_int, was_quit;
	pid_t pid;
	int st = -1;

	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &was_int);
	sigaction(SIGQUIT, &ign, &was_quit);
	pid = fork();
	if (pid == 0)
		shell_exec(line, in, -1);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &was_int, NULL);
	sigaction(SIGQUIT, &was_quit, NULL);
	return pid > 0 ? st : -1;
}

/* A wait status in words: "exit 0", "killed by signal 15". */
static void
shell_status(struct buf *o, int st)
{
	if (st == -1)
		buf_adds(o, "could not run /bin/sh");
	else if (WIFEXITED(st))
		buf_addf(o, "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		buf_addf(o, "killed by signal %d", WTERMSIG(st));
	else
		buf_addf(o, "wait status %d", st);
}

/* ==== text: UTF-8, network text made safe, whitespace; wide-character lines, base64 ==== */

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

/* Constants of the word-at-a-time byte tests (8 bytes in a uint64_t). */
#define BYTES_ONES  0x0101010101010101u

#define BYTES_HIGHS 0x8080808080808080u

static int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;

	while (i < n) {
		size_t len;
		uint64_t w;

		/* eight ASCII bytes at a time: pages are mostly markup */
		if (n - i >= 8 && (memcpy(&w, p + i, 8), !(w & BYTES_HIGHS))) {
			i += 8;
			continue;
		}
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		/* two- and three-byte sequences (Latin, CJK text) checked inline */
		if (p[i] >= 0xc2 && p[i] <= 0xdf && n - i >= 2 &&
		    (p[i + 1] & 0xc0) == 0x80) {
			i += 2;
			continue;
		}
		if (p[i] >= 0xe0 && p[i] <= 0xef && n - i >= 3 &&
		    (p[i + 1] & 0xc0) == 0x80 && (p[i + 2] & 0xc0) == 0x80) {
			cp = (uint32_t)(p[i] & 0x0f) << 12 |
			     (uint32_t)(p[i + 1] & 0x3f) << 6 | (p[i + 2] & 0x3f);
			if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))
				return 0;
			i += 3;
			continue;
		}
		len = utf8_decode(p + i, n - i, &cp);
		if (cp == 0xfffd && len == 1)
			return 0;
		i += len;
	}
	return 1;
}

/* Whether UTF-8 text is read as it is: valid, and no NUL (which libxml2
 * would take for the end). */
static int
utf8_as_is(const char *s, size_t n)
{
	return utf8_valid(s, n) && !memchr(s, 0, n);
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

/* Characters to keep out of raw output: controls, bidi controls, and the
 * line and paragraph separators, which end a line for python's
 * splitlines() and JavaScript (a TSV record must stay one line). */
static int
needs_care(uint32_t c)
{
	return is_control(c) || is_bidi(c) || c == 0x2028 || c == 0x2029;
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

/* One character (U+FFFD for an invalid byte) as buf_add_safe writes it. */
static void
add_safe_char(struct buf *b, uint32_t c, enum san_mode m)
{
	if (m == SAN_JSON && (c == '"' || c == '\\' || needs_care(c)))
		add_json_char(b, c);
	else if (needs_care(c))
		add_escaped(b, c, m);
	else
		buf_add_utf8(b, c);
}

/* Whether none of the 8 bytes in w needs care: each is in 0x20..0x7e (and
 * in JSON neither '"' nor '\\'), tested at once (exact word tests from
 * "Bit Twiddling Hacks": a byte below n, above n, equal to zero). */
static int
word_plain(uint64_t w, enum san_mode m)
{
	uint64_t low = (w - BYTES_ONES * 0x20) & ~w & BYTES_HIGHS;
	uint64_t high = ((w + BYTES_ONES * (127 - 0x7e)) | w) & BYTES_HIGHS;
	uint64_t q = w ^ (BYTES_ONES * '"'), bs = w ^ (BYTES_ONES * '\\');

	if (low | high)
		return 0;
	return m != SAN_JSON || !(((q - BYTES_ONES) & ~q & BYTES_HIGHS) |
				  ((bs - BYTES_ONES) & ~bs & BYTES_HIGHS));
}

/* The length of the prefix of p[0..n) that buf_add_safe copies as it is:
 * printable ASCII (in JSON, but '"' and '\\') and valid UTF-8 sequences
 * that need no care. */
static size_t
safe_run(const unsigned char *p, size_t n, enum san_mode m)
{
	size_t i = 0, len;
	uint64_t w;
	uint32_t c;

	while (i < n) {
		if (n - i >= 8 && (memcpy(&w, p + i, 8), word_plain(w, m))) {
			i += 8;
			continue;
		}
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			if (m == SAN_JSON && (p[i] == '"' || p[i] == '\\'))
				break;
			i++;
			continue;
		}
		if (p[i] < 0x80)
			break;
		len = utf8_decode(p + i, n - i, &c);
		if ((c == 0xfffd && len == 1) || needs_care(c))
			break;
		i += len;
	}
	return i;
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
		/* the common case, text that needs nothing, in one copy */
		run = safe_run(p + i, n - i, m);
		if (run > 0) {
			buf_add(b, p + i, run);
			i += run;
			continue;
		}
		i += utf8_decode(p + i, n - i, &c);
		add_safe_char(b, c, m);
	}
}

/* The length of s[0..n) without a UTF-8 sequence cut short at its end. */
static size_t
utf8_whole(const char *s, size_t n)
{
	size_t back, need;

	for (back = 1; back <= 3 && back <= n; back++) {
		unsigned char c = (unsigned char)s[n - back];

		if ((c & 0xc0) == 0x80)
			continue;
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return need > back ? n - back : n;
	}
	return n;
}

/* Copies UTF-8 with every invalid byte, and NUL, as U+FFFD; returns how
 * many were replaced. */
static size_t
utf8_sanitize(struct buf *out, const char *s, size_t n)
{
	size_t i = 0, run, bad = 0;
	uint32_t c;

	buf_reserve(out, n);
	while (i < n) {
		for (run = i; run < n && (unsigned char)s[run] < 0x80 && s[run]; run++)
			;
		buf_add(out, s + i, run - i);
		if ((i = run) >= n)
			break;
		run = utf8_decode((const unsigned char *)s + i, n - i, &c);
		if (c == 0 || (c == 0xfffd && run == 1)) {
			buf_add_utf8(out, 0xfffd);
			bad++;
		} else {
			buf_add(out, s + i, run);
		}
		i += run;
	}
	return bad;
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
	size_t i = 0, run;

	while (i < n && b->len < cap) {
		if (is_html_space((unsigned char)s[i])) {
			*pending_space = 1;
			i++;
			continue;
		}
		if (*pending_space && b->len > 0)
			buf_addc(b, ' ');
		*pending_space = 0;
		/* a word at once: its first byte, then the rest while under cap */
		for (run = i + 1; run < n && !is_html_space((unsigned char)s[run]) &&
				  b->len + (run - i) < cap;
		     run++)
			;
		buf_add(b, s + i, run - i);
		i = run;
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

static void
base64(struct buf *out, const unsigned char *s, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		buf_addc(out, tab[v >> 18]);
		buf_addc(out, tab[(v >> 12) & 63]);
		buf_addc(out, tab[(v >> 6) & 63]);
		buf_addc(out, tab[v & 63]);
	}
	if (n - i == 1) {
		buf_addc(out, tab[s[i] >> 2]);
		buf_addc(out, tab[(s[i] & 3) << 4]);
		buf_adds(out, "==");
	} else if (n - i == 2) {
		buf_addc(out, tab[s[i] >> 2]);
		buf_addc(out, tab[((s[i] & 3) << 4) | (s[i + 1] >> 4)]);
		buf_addc(out, tab[(s[i + 1] & 15) << 2]);
		buf_addc(out, '=');
	}
}

static void
human_size(char *out, size_t outsz, double bytes)
{
	if (bytes < 1024)
		snprintf(out, outsz, "%.0f B", bytes);
	else if (bytes < 1024 * 1024)
		snprintf(out, outsz, "%.1f KiB", bytes / 1024);
	else
		snprintf(out, outsz, "%.1f MiB", bytes / (1024 * 1024));
}

static void
edit_set(struct line_edit *e, const char *s)
{
	mbstate_t st;
	size_t n;

	memset(&st, 0, sizeof st);
	n = mbsrtowcs(e->text, &s, sizeof e->text / sizeof e->text[0] - 1, &st);
	e->len = n == (size_t)-1 ? 0 : n;
	e->cur = e->len;
}

/* The edit line as UTF-8 (the locale's multibyte form), into out. */
static void
edit_get(const struct line_edit *e, char *out, size_t outsz)
{
	size_t i, n = 0;
	char mb[MB_LEN_MAX];

	for (i = 0; i < e->len; i++) {
		int k = wctomb(mb, e->text[i]);

		if (k <= 0 || n + (size_t)k + 1 > outsz)
			continue;
		memcpy(out + n, mb, (size_t)k);
		n += (size_t)k;
	}
	out[n] = '\0';
}

/* line with each {} replaced by s in single quotes (a ' in s closes them,
 * is escaped, and opens them again): s reaches the shell as one word,
 * whatever it holds. */
static void
shell_substitute(struct buf *o, const char *line, const char *s, size_t n)
{
	const char *at;
	size_t i;

	while ((at = strstr(line, "{}"))) {
		buf_add(o, line, (size_t)(at - line));
		buf_addc(o, '\'');
		for (i = 0; i < n; i++) {
			if (s[i] == '\'')
				buf_adds(o, "'\\''");
			else
				buf_addc(o, s[i]);
		}
		buf_addc(o, '\'');
		line = at + 2;
	}
	buf_adds(o, line);
}

/* ==== url: RFC 3986 references, srcset, typed URLs, file names ==== */

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

/* The descriptor of the candidate srcset_next() found: what lies between
 * its URL's end and *pos ("2x", "480w", "100w 2x" as written), less the
 * blanks and the comma around it; *len is 0 when there is none. */
static void
srcset_descriptor(const char *s, size_t url_end, size_t pos, size_t *start, size_t *len)
{
	while (url_end < pos && (is_html_space((unsigned char)s[url_end]) || s[url_end] == ','))
		url_end++;
	while (pos > url_end && (is_html_space((unsigned char)s[pos - 1]) || s[pos - 1] == ','))
		pos--;
	*start = url_end;
	*len = pos - url_end;
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
	char small[512], *tmp = small; /* most merged paths fit: no malloc */
	const char *dir = "/";
	size_t dir_len = 1, need;

	if (r->path_len && r->path[0] == '/') {
		buf_add_path(out, r->path, r->path_len);
		return;
	}
	if (!(b->has_auth && b->path_len == 0)) {
		dir = b->path;
		for (dir_len = b->path_len; dir_len > 0 && dir[dir_len - 1] != '/'; dir_len--)
			;
	}
	need = dir_len + r->path_len;
	if (need < dir_len)
		die("out of memory");
	if (need > sizeof small)
		tmp = xmalloc(need);
	memcpy(tmp, dir, dir_len);
	memcpy(tmp + dir_len, r->path, r->path_len);
	buf_add_path(out, tmp, need);
	if (tmp != small)
		free(tmp);
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
	/* memchr looks at many bytes at once; most URLs have none of the three */
	if (!memchr(s, '\t', n) && !memchr(s, '\n', n) && !memchr(s, '\r', n)) {
		memcpy(out->data, s, n);
		out->len = n;
	} else {
		for (i = 0; i < n; i++)
			if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
				out->data[out->len++] = s[i];
	}
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

/* Resolves references against one base, reusing its buffers. */
struct resolver {
	struct uri base;
	struct buf clean, out;
};

static void
resolver_init(struct resolver *r, const char *base)
{
	memset(r, 0, sizeof *r);
	uri_split(base, strlen(base), &r->base);
}

/* The absolute URL of raw; valid until the next call. */
static const char *
resolver_url(struct resolver *r, const char *raw)
{
	url_clean(&r->clean, raw, strlen(raw));
	url_resolve_into(&r->out, &r->base, r->clean.data, r->clean.len);
	return r->out.data;
}

static void
resolver_free(struct resolver *r)
{
	buf_free(&r->clean);
	buf_free(&r->out);
}

/* The length of the host in an authority "user@host:port" less the port. */
static size_t
host_len(const char *auth, size_t n)
{
	size_t i = n;

	while (i > 0 && isdigit((unsigned char)auth[i - 1]))
		i--;
	return i > 0 && auth[i - 1] == ':' ? i - 1 : n;
}

/* The user of an authority "user:password@host": its length, 0 when
 * there is none; *has_password tells whether a password follows it. */
static size_t
auth_user_len(const char *auth, size_t n, int *has_password)
{
	const char *at = NULL, *colon;
	size_t i;

	for (i = 0; i < n; i++)
		if (auth[i] == '@')
			at = auth + i;
	*has_password = 0;
	if (!at)
		return 0;
	colon = memchr(auth, ':', (size_t)(at - auth));
	*has_password = colon != NULL;
	return (size_t)((colon ? colon : at) - auth);
}

/* A copy of url that never shows a password: "http://alice:pw@h/" is
 * "http://alice@h/" (the password was sent, but is nobody's to read). */
static char *
url_without_password(const char *url)
{
	struct uri u;
	struct buf b = {0};
	const char *at;
	size_t user;
	int pw;

	if (!url)
		return NULL;
	uri_split(url, strlen(url), &u);
	user = u.has_auth ? auth_user_len(u.auth, u.auth_len, &pw) : 0;
	if (!u.has_auth || !pw)
		return xstrdup(url);
	buf_add(&b, url, (size_t)(u.auth - url) + user);
	at = u.auth + u.auth_len;
	while (*--at != '@')
		; /* the last '@' ends the user's part: pw says there is one */
	buf_adds(&b, at);
	return b.data;
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

/* "scheme://host:port" of an http(s) URL, the host in lower case and the
 * port always said: what tells two servers apart when credentials are
 * sent, as curl compares them. NULL for anything else. */
static char *
url_origin(const char *url)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
	CURLU *u = curl_url();
	struct buf b = {0};

	if (!u)
		die("out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		char *c;

		for (c = host; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		buf_addf(&b, "%s://%s:%s", scheme, host, port);
		out = xstrdup(b.data);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	buf_free(&b);
	return out;
}

/* ---- local inputs: a path, a file:// URL, or "-" ---- */

static int
is_file_url(const char *s)
{
	return uri_scheme_len(s, strlen(s)) == 4 && !ascii_casecmp_n(s, "file", 4);
}

/* Whether an input given by the user is local: "-" (standard input), a
 * file:// URL, a path from / or ./, or a word without an http(s) scheme
 * that names an existing file (not a directory). Anything else is a URL,
 * as typed. */
static int
input_is_local(const char *s)
{
	struct stat st;
	size_t scheme = uri_scheme_len(s, strlen(s));

	if (!strcmp(s, "-") || is_file_url(s) || s[0] == '/' || !strncmp(s, "./", 2) ||
	    !strncmp(s, "../", 3))
		return 1; /* a URL never starts so: a path, even one that is not there */
	if (scheme && scheme_is_http(s, scheme))
		return 0;
	return stat(s, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* The file:// URL of an absolute path: bytes outside the path characters
 * of RFC 3986 percent-encoded. Returns a new string. */
static char *
url_from_path(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = {0};
	const unsigned char *p;

	buf_adds(&b, "file://");
	for (p = (const unsigned char *)path; *p; p++)
		if (isalnum(*p) || strchr("-._~/!$&'()*+,;=:@", *p))
			buf_addc(&b, (char)*p);
		else
			buf_addf(&b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	return b.data;
}

static int
hex_value(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* The path of a file:// URL (file:///p, file://localhost/p, file:/p), its
 * percent-escapes decoded (the user typed it: it names a path); NULL for
 * another host, or a NUL. */
static char *
path_from_file_url(const char *url)
{
	struct uri u;
	struct buf b = {0};
	size_t i;

	uri_split(url, strlen(url), &u);
	if ((u.has_auth && u.auth_len && !(u.auth_len == 9 &&
					    !ascii_casecmp_n(u.auth, "localhost", 9))) ||
	    !u.path_len || u.path[0] != '/')
		return NULL;
	for (i = 0; i < u.path_len; i++) {
		int hi = u.path[i] == '%' && i + 2 < u.path_len
			 ? hex_value((unsigned char)u.path[i + 1]) : -1;
		int lo = hi >= 0 ? hex_value((unsigned char)u.path[i + 2]) : -1;

		if (lo >= 0) {
			if (hi == 0 && lo == 0)
				break;
			buf_addc(&b, (char)(hi * 16 + lo));
			i += 2;
		} else {
			buf_addc(&b, u.path[i]);
		}
	}
	if (i < u.path_len) { /* %00 */
		buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* "http//host" or "https:/host": a hint, "did you mean http://host?",
 * rather than a fetch of the host "http". */
static int
scheme_mistyped(const char *url, char *hint, size_t hintsz)
{
	static const char *const schemes[] = {"https", "http"};
	size_t i, n;

	for (i = 0; i < 2; i++) {
		n = strlen(schemes[i]);
		if (ascii_casecmp_n(url, schemes[i], n))
			continue;
		if (!strncmp(url + n, "//", 2) || (!strncmp(url + n, ":/", 2) && url[n + 2] != '/')) {
			snprintf(hint, hintsz, "did you mean %s://%.100s?", schemes[i],
				 url + n + 2);
			return 1;
		}
	}
	return 0;
}

/* A URL as it goes on the wire: spaces, controls and every byte past
 * ASCII percent-encoded. Pasted into a shell, raw controls would act
 * (ESC [ 2 0 1 ~ ends a bracketed paste, and what follows runs). */
static void
url_for_clipboard(struct buf *out, const char *url)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f) {
			buf_addc(out, '%');
			buf_addc(out, hex[*p >> 4]);
			buf_addc(out, hex[*p & 15]);
		} else {
			buf_addc(out, (char)*p);
		}
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

/* seg[0..n), from the network, made a safe file name: controls, bidi
 * controls, line separators and '\' become '_'; a leading '.' or '-' is
 * prefixed with '_'; too long a name is cut, keeping its extension. */
static char *
name_clean(const char *seg, size_t n)
{
	struct buf out = {0};
	size_t i;

	if (seg[0] == '.' || seg[0] == '-')
		buf_addc(&out, '_');
	for (i = 0; i < n;) {
		uint32_t c;
		size_t len = utf8_decode((const unsigned char *)seg + i, n - i, &c);

		if (needs_care(c) || c == '\\' || c == 0xfffd)
			buf_addc(&out, '_');
		else
			buf_add(&out, seg + i, len);
		i += len;
	}
	if (out.len > NAME_MAX_BYTES) {
		const char *dot = strrchr(out.data, '.');
		size_t ext = dot ? strlen(dot) : 0, keep;

		if (ext > 16)
			ext = 0;
		/* the stem is cut at a character boundary, then the extension follows */
		for (keep = NAME_MAX_BYTES - ext;
		     keep > 0 && ((unsigned char)out.data[keep] & 0xc0) == 0x80; keep--)
			;
		memmove(out.data + keep, out.data + out.len - ext, ext);
		out.len = keep + ext;
		out.data[out.len] = '\0';
	}
	return out.data;
}

/* Derives a safe local name from a URL's last path segment (the URL as
 * asked, not the redirect target: wget's lesson of CVE-2010-2252). Never
 * percent-decoded, so "%2F" cannot become a '/' (wcurl CVE-2025-11563);
 * then name_clean(). */
static char *
name_from_url(const char *url)
{
	struct uri u;
	const char *seg;
	size_t n;

	uri_split(url, strlen(url), &u);
	for (n = u.path_len; n > 0 && u.path[n - 1] != '/'; n--)
		;
	seg = u.path + n;
	n = u.path_len - n;
	if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && !memcmp(seg, "..", 2)))
		return xstrdup("index.html");
	return name_clean(seg, n);
}

/*
 * The name a Content-Disposition header gives (filename=, quoted or not;
 * filename*= is not read: it is percent-encoded, and a name is never
 * percent-decoded). Only its last part after a '/' or '\' is kept, as
 * curl -OJ does, then name_clean(). NULL when it gives none.
 */
static char *
name_from_disposition(const char *h)
{
	struct buf v = {0};
	const char *p, *last;
	char *name = NULL;

	for (p = h; (p = strchr(p, '=')); p++)
		if (p - h >= 8 && !ascii_casecmp_n(p - 8, "filename", 8) &&
		    (p - h == 8 || strchr(" \t;", p[-9])))
			break;
	if (!p)
		return NULL;
	for (p++; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++)
			buf_addc(&v, *p == '\\' && p[1] ? *++p : *p);
	} else {
		while (*p && *p != ';' && *p != ' ' && *p != '\t')
			buf_addc(&v, *p++);
	}
	for (last = p = v.data ? v.data : ""; *p; p++)
		if (*p == '/' || *p == '\\')
			last = p + 1;
	if (*last && strcmp(last, ".") && strcmp(last, ".."))
		name = name_clean(last, strlen(last));
	buf_free(&v);
	return name;
}

/* ==== parse: libxml2 only — bytes + URL in, struct page out ==== */

/* ---- what a body is: a page, text, or bytes to save ---- */

/* The length of the media type of a Content-Type value ("text/html" of
 * "text/html; charset=utf-8"), its leading blanks skipped into *start. */
static size_t
media_type(const char *ct, const char **start)
{
	size_t n;

	while (*ct == ' ' || *ct == '\t')
		ct++;
	*start = ct;
	for (n = 0; ct[n] && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t'; n++)
		;
	return n;
}

static int
type_is(const char *t, size_t n, const char *name)
{
	return n == strlen(name) && !ascii_casecmp_n(t, name, n);
}

static int
type_ends(const char *t, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n > k && !ascii_casecmp_n(t + n - k, suffix, k);
}

/* Text that is not HTML: shown as it is, not parsed. */
static int
type_is_text(const char *t, size_t n)
{
	static const char *const text[] = {
		"application/json", "application/javascript", "application/ecmascript",
		"application/x-javascript", "application/xml", "application/x-sh",
		"application/x-httpd-php", "application/sql", "application/toml",
		"application/yaml", "application/x-yaml",
	};
	size_t i;

	if (n > 5 && !ascii_casecmp_n(t, "text/", 5))
		return 1;
	if (type_ends(t, n, "+xml") || type_ends(t, n, "+json"))
		return 1;
	for (i = 0; i < sizeof text / sizeof text[0]; i++)
		if (type_is(t, n, text[i]))
			return 1;
	return 0;
}

/*
 * What a body is by its Content-Type: HTML (and XHTML) is parsed; other
 * text is shown as it is; anything else (images, media, PDFs, archives)
 * is only saved. Without a type (or with one that is no type) the first
 * bytes decide, as browsers sniff: a NUL in them (and no byte-order mark
 * of UTF-16 or UTF-32, whose ASCII has NULs) is binary, else HTML.
 */
static enum body_kind
body_kind(const char *content_type, const char *body, size_t len)
{
	const char *t;
	size_t n = content_type ? media_type(content_type, &t) : 0;
	size_t head = len < SNIFF_BYTES ? len : SNIFF_BYTES;

	if (n && memchr(t, '/', n)) {
		if (type_is(t, n, "text/html") || type_is(t, n, "application/xhtml+xml"))
			return BODY_HTML;
		return type_is_text(t, n) ? BODY_TEXT : BODY_BINARY;
	}
	if (len >= 2 && (!memcmp(body, "\xff\xfe", 2) || !memcmp(body, "\xfe\xff", 2)))
		return BODY_HTML;
	if (len >= 4 && !memcmp(body, "\0\0\xfe\xff", 4))
		return BODY_HTML;
	return head && memchr(body, '\0', head) ? BODY_BINARY : BODY_HTML;
}

/* What a body that is not a page is, in a word or two, for the screen. */
static const char *
body_noun(const char *content_type)
{
	static const struct { const char *prefix, *noun; } nouns[] = {
		{"image/", "an image"}, {"audio/", "audio"}, {"video/", "a video"},
		{"font/", "a font"}, {"application/pdf", "a PDF document"},
		{"application/zip", "an archive"}, {"application/gzip", "an archive"},
		{"application/x-tar", "an archive"}, {"application/x-7z", "an archive"},
		{"application/x-rar", "an archive"}, {"application/vnd.rar", "an archive"},
		{"application/x-bzip", "an archive"}, {"application/x-xz", "an archive"},
		{"application/zstd", "an archive"}, {"application/x-gzip", "an archive"},
	};
	const char *t;
	size_t i, n = content_type ? media_type(content_type, &t) : 0;

	for (i = 0; i < sizeof nouns / sizeof nouns[0]; i++)
		if (n >= strlen(nouns[i].prefix) &&
		    !ascii_casecmp_n(t, nouns[i].prefix, strlen(nouns[i].prefix)))
			return nouns[i].noun;
	return n && type_is_text(t, n) ? "text" : "binary data";
}

/* The Content-Type of a local file, by its name's extension (as w3m and
 * lynx do); NULL when unknown: the first bytes decide. */
static const char *
type_from_name(const char *path)
{
	static const char *const types[][2] = {
		{"html", "text/html"}, {"htm", "text/html"}, {"xhtml", "application/xhtml+xml"},
		{"txt", "text/plain"}, {"css", "text/css"}, {"js", "text/javascript"},
		{"json", "application/json"}, {"xml", "application/xml"}, {"csv", "text/csv"},
		{"md", "text/markdown"}, {"svg", "image/svg+xml"}, {"png", "image/png"},
		{"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"gif", "image/gif"},
		{"webp", "image/webp"}, {"ico", "image/x-icon"}, {"pdf", "application/pdf"},
		{"zip", "application/zip"}, {"gz", "application/gzip"}, {"tar", "application/x-tar"},
		{"mp3", "audio/mpeg"}, {"ogg", "audio/ogg"}, {"mp4", "video/mp4"},
		{"webm", "video/webm"},
	};
	const char *slash = strrchr(path, '/'), *dot = strrchr(slash ? slash : path, '.');
	size_t i;

	for (i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (!ascii_casecmp_n(dot + 1, types[i][0], strlen(types[i][0]) + 1))
			return types[i][1];
	return NULL;
}

/* A name with no extension gets its type's ("report" of application/pdf:
 * "report.pdf"); one the type has none for stays as it is. */
static char *
name_with_type(char *name, const char *content_type)
{
	static const char *const exts[][2] = {
		{"text/html", "html"}, {"application/xhtml+xml", "xhtml"}, {"text/plain", "txt"},
		{"text/css", "css"}, {"text/javascript", "js"}, {"application/javascript", "js"},
		{"application/json", "json"}, {"application/xml", "xml"}, {"text/xml", "xml"},
		{"text/csv", "csv"}, {"image/svg+xml", "svg"}, {"image/png", "png"},
		{"image/jpeg", "jpg"}, {"image/gif", "gif"}, {"image/webp", "webp"},
		{"image/avif", "avif"}, {"application/pdf", "pdf"}, {"application/zip", "zip"},
		{"application/gzip", "gz"}, {"application/x-tar", "tar"}, {"audio/mpeg", "mp3"},
		{"audio/ogg", "ogg"}, {"video/mp4", "mp4"}, {"video/webm", "webm"},
	};
	const char *t, *dot = strrchr(name, '.');
	size_t i, n = content_type ? media_type(content_type, &t) : 0;
	char *out;

	if ((dot && dot != name) || !n)
		return name;
	for (i = 0; i < sizeof exts / sizeof exts[0]; i++)
		if (type_is(t, n, exts[i][0]) && strlen(name) + 6 <= NAME_MAX_BYTES) {
			out = xmalloc(strlen(name) + strlen(exts[i][1]) + 2);
			sprintf(out, "%s.%s", name, exts[i][1]);
			free(name);
			return out;
		}
	return name;
}

/* ---- the charset: which one, and the body as UTF-8 ---- */

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

/* A charset iconv can convert from (libxml2 uses iconv for all but a few). */
static int
charset_known(const char *name)
{
	iconv_t cd = iconv_open("UTF-8", name);

	if (cd == (iconv_t)-1)
		return 0;
	iconv_close(cd);
	return 1;
}

/* Converts with iconv; a byte it refuses becomes U+FFFD and it goes on.
 * Returns how many were replaced. */
static size_t
iconv_to_utf8(struct buf *out, const char *s, size_t n, const char *charset)
{
	iconv_t cd = iconv_open("UTF-8", charset);
	char *in = (char *)s;
	size_t inleft = n, bad = 0;

	if (cd == (iconv_t)-1)
		return utf8_sanitize(out, s, n);
	buf_reserve(out, n + n / 2 + 16);
	while (inleft) {
		char *o = out->data + out->len;
		size_t oleft = out->cap - out->len - 1, r;

		r = iconv(cd, &in, &inleft, &o, &oleft);
		out->len = (size_t)(o - out->data);
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG) {
			buf_reserve(out, inleft * 2 + 64);
		} else { /* EILSEQ, or EINVAL at the end: replace one byte */
			buf_add_utf8(out, 0xfffd);
			in++, inleft--, bad++;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	out->data[out->len] = '\0';
	iconv_close(cd);
	return bad;
}

/*
 * The body as valid UTF-8 without NUL, which is all libxml2 is given: its
 * own conversion ends the parse at the first byte the charset refuses
 * (libxml2 2.9.14), losing the rest of the page, and a NUL inside a tag
 * loses the tag. Returns 0 when the body already is such (no copy made).
 */
static int
body_to_utf8(struct buf *out, const char *body, size_t len, const char *charset,
	     size_t *replaced)
{
	if (!ascii_casecmp_n(charset, "UTF-8", 6)) {
		if (len >= 3 && !memcmp(body, "\xef\xbb\xbf", 3))
			body += 3, len -= 3;
		if (utf8_as_is(body, len))
			return 0;
		*replaced = utf8_sanitize(out, body, len);
		return 1;
	}
	if (!ascii_casecmp_n(charset, "UTF-32", 6) && len >= 4 &&
	    (!memcmp(body, "\xff\xfe\0\0", 4) || !memcmp(body, "\0\0\xfe\xff", 4)))
		body += 4, len -= 4;
	else if (!ascii_casecmp_n(charset, "UTF-16", 6) && len >= 2 &&
		 ((body[0] == '\xff' && body[1] == '\xfe') ||
		  (body[0] == '\xfe' && body[1] == '\xff')))
		body += 2, len -= 2;
	*replaced = iconv_to_utf8(out, body, len, charset);
	if (memchr(out->data, 0, out->len) || !utf8_valid(out->data, out->len)) {
		struct buf clean = {0};

		*replaced += utf8_sanitize(&clean, out->data, out->len);
		buf_free(out);
		*out = clean;
	}
	return 1;
}

/* Whether a charset reads ASCII as ASCII. UTF-16, UTF-32 and EBCDIC do
 * not: such a label on a page whose markup is ASCII is wrong, and read by
 * it the page would have no tags. (UTF-7 does, but no browser reads it.) */
static int
charset_ascii_compatible(const char *name)
{
	static const char probe[] = "<a href=\"x\">text</a>";
	struct buf out = {0};
	int ok;

	if (!ascii_casecmp_n(name, "UTF-7", 5) || !ascii_casecmp_n(name, "UTF7", 4))
		return 0;
	ok = iconv_to_utf8(&out, probe, sizeof probe - 1, name) == 0 &&
	     out.len == sizeof probe - 1 && !memcmp(out.data, probe, out.len);
	buf_free(&out);
	return ok;
}

/* UTF-16 text of mostly ASCII has a NUL in every other byte. */
static int
looks_utf16(const char *body, size_t len)
{
	size_t i, zeros = 0, n = len < 512 ? len : 512;

	for (i = 0; i < n; i++)
		zeros += body[i] == '\0';
	return n >= 8 && zeros * 4 >= n;
}

/* A body that is valid UTF-8 and not ASCII, which the declared charset
 * does not read without errors: the declaration is wrong (a page in UTF-8
 * that says gb2312). */
static int
utf8_not_declared(const char *body, size_t len, const char *declared)
{
	struct buf out = {0};
	size_t bad, i;

	for (i = 0; i < len && !(body[i] & 0x80); i++)
		;
	if (i == len || !ascii_casecmp_n(declared, "UTF-8", 6) || !utf8_as_is(body, len))
		return 0; /* ASCII reads the same in any of them */
	bad = iconv_to_utf8(&out, body, len, declared);
	buf_free(&out);
	return bad > 0;
}

/* The charset browsers read for a label (the encoding standard's table):
 * a superset of glibc's strict one, whose extra characters real pages use
 * (啰 in gb2312 pages, ‘’ in iso-8859-9 ones). */
static const char *
charset_superset(const char *cs)
{
	static const struct { const char *label, *name; } map[] = {
		{"gb2312", "GB18030"}, {"gbk", "GB18030"}, {"x-gbk", "GB18030"},
		{"csgb2312", "GB18030"}, {"chinese", "GB18030"}, {"iso-ir-58", "GB18030"},
		{"euc-kr", "CP949"}, {"ks_c_5601-1987", "CP949"}, {"korean", "CP949"},
		{"csksc56011987", "CP949"}, {"iso-ir-149", "CP949"}, {"ks_c_5601-1989", "CP949"},
		{"shift_jis", "CP932"}, {"sjis", "CP932"}, {"ms_kanji", "CP932"},
		{"x-sjis", "CP932"}, {"csshiftjis", "CP932"}, {"windows-31j", "CP932"},
		{"big5", "BIG5-HKSCS"}, {"cn-big5", "BIG5-HKSCS"}, {"x-x-big5", "BIG5-HKSCS"},
		{"csbig5", "BIG5-HKSCS"},
		{"iso-8859-9", "CP1254"}, {"iso8859-9", "CP1254"}, {"latin5", "CP1254"},
		{"l5", "CP1254"}, {"iso_8859-9", "CP1254"}, {"csisolatin5", "CP1254"},
		{"tis-620", "CP874"}, {"iso-8859-11", "CP874"}, {"iso8859-11", "CP874"},
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!ascii_casecmp_n(cs, map[i].label, strlen(map[i].label) + 1))
			return charset_known(map[i].name) ? map[i].name : cs;
	return cs;
}

/* Takes a declared label when it can be right for this body; says in
 * `from` why, or why not. */
static int
charset_take(const char *label, const char *where, const char *body, size_t len,
	     char *name, size_t namesz, char *from, size_t fromsz)
{
	const char *cs = charset_normalize(label);
	int utf16 = !ascii_casecmp_n(cs, "UTF-16", 6) || !ascii_casecmp_n(cs, "UTF16", 5);

	if (!*label || !charset_known(cs))
		return 0;
	if (utf16 && !strcmp(where, "<meta>")) { /* the HTML standard's rule */
		snprintf(name, namesz, "UTF-8");
		snprintf(from, fromsz, "<meta> says %s, which means UTF-8 there", label);
		return 1;
	}
	if (utf16 ? !looks_utf16(body, len) : !charset_ascii_compatible(cs)) {
		snprintf(from, fromsz, "%s says %s, but the bytes are not in it: ignored; ",
			 where, label);
		return 0;
	}
	if (utf8_not_declared(body, len, cs)) {
		snprintf(name, namesz, "UTF-8");
		snprintf(from, fromsz, "%s says %s, but the bytes are UTF-8", where, label);
		return 1;
	}
	snprintf(name, namesz, "%s", charset_superset(cs));
	snprintf(from, fromsz, "%s", !strcmp(where, "<meta>") ? "<meta> in the document" : where);
	return 1;
}

/* The charset decision: a byte-order mark, then the HTTP header, then the
 * document's <meta>, then UTF-8 — or windows-1252 when the body is not
 * valid UTF-8, as browsers fall back. A label that cannot be right for the
 * bytes is passed over, and `from` says so. */
static void
page_choose_charset(const char *body, size_t len, const char *header_charset,
		    char *name, size_t namesz, char *from, size_t fromsz)
{
	static const struct { const char *bom, *name; size_t n; } boms[] = {
		{"\xef\xbb\xbf", "UTF-8", 3}, {"\xff\xfe\0\0", "UTF-32LE", 4},
		{"\0\0\xfe\xff", "UTF-32BE", 4}, {"\xff\xfe", "UTF-16LE", 2},
		{"\xfe\xff", "UTF-16BE", 2},
	};
	char meta[64], skipped[400] = "";
	size_t i;

	from[0] = '\0';
	for (i = 0; i < sizeof boms / sizeof boms[0]; i++)
		if (len >= boms[i].n && !memcmp(body, boms[i].bom, boms[i].n)) {
			snprintf(name, namesz, "%s", boms[i].name);
			snprintf(from, fromsz, "byte-order mark");
			return;
		}
	if (header_charset && charset_take(header_charset, "HTTP header", body, len, name, namesz,
					 from, fromsz))
		return;
	snprintf(skipped, sizeof skipped, "%s", from);
	from[0] = '\0';
	if (charset_from_meta(body, len, meta, sizeof meta) &&
	    charset_take(meta, "<meta>", body, len, name, namesz, from, fromsz))
		return;
	if (from[0] == '\0')
		snprintf(from, fromsz, "%s", skipped);
	snprintf(name, namesz, utf8_valid(body, len) ? "UTF-8" : "windows-1252");
	i = strlen(from);
	snprintf(from + i, fromsz - i, "%s", utf8_valid(body, len)
		 ? "default" : "fallback: the body is not UTF-8");
}

/* ---- the attribute-bomb scan ---- */

/*
 * The attribute-bomb scan. libxml2 2.9.14 checks each attribute of a tag
 * against all before it: 11,000 in one tag take 0.25 s, and a page of such
 * tags minutes. Tags are read as htmlParseStartTag reads them: quoted values
 * skipped (a '>' or '=' in a value counts for nothing), a bogus attribute
 * name dropped to the next blank with no quote opened, comments and
 * declarations skipped, <script> and <style> text no tags (unless "/>"
 * closed them). The scan stops where a tag reaches its attribute
 * TAG_ATTRS + 1, and resumes there when more bytes come; a '<' too near the
 * end of what has come waits for more.
 */
enum scan_state {
	SC_TEXT, SC_LT, SC_NAME, SC_GAP, SC_ATTR, SC_AFTER, SC_EQ, SC_BARE, SC_QUOTED,
	SC_BOGUS,   /* what libxml2 drops up to a blank or '>': no quote opens there */
	SC_COMMENT, /* <!-- to --> */
	SC_DECL,    /* <!DOCTYPE, <?...?>, an end tag: to '>' */
};

struct tag_scan {
	size_t pos;             /* bytes looked at */
	int at_end;             /* the bytes end at len: nothing more will come */
	enum scan_state state;
	char quote;             /* in SC_QUOTED */
	int slash;              /* a '/' in a gap: "/>" closes the element at once */
	const char *raw;        /* "script" or "style" once such a tag ends: its text is no tags */
	const char *raw_next;   /* ... set while its start tag is read */
	size_t tag, attrs;      /* the open tag's '<' and its attributes so far */
	size_t cut;             /* where its attribute TAG_ATTRS + 1 begins */
};

static void
scan_tag_named(struct tag_scan *ts, const char *s, size_t i, size_t len)
{
	static const char *const raw[] = {"script", "style"};
	size_t k, n;

	ts->raw_next = NULL;
	for (k = 0; k < 2; k++) {
		n = strlen(raw[k]);
		if (i + n < len && !ascii_casecmp_n(s + i, raw[k], n) &&
		    (is_html_space((unsigned char)s[i + n]) || s[i + n] == '>' || s[i + n] == '/'))
			ts->raw_next = raw[k];
	}
}

/* Past the text of a <script> or <style>: at its "</name", or near len
 * (keeping what could be the start of one). */
static size_t
scan_raw_text(struct tag_scan *ts, const char *s, size_t i, size_t len)
{
	size_t n = strlen(ts->raw);
	const char *p;

	for (; (p = memchr(s + i, '<', len - i)); i = (size_t)(p - s) + 1) {
		if ((size_t)(p - s) + 2 + n > len)
			return (size_t)(p - s); /* wait for more */
		if (p[1] == '/' && !ascii_casecmp_n(p + 2, ts->raw, n)) {
			ts->raw = NULL;
			return (size_t)(p - s);
		}
	}
	return len;
}

/* A tag ends; "<script/>" has no text to skip (libxml2 closes it at once). */
static void
scan_tag_end(struct tag_scan *ts, int self_closed)
{
	ts->state = SC_TEXT;
	ts->raw = self_closed ? NULL : ts->raw_next;
	ts->raw_next = NULL;
	ts->slash = 0;
}

/* Text up to the next '<' (past a script's or style's, first). */
static size_t
scan_text(struct tag_scan *ts, const char *s, size_t i, size_t len)
{
	const char *q;

	if (ts->raw && (i = scan_raw_text(ts, s, i, len)) >= len)
		return len;
	if (ts->raw) /* "</scr" cut short: look again with more */
		return ts->pos = i, len;
	if (!(q = memchr(s + i, '<', len - i)))
		return len;
	ts->tag = (size_t)(q - s);
	ts->state = SC_LT;
	return ts->tag + 1;
}

/* Past the '<': a start tag, a comment, a declaration or an end tag. With
 * too few bytes to tell ("<scr", "<!-"), the scan waits at the '<'. */
static size_t
scan_lt(struct tag_scan *ts, const char *s, size_t i, size_t len)
{
	unsigned char c = (unsigned char)s[i];

	if (!ts->at_end && len - i < 8) {
		ts->state = SC_TEXT;
		return ts->pos = ts->tag, len;
	}
	ts->attrs = 0;
	ts->slash = 0;
	if (isalpha(c)) {
		ts->state = SC_NAME;
		scan_tag_named(ts, s, i, len);
	} else if (c == '!' && len - i >= 3 && s[i + 1] == '-' && s[i + 2] == '-') {
		ts->state = SC_COMMENT;
		return i + 3;
	} else if (c == '!' || c == '?' || c == '/') {
		ts->state = SC_DECL;
	} else if (c == '<') {
		ts->tag = i;
		return i + 1;
	} else {
		ts->state = SC_TEXT;
	}
	return i + 1;
}

/* To the end of a comment or a declaration. */
static size_t
scan_skip(struct tag_scan *ts, const char *s, size_t i, size_t len)
{
	const char *q;

	if (ts->state == SC_DECL) {
		if (!(q = memchr(s + i, '>', len - i)))
			return len;
		ts->state = SC_TEXT;
		return (size_t)(q - s) + 1;
	}
	for (q = s + i; (q = memchr(q, '>', len - (size_t)(q - s))); q++)
		if (q - s >= 2 && q[-1] == '-' && q[-2] == '-') {
			ts->state = SC_TEXT;
			return (size_t)(q - s) + 1;
		}
	return len;
}

static int
is_name_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c == ':' || c == '.';
}

static int
is_name_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == ':' || c == '.' || c == '-';
}

/* Between attributes, as libxml2's htmlParseStartTag reads them: a name
 * starts an attribute; any other byte starts what it drops. */
static void
scan_gap(struct tag_scan *ts, unsigned char c, size_t i)
{
	if (c == '>') {
		scan_tag_end(ts, ts->slash);
	} else if (c == '/') {
		ts->slash = 1;
	} else if (is_html_space(c)) {
		ts->slash = 0;
	} else if (is_name_start(c)) {
		ts->state = SC_ATTR;
		ts->slash = 0;
		if (++ts->attrs == TAG_ATTRS + 1)
			ts->cut = i;
	} else {
		ts->state = SC_BOGUS;
		ts->slash = 0;
	}
}

/* One step of the scan at s[i]; returns the index of the next byte. */
static size_t
scan_step(struct tag_scan *ts, const char *s, size_t i, size_t len)
{
	unsigned char c = (unsigned char)s[i];
	const char *q;
	int space = is_html_space(c);

	switch (ts->state) {
	case SC_TEXT:
		return scan_text(ts, s, i, len);
	case SC_LT:
		return scan_lt(ts, s, i, len);
	case SC_COMMENT:
	case SC_DECL:
		return scan_skip(ts, s, i, len);
	case SC_NAME:
	case SC_BOGUS:
		if (c == '>')
			scan_tag_end(ts, i > 0 && s[i - 1] == '/');
		else if (space || (c == '/' && ts->state == SC_NAME))
			ts->state = SC_GAP, ts->slash = c == '/';
		break;
	case SC_ATTR:
		if (c == '=')
			ts->state = SC_EQ;
		else if (space)
			ts->state = SC_AFTER;
		else if (!is_name_char(c))
			return ts->state = SC_GAP, i; /* ends the name: read again */
		break;
	case SC_AFTER:
		if (c == '=')
			ts->state = SC_EQ;
		else if (!space)
			return ts->state = SC_GAP, i;
		break;
	case SC_GAP:
		scan_gap(ts, c, i);
		break;
	case SC_EQ:
		if (c == '"' || c == '\'')
			ts->state = SC_QUOTED, ts->quote = (char)c;
		else if (c == '>')
			scan_tag_end(ts, 0);
		else if (!space)
			ts->state = SC_BARE;
		break;
	case SC_BARE:
		if (c == '>')
			scan_tag_end(ts, 0);
		else if (space)
			ts->state = SC_GAP;
		break;
	case SC_QUOTED:
		if (!(q = memchr(s + i, ts->quote, len - i)))
			return len;
		ts->state = SC_GAP;
		return (size_t)(q - s) + 1;
	}
	return i + 1;
}

/* Scans s up to len; returns 1 where a tag reaches attribute TAG_ATTRS + 1
 * (ts->tag, ts->cut say where), 0 at len. */
static int
tag_scan(struct tag_scan *ts, const char *s, size_t len)
{
	size_t i = ts->pos;

	ts->pos = len; /* unless scan_step() asks to look at a "</scr" again */
	while (i < len) {
		size_t was = ts->attrs;

		i = scan_step(ts, s, i, len);
		if (ts->attrs == TAG_ATTRS + 1 && was == TAG_ATTRS) {
			ts->pos = i;
			return 1;
		}
	}
	return 0;
}

/* Where the tag being scanned ends (its '>'), or len. */
static size_t
scan_to_tag_end(struct tag_scan *ts, const char *s, size_t len)
{
	size_t i = ts->pos;

	while (i < len && ts->state != SC_TEXT)
		i = scan_step(ts, s, i, len);
	ts->pos = i;
	return ts->state == SC_TEXT ? i - 1 : len;
}

#define SCAN_SLICE (1024 * 1024) /* a stop is heard between slices: 28 MB of tags take 0.3 s */

/* tag_scan() to len a slice at a time; -1 when a stop was asked. */
static int
tag_scan_until(struct tag_scan *ts, const char *s, size_t len, const atomic_int *cancel)
{
	size_t end;

	do {
		if (stop_asked(cancel))
			return -1;
		end = len - ts->pos > SCAN_SLICE ? ts->pos + SCAN_SLICE : len;
		ts->at_end = end == len;
		if (tag_scan(ts, s, end))
			return 1;
	} while (end < len);
	return 0;
}

/* Blanks every attribute past TAG_ATTRS of every tag (from the space before
 * the first one cut, so no attribute is cut in two); returns how many tags. */
static size_t
tags_trim(char *s, size_t len, const atomic_int *cancel)
{
	struct tag_scan ts = {0};
	size_t cut = 0, from, end;

	while (tag_scan_until(&ts, s, len, cancel) > 0) {
		from = ts.cut;
		end = scan_to_tag_end(&ts, s, len);
		memset(s + from, ' ', end - from);
		cut++;
	}
	return cut;
}

/* ---- the SAX pass: records, text, title, base ---- */

/* Whoever takes records while the parse is still going (--dump's writer):
 * start() before the parse (0: it will take them), final(n) as records
 * [0, n) stop changing, go(1) once they may be used, go(0) when they may
 * not (they are then the caller's, after the parse), moving(1) before the
 * array of records moves (it grows) and moving(0) after. */
struct records_sink {
	int (*start)(void *ctx, struct page *p);
	void (*final)(void *ctx, size_t n);
	void (*go)(void *ctx, int use);
	void (*moving)(void *ctx, int begin);
	void *ctx;
};

#define FINAL_BATCH 1024 /* records told final at a time */

struct parse_state {
	struct page *page;
	long anchor;          /* record of the open <a>, or -1 */
	struct buf text;      /* its text so far, whitespace collapsed */
	int text_space;
	int in_title, title_space;
	struct buf title;
	const char *base_raw; /* first <base href>, in the arena */
	const struct records_sink *sink;
	size_t told;          /* records the sink was told are final */
	htmlParserCtxtPtr ctxt;
	const atomic_int *cancel; /* set by another thread: stop (or NULL) */
	long end_tag_work;    /* open elements libxml2 looked through for stray end tags */
	size_t stray;         /* such end tags */
	size_t error_cost;    /* errors, weighted by what libxml2 does with them */
	int stopped;          /* xmlStopParser() was called */
};

/* A record's srcset descriptor, or NULL. */
static const char *
record_descriptor(const struct element *e)
{
	return e->rule->srcset ? e->extra : NULL;
}

/* A record's rel (a, area and link), or NULL. */
static const char *
record_rel(const struct element *e)
{
	return e->rule->srcset ? NULL : e->extra;
}

static void
page_add(struct parse_state *st, const struct rule *r, const char *raw, size_t n,
	 const char *text)
{
	struct page *p = st->page;
	struct element *e;

	if (p->n == p->cap) {
		if (st->sink)
			st->sink->moving(st->sink->ctx, 1);
		p->cap = p->cap ? p->cap * 2 : 64;
		p->el = xrealloc(p->el, p->cap * sizeof *p->el);
		if (st->sink)
			st->sink->moving(st->sink->ctx, 0);
	}
	e = &p->el[p->n++];
	e->rule = r;
	e->raw = arena_strndup(&p->arena, raw, n);
	e->url = NULL;
	e->text = text;
	e->extra = NULL;
	p->count[r->kind]++;
}

static const char *
attr_value(const xmlChar **atts, const char *name)
{
	for (; atts && atts[0]; atts += 2)
		if (!strcmp((const char *)atts[0], name))
			return atts[1] ? (const char *)atts[1] : "";
	return NULL;
}

/* An attribute's value in the page's arena, whitespace collapsed and cut
 * at TEXT_CAP bytes; ASCII in lower case with lower set. */
static const char *
page_collapsed(struct page *p, const char *t, int lower)
{
	struct buf b = {0};
	int space = 0;
	const char *s;
	size_t i;

	text_collapse_add(&b, t, strlen(t), &space, TEXT_CAP);
	utf8_trim_tail(&b);
	for (i = 0; lower && i < b.len; i++)
		b.data[i] = (char)tolower((unsigned char)b.data[i]);
	s = arena_strndup(&p->arena, b.data ? b.data : "", b.len);
	buf_free(&b);
	return s;
}

/* The text of a record that has no text content: alt for img and area,
 * otherwise title, else empty. */
static const char *
element_fallback_text(struct page *p, const char *tag, const xmlChar **atts)
{
	const char *t = NULL;

	if (!strcmp(tag, "img") || !strcmp(tag, "area"))
		t = attr_value(atts, "alt");
	if (!t || !*t)
		t = attr_value(atts, "title");
	return t ? page_collapsed(p, t, 0) : "";
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

/* Tells the sink which records are final: all before an <a> still open
 * (its text is not known yet), in batches; all of them once the parse ends. */
static void
records_final(struct parse_state *st, int all)
{
	size_t n = st->anchor >= 0 && !all ? (size_t)st->anchor : st->page->n;

	if (st->sink && (all || n >= st->told + FINAL_BATCH)) {
		st->told = n;
		st->sink->final(st->sink->ctx, n);
	}
}

static void
element_records(struct parse_state *st, const struct rule *r, const char *v)
{
	size_t pos = 0, start, len, n = strlen(v), d, dlen;

	if (!r->srcset) {
		page_add(st, r, v, n, "");
		return;
	}
	while (srcset_next(v, n, &pos, &start, &len)) {
		page_add(st, r, v + start, len, "");
		srcset_descriptor(v, start + len, pos, &d, &dlen);
		if (dlen)
			st->page->el[st->page->n - 1].extra =
				arena_strndup(&st->page->arena, v + d, dlen);
	}
}

/* strcmp() == 0, the first letters compared inline: most elements and
 * attributes of a page are named in no rule (measured on the 10 MB page:
 * 4.2 million strcmp calls from sax_start, 5% of --dump's instructions). */
static inline int
name_is(const char *a, const char *b)
{
	return a[0] == b[0] && !strcmp(a, b);
}

/* The rel of an a, area or link ("stylesheet", "nofollow noopener"): its
 * keywords, which HTML compares without case, in lower case; NULL when
 * there are none. */
static const char *
element_rel(struct page *p, const char *tag, const xmlChar **atts)
{
	const char *v = NULL;

	if (!name_is(tag, "a") && !name_is(tag, "link") && !name_is(tag, "area"))
		return NULL;
	for (; atts && atts[0] && !v; atts += 2) /* name_is: strcmp for few of them */
		if (name_is((const char *)atts[0], "rel"))
			v = atts[1] ? (const char *)atts[1] : "";
	v = v ? page_collapsed(p, v, 1) : NULL;
	return v && *v ? v : NULL;
}

/* The parse ends at the next callback (they come at least once a tag). */
static int
parse_stop_asked(struct parse_state *st)
{
	if (!stop_asked(st->cancel))
		return 0;
	if (!st->stopped)
		xmlStopParser(st->ctxt);
	st->stopped = 1;
	return 1;
}

/* Whether the parse keeps the page's id values (and a's name values):
 * set before a parse starts, when #fragments are to be checked. */
static atomic_int parse_ids;

/* What a #fragment may point at: an id, or the name of an <a>. */
static void
element_ids(struct page *p, const char *tag, const xmlChar **atts)
{
	const xmlChar **a;

	for (a = atts; a && a[0]; a += 2)
		if (a[1] && (name_is((const char *)a[0], "id") ||
			     (name_is((const char *)a[0], "name") && name_is(tag, "a"))))
			set_put(&p->ids, (const char *)a[1], strlen((const char *)a[1]), 0);
}

static void
sax_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	struct parse_state *st = ctx;
	const char *tag = (const char *)name;
	const xmlChar **a;
	size_t i, first = st->page->n;
	const struct rule *mine[NRULES + NLAZY_RULES];
	int matched = 0;

	if (parse_stop_asked(st))
		return;
	if (name_is(tag, "title") && !st->page->title)
		st->in_title = 1;
	else if (name_is(tag, "base") && !st->base_raw && attr_value(atts, "href"))
		st->base_raw = arena_strndup(&st->page->arena, attr_value(atts, "href"),
					     strlen(attr_value(atts, "href")));
	if (name_is(tag, "a"))
		anchor_close(st); /* <a> inside <a> closes the outer one */
	if (atomic_load(&parse_ids))
		element_ids(st->page, tag, atts);
	/* the rules of this tag, found once: each attribute is then compared
	 * with their attribute names only */
	for (i = 0; i < NRULES; i++)
		if (name_is(rules[i].tag, tag))
			mine[matched++] = &rules[i];
	/* "img" here and in rules[] is one string where the compiler merged
	 * them (gcc does): then no strcmp */
	for (i = 0; matched && i < NLAZY_RULES; i++)
		if (lazy_rules[i].tag == mine[0]->tag || name_is(lazy_rules[i].tag, tag))
			mine[matched++] = &lazy_rules[i];
	if (!matched || !atts)
		return;
	for (a = atts; a[0]; a += 2)
		for (i = 0; i < (size_t)matched; i++)
			if (a[1] && name_is(mine[i]->attr, (const char *)a[0]))
				element_records(st, mine[i], (const char *)a[1]);
	if (st->page->n > first) {
		const char *text = element_fallback_text(st->page, tag, atts);
		const char *rel = element_rel(st->page, tag, atts);

		for (i = first; i < st->page->n; i++) {
			st->page->el[i].text = text;
			if (!st->page->el[i].rule->srcset)
				st->page->el[i].extra = rel;
		}
		if (name_is(tag, "a"))
			st->anchor = (long)first;
		records_final(st, 0);
	}
}

static void
sax_end(void *ctx, const xmlChar *name)
{
	struct parse_state *st = ctx;

	if (name_is((const char *)name, "a")) {
		anchor_close(st);
		records_final(st, 0);
	} else if (name_is((const char *)name, "title"))
		st->in_title = 0;
}

static void
sax_characters(void *ctx, const xmlChar *ch, int len)
{
	struct parse_state *st = ctx;

	if (parse_stop_asked(st))
		return;
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
xml_quiet(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

/*
 * Two shapes make libxml2 2.9.14 look through every open element for each
 * tag: an end tag that closes none of them (htmlAutoCloseOnClose, then
 * htmlParseEndTag: 150,000 <b> and as many </i> took 50 s), and a <body>
 * inside a body (htmlParseStartTag). The errors it reports for them are
 * counted with the elements then open, and past END_TAG_WORK (about 0.2 s
 * of it) the parse is stopped, and says so. Other mismatches (an element
 * closed by a far end tag) cost one error each: linear, not counted.
 */
static int
costs_a_stack_scan(const xmlError *err)
{
	const char *m = err->message ? err->message : "";

	return (err->code == XML_ERR_TAG_NAME_MISMATCH && strstr(m, "Unexpected end tag")) ||
	       (err->code == XML_HTML_STRUCURE_ERROR && strstr(m, "misplaced <body>"));
}

static int
is_implied_close(const xmlError *err)
{
	return err->code == XML_ERR_TAG_NAME_MISMATCH && err->message &&
	       strstr(err->message, "Opening and ending tag mismatch");
}

/*
 * Each error costs libxml2 a formatted message and its copy (0.3 us), and
 * an element closed by another's end tag four times that: pages made of
 * them parsed at 6 to 13x the time of an ordinary one. Past ERRORS_FREE
 * plus one per ERRORS_PER bytes read, an implied close counted as four
 * errors (real pages: under one error per 125 bytes), the parse is
 * stopped, and says so.
 */
static int
error_flood(struct parse_state *st)
{
	const xmlParserInput *in = st->ctxt->input;
	size_t read = in ? (size_t)in->consumed + (size_t)(in->cur - in->base) : 0;

	if (st->error_cost <= ERRORS_FREE + read / ERRORS_PER || st->stopped)
		return 0;
	st->page->error_flood = st->page->errors;
	xmlStopParser(st->ctxt);
	st->stopped = 1;
	return 1;
}

static void
xml_error_seen(void *ctx, xmlErrorPtr err)
{
	struct parse_state *st = ctx;

	if (parse_stop_asked(st))
		return;
	st->page->errors++;
	st->error_cost += is_implied_close(err) ? 4 : 1;
	if (st->error_cost > ERRORS_FREE && error_flood(st))
		return;
	if (!costs_a_stack_scan(err))
		return;
	st->stray++;
	st->end_tag_work += st->ctxt->nameNr;
	if (st->end_tag_work > END_TAG_WORK && !st->stopped) {
		st->page->stray_end_tags = st->stray;
		xmlStopParser(st->ctxt);
		st->stopped = 1;
	}
}

/* An empty page read as charset, which `from` says where it came from. */
static struct page *
page_new(const char *charset, const char *from)
{
	struct page *p = xmalloc(sizeof *p);

	memset(p, 0, sizeof *p);
	p->charset_from = arena_strndup(&p->arena, from, strlen(from));
	p->charset = arena_strndup(&p->arena, charset, strlen(charset));
	return p;
}

/* Whether a guard stopped the parse (which then did not read to the end). */
static int
page_guard_stopped(const struct page *p)
{
	return p->stray_end_tags || p->error_flood;
}

static void
page_free(struct page *p)
{
	if (!p)
		return;
	arena_free(&p->arena);
	free(p->el);
	buf_free(&p->text);
	set_free(&p->ids);
	free(p->status);
	xmlFreeDoc(p->tree);
	free(p);
}

/* A parser context on a copy of body (released once copied). A static
 * input buffer, which would avoid the copy, crashed 2.9.14's HTML parser. */
static htmlParserCtxtPtr
ctxt_from_memory(const char *body, size_t len, struct buf *release)
{
	htmlParserCtxtPtr ctxt = htmlCreateMemoryParserCtxt(len ? body : " ",
							    len ? (int)len : 1);

	if (!ctxt)
		die("out of memory");
	buf_free(release);
	return ctxt;
}

/* The SAX pass over UTF-8 bytes; frees ctxt. */
static void
page_parse_as(struct page *p, htmlParserCtxtPtr ctxt, const struct records_sink *sink,
	      const atomic_int *cancel)
{
	xmlSAXHandler sax = {0};
	struct parse_state st = {.page = p, .anchor = -1, .sink = sink, .ctxt = ctxt,
				 .cancel = cancel};

	sax.startElement = sax_start;
	sax.endElement = sax_end;
	sax.characters = sax_characters;
	sax.ignorableWhitespace = sax_characters;
	sax.initialized = XML_SAX2_MAGIC; /* so errors reach sax.serror */
	sax.serror = xml_error_seen;
	memcpy(ctxt->sax, &sax, sizeof sax);
	ctxt->userData = &st;
	htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
				 HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
				 HTML_PARSE_IGNORE_ENC);
	/* The body is UTF-8 by now. Said so, 2.9.14 takes it as is; unsaid,
	 * it reads ISO-8859-1, and switching to its UTF-8 "converter" copies
	 * the page twice over (measured: 2x the page). IGNORE_ENC: no <meta>
	 * switches it. */
	ctxt->charset = XML_CHAR_ENCODING_UTF8;
	xmlSetGenericErrorFunc(NULL, xml_silent);
	xmlSetStructuredErrorFunc(&st, xml_error_seen);
	htmlParseDocument(ctxt);
	xmlSetStructuredErrorFunc(NULL, xml_quiet);
	/* in recover mode libxml2 stops early only on what it cannot get past
	 * (a name over 50,000 bytes, say): say so rather than look complete */
	p->partial = (ctxt->input && ctxt->input->cur && ctxt->input->end &&
		      ctxt->input->cur < ctxt->input->end) ||
		     (st.stopped && !p->stray_end_tags && !p->error_flood);
	anchor_close(&st);
	records_final(&st, 1);
	if (st.title.len) {
		utf8_trim_tail(&st.title);
		p->title = arena_strndup(&p->arena, st.title.data, st.title.len);
	}
	p->base = st.base_raw;
	htmlFreeParserCtxt(ctxt);
	buf_free(&st.text);
	buf_free(&st.title);
}

/* The document base: the first <base href> (itself resolved against the
 * URL), else the URL. Records are resolved after the parse, because a
 * <base> late in the document still applies to earlier links. */
static void
page_set_base(struct page *p, const char *url)
{
	const char *base = url;
	char *abs = NULL;
	struct uri b;

	if (p->base) {
		abs = url_resolve(url, p->base);
		uri_split(abs, strlen(abs), &b);
		if (scheme_is_http(b.scheme, b.scheme_len) && b.has_auth) {
			base = abs;
			p->base_from_page = 1;
		}
	}
	p->base = arena_strndup(&p->arena, base, strlen(base));
	free(abs);
}

/* Stores every record's absolute URL (the screen needs them at hand;
 * --dump resolves each as it prints it, and keeps none). */
static void
page_resolve(struct page *p)
{
	struct resolver r;
	size_t i;

	resolver_init(&r, p->base);
	for (i = 0; i < p->n; i++) {
		const char *u = resolver_url(&r, p->el[i].raw);

		p->el[i].url = arena_strndup(&p->arena, u, r.out.len);
	}
	resolver_free(&r);
}

/* The guard against attribute bombs, after the charset step. Returns 1
 * when p->text holds what libxml2 is to read (converted, or trimmed). */
static int
page_guard(struct page *p, const char *body, size_t len, const atomic_int *cancel)
{
	const char *b = p->text.data ? p->text.data : body;
	size_t n = p->text.data ? p->text.len : len;
	struct tag_scan ts = {0};

	if (tag_scan_until(&ts, b, n, cancel) <= 0) /* stopped: the parse stops too */
		return p->text.data != NULL;
	if (!p->text.data)
		buf_add(&p->text, body, len);
	p->trimmed = tags_trim(p->text.data, p->text.len, cancel);
	return 1;
}

/* A page for body: its charset chosen, the body converted to UTF-8 where
 * it is not (into p->text) and guarded against attribute bombs. *in_text
 * says whether libxml2 is to read p->text rather than body. */
static struct page *
page_prepare(const char *body, size_t len, const char *header_charset,
	     const atomic_int *cancel, int *in_text)
{
	char name[64], from[400];
	struct page *p;

	page_choose_charset(body, len, header_charset, name, sizeof name, from, sizeof from);
	p = page_new(name, from);
	if (len)
		body_to_utf8(&p->text, body, len, name, &p->replaced);
	*in_text = len == 0 || page_guard(p, body, len, cancel);
	return p;
}

/* Parses a body the screen keeps: converted to UTF-8 first where it is not
 * already (the converted text stays in p->text, for the Source pane). It
 * stops early when *cancel is set (by the screen's thread). */
static struct page *
page_parse(const char *body, size_t len, const char *url, const char *header_charset,
	   const atomic_int *cancel)
{
	int in_text;
	struct page *p = page_prepare(body, len, header_charset, cancel, &in_text);

	if (in_text) {
		page_parse_as(p, ctxt_from_memory(p->text.data, p->text.len, NULL), NULL,
			      cancel);
	} else {
		page_parse_as(p, ctxt_from_memory(body, len, NULL), NULL, cancel);
		p->src = body; /* for the tree, if a query asks for one */
		p->src_len = len;
	}
	page_set_base(p, url);
	return p;
}

/* A page for a body that is not parsed (body_kind() says why): no
 * records. Text is converted to UTF-8 for the Source pane (when body is
 * given); other bytes are not looked at. */
static struct page *
page_unparsed(const char *body, size_t len, const char *url, enum body_kind kind,
	      const char *header_charset)
{
	char name[64] = "", from[400] = "not read: not text";
	struct page *p;

	if (kind == BODY_TEXT && body)
		page_choose_charset(body, len, header_charset, name, sizeof name, from,
				    sizeof from);
	p = page_new(name, from);
	p->body = kind;
	if (kind == BODY_TEXT && body && len)
		body_to_utf8(&p->text, body, len, name, &p->replaced);
	page_set_base(p, url);
	return p;
}

/* ==== query: libxml2 only — a page's tree, CSS and XPath expressions, their rows ==== */

/*
 * An expression is a selector, optionally followed by fields in braces, as
 * a CSS rule by its declarations: `table tr { td::text, a::attr(href) }`.
 * The selector is XPath when it starts with "/", "./", "(" or "xpath:",
 * else CSS ("css:" says so), translated to XPath; libxml2 evaluates both,
 * on a tree of the page built on first use and kept with it. The SAX pass
 * stays the records' way: a tree costs about 11x the page.
 */

#define QUERY_FIELDS_MAX 32


enum field_kind { FK_TEXT, FK_HTML, FK_XPATH, FK_ATTR, FK_URL, FK_SELECT };

struct query_field {
	enum field_kind kind;
	char *name;                 /* as written */
	char *attr;                 /* FK_ATTR's name, in lower case */
	xmlXPathCompExprPtr comp;   /* FK_SELECT's, relative to the row's node */
};

/* What --dump's rows of an expression can see of the tree, so that the
 * rest need not be built: a tree is about 11 times its page, most of it
 * text and attributes a selector such as `a::attr(href)` never reads. A
 * translated CSS selector sees element names, the attributes it names, and
 * text only through ::text and :empty; a typed XPath may see anything. */
struct tree_needs {
	int text;                   /* text nodes (then comments too, which part them) */
	int attrs;                  /* every attribute */
	struct buf names;           /* else those named, " href class " */
	int rows_are_attrs;         /* every group of the selector ends in ::attr() */
};

struct query {
	char *xpath;                /* the selector, as XPath */
	xmlXPathCompExprPtr comp;
	size_t sel_at;              /* where the selector starts in the expression */
	struct query_field *f;
	size_t nf;
	int cells_only;             /* rows without paths, URLs and nodes (--dump) */
	struct tree_needs needs;    /* of those rows */
};

struct query_error {
	size_t offset;              /* the byte of the expression, as typed, at fault */
	char msg[160];
};

/* What an expression found: one row per match, one column per field
 * ("value" without fields). Cells are UTF-8 as the tree holds it, not yet
 * made safe: each writer passes them through buf_add_safe(). */
struct query_rows {
	size_t nrows, ncols;
	char **names;   /* ncols: each field as written; "value" without fields */
	char **cells;   /* nrows * ncols, row by row */
	char **paths;   /* nrows: the node's xmlGetNodePath(), or NULL for a scalar */
	char **urls;    /* nrows: the `url` field, or the node's first href, src,
			   data or poster resolved against the page base; or NULL */
	char **nodes;   /* nrows: an element's tag and attributes, `a href="/x"`,
			   else NULL */
	int cut;        /* evaluation stopped at the work bound */
	size_t cap;
};

/* ---- the tree ---- */

/* An xmlChar string libxml2 allocated, as a malloc'd one (NULL: ""). */
static char *
xml_take(xmlChar *s)
{
	char *c = xstrdup(s ? (const char *)s : "");

	xmlFree(s);
	return c;
}

/* Notes that the attribute name is read (names are in lower case: the
 * parser's are). */
static void
needs_attr(struct tree_needs *n, const char *name)
{
	size_t i;

	if (strpbrk(name, " \t\n\f\r") || strlen(name) > 256) {
		n->attrs = 1; /* no attribute of the parser's is so named: keep all */
		return;
	}
	if (!n->names.len)
		buf_addc(&n->names, ' ');
	for (i = 0; name[i]; i++)
		buf_addc(&n->names, (char)tolower((unsigned char)name[i]));
	buf_addc(&n->names, ' ');
}

static int
needs_has_attr(const struct tree_needs *n, const char *name)
{
	char key[260];
	size_t len = strlen(name);

	if (n->attrs || len > 256)
		return 1;
	if (!n->names.len)
		return 0;
	key[0] = ' ';
	memcpy(key + 1, name, len);
	key[len + 1] = ' ';
	key[len + 2] = '\0';
	return strstr(n->names.data, key) != NULL;
}

static void
needs_merge(struct tree_needs *to, const struct tree_needs *from)
{
	to->text |= from->text;
	to->attrs |= from->attrs;
	if (from->names.len && to->names.len) /* both start and end with a space */
		buf_add(&to->names, from->names.data + 1, from->names.len - 1);
	else if (from->names.len)
		buf_add(&to->names, from->names.data, from->names.len);
}

/* What the tree's parse saw on its way: the first <title> and the first
 * <base href>, which the SAX pass would have told (see tree_facts()); and
 * libxml2's own handlers, which build the tree, for what needs keeps. */
struct tree_seen {
	const struct tree_needs *needs; /* NULL: the whole tree */
	startElementSAXFunc start;
	endElementSAXFunc end;
	charactersSAXFunc characters;
	cdataBlockSAXFunc cdata;
	commentSAXFunc comment;
	processingInstructionSAXFunc pi;
	xmlNodePtr title, base;
	int in_title;               /* the first <title> is open */
	const xmlChar **kept;       /* the attributes passed on */
	size_t kept_cap;
};

/* The attributes of an element the tree keeps: those the expressions
 * read, and all of a <base> (the page's base URL is read from it). */
static const xmlChar **
tree_kept_atts(struct tree_seen *ts, const xmlChar *name, const xmlChar **atts)
{
	size_t i, n = 0;

	if (!ts->needs || ts->needs->attrs || !atts || !strcmp((const char *)name, "base"))
		return atts;
	for (i = 0; atts[i]; i += 2) {
		if (!needs_has_attr(ts->needs, (const char *)atts[i]))
			continue;
		if (n + 3 > ts->kept_cap) {
			ts->kept_cap = ts->kept_cap ? ts->kept_cap * 2 : 16;
			ts->kept = xrealloc(ts->kept, ts->kept_cap * sizeof *ts->kept);
		}
		ts->kept[n++] = atts[i];
		ts->kept[n++] = atts[i + 1];
	}
	if (!n)
		return NULL;
	ts->kept[n] = NULL;
	return ts->kept;
}

/* Whether text here goes into the tree: when the expressions read text,
 * and in the first <title> (the page's title is read from it). */
static int
tree_keeps_text(void *ctx)
{
	const struct tree_seen *ts = ((htmlParserCtxtPtr)ctx)->_private;

	return !ts->needs || ts->needs->text || ts->in_title;
}

/* An element's end (libxml2 ends those it closes for the markup too). */
static void
tree_end(void *ctx, const xmlChar *name)
{
	htmlParserCtxtPtr ctxt = ctx;
	struct tree_seen *ts = ctxt->_private;

	if (ts->in_title && ctxt->node == ts->title)
		ts->in_title = 0;
	ts->end(ctx, name);
}

static void
tree_characters(void *ctx, const xmlChar *s, int len)
{
	if (tree_keeps_text(ctx))
		((struct tree_seen *)((htmlParserCtxtPtr)ctx)->_private)->characters(ctx, s, len);
}

static void
tree_cdata(void *ctx, const xmlChar *s, int len)
{
	if (tree_keeps_text(ctx))
		((struct tree_seen *)((htmlParserCtxtPtr)ctx)->_private)->cdata(ctx, s, len);
}

/* Comments and processing instructions go with the text: a comment dropped
 * between two texts would make them one text node. */
static void
tree_comment(void *ctx, const xmlChar *value)
{
	const struct tree_seen *ts = ((htmlParserCtxtPtr)ctx)->_private;

	if (ts->needs->text)
		ts->comment(ctx, value);
}

static void
tree_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	const struct tree_seen *ts = ((htmlParserCtxtPtr)ctx)->_private;

	if (ts->needs->text)
		ts->pi(ctx, target, data);
}

static void
tree_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	htmlParserCtxtPtr ctxt = ctx;
	struct tree_seen *ts = ctxt->_private;
	size_t i;

	ts->start(ctx, name, tree_kept_atts(ts, name, atts));
	if (!ts->title && name[0] == 't' && !strcmp((const char *)name, "title"))
		ts->in_title = (ts->title = ctxt->node) != NULL;
	if (ts->base || name[0] != 'b' || strcmp((const char *)name, "base"))
		return;
	for (i = 0; atts && atts[i]; i += 2)
		if (!strcmp((const char *)atts[i], "href") && atts[i + 1])
			ts->base = ctxt->node;
}

/* The title and base of a page without records, as the SAX pass makes
 * them: the first title's text, whitespace collapsed, cut at TEXT_CAP. */
static void
tree_facts(struct page *p, const struct tree_seen *ts)
{
	struct buf b = {0};
	xmlChar *s;
	int space = 0;

	if (ts->title && (s = xmlNodeGetContent(ts->title))) {
		text_collapse_add(&b, (const char *)s, strlen((const char *)s), &space, TEXT_CAP);
		utf8_trim_tail(&b);
		if (b.len)
			p->title = arena_strndup(&p->arena, b.data, b.len);
		xmlFree(s);
	}
	if (ts->base && (s = xmlGetProp(ts->base, (const xmlChar *)"href"))) {
		p->base = arena_strndup(&p->arena, (const char *)s, strlen((const char *)s));
		xmlFree(s);
	}
	buf_free(&b);
}

/* Puts the filters of needs (NULL: none) between the parser and
 * libxml2's tree builder. */
static void
tree_filter(htmlParserCtxtPtr ctxt, struct tree_seen *ts, const struct tree_needs *needs)
{
	xmlSAXHandlerPtr sax = ctxt->sax; /* the context's own copy */

	memset(ts, 0, sizeof *ts);
	ts->start = sax->startElement;
	sax->startElement = tree_start;
	ctxt->_private = ts; /* the application's field */
	if (!needs || (needs->text && needs->attrs))
		return;
	ts->needs = needs;
	ts->end = sax->endElement;
	sax->endElement = tree_end;
	ts->characters = sax->characters;
	ts->cdata = sax->cdataBlock;
	ts->comment = sax->comment;
	ts->pi = sax->processingInstruction;
	if (ts->characters)
		sax->characters = tree_characters;
	if (ts->cdata)
		sax->cdataBlock = tree_cdata;
	if (ts->comment)
		sax->comment = tree_comment;
	if (ts->pi)
		sax->processingInstruction = tree_pi;
}

/* The tree parse, with the guards of the SAX pass (an error flood, stray
 * end tags: see xml_error_seen()); frees ctxt. facts: set the page's
 * title and base (it has no records that did). needs: what of the tree
 * to build (NULL: all of it). */
static xmlDocPtr
tree_parse(struct page *p, htmlParserCtxtPtr ctxt, int facts, const struct tree_needs *needs)
{
	struct page seen;
	struct parse_state st = {.page = &seen, .anchor = -1, .ctxt = ctxt};
	struct tree_seen ts;
	xmlDocPtr doc;

	memset(&seen, 0, sizeof seen);
	htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
				 HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
				 HTML_PARSE_IGNORE_ENC | HTML_PARSE_COMPACT);
	/* the tree builder stops the whole parse past 256 levels of nesting
	 * (the records' SAX pass builds no nodes, so has no such limit); the
	 * HTML options have no name for XML's HUGE, which allows 2048 */
	ctxt->options |= XML_PARSE_HUGE;
	ctxt->charset = XML_CHAR_ENCODING_UTF8; /* as page_parse_as() says why */
	ctxt->dictNames = 1; /* names, and short text, kept once in the dictionary */
	tree_filter(ctxt, &ts, needs);
	xmlSetGenericErrorFunc(NULL, xml_silent);
	xmlSetStructuredErrorFunc(&st, xml_error_seen);
	htmlParseDocument(ctxt);
	xmlSetStructuredErrorFunc(NULL, xml_quiet);
	p->tree_cut = page_guard_stopped(&seen) || st.stopped || ctxt->disableSAX;
	if (facts)
		tree_facts(p, &ts);
	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	htmlFreeParserCtxt(ctxt);
	free(ts.kept);
	return doc;
}

/* The page's tree, built on first use from the UTF-8 text its records
 * were parsed from; NULL for a body that is not HTML. */
static xmlDocPtr
page_tree(struct page *p)
{
	const char *s = p->text.len ? p->text.data : p->src;
	size_t n = p->text.len ? p->text.len : p->src_len;

	if (p->tree || p->body != BODY_HTML)
		return p->tree;
	if (!s)
		s = "", n = 0;
	if (n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		s += 3, n -= 3;
	p->tree = tree_parse(p, ctxt_from_memory(s, n, NULL), 0, NULL);
	return p->tree;
}

/* Lets the tree go (a page the screen keeps for back: 3 to 11 times the
 * page each); a query there builds it again. */
static void
page_tree_drop(struct page *p)
{
	xmlFreeDoc(p->tree);
	p->tree = NULL;
}

/* ---- the expression ---- */

static void
query_fail(struct query_error *err, size_t offset, const char *fmt, ...)
{
	va_list ap;

	err->offset = offset;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
}

/* The first XPath error libxml2 reports (to us, not to stderr). */
struct xpath_seen {
	int code;               /* 0: none */
	int offset;             /* in the expression compiled */
	char msg[120];
};

/* libxml2's words for its XPath errors (2.9.14 reports only the number
 * to a context's handler), by xmlXPathError. */
static const char *const xpath_errors[] = {
	"no error", "a number is malformed", "a string literal is not closed",
	"a string literal is expected", "a $variable is expected", "an undefined variable",
	"a predicate is invalid", "an expression is invalid", "a ] or ) is missing",
	"an unknown function", "an operand is invalid", "a value of the wrong type",
	"a function has the wrong number of arguments", "the context size is invalid",
	"the context position is invalid", "out of memory", "a syntax error",
	"a resource error", "a resource error", "an undefined namespace prefix",
	"an encoding error", "a character outside XML", "the context is invalid",
	"the expression is too deep", "variables are not allowed",
	"the work bound was reached", "the expression is nested too deep",
};

static void
xpath_error_seen(void *ctx, xmlErrorPtr e)
{
	struct xpath_seen *seen = ctx;
	int k = e ? e->code - XML_XPATH_EXPRESSION_OK : -1;

	if (seen->code || !e)
		return;
	seen->code = e->code ? e->code : -1;
	seen->offset = e->int1;
	snprintf(seen->msg, sizeof seen->msg, "%s",
		 k > 0 && k < (int)(sizeof xpath_errors / sizeof xpath_errors[0])
			 ? xpath_errors[k] : "an XPath error");
}

static xmlXPathContextPtr
xpath_context(xmlDocPtr doc, struct xpath_seen *seen)
{
	xmlXPathContextPtr x = xmlXPathNewContext(doc);

	if (!x)
		die("out of memory");
	xmlSetGenericErrorFunc(NULL, xml_silent); /* some reach only this one */
	memset(seen, 0, sizeof *seen);
	x->error = xpath_error_seen;
	x->userData = seen;
	return x;
}

/* Compiles XPath xp; an error is placed at typed plus libxml2's offset
 * (typed: where xp was typed in the expression), or at `at` (xp is a
 * translation). */
static xmlXPathCompExprPtr
xpath_compile(const char *xp, size_t at, size_t typed, struct query_error *err)
{
	struct xpath_seen seen;
	xmlXPathContextPtr x = xpath_context(NULL, &seen);
	xmlXPathCompExprPtr comp = xmlXPathCtxtCompile(x, (const xmlChar *)xp);

	xmlXPathFreeContext(x);
	if (comp && !seen.code)
		return comp;
	xmlXPathFreeCompExpr(comp);
	if (typed != SIZE_MAX)
		at = typed + (seen.offset > 0 ? (size_t)seen.offset : 0);
	query_fail(err, at, "%s", seen.code ? seen.msg : "invalid XPath");
	return NULL;
}

static int
is_space_byte(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The bytes [*a, *b) of s without the blanks around them. */
static void
trim_span(const char *s, size_t *a, size_t *b)
{
	while (*a < *b && is_space_byte(s[*a]))
		(*a)++;
	while (*b > *a && is_space_byte(s[*b - 1]))
		(*b)--;
}

/* Whether s starts as XPath's function call ("count(//a)") or axis
 * ("descendant::a"), which no CSS selector does. */
static int
xpath_call_or_axis(const char *s, size_t n)
{
	static const char *const axes[] = {
		"ancestor", "ancestor-or-self", "attribute", "child", "descendant",
		"descendant-or-self", "following", "following-sibling", "namespace",
		"parent", "preceding", "preceding-sibling", "self",
	};
	size_t i = 0, k;

	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_'))
		i++;
	if (i == 0 || i == n)
		return 0;
	if (s[i] == '(')
		return 1;
	if (n - i < 2 || s[i] != ':' || s[i + 1] != ':')
		return 0;
	for (k = 0; k < sizeof axes / sizeof axes[0]; k++)
		if (strlen(axes[k]) == i && !strncmp(s, axes[k], i))
			return 1;
	return 0;
}

/* Whether a selector is XPath: by its prefix, or how it starts.
 * *skip: the prefix's length. */
static int
selector_is_xpath(const char *s, size_t n, size_t *skip)
{
	*skip = 0;
	if (n >= 6 && !strncmp(s, "xpath:", 6)) {
		*skip = 6;
		return 1;
	}
	if (n >= 4 && !strncmp(s, "css:", 4)) {
		*skip = 4;
		return 0;
	}
	return n && (s[0] == '/' || s[0] == '(' || (n >= 2 && s[0] == '.' && s[1] == '/') ||
		     xpath_call_or_axis(s, n));
}

/* ---- CSS as XPath ---- */

/* Whether XPath (XML) can hold the character: its Char production. */
static int
xml_char_ok(uint32_t c)
{
	return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
	       (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

/* The first byte of s[a..b) that is not valid UTF-8 or not a character
 * XPath can hold, or b. */
static size_t
xpath_text_bad(const char *s, size_t a, size_t b)
{
	uint32_t c;
	size_t n;

	for (; a < b; a += n) {
		n = utf8_decode((const unsigned char *)s + a, b - a, &c);
		if ((c == 0xfffd && n == 1) || !xml_char_ok(c))
			return a;
	}
	return b;
}

/*
 * The translation follows cssselect's (what parsel and scrapy users know),
 * with parsel's ::text and ::attr(name): a selector starts from
 * "descendant-or-self::", a compound is a name test and its conditions in
 * one predicate, class, id and attribute tests read as cssselect writes
 * them, and so do the structural pseudo-classes. Two steps are written in
 * a shorter form with the same matches, which libxml2 evaluates faster:
 * the descendant combinator "A B" is "A//B" (cssselect: a
 * descendant-or-self::* step, then a child step), and "A + B" is
 * "A/following-sibling::*[1][self::b]" (cssselect: a name() and a
 * position() test). Names are in lower case: libxml2's HTML parser makes
 * tags and attributes so.
 */

/* Where the translator is in the expression, and what it has made. */
struct css {
	const char *s;
	size_t i, end;              /* the next byte, and the selector's end */
	struct query_error *err;
	int failed;
	struct tree_needs *needs;   /* what the XPath made looks at */
	int ends_in_attr;           /* the selector ended in ::attr() */
};

/* One compound selector: its name test and its conditions, in XPath. */
struct css_step {
	struct buf name;            /* "a", "*" */
	struct buf cond;            /* "" or the predicate's inside */
};

static int
css_fail(struct css *c, size_t at, const char *msg)
{
	if (!c->failed)
		query_fail(c->err, at, "%s", msg);
	c->failed = 1;
	return -1;
}

static int
css_at(const struct css *c, char ch)
{
	return c->i < c->end && c->s[c->i] == ch;
}

/* Skips blanks; whether there were some. */
static int
css_blank(struct css *c)
{
	size_t was = c->i;

	while (c->i < c->end && is_space_byte(c->s[c->i]))
		c->i++;
	return c->i > was;
}

static int
css_name_char(unsigned char ch)
{
	return isalnum(ch) || ch == '-' || ch == '_' || ch >= 0x80;
}

/* A backslash escape at c->i (past the backslash): a code point in hex
 * and one blank after it, or the character itself. */
static int
css_escape(struct css *c, struct buf *out)
{
	uint32_t cp = 0;
	size_t n = 0, at = c->i - 1; /* the backslash */

	if (c->i >= c->end || c->s[c->i] == '\n')
		return css_fail(c, c->i, "an escape is cut short");
	while (n < 6 && c->i < c->end && isxdigit((unsigned char)c->s[c->i])) {
		char h = c->s[c->i++];

		cp = cp * 16 + (uint32_t)(isdigit((unsigned char)h) ? h - '0' : (h | 32) - 'a' + 10);
		n++;
	}
	if (!n) {
		buf_addc(out, c->s[c->i++]);
		return 0;
	}
	if (c->i < c->end && is_space_byte(c->s[c->i]))
		c->i++;
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (!xml_char_ok(cp))
		return css_fail(c, at, "an escape of a character XPath cannot hold");
	buf_add_utf8(out, cp);
	return 0;
}

/* A CSS identifier (escapes decoded) into out; lower case when asked. */
static int
css_ident(struct css *c, struct buf *out, int lower)
{
	size_t start = c->i;

	out->len = 0;
	buf_adds(out, "");
	if (css_at(c, '-'))
		buf_addc(out, c->s[c->i++]);
	if (c->i < c->end && isdigit((unsigned char)c->s[c->i]))
		return css_fail(c, c->i, "a name may not start with a digit");
	while (c->i < c->end && (css_name_char((unsigned char)c->s[c->i]) || c->s[c->i] == '\\')) {
		if (c->s[c->i] == '\\') {
			c->i++;
			if (css_escape(c, out) < 0)
				return -1;
			continue;
		}
		buf_addc(out, lower ? (char)tolower((unsigned char)c->s[c->i]) : c->s[c->i]);
		c->i++;
	}
	if (out->len == 0 || (out->len == 1 && out->data[0] == '-' && c->i == start + 1))
		return css_fail(c, start, "a name is expected");
	return 0;
}

/* A quoted string, escapes decoded, into out. */
static int
css_string(struct css *c, struct buf *out)
{
	char q = c->s[c->i];
	size_t start = c->i++;

	out->len = 0;
	buf_adds(out, "");
	while (c->i < c->end && c->s[c->i] != q) {
		if (c->s[c->i] == '\\') {
			c->i++;
			if (c->i < c->end && c->s[c->i] == '\n') {
				c->i++; /* an escaped newline continues the string */
				continue;
			}
			if (css_escape(c, out) < 0)
				return -1;
			continue;
		}
		buf_addc(out, c->s[c->i++]);
	}
	if (c->i >= c->end)
		return css_fail(c, start, "a quote is not closed");
	c->i++;
	return 0;
}

/* s as an XPath string literal: in the quotes it lacks, else concat(). */
static void
xpath_literal(struct buf *out, const char *s)
{
	const char *q;

	if (!strchr(s, '\'')) {
		buf_addf(out, "'%s'", s);
		return;
	}
	if (!strchr(s, '"')) {
		buf_addf(out, "\"%s\"", s);
		return;
	}
	buf_adds(out, "concat(");
	for (; (q = strchr(s, '\'')); s = q + 1) {
		buf_addf(out, "'%.*s',\"'\",", (int)(q - s), s);
	}
	buf_addf(out, "'%s')", s);
}

/* Whether s may stand as a name in XPath, an NCName (what an HTML name
 * holds otherwise is matched through name()). */
static int
xpath_name_ok(const char *s)
{
	return xmlValidateNCName((const xmlChar *)s, 0) == 0;
}

/* Adds a condition to a step's, as cssselect joins them. */
static void
step_cond(struct css_step *st, const char *fmt, ...)
{
	struct buf x = {0};
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&x, fmt, ap);
	va_end(ap);
	if (!st->cond.len) {
		buf_add(&st->cond, x.data, x.len);
	} else {
		struct buf both = {0};

		buf_addf(&both, "(%s) and (%s)", st->cond.data, x.data);
		buf_free(&st->cond);
		st->cond = both;
	}
	buf_free(&x);
}

/* @name, or @*[name() = '...'] for a name XPath cannot write. */
static void
attr_ref(struct buf *out, const char *name)
{
	if (xpath_name_ok(name)) {
		buf_addf(out, "@%s", name);
		return;
	}
	buf_adds(out, "@*[name() = ");
	xpath_literal(out, name);
	buf_addc(out, ']');
}

/* The condition of [name OP value], as cssselect writes it. */
static void
attrib_cond(struct css_step *st, const char *name, const char *op, const char *v)
{
	struct buf a = {0}, lit = {0}, x = {0};
	size_t n = strlen(v);

	attr_ref(&a, name);
	if (!*op) {
		step_cond(st, "%s", a.data);
		goto out;
	}
	if (!strcmp(op, "~=") && (!n || strpbrk(v, " \t\n\r\f"))) {
		step_cond(st, "0");
		goto out;
	}
	if (!n && strcmp(op, "=") && strcmp(op, "|=")) {
		step_cond(st, "0"); /* ^=, $=, *= with "" match nothing */
		goto out;
	}
	if (!strcmp(op, "~=")) {
		buf_addf(&x, " %s ", v);
		v = x.data;
	} else if (!strcmp(op, "|=")) {
		buf_addf(&x, "%s-", v);
	}
	xpath_literal(&lit, v);
	if (!strcmp(op, "="))
		step_cond(st, "%s = %s", a.data, lit.data);
	else if (!strcmp(op, "~="))
		step_cond(st, "%s and contains(concat(' ', normalize-space(%s), ' '), %s)",
			  a.data, a.data, lit.data);
	else if (!strcmp(op, "|=")) {
		struct buf dash = {0};

		xpath_literal(&dash, x.data);
		step_cond(st, "%s and (%s = %s or starts-with(%s, %s))", a.data, a.data, lit.data,
			  a.data, dash.data);
		buf_free(&dash);
	} else if (!strcmp(op, "^="))
		step_cond(st, "%s and starts-with(%s, %s)", a.data, a.data, lit.data);
	else if (!strcmp(op, "$="))
		step_cond(st, "%s and substring(%s, string-length(%s)-%zu) = %s", a.data, a.data,
			  a.data, n - 1, lit.data);
	else
		step_cond(st, "%s and contains(%s, %s)", a.data, a.data, lit.data);
out:
	buf_free(&a);
	buf_free(&lit);
	buf_free(&x);
}

/* [name], [name=value], [name~=value] ... at c->i (past the "["). */
static int
css_attrib(struct css *c, struct css_step *st)
{
	static const char *const ops[] = {"~=", "|=", "^=", "$=", "*=", "="};
	struct buf name = {0}, v = {0};
	const char *op = "";
	size_t k;
	int rc = -1;

	css_blank(c);
	if (css_ident(c, &name, 1) < 0)
		goto out;
	css_blank(c);
	for (k = 0; k < sizeof ops / sizeof ops[0] && !*op; k++)
		if (c->end - c->i >= strlen(ops[k]) && !strncmp(c->s + c->i, ops[k], strlen(ops[k])))
			op = ops[k];
	c->i += strlen(op);
	if (*op) {
		css_blank(c);
		if (css_at(c, '"') || css_at(c, '\'') ? css_string(c, &v) < 0
						       : css_ident(c, &v, 0) < 0)
			goto out;
		css_blank(c);
	}
	if (!css_at(c, ']')) {
		css_fail(c, c->i, *op ? "a ] is expected" : "an operator or a ] is expected");
		goto out;
	}
	c->i++;
	attrib_cond(st, name.data, op, v.data ? v.data : "");
	needs_attr(c->needs, name.data);
	rc = 0;
out:
	buf_free(&name);
	buf_free(&v);
	return rc;
}

/* Optional sign and digits, exactly s[0..n); a sign alone (or nothing)
 * is 1 or -1 when bare is set. */
static int
nth_number(const char *s, size_t n, int bare, long *v)
{
	size_t i = 0;
	int neg = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i == n) {
		*v = neg ? -1 : 1;
		return bare ? 0 : -1;
	}
	for (*v = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]) || *v > 100000000)
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	if (neg)
		*v = -*v;
	return 0;
}

/* An+B ("odd", "even", "3", "-n+2", "2n + 1"), blanks taken out. */
static int
nth_parse(const char *w, long *a, long *b)
{
	const char *n = strchr(w, 'n');

	*a = *b = 0;
	if (!strcmp(w, "odd") || !strcmp(w, "even")) {
		*a = 2;
		*b = w[0] == 'o';
		return 0;
	}
	if (!n)
		return *w ? nth_number(w, strlen(w), 0, b) : -1;
	if (nth_number(w, (size_t)(n - w), 1, a) < 0)
		return -1;
	if (!n[1])
		return 0;
	return (n[1] == '+' || n[1] == '-') && n[2] ? nth_number(n + 1, strlen(n + 1), 0, b) : -1;
}

/* The An+B of :nth-child() and the like, at c->i, with its ")". */
static int
css_nth(struct css *c, long *a, long *b)
{
	struct buf w = {0};
	size_t start = c->i;
	int rc;

	for (; c->i < c->end && c->s[c->i] != ')'; c->i++)
		if (!is_space_byte(c->s[c->i]))
			buf_addc(&w, (char)tolower((unsigned char)c->s[c->i]));
	buf_adds(&w, "");
	rc = nth_parse(w.data, a, b);
	buf_free(&w);
	if (c->i >= c->end)
		return css_fail(c, c->i, "a ) is missing");
	if (rc < 0)
		return css_fail(c, start, "An+B is expected (odd, even, 3, 2n+1)");
	c->i++;
	return 0;
}

/* :nth-child(a n + b) and its kin, as cssselect 1.2 writes them: the
 * siblings before (or after, last) number a n + b - 1. */
static void
nth_cond(struct css_step *st, long a, long b, int last, const char *test)
{
	struct buf count = {0}, e1 = {0}, e2 = {0};
	long b1 = b - 1, bneg = ((-(b - 1)) % labs(a ? a : 1) + labs(a ? a : 1)) % labs(a ? a : 1);

	if (a == 1 && b1 <= 0)
		return;
	if (a < 0 && b1 < 0) {
		step_cond(st, "0");
		return;
	}
	buf_addf(&count, "count(%s-sibling::%s)", last ? "following" : "preceding", test);
	if (a == 0) {
		step_cond(st, "%s = %ld", count.data, b1);
		buf_free(&count);
		return;
	}
	if (a < 0 || b1 > 0)
		buf_addf(&e1, "%s %s %ld", count.data, a > 0 ? ">=" : "<=", b1);
	if (labs(a) != 1 && bneg) /* bneg: -(b - 1) modulo |a|, as Python's */
		buf_addf(&e2, "(%s +%ld) mod %ld = 0", count.data, bneg, a);
	else if (labs(a) != 1)
		buf_addf(&e2, "%s mod %ld = 0", count.data, a);
	if (e1.len && e2.len)
		step_cond(st, "(%s) and (%s)", e1.data, e2.data);
	else
		step_cond(st, "%s", e1.len ? e1.data : e2.data);
	buf_free(&count);
	buf_free(&e1);
	buf_free(&e2);
}

/* The pseudo-classes without arguments, as cssselect writes them; %s is
 * the element's name (the -of-type ones need one). */
static const char *const css_plain[][2] = {
	{"first-child", "count(preceding-sibling::*) = 0"},
	{"last-child", "count(following-sibling::*) = 0"},
	{"only-child", "count(parent::*/child::*) = 1"},
	{"first-of-type", "count(preceding-sibling::%s) = 0"},
	{"last-of-type", "count(following-sibling::%s) = 0"},
	{"only-of-type", "count(parent::*/child::%s) = 1"},
	{"empty", "not(*) and not(string-length())"},
	{"root", "not(parent::*)"},
};

static const char *const css_nths[] = {"nth-child", "nth-last-child", "nth-of-type",
				       "nth-last-of-type"};

static int css_compound(struct css *c, struct css_step *st, int negated);

/* :not(compound): cssselect's not(), the name test made a condition. */
static int
css_not(struct css *c, struct css_step *st)
{
	struct css_step in = {{0}, {0}};
	int rc;

	css_blank(c);
	rc = css_compound(c, &in, 1);
	css_blank(c);
	if (rc == 0 && !css_at(c, ')'))
		rc = css_fail(c, c->i, "a ) is expected");
	if (rc == 0) {
		c->i++;
		if (strcmp(in.name.data, "*")) {
			struct css_step named = {{0}, {0}};
			struct buf lit = {0};

			xpath_literal(&lit, in.name.data);
			step_cond(&named, "name() = %s", lit.data);
			if (in.cond.len)
				step_cond(&named, "%s", in.cond.data);
			step_cond(st, "not(%s)", named.cond.data);
			buf_free(&named.cond);
			buf_free(&lit);
		} else {
			step_cond(st, in.cond.len ? "not(%s)" : "0", in.cond.data);
		}
	}
	buf_free(&in.name);
	buf_free(&in.cond);
	return rc;
}

/* A pseudo-class at c->i (past its ":"). */
static int
css_pseudo(struct css *c, struct css_step *st, int negated)
{
	struct buf name = {0};
	size_t start = c->i, k;
	long a, b;
	int rc = -1;

	if (css_ident(c, &name, 1) < 0)
		goto out;
	for (k = 0; k < sizeof css_plain / sizeof css_plain[0]; k++)
		if (!strcmp(name.data, css_plain[k][0]) && !css_at(c, '(')) {
			if (strstr(css_plain[k][1], "%s") && !strcmp(st->name.data, "*")) {
				css_fail(c, start, "an -of-type pseudo-class needs a tag name");
				goto out;
			}
			step_cond(st, css_plain[k][1], st->name.data);
			c->needs->text |= strstr(css_plain[k][1], "string-length") != NULL;
			rc = 0;
			goto out;
		}
	if (!css_at(c, '(')) {
		css_fail(c, start, "an unknown pseudo-class");
		goto out;
	}
	c->i++;
	if (!strcmp(name.data, "not")) {
		rc = negated ? css_fail(c, start, ":not() inside :not()") : css_not(c, st);
		goto out;
	}
	for (k = 0; k < sizeof css_nths / sizeof css_nths[0]; k++)
		if (!strcmp(name.data, css_nths[k]))
			break;
	if (k == sizeof css_nths / sizeof css_nths[0]) {
		css_fail(c, start, "an unknown pseudo-class");
		goto out;
	}
	if (k >= 2 && !strcmp(st->name.data, "*")) {
		css_fail(c, start, "an -of-type pseudo-class needs a tag name");
		goto out;
	}
	if ((rc = css_nth(c, &a, &b)) == 0)
		nth_cond(st, a, b, k % 2, k >= 2 ? st->name.data : "*");
out:
	buf_free(&name);
	return rc;
}

/* The name test of a compound: a tag name, "*", or none (then "*"). */
static int
css_type(struct css *c, struct css_step *st)
{
	struct buf lit = {0};

	buf_adds(&st->name, "");
	if (css_at(c, '*')) {
		c->i++;
		buf_adds(&st->name, "*");
		return 1;
	}
	if (c->i >= c->end || !(css_name_char((unsigned char)c->s[c->i]) || css_at(c, '\\')))
		return buf_adds(&st->name, "*"), 0;
	if (css_ident(c, &st->name, 1) < 0)
		return -1;
	if (!xpath_name_ok(st->name.data)) {
		xpath_literal(&lit, st->name.data);
		step_cond(st, "name() = %s", lit.data);
		st->name.len = 0;
		buf_adds(&st->name, "*");
		buf_free(&lit);
	}
	return 1;
}

/* A compound selector: a name test, then #id, .class, [attr] and
 * :pseudo-classes; 0, or -1 with the error set. */
static int
css_compound(struct css *c, struct css_step *st, int negated)
{
	struct buf v = {0}, lit = {0};
	size_t start = c->i;
	int any = css_type(c, st), rc = 0;

	for (; any >= 0 && rc == 0 && c->i < c->end; any = 1) {
		char ch = c->s[c->i];

		if (ch == ':' && c->i + 1 < c->end && c->s[c->i + 1] == ':')
			break; /* a pseudo-element: the selector's */
		if (ch != '#' && ch != '.' && ch != '[' && ch != ':')
			break;
		c->i++;
		if (ch == '[') {
			rc = css_attrib(c, st);
		} else if (ch == ':') {
			rc = css_pseudo(c, st, negated);
		} else if ((rc = css_ident(c, &v, 0)) == 0) {
			lit.len = 0;
			if (ch == '.') { /* padded, as cssselect's ~= */
				struct buf pad = {0};

				buf_addf(&pad, " %s ", v.data);
				buf_free(&v);
				v = pad;
			}
			xpath_literal(&lit, v.data);
			needs_attr(c->needs, ch == '#' ? "id" : "class");
			if (ch == '#')
				step_cond(st, "@id = %s", lit.data);
			else
				step_cond(st, "@class and contains(concat(' ', normalize-space(@class),"
					  " ' '), %s)", lit.data);
		}
	}
	buf_free(&v);
	buf_free(&lit);
	if (any < 0 || rc < 0)
		return -1;
	if (!any && c->i == start)
		return css_fail(c, start, "a selector is expected");
	return 0;
}

/* ::attr(name) at c->i (past "attr"); 0, or -1 with the error set. */
static int
css_attr_element(struct css *c, struct buf *out)
{
	struct buf name = {0};
	int rc = -1;

	c->i++;
	css_blank(c);
	if (css_ident(c, &name, 1) < 0)
		goto out;
	css_blank(c);
	if (!css_at(c, ')')) {
		css_fail(c, c->i, "a ) is expected");
		goto out;
	}
	c->i++;
	if (out->len > 3 && !strcmp(out->data + out->len - 3, "//*"))
		out->len -= 2;
	buf_addc(out, '/');
	attr_ref(out, name.data);
	needs_attr(c->needs, name.data);
	c->ends_in_attr = 1;
	rc = 0;
out:
	buf_free(&name);
	return rc;
}

/* ::text or ::attr(name) at c->i (past the "::"), applied to the XPath
 * of its selector as parsel does: a bare descendant step becomes the
 * text nodes or the attributes of every descendant. */
static int
css_pseudo_element(struct css *c, struct buf *out)
{
	struct buf name = {0};
	size_t start = c->i;
	int rc = -1;

	if (css_ident(c, &name, 1) < 0)
		goto out;
	if (!strcmp(name.data, "text") && !css_at(c, '(')) {
		if (out->len > 3 && !strcmp(out->data + out->len - 3, "//*"))
			out->len--, buf_adds(out, "text()");
		else if (!strcmp(out->data, "descendant-or-self::*"))
			out->len--, buf_adds(out, "text()");
		else
			buf_adds(out, "/text()");
		c->needs->text = 1;
		rc = 0;
	} else if (!strcmp(name.data, "attr") && css_at(c, '(')) {
		rc = css_attr_element(c, out);
	} else {
		css_fail(c, start, "::text or ::attr(name) is expected");
	}
out:
	buf_free(&name);
	return rc;
}

/* Appends a compound's step; comb: the combinator before it (0: none). */
static void
step_out(struct buf *out, const struct css_step *st, char comb)
{
	if (comb == ' ')
		buf_adds(out, "//");
	else if (comb == '>')
		buf_adds(out, "/");
	else if (comb == '~')
		buf_adds(out, "/following-sibling::");
	if (comb == '+') {
		buf_adds(out, "/following-sibling::*[1]");
		if (strcmp(st->name.data, "*"))
			buf_addf(out, "[self::%s]", st->name.data);
	} else {
		buf_adds(out, st->name.data);
	}
	if (st->cond.len)
		buf_addf(out, "[%s]", st->cond.data);
}

/* One selector of a group, up to its end, its "," or its pseudo-element. */
static int
css_selector(struct css *c, struct buf *out)
{
	struct css_step st;
	char comb = 0;
	int blank;

	buf_adds(out, "descendant-or-self::");
	for (;;) {
		memset(&st, 0, sizeof st);
		if (c->i + 1 < c->end && !strncmp(c->s + c->i, "::", 2))
			buf_adds(&st.name, "*"); /* a pseudo-element alone */
		else if (css_compound(c, &st, 0) < 0)
			return buf_free(&st.name), buf_free(&st.cond), -1;
		step_out(out, &st, comb);
		buf_free(&st.name);
		buf_free(&st.cond);
		if (c->i + 1 < c->end && !strncmp(c->s + c->i, "::", 2)) {
			c->i += 2;
			return css_pseudo_element(c, out);
		}
		blank = css_blank(c);
		if (c->i >= c->end || css_at(c, ','))
			return 0;
		if (css_at(c, '>') || css_at(c, '+') || css_at(c, '~'))
			comb = c->s[c->i++];
		else if (blank)
			comb = ' ';
		else
			return css_fail(c, c->i, "an unexpected character");
		css_blank(c);
		if (c->i >= c->end || css_at(c, ','))
			return css_fail(c, c->i, "a selector is expected after the combinator");
	}
}

/* CSS s[a..b) as XPath, malloc'd; NULL with err set at the byte at fault. */
static char *
css_to_xpath(const char *s, size_t a, size_t b, struct tree_needs *needs,
	     struct query_error *err)
{
	struct tree_needs unused = {0};
	struct css c = {.s = s, .i = a, .end = b, .err = err, .needs = needs ? needs : &unused};
	struct buf out = {0};
	size_t bad = xpath_text_bad(s, a, b);
	int all_attrs = 1;

	if (bad < b) {
		css_fail(&c, bad, "invalid UTF-8, or a character XPath cannot hold");
		return NULL;
	}
	for (;;) {
		css_blank(&c);
		if (c.i >= c.end || css_at(&c, ',')) {
			css_fail(&c, c.i, "a selector is expected");
			break;
		}
		c.ends_in_attr = 0;
		if (css_selector(&c, &out) < 0)
			break;
		all_attrs &= c.ends_in_attr;
		css_blank(&c);
		if (c.i >= c.end) {
			c.needs->rows_are_attrs = all_attrs;
			buf_free(&unused.names);
			return out.data;
		}
		if (!css_at(&c, ',')) {
			css_fail(&c, c.i, "a , or the end is expected after a pseudo-element");
			break;
		}
		c.i++;
		buf_adds(&out, " | ");
	}
	buf_free(&out);
	buf_free(&unused.names);
	return NULL;
}

/* A selector (s[a..b) of the expression) as XPath, malloc'd; NULL with
 * err set. *typed: where XPath as typed starts, or SIZE_MAX (translated).
 * needs: what the XPath reads is added there. */
static char *
selector_xpath(const char *s, size_t a, size_t b, size_t *typed, struct tree_needs *needs,
	       struct query_error *err)
{
	size_t skip;
	int xp;

	trim_span(s, &a, &b);
	if (a == b) {
		query_fail(err, a, "a selector is missing");
		return NULL;
	}
	xp = selector_is_xpath(s + a, b - a, &skip);
	a += skip;
	trim_span(s, &a, &b);
	if (a == b) {
		query_fail(err, a, "a selector is missing");
		return NULL;
	}
	*typed = xp ? a : SIZE_MAX;
	if (xp) {
		needs->text = needs->attrs = 1; /* XPath may read anything */
		return xstrndup(s + a, b - a);
	}
	return css_to_xpath(s, a, b, needs, err);
}

/* Where the next `stop` byte is in s[i..n) outside quotes, parentheses and
 * brackets (n: none). *open: an unclosed quote's offset, or n. */
static size_t
scan_to(const char *s, size_t i, size_t n, char stop, size_t *open)
{
	char quote = 0;
	size_t depth = 0, qat = n;

	for (; i < n; i++) {
		char c = s[i];

		if (quote) {
			if (c == quote)
				quote = 0;
			continue;
		}
		if (c == '"' || c == '\'')
			quote = c, qat = i;
		else if (c == stop && (!depth || stop != ','))
			break; /* a brace occurs in neither CSS nor XPath */
		else if (c == '(' || c == '[')
			depth++;
		else if ((c == ')' || c == ']') && depth)
			depth--;
	}
	*open = quote ? qat : n;
	return i;
}

static const char *const field_words[] = {"text", "html", "xpath", "@", "url"};

/* Where a row's URL comes from: its element's first of these. */
static const char *const url_attrs[] = {"href", "src", "data", "poster"};

/* What a field's cell reads of the node, into n. */
static void
field_needs(const struct query_field *f, struct tree_needs *n)
{
	size_t i;

	if (f->kind == FK_TEXT || f->kind == FK_HTML)
		n->text = 1;
	if (f->kind == FK_HTML)
		n->attrs = 1;
	if (f->kind == FK_ATTR)
		needs_attr(n, f->attr);
	for (i = 0; f->kind == FK_URL && i < sizeof url_attrs / sizeof url_attrs[0]; i++)
		needs_attr(n, url_attrs[i]);
}

/* One field, s[a..b) of the expression; 0, or -1 with err set. needs:
 * what its cell reads is added there. */
static int
field_compile(struct query_field *f, const char *s, size_t a, size_t b,
	      struct tree_needs *needs, struct query_error *err)
{
	struct tree_needs sel = {0};
	size_t i, typed;
	char *xp;

	trim_span(s, &a, &b);
	if (a == b) {
		query_fail(err, a, "a field is missing");
		return -1;
	}
	f->name = xstrndup(s + a, b - a);
	for (i = 0; i < sizeof field_words / sizeof field_words[0]; i++)
		if (i != FK_ATTR && !strcmp(f->name, field_words[i])) {
			f->kind = (enum field_kind)i;
			field_needs(f, needs);
			return 0;
		}
	if (s[a] == '@') {
		f->kind = FK_ATTR;
		for (i = a + 1; i < b && (isalnum((unsigned char)s[i]) ||
					  strchr("-_:.", s[i]) || (unsigned char)s[i] >= 0x80); i++)
			;
		if (i == a + 1 || i < b) {
			query_fail(err, i, "an attribute name is expected");
			return -1;
		}
		f->attr = xstrndup(s + a + 1, b - a - 1);
		for (i = 0; f->attr[i]; i++)
			f->attr[i] = (char)tolower((unsigned char)f->attr[i]);
		field_needs(f, needs);
		return 0;
	}
	f->kind = FK_SELECT;
	xp = selector_xpath(s, a, b, &typed, &sel, err);
	sel.text |= !sel.rows_are_attrs; /* the cell: the first match's text */
	needs_merge(needs, &sel);
	buf_free(&sel.names);
	if (!xp)
		return -1;
	f->comp = xpath_compile(xp, a, typed, err);
	free(xp);
	return f->comp ? 0 : -1;
}

static void
query_free(struct query *q)
{
	size_t i;

	if (!q)
		return;
	for (i = 0; i < q->nf; i++) {
		free(q->f[i].name);
		free(q->f[i].attr);
		xmlXPathFreeCompExpr(q->f[i].comp);
	}
	free(q->f);
	free(q->xpath);
	xmlXPathFreeCompExpr(q->comp);
	buf_free(&q->needs.names);
	free(q);
}

/* The fields in s[a..b), after the "{"; 0, or -1 with err set. */
static int
query_fields(struct query *q, const char *s, size_t a, size_t b, struct query_error *err)
{
	size_t open, end;

	q->f = xmalloc(QUERY_FIELDS_MAX * sizeof *q->f);
	memset(q->f, 0, QUERY_FIELDS_MAX * sizeof *q->f);
	for (;;) {
		end = scan_to(s, a, b, ',', &open);
		if (open < b) {
			query_fail(err, open, "a quote is not closed");
			return -1;
		}
		if (q->nf == QUERY_FIELDS_MAX) {
			query_fail(err, a, "more than %d fields", QUERY_FIELDS_MAX);
			return -1;
		}
		if (field_compile(&q->f[q->nf++], s, a, end, &q->needs, err) < 0)
			return -1;
		if (end == b)
			return 0;
		a = end + 1;
	}
}

/* Compiles an expression: a selector, then optionally "{ FIELD, ... }";
 * NULL with err set (err->offset: the byte at fault, as typed). */
static struct query *
query_compile(const char *expr, struct query_error *err)
{
	struct query *q = xmalloc(sizeof *q);
	size_t n = strlen(expr), open, brace, close, typed, a;

	memset(q, 0, sizeof *q);
	memset(err, 0, sizeof *err);
	brace = scan_to(expr, 0, n, '{', &open);
	if (open < brace) {
		query_fail(err, open, "a quote is not closed");
		goto fail;
	}
	if (!(q->xpath = selector_xpath(expr, 0, brace, &typed, &q->needs, err)))
		goto fail;
	a = 0;
	trim_span(expr, &a, &brace);
	q->sel_at = a;
	if (!(q->comp = xpath_compile(q->xpath, a, typed, err)))
		goto fail;
	brace = scan_to(expr, 0, n, '{', &open);
	if (brace == n) {
		q->needs.text |= !q->needs.rows_are_attrs; /* a row without fields: the text */
		return q;
	}
	close = scan_to(expr, brace + 1, n, '}', &open);
	if (close == n) {
		query_fail(err, n, "a closing } is missing");
		goto fail;
	}
	for (a = close + 1; a < n && is_space_byte(expr[a]); a++)
		;
	if (a < n) {
		query_fail(err, a, "nothing may follow the fields' }");
		goto fail;
	}
	if (query_fields(q, expr, brace + 1, close, err) == 0)
		return q;
fail:
	query_free(q);
	return NULL;
}

/* ---- the rows ---- */

/*
 * libxml2 2.9.14 counts an evaluation's steps against opLimit, not the
 * nodes it merges, each set into the last one by one: every element
 * under every div of a 2 MB page took 50 s and a handful of operations.
 * So an evaluation with a time bound runs in a child process
 * (a fork: the tree is already there), which sends its rows down a pipe
 * as it makes them and is killed when the time is up; the rows that came
 * are kept. Without a bound it runs here. Either way rows travel as bytes:
 * 'R' and the row's strings, then 'D' (done) or 'E' (an error), each
 * string a 4-byte length (UINT32_MAX: NULL) and its bytes.
 */

#define QUERY_FLUSH 65536

#define QUERY_ROWS_MAX (256L * 1024 * 1024) /* bytes of rows kept at most */

/* What one evaluation has at hand. */
struct query_eval {
	const struct query *q;
	xmlDocPtr doc;
	xmlXPathContextPtr x;
	struct xpath_seen seen;
	struct resolver r;
	struct buf wire;            /* rows made, as sent */
	int fd;                     /* the pipe to the parent, or -1 */
};

static void
wire_str(struct buf *w, const char *s)
{
	uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;

	buf_add(w, &n, sizeof n);
	if (s)
		buf_add(w, s, n);
}

/* Takes a string off the wire at *at: 1, 0 when it has not all come. */
static int
wire_get(const struct buf *w, size_t *at, char **s)
{
	uint32_t n;

	if (w->len - *at < sizeof n)
		return 0;
	memcpy(&n, w->data + *at, sizeof n);
	if (n == UINT32_MAX) {
		*s = NULL;
		*at += sizeof n;
		return 1;
	}
	if (w->len - *at - sizeof n < n)
		return 0;
	*s = xstrndup(w->data + *at + sizeof n, n);
	*at += sizeof n + n;
	return 1;
}

/* In the child, rows go to the parent as they are made; a parent gone
 * (killed the time, or a reader that stopped) ends the child. */
static void
wire_flush(struct query_eval *e, size_t threshold)
{
	if (e->fd < 0 || e->wire.len < threshold)
		return;
	if (write_all(e->fd, e->wire.data, e->wire.len) < 0)
		_exit(0);
	e->wire.len = 0;
}

/* Whether two siblings count together in a path: the same type (text
 * and CDATA alike), and for an element or a PI the same name. */
static int
step_same(const xmlNode *a, const xmlNode *b)
{
	int ta = a->type == XML_CDATA_SECTION_NODE ? XML_TEXT_NODE : (int)a->type;
	int tb = b->type == XML_CDATA_SECTION_NODE ? XML_TEXT_NODE : (int)b->type;

	if (ta != tb)
		return 0;
	return (ta != XML_ELEMENT_NODE && ta != XML_PI_NODE) ||
	       !strcmp((const char *)a->name, (const char *)b->name);
}

static size_t
step_hash(const xmlNode *n)
{
	const unsigned char *s = n->name;
	size_t h = n->type == XML_CDATA_SECTION_NODE ? XML_TEXT_NODE : n->type;

	if ((n->type == XML_ELEMENT_NODE || n->type == XML_PI_NODE) && s)
		while (*s)
			h = h * 31 + *s++;
	return h;
}

/* The steps of every child of parent (see node_step() below): an open
 * table of each kind's first and last child. */
static void
steps_index(xmlNode *parent)
{
	size_t nkids = 0, cap, h, i;
	xmlNode *c, **first, **last;

	for (c = parent->children; c; c = c->next)
		nkids++;
	for (cap = 16; cap < nkids * 2; cap *= 2)
		;
	first = xmalloc(cap * sizeof *first);
	last = xmalloc(cap * sizeof *last);
	memset(first, 0, cap * sizeof *first);
	for (c = parent->children; c; c = c->next) {
		for (h = step_hash(c) & (cap - 1); first[h] && !step_same(first[h], c);
		     h = (h + 1) & (cap - 1))
			;
		if (!first[h]) {
			first[h] = c;
			c->_private = (void *)(uintptr_t)2;
		} else {
			c->_private = (void *)(((uintptr_t)last[h]->_private | 1) + 2);
		}
		last[h] = c;
	}
	for (i = 0; i < cap; i++)
		if (first[i] && first[i] != last[i])
			first[i]->_private = (void *)((uintptr_t)first[i]->_private | 1);
	free(first);
	free(last);
}

/* The step of n in its path, memoised: n's index among its parent's
 * children of its name and type, times two, plus one when there are
 * others. Kept in _private, the tree's field for applications, and made
 * for all the parent's children at once: xmlGetNodePath() looks through
 * every sibling of every step, which made 20,000 rows take 17 s. */
static uintptr_t
node_step(xmlNode *n)
{
	if (!n->_private && n->parent)
		steps_index(n->parent);
	return (uintptr_t)n->_private;
}

/* A node's XPath, as xmlGetNodePath() writes it, in one pass. */
static char *
node_path(xmlNode *n)
{
	struct buf b = {0}, step = {0};
	xmlNode *at;

	if (n->type == XML_DOCUMENT_NODE || n->type == XML_HTML_DOCUMENT_NODE)
		return xstrdup("/");
	buf_adds(&b, "");
	for (at = n; at && at->type != XML_DOCUMENT_NODE && at->type != XML_HTML_DOCUMENT_NODE;
	     at = at->parent) {
		uintptr_t s = at->type == XML_ATTRIBUTE_NODE ? 0 : node_step(at);

		step.len = 0;
		if (at->type == XML_ELEMENT_NODE)
			buf_addf(&step, "/%s", (const char *)at->name);
		else if (at->type == XML_ATTRIBUTE_NODE)
			buf_addf(&step, "/@%s", (const char *)at->name);
		else if (at->type == XML_TEXT_NODE || at->type == XML_CDATA_SECTION_NODE)
			buf_adds(&step, "/text()");
		else if (at->type == XML_COMMENT_NODE)
			buf_adds(&step, "/comment()");
		else if (at->type == XML_PI_NODE)
			buf_addf(&step, "/processing-instruction('%s')", (const char *)at->name);
		else
			buf_adds(&step, "/node()");
		if (s & 1)
			buf_addf(&step, "[%zu]", (size_t)(s >> 1));
		buf_add(&step, b.data, b.len); /* prepended: the path is made upwards */
		b.len = 0;
		buf_add(&b, step.data, step.len);
	}
	buf_free(&step);
	return b.data;
}

/* A node's text: an element's with whitespace collapsed (the `text`
 * field), an attribute's or a text node's as it is. */
static char *
node_text(const xmlNode *n)
{
	xmlChar *raw = xmlNodeGetContent(n);
	struct buf b = {0};
	int space = 0;

	if (n->type != XML_ELEMENT_NODE && n->type != XML_DOCUMENT_NODE &&
	    n->type != XML_HTML_DOCUMENT_NODE)
		return xml_take(raw);
	buf_adds(&b, "");
	if (raw)
		text_collapse_add(&b, (const char *)raw, strlen((const char *)raw), &space,
				  SIZE_MAX);
	xmlFree(raw);
	return b.data;
}

/* A node serialised as HTML (an attribute: name="value"). */
static char *
node_html(xmlDocPtr doc, xmlNode *n)
{
	xmlBufferPtr b;
	char *s;

	if (n->type == XML_ATTRIBUTE_NODE) {
		struct buf a = {0};
		char *v = node_text(n);

		buf_addf(&a, "%s=\"%s\"", (const char *)n->name, v);
		free(v);
		return a.data;
	}
	if (!(b = xmlBufferCreate()))
		die("out of memory");
	htmlNodeDump(b, doc, n);
	s = xstrdup((const char *)xmlBufferContent(b));
	xmlBufferFree(b);
	return s;
}

/* The row's URL: its element's first href, src, data or poster (or the
 * attribute itself, when it is one), resolved; NULL when none. */
static char *
node_url(xmlNode *n, struct resolver *r)
{
	xmlChar *v = NULL;
	size_t i;
	char *u;

	for (i = 0; i < sizeof url_attrs / sizeof url_attrs[0] && !v; i++) {
		if (n->type == XML_ELEMENT_NODE)
			v = xmlGetProp(n, (const xmlChar *)url_attrs[i]);
		else if (n->type == XML_ATTRIBUTE_NODE &&
			 !strcmp((const char *)n->name, url_attrs[i]))
			v = xmlNodeGetContent(n);
	}
	if (!v)
		return NULL;
	u = xstrdup(resolver_url(r, (const char *)v));
	xmlFree(v);
	return u;
}

/* An element as `tag name="value" ...`, for a row without fields. */
static char *
node_label(const xmlNode *n)
{
	struct buf b = {0};
	const xmlAttr *a;

	if (n->type != XML_ELEMENT_NODE)
		return NULL;
	buf_adds(&b, (const char *)n->name);
	for (a = n->properties; a; a = a->next) {
		xmlChar *v = xmlNodeGetContent((const xmlNode *)a);

		buf_addf(&b, " %s=\"%s\"", (const char *)a->name, v ? (const char *)v : "");
		xmlFree(v);
	}
	return b.data;
}

/* An XPath result as one string: the first node's (text collapsed for an
 * element), or the scalar's. */
static char *
result_string(xmlXPathObjectPtr res)
{
	if (!res)
		return xstrdup("");
	if (res->type == XPATH_NODESET)
		return res->nodesetval && res->nodesetval->nodeNr
			       ? node_text(res->nodesetval->nodeTab[0]) : xstrdup("");
	return xml_take(xmlXPathCastToString(res));
}

/* A relative selector's value from node n. */
static char *
field_select(struct query_eval *e, const struct query_field *f, xmlNode *n)
{
	xmlXPathObjectPtr res;
	char *s;

	e->x->node = n;
	res = xmlXPathCompiledEval(f->comp, e->x);
	s = result_string(res);
	xmlXPathFreeObject(res);
	return s;
}

static char *
field_value(struct query_eval *e, const struct query_field *f, xmlNode *n)
{
	char *u;

	switch (f->kind) {
	case FK_TEXT: return node_text(n);
	case FK_HTML: return node_html(e->doc, n);
	case FK_XPATH: return node_path(n);
	case FK_URL:
		u = node_url(n, &e->r);
		return u ? u : xstrdup("");
	case FK_ATTR:
		return xml_take(n->type == XML_ELEMENT_NODE
					? xmlGetProp(n, (const xmlChar *)f->attr) : NULL);
	default: return field_select(e, f, n);
	}
}

/* A scalar result's cell: its value under text, a selector or no field. */
static char *
scalar_cell(const struct query *q, size_t col, xmlXPathObjectPtr res)
{
	if (q->nf && q->f[col].kind != FK_TEXT && q->f[col].kind != FK_SELECT)
		return xstrdup("");
	return xml_take(xmlXPathCastToString(res));
}

/* Sends the row of node n (NULL: of the scalar res). */
static void
row_send(struct query_eval *e, xmlNode *n, xmlXPathObjectPtr res)
{
	const struct query *q = e->q;
	size_t i, ncols = q->nf ? q->nf : 1;
	char *url = NULL, *s;

	buf_addc(&e->wire, 'R');
	for (i = 0; i < ncols; i++) {
		s = !n ? scalar_cell(q, i, res)
		    : q->nf ? field_value(e, &q->f[i], n) : node_text(n);
		wire_str(&e->wire, s);
		if (n && q->nf && q->f[i].kind == FK_URL && s[0] && !url)
			url = xstrdup(s);
		free(s);
	}
	s = n && !q->cells_only ? node_path(n) : NULL;
	wire_str(&e->wire, s);
	free(s);
	if (n && !url && !q->cells_only)
		url = node_url(n, &e->r);
	wire_str(&e->wire, url);
	free(url);
	s = n && !q->nf && !q->cells_only ? node_label(n) : NULL;
	wire_str(&e->wire, s);
	free(s);
	wire_flush(e, QUERY_FLUSH);
}

/* The evaluation: its rows, then 'D', or 'E' and the error. */
static void
eval_send(struct query_eval *e, xmlNodePtr context)
{
	xmlXPathObjectPtr res;
	xmlNodeSetPtr set;
	int i;

	e->x->node = context;
	res = xmlXPathCompiledEval(e->q->comp, e->x);
	if (!res) {
		buf_addc(&e->wire, 'E');
		wire_str(&e->wire, e->seen.code ? e->seen.msg : "the evaluation failed");
	} else if (res->type != XPATH_NODESET) {
		row_send(e, NULL, res);
	} else {
		set = res->nodesetval;
		for (i = 0; set && i < set->nodeNr; i++)
			row_send(e, set->nodeTab[i], NULL);
	}
	if (res)
		buf_addc(&e->wire, 'D');
	xmlXPathFreeObject(res);
	wire_flush(e, 0);
}

/* Room for one more row. */
static void
rows_grow(struct query_rows *o)
{
	size_t cap;

	if (o->nrows < o->cap)
		return;
	cap = o->cap ? o->cap * 2 : 64;
	o->cells = xrealloc(o->cells, cap * o->ncols * sizeof *o->cells);
	o->paths = xrealloc(o->paths, cap * sizeof *o->paths);
	o->urls = xrealloc(o->urls, cap * sizeof *o->urls);
	o->nodes = xrealloc(o->nodes, cap * sizeof *o->nodes);
	o->cap = cap;
}

/* Whether n strings have all come at w[at..): looked at, not copied, so
 * that a long row arriving in pieces is read once. */
static int
wire_has(const struct buf *w, size_t at, size_t n)
{
	uint32_t len;

	while (n--) {
		if (w->len - at < sizeof len)
			return 0;
		memcpy(&len, w->data + at, sizeof len);
		at += sizeof len;
		if (len != UINT32_MAX) {
			if (w->len - at < len)
				return 0;
			at += len;
		}
	}
	return 1;
}

/* A row off the wire at *at (whole: see wire_has()). */
static void
row_take(struct query_rows *o, const struct buf *w, size_t *at)
{
	char *s;
	size_t i;

	rows_grow(o);
	for (i = 0; i < o->ncols; i++) {
		wire_get(w, at, &s);
		o->cells[o->nrows * o->ncols + i] = s ? s : xstrdup("");
	}
	wire_get(w, at, &o->paths[o->nrows]);
	wire_get(w, at, &o->urls[o->nrows]);
	wire_get(w, at, &o->nodes[o->nrows]);
	o->nrows++;
}

/* Takes what has wholly come off w from *at: 1 at the end ('D'), -1 at an
 * error ('E': err set at the selector), 0 when more is to come. */
static int
rows_take(struct query_rows *o, const struct buf *w, size_t *at, size_t sel_at,
	  struct query_error *err)
{
	char *msg;

	while (*at < w->len) {
		char tag = w->data[*at];

		if (tag == 'D')
			return 1;
		if (tag == 'E') {
			if (!wire_has(w, *at + 1, 1))
				return 0;
			*at += 1;
			wire_get(w, at, &msg);
			query_fail(err, sel_at, "%s", msg ? msg : "the evaluation failed");
			free(msg);
			return -1;
		}
		if (!wire_has(w, *at + 1, o->ncols + 3))
			return 0;
		*at += 1;
		row_take(o, w, at);
	}
	return 0;
}

static void
query_rows_free(struct query_rows *o)
{
	size_t i;

	for (i = 0; i < o->nrows * o->ncols; i++)
		free(o->cells[i]);
	for (i = 0; i < o->nrows; i++) {
		free(o->paths[i]);
		free(o->urls[i]);
		free(o->nodes[i]);
	}
	for (i = 0; i < o->ncols; i++)
		free(o->names[i]);
	free(o->names);
	free(o->cells);
	free(o->paths);
	free(o->urls);
	free(o->nodes);
	memset(o, 0, sizeof *o);
}

static void
rows_init(struct query_rows *o, const struct query *q)
{
	size_t i;

	memset(o, 0, sizeof *o);
	o->ncols = q->nf ? q->nf : 1;
	o->names = xmalloc(o->ncols * sizeof *o->names);
	for (i = 0; i < o->ncols; i++)
		o->names[i] = xstrdup(q->nf ? q->f[i].name : "value");
}

/* The child's start: signals back to their defaults (the parent's would
 * clean its temp files or its terminal), nothing of the parent's to undo. */
static void
eval_child_start(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGBUS, SIGABRT,
				   SIGFPE, SIGILL};
	size_t i;

	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], SIG_DFL);
	ui_active = 0;
	memset(cleanup_path, 0, sizeof cleanup_path);
}

/* Reads the child's rows until it is done, the time is up or the rows
 * are too many; 1 done, -1 an error, 0 cut (or the child died). */
static int
rows_receive(int fd, pid_t pid, unsigned long ms, struct query_rows *out, size_t sel_at,
	     struct query_error *err)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	struct timespec since;
	struct buf w = {0};
	size_t at = 0, got = 0;
	ssize_t n;
	int rc = 0, ready;
	long left;

	clock_gettime(CLOCK_MONOTONIC, &since);
	while (rc == 0 && !got_signal && got < QUERY_ROWS_MAX) {
		left = (long)ms - (long)(elapsed_s(&since) * 1000);
		if (left <= 0 || (ready = poll(&pf, 1, (int)(left < INT_MAX ? left : INT_MAX))) == 0) {
			out->cut = 1;
			break;
		}
		if (ready < 0) /* a signal: got_signal says which */
			continue;
		buf_reserve(&w, QUERY_FLUSH);
		if ((n = read(fd, w.data + w.len, QUERY_FLUSH)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		w.len += (size_t)n;
		got += (size_t)n;
		rc = rows_take(out, &w, &at, sel_at, err);
		if (at) { /* what is taken goes */
			memmove(w.data, w.data + at, w.len - at);
			w.len -= at;
			at = 0;
		}
	}
	out->cut |= rc == 0 && (got_signal || got >= QUERY_ROWS_MAX);
	kill(pid, SIGKILL); /* done, or it had its time */
	buf_free(&w);
	return rc;
}

/* The evaluation in a child, bounded by ms; as rows_receive(), or -2
 * when no child could be made. */
static int
eval_forked(struct query_eval *e, xmlNodePtr context, unsigned long ms,
	    struct query_rows *out, struct query_error *err)
{
	int p[2], rc, status;
	pid_t pid;

	if (pipe(p) < 0)
		return -2;
	fflush(NULL); /* else the child's exit would write it again */
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return -2;
	}
	if (pid == 0) {
		close(p[0]);
		eval_child_start();
		e->fd = p[1];
		eval_send(e, context);
		_exit(0);
	}
	close(p[1]);
	rc = rows_receive(p[0], pid, ms, out, e->q->sel_at, err);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && !out->cut) /* it died on its own: out of memory, say */
		query_fail(err, e->q->sel_at, "the evaluation failed");
	return rc == 0 && !out->cut ? -1 : rc;
}

/*
 * Runs q on the page (its tree built on first use). ms_bound: the time
 * the evaluation may take, in milliseconds, in a child process (see
 * above); past it out->cut is set and the rows made so far are kept. 0:
 * no bound, evaluated here. Returns 0, or -1 with err set (an XPath error
 * at evaluation: an unknown function, say), out then empty.
 */
static int
query_run(const struct query *q, struct page *p, unsigned long ms_bound,
	  struct query_rows *out, struct query_error *err)
{
	struct query_eval e = {.q = q, .fd = -1};
	xmlNodePtr context;
	size_t at = 0;
	int rc = -2;

	memset(err, 0, sizeof *err);
	rows_init(out, q);
	if (!(e.doc = page_tree(p)))
		return 0;
	e.x = xpath_context(e.doc, &e.seen);
	/* as lxml's selectors: the root element is the context */
	context = xmlDocGetRootElement(e.doc) ? xmlDocGetRootElement(e.doc) : (xmlNodePtr)e.doc;
	resolver_init(&e.r, p->base ? p->base : "");
	if (ms_bound)
		rc = eval_forked(&e, context, ms_bound, out, err);
	if (rc == -2 && ms_bound) {
		query_fail(err, q->sel_at, "cannot evaluate: no process for it (%s)", strerror(errno));
		rc = -1;
	} else if (rc == -2) {
		eval_send(&e, context);
		rc = rows_take(out, &e.wire, &at, q->sel_at, err);
	}
	buf_free(&e.wire);
	resolver_free(&e.r);
	xmlXPathFreeContext(e.x);
	if (rc >= 0)
		return 0;
	query_rows_free(out);
	return -1;
}

/* ==== net: libcurl only — start, drive and end transfers, and tell their story ==== */

static void
story_line(struct transfer *t, char prefix, const char *s, size_t n)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	buf_addc(&t->story, prefix);
	buf_addc(&t->story, ' ');
	buf_add(&t->story, s, n);
	buf_addc(&t->story, '\n');
}

static void
story_vline(struct transfer *t, char prefix, const char *fmt, va_list ap)
{
	struct buf b = {0};

	buf_vaddf(&b, fmt, ap);
	story_line(t, prefix, b.data ? b.data : "", b.len);
	buf_free(&b);
}

static void
story_step(struct transfer *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	story_vline(t, '*', fmt, ap);
	va_end(ap);
}

/* A step the reader must not miss ("!": the warning colour on the screen). */
static void
story_warn(struct transfer *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	story_vline(t, '!', fmt, ap);
	va_end(ap);
}

/* A word of the story a newcomer may not know, explained where it first
 * appears and not again: its gloss, or "" once said. */
enum { GLOSS_TCP = 1, GLOSS_CERT = 2 };

static const char *
story_gloss(struct transfer *t, int word, const char *gloss)
{
	if (t->glossed & word)
		return "";
	t->glossed |= word;
	return gloss;
}

static double
info_ms(CURL *e, CURLINFO what)
{
	curl_off_t us = 0;

	curl_easy_getinfo(e, what, &us);
	return (double)us / 1000.0;
}

/* Where word starts in s[0..n), in any case; NULL when it is not there. */
static const char *
span_find(const char *s, size_t n, const char *word)
{
	size_t k = strlen(word), i;

	for (i = 0; i + k <= n; i++)
		if (!ascii_casecmp_n(s + i, word, k))
			return s + i;
	return NULL;
}

/* The length of s[0..n) before word, or n when word is not there. */
static size_t
span_len(const char *s, size_t n, const char *word)
{
	const char *w = span_find(s, n, word);

	return w ? (size_t)(w - s) : n;
}

/* libcurl 7.88 reads "12abc" as 12 and lets a second, different
 * Content-Length win: the body would be cut short, silently. Such a reply
 * is refused instead (RFC 9110 section 8.6). */
static void
net_length_seen(struct transfer *t, const char *v, size_t n)
{
	curl_off_t len = 0;
	size_t i = 0;

	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	while (n > i && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	if (i == n)
		t->bad_length = 1;
	for (; i < n && !t->bad_length; i++) {
		if (!isdigit((unsigned char)v[i]) || len > (INT64_MAX - 9) / 10)
			t->bad_length = 1;
		else
			len = len * 10 + (v[i] - '0');
	}
	if (!t->bad_length && t->length_seen >= 0 && t->length_seen != len)
		t->bad_length = 1;
	t->length_seen = len;
}

/* Remembers how the last response's body is encoded, for the story. */
static void
net_header_seen(struct transfer *t, const char *h, size_t n)
{
	const char *v;

	if (n > 5 && !memcmp(h, "HTTP/", 5)) { /* a new response, after a redirect */
		free(t->disposition);
		t->disposition = NULL;
		t->encoding[0] = '\0';
		t->chunked = 0;
		t->length_seen = -1;
		t->bad_length = 0;
		t->server_close = 0;
		t->http10 = n > 9 && !memcmp(h, "HTTP/1.0 ", 9);
		t->ranges = 0;
	} else if (n > 11 && !ascii_casecmp_n(h, "connection:", 11)) {
		t->server_close |= span_find(h, n, "close") != NULL;
	} else if (n > 20 && !ascii_casecmp_n(h, "accept-ranges: bytes", 20)) {
		t->ranges = 1;
	} else if (n > 15 && !ascii_casecmp_n(h, "content-length:", 15)) {
		net_length_seen(t, h + 15, n - 15);
	} else if (n > 17 && !ascii_casecmp_n(h, "content-encoding:", 17)) {
		for (v = h + 17; v < h + n && *v == ' '; v++)
			;
		snprintf(t->encoding, sizeof t->encoding, "%.*s", (int)(h + n - v), v);
		t->encoding[strcspn(t->encoding, "\r\n")] = '\0';
	} else if (n > 18 && !ascii_casecmp_n(h, "transfer-encoding:", 18)) {
		t->chunked = 1;
	} else if (n > 20 && n < 4096 && !ascii_casecmp_n(h, "content-disposition:", 20)) {
		free(t->disposition); /* a name for the body: name_for_body() */
		t->disposition = xstrndup(h + 20, n - 20);
		t->disposition[strcspn(t->disposition, "\r\n")] = '\0';
	}
}

/* Each response is a hop: its status line opens it, its header lines go
 * with it, a blank line ends them. A 1xx response is no hop: the one it
 * precedes follows. A line "HTTP/..." among the headers is a header. */
static void
net_hop_seen(struct transfer *t, CURL *e, const char *h, size_t n)
{
	struct hop *hop;
	char *url = NULL;
	long status = 0;
	size_t i = 5;

	if (n <= 2 && (!n || h[0] == '\r' || h[0] == '\n')) {
		t->in_head = 0;
	} else if (!t->in_head && n > 5 && !memcmp(h, "HTTP/", 5)) {
		while (i < n && h[i] != ' ')
			i++;
		for (i++; i < n && isdigit((unsigned char)h[i]) && status < 1000; i++)
			status = status * 10 + (h[i] - '0');
		t->in_head = 1;
		t->interim = status >= 100 && status < 200;
		if (t->interim)
			return;
		curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &url);
		t->hops = xrealloc(t->hops, (t->nhops + 1) * sizeof *t->hops);
		hop = &t->hops[t->nhops++];
		hop->url = url_without_password(url ? url : t->url);
		hop->status = status;
		hop->head = t->headers.len;
		hop->len = 0;
		hop->ms_sent = t->ms_sent;
		hop->ms_first = t->ms_first; /* net_answer_in's: one reading */
		hop->ms_done = 0;
		for (i = 0; i < n && i + 1 < sizeof hop->version && h[i] > ' ' && h[i] < 127; i++)
			hop->version[i] = h[i];
		hop->version[i] = '\0';
	} else if (t->in_head && !t->interim && t->nhops) {
		buf_add(&t->headers, h, n);
		t->hops[t->nhops - 1].len += n;
	}
}

/* The last hop's body has ended (a redirect is followed, or the transfer
 * is done). */
static void
hop_done(struct transfer *t)
{
	if (t->nhops && !t->hops[t->nhops - 1].ms_done)
		t->hops[t->nhops - 1].ms_done = elapsed_s(&t->started) * 1000.0;
}

/* A request header line for the story: credentials (-u, or an
 * Authorization given with -H) never reach the screen, -v or a file; the
 * scheme stays, to tell which was sent. */
static void
story_sent(struct transfer *t, const char *s, size_t n)
{
	static const char *const secret[] = {"authorization:", "proxy-authorization:"};
	size_t i, k, len;

	for (i = 0; i < sizeof secret / sizeof secret[0]; i++) {
		len = strlen(secret[i]);
		if (n <= len || ascii_casecmp_n(s, secret[i], len))
			continue;
		for (k = len; k < n && s[k] == ' '; k++)
			;
		while (k < n && s[k] != ' ' && s[k] != '\r' && s[k] != '\n')
			k++; /* the scheme: Basic, Bearer... */
		if (k == n || s[k] != ' ')
			k = len; /* a lone token is the secret itself */
		buf_add(&t->story, "> ", 2);
		buf_add(&t->story, s, k);
		buf_adds(&t->story, " ***\n");
		return;
	}
	story_line(t, '>', s, n);
}

/* "SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384": the only way
 * libcurl 7.88 tells the TLS version and the cipher without linking the
 * TLS library itself. */
static void
net_tls_seen(struct transfer *t, const char *s, size_t n)
{
	const char *v = s + 21, *end = s + n, *slash;
	size_t k;

	if (n <= 21 || memcmp(s, "SSL connection using ", 21))
		return;
	for (slash = v; slash + 3 <= end && memcmp(slash, " / ", 3); slash++)
		;
	if (slash + 3 > end)
		slash = end;
	k = (size_t)(slash - v) < sizeof t->tls_version ? (size_t)(slash - v)
							 : sizeof t->tls_version - 1;
	memcpy(t->tls_version, v, k);
	t->tls_version[k] = '\0';
	for (k = 0; slash < end && slash + 3 + k < end && k + 1 < sizeof t->tls_cipher; k++)
		t->tls_cipher[k] = slash[3 + k];
	t->tls_cipher[k] = '\0';
}

/* The connections of the run, by libcurl's number ("#0"): when each was
 * opened and its two ends, for a transfer that re-uses one to say which.
 * libcurl 7.88 has no getter for a connection's number or age. */
struct conn_seen {
	CURLM *multi;
	long id;
	struct timespec opened;
	char ends[192]; /* "127.0.0.1 port 80, from 127.0.0.1 port 5000 here" */
	char tls_version[32], tls_cipher[96]; /* "": not TLS */
};

static struct conn_seen net_conns[32];

/* The number written after the first '#' of s (libcurl's "#0"), or after
 * "connection " ("Closing connection 0"); -1 when none. */
static long
conn_number(const char *s, size_t n)
{
	const char *p = memchr(s, '#', n), *end = s + n;
	long id = 0;

	if (!p && n > 19 && !memcmp(s, "Closing connection ", 19))
		p = s + 18;
	else if (!p && n > 11 && !memcmp(s, "Connection ", 11))
		p = s + 10; /* "Connection 0 seems to be dead" */
	if (!p || p + 1 >= end || !isdigit((unsigned char)p[1]))
		return -1;
	for (p++; p < end && isdigit((unsigned char)*p) && id < 100000000; p++)
		id = id * 10 + (*p - '0');
	return id;
}

static struct conn_seen *
conn_slot(long id)
{
	return &net_conns[(unsigned long)id % (sizeof net_conns / sizeof net_conns[0])];
}

/* A field of one certificate in CURLOPT_CERTINFO's list ("Subject:..."),
 * made safe at once: OpenSSL prints a name's control bytes as they are. */
static char *
cert_field(const struct curl_slist *l, const char *name)
{
	size_t k = strlen(name);
	struct buf b = {0};

	for (; l; l = l->next)
		if (!strncmp(l->data, name, k)) {
			buf_add_safe(&b, l->data + k, strlen(l->data + k), SAN_TEXT);
			return b.data ? b.data : xstrdup("");
		}
	return NULL;
}

/* The chain the server sent, kept for the JSON: the handle that holds it
 * is gone by then. At most 10 (a chain is 2 to 4). */
static void
certs_keep(struct transfer *t, const struct curl_certinfo *ci)
{
	size_t i, n = ci->num_of_certs < 10 ? (size_t)ci->num_of_certs : 10;

	t->certs = xmalloc(n * sizeof *t->certs);
	for (i = 0; i < n; i++) {
		const struct curl_slist *l = ci->certinfo[i];
		struct cert_seen *c = &t->certs[i];

		c->subject = cert_field(l, "Subject:");
		c->issuer = cert_field(l, "Issuer:");
		c->start = cert_field(l, "Start date:");
		c->expire = cert_field(l, "Expire date:");
		c->names = cert_field(l, "X509v3 Subject Alternative Name:");
	}
	t->ncerts = n;
}

/* "Server certificate:": the chain, one line a certificate. */
static void
story_certs(struct transfer *t, CURL *e)
{
	struct curl_certinfo *ci = NULL;
	const char *gloss;
	size_t i;

	curl_easy_getinfo(e, CURLINFO_CERTINFO, &ci);
	if (t->ncerts || !ci || ci->num_of_certs <= 0) {
		story_step(t, "The server sent its certificate");
		return;
	}
	certs_keep(t, ci);
	gloss = story_gloss(t, GLOSS_CERT, " (subject: whom a certificate is for; issuer: "
			    "who signed it; CN: a name; SAN: the host names and addresses it is valid "
			    "for)");
	if (t->ncerts == 1)
		story_step(t, "The server sent 1 certificate, its own%s", gloss);
	else
		story_step(t, "The server sent %zu certificates: its own, then each one's signer%s",
			   t->ncerts, gloss);
	for (i = 0; i < t->ncerts; i++) {
		const struct cert_seen *c = &t->certs[i];

		story_step(t, "Certificate %zu%s: subject %s, issued by %s, valid from %s to %s; names "
			   "(SAN): %s", i + 1, i ? "" : " (the server's)", c->subject ? c->subject : "?",
			   c->issuer ? c->issuer : "?", c->start ? c->start : "?",
			   c->expire ? c->expire : "?", c->names ? c->names : "none");
	}
}

/* "self-signed certificate (18)": OpenSSL's words and code, and what they
 * mean for trust. */
static void
story_untrusted(struct transfer *t, const char *s, size_t n)
{
	const char *code = n > 2 && s[n - 1] == ')' ? memchr(s, '(', n) : NULL;
	size_t words = code && code > s && code[-1] == ' ' ? (size_t)(code - 1 - s) : n;

	if (words == n)
		code = NULL;
	story_warn(t, "The certificate is NOT trusted: %.*s%s%.*s%s%s; going on only because of "
		   "--insecure", (int)words, s, code ? " (OpenSSL's code " : "",
		   code ? (int)(s + n - code - 2) : 0, code ? code + 1 : "", code ? ")" : "",
		   span_find(s, n, "self-signed") ? ": the certificate signed itself, so nothing "
		   "vouches for it" : "");
}

/* libcurl's lines of the TLS handshake, reworded; 0 when s is none. */
static int
net_debug_tls(struct transfer *t, CURL *e, const char *s, size_t n)
{
	if (n > 21 && !memcmp(s, "SSL connection using ", 21)) {
		struct conn_seen *c = conn_slot(t->conn_id);

		net_tls_seen(t, s, n);
		t->h_tls = elapsed_s(&t->started) * 1000.0;
		if (t->conn_id >= 0 && c->id == t->conn_id && c->multi == t->multi) {
			memcpy(c->tls_version, t->tls_version, sizeof c->tls_version);
			memcpy(c->tls_cipher, t->tls_cipher, sizeof c->tls_cipher);
		}
		story_step(t, "TLS handshake done: %s, cipher %s (the encryption both sides agreed "
			   "on); from here on the connection is encrypted", t->tls_version,
			   t->tls_cipher);
	} else if (n > 13 && !memcmp(s, "ALPN: offers ", 13)) {
		story_step(t, "Offering the server these HTTP versions (ALPN: the TLS handshake's "
			   "way to agree on the HTTP version): %.*s%s", (int)(n - 13),
			   s + 13, span_find(s, n, "h2") ? " (h2 is HTTP/2)" : "");
	} else if (n > 22 && !memcmp(s, "ALPN: server accepted ", 22)) {
		snprintf(t->alpn, sizeof t->alpn, "%.*s", (int)(n - 22), s + 22);
		story_step(t, "The server chose %s (ALPN)", t->alpn);
	} else if (n > 26 && !memcmp(s, "ALPN: server did not agree", 26)) {
		story_step(t, "The server took no part in ALPN: HTTP/1.1 is spoken, the default");
	} else if (n >= 19 && !memcmp(s, "Server certificate:", 19)) {
		story_certs(t, e);
	} else if (n > 22 && !memcmp(s, "subjectAltName: host ", 21)) {
		story_step(t, "The certificate is for the host asked for: %.*s is among its names",
			   (int)span_len(s + 21, n - 21, " matched"), s + 21);
	} else if (n >= 26 && !memcmp(s, "SSL certificate verify ok.", 26)) {
		story_step(t, "The certificate is trusted: %s", t->cacert ? "signed by (or is) the "
			   "certificate --cacert (or --capath) names" : "a certificate authority "
			   "this machine trusts signed it");
	} else if (n > 31 && !memcmp(s, "SSL certificate verify result: ", 31)) {
		story_untrusted(t, s + 31, span_len(s + 31, n - 31, ", continuing"));
	} else if ((n > 9 && !memcmp(s, "subject: ", 9)) || (n > 8 && !memcmp(s, "issuer: ", 8)) ||
		   (n > 12 && !memcmp(s, "start date: ", 12)) ||
		   (n > 13 && !memcmp(s, "expire date: ", 13))) {
		if (!t->ncerts) /* else said with the chain */
			story_step(t, "Certificate %.*s", (int)n, s);
	} else {
		return 0;
	}
	return 1;
}

/* The host of the URL being fetched, without a user or a port: what the
 * story names (a password is never in it). */
static void
story_host(CURL *e, const char **host, size_t *n, struct buf *user)
{
	char *url = NULL;
	struct uri u;
	size_t un;
	int pw;

	curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &url);
	uri_split(url ? url : "", url ? strlen(url) : 0, &u);
	un = auth_user_len(u.auth, u.auth_len, &pw);
	*host = u.auth + u.auth_len;
	while (*host > u.auth && (*host)[-1] != '@')
		(*host)--; /* after the last '@', if any */
	if (*host > u.auth)
		buf_add(user, u.auth, un);
	*n = host_len(*host, (size_t)(u.auth + u.auth_len - *host));
}

/* "Trying ADDR:PORT...": one attempt to connect. The first of a hop says
 * where the address came from: the URL itself, a lookup, or a proxy
 * (which resolves the host itself: it was never resolved here). */
static void
story_trying(struct transfer *t, CURL *e, const char *s, size_t n)
{
	struct buf user = {0};
	const char *host, *tcp;
	size_t hn;
	int literal;

	while (n && s[n - 1] == '.')
		n--;
	story_host(e, &host, &hn, &user);
	literal = hn == host_len(s, n) && !memcmp(host, s, hn);
	if (!t->connecting) {
		t->connecting = 1;
		t->ms_tried = elapsed_s(&t->started) * 1000.0;
		t->h_tried = t->ms_tried;
		t->h_literal = literal;
		if (t->via_proxy)
			story_step(t, "Connecting to the proxy %.*s: it resolves host %.*s itself",
				 (int)n, s, (int)hn, host);
		else if (literal)
			story_step(t, "Host %.*s is an IP address: nothing to resolve", (int)hn, host);
		else
			story_step(t, "Resolved host %.*s: its addresses are tried in turn", (int)hn,
				 host);
		if (user.len)
			story_step(t, "Sending the request as user %s", user.data);
	}
	tcp = story_gloss(t, GLOSS_TCP, " (TCP: a connection to the server's port)");
	if (t->via_proxy || literal)
		story_step(t, "Trying %.*s over TCP%s", (int)n, s, tcp);
	else
		story_step(t, "Trying %.*s (resolved from %.*s) over TCP%s", (int)n, s, (int)hn, host,
			   tcp);
	buf_free(&user);
}

/* "Connected to NAME (IP) port P (#0)": the address that answered, and the
 * local end libcurl bound, remembered for the transfers that re-use it. */
static void
story_connected(struct transfer *t, CURL *e, const char *s, size_t n)
{
	const char *open = memchr(s, '(', n), *close, *end = s + n;
	struct conn_seen *c;
	char *lip = NULL;
	long lport = 0;

	close = open ? memchr(open, ')', (size_t)(end - open)) : NULL;
	while (end > s && end[-1] != '(')
		end--; /* the connection's number, "(#0)", is libcurl's */
	if (!close || end <= close + 1) {
		story_step(t, "TCP connection established");
		return;
	}
	t->conn_id = conn_number(s, n);
	t->nconns++;
	curl_easy_getinfo(e, CURLINFO_LOCAL_IP, &lip);
	curl_easy_getinfo(e, CURLINFO_LOCAL_PORT, &lport);
	c = conn_slot(t->conn_id);
	c->multi = t->multi;
	c->id = t->conn_id;
	c->tls_version[0] = c->tls_cipher[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &c->opened);
	snprintf(c->ends, sizeof c->ends, "%.*s%.*s, from %s port %ld here",
		 (int)(close - open - 1), open + 1, (int)(end - 2 - close - 1), close + 1,
		 lip && *lip ? lip : "?", lport);
	story_step(t, "TCP connection established with %.*s%.*s (connection #%ld%s; the port "
		   "this machine's side uses: %s port %ld)", (int)(close - open - 1), open + 1,
		   (int)(end - 2 - close - 1), close + 1, t->conn_id, t->conn_id > 0 ? ", libcurl's "
		   "number for it: the ones before were closed or busy, so a new one is opened"
		   : "", lip && *lip ? lip : "?", lport);
}

/* "Re-using existing connection #0 with host H": no lookup, no connect. */
static void
story_reused(struct transfer *t, const char *s, size_t n)
{
	long id = conn_number(s, n);
	const struct conn_seen *c = conn_slot(id);
	const char *with = span_find(s, n, " with "), *end = s + n;
	int proxy;

	t->reused = 1;
	t->conn_id = id;
	if (id < 0 || c->multi != t->multi || c->id != id) {
		story_step(t, "Re-using an open connection: no lookup, no new TCP connection");
		return;
	}
	memcpy(t->tls_version, c->tls_version, sizeof t->tls_version);
	memcpy(t->tls_cipher, c->tls_cipher, sizeof t->tls_cipher);
	with = with ? with + 6 : end; /* "host H" or "proxy P" */
	proxy = end - with > 6 && !memcmp(with, "proxy ", 6);
	if (end - with > 5 && !memcmp(with, "host ", 5))
		with += 5;
	story_step(t, "Re-using the connection to %s%.*s (%s) opened %.1f s ago (connection "
		   "#%ld): no lookup, no new TCP connection%s", proxy ? "the " : "",
		   (int)(end - with), with, c->ends,
		   elapsed_s(&c->opened), id, c->tls_version[0] ? ", no TLS handshake (its "
		   "certificate was checked when it was opened)" : "");
}

/* libcurl's last word on a connection: kept for the next request, or
 * closed, and why (7.88 gives a reason only for HTTP/1.0). */
static void
story_conn_end(struct transfer *t, int kept, long id)
{
	const char *why = t->conn_died ? ": the server had closed it since it was last used; "
				       "the request is sent again on a new connection"
			  : t->errbuf[0] ? ": the fetch failed"
			  : t->server_close ? ": the server's answer said Connection: close"
			  : t->http10 ? ": the server answered in HTTP/1.0, which closes "
					"after each answer" : "";

	if ((!t->connected && !t->reused) || (id >= 0 && t->conn_id >= 0 && id != t->conn_id))
		return; /* none made, or another transfer's, closed while this one ran */
	t->conn_kept = kept ? 1 : t->conn_died ? 0 : -1;
	if (kept)
		story_step(t, "Connection #%ld stays open: the next request to this host and "
			   "port can use it", id);
	else
		story_step(t, "Connection #%ld closed%s", id, why);
}

/* The lines of libcurl's story about the connection itself; 0 when s is
 * none of them. */
static int
net_debug_conn(struct transfer *t, const char *s, size_t n)
{
	if (n > 29 && !memcmp(s, "Re-using existing connection ", 29))
		story_reused(t, s, n);
	else if (n > 19 && !memcmp(s, "Closing connection ", 19))
		story_conn_end(t, 0, conn_number(s, n));
	else if (n > 12 && !memcmp(s, "Connection #", 12) && span_find(s, n, " left intact"))
		story_conn_end(t, 1, conn_number(s, n));
	else if (n > 11 && !memcmp(s, "Connection ", 11) && span_find(s, n, " seems to be dead"))
		story_step(t, "The connection kept open (#%ld) cannot be used: the server has "
			   "closed it since; a new one is made", conn_number(s, n));
	else if (n > 25 && !memcmp(s, "Connection died, retrying", 25))
		t->conn_died = 1; /* said when it is closed, just after */
	else
		return 0;
	return 1;
}

/* "Issue another request to this URL: '...'": a redirect followed, or the
 * same request again on a new connection (then said already). */
static void
story_another(struct transfer *t, const char *s, size_t n)
{
	const char *q = memchr(s, '\'', n);

	t->connecting = 0;
	if (t->conn_died) {
		t->conn_died = 0;
		return;
	}
	hop_done(t);
	/* a new hop: its steps start afresh, from the end of the last */
	t->ms_hop = t->nhops ? t->hops[t->nhops - 1].ms_done : elapsed_s(&t->started) * 1000.0;
	t->h_tried = t->h_conn = t->h_tls = t->ms_sent = t->ms_first = 0;
	if (q && q + 1 < s + n)
		story_step(t, "Following the redirect to %.*s", (int)(s + n - q - 2), q + 1);
}

/* What a socket error means, for one who never met one; "" when unknown. */
static const char *
socket_gloss(const char *s, size_t n)
{
	if (span_find(s, n, "Connection refused"))
		return ": nothing is listening on that port";
	if (span_find(s, n, "timed out"))
		return ": that address never answered";
	if (span_find(s, n, "unreachable") || span_find(s, n, "No route"))
		return ": this machine has no way to reach that address";
	return "";
}

/* "connect to ADDR port P failed: WHY": one attempt did not connect; the
 * next address may (the fetch fails only when none does). */
static void
story_attempt_failed(struct transfer *t, const char *s, size_t n)
{
	story_warn(t, "Connection to %.*s%s", (int)n, s, socket_gloss(s, n));
}

/* libcurl's running commentary, reworded as the lab's steps. */
static void
net_debug_text(struct transfer *t, CURL *e, const char *s, size_t n)
{
	while (n && *s == ' ')
		s++, n--;
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (net_debug_conn(t, s, n) || net_debug_tls(t, e, s, n))
		return;
	if (n > 7 && !memcmp(s, "Trying ", 7)) {
		story_trying(t, e, s + 7, n - 7);
	} else if (n > 13 && !memcmp(s, "Connected to ", 13)) {
		t->connecting = 0;
		t->connected = 1;
		t->h_conn = elapsed_s(&t->started) * 1000.0;
		t->ms_connected = t->h_conn - t->ms_tried;
		story_connected(t, e, s + 13, n - 13);
	} else if (n > 11 && !memcmp(s, "connect to ", 11)) {
		story_attempt_failed(t, s + 11, n - 11);
	} else if (n > 27 && !memcmp(s, "Uses proxy env variable ", 24)) {
		/* said before the first "Trying"; also of no_proxy, no proxy */
		t->via_proxy |= ascii_casecmp_n(s + 24, "no_proxy", 8) != 0;
	} else if (n > 15 && !memcmp(s, "Issue another ", 14)) {
		story_another(t, s, n);
	} else if (n > 8 && !memcmp(s, "Maximum ", 8)) {
		story_line(t, '*', s, n);
	}
}

/* A request's headers went out: the wait for the server begins, said as
 * it begins (the screen shows it during a slow first byte). */
static void
net_request_out(struct transfer *t, size_t size)
{
	t->head_out += size;
	t->ms_sent = elapsed_s(&t->started) * 1000.0;
	t->awaiting = 1;
	t->wait_line = t->story.len;
	story_step(t, "Waiting for the server's answer…");
}

/* The first bytes of an answer: how long the server took, in place of
 * the "Waiting" line when nothing came after it. */
static void
net_answer_in(struct transfer *t)
{
	if (!t->awaiting)
		return;
	t->awaiting = 0;
	if (t->story.len - t->wait_line == strlen("* Waiting for the server's answer…\n"))
		t->story.len = t->wait_line;
	t->ms_first = elapsed_s(&t->started) * 1000.0;
	story_step(t, "The server's answer began after %.1f ms of waiting (its own time, and "
		   "the network's)", t->ms_first - t->ms_sent);
}

/* libcurl's own account of the exchange, reworded as the lab's steps. Only
 * the lines that tell the story are kept; headers go in as they pass. */
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
		story_step(t, "Request sent (%zu bytes of header%s):", size,
			   span_find(data, size, "\nAccept-Encoding:") ? "; Accept-Encoding lists the "
			   "compressions this program can decode" : "");
		for (; p < end; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				nl = end - 1;
			if (nl - p > 1)
				story_sent(t, p, (size_t)(nl - p + 1));
		}
		buf_adds(&t->story, "> (a blank line: the end of the request's headers)\n");
		net_request_out(t, size);
		break;
	case CURLINFO_HEADER_IN:
		net_answer_in(t);
		if (size > 2 || (size && data[0] != '\r' && data[0] != '\n'))
			story_line(t, '<', data, size);
		else
			buf_adds(&t->story, "< (a blank line: the end of the headers)\n");
		net_header_seen(t, data, size);
		net_hop_seen(t, e, data, size);
		t->head_in += size;
		break;
	case CURLINFO_DATA_IN:
		t->body_in += size; /* as sent: chunk sizes, compressed */
		break;
	case CURLINFO_DATA_OUT:
		t->body_out += size;
		break;
	default:
		break;
	}
	return 0;
}

/* A header line of a quiet transfer: what its end needs of it, no more. */
static size_t
net_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	size_t n = size * nmemb;

	/* libcurl passes a chunked body's trailers here too: fields after
	 * the body, no headers (the story's debug callback never sees them) */
	if (!t->in_head && !(n > 5 && !memcmp(data, "HTTP/", 5)))
		return n;
	net_header_seen(t, data, n);
	net_hop_seen(t, t->easy, data, n);
	t->head_in += n;
	return n;
}

/* A transfer whose story nobody reads (the queue keeps an item's outcome,
 * not its story): libcurl's verbose mode off and no step written. Both
 * cost more CPU than the rest of the queue's own work. */
static void
net_quiet(struct transfer *t)
{
	t->quiet = 1;
	curl_easy_setopt(t->easy, CURLOPT_VERBOSE, 0L);
	curl_easy_setopt(t->easy, CURLOPT_CERTINFO, 0L);
	curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, net_header);
	curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
}

/* --limit-rate: libcurl 7.88 averages its limit over seconds and lets a
 * body that arrives within them pass at full speed. Here each piece waits
 * until the run of the transfer allows it: a second's worth ahead at most. */
static int
net_too_fast(struct transfer *t, size_t n)
{
	double allowed = (double)t->rate * (elapsed_s(&t->started) + 1.0);

	t->paused = t->rate > 0 && (double)(t->received + n) > allowed && t->received > 0;
	return t->paused;
}

/* A download's bytes gathered in its body buffer go to its file. */
static int
net_flush(struct transfer *t)
{
	int rc = t->body.len ? write_all(t->fd, t->body.data, t->body.len) : 0;

	t->body.len = 0;
	return rc;
}

/* libcurl hands a body over in pieces of 16 KiB at most: each write(2)
 * updates the file's times, and 400 files of 100 KB written in such pieces
 * took 9.4 ms of CPU, in one write each 7.9. So they are gathered into
 * writes of WRITE_BATCH. */
static int
net_write_file(struct transfer *t, const char *data, size_t n)
{
	if (t->body.len + n > WRITE_BATCH && net_flush(t) < 0)
		return -1;
	if (n >= WRITE_BATCH)
		return write_all(t->fd, data, n);
	if (t->body.cap == 0)
		buf_reserve(&t->body, WRITE_BATCH);
	buf_add(&t->body, data, n);
	return 0;
}

static size_t
net_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	size_t n = size * nmemb;

	/* one perform() can take in megabytes: a signal ends it here, not at
	 * the next progress call */
	if (t->bad_length || got_signal)
		return CURL_WRITEFUNC_ERROR;
	if (net_too_fast(t, n))
		return CURL_WRITEFUNC_PAUSE; /* the same data comes again: net_progress */
	/* The only cap that holds on libcurl 7.88: MAXFILESIZE trusts
	 * Content-Length, and chunked or compressed bodies pass it. */
	if (n > t->max_size - t->received) {
		t->too_large = 1;
		return CURL_WRITEFUNC_ERROR;
	}
	if (t->sink) {
		if (t->sink(t->sink_ctx, data, n) < 0) {
			t->write_errno = ENOMEM;
			return CURL_WRITEFUNC_ERROR;
		}
		t->received += n;
		return n;
	}
	if (t->fd < 0 && t->body.cap == 0) {
		curl_off_t cl = -1;

		/* room for the whole body at once when its length is known */
		curl_easy_getinfo(t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		if (cl > 0 && (size_t)cl <= t->max_size)
			buf_reserve(&t->body, (size_t)cl);
	}
	if (t->fd >= 0) {
		if (net_write_file(t, data, n) < 0) {
			t->write_errno = errno;
			return CURL_WRITEFUNC_ERROR;
		}
	} else {
		buf_add(&t->body, data, n);
	}
	t->received += n;
	return n;
}

static int
net_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow,
	     curl_off_t ultotal, curl_off_t ulnow)
{
	struct transfer *t = userp;

	(void)dlnow, (void)ultotal, (void)ulnow;
	t->dl_total = dltotal;
	/* called while paused too: the time has come when a tenth of a
	 * second's worth may pass */
	if (t->paused && (double)t->received + (double)t->rate / 10 <=
			  (double)t->rate * (elapsed_s(&t->started) + 1.0)) {
		t->paused = 0;
		curl_easy_pause(t->easy, CURLPAUSE_CONT);
	}
	return got_signal != 0; /* aborts the transfer within a second */
}

/* The run's one cookie engine, shared by every transfer: a cookie a page
 * sets goes with the follows, reloads and downloads after it. Transfers are
 * driven from the main thread only, so the share needs no lock. */
static CURLSH *net_cookie_share;

static CURLSH *
net_cookies(void)
{
	if (!net_cookie_share) {
		net_cookie_share = curl_share_init();
		if (!net_cookie_share ||
		    curl_share_setopt(net_cookie_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE))
			die("cannot start the cookie engine");
	}
	return net_cookie_share;
}

/* A handle on the run's cookies, for reading or writing them at once. */
static CURL *
net_cookie_handle(void)
{
	CURL *e = curl_easy_init();

	if (!e)
		die("out of memory");
	curl_easy_setopt(e, CURLOPT_SHARE, net_cookies());
	return e;
}

/* -b FILE: its cookies join the run's, once (a file that does not exist
 * yet, the jar of a first run, is no error: as curl). */
static void
net_cookies_load(const char *path)
{
	CURL *e = net_cookie_handle();

	curl_easy_setopt(e, CURLOPT_COOKIEFILE, path);
	curl_easy_setopt(e, CURLOPT_COOKIELIST, "RELOAD");
	curl_easy_cleanup(e);
}

/* The run's cookies, one Netscape cookie-file line each (NULL: none). */
static struct curl_slist *
net_cookie_lines(void)
{
	struct curl_slist *lines = NULL;
	CURL *e = net_cookie_handle();

	curl_easy_getinfo(e, CURLINFO_COOKIELIST, &lines);
	curl_easy_cleanup(e);
	return lines;
}

/* After the last transfer is freed. */
static void
net_cookies_end(void)
{
	if (net_cookie_share)
		curl_share_cleanup(net_cookie_share);
	net_cookie_share = NULL;
}

/* What the request says and carries: -H, -A, -e, -u, -X, -d, -b. */
static void
net_easy_request(CURL *e, const struct request *r)
{
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(e, CURLOPT_REFERER, r->referer);
	curl_easy_setopt(e, CURLOPT_AUTOREFERER, (long)r->autoreferer);
	curl_easy_setopt(e, CURLOPT_USERPWD, r->userpwd);
	curl_easy_setopt(e, CURLOPT_COOKIE, r->cookie);
	curl_easy_setopt(e, CURLOPT_SHARE, net_cookies());
	curl_easy_setopt(e, CURLOPT_COOKIEFILE, ""); /* the engine on, no file read */
	if (r->has_data) {
		/* the options outlive every transfer: no copy */
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->data.len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->data.data ? r->data.data : "");
	}
	/* HEAD as a custom method would wait for a body that never comes */
	if (r->method && !strcmp(r->method, "HEAD"))
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (r->method)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
}

/* How the request gets there: TLS, proxy, addresses, HTTP version, rate. */
static void
net_easy_connection(CURL *e, const struct request *r)
{
	if (r->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (r->cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, r->cacert);
	if (r->capath)
		curl_easy_setopt(e, CURLOPT_CAPATH, r->capath);
	if (r->proxy)
		curl_easy_setopt(e, CURLOPT_PROXY, r->proxy);
	if (r->noproxy)
		curl_easy_setopt(e, CURLOPT_NOPROXY, r->noproxy);
	curl_easy_setopt(e, CURLOPT_IPRESOLVE, r->ip_resolve);
	if (r->http_version)
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION, r->http_version);
	curl_easy_setopt(e, CURLOPT_RESOLVE, r->resolve);
	if (r->limit_rate > 0) {
		/* a read takes up to a buffer at once: a second's worth at
		 * most, as curl does (libcurl's least is 1 KiB); the body's
		 * pace is net_too_fast()'s */
		if (r->limit_rate < 256 * 1024)
			curl_easy_setopt(e, CURLOPT_BUFFERSIZE, r->limit_rate < 1024 ? 1024L
									 : (long)r->limit_rate);
		curl_easy_setopt(e, CURLOPT_MAX_SEND_SPEED_LARGE, r->limit_rate);
	}
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
	/* --max-redirs 0: the redirect itself is the answer */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, o->req.max_redirs > 0 ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, o->req.max_redirs); /* 7.88: unlimited */
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, o->timeout < 10 ? o->timeout : 10L);
	/* a page has --timeout in all; a download the user chose may take
	 * long, but not stall: under 100 bytes/s for 30 s ends either */
	curl_easy_setopt(e, CURLOPT_TIMEOUT, t->fd < 0 ? o->timeout : 0L);
	/* ... or under half of a --limit-rate lower than that */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, o->req.limit_rate > 0 &&
			 o->req.limit_rate < 200 ? (long)(o->req.limit_rate + 1) / 2 : 100L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 30L);
	if (!o->req.no_compressed)
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_size);
	curl_easy_setopt(e, CURLOPT_USERAGENT, o->user_agent);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	/* 16 KiB by default: a 10 MB page took 640 reads and callbacks (measured:
	 * 256 KiB cut the system time of --dump by a third) */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, net_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, net_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, t);
	curl_easy_setopt(e, CURLOPT_VERBOSE, 1L); /* feeds net_debug, prints nothing */
	curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, net_debug);
	curl_easy_setopt(e, CURLOPT_DEBUGDATA, t);
	curl_easy_setopt(e, CURLOPT_CERTINFO, 1L); /* the chain, for the story */
	net_easy_request(e, &o->req);
	net_easy_connection(e, &o->req);
	/* libcurl names a proxy from the environment in its story, not one
	 * set with -x (and --noproxy may pass it by: then it says nothing) */
	t->via_proxy = o->req.proxy && *o->req.proxy && !o->req.noproxy;
	return e;
}

/* A transfer's id, unique in the run. */
static unsigned long
net_start_id(void)
{
	static unsigned long ids;

	return ++ids;
}

/* A transfer of url, not started: into memory (fd < 0) or into fd, a
 * download. The caller may set more options, then net_add() starts it. */
static struct transfer *
transfer_new(CURLM *multi, const struct options *o, const char *url, int fd)
{
	struct transfer *t = xmalloc(sizeof *t);

	memset(t, 0, sizeof *t);
	t->id = net_start_id();
	t->url = xstrdup(url);
	t->fd = fd;
	t->max_size = (size_t)(fd < 0 ? o->max_size : DOWNLOAD_MAX_SIZE);
	t->content_length = -1;
	t->length_seen = -1;
	t->conn_id = -1;
	clock_gettime(CLOCK_MONOTONIC, &t->started);
	t->max_redirs = o->req.max_redirs;
	t->rate = o->req.limit_rate;
	t->easy = net_easy(t, o);
	t->opt = o;
	t->multi = multi;
	t->insecure = o->req.insecure;
	t->cacert = o->req.cacert || o->req.capath;
	if (o->req.insecure && !ascii_casecmp_n(url, "https:", 6))
		story_warn(t, "TLS certificate verification is off (--insecure): "
			 "the server is not known to be who it says");
	return t;
}

static void
net_add(struct transfer *t)
{
	if (curl_multi_add_handle(t->multi, t->easy) != CURLM_OK)
		die("cannot start a transfer");
}

/* Starts fetching url in multi: into memory (fd < 0) or into fd, a download. */
static struct transfer *
net_start(CURLM *multi, const struct options *o, const char *url, int fd)
{
	struct transfer *t = transfer_new(multi, o, url, fd);

	net_add(t);
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
	char *url = info_str(e, CURLINFO_EFFECTIVE_URL);

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &t->status);
	curl_easy_getinfo(e, CURLINFO_PRIMARY_PORT, &t->port);
	curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &t->redirects);
	curl_easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &t->content_length);
	if (t->length_seen < 0) /* 7.88 says 0 for a 304 that sent none */
		t->content_length = -1;
	t->final_url = url_without_password(url); /* shown, and the base of links */
	free(url);
	t->content_type = info_str(e, CURLINFO_CONTENT_TYPE);
	t->ip = info_str(e, CURLINFO_PRIMARY_IP);
	t->local_ip = info_str(e, CURLINFO_LOCAL_IP);
	curl_easy_getinfo(e, CURLINFO_LOCAL_PORT, &t->local_port);
	curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &t->new_conns);
	curl_easy_getinfo(e, CURLINFO_SSL_VERIFYRESULT, &t->verify_result);
	curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &t->http_version);
	curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &t->body_wire);
	t->t_dns = info_ms(e, CURLINFO_NAMELOOKUP_TIME_T);
	t->t_connect = info_ms(e, CURLINFO_CONNECT_TIME_T);
	t->t_tls = info_ms(e, CURLINFO_APPCONNECT_TIME_T);
	t->t_pre = info_ms(e, CURLINFO_PRETRANSFER_TIME_T);
	t->t_first = info_ms(e, CURLINFO_STARTTRANSFER_TIME_T);
	t->t_total = info_ms(e, CURLINFO_TOTAL_TIME_T);
	t->t_redirect = info_ms(e, CURLINFO_REDIRECT_TIME_T);
}

static int
transfer_is_tls(const struct transfer *t)
{
	const char *u = t->final_url ? t->final_url : t->url;

	return !ascii_casecmp_n(u, "https:", 6);
}

/* The steps of the "Times" line, walked in turn on one clock. Each
 * figure is rounded as printed and "other" is what the rounded steps leave
 * of the rounded total: the line adds up exactly as read. */
struct times_walk {
	struct buf b;
	double at;      /* where the last step ended, ms */
	double sum;     /* the printed steps, rounded */
	double end;     /* the fetch's end */
	int failed;     /* the fetch failed: the first step not reached is where */
};

static double
tenths(double ms)
{
	return ms > 0 ? (double)(long long)(ms * 10.0 + 0.5) / 10.0 : 0.0;
}

/* A step that ends at point (0: not reached). */
static void
walk_step(struct times_walk *w, const char *label, double point, const char *missing)
{
	double d;

	if (point <= 0 && w->failed == 1) { /* it stopped here: how long it ran */
		point = w->end;
		w->failed = 2;
		d = tenths(point - w->at);
		buf_addf(&w->b, ", %s %s after %.1f ms", label, missing, d);
	} else if (point <= 0) {
		buf_addf(&w->b, ", %s not reached", label);
		return;
	} else {
		d = tenths(point > w->at ? point - w->at : 0);
		buf_addf(&w->b, ", %s %.1f ms", label, d);
	}
	w->sum += d;
	w->at = point;
}

/* A moment passed without a step of its own: its time goes to "other". */
static void
walk_skip(struct times_walk *w, double point)
{
	if (point > w->at)
		w->at = point;
}

/* The connection's steps: none when it was re-used. */
static void
times_connection(const struct transfer *t, struct times_walk *w)
{
	if (!t->h_tried && t->reused) {
		buf_adds(&w->b, ", no DNS, TCP connect or TLS handshake (a re-used connection)");
		return;
	}
	if (t->via_proxy || (t->h_tried && t->h_literal)) {
		buf_adds(&w->b, t->via_proxy ? ", DNS by the proxy" : ", no DNS (an IP address)");
		walk_skip(w, t->h_tried);
	} else {
		walk_step(w, "DNS", t->h_tried, "failed");
	}
	walk_step(w, "TCP connect", t->h_conn, "failed");
	if (transfer_is_tls(t))
		walk_step(w, "TLS handshake", t->h_tls, "failed");
}

/* "Times: ..." as durations of the last request's steps, our clock's:
 * the redirects before it, the steps and "other" add up to the total. */
static void
story_times(struct transfer *t)
{
	struct times_walk w = {{0}, t->ms_hop, 0, t->ms_end, t->result != CURLE_OK};
	double other;

	times_connection(t, &w);
	walk_skip(&w, t->ms_sent);
	walk_step(&w, "request sent → first byte (the server)", t->ms_first,
		  t->ms_sent > 0 ? "no answer" : "failed");
	if (t->ms_first > 0)
		walk_step(&w, "download", t->ms_end, "");
	other = tenths(t->ms_end) - tenths(t->ms_hop) - w.sum;
	if (other >= 0.05)
		buf_addf(&w.b, ", other %.1f ms (work between the steps)", other);
	if (t->redirects)
		story_step(t, "Times of the last request (the %ld redirect%s before it took %.1f "
			   "ms): %s; total %.1f ms", t->redirects, t->redirects == 1 ? "" : "s",
			   tenths(t->ms_hop), w.b.data + 2, tenths(t->ms_end));
	else
		story_step(t, "Times: %s; total %.1f ms", w.b.data + 2, tenths(t->ms_end));
	buf_free(&w.b);
}

/* The throughput, only when the body took long enough to mean something:
 * a tiny page's rate measures the clock, not the network. */
static void
story_throughput(struct transfer *t)
{
	double ms = t->ms_first > 0 ? tenths(t->ms_end - t->ms_first) : 0;
	char rate[32];

	if (ms <= 0 || (ms < 100 && t->body_wire <= 64 * 1024))
		return;
	human_size(rate, sizeof rate, (double)t->body_wire / (ms / 1000.0));
	story_step(t, "Throughput: %s/s (%" CURL_FORMAT_CURL_OFF_T " bytes of body%s in the "
		   "%.1f ms of the download)", rate, t->body_wire, t->encoding[0] ? ", compressed,"
		   : "", ms);
}

/* Whose bytes the next line counts: one request's, or several's. */
static void
bytes_whose(const struct transfer *t, struct buf *b)
{
	if (t->nhops > 1 && t->nconns > 1)
		buf_addf(b, "On the %ld connections, the %zu requests together", t->nconns,
			 t->nhops);
	else if (t->nhops > 1)
		buf_addf(b, "On the connection, the %zu requests together", t->nhops);
	else if (t->reused)
		buf_adds(b, "For this request (on a re-used connection)");
	else
		buf_adds(b, "On the connection");
}

/* The bytes each way, as they passed the connection, and the body as
 * kept when that differs: one figure each, none said twice. */
static void
story_bytes(struct transfer *t)
{
	struct buf sent = {0}, whose = {0};

	if (t->body_out)
		buf_addf(&sent, "%zu of headers, %zu of body", t->head_out, t->body_out);
	else
		buf_adds(&sent, "headers only");
	bytes_whose(t, &whose);
	story_step(t, "%s: sent %zu bytes (%s), received %zu bytes (%zu of headers, %zu of "
		   "body%s)%s%s", whose.data, t->head_out + t->body_out, sent.data,
		   t->head_in + t->body_in, t->head_in, t->body_in,
		   t->chunked ? " with the chunk sizes of the chunked transfer" : "",
		   t->redirects ? "; the redirect answers' bodies are not counted (libcurl "
		   "does not take them in)" : "", t->tls_version[0] ? "; HTTP's bytes only: "
		   "TLS's handshake and its records' own bytes are not counted" : "");
	buf_free(&sent);
	buf_free(&whose);
	if (t->encoding[0])
		story_step(t, "The body: %" CURL_FORMAT_CURL_OFF_T " bytes %s-compressed as "
			   "sent, %zu once decoded", t->body_wire, t->encoding, t->received);
	else if (t->chunked)
		story_step(t, "The body: %zu bytes once the chunk sizes are taken out",
			   t->received);
	story_throughput(t);
}

/* The HTTP version used, and whether encrypted; a refused certificate. */
static void
story_protocol(struct transfer *t)
{
	long v = t->http_version;
	const char *name = v == CURL_HTTP_VERSION_1_0 ? "HTTP/1.0" : v == CURL_HTTP_VERSION_1_1
			   ? "HTTP/1.1" : v == CURL_HTTP_VERSION_2_0 ? "HTTP/2"
			   : v == CURL_HTTP_VERSION_3 ? "HTTP/3" : NULL;

	if (t->result == CURLE_PEER_FAILED_VERIFICATION)
		story_warn(t, "The server's certificate was refused (OpenSSL's code %ld), "
			   "so no request was sent: --cacert FILE trusts a certificate (or its "
			   "signer); -k fetches without checking, and then the server is not known "
			   "to be who it says", t->verify_result);
	if (!name)
		return;
	if (t->tls_version[0])
		story_step(t, "Spoke %s over %s: encrypted", name, t->tls_version);
	else
		story_step(t, "Spoke %s, not encrypted (an http: URL)", name);
}

/* What an error status means, in words; NULL for one below 400. */
static const char *
status_gloss(long status)
{
	static const struct {
		long status;
		const char *words;
	} known[] = {
		{400, "the server could not make sense of the request"},
		{401, "the page needs a login (-u USER:PASSWORD, or a cookie)"},
		{403, "the server refuses to give this page"},
		{404, "the server has no such page"},
		{405, "the server does not take this method (-X) here"},
		{408, "the server gave up waiting for the request"},
		{410, "the page was removed for good"},
		{429, "too many requests: the server asks to slow down"},
		{500, "the server failed: an error in its own program"},
		{502, "a gateway got no valid answer from the server behind it"},
		{503, "the server is overloaded or down for maintenance"},
		{504, "a gateway got no answer in time from the server behind it"},
	};
	size_t i;

	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		if (known[i].status == status)
			return known[i].words;
	return status >= 500 ? "the server failed (a server error)"
	       : status >= 400 ? "the server refuses the request (a client error)" : NULL;
}

/* An error status, or a 304, in words: what the page shown is. */
static void
story_status(struct transfer *t)
{
	const char *words = status_gloss(t->status);

	if (words)
		story_warn(t, "HTTP status %ld: %s; the page shown is the server's own error page",
			   t->status, words);
	else if (t->status == 304 && (span_find(t->story.data, t->story.len, "\n> If-Modified-Since:") ||
				      span_find(t->story.data, t->story.len, "\n> If-None-Match:")))
		story_step(t, "HTTP status 304 (Not Modified): the page has not changed since the "
			   "copy the request named (If-Modified-Since or If-None-Match), so the "
			   "server sends no body");
	else if (t->status == 304)
		story_step(t, "HTTP status 304 (Not Modified), with no body: the answer to a request "
			   "that names a copy it has (If-Modified-Since, If-None-Match), which "
			   "this one did not");
}

/* The closing lines of the story: what the info getters know at the end. */
static void
story_summary(struct transfer *t)
{
	story_times(t);
	story_protocol(t);
	if (t->redirects)
		story_step(t, "Followed %ld redirect%s to %s", t->redirects,
			 t->redirects == 1 ? "" : "s", t->final_url);
	if (t->status == 0)
		return; /* no response: nothing to say of a body */
	story_status(t);
	if (t->length_seen >= 0)
		; /* the header line above says it */
	else if (t->status == 304 || t->status == 204)
		story_step(t, "Content-Length: not sent (a %ld response has no body)", t->status);
	else
		story_step(t, "Content-Length: not sent%s", t->chunked ? " (chunked transfer)"
							 : " (the body ends when the connection closes)");
	story_bytes(t);
}

static void
net_finish(struct transfer *t, CURLcode result)
{
	if (t->fd >= 0 && net_flush(t) < 0 && !t->write_errno) {
		t->write_errno = errno;
		if (result == CURLE_OK)
			result = CURLE_WRITE_ERROR;
	}
	t->done = 1;
	t->result = result;
	t->ms_end = elapsed_s(&t->started) * 1000.0;
	if (t->nhops && !t->hops[t->nhops - 1].ms_done)
		t->hops[t->nhops - 1].ms_done = t->ms_end; /* the total's reading */
	net_collect_info(t);
	if (!t->quiet)
		story_summary(t);
}

/* One turn of the engine: lets libcurl work, and marks finished transfers. */
static void
net_drive(CURLM *multi)
{
	CURLMsg *m;
	int running, left;

	curl_multi_perform(multi, &running);
	while ((m = curl_multi_info_read(multi, &left))) {
		struct transfer *t = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		if (t)
			net_finish(t, m->data.result);
	}
}

/* The one place a transfer leaves libcurl, done or cancelled: its story
 * and body stay. */
static void
transfer_end(struct transfer *t)
{
	if (t && t->easy) {
		curl_multi_remove_handle(t->multi, t->easy);
		curl_easy_cleanup(t->easy);
		t->easy = NULL;
	}
}

/* Ends the transfer if it still runs, and frees it. */
static void
transfer_free(struct transfer *t)
{
	if (!t)
		return;
	transfer_end(t);
	while (t->nhops)
		free(t->hops[--t->nhops].url);
	free(t->hops);
	buf_free(&t->headers);
	buf_free(&t->body);
	buf_free(&t->story);
	free(t->url);
	free(t->base);
	free(t->disposition);
	free(t->final_url);
	free(t->content_type);
	free(t->ip);
	free(t->local_ip);
	while (t->ncerts--) {
		free(t->certs[t->ncerts].subject);
		free(t->certs[t->ncerts].issuer);
		free(t->certs[t->ncerts].start);
		free(t->certs[t->ncerts].expire);
		free(t->certs[t->ncerts].names);
	}
	free(t->certs);
	free(t);
}

/* The URL a fetched page's links resolve against (before its <base>). */
static const char *
transfer_base(const struct transfer *t)
{
	return t->base ? t->base : t->final_url ? t->final_url : t->url;
}

/* ---- local inputs: a file or standard input, read as a finished transfer ---- */

/* Opens a local file named by a path or a file:// URL: its fd, or -1 with
 * why; *abs gets its absolute path. */
static int
local_open(const char *input, char **path, char **abs, struct stat *st, struct buf *why)
{
	int fd = -1;

	*path = is_file_url(input) ? path_from_file_url(input) : xstrdup(input);
	if (!*path)
		buf_adds(why, "not a local file URL (file:///path)");
	else if ((fd = open(*path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		buf_addf(why, "cannot read: %s", strerror(errno));
	else if (fstat(fd, st) < 0 || S_ISDIR(st->st_mode))
		buf_adds(why, "cannot read: a directory");
	else if (!(*abs = realpath(*path, NULL)))
		buf_addf(why, "cannot read: %s", strerror(errno));
	if (why->len && fd >= 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* A transfer libcurl never sees, for a local input (input_is_local()):
 * *fd is where local_read() reads it. NULL, with why, when it cannot be
 * opened. Its base is --base, or its file:// URL (standard input's: the
 * working directory's). */
static struct transfer *
local_start(const struct options *o, const char *input, int *fd, struct buf *why)
{
	char *path = NULL, *abs = NULL, cwd[PATH_MAX];
	struct transfer *t;
	struct stat st = {0};

	*fd = STDIN_FILENO;
	if (strcmp(input, "-") && (*fd = local_open(input, &path, &abs, &st, why)) < 0) {
		free(path);
		return NULL;
	}
	if (!path && getcwd(cwd, sizeof cwd - 1))
		abs = xstrdup(strcat(cwd, "/"));
	t = xmalloc(sizeof *t);
	memset(t, 0, sizeof *t);
	t->id = net_start_id();
	t->fd = -1;
	t->max_size = (size_t)o->max_size;
	t->content_length = S_ISREG(st.st_mode) ? (curl_off_t)st.st_size : -1;
	t->length_seen = -1;
	clock_gettime(CLOCK_MONOTONIC, &t->started);
	t->final_url = abs ? url_from_path(abs) : xstrdup("file:///");
	t->url = xstrdup(path ? t->final_url : "-");
	t->base = xstrdup(o->base ? o->base : t->final_url);
	if (path && type_from_name(path))
		t->content_type = xstrdup(type_from_name(path));
	story_step(t, "Reading %s%s", path ? "the local file " : "standard input", path ? abs : "");
	story_step(t, "Its links resolve against %s (%s)", t->base, o->base ? "--base"
		   : path ? "the file's URL; --base sets another"
			  : "the working directory; --base sets another");
	free(path);
	free(abs);
	return t;
}

/* Reads fd to its end into t, as libcurl would hand a body over (to its
 * sink or into memory, within --max-size); then t is done. */
static void
local_read(struct transfer *t, int fd)
{
	char chunk[64 * 1024];
	ssize_t r;

	while ((r = read(fd, chunk, sizeof chunk)) != 0) {
		if (r < 0 && errno == EINTR && !got_signal)
			continue;
		if (r < 0) {
			t->result = CURLE_READ_ERROR;
			snprintf(t->errbuf, sizeof t->errbuf, "cannot read: %s", strerror(errno));
			break;
		}
		if (net_write(chunk, 1, (size_t)r, t) != (size_t)r) {
			t->result = t->too_large ? CURLE_FILESIZE_EXCEEDED
				    : got_signal ? CURLE_ABORTED_BY_CALLBACK : CURLE_WRITE_ERROR;
			break;
		}
	}
	t->done = 1;
	story_step(t, "Read %zu bytes%s", t->received, t->content_type ? "" :
		   " (no type by its name: the first bytes decide)");
}

/* Why the body could not be taken: our write, our limit, or a Content-
 * Encoding libcurl could not decode (which 7.88 may also report as "Failed
 * writing received data"); 0 when none of those. */
static int
net_body_error(const struct transfer *t, struct buf *out)
{
	const char *enc = t->encoding[0] ? t->encoding : "compressed";

	if (t->write_errno) {
		buf_addf(out, "%s: %s", t->fd < 0 ? "cannot keep the body" : "cannot write the file",
			 strerror(t->write_errno));
	} else if (t->too_large || t->result == CURLE_FILESIZE_EXCEEDED) {
		buf_addf(out, "response larger than the limit (%zu bytes)", t->max_size);
	} else if (t->encoding[0] || t->result == CURLE_BAD_CONTENT_ENCODING) {
		buf_adds(out, "the body could not be decoded: it is not valid ");
		buf_add_safe(out, enc, strlen(enc), SAN_TEXT);
		buf_adds(out, " data (Content-Encoding)");
	} else {
		return 0;
	}
	return 1;
}

/* One line naming why a transfer failed; nothing when it did not. */
static void
net_error(const struct transfer *t, struct buf *out)
{
	if (t->bad_length) { /* whatever libcurl made of it */
		buf_adds(out, "the response has a malformed or conflicting Content-Length");
		return;
	}
	switch (t->result) {
	case CURLE_OK:
		return;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_BAD_CONTENT_ENCODING:
		if (net_body_error(t, out))
			return;
		break;
	case CURLE_RECV_ERROR:
		if (!strstr(t->errbuf, "Too large response headers"))
			break;
		buf_adds(out, "response headers too large (over 300 KiB in all): refused");
		return;
	case CURLE_TOO_MANY_REDIRECTS:
		buf_addf(out, "too many redirects (more than %ld)", t->max_redirs);
		return;
	case CURLE_UNSUPPORTED_PROTOCOL:
		/* also how 7.88 refuses a reply with no status line (HTTP/0.9) */
		if (strstr(t->errbuf, "HTTP/0.9")) {
			buf_adds(out, "the server replied without a status line (HTTP/0.9): refused");
			return;
		}
		if (!strstr(t->errbuf, "rotocol"))
			break;
		buf_adds(out, "refused: only http and https URLs are fetched (");
		buf_add_safe(out, t->errbuf, strlen(t->errbuf), SAN_TEXT);
		buf_adds(out, ")");
		return;
	case CURLE_OUT_OF_MEMORY:
		/* 7.88 reports an oversized header line this way, with no text
		 * that tells it from a failed allocation of its own */
		buf_adds(out, "response headers too large");
		return;
	case CURLE_OPERATION_TIMEDOUT:
		buf_addf(out, "timed out after %.1f s (", t->t_total / 1000.0);
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

/* Where a failed fetch stopped, in words. */
static const char *
story_where(const struct transfer *t)
{
	if (t->status >= 300 && t->status < 400)
		return "while following the redirects";
	if (t->status)
		return "while receiving the body";
	if (t->t_pre > 0)
		return "while waiting for the first byte";
	if (t->connected && transfer_is_tls(t))
		return "during the TLS handshake";
	if (t->connected)
		return "while sending the request";
	if (t->ms_tried > 0)
		return t->via_proxy ? "while connecting to the proxy" : "while connecting";
	return "before connecting (resolving the host)";
}

/* The last line of a failed fetch's story: where it stopped, and why in
 * words (the status line that also says it is gone at the next key). The
 * attempts that were refused said their reason already: it is not said
 * again. A body cut short is counted as it came (before any decoding), as
 * its Content-Length counts it. */
static void
story_stopped(struct transfer *t, const char *why)
{
	const char *where = story_where(t);
	int timeout = t->result == CURLE_OPERATION_TIMEDOUT;

	if (t->result == CURLE_COULDNT_CONNECT && t->ms_tried > 0)
		story_warn(t, "The fetch failed %s: no address accepted the connection", where);
	else if (t->status && t->length_seen >= 0 && t->body_wire < t->length_seen &&
		 (timeout || t->result == CURLE_PARTIAL_FILE))
		story_warn(t, "The fetch failed %s: only %" CURL_FORMAT_CURL_OFF_T " of %"
			   CURL_FORMAT_CURL_OFF_T " bytes arrived, the page is incomplete (%s)",
			   where, t->body_wire, t->length_seen, timeout ? "the time ran out"
			   : "the server closed the connection before the end");
	else if (timeout && !t->status)
		story_warn(t, "The fetch failed %s: no answer came in %.1f s", where,
			   tenths(t->ms_end) / 1000.0);
	else
		story_warn(t, "The fetch failed %s: %s", where, why);
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

/* The closing lines of the story: what the parse made of the body. */
static void
story_page(struct transfer *t, const struct page *p)
{
	if (p->body != BODY_HTML) {
		if (t->content_type)
			story_step(t, "Not parsed: %s is %s, not HTML: no elements", t->content_type,
				   body_noun(t->content_type));
		else
			story_step(t, "Not parsed: no Content-Type, and NUL bytes in the first "
				   "%d bytes: binary data, not HTML: no elements", SNIFF_BYTES);
		if (p->charset[0])
			story_step(t, "Charset: %s (%s)", p->charset, p->charset_from);
		return;
	}
	story_step(t, "Charset: %s (%s)", p->charset, p->charset_from);
	if (p->replaced)
		story_step(t, "%zu byte%s did not fit the charset: shown as U+FFFD",
			 p->replaced, p->replaced == 1 ? "" : "s");
	story_step(t, "Base URL: %s (%s)", p->base,
		 p->base_from_page ? "from <base href>" : t->base ? "the input's" : "the final URL");
	if (p->title)
		story_step(t, "Title: %s", p->title);
	if (p->tree) /* --query: a tree instead of the records */
		story_step(t, "Built the page's tree for --query%s", p->tree_cut
			   ? ", cut short by a guard (see the limits in the README)" : "");
	else
		story_step(t, "Found %zu element%s", p->n, p->n == 1 ? "" : "s");
	if (p->errors && t->received) /* no body (a 304): no markup, no mistake */
		story_step(t, "The page's HTML had %zu mistake%s the parser worked around",
			 p->errors, p->errors == 1 ? "" : "s");
	if (p->partial)
		story_step(t, "The page was only partly parsed: libxml2 stopped before its end");
	if (p->trimmed)
		story_step(t, "The page was only partly parsed: %zu tag%s with more than %d "
			 "attributes cut there", p->trimmed, p->trimmed == 1 ? "" : "s", TAG_ATTRS);
	if (p->error_flood)
		story_step(t, "The page was only partly parsed: stopped after %zu errors in the "
			 "markup (libxml2 formats a message for each)", p->error_flood);
	if (p->stray_end_tags)
		story_step(t, "The page was only partly parsed: stopped after %zu stray end tags "
			 "or <body> tags under thousands of open elements (libxml2 looks "
			 "through them all for each)", p->stray_end_tags);
}

/* ==== request: curl's request options, from the command line's words or the screen's ==== */

enum { OPT_DUMP = 256, OPT_FORMAT, OPT_DIR, OPT_FORCE, OPT_MAX, OPT_TIMEOUT,
       OPT_BASE, OPT_UNIQUE, OPT_FIELDS, OPT_DATA_BINARY, OPT_CACERT, OPT_CAPATH,
       OPT_NOPROXY, OPT_HTTP11, OPT_HTTP2, OPT_NO_COMPRESSED, OPT_MAX_REDIRS, OPT_RESOLVE,
       OPT_LIMIT_RATE, OPT_DATA_RAW, OPT_DOWNLOAD, OPT_CHECK, OPT_PARALLEL, OPT_PER_HOST,
       OPT_FSYNC };

/* getopt's letters: ours, then curl's request options */
#define SHORT_OPTIONS ":vs::hVH:A:e:u:X:d:b:c:kx:46q:"

/* getopt's names; a curl command's words on the screen are looked up here
 * too (request_read), so both read the same options */
static const struct option longopts[] = {
	{"dump", no_argument, NULL, OPT_DUMP},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"fields", required_argument, NULL, OPT_FIELDS},
	{"query", required_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{"save", optional_argument, NULL, 's'},
	{"dir", required_argument, NULL, OPT_DIR},
	{"force", no_argument, NULL, OPT_FORCE},
	{"fsync", no_argument, NULL, OPT_FSYNC},
	{"unique", no_argument, NULL, OPT_UNIQUE},
	{"max-size", required_argument, NULL, OPT_MAX},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"user-agent", required_argument, NULL, 'A'},
	{"header", required_argument, NULL, 'H'},
	{"referer", required_argument, NULL, 'e'},
	{"user", required_argument, NULL, 'u'},
	{"request", required_argument, NULL, 'X'},
	{"data", required_argument, NULL, 'd'},
	{"data-binary", required_argument, NULL, OPT_DATA_BINARY},
	{"data-raw", required_argument, NULL, OPT_DATA_RAW},
	{"cookie", required_argument, NULL, 'b'},
	{"cookie-jar", required_argument, NULL, 'c'},
	{"insecure", no_argument, NULL, 'k'},
	{"cacert", required_argument, NULL, OPT_CACERT},
	{"capath", required_argument, NULL, OPT_CAPATH},
	{"proxy", required_argument, NULL, 'x'},
	{"noproxy", required_argument, NULL, OPT_NOPROXY},
	{"ipv4", no_argument, NULL, '4'},
	{"ipv6", no_argument, NULL, '6'},
	{"http1.1", no_argument, NULL, OPT_HTTP11},
	{"http2", no_argument, NULL, OPT_HTTP2},
	{"no-compressed", no_argument, NULL, OPT_NO_COMPRESSED},
	{"max-redirs", required_argument, NULL, OPT_MAX_REDIRS},
	{"resolve", required_argument, NULL, OPT_RESOLVE},
	{"limit-rate", required_argument, NULL, OPT_LIMIT_RATE},
	{"download", required_argument, NULL, OPT_DOWNLOAD},
	{"check", no_argument, NULL, OPT_CHECK},
	{"parallel", required_argument, NULL, OPT_PARALLEL},
	{"per-host", required_argument, NULL, OPT_PER_HOST},
	{"base", required_argument, NULL, OPT_BASE},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

/* A refused value: why says it in one line; returns -1. */
static int
option_refused(struct buf *why, const char *fmt, const char *arg)
{
	buf_addf(why, fmt, arg);
	return -1;
}

/* -H "Name: value" (or "Name;" for an empty one): one header line, no
 * line break that would add another. */
static int
option_header(struct request *r, const char *h, struct buf *why)
{
	size_t name = strcspn(h, ":;");

	if (strpbrk(h, "\r\n"))
		return option_refused(why, "%s", "-H: a header cannot hold a line break");
	if (!name || !h[name])
		return option_refused(why, "-H '%s': \"Name: value\" expected", h);
	r->headers = curl_slist_append(r->headers, h);
	if (!r->headers)
		die("out of memory");
	return 0;
}

/* --resolve [+]HOST:PORT:ADDR[,ADDR...] or -HOST:PORT, as libcurl takes it. */
static int
option_resolve(struct request *r, const char *arg, struct buf *why)
{
	const char *p = arg + (*arg == '+' || *arg == '-'), *end;
	long port;

	end = *p == '[' ? strchr(p, ']') : p + strcspn(p, ":");
	if (end && *p == '[')
		end++;
	if (!end || end == p || *end != ':')
		return option_refused(why, "--resolve %s: HOST:PORT:ADDRESS expected", arg);
	errno = 0;
	port = strtol(end + 1, (char **)&p, 10);
	if (errno || p == end + 1 || port < 1 || port > 65535 ||
	    (*arg == '-' ? *p != '\0' : *p != ':' || !p[1] || p[1] == ','))
		return option_refused(why, "--resolve %s: HOST:PORT:ADDRESS expected", arg);
	r->resolve = curl_slist_append(r->resolve, arg);
	if (!r->resolve)
		die("out of memory");
	return 0;
}

/* "cannot read the data file FILE: why" (arg "@FILE"), into why. */
static int
data_file_refused(struct buf *why, const char *arg)
{
	buf_addf(why, "cannot read the data file %s: %s", arg + 1, strerror(errno));
	return -1;
}

/* -d and --data-binary: STRING, or @FILE (@- standard input); -d drops a
 * file's CR and LF, as curl; --data-raw (binary < 0) takes '@' as it is.
 * Several are joined with '&'. */
static int
option_data(struct request *r, const char *arg, int binary, struct buf *why)
{
	char chunk[65536];
	size_t n, i;
	FILE *f = NULL;

	if (r->has_data)
		buf_addc(&r->data, '&');
	r->has_data = 1;
	if (arg[0] != '@' || binary < 0) {
		buf_adds(&r->data, arg);
		return 0;
	}
	if (!strcmp(arg + 1, "-"))
		f = stdin;
	else if (!(f = fopen(arg + 1, "rb")))
		return data_file_refused(why, arg);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		for (i = 0; i < n; i++)
			if (binary || (chunk[i] != '\r' && chunk[i] != '\n'))
				buf_addc(&r->data, chunk[i]);
	if (ferror(f)) {
		if (f != stdin)
			fclose(f);
		return data_file_refused(why, arg);
	}
	if (f != stdin)
		fclose(f);
	return 0;
}

/* --limit-rate 100k: bytes per second, with curl's suffixes (1024-based). */
static int
option_rate(struct request *r, const char *arg, struct buf *why)
{
	char *end;
	double v;
	const char *units = "kmg", *u;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || !(v >= 0) || v > 1e15)
		return option_refused(why, "invalid rate for --limit-rate: %s", arg);
	if (*end && (u = strchr(units, tolower((unsigned char)*end))) && !end[1])
		for (; u >= units; u--)
			v *= 1024;
	else if (*end)
		return option_refused(why, "invalid rate for --limit-rate: %s", arg);
	r->limit_rate = (curl_off_t)v;
	return 0;
}

/* -x: an HTTP(S) proxy, as the fetches are ("" : none, not even the
 * environment's). */
static int
option_proxy(struct request *r, const char *arg, struct buf *why)
{
	const char *sep = strstr(arg, "://");

	if (sep && !((sep - arg == 4 && !ascii_casecmp_n(arg, "http", 4)) ||
		     (sep - arg == 5 && !ascii_casecmp_n(arg, "https", 5))))
		return option_refused(why, "-x %s: only http:// and https:// proxies", arg);
	r->proxy = arg;
	return 0;
}

/* -u USER:PASSWORD: kept, and blanked in argv (ps shows argv), as curl. */
static const char *
option_user(char *arg)
{
	char *copy = xstrdup(arg), *colon = strchr(arg, ':');

	if (colon)
		memset(colon + 1, '*', strlen(colon + 1));
	return copy;
}

/* -e URL, or URL;auto (then each redirect says where it came from too). */
static void
option_referer(struct request *r, const char *arg)
{
	size_t n = strlen(arg);

	if (r->autoreferer)
		free((char *)r->referer); /* a second -e replaces the first */
	r->autoreferer = n >= 5 && !strcmp(arg + n - 5, ";auto");
	r->referer = r->autoreferer ? xstrndup(arg, n - 5) : arg;
	if (r->autoreferer && !*r->referer) {
		free((char *)r->referer);
		r->referer = NULL;
	}
}

/* -X: a method is a token (RFC 9110): nothing that would break the line. */
static int
option_method(struct request *r, const char *arg, struct buf *why)
{
	const char *p;

	for (p = arg; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+-.^_`|~", *p))
			break;
	if (!*arg || *p)
		return option_refused(why, "-X '%s': not a method name", arg);
	r->method = arg;
	return 0;
}

/* --max-redirs N: a count, 0 or more. */
static int
option_redirs(struct request *r, const char *arg, struct buf *why)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 0)
		return option_refused(why, "invalid number for %s", "--max-redirs");
	r->max_redirs = v;
	return 0;
}

/* The options that take a value and may refuse it; 0 when c is not one. */
static int
options_checked(struct request *r, int c, const char *arg, struct buf *why)
{
	switch (c) {
	case 'H': return option_header(r, arg, why) < 0 ? -1 : 1;
	case 'X': return option_method(r, arg, why) < 0 ? -1 : 1;
	case 'd': return option_data(r, arg, 0, why) < 0 ? -1 : 1;
	case OPT_DATA_BINARY: return option_data(r, arg, 1, why) < 0 ? -1 : 1;
	case OPT_DATA_RAW: return option_data(r, arg, -1, why) < 0 ? -1 : 1;
	case 'x': return option_proxy(r, arg, why) < 0 ? -1 : 1;
	case OPT_MAX_REDIRS: return option_redirs(r, arg, why) < 0 ? -1 : 1;
	case OPT_RESOLVE: return option_resolve(r, arg, why) < 0 ? -1 : 1;
	case OPT_LIMIT_RATE: return option_rate(r, arg, why) < 0 ? -1 : 1;
	default: return 0;
	}
}

/* curl's request options: 1 taken, 0 when c is not one of them, -1 when
 * its value is refused (why says why, in one line). */
static int
options_request(struct options *o, int c, char *arg, struct buf *why)
{
	struct request *r = &o->req;
	int checked = options_checked(r, c, arg, why);

	if (checked)
		return checked;
	switch (c) {
	case 'A': o->user_agent = arg; break;
	case 'e': option_referer(r, arg); break;
	case 'u':
		free((char *)r->userpwd);
		r->userpwd = option_user(arg);
		break;
	case 'b':
		if (strchr(arg, '=')) /* as curl: a '=' makes it cookies, not a file */
			r->cookie = arg;
		else
			r->cookie_file = arg;
		break;
	case 'c': r->cookie_jar = arg; break;
	case 'k': r->insecure = 1; break;
	case OPT_CACERT: r->cacert = arg; break;
	case OPT_CAPATH: r->capath = arg; break;
	case OPT_NOPROXY: r->noproxy = arg; break;
	case '4': r->ip_resolve = CURL_IPRESOLVE_V4; break;
	case '6': r->ip_resolve = CURL_IPRESOLVE_V6; break;
	case OPT_HTTP11: r->http_version = CURL_HTTP_VERSION_1_1; break;
	case OPT_HTTP2: r->http_version = CURL_HTTP_VERSION_2_0; break;
	case OPT_NO_COMPRESSED: r->no_compressed = 1; break;
	default: return 0;
	}
	return 1;
}

/* The CA certificates when neither --cacert nor --capath is given: the
 * variables curl reads. */
static void
options_ca_env(struct request *r)
{
	const char *bundle = getenv("CURL_CA_BUNDLE"), *file = getenv("SSL_CERT_FILE"),
		   *dir = getenv("SSL_CERT_DIR");

	if (r->cacert || r->capath)
		return;
	if (bundle && *bundle) {
		r->cacert = bundle;
		return;
	}
	if (file && *file)
		r->cacert = file;
	if (dir && *dir)
		r->capath = dir;
}

/* A code point as UTF-8 ($'\u00e9'); 0 when it is none. */
static int
utf8_put(struct buf *out, unsigned long c)
{
	if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	if (c < 0x80) {
		buf_addc(out, (char)c);
	} else if (c < 0x800) {
		buf_addc(out, (char)(0xc0 | c >> 6));
		buf_addc(out, (char)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		buf_addc(out, (char)(0xe0 | c >> 12));
		buf_addc(out, (char)(0x80 | (c >> 6 & 0x3f)));
		buf_addc(out, (char)(0x80 | (c & 0x3f)));
	} else {
		buf_addc(out, (char)(0xf0 | c >> 18));
		buf_addc(out, (char)(0x80 | (c >> 12 & 0x3f)));
		buf_addc(out, (char)(0x80 | (c >> 6 & 0x3f)));
		buf_addc(out, (char)(0x80 | (c & 0x3f)));
	}
	return 1;
}

/* Up to max digits of base at p (< end): their value, and how many in *n. */
static unsigned long
digits_value(const char *p, const char *end, int base, int max, int *n)
{
	unsigned long v = 0;
	int d;

	for (*n = 0; *n < max && p + *n < end; ++*n) {
		d = isdigit((unsigned char)p[*n]) ? p[*n] - '0'
		    : isxdigit((unsigned char)p[*n]) ? tolower((unsigned char)p[*n]) - 'a' + 10 : 99;
		if (d >= base)
			break;
		v = v * (unsigned long)base + (unsigned long)d;
	}
	return v;
}

/* The escape of $'...' after its backslash, at p: its bytes onto out.
 * Returns where it ends, or NULL for a NUL (which no word can hold). */
static const char *
ansi_c_escape(const char *p, const char *end, struct buf *out)
{
	static const char from[] = "abeEfnrtv\\'\"?", to[] = "\a\b\033\033\f\n\r\t\v\\'\"?";
	const char *hit = p < end && *p ? strchr(from, *p) : NULL;
	unsigned long v;
	int n = 0, max;

	if (hit) {
		buf_addc(out, to[hit - from]);
		return p + 1;
	}
	if (p < end && *p >= '0' && *p <= '7') {
		v = digits_value(p, end, 8, 3, &n);
		max = 0;
	} else if (p < end && (*p == 'x' || *p == 'u' || *p == 'U')) {
		max = *p == 'x' ? 2 : *p == 'u' ? 4 : 8;
		v = digits_value(p + 1, end, 16, max, &n);
		if (!n) { /* "\x" without a digit stays as written */
			buf_addc(out, '\\');
			return p;
		}
		p++;
	} else if (p + 1 < end && *p == 'c') {
		v = (unsigned long)(p[1] & 0x1f);
		n = 1;
		max = 0;
		p++;
	} else {
		buf_addc(out, '\\');
		return p;
	}
	if (!(v & (max > 2 ? ~0UL : 0xffUL)))
		return NULL;
	if (max <= 2)
		buf_addc(out, (char)(v & 0xff));
	else if (!utf8_put(out, v))
		buf_adds(out, "\xef\xbf\xbd"); /* no character: U+FFFD, as bash */
	return p + n;
}

/* $'...' from after its quote: the word's bytes onto out; returns after
 * the closing quote, or NULL (why says) when it never closes or holds a NUL. */
static const char *
shell_ansi_c(const char *p, const char *end, struct buf *out, struct buf *why)
{
	while (p < end && *p != '\'') {
		if (*p != '\\') {
			buf_addc(out, *p++);
		} else if (!(p = ansi_c_escape(p + 1, end, out))) {
			buf_adds(why, "a NUL byte ($'\\0') cannot be part of a word");
			return NULL;
		}
	}
	if (p >= end)
		buf_adds(why, "the $' quote is never closed");
	return p < end ? p + 1 : NULL;
}

/* "..." from after its quote, as sh reads it: a backslash escapes only
 * $ ` " \ and a line break; $ and ` would expand, and are refused. */
static const char *
shell_double(const char *p, const char *end, struct buf *out, struct buf *why)
{
	for (; p < end && *p != '"'; p++) {
		if (*p == '\\' && p + 1 < end && strchr("$`\"\\\n", p[1])) {
			if (p[1] != '\n')
				buf_addc(out, p[1]);
			p++;
		} else if (*p == '$' || *p == '`') {
			buf_addf(why, "%c inside \"...\" would expand: not done here (quote it with '...')",
				 *p);
			return NULL;
		} else {
			buf_addc(out, *p);
		}
	}
	if (p >= end)
		buf_adds(why, "the \" quote is never closed");
	return p < end ? p + 1 : NULL;
}

/* One piece of a word at p, unquoted or quoted, onto out; returns where
 * the next begins, or NULL (why says). */
static const char *
shell_piece(const char *p, const char *end, struct buf *out, struct buf *why)
{
	const char *q;

	if (*p == '\'') {
		if (!(q = memchr(p + 1, '\'', (size_t)(end - p - 1)))) {
			buf_adds(why, "the ' quote is never closed");
			return NULL;
		}
		buf_add(out, p + 1, (size_t)(q - p - 1));
		return q + 1;
	}
	if (*p == '"')
		return shell_double(p + 1, end, out, why);
	if (*p == '$' && p + 1 < end && p[1] == '\'')
		return shell_ansi_c(p + 2, end, out, why);
	if (strchr("$`;&|<>()", *p)) {
		buf_addf(why, "%c is shell syntax: not run here (paste one curl command)", *p);
		return NULL;
	}
	if (*p == '\\' && p + 1 < end)
		p++; /* the next byte as it is */
	buf_addc(out, *p);
	return p + 1;
}

/* Splits a command line into words as a POSIX shell reads them: '...',
 * "...", backslashes, bash's $'...' (browsers copy with it), a backslash
 * before a line break joins the lines; nothing is expanded. The words go
 * onto out, each ended by a NUL; *nwords counts them. Returns 0, or -1
 * with why (an unterminated quote, a NUL, shell syntax). */
static int
shell_words(const char *s, size_t n, struct buf *out, size_t *nwords, struct buf *why)
{
	const char *p = s, *end = s + n;
	int in_word = 0;

	*nwords = 0;
	if (memchr(s, '\0', n))
		return option_refused(why, "%s", "a NUL byte cannot be part of a command line");
	while (p < end) {
		if (*p == '\\' && p + 1 < end && (p[1] == '\n' || p[1] == '\r')) {
			p += 2 + (p[1] == '\r' && p + 2 < end && p[2] == '\n');
			continue; /* the line goes on */
		}
		if (*p == '#' && !in_word) { /* a comment, to the end of the line */
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		if (strchr(" \t\n\r", *p)) {
			if (in_word)
				buf_addc(out, '\0'), ++*nwords;
			in_word = 0;
			p++;
			continue;
		}
		in_word = 1;
		if (!(p = shell_piece(p, end, out, why)))
			return -1;
	}
	if (in_word)
		buf_addc(out, '\0'), ++*nwords;
	return 0;
}

/* curl's options about its own output, and two of its choices that are
 * scraper's defaults (--compressed, -L): taken, and without effect. */
static const struct curl_ignored {
	const char *name;
	char letter;
	int value;
} curl_ignored[] = {
	{"output", 'o', 1}, {"remote-name", 'O', 0}, {"silent", 's', 0},
	{"show-error", 'S', 0}, {"verbose", 'v', 0}, {"include", 'i', 0},
	{"progress-bar", '#', 0}, {"compressed", 0, 0}, {"location", 'L', 0},
};

/* The code of a long option: curl's ignored ones are -2 (-3 with a value),
 * ours as getopt has them; 0 when unknown. *value: it takes one. */
static int
long_code(const char *name, size_t n, int *value)
{
	size_t i;

	for (i = 0; i < sizeof curl_ignored / sizeof *curl_ignored; i++)
		if (strlen(curl_ignored[i].name) == n && !strncmp(name, curl_ignored[i].name, n))
			return *value = curl_ignored[i].value, -2 - *value;
	for (i = 0; longopts[i].name; i++)
		if (strlen(longopts[i].name) == n && !strncmp(name, longopts[i].name, n))
			return *value = longopts[i].has_arg == required_argument, longopts[i].val;
	return 0;
}

/* The code of a short option letter, as long_code(). */
static int
short_code(char letter, int *value)
{
	const char *at;
	size_t i;

	for (i = 0; i < sizeof curl_ignored / sizeof *curl_ignored; i++)
		if (curl_ignored[i].letter == letter)
			return *value = curl_ignored[i].value, -2 - *value;
	at = letter && letter != ':' ? strchr(SHORT_OPTIONS, letter) : NULL;
	if (!at)
		return 0;
	*value = at[1] == ':' && at[2] != ':';
	return letter;
}

/* path is a regular file, or none: a FIFO or /dev/zero would never end. */
static int
file_plain(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? errno == ENOENT : S_ISREG(st.st_mode);
}

/* Applies option code c (named name) with its value to o, as the command
 * line would; -1 with why when refused or not a request option. */
static int
word_apply(struct options *o, int c, const char *name, char *value, struct buf *why)
{
	int taken;

	if (c <= -2)
		return 0;
	if (!c)
		return option_refused(why, "unknown curl option %s", name);
	if ((c == 'd' || c == OPT_DATA_BINARY) && !strcmp(value, "@-"))
		return option_refused(why, "%s @-: standard input is the terminal here", name);
	if (((c == 'd' || c == OPT_DATA_BINARY) && value[0] == '@' && !file_plain(value + 1)) ||
	    (((c == 'b' && !strchr(value, '=')) || c == OPT_CACERT) && !file_plain(value)))
		return option_refused(why, "%s: not a regular file (the screen would wait on it)",
				      value);
	taken = options_request(o, c, value, why);
	if (!taken)
		return option_refused(why, "%s is not a request option", name);
	return taken < 0 ? -1 : 0;
}

/* A value for the option word w[0] (its tail, else the next word): NULL
 * with why when there is none. */
static char *
word_value(char **w, size_t n, char *tail, const char *name, struct buf *why)
{
	if (tail && *tail)
		return tail;
	if (n > 1)
		return w[1];
	option_refused(why, "%s needs a value", name);
	return NULL;
}

/* --name, --name=value or --name value; returns the words used, -1 with why. */
static int
word_long(struct options *o, char **w, size_t n, const char **url, struct buf *why)
{
	char name[64], *eq = strchr(w[0], '='), *value = NULL;
	size_t len = eq ? (size_t)(eq - w[0]) : strlen(w[0]);
	int takes = 0, c = long_code(w[0] + 2, len - 2, &takes);

	snprintf(name, sizeof name, "%.*s", (int)(len < 60 ? len : 60), w[0]);
	if (url && !strcmp(name, "--url")) { /* the URL, as an option */
		if (!(value = word_value(w, n, eq ? eq + 1 : NULL, name, why)))
			return -1;
		if (*url)
			return option_refused(why, "a second URL, %s: one fetch at a time", value);
		*url = value;
		return eq ? 1 : 2;
	}
	if (eq && c && !takes)
		return option_refused(why, "%s takes no value", name);
	if (c && takes && !(value = word_value(w, n, eq ? eq + 1 : NULL, name, why)))
		return -1;
	if (word_apply(o, c, name, value, why) < 0)
		return -1;
	return takes && !eq ? 2 : 1;
}

/* -k, -sSL, -H value, -Hvalue; returns the words used, -1 with why. */
static int
word_short(struct options *o, char **w, size_t n, struct buf *why)
{
	char name[3] = "-?", *value;
	int i, takes, c;

	for (i = 1; w[0][i]; i++) {
		name[1] = w[0][i];
		takes = 0;
		value = NULL;
		c = short_code(w[0][i], &takes);
		if (c && takes && !(value = word_value(w, n, w[0] + i + 1, name, why)))
			return -1;
		if (word_apply(o, c, name, value, why) < 0)
			return -1;
		if (c && takes)
			return w[0][i + 1] ? 1 : 2;
	}
	return 1;
}

/* Reads curl's words into o as the command line would read them; a word
 * that is no option is the URL, into *url (url NULL: none may be there).
 * Returns 0, or -1 with why in one line. */
static int
request_read(struct options *o, char **w, size_t n, const char **url, struct buf *why)
{
	size_t i;
	int used;

	for (i = 0; i < n; i += (size_t)used) {
		if (w[i][0] == '-' && w[i][1] == '-' && w[i][2])
			used = word_long(o, w + i, n - i, url, why);
		else if (!strcmp(w[i], "--"))
			return option_refused(why, "%s", "-- (the end of the options) is not taken here");
		else if (w[i][0] == '-' && w[i][1] && w[i][1] != '-')
			used = word_short(o, w + i, n - i, why);
		else if (!url)
			return option_refused(why, "'%s' is not an option: the URL goes in the "
					      "URL field", w[i]);
		else if (*url)
			return option_refused(why, "a second URL, %s: one fetch at a time", w[i]);
		else
			used = (*url = w[i], 1);
		if (used < 0)
			return -1;
	}
	return 0;
}

/* What a request owns: its lists and copies. */
static void
request_free(struct request *r)
{
	curl_slist_free_all(r->headers);
	curl_slist_free_all(r->resolve);
	free((char *)r->userpwd);
	if (r->autoreferer)
		free((char *)r->referer);
	buf_free(&r->data);
}

/* A header that carries a credential: one curl -L does not send to
 * another host either. */
static int
header_is_credential(const char *h)
{
	return !ascii_casecmp_n(h, "authorization:", 14) || !ascii_casecmp_n(h, "cookie:", 7);
}

/* The request for a fetch the page asks for (a link followed, an element
 * downloaded): a link is fetched with GET, as a browser does, so without
 * -d and -X; and to a server the options were not given for, without the
 * credentials (-u, -b's string, the Authorization and Cookie headers), as
 * curl -L drops them. *out shares r's strings and owns its headers (free
 * them with curl_slist_free_all). What was left out is named in *left. */
static void
request_for_page(struct request *out, const struct request *r, int other_server,
		 struct buf *left)
{
	const struct curl_slist *h;
	int header_left = 0;

	*out = *r;
	out->headers = NULL;
	for (h = r->headers; h; h = h->next) {
		if (other_server && header_is_credential(h->data))
			header_left = 1;
		else if (!(out->headers = curl_slist_append(out->headers, h->data)))
			die("out of memory");
	}
	memset(&out->data, 0, sizeof out->data);
	out->has_data = 0;
	out->method = NULL;
	if (!other_server)
		return;
	if (r->userpwd)
		buf_adds(left, left->len ? ", -u" : "-u");
	if (r->cookie)
		buf_adds(left, left->len ? ", -b's cookies" : "-b's cookies");
	if (header_left)
		buf_adds(left, left->len ? ", the Authorization and Cookie headers"
					 : "the Authorization and Cookie headers");
	out->userpwd = NULL;
	out->cookie = NULL;
}

/* -u USER, without a password, on the screen: the password in effect for
 * USER stays (the Headers field shows none). */
static void
request_keep_password(struct request *r, const struct request *was)
{
	size_t n;

	if (!r->userpwd || strchr(r->userpwd, ':') || !was->userpwd)
		return;
	n = strlen(r->userpwd);
	if (!strncmp(was->userpwd, r->userpwd, n) && was->userpwd[n] == ':') {
		free((char *)r->userpwd);
		r->userpwd = xstrdup(was->userpwd);
	}
}

static void
asked_free(struct asked *k)
{
	struct asked *next;

	for (; k; k = next) {
		next = k->next;
		request_free(&k->opt.req);
		buf_free(&k->words);
		free(k->argv);
		free(k);
	}
}

/* Request options from curl words typed or pasted on the screen (after
 * skip words: "curl"), in place of was's; was's other options stay. The
 * URL among them into *url (NULL: none may be). NULL, with why, when a
 * word is refused: then nothing is changed. */
static struct asked *
asked_read(const struct options *was, const char *text, size_t skip, const char **url,
	   struct buf *why)
{
	struct asked *k = xmalloc(sizeof *k);
	size_t n = 0, i;
	char *p;

	memset(k, 0, sizeof *k);
	k->opt = *was;
	memset(&k->opt.req, 0, sizeof k->opt.req);
	k->opt.req.max_redirs = MAX_REDIRECTS;
	k->opt.user_agent = "scraper/" VERSION;
	if (shell_words(text, strlen(text), &k->words, &n, why) < 0)
		goto refused;
	k->argv = xmalloc((n + 1) * sizeof *k->argv);
	for (i = 0, p = k->words.data; i < n; i++, p += strlen(p) + 1)
		k->argv[i] = p;
	if (request_read(&k->opt, k->argv + (skip < n ? skip : n), n - (skip < n ? skip : n),
			 url, why) < 0)
		goto refused;
	request_keep_password(&k->opt.req, &was->req);
	options_ca_env(&k->opt.req);
	if (k->opt.req.cookie_file && (!was->req.cookie_file ||
				       strcmp(k->opt.req.cookie_file, was->req.cookie_file)))
		net_cookies_load(k->opt.req.cookie_file);
	return k;
refused:
	asked_free(k);
	return NULL;
}

/* A word quoted so that a POSIX shell reads it back as it is: bare when
 * safe, else '...', else $'...' with its control and non-ASCII bytes as
 * \xHH: the text is printable ASCII, safe on any screen. */
static void
shell_quote(struct buf *out, const char *s, size_t n)
{
	size_t i, plain = 0, safe = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		plain += c >= 0x20 && c < 0x7f;
		safe += isalnum(c) || strchr("@%+=:,./_-", c);
	}
	if (n && safe == n) {
		buf_add(out, s, n);
	} else if (plain == n) {
		buf_addc(out, '\'');
		for (i = 0; i < n; i++)
			s[i] == '\'' ? buf_adds(out, "'\\''") : buf_addc(out, s[i]);
		buf_addc(out, '\'');
	} else {
		buf_adds(out, "$'");
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c == '\'' || c == '\\')
				buf_addc(out, '\\'), buf_addc(out, (char)c);
			else if (c < 0x20 || c >= 0x7f)
				buf_addf(out, "\\x%02x", c);
			else
				buf_addc(out, (char)c);
		}
		buf_addc(out, '\'');
	}
}

/* " OPTION VALUE", the value quoted (none when NULL). */
static void
word_add(struct buf *out, const char *option, const char *value)
{
	buf_addc(out, ' ');
	buf_adds(out, option);
	if (value) {
		buf_addc(out, ' ');
		shell_quote(out, value, strlen(value));
	}
}

/* What the request says and carries, as curl words (see request_words). */
static void
request_words_http(struct buf *out, const struct options *o, int replay)
{
	const struct request *r = &o->req;
	const struct curl_slist *h;
	size_t user;

	for (h = r->headers; h; h = h->next)
		word_add(out, "-H", h->data);
	if (replay || strcmp(o->user_agent, "scraper/" VERSION))
		word_add(out, "-A", o->user_agent);
	if (r->referer || r->autoreferer) {
		word_add(out, "-e", NULL);
		buf_addc(out, ' ');
		shell_quote(out, r->referer ? r->referer : "", r->referer ? strlen(r->referer) : 0);
		if (r->autoreferer)
			buf_adds(out, "';auto'");
	}
	if (r->userpwd) {
		user = replay ? strlen(r->userpwd) : strcspn(r->userpwd, ":");
		word_add(out, "-u", NULL);
		buf_addc(out, ' ');
		shell_quote(out, r->userpwd, user);
	}
	if (r->method)
		word_add(out, "-X", r->method);
	if (r->has_data) {
		word_add(out, "--data-binary", NULL);
		buf_addc(out, ' ');
		shell_quote(out, r->data.data ? r->data.data : "", r->data.len);
	}
	if (r->cookie)
		word_add(out, "-b", r->cookie);
	if (r->cookie_file)
		word_add(out, "-b", r->cookie_file);
	if (r->cookie_jar && !replay)
		word_add(out, "-c", r->cookie_jar);
}

/* How the request gets there, as curl words (see request_words). */
static void
request_words_connection(struct buf *out, const struct request *r, int replay)
{
	const struct curl_slist *h;
	const char *env_file = getenv("SSL_CERT_FILE"), *env_dir = getenv("SSL_CERT_DIR"),
		   *env_bundle = getenv("CURL_CA_BUNDLE");

	if (r->insecure)
		word_add(out, "-k", NULL);
	if (r->cacert && r->cacert != env_file && r->cacert != env_bundle)
		word_add(out, "--cacert", r->cacert);
	if (r->capath && r->capath != env_dir)
		word_add(out, "--capath", r->capath);
	if (r->proxy)
		word_add(out, "-x", r->proxy);
	if (r->noproxy)
		word_add(out, "--noproxy", r->noproxy);
	if (r->ip_resolve)
		word_add(out, r->ip_resolve == CURL_IPRESOLVE_V4 ? "-4" : "-6", NULL);
	if (r->http_version)
		word_add(out, r->http_version == CURL_HTTP_VERSION_2_0 ? "--http2" : "--http1.1",
			 NULL);
	if (r->no_compressed != replay)
		word_add(out, replay ? "--compressed" : "--no-compressed", NULL);
	if (replay && r->max_redirs > 0)
		word_add(out, "-L", NULL);
	if (replay || r->max_redirs != MAX_REDIRECTS)
		buf_addf(out, " --max-redirs %ld", r->max_redirs);
	for (h = r->resolve; h; h = h->next)
		word_add(out, "--resolve", h->data);
	if (r->limit_rate > 0)
		buf_addf(out, " --limit-rate %" CURL_FORMAT_CURL_OFF_T, r->limit_rate);
}

/* The request options of o as curl words, each after a space: for the
 * form's Headers field (what differs from the defaults; -u without its
 * password), or to replay the request with curl (replay: the password
 * too, and curl's words for scraper's defaults: --compressed, -L). */
static void
request_words(struct buf *out, const struct options *o, int replay)
{
	request_words_http(out, o, replay);
	request_words_connection(out, &o->req, replay);
}

/* ==== output: TSV, JSON, the story, errors; saving files (temp + rename) ==== */

static void
print_err(const char *url, const char *msg)
{
	struct buf b = {0};
	char *shown = url_without_password(url);

	buf_adds(&b, "scraper: ");
	if (shown) {
		buf_add_safe(&b, shown, strlen(shown), SAN_TEXT);
		buf_adds(&b, ": ");
	}
	free(shown);
	buf_adds(&b, msg);
	buf_addc(&b, '\n');
	fputs(b.data, stderr);
	buf_free(&b);
}

/* Writes the buffer out once it is large: the output of a big page is
 * streamed, not held whole in memory. f NULL: keep everything (tests). */
static int
out_spill(struct buf *o, FILE *f, size_t threshold)
{
	if (!f || o->len < threshold)
		return 0;
	if (o->len && fwrite(o->data, 1, o->len, f) != o->len)
		return -1;
	o->len = 0;
	return 0;
}

/* How TSV lines are made: which columns, and what fills them. */
struct tsv {
	const unsigned char *fields; /* F_END-terminated; NULL: default_fields */
	const char *page;            /* the page's URL, for the page column */
	struct resolver r;           /* for records that hold no URL (--dump) */
	const char **status;         /* --check: each record's (of el), or NULL */
	const struct element *el;
};

static void
tsv_init(struct tsv *t, const unsigned char *fields, const char *page, const char *base)
{
	t->fields = fields && fields[0] ? fields : default_fields;
	t->page = page ? page : "";
	resolver_init(&t->r, base);
}

static void
tsv_field(struct buf *o, enum field f, const struct element *e, struct tsv *t)
{
	const char *s = NULL;

	switch (f) { /* the table's own names need no sanitising */
	case F_KIND: buf_adds(o, kind_names[e->rule->kind]); return;
	case F_TAG: buf_adds(o, e->rule->tag); return;
	case F_ATTR: buf_adds(o, e->rule->attr); return;
	case F_URL: s = e->url ? e->url : resolver_url(&t->r, e->raw); break;
	case F_RAW: s = e->raw; break;
	case F_TEXT: s = e->text; break;
	case F_DESCRIPTOR: s = record_descriptor(e); break;
	case F_REL: s = record_rel(e); break;
	case F_PAGE: s = t->page; break;
	case F_STATUS: s = t->status ? t->status[e - t->el] : NULL; break;
	default: break;
	}
	if (s)
		buf_add_safe(o, s, strlen(s), SAN_TSV);
}

static void
tsv_record(struct buf *o, const struct element *e, struct tsv *t)
{
	const unsigned char *f;

	for (f = t->fields; *f; f++) {
		if (f != t->fields)
			buf_addc(o, '\t');
		tsv_field(o, (enum field)*f, e, t);
	}
	buf_addc(o, '\n');
}

/* The records as TSV: the columns fields names (NULL: the default ones);
 * page is what the page column says. */
static int
out_tsv(struct buf *o, const struct page *p, const unsigned char *fields, const char *page,
	FILE *f)
{
	struct tsv t;
	size_t i;

	tsv_init(&t, fields, page, p->base);
	t.status = p->status;
	t.el = p->el;
	for (i = 0; i < p->n; i++) {
		if (out_spill(o, f, 65536) < 0) {
			resolver_free(&t.r);
			return -1;
		}
		tsv_record(o, &p->el[i], &t);
	}
	resolver_free(&t.r);
	return out_spill(o, f, 0);
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

/* A header line split at its colon, and where it came. */
struct header_line {
	const char *name, *value;
	size_t name_len, value_len, seq;
};

static int
header_line_cmp(const void *a, const void *b)
{
	const struct header_line *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = ascii_casecmp_n(x->name, y->name, n);

	if (c)
		return c;
	if (x->name_len != y->name_len)
		return x->name_len < y->name_len ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
header_same_name(const struct header_line *x, const struct header_line *y)
{
	return x->name_len == y->name_len && !ascii_casecmp_n(x->name, y->name, x->name_len);
}

/* Splits header lines "Name: value\r\n" (a line without a colon is left
 * out); returns how many, in a new array. */
static struct header_line *
header_lines(const char *s, size_t n, size_t *count)
{
	const char *end = s + n, *nl, *colon;
	size_t k = 1;
	struct header_line *h;

	for (nl = s; (nl = memchr(nl, '\n', (size_t)(end - nl))); nl++)
		k++;
	h = xmalloc(k * sizeof *h);
	for (k = 0; s < end; s = nl + 1) {
		if (!(nl = memchr(s, '\n', (size_t)(end - s))))
			nl = end;
		if (!(colon = memchr(s, ':', (size_t)(nl - s))))
			continue;
		h[k].name = s;
		h[k].name_len = (size_t)(colon - s);
		for (s = colon + 1; s < nl && (*s == ' ' || *s == '\t'); s++)
			;
		h[k].value = s;
		h[k].value_len = (size_t)(nl - s);
		while (h[k].value_len && strchr(" \t\r", h[k].value[h[k].value_len - 1]))
			h[k].value_len--;
		h[k].seq = k;
		k++;
	}
	*count = k;
	return h;
}

/* A hop's headers as curl's --write-out '%{header_json}' gives them: each
 * name in lower case, once, with the list of its values in order. */
static void
json_headers(struct buf *o, const char *s, size_t n)
{
	size_t count, i, j;
	struct header_line *h = header_lines(s, n, &count);
	struct buf name = {0};

	qsort(h, count, sizeof *h, header_line_cmp);
	buf_addc(o, '{');
	for (i = 0; i < count; i = j) {
		name.len = 0;
		buf_add_lower(&name, h[i].name, h[i].name_len);
		buf_adds(o, i ? ",\"" : "\"");
		buf_add_safe(o, name.data, name.len, SAN_JSON);
		buf_adds(o, "\":[");
		for (j = i; j < count && header_same_name(&h[i], &h[j]); j++) {
			buf_adds(o, j > i ? ",\"" : "\"");
			buf_add_safe(o, h[j].value, h[j].value_len, SAN_JSON);
			buf_addc(o, '"');
		}
		buf_addc(o, ']');
	}
	buf_addc(o, '}');
	buf_free(&name);
	free(h);
}

/* A number; 0 is null. */
static void
json_long(struct buf *o, long v)
{
	if (v)
		buf_addf(o, "%ld", v);
	else
		buf_adds(o, "null");
}

/* Milliseconds with three decimals, whatever LC_NUMERIC says; null for a
 * step libcurl did not reach (it says 0). */
static void
json_ms(struct buf *o, double ms)
{
	long long us = (long long)(ms * 1000.0 + 0.5);

	if (us <= 0)
		buf_adds(o, "null");
	else
		buf_addf(o, "%lld.%03lld", us / 1000, us % 1000);
}

/* A step's length in milliseconds, 0.000 included; null when the step was
 * not reached (to is 0, as libcurl says). */
static void
json_step(struct buf *o, const char *name, double from, double to)
{
	long long us = (long long)((to > from ? to - from : 0) * 1000.0 + 0.5);

	buf_addf(o, ",\"%s\":", name);
	if (to > 0)
		buf_addf(o, "%lld.%03lld", us / 1000, us % 1000);
	else
		buf_adds(o, "null");
}

/* Each response: its URL, status, HTTP version, headers and own times. */
static void
json_hops(struct buf *o, const struct transfer *t)
{
	size_t i;

	buf_adds(o, ",\"hops\":[");
	for (i = 0; i < t->nhops; i++) {
		const struct hop *h = &t->hops[i];

		buf_adds(o, i ? ",{\"url\":" : "{\"url\":");
		json_str(o, h->url);
		buf_addf(o, ",\"status\":%ld,\"http_version\":", h->status);
		json_str(o, h->version[0] ? h->version : NULL);
		buf_adds(o, ",\"headers\":");
		json_headers(o, t->headers.data ? t->headers.data + h->head : "", h->len);
		buf_adds(o, ",\"times\":{\"sent\":");
		json_ms(o, h->ms_sent);
		buf_adds(o, ",\"first_byte\":");
		json_ms(o, h->ms_first);
		json_step(o, "server", h->ms_sent, h->ms_sent > 0 ? h->ms_first : 0);
		buf_adds(o, ",\"done\":");
		json_ms(o, h->ms_done);
		buf_adds(o, "}}");
	}
	buf_addc(o, ']');
}

/* libcurl's times from the start, then each step's own length. */
/* Each step's own length, the last request's, on the clock of the
 * story's "Times" line (so the two agree): redirects (the hops before
 * it), dns, connect, tls, server (request sent to first byte), download,
 * other (between the steps) and total; null for a step not reached or
 * not taken. redirects, the steps and other add up to total. */
static void
json_steps(struct buf *o, const struct transfer *t, int reused)
{
	int fresh = !reused && t->h_tried > 0, lookup = fresh && !t->via_proxy && !t->h_literal;
	double from[] = {t->ms_hop, t->h_tried, t->h_conn, t->ms_sent, t->ms_first};
	double to[] = {lookup ? t->h_tried : 0, fresh ? t->h_conn : 0,
		       fresh && transfer_is_tls(t) && t->h_conn > 0 ? t->h_tls : 0,
		       t->ms_sent > 0 ? t->ms_first : 0, t->ms_first > 0 ? t->ms_end : 0};
	static const char *const name[] = {"dns", "connect", "tls", "server", "download"};
	double other = t->ms_end - t->ms_hop;
	size_t i;

	buf_adds(o, ",\"steps\":{\"reused\":");
	buf_adds(o, reused ? "true" : "false");
	json_step(o, "redirects", 0, t->ms_hop);
	for (i = 0; i < sizeof name / sizeof name[0]; i++) {
		json_step(o, name[i], from[i], to[i]);
		other -= to[i] > from[i] ? to[i] - from[i] : 0;
	}
	json_step(o, "other", t->ms_end - other, t->ms_end);
	json_step(o, "total", 0, t->ms_end);
	buf_adds(o, "}");
}

static void
json_timings(struct buf *o, const struct transfer *t)
{
	int reused = t->reused && !t->new_conns;

	buf_adds(o, ",\"timings\":{\"dns\":");
	json_ms(o, t->t_dns);
	buf_adds(o, ",\"connect\":");
	json_ms(o, t->t_connect);
	buf_adds(o, ",\"tls\":");
	json_ms(o, t->t_tls);
	buf_adds(o, ",\"first_byte\":");
	json_ms(o, t->t_first);
	buf_adds(o, ",\"total\":");
	json_ms(o, t->t_total);
	buf_adds(o, ",\"redirect\":");
	json_ms(o, t->t_redirect);
	json_steps(o, t, reused);
	buf_adds(o, "}");
}

/* TLS: the session and the chain the server sent; null without TLS. */
static void
json_tls(struct buf *o, const struct transfer *t)
{
	size_t i;

	buf_adds(o, ",\"tls\":");
	if (!t->tls_version[0]) {
		buf_adds(o, "null");
		return;
	}
	buf_adds(o, "{\"version\":");
	json_str(o, t->tls_version);
	buf_adds(o, ",\"cipher\":");
	json_str(o, t->tls_cipher[0] ? t->tls_cipher : NULL);
	buf_adds(o, ",\"alpn\":");
	json_str(o, t->alpn[0] ? t->alpn : NULL);
	buf_addf(o, ",\"verify_result\":%ld,\"certificates\":[", t->verify_result);
	for (i = 0; i < t->ncerts; i++) {
		buf_adds(o, i ? ",{\"subject\":" : "{\"subject\":");
		json_str(o, t->certs[i].subject);
		buf_adds(o, ",\"issuer\":");
		json_str(o, t->certs[i].issuer);
		buf_adds(o, ",\"start\":");
		json_str(o, t->certs[i].start);
		buf_adds(o, ",\"expire\":");
		json_str(o, t->certs[i].expire);
		buf_adds(o, ",\"names\":");
		json_str(o, t->certs[i].names);
		buf_addc(o, '}');
	}
	buf_adds(o, "]}");
}

/* The two ends of the connection, and what passed between them. */
static void
json_ends(struct buf *o, const struct transfer *t)
{
	buf_adds(o, ",\"local\":");
	if (t->local_ip && *t->local_ip) {
		buf_adds(o, "{\"ip\":");
		json_str(o, t->local_ip);
		buf_addf(o, ",\"port\":%ld}", t->local_port);
	} else {
		buf_adds(o, "null");
	}
	buf_adds(o, ",\"remote\":");
	if (!t->ip || !*t->ip) {
		buf_adds(o, "null");
		return;
	}
	buf_adds(o, "{\"ip\":");
	json_str(o, t->ip);
	buf_addf(o, ",\"port\":%ld,\"reused\":%s,\"kept_open\":%s,\"bytes_sent\":%zu,"
		 "\"bytes_received\":%zu}", t->port, t->reused && !t->new_conns ? "true" : "false",
		 t->conn_kept > 0 ? "true" : t->conn_kept < 0 ? "false" : "null",
		 t->head_out + t->body_out, t->head_in + t->body_in);
}

/* The transfer's facts: each hop, the times, TLS, the two ends. */
static void
json_transfer(struct buf *o, const struct transfer *t)
{
	json_hops(o, t);
	json_timings(o, t);
	json_tls(o, t);
	json_ends(o, t);
}

/* What is known of the page: everything but its records, on one line.
 * p is NULL when the fetch failed (error says why). */
static void
json_page(struct buf *o, const struct transfer *t, const struct page *p, const char *saved,
	  const char *error)
{
	char *url = url_without_password(t->url); /* the password was sent, not shown */

	buf_adds(o, "{\"url\":");
	json_str(o, url);
	free(url);
	buf_adds(o, ",\"final_url\":");
	json_str(o, t->final_url);
	/* 0 for what a failed fetch never had: null */
	buf_adds(o, ",\"status\":");
	json_long(o, t->status);
	buf_adds(o, ",\"ip\":");
	json_str(o, t->ip && *t->ip ? t->ip : NULL);
	buf_adds(o, ",\"port\":");
	json_long(o, t->port);
	buf_adds(o, ",\"content_type\":");
	json_str(o, t->content_type);
	if (t->content_length >= 0)
		buf_addf(o, ",\"content_length\":%" CURL_FORMAT_CURL_OFF_T,
			 t->content_length);
	else
		buf_adds(o, ",\"content_length\":null");
	buf_addf(o, ",\"bytes\":%zu,\"title\":", t->received);
	json_str(o, p ? p->title : NULL);
	buf_adds(o, ",\"saved\":");
	json_str(o, saved);
	buf_adds(o, ",\"error\":");
	json_str(o, error);
	json_transfer(o, t);
}

/* The page and its records as one JSON object: one line for the page,
 * one per record, or all on one line (jsonl). error: why the fetch
 * failed (p NULL), or NULL. */
static int
out_json(struct buf *o, const struct transfer *t, const struct page *p,
	 const char *saved, const char *error, int oneline, FILE *f)
{
	struct resolver r;
	size_t i;

	json_page(o, t, p, saved, error);
	buf_adds(o, ",\"elements\":[");
	resolver_init(&r, p ? p->base : "");
	for (i = 0; p && i < p->n; i++) {
		const struct element *e = &p->el[i];
		const char *url = e->url ? e->url : resolver_url(&r, e->raw);

		if (out_spill(o, f, 65536) < 0) {
			resolver_free(&r);
			return -1;
		}
		buf_adds(o, oneline ? (i ? "," : "") : i ? ",\n" : "\n");
		buf_adds(o, "{\"kind\":");
		json_str(o, kind_names[e->rule->kind]);
		buf_addf(o, ",\"tag\":\"%s\",\"attr\":\"%s\",\"url\":", e->rule->tag,
			 e->rule->attr);
		json_str(o, url);
		buf_adds(o, ",\"text\":");
		json_str(o, e->text);
		buf_adds(o, ",\"descriptor\":");
		json_str(o, record_descriptor(e));
		buf_adds(o, ",\"rel\":");
		json_str(o, record_rel(e));
		if (p->status) {
			buf_adds(o, ",\"status\":");
			json_str(o, p->status[i]);
		}
		buf_addc(o, '}');
	}
	resolver_free(&r);
	buf_adds(o, "]}\n");
	return out_spill(o, f, 0);
}

/* One CSV cell (RFC 4180): quoted when it holds a comma, a quote or a
 * line break, its quotes doubled. */
static void
csv_cell(struct buf *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && !strchr(",\"\r\n", s[i]); i++)
		;
	if (i == n) {
		buf_add(o, s, n);
		return;
	}
	buf_addc(o, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_addc(o, '"');
		buf_addc(o, s[i]);
	}
	buf_addc(o, '"');
}

/* The records as CSV (RFC 4180): the TSV's columns, made safe as for it,
 * after a line of their names; lines end in CRLF. */
static void
out_csv(struct buf *o, const struct page *p, const unsigned char *fields, const char *page)
{
	struct buf cell = {0};
	const unsigned char *f;
	struct tsv t;
	size_t i;

	tsv_init(&t, fields, page, p->base);
	for (f = t.fields; *f; f++) {
		buf_adds(o, f == t.fields ? "" : ",");
		buf_adds(o, field_names[*f]);
	}
	buf_adds(o, "\r\n");
	for (i = 0; i < p->n; i++) {
		for (f = t.fields; *f; f++) {
			cell.len = 0;
			tsv_field(&cell, (enum field)*f, &p->el[i], &t);
			buf_adds(o, f == t.fields ? "" : ",");
			csv_cell(o, cell.data ? cell.data : "", cell.len);
		}
		buf_adds(o, "\r\n");
	}
	buf_free(&cell);
	resolver_free(&t.r);
}

/* The records' URLs, one a line, made safe as in the TSV. */
static void
out_urls(struct buf *o, const struct page *p)
{
	struct tsv t;
	size_t i;

	tsv_init(&t, NULL, NULL, p->base);
	for (i = 0; i < p->n; i++) {
		tsv_field(o, F_URL, &p->el[i], &t);
		buf_addc(o, '\n');
	}
	resolver_free(&t.r);
}

/* The formats an export writes, named by the file's extension. */
enum export_format { X_NONE, X_TSV, X_CSV, X_JSON, X_JSONL, X_TXT };

static enum export_format
export_format(const char *name)
{
	static const char *const ext[] = {NULL, ".tsv", ".csv", ".json", ".jsonl", ".txt"};
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 1; dot && i < sizeof ext / sizeof ext[0]; i++)
		if (!strcmp(dot, ext[i]))
			return (enum export_format)i;
	return X_NONE;
}

/* The records of page p in format x; page is the page column's URL. */
static void
out_export(struct buf *o, enum export_format x, const struct transfer *t,
	   const struct page *p, const unsigned char *fields, const char *saved)
{
	const char *page = transfer_base(t);

	if (x == X_TSV)
		out_tsv(o, p, fields, page, NULL);
	else if (x == X_CSV)
		out_csv(o, p, fields, page);
	else if (x == X_JSON || x == X_JSONL)
		out_json(o, t, p, saved, NULL, x == X_JSONL, NULL);
	else if (x == X_TXT)
		out_urls(o, p);
}

/* --query's rows as TSV, one line a row, its cells tab-separated; index
 * > 0 (several queries): the query's number first. */
static int
out_query_tsv(struct buf *o, const struct query_rows *r, int index, FILE *f)
{
	size_t i, j;

	for (i = 0; i < r->nrows; i++) {
		if (out_spill(o, f, 65536) < 0)
			return -1;
		if (index > 0)
			buf_addf(o, "%d\t", index);
		for (j = 0; j < r->ncols; j++) {
			const char *c = r->cells[i * r->ncols + j];

			if (j)
				buf_addc(o, '\t');
			buf_add_safe(o, c, strlen(c), SAN_TSV);
		}
		buf_addc(o, '\n');
	}
	return out_spill(o, f, 0);
}

/* --query's rows as a JSON array of objects keyed by field. */
static int
json_matches(struct buf *o, const struct query_rows *r, int oneline, FILE *f)
{
	size_t i, j;

	buf_addc(o, '[');
	for (i = 0; i < r->nrows; i++) {
		if (out_spill(o, f, 65536) < 0)
			return -1;
		buf_adds(o, oneline ? (i ? "," : "") : i ? ",\n" : "\n");
		for (j = 0; j < r->ncols; j++) {
			buf_addc(o, j ? ',' : '{');
			json_str(o, r->names[j]);
			buf_addc(o, ':');
			json_str(o, r->cells[i * r->ncols + j]);
		}
		buf_addc(o, '}');
	}
	buf_addc(o, ']');
	return 0;
}

/* The page and its matches as one JSON object: "matches" is the array of
 * the one query, or an object keyed by expression for several. */
static int
out_json_query(struct buf *o, const struct transfer *t, const struct page *p,
	       const char *saved, const char *error, int oneline, const char *const *exprs,
	       const struct query_rows *rows, int n, FILE *f)
{
	int i;

	json_page(o, t, p, saved, error);
	buf_adds(o, ",\"matches\":");
	if (n > 1)
		buf_addc(o, '{');
	for (i = 0; i < n; i++) {
		if (n > 1) {
			buf_adds(o, i ? "," : "");
			json_str(o, exprs[i]);
			buf_addc(o, ':');
		}
		if (json_matches(o, &rows[i], oneline, f) < 0)
			return -1;
	}
	buf_adds(o, n > 1 ? "}}\n" : "}\n");
	return out_spill(o, f, 0);
}

/* --unique: keeps the first record of each absolute URL, in order. */
static void
page_unique(struct page *p)
{
	struct str_set seen = {0};
	struct resolver r;
	size_t i, kept = 0;

	resolver_init(&r, p->base);
	memset(p->count, 0, sizeof p->count);
	for (i = 0; i < p->n; i++) {
		const struct element *e = &p->el[i];
		const char *url = e->url ? e->url : resolver_url(&r, e->raw);

		if (set_put(&seen, url, strlen(url), i) != (size_t)-1)
			continue;
		p->count[e->rule->kind]++;
		p->el[kept++] = *e;
	}
	p->n = kept;
	resolver_free(&r);
	set_free(&seen);
}

/* The transfer's story made safe for a terminal (-v prints it). */
static void
out_story(struct buf *o, const struct transfer *t)
{
	const char *p = t->story.data, *end = p + t->story.len, *nl;
	static int legend; /* once a run, above the first story: as atop the pane */

	if (!legend++)
		buf_adds(o, "* a step of the fetch   > sent to the server   < received from it   "
			 "! a warning\n");
	for (; p && p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		buf_add_safe(o, p, (size_t)(nl - p), SAN_TEXT);
		buf_addc(o, '\n');
	}
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

/* Temp files to remove on any exit: one of a save, one of a download. */
enum { TMP_SAVE, TMP_DOWNLOAD, TMP_QUEUE /* up to TMP_SLOTS */ };

/*
 * --fsync: each file is flushed to the disk before it is named. Without it,
 * as curl, wget and aria2 do, the kernel writes files back in its own time:
 * a power cut within that half minute can leave the newest ones empty (a
 * killed run never does). The flush is a sixth to a quarter of the queue's CPU.
 */
static int temp_fsync;

/*
 * Removes temp files that a killed run (SIGKILL, a crash) left in dir. A
 * live run holds an flock on its temp file until it is committed, so a
 * concurrent run's file is spared; the caller holds dir's lock, so no file
 * is swept between its creation and its lock.
 */
static void
temp_sweep(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);
	int fd;

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, ".scraper-", 9) || strlen(e->d_name) != 15 ||
		    snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
			continue;
		/* O_NONBLOCK: a FIFO of that name would block the open (and
		 * the directory's lock with it); only regular files are ours */
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0)
			unlink(path);
		close(fd);
	}
	if (d)
		closedir(d);
}

/* Whether dir is to be swept for a temp file of slot: always, but for the
 * queue's many files, once a run (200 sweeps of a directory that fills
 * up were a fifth of --download's system time). */
static int
temp_sweep_due(const char *dir, int slot)
{
	static char swept[PATH_MAX];

	if (slot < TMP_QUEUE)
		return 1;
	if (!strcmp(swept, dir))
		return 0;
	snprintf(swept, sizeof swept, "%s", dir);
	return 1;
}

/* The directory's lock, which a run holds for microseconds: one held for
 * a second is held by something else, and the save goes on without a
 * sweep rather than wait on it for ever. */
static int
dir_lock(int dfd)
{
	struct timespec pause = {0, 10 * 1000 * 1000};
	int i;

	for (i = 0; i < 100; i++) {
		if (flock(dfd, LOCK_EX | LOCK_NB) == 0)
			return 1;
		if (errno != EWOULDBLOCK)
			return 0;
		nanosleep(&pause, NULL);
	}
	return 0;
}

/* dir made ready for temp files (created when missing): its descriptor,
 * whose lock keeps other runs' sweeps off (-1 when it cannot be opened:
 * no lock then); -2 with err said when dir cannot be used. */
static int
temp_dir_open(const char *dir, struct buf *err)
{
	struct stat st;

	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		buf_addf(err, "cannot save into %s: it is not a directory", dir);
		return -2;
	}
	if (mkdir_p(dir) < 0 || stat(dir, &st) < 0) {
		buf_addf(err, "cannot use directory %s: %s", dir, strerror(errno));
		return -2;
	}
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* temp_create() in dir, made ready by temp_dir_open(), which gave dfd. */
static int
temp_create_in(int dfd, const char *dir, int slot, struct buf *err)
{
	int fd, locked;

	if (snprintf(cleanup_path[slot], PATH_MAX, "%s/.scraper-XXXXXX", dir) >= PATH_MAX) {
		cleanup_path[slot][0] = '\0';
		buf_addf(err, "%s: path too long", dir);
		return -1;
	}
	locked = dfd >= 0 && dir_lock(dfd);
	if (locked && temp_sweep_due(dir, slot))
		temp_sweep(dir); /* none between our create and our lock */
	fd = mkstemp(cleanup_path[slot]);
	if (fd < 0) {
		cleanup_path[slot][0] = '\0';
		buf_addf(err, "cannot create a file in %s: %s", dir, strerror(errno));
	} else {
		flock(fd, LOCK_EX); /* held until committed: the file is live */
	}
	if (locked)
		flock(dfd, LOCK_UN);
	return fd;
}

/*
 * Opens a temporary file in dir (created when missing): mkstemp's O_EXCL
 * and mode 0600 keep nothing of another file. It is registered for removal
 * on any exit until temp_commit() or temp_discard().
 */
static int
temp_create(const char *dir, int slot, struct buf *err)
{
	int dfd = temp_dir_open(dir, err), fd;

	if (dfd == -2)
		return -1;
	fd = temp_create_in(dfd, dir, slot, err);
	if (dfd >= 0)
		close(dfd);
	return fd;
}

static void
temp_discard(int slot)
{
	if (cleanup_path[slot][0])
		unlink(cleanup_path[slot]);
	cleanup_path[slot][0] = '\0';
}

/*
 * Closes fd and moves the complete temp file to path. Without force an
 * existing file is never replaced: link() fails with EEXIST atomically, where
 * a check-then-rename would race. With force, rename() replaces the name (a
 * symlink there is replaced, not followed). On failure nothing is left.
 */
static int
temp_place(int fd, int slot, const char *path, int force, struct buf *err)
{
	int rc = -1;

	/* closed (and so unlocked) only once in place: a sweep in between
	 * would take a complete file for a dead run's */
	if (fchmod(fd, 0644) < 0) {
		buf_addf(err, "cannot write %s: %s", path, strerror(errno));
	} else if (force ? rename(cleanup_path[slot], path) : link(cleanup_path[slot], path)) {
		if (errno == EEXIST)
			buf_addf(err, "%s exists; not overwritten", path);
		else
			buf_addf(err, "cannot write %s: %s", path, strerror(errno));
	} else {
		rc = 0;
	}
	if (close(fd) < 0 && rc == 0) {
		buf_addf(err, "cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
	temp_discard(slot); /* after rename it is gone already; after link, a spare name */
	return rc;
}

/* temp_place(), with --fsync once the file is on the disk: its name then
 * never outlives a power cut that its data does not. */
static int
temp_commit(int fd, int slot, const char *path, int force, struct buf *err)
{
	if (temp_fsync && fsync(fd) < 0) {
		buf_addf(err, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		temp_discard(slot);
		return -1;
	}
	return temp_place(fd, slot, path, force, err);
}

/* Writes data to dir/name (path gets the name) through a temp file. */
static int
save_file(const char *dir, const char *name, const char *data, size_t n,
	  int force, struct buf *err, struct buf *path)
{
	int fd;

	path->len = 0;
	buf_addf(path, "%s/%s", dir, name);
	fd = temp_create(dir, TMP_SAVE, err);
	if (fd < 0)
		return -1;
	if (write_all(fd, data, n) < 0) {
		buf_addf(err, "cannot write %s: %s", path->data, strerror(errno));
		close(fd);
		temp_discard(TMP_SAVE);
		return -1;
	}
	return temp_commit(fd, TMP_SAVE, path->data, force, err);
}

/* -c FILE: the run's cookies in curl's cookie-file format, through a temp
 * file beside it (an old jar is replaced whole, or kept). */
static int
cookie_jar_write(const char *path, struct buf *err)
{
	struct curl_slist *lines = net_cookie_lines(), *l;
	struct buf out = {0}, dir = {0};
	const char *slash = strrchr(path, '/');
	int fd, rc = -1;

	buf_adds(&out, "# Netscape HTTP Cookie File\n"
		 "# https://curl.se/docs/http-cookies.html\n"
		 "# This file was generated by scraper " VERSION ". Edit at your own risk.\n\n");
	for (l = lines; l; l = l->next)
		buf_addf(&out, "%s\n", l->data);
	curl_slist_free_all(lines);
	buf_add(&dir, slash ? path : ".", slash ? (size_t)(slash - path) + (slash == path) : 1);
	fd = temp_create(dir.data, TMP_SAVE, err);
	if (fd >= 0 && write_all(fd, out.data, out.len) < 0) {
		buf_addf(err, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		temp_discard(TMP_SAVE);
	} else if (fd >= 0) {
		rc = temp_commit(fd, TMP_SAVE, path, 1, err);
	}
	buf_free(&out);
	buf_free(&dir);
	return rc;
}

/* The name a body is saved under when the user gave none: the one its
 * Content-Disposition gives, else its URL's (as asked), with its type's
 * extension when it has none (/download?id=42 of application/pdf:
 * "download.pdf"). */
static char *
name_for_body(const struct transfer *t)
{
	char *name = t->disposition ? name_from_disposition(t->disposition) : NULL;

	return name_with_type(name ? name : name_from_url(t->url), t->content_type);
}

/* name, or when dir holds a file of that name, the first stem-N.ext that
 * it does not (up to 999); a new string. */
static char *
name_free(const char *dir, const char *name)
{
	const char *dot = strrchr(name, '.');
	int stem = (int)(dot && dot != name ? (size_t)(dot - name) : strlen(name)), i;
	struct buf path = {0}, out = {0};
	struct stat st;

	for (i = 0; i < 1000; i++) {
		out.len = path.len = 0;
		if (i)
			buf_addf(&out, "%.*s-%d%s", stem, name, i, name + stem);
		else
			buf_adds(&out, name);
		buf_addf(&path, "%s/%s", dir, out.data);
		if (lstat(path.data, &st) < 0) /* free (or no way to tell: the save will say) */
			break;
	}
	buf_free(&path);
	return out.data;
}

/* ==== queue: many transfers at once — downloads and link checks, within limits ==== */

static const char *const qstate_names[] = {"queued", "active", "done", "failed", "skipped"};

static double
queue_now(const struct queue *q)
{
	return elapsed_s(&q->t0);
}

static void
queue_init(struct queue *q, CURLM *multi, const struct options *o, int check)
{
	memset(q, 0, sizeof *q);
	q->multi = multi;
	q->o = o;
	q->check = check;
	q->dfd = -1;
	clock_gettime(CLOCK_MONOTONIC, &q->t0);
	pthread_mutex_init(&q->syncer.lock, NULL);
	pthread_cond_init(&q->syncer.more, NULL);
	pthread_cond_init(&q->syncer.over, NULL);
}

/* The host of url with its port ("host:port" as written): the unit of
 * --per-host. URLs here are absolute: "scheme://[user@]host[:port]/...". */
static int
queue_host(struct queue *q, const char *url)
{
	const char *p = strstr(url, "://"), *at;
	size_t n, i;

	p = p ? p + 3 : url;
	n = strcspn(p, "/?#");
	if ((at = memchr(p, '@', n))) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	for (i = 0; i < q->nhosts; i++)
		if (strlen(q->host[i].name) == n && !ascii_casecmp_n(q->host[i].name, p, n))
			return (int)i;
	q->host = xrealloc(q->host, (q->nhosts + 1) * sizeof *q->host);
	memset(&q->host[q->nhosts], 0, sizeof *q->host);
	q->host[q->nhosts].name = xstrndup(p, n);
	q->host[q->nhosts].limit = q->o->per_host;
	return (int)q->nhosts++;
}

/* Queues url (once: the same URL again gives the same item); its index.
 * A URL that is not http(s) is skipped at once. */
static size_t
queue_add(struct queue *q, const char *url, int want_ids)
{
	size_t n = strcspn(url, "#"), i = set_put(&q->urls, url, n, q->n);
	struct qitem *it;

	if (i != (size_t)-1 && (q->check || q->it[i].state <= Q_ACTIVE)) {
		q->it[i].want_ids |= want_ids;
		q->it[i].get |= want_ids;
		return i;
	}
	if (i != (size_t)-1) /* downloaded before: again, under a free name */
		set_slot(&q->urls, url, n, str_hash(url, n))->value = q->n;
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 64;
		q->it = xrealloc(q->it, q->cap * sizeof *q->it);
	}
	it = &q->it[q->n];
	memset(it, 0, sizeof *it);
	it->url = xstrndup(url, n);
	it->fd = it->slot = -1;
	it->want_ids = it->get = want_ids;
	if (ascii_casecmp_n(url, "http://", 7) && ascii_casecmp_n(url, "https://", 8)) {
		it->state = Q_SKIPPED;
		it->error = xstrdup("not an http(s) URL");
	} else {
		it->host = queue_host(q, url);
	}
	return q->n++;
}

/* The items over (done, failed, skipped), in any order: first counts
 * only those before the first one still queued or running. */
static size_t
queue_over(const struct queue *q)
{
	size_t i, n = q->first;

	for (i = q->first; i < q->n; i++)
		n += q->it[i].state > Q_ACTIVE;
	return n;
}

/* A free temp-file slot for a download, or -1: it waits for one. */
static int
queue_slot(void)
{
	int i;

	for (i = TMP_QUEUE; i < TMP_SLOTS; i++)
		if (!cleanup_path[i][0])
			return i;
	return -1;
}

static void
queue_failed(struct qitem *it, const char *why)
{
	struct buf b = {0};

	buf_add_safe(&b, why, strlen(why), SAN_TEXT);
	free(it->error);
	it->error = b.data;
	it->state = Q_FAILED;
}

/* A check's GET reads the status, not the body: its first bytes end it. */
static int
queue_discard(void *ctx, const char *data, size_t n)
{
	(void)ctx, (void)data, (void)n;
	return -1;
}

/* The directory downloads go to, made ready once while some go on: made
 * ready for each file (stat, mkdir of each parent, stat, open, close), 200
 * files of 100 KB took 15.2 ms of CPU to save, 11.8 without those steps
 * and the lock. 0 with err said when unusable. */
static int
queue_dir(struct queue *q, struct buf *err)
{
	if (!q->dir_ready && (q->dfd = temp_dir_open(q->o->dir, err)) != -2)
		q->dir_ready = 1;
	return q->dir_ready;
}

/* Once no download goes on, the directory is made ready again for the
 * next (it may have been removed meanwhile). */
static void
queue_dir_release(struct queue *q)
{
	if (q->dir_ready && q->dfd >= 0)
		close(q->dfd);
	q->dir_ready = 0;
	q->dfd = -1;
}

/* Starts the transfer of it: 0 when it must wait (no temp slot free). */
static int
queue_begin(struct queue *q, struct qitem *it)
{
	struct buf err = {0};
	struct transfer *t;

	if (!q->check && it->fd < 0) {
		if ((it->slot = queue_slot()) < 0)
			return 0;
		if (!queue_dir(q, &err) ||
		    (it->fd = temp_create_in(q->dfd, q->o->dir, it->slot, &err)) < 0) {
			queue_failed(it, err.data);
			buf_free(&err);
			return 1;
		}
	}
	t = transfer_new(q->multi, it->o ? it->o : q->o, it->url, q->check ? -1 : it->fd);
	net_quiet(t);
	if (q->check && !it->get)
		curl_easy_setopt(t->easy, CURLOPT_NOBODY, 1L);
	else if (q->check && !it->want_ids)
		t->sink = queue_discard;
	if (it->have > 0) { /* the rest of a broken download, as it was sent */
		curl_easy_setopt(t->easy, CURLOPT_RESUME_FROM_LARGE, it->have);
		curl_easy_setopt(t->easy, CURLOPT_ACCEPT_ENCODING, NULL);
		t->max_size -= (size_t)it->have;
	}
	net_add(t);
	if ((size_t)(it - q->it) >= q->begun)
		q->begun = (size_t)(it - q->it) + 1;
	it->t = t;
	it->state = Q_ACTIVE;
	it->tries++;
	q->active++;
	q->host[it->host].active++;
	return 1;
}

/* How long a 429 or 503 waits: its Retry-After (at most a minute), else
 * 1, 2, 4 s as the tries go. */
static double
queue_wait(const struct transfer *t, const struct qitem *it)
{
	curl_off_t after = 0;

	curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &after);
	if (after > 0)
		return after < 60 ? (double)after : 60.0;
	return (double)(1 << (it->tries > 0 ? it->tries - 1 : 0));
}

/* A 429 or 503 worth waiting for: not when the server asks for more than
 * a minute (a day, a date in 2099): then that status is the answer, and
 * the run does not wait minutes on it. */
static int
queue_busy_retry(const struct transfer *t, const struct qitem *it)
{
	curl_off_t after = 0;

	if ((t->status != 429 && t->status != 503) || it->tries >= QUEUE_TRIES)
		return 0;
	curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &after);
	return after <= 60;
}

/* it tries again in wait seconds; slow: its host said it is busy, so
 * fewer of its transfers run, none before then. */
static void
queue_retry(struct queue *q, struct qitem *it, double wait, int slow)
{
	struct qhost *h = &q->host[it->host];

	it->state = Q_QUEUED;
	it->not_before = queue_now(q) + wait;
	if (!slow)
		return;
	if (h->limit > h->active)
		h->limit = h->active > 0 ? h->active : 1;
	if (h->not_before < it->not_before)
		h->not_before = it->not_before;
}

/* The temp file of a download, cut back to the bytes kept. */
static int
queue_keep(struct qitem *it, curl_off_t have)
{
	it->have = have;
	if (ftruncate(it->fd, (off_t)have) < 0 || lseek(it->fd, (off_t)have, SEEK_SET) < 0) {
		queue_failed(it, strerror(errno));
		return -1;
	}
	return 0;
}

/* Whether a download broke in the body, where another try may go on. */
static int
queue_broken(const struct transfer *t)
{
	return (t->status == 200 || t->status == 206) && t->received > 0 &&
	       (t->result == CURLE_PARTIAL_FILE || t->result == CURLE_RECV_ERROR ||
		t->result == CURLE_OPERATION_TIMEDOUT || t->result == CURLE_SEND_ERROR);
}

/* Once done is set the loop may free sy: its multi is read before. */
static void
queue_sync_one(struct qsyncer *s, struct qsync *sy)
{
	CURLM *wake = sy->wake;

	sy->err = fsync(sy->fd) < 0 ? errno : 0;
	atomic_store(&sy->done, 1);
	if (!atomic_load(&s->transfers))
		curl_multi_wakeup(wake);
}

static void *
queue_syncer_main(void *arg)
{
	struct qsyncer *s = arg;
	struct qsync *sy;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->head && !s->stop) {
			s->idle++;
			pthread_cond_wait(&s->more, &s->lock);
			s->idle--;
		}
		if (!(sy = s->head))
			break; /* stopped, and no job left */
		s->head = sy->next;
		s->waiting--;
		pthread_mutex_unlock(&s->lock);
		queue_sync_one(s, sy);
		pthread_mutex_lock(&s->lock);
		pthread_cond_broadcast(&s->over);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* sy to a thread of s, one started when none is free; 0 when there is
 * no thread at all. */
static int
queue_sync_give(struct qsyncer *s, struct qsync *sy)
{
	int given;

	pthread_mutex_lock(&s->lock);
	if (s->waiting >= s->idle && s->nthreads < sizeof s->thread / sizeof s->thread[0] &&
	    thread_start(&s->thread[s->nthreads], queue_syncer_main, s) == 0)
		s->nthreads++;
	given = s->nthreads > 0;
	if (given) {
		if (s->head)
			s->tail->next = sy;
		else
			s->head = sy;
		s->tail = sy;
		s->waiting++;
		pthread_cond_signal(&s->more);
	}
	pthread_mutex_unlock(&s->lock);
	return given;
}

/* The download named (a free name, never one that exists) and moved
 * there, once its fsync, if any, is over. */
static void
queue_placed(struct queue *q, struct qitem *it)
{
	char *free_name = name_free(q->o->dir, it->name);
	struct buf err = {0}, path = {0};
	int sync_err = it->sync ? it->sync->err : 0;

	buf_addf(&path, "%s/%s", q->o->dir, free_name);
	if (sync_err) {
		buf_addf(&err, "cannot write %s: %s", path.data, strerror(sync_err));
		close(it->fd);
		temp_discard(it->slot);
	} else if (temp_place(it->fd, it->slot, path.data, 0, &err) == 0) {
		it->path = path.data;
		path.data = NULL;
		it->state = Q_DONE;
	}
	if (err.len)
		queue_failed(it, err.data);
	it->fd = it->slot = -1;
	free(it->sync);
	it->sync = NULL;
	buf_free(&err);
	buf_free(&path);
	free(free_name);
}

/* A complete download is named, the response's name decided now; with
 * --fsync once it is on the disk, which a thread beside the loop sees to. */
static void
queue_commit(struct queue *q, struct qitem *it, const struct transfer *t)
{
	struct qsync *sy;

	it->name = name_for_body(t);
	if (!temp_fsync) {
		queue_placed(q, it);
		return;
	}
	sy = xmalloc(sizeof *sy);
	memset(sy, 0, sizeof *sy);
	sy->fd = it->fd;
	sy->wake = q->multi;
	it->sync = sy;
	if (!queue_sync_give(&q->syncer, sy))
		queue_sync_one(&q->syncer, sy); /* no thread: in the loop, then */
}

/* Waits for the fsync of sy to be over. */
static void
queue_sync_wait(struct qsyncer *s, struct qsync *sy)
{
	pthread_mutex_lock(&s->lock);
	while (!atomic_load(&sy->done))
		pthread_cond_wait(&s->over, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

/* The threads end once the jobs given are done. */
static void
queue_syncer_end(struct qsyncer *s)
{
	size_t i;

	pthread_mutex_lock(&s->lock);
	s->stop = 1;
	pthread_cond_broadcast(&s->more);
	pthread_mutex_unlock(&s->lock);
	for (i = 0; i < s->nthreads; i++)
		pthread_join(s->thread[i], NULL);
	pthread_cond_destroy(&s->more);
	pthread_cond_destroy(&s->over);
	pthread_mutex_destroy(&s->lock);
}

/* A download's try is over: saved, tried again, or failed. */
static void
queue_saved(struct queue *q, struct qitem *it, const struct transfer *t)
{
	struct buf err = {0};
	long s = t->status;
	int resumable = (t->ranges || s == 206) && !t->encoding[0];

	net_error(t, &err);
	if (queue_busy_retry(t, it)) {
		if (queue_keep(it, it->have) == 0)
			queue_retry(q, it, queue_wait(t, it), 1);
	} else if (queue_broken(t) && it->tries < QUEUE_TRIES) {
		if (queue_keep(it, resumable ? it->have + (curl_off_t)t->received : 0) == 0)
			queue_retry(q, it, 0.5 * (1 << (it->tries - 1)), 0);
	} else if (t->result == CURLE_RANGE_ERROR && it->tries < QUEUE_TRIES) {
		if (queue_keep(it, 0) == 0) /* no range after all: from the start */
			queue_retry(q, it, 0, 0);
	} else if (err.len) {
		queue_failed(it, err.data);
	} else if (s >= 400) {
		buf_addf(&err, "HTTP status %ld", s);
		queue_failed(it, err.data);
	} else {
		queue_commit(q, it, t);
	}
	buf_free(&err);
}

/* What went wrong with a check that had no answer, in a word. */
static const char *
queue_net_word(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT: return "timeout";
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY: return "DNS";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE: return "TLS";
	case CURLE_COULDNT_CONNECT: return "refused";
	case CURLE_TOO_MANY_REDIRECTS: return "redirect loop";
	case CURLE_UNSUPPORTED_PROTOCOL: return "not http(s)";
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR: return "no answer";
	default: return "error";
	}
}

/* The page a #fragment check fetched: its ids, when it is HTML. */
static void
queue_ids(struct qitem *it, struct transfer *t)
{
	char *charset = http_charset(t->content_type);
	struct page *p;

	if (body_kind(t->content_type, t->body.data, t->body.len) == BODY_HTML) {
		atomic_store(&parse_ids, 1); /* from now on: a cost only --check pays */
		p = page_parse(t->body.data ? t->body.data : "", t->body.len, transfer_base(t),
			       charset, NULL);
		it->ids = p->ids;
		memset(&p->ids, 0, sizeof p->ids);
		page_free(p);
		it->want_ids = 2; /* known: a missing one is missing */
	}
	free(charset);
}

/* The page that was just parsed, as checked already: its own #fragments
 * are looked up in the ids its parse kept (parse_ids), with no request. */
static void
queue_add_page(struct queue *q, const char *url, long status, const struct str_set *ids)
{
	struct qitem *it;
	size_t i;

	if (!url || !status || status >= 300 || strchr(url, '#'))
		return;
	i = queue_add(q, url, 1); /* first: it may move q->it */
	it = &q->it[i];
	it->state = Q_DONE;
	it->status = it->first_status = status;
	it->want_ids = 2;
	for (i = 0; i < ids->cap; i++)
		if (ids->slot[i].s)
			set_put(&it->ids, ids->slot[i].s, ids->slot[i].n, 0);
}

/* A check's try is over: its status, or HEAD again as GET, or later. */
static void
queue_checked(struct queue *q, struct qitem *it, struct transfer *t)
{
	long s = t->status;

	if (!it->get && (s == 405 || s == 501 || s == 403)) { /* HEAD refused */
		it->get = 1;
		it->tries--;
		queue_retry(q, it, 0, 0);
		return;
	}
	if (queue_busy_retry(t, it)) {
		queue_retry(q, it, queue_wait(t, it), 1);
		return;
	}
	/* a status in hand is no answer when the transfer failed after it (a
	 * redirect loop, a redirect to file:), unless it is our own stop of a
	 * body the check does not read */
	if (t->result != CURLE_OK && t->result != CURLE_WRITE_ERROR)
		s = 0;
	it->status = s;
	it->first_status = t->nhops ? t->hops[0].status : s;
	if (t->redirects > 0 && t->final_url)
		it->final_url = xstrdup(t->final_url);
	if (!s) {
		queue_failed(it, queue_net_word(t->result));
		return;
	}
	it->state = s >= 400 ? Q_FAILED : Q_DONE;
	if (it->want_ids && s < 400)
		queue_ids(it, t);
}

/* A download's temp file, when it has one, removed. */
static void
queue_release(struct qitem *it)
{
	if (it->fd >= 0) {
		close(it->fd);
		temp_discard(it->slot);
	}
	it->fd = it->slot = -1;
}

/* The transfer of it is over: what it means, then it is let go. */
static void
queue_end(struct queue *q, struct qitem *it)
{
	struct transfer *t = it->t;
	struct qhost *h = &q->host[it->host];

	it->bytes = (size_t)it->have + t->received;
	q->active--;
	h->active--;
	if (q->check)
		queue_checked(q, it, t);
	else
		queue_saved(q, it, t);
	if (it->state != Q_DONE && !it->sync) /* an error's body is not the file's */
		it->bytes = (size_t)it->have;
	if (it->state == Q_FAILED)
		queue_release(it);
	/* a host that has not said it is busy for 30 s gets back one more at a
	 * time (sooner, each probe past its limit cost an item one of its tries) */
	if ((it->state == Q_DONE || it->sync) && h->limit < q->o->per_host &&
	    queue_now(q) > h->not_before + 30)
		h->limit++;
	transfer_free(t);
	it->t = NULL;
}

static int
queue_may_start(const struct queue *q, const struct qitem *it, double now)
{
	const struct qhost *h = &q->host[it->host];

	return q->active < q->o->parallel && h->active < h->limit && now >= it->not_before &&
	       now >= h->not_before;
}

/* One turn: ends the transfers that are over, starts those that may; not
 * 0 while items are not over. Its cost is the items up to the last one
 * started, not all: a turn over each of 1,000 queued items was a quarter
 * of a run's instructions. */
static size_t
queue_step(struct queue *q)
{
	double now = queue_now(q);
	size_t i, left = 0;

	q->syncing = 0;
	for (i = q->first; i < q->n; i++) {
		struct qitem *it = &q->it[i];

		if (i >= q->begun && q->active >= q->o->parallel)
			break; /* the rest wait, and left counts the active ones */
		if (it->state == Q_ACTIVE && it->t && it->t->done)
			queue_end(q, it);
		if (it->sync && atomic_load(&it->sync->done))
			queue_placed(q, it);
		q->syncing += it->sync != NULL;
		if (it->state == Q_QUEUED && queue_may_start(q, it, now))
			queue_begin(q, it);
		if (it->state == Q_QUEUED || it->state == Q_ACTIVE)
			left++;
		else if (i == q->first)
			q->first++;
	}
	atomic_store(&q->syncer.transfers, q->active);
	if (!q->active && !q->syncing)
		queue_dir_release(q);
	return left;
}

/* The items not over yet. */
static size_t
queue_left(const struct queue *q)
{
	size_t i, n = 0;

	for (i = q->first; i < q->n; i++)
		n += q->it[i].state <= Q_ACTIVE;
	return n;
}

/* Stops it (a cancel): nothing of it is kept. */
static void
queue_cancel(struct queue *q, struct qitem *it)
{
	if (it->state == Q_ACTIVE && it->t) {
		q->active--;
		q->host[it->host].active--;
		transfer_free(it->t);
		it->t = NULL;
	}
	if (it->sync) { /* its fsync ends first: then the file goes */
		queue_sync_wait(&q->syncer, it->sync);
		free(it->sync);
		it->sync = NULL;
	}
	if (it->state == Q_ACTIVE || it->state == Q_QUEUED) {
		queue_release(it);
		it->state = Q_SKIPPED;
		free(it->error);
		it->error = xstrdup("cancelled");
	}
}

static void
queue_free(struct queue *q)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		queue_cancel(q, &q->it[i]);
		free(q->it[i].url);
		free(q->it[i].path);
		free(q->it[i].error);
		free(q->it[i].final_url);
		free(q->it[i].name);
		set_free(&q->it[i].ids);
	}
	queue_syncer_end(&q->syncer);
	queue_dir_release(q);
	for (i = 0; i < q->nhosts; i++)
		free(q->host[i].name);
	free(q->host);
	free(q->it);
	set_free(&q->urls);
	memset(q, 0, sizeof *q);
	q->dfd = -1;
}

/* Runs the queue to its end (or a signal); told(it) as each item ends. */
static void
queue_run(struct queue *q, void (*told)(const struct qitem *, void *), void *ctx)
{
	struct curl_waitfd sig = signal_waitfd();
	size_t i, left, turns;

	for (turns = 0;; turns++) {
		left = queue_step(q);
		/* past the items begun, only those over from the start: told
		 * at the first turn */
		for (i = q->told; told && i < (turns ? q->begun : q->n); i++)
			if (!q->it[i].told && q->it[i].state > Q_ACTIVE) {
				q->it[i].told = 1;
				told(&q->it[i], ctx);
			}
		while (q->told < q->n && q->it[q->told].told)
			q->told++;
		if (!left || got_signal)
			break;
		/* a retry waits without a transfer to wake the poll */
		curl_multi_poll(q->multi, &sig, signal_pipe[0] >= 0,
				!q->active ? 50 : q->syncing ? 100 : 1000, NULL);
		net_drive(q->multi);
	}
}

/* The #fragment of url, percent-decoded, in out; 0 when there is none to
 * look for ("#" and "#top" are the top of any page). */
static int
url_fragment(const char *url, struct buf *out)
{
	const char *f = strchr(url, '#'), *p;
	unsigned hi, lo;

	out->len = 0;
	if (!f || !f[1] || !strcmp(f + 1, "top"))
		return 0;
	for (p = f + 1; *p; p++) {
		if (*p == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]) &&
		    sscanf(p + 1, "%1x%1x", &hi, &lo) == 2) {
			buf_addc(out, (char)(hi << 4 | lo));
			p += 2;
		} else {
			buf_addc(out, *p);
		}
	}
	return out->len > 0;
}

static int
set_has(const struct str_set *set, const char *s, size_t n)
{
	return set->cap && set_slot((struct str_set *)set, s, n, str_hash(s, n))->s;
}

/* A record's status once its URL was checked, in o (raw text: the output
 * makes it safe); whether the link is broken. */
static int
check_status(const struct qitem *it, const char *url, struct buf *o)
{
	struct buf frag = {0};
	int broken = it->state == Q_FAILED;

	if (it->state == Q_SKIPPED)
		buf_adds(o, "skipped");
	else if (!it->status)
		buf_adds(o, it->error ? it->error : "error");
	else if (it->final_url)
		buf_addf(o, "%ld→%ld %s", it->first_status, it->status, it->final_url);
	else
		buf_addf(o, "%ld", it->status);
	if (!broken && it->want_ids == 2 && url_fragment(url, &frag) &&
	    !set_has(&it->ids, frag.data, frag.len)) {
		buf_addf(o, " #%s missing", frag.data);
		broken = 1;
	}
	buf_free(&frag);
	return broken;
}

/* ==== stream: --dump's pipeline, the body parsed as it arrives and written as parsed ==== */

/*
 * The body of a --dump fetch. It is received into address space reserved
 * for --max-size bytes (a page of memory exists once written: growing never
 * copies), checked whole (charset, attribute bombs), then read by libxml2
 * through a callback that gives the pages back behind it, so the records
 * grow while the body shrinks. Given a body whole instead, libxml2 copies
 * it, and the peak of the run is the body twice, or the body and records.
 */
#define INPUT_GIVE_BACK (256 * 1024)

#define INPUT_COMMIT (4 * 1024 * 1024) /* made writable this much at a time */

#define INPUT_HUGE_FROM (2 * 1024 * 1024) /* huge pages past this offset */

struct feed;

struct page_input {
	char *base;
	size_t cap, writable, len; /* reserved; usable; received */
	size_t read, gone;         /* handed to libxml2; given back from the front */
	size_t pagesize;           /* the system's */
	struct feed *feed;         /* set while libxml2 reads beside the transfer */
};

/*
 * --dump parses while the body is still arriving. Once its first 4 KiB
 * decide the charset, and it is UTF-8 (declared, or nothing declared: UTF-8
 * if the whole body is valid), a second thread parses what has arrived,
 * waiting for more, while the transfer goes on: the parse no longer waits
 * for the last byte, nor for the checks. Those are made on the whole body
 * once it is in, while the parse goes on; when they fail (invalid UTF-8, a
 * NUL, an attribute bomb: the body must be converted or cut first) or the
 * transfer does, that parse is dropped, and the body, whole until then, is
 * parsed again the usual way. Nothing is written before the checks pass.
 * libxml2's pull parser reads through the callback, as in the usual way:
 * its push parser (htmlParseChunk) can build nothing until the last chunk
 * in 2.9.14, and has quadratic cases fixed only in 2.11.
 */
#define FEED_AFTER 4096 /* the <meta> charset is looked for in these bytes */

enum feed_state { FEED_OFF, FEED_RECEIVING, FEED_RECEIVED, FEED_CLEAN, FEED_DROPPED };

struct feed {
	struct page_input *pi;
	CURL *easy;               /* the transfer, for its Content-Type */
	const char *header_charset; /* or this, without a transfer (tests) */
	const struct records_sink *sink;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t more;
	size_t len;               /* bytes libxml2 may read: pi->len, told */
	enum feed_state state;
	int decided;              /* whether to parse early was decided */
	struct tag_scan bomb;     /* the attribute-bomb watch, as bytes arrive */
	struct page *page;        /* the early parse's */
	htmlParserCtxtPtr ctxt;
};

/* libxml2's side: waits until `want` bytes past `read` are there or the
 * body is over; returns how far it may read. A read is never short before
 * the end, as when the body is whole: 2.9.14 looks a few bytes ahead after
 * one refill, and a token cut at the end of its buffer is misread (a
 * comment opener, an entity, a name; found with a server sending 1 to 3
 * bytes at a time). Pages are given back once the checks have passed
 * (until then the body may be parsed again). */
static size_t
feed_wait(struct feed *f, size_t read, size_t want, int *give_back)
{
	size_t limit;

	pthread_mutex_lock(&f->lock);
	while (f->state == FEED_RECEIVING && f->len - read < want)
		pthread_cond_wait(&f->more, &f->lock);
	limit = f->state == FEED_DROPPED ? read : f->len;
	*give_back = f->state == FEED_CLEAN;
	pthread_mutex_unlock(&f->lock);
	return limit;
}

/* Reserves address space only: PROT_NONE pages count against no commit
 * limit (vm.overcommit_memory=2), and become memory when made writable. */
static char *
page_input_map(size_t n)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	void *p;

#ifdef MAP_NORESERVE
	flags |= MAP_NORESERVE;
#endif
	p = mmap(NULL, n, PROT_NONE, flags, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void
page_input_init(struct page_input *pi, size_t max_size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), want;

	memset(pi, 0, sizeof *pi);
	pi->pagesize = page;
	want = max_size > SIZE_MAX - page ? SIZE_MAX / page * page
					  : (max_size + page) / page * page;
	/* Under ulimit -v a large --max-size may not fit: halve it until it
	 * does, then once more, so that libcurl, libxml2 and the records keep
	 * room; a body past it fails as out of memory. */
	for (pi->cap = want; !(pi->base = page_input_map(pi->cap));
	     pi->cap = pi->cap / 2 / page * page)
		if (pi->cap <= page)
			die("out of memory");
	if (pi->cap < want && pi->cap >= 2 * page) {
		munmap(pi->base, pi->cap);
		pi->cap = pi->cap / 2 / page * page;
		if (!(pi->base = page_input_map(pi->cap)))
			die("out of memory");
	}
#ifdef MADV_HUGEPAGE
	/* A large body written into 4 KiB pages faults once per page: 10 MB
	 * took 5.7 ms that way, 1 ms in 2 MiB pages (where the system allows
	 * them). Not from the start: a small page would cost 2 MiB. */
	if (pi->cap > INPUT_HUGE_FROM)
		madvise(pi->base + INPUT_HUGE_FROM, pi->cap - INPUT_HUGE_FROM, MADV_HUGEPAGE);
#endif
}

/* A transfer's sink: appends bytes, making room writable as it goes; -1
 * when there is none. */
static int
page_input_push(void *ctx, const char *data, size_t n)
{
	struct page_input *pi = ctx;
	size_t want;

	if (n > pi->cap - pi->len)
		return -1;
	if (pi->len + n > pi->writable) {
		want = (pi->len + n + INPUT_COMMIT - 1) / INPUT_COMMIT * INPUT_COMMIT;
		want = want < pi->cap ? want : pi->cap;
		if (mprotect(pi->base + pi->writable, want - pi->writable,
			     PROT_READ | PROT_WRITE) < 0)
			return -1;
		pi->writable = want;
	}
	memcpy(pi->base + pi->len, data, n);
	pi->len += n;
	return 0;
}

static const char *
page_input_bytes(const struct page_input *pi, size_t *len)
{
	*len = pi->len;
	return pi->len ? pi->base : "";
}

/* libxml2's read callback: copies the next bytes (it asks for 4,000), gives
 * back the pages behind them 256 KiB at a time (one munmap per read was 5%
 * of the run). */
static int
page_input_read(void *ctx, char *to, int want)
{
	struct page_input *pi = ctx;
	size_t n, done;
	int give_back = 1;

	if (want < 0)
		return -1;
	n = (pi->feed ? feed_wait(pi->feed, pi->read, (size_t)want, &give_back) : pi->len) -
	    pi->read;
	n = n < (size_t)want ? n : (size_t)want;
	memcpy(to, pi->base + pi->read, n);
	pi->read += n;
	done = pi->read / pi->pagesize * pi->pagesize;
	if (give_back && done >= pi->gone + INPUT_GIVE_BACK) {
		munmap(pi->base + pi->gone, done - pi->gone);
		pi->gone = done;
	}
	return (int)n;
}

static int
page_input_close(void *ctx)
{
	(void)ctx; /* page_input_free() gives the rest back */
	return 0;
}

/* A parser context reading pi through page_input_read(). */
static htmlParserCtxtPtr
ctxt_from_page_input(struct page_input *pi)
{
	xmlParserInputBufferPtr in = xmlParserInputBufferCreateIO(
		page_input_read, page_input_close, pi, XML_CHAR_ENCODING_NONE);
	htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
	xmlParserInputPtr stream;

	if (!in || !ctxt)
		die("out of memory");
	stream = xmlNewIOInputStream(ctxt, in, XML_CHAR_ENCODING_NONE);
	if (!stream || inputPush(ctxt, stream) < 0)
		die("out of memory");
	return ctxt;
}

static void
page_input_free(struct page_input *pi)
{
	if (pi->base && pi->gone < pi->cap)
		munmap(pi->base + pi->gone, pi->cap - pi->gone);
	pi->base = NULL;
}

/* Whether "<base" occurs in what libxml2 reads (any case, anywhere: only
 * such bytes can make a base element). */
static int
has_base_tag(const char *s, size_t n)
{
	const char *p = s, *end;

	if (n < 5) /* s is NULL for an empty page */
		return 0;
	for (end = s + n; (p = memchr(p, '<', (size_t)(end - p))) && end - p >= 5; p++)
		if (!ascii_casecmp_n(p + 1, "base", 4))
			return 1;
	return 0;
}

/* The sink takes the records during the parse only when they cannot
 * change after it: a <base href> anywhere changes every URL, even those
 * before it. */
static const struct records_sink *
sink_for(const struct records_sink *sink, struct page *p, const char *s, size_t n)
{
	if (!sink || has_base_tag(s, n) || sink->start(sink->ctx, p) != 0)
		return NULL;
	sink->go(sink->ctx, 1);
	return sink;
}

/* page_parse() for a body received into pi, which it consumes. sink (or
 * NULL) may take the records as they are made. */
static struct page *
page_parse_input(struct page_input *pi, const char *url, const char *header_charset,
		 const struct records_sink *sink)
{
	size_t len;
	const char *body = page_input_bytes(pi, &len);
	int in_text;
	struct page *p = page_prepare(body, len, header_charset, NULL, &in_text);

	if (in_text) {
		page_input_free(pi);
		sink = sink_for(sink, p, p->text.data, p->text.len);
		page_parse_as(p, ctxt_from_memory(p->text.data, p->text.len, &p->text),
			      sink, NULL);
	} else {
		sink = sink_for(sink, p, body, len);
		page_parse_as(p, ctxt_from_page_input(pi), sink, NULL);
		p->partial |= pi->read < pi->len && !page_guard_stopped(p);
		page_input_free(pi);
	}
	page_set_base(p, url);
	return p;
}

/* A page for --query, from a body received into pi, which it consumes:
 * the tree of the page instead of its records (the two passes would cost
 * both times). */
static struct page *
page_tree_input(struct page_input *pi, const char *url, const char *header_charset,
		const struct tree_needs *needs)
{
	size_t len;
	const char *body = page_input_bytes(pi, &len);
	int in_text;
	struct page *p = page_prepare(body, len, header_charset, NULL, &in_text);

	if (in_text) {
		page_input_free(pi);
		p->tree = tree_parse(p, ctxt_from_memory(p->text.data, p->text.len, &p->text), 1,
				     needs);
	} else {
		p->tree = tree_parse(p, ctxt_from_page_input(pi), 1, needs);
		page_input_free(pi);
	}
	page_set_base(p, url);
	return p;
}

static void
feed_init(struct feed *f, struct page_input *pi, const struct records_sink *sink)
{
	memset(f, 0, sizeof *f);
	f->pi = pi;
	f->sink = sink;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->more, NULL);
}

static void
feed_set(struct feed *f, enum feed_state state)
{
	pthread_mutex_lock(&f->lock);
	f->state = state;
	f->len = f->pi->len;
	pthread_cond_signal(&f->more);
	pthread_mutex_unlock(&f->lock);
}

static void *
feed_main(void *arg)
{
	struct feed *f = arg;

	page_parse_as(f->page, f->ctxt, f->sink, NULL);
	return NULL;
}

/* With the first FEED_AFTER bytes in: starts the early parse when the page
 * reads as UTF-8. */
static void
feed_decide(struct feed *f)
{
	char name[64], from[400], *ct = NULL, *cs = NULL;
	struct page *p;

	f->decided = 1;
	if (f->easy && curl_easy_getinfo(f->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK)
		cs = http_charset(ct);
	if (body_kind(f->easy ? ct : NULL, f->pi->base, f->pi->len) != BODY_HTML) {
		free(cs); /* not a page: never parsed */
		return;
	}
	/* the bytes so far may end inside a character: not a reason to read
	 * the page as windows-1252 (at least FEED_AFTER bytes are left) */
	page_choose_charset(f->pi->base, utf8_whole(f->pi->base, f->pi->len),
			    cs ? cs : f->header_charset, name, sizeof name, from, sizeof from);
	free(cs);
	if (ascii_casecmp_n(name, "UTF-8", 6))
		return;
	p = f->page = page_new(name, from);
	f->ctxt = ctxt_from_page_input(f->pi);
	f->pi->feed = f;
	f->state = FEED_RECEIVING;
	f->len = f->pi->len;
	if (f->sink && f->sink->start(f->sink->ctx, p) != 0)
		f->sink = NULL;
	if (thread_start(&f->thread, feed_main, f) != 0) {
		/* no second thread: the usual way, after the transfer */
		if (f->sink)
			f->sink->go(f->sink->ctx, 0);
		htmlFreeParserCtxt(f->ctxt);
		page_free(p);
		f->page = NULL;
		f->pi->feed = NULL;
		f->state = FEED_OFF;
	}
}

/* Stops the early parse and forgets it: the body is whole, unread. */
static void
feed_drop(struct feed *f)
{
	if (f->state == FEED_OFF)
		return;
	feed_set(f, FEED_DROPPED);
	pthread_join(f->thread, NULL);
	if (f->sink)
		f->sink->go(f->sink->ctx, 0);
	page_free(f->page);
	f->page = NULL;
	f->pi->feed = NULL;
	f->pi->read = 0; /* nothing was given back before FEED_CLEAN */
	f->state = FEED_OFF;
}

/* An attribute bomb in what has arrived drops the early parse at once:
 * libxml2 would spend the rest of the transfer on it (a core for 7 s, a
 * 2.7 MB bomb arriving over 7 s). tag_scan(), resumed where the
 * last bytes ended, so a 5 MB tag is looked at once, not once a piece;
 * feed_finish() ends it, and has then checked the body as page_guard()
 * would. */
static int
feed_bomb(struct feed *f)
{
	return tag_scan(&f->bomb, f->pi->base, f->pi->len);
}

/* The transfer is over and went well: checks the whole body while the
 * parse goes on. Returns the early parse's page; NULL when there is none
 * (never started, or dropped): the body is then parsed the usual way. */
static struct page *
feed_finish(struct feed *f, const char *url)
{
	size_t len;
	const char *body;
	struct page *p;
	int base;

	if (f->state == FEED_OFF)
		return NULL;
	if (f->state == FEED_DROPPED) {
		feed_drop(f);
		return NULL;
	}
	feed_set(f, FEED_RECEIVED);
	body = page_input_bytes(f->pi, &len);
	/* what body_to_utf8() and page_guard() would leave as it is;
	 * feed_bomb() looks at what it has not seen yet */
	f->bomb.at_end = 1; /* the body is whole: what waited for more is read now */
	if (!utf8_as_is(body, len) || feed_bomb(f)) {
		feed_drop(f);
		return NULL;
	}
	base = has_base_tag(body, len);
	feed_set(f, FEED_CLEAN);
	if (f->sink)
		f->sink->go(f->sink->ctx, !base);
	pthread_join(f->thread, NULL);
	p = f->page;
	f->page = NULL;
	p->partial |= f->pi->read < f->pi->len && !page_guard_stopped(p);
	f->pi->feed = NULL;
	f->state = FEED_OFF;
	page_input_free(f->pi);
	page_set_base(p, url);
	return p;
}

static void
feed_free(struct feed *f)
{
	feed_drop(f);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->more);
}

/* A transfer's sink: page_input_push, and the early parse told. */
static int
feed_push(void *ctx, const char *data, size_t n)
{
	struct feed *f = ctx;

	if (page_input_push(f->pi, data, n) < 0)
		return -1;
	if (f->state == FEED_RECEIVING)
		feed_set(f, feed_bomb(f) ? FEED_DROPPED : FEED_RECEIVING);
	else if (!f->decided && f->pi->len >= FEED_AFTER + 3)
		feed_decide(f);
	return 0;
}

/*
 * --dump's TSV written while libxml2 is still parsing, on a second core: a
 * thread takes the records as the parse says they are final, in batches,
 * and resolves and writes them (a tenth of the run on a large page). The
 * parse only appends; the lock is held to hand over a batch, and to move
 * the array when it grows.
 */
#define WRITER_BATCH 256

struct writer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t more, ended_cv;
	const struct page *page;
	const char *base; /* the document URL: no <base> when this runs */
	const unsigned char *fields; /* the TSV's columns */
	FILE *f;
	size_t ready;     /* records final, told by the parse */
	int finished;     /* the parse is over */
	int go;           /* 0: wait; 1: write; -1: write nothing */
	int ended;        /* the thread has stopped writing */
	int err;          /* errno of a failed write */
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct element batch[WRITER_BATCH];
	struct tsv t;
	struct buf o = {0};
	size_t done = 0, k, i;
	int last = 0;
	sigset_t stop;

	pthread_mutex_lock(&w->lock);
	while (!w->go)
		pthread_cond_wait(&w->more, &w->lock);
	last = w->go < 0;
	pthread_mutex_unlock(&w->lock);
	if (last)
		return NULL;
	/* from now on the transfer is over: this thread may take the signals
	 * that end the run, so that a write blocked on stdout returns (EINTR) */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
	tsv_init(&t, w->fields, w->base, w->base);
	while (!last && !w->err && !got_signal) {
		pthread_mutex_lock(&w->lock);
		while (w->ready == done && !w->finished)
			pthread_cond_wait(&w->more, &w->lock);
		k = w->ready - done < WRITER_BATCH ? w->ready - done : WRITER_BATCH;
		if (k)
			memcpy(batch, w->page->el + done, k * sizeof *batch);
		last = w->finished && done + k == w->ready;
		pthread_mutex_unlock(&w->lock);
		for (i = 0; i < k; i++)
			tsv_record(&o, &batch[i], &t);
		done += k;
		if (out_spill(&o, w->f, last ? 0 : 65536) < 0)
			w->err = errno ? errno : EIO;
	}
	resolver_free(&t.r);
	buf_free(&o);
	pthread_mutex_lock(&w->lock);
	w->ended = 1;
	pthread_cond_signal(&w->ended_cv);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static int
writer_start(void *ctx, struct page *p)
{
	struct writer *w = ctx;

	w->page = p;
	w->ready = 0;
	w->finished = w->go = w->ended = w->err = 0;
	return thread_start(&w->thread, writer_main, w) != 0 ? -1 : 0;
}

/* The parse moves the records it made (they grow): not while they are read. */
static void
writer_moving(void *ctx, int begin)
{
	struct writer *w = ctx;

	if (begin)
		pthread_mutex_lock(&w->lock);
	else
		pthread_mutex_unlock(&w->lock);
}

static void
writer_final(void *ctx, size_t n)
{
	struct writer *w = ctx;

	pthread_mutex_lock(&w->lock);
	w->ready = n;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->lock);
}

/* Whether the records may be written as they come: if not, the thread
 * ends, writing nothing. */
static void
writer_go(void *ctx, int use)
{
	struct writer *w = ctx;

	pthread_mutex_lock(&w->lock);
	w->go = use ? 1 : -1;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->lock);
	if (!use)
		pthread_join(w->thread, NULL);
}

/* After the parse: waits for the last record to be written; -1 with errno
 * when a write failed. */
static int
writer_finish(struct writer *w, struct page *p)
{
	pthread_mutex_lock(&w->lock);
	w->ready = p->n;
	w->finished = 1;
	pthread_cond_signal(&w->more);
	/* A signal ends the run even while stdout blocks: it is passed on to
	 * the writer (whose write then fails with EINTR) until it has stopped. */
	while (!w->ended) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 100 * 1000 * 1000;
		if (until.tv_nsec >= 1000 * 1000 * 1000)
			until.tv_sec++, until.tv_nsec -= 1000 * 1000 * 1000;
		pthread_cond_timedwait(&w->ended_cv, &w->lock, &until);
		if (got_signal && !w->ended)
			pthread_kill(w->thread, got_signal);
	}
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	errno = w->err;
	return w->err ? -1 : 0;
}

/* Runs the engine until the transfer is done or a signal came. */
static void
loop_until_done(struct transfer *t)
{
	struct curl_waitfd sig = signal_waitfd();

	while (!t->done && !got_signal) {
		net_drive(t->multi);
		if (t->done)
			break;
		curl_multi_poll(t->multi, &sig, signal_pipe[0] >= 0, 200, NULL);
	}
}

/* ==== view: what the panes hold: rows, the filter, the selection (no drawing) ==== */

static struct doc *
ui_doc(const struct app *a)
{
	return a->doc;
}

/* The transfer whose story the Transfer pane tells: the one in flight. */
static const struct transfer *
ui_story(const struct app *a)
{
	if (a->fetch)
		return a->fetch;
	if (a->parsing)
		return a->parsing->t;
	if (a->failed)
		return a->failed;
	return a->doc ? a->doc->t : NULL;
}

/* Line starts of a text, rebuilt only when the text changed (another text,
 * or this one grown: a story is only ever appended to). */
static void
lines_index(struct lines *li, const char *s, size_t n)
{
	size_t i;

	if (li->src == s && li->len == n)
		return;
	li->src = s;
	li->len = n;
	li->n = 0;
	for (i = 0; i < n;) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) + 1 : n;

		if (li->n == li->cap) {
			li->cap = li->cap ? li->cap * 2 : 256;
			li->start = xrealloc(li->start, li->cap * sizeof *li->start);
		}
		li->start[li->n++] = i;
		i = end;
	}
}

/* What a page that was not parsed is: its type, size, and what to do with
 * it ("image/jpeg, 30.0 MiB: an image, not a page — s or d saves it"). */
static void
doc_what(const struct doc *d, struct buf *b)
{
	const char *type = d->t->content_type;
	char size[32];

	human_size(size, sizeof size, (double)d->t->received);
	buf_addf(b, "%s, %s: %s, not ", type ? type : "no Content-Type", size,
		 body_noun(type));
	buf_adds(b, d->p->body == BODY_TEXT ? "HTML — the Source pane (7) shows it"
					    : "a page — s or d saves it");
}

/* The rows of kind k with u on: the first element of each URL, and how
 * many of that URL there are. Made when first asked for, once a page. */
static void
doc_unique(struct doc *d, int k)
{
	struct str_set seen = {0};
	size_t i, n = d->p->count[k], first;

	if (d->uniq_rows[k])
		return;
	d->uniq_rows[k] = xmalloc((n ? n : 1) * sizeof(size_t));
	d->uniq_times[k] = xmalloc((n ? n : 1) * sizeof(size_t));
	d->uniq_n[k] = 0;
	for (i = 0; i < n; i++) {
		const char *url = d->p->el[d->kind_rows[k][i]].url;

		first = set_put(&seen, url, strlen(url), d->uniq_n[k]);
		if (first != (size_t)-1) {
			d->uniq_times[k][first]++;
			continue;
		}
		d->uniq_rows[k][d->uniq_n[k]] = d->kind_rows[k][i];
		d->uniq_times[k][d->uniq_n[k]++] = 1;
	}
	set_free(&seen);
}

/* The element indices an element pane lists, in order (u: one per URL). */
static const size_t *
pane_elements(struct app *a, int pane)
{
	if (!a->ui.unique)
		return a->doc->kind_rows[pane];
	doc_unique(a->doc, pane);
	return a->doc->uniq_rows[pane];
}

/* The count a tab shows: the pane's rows (u: those made so far). */
static size_t
pane_count(const struct app *a, int pane)
{
	if (a->ui.unique && a->doc->uniq_rows[pane])
		return a->doc->uniq_n[pane];
	return a->doc->p->count[pane];
}

/* Panes of lines of text (Source, Transfer), not of rows with columns. */
static int
pane_lines(int pane)
{
	return pane == P_TRANSFER || pane == P_SOURCE;
}

/* Rows of a pane before filtering. */
static size_t
pane_total(struct app *a, int pane)
{
	struct doc *d = ui_doc(a);
	const struct transfer *t = ui_story(a);

	if (pane == P_TRANSFER) {
		if (!t)
			return 0;
		lines_index(&a->ui.story_lines, t->story.data, t->story.len);
		return a->ui.story_lines.n;
	}
	if (pane == P_DOWNLOADS) {
		lines_index(&a->ui.queue_lines, a->ui.queue_text.data, a->ui.queue_text.len);
		return a->ui.queue_lines.n;
	}
	if (!d)
		return 0;
	if (pane == P_QUERY)
		return a->query.rows ? a->query.rows->nrows : 0;
	if (pane == P_SOURCE) {
		if (d->p->body == BODY_BINARY) /* never shown as text */
			return 0;
		if (d->p->text.len) /* shown as decoded, not as the raw bytes */
			lines_index(&a->ui.src_lines, d->p->text.data, d->p->text.len);
		else
			lines_index(&a->ui.src_lines, d->t->body.data, d->t->body.len);
		return a->ui.src_lines.n;
	}
	if (a->ui.unique) {
		doc_unique(d, pane);
		return d->uniq_n[pane];
	}
	return d->p->count[pane];
}

/* The text of line i of a lines index (without its newline). */
static void
line_get(const struct lines *li, size_t i, const char **s, size_t *n)
{
	size_t end = i + 1 < li->n ? li->start[i + 1] : li->len;

	*s = li->src + li->start[i];
	*n = end - li->start[i];
	while (*n && ((*s)[*n - 1] == '\n' || (*s)[*n - 1] == '\r'))
		(*n)--;
}

static void
filter_clear(struct app *a)
{
	a->ui.filter.was_len = 0;
	a->ui.filter.on = 0;
	a->ui.filter.nrows = 0;
	a->ui.filter.mb[0] = '\0';
	a->ui.filter.edit.len = a->ui.filter.edit.cur = 0;
	a->ui.hshift = 0; /* another pane, page or filter: lines from their start */
}

static size_t
pane_nrows(struct app *a)
{
	return a->ui.filter.on ? a->ui.filter.nrows : pane_total(a, a->ui.pane);
}

/* The underlying index (element, or line) of row i of the current pane. */
static size_t
pane_index(struct app *a, size_t i)
{
	if (a->ui.filter.on)
		i = a->ui.filter.rows[i];
	if (a->ui.pane < K_COUNT)
		return pane_elements(a, a->ui.pane)[i];
	return i;
}

/* With u: how many records of the pane share row i's URL; else 0. */
static size_t
pane_times(struct app *a, size_t i)
{
	if (!a->ui.unique || a->ui.pane >= K_COUNT)
		return 0;
	if (a->ui.filter.on)
		i = a->ui.filter.rows[i];
	return a->doc->uniq_times[a->ui.pane][i];
}

static void
row_line(struct app *a, size_t idx, const char **s, size_t *n)
{
	line_get(a->ui.pane == P_TRANSFER ? &a->ui.story_lines : a->ui.pane == P_DOWNLOADS ?
		 &a->ui.queue_lines : &a->ui.src_lines, idx, s, n);
}

/* Where the user is in the current pane. */
static struct view *
ui_view(struct app *a)
{
	return a->doc ? &a->doc->view[a->ui.pane] : &a->ui.no_view;
}

/* Moves the selection by n rows, within the rows (on screen once drawn). */
static void
view_move(struct app *a, int n)
{
	struct view *v = ui_view(a);

	if (n < 0 && v->sel < (size_t)-n)
		v->sel = 0;
	else
		v->sel += (size_t)n; /* clamped when drawn */
	if (n > 0 && v->sel >= pane_nrows(a))
		v->sel = pane_nrows(a) ? pane_nrows(a) - 1 : 0;
}

/* Keeps the selection inside the rows and on screen. */
static void
view_clamp(struct app *a, int h)
{
	struct view *v = ui_view(a);
	size_t n = pane_nrows(a);

	if (h < 1)
		h = 1;
	if (n == 0) {
		v->sel = v->top = 0;
		return;
	}
	if (v->sel >= n)
		v->sel = n - 1;
	if (v->top + (size_t)h > n) /* no blank rows below while rows are above */
		v->top = n > (size_t)h ? n - (size_t)h : 0;
	if (v->top > v->sel)
		v->top = v->sel;
	if (v->sel >= v->top + (size_t)h)
		v->top = v->sel - (size_t)h + 1;
}

static const struct element *
selected_element(struct app *a)
{
	if (!a->doc || a->ui.pane >= K_COUNT || pane_nrows(a) == 0)
		return NULL;
	return &a->doc->p->el[pane_index(a, ui_view(a)->sel)];
}

/* Selects the first row of the current pane with that URL. */
static void
view_select_url(struct app *a, const char *url)
{
	size_t r, n = pane_nrows(a);

	for (r = 0; r < n; r++)
		if (!strcmp(a->doc->p->el[pane_index(a, r)].url, url)) {
			ui_view(a)->sel = r;
			return;
		}
}

/* Marks belong to the page: one byte an element, made at the first mark.
 * With u a row stands for every record of its URL, and all of them are
 * marked or not together; the row shows its first record's mark. */
static int
element_marked(const struct doc *d, size_t i)
{
	return d->mark && i < d->mark_n && d->mark[i];
}

static void
element_mark(struct doc *d, size_t i, int on)
{
	int k = d->p->el[i].rule->kind;

	if (!d->mark) {
		if (!on)
			return;
		d->mark_n = d->p->n;
		d->mark = xmalloc(d->mark_n ? d->mark_n : 1);
		memset(d->mark, 0, d->mark_n);
	}
	if (!d->mark[i] == !on)
		return;
	d->mark[i] = on != 0;
	if (on)
		d->nmark[k]++;
	else
		d->nmark[k]--;
}

/* Marks (on) or unmarks rows of an element pane, given as indices of its
 * rows without the filter; with u, every record of their URLs. */
static void
rows_mark(struct app *a, int pane, const size_t *rows, size_t n, int on)
{
	struct doc *d = a->doc;
	const size_t *el = pane_elements(a, pane);
	struct str_set urls = {0};
	size_t i;

	for (i = 0; i < n; i++) {
		const char *url = d->p->el[el[rows[i]]].url;

		element_mark(d, el[rows[i]], on);
		if (a->ui.unique && n > 1)
			set_put(&urls, url, strlen(url), 1);
	}
	for (i = 0; a->ui.unique && n && i < d->p->count[pane]; i++) {
		const struct element *e = &d->p->el[d->kind_rows[pane][i]];

		/* one URL (m): compared, not hashed and copied with every other */
		if (n == 1 ? !strcmp(e->url, d->p->el[el[rows[0]]].url)
			   : set_put(&urls, e->url, strlen(e->url), 0) == 1)
			element_mark(d, d->kind_rows[pane][i], on);
	}
	set_free(&urls);
}

/* u on: a URL any record of which is marked is marked whole, so that the
 * row standing for it shows what was marked. */
static void
marks_unite(struct doc *d)
{
	struct str_set first = {0};
	size_t i, f;
	int k, pass;

	for (k = 0; d->mark && k < K_COUNT; k++, set_free(&first))
		for (pass = 0; d->nmark[k] && pass < 2; pass++)
			for (i = 0; i < d->p->count[k]; i++) {
				size_t e = d->kind_rows[k][i];
				const char *url = d->p->el[e].url;

				f = set_put(&first, url, strlen(url), e);
				if (f == (size_t)-1)
					continue;
				if (pass == 0 && element_marked(d, e))
					element_mark(d, f, 1);
				else if (pass == 1)
					element_mark(d, e, element_marked(d, f));
			}
}

/* Whether row r of an element pane (counted without the filter) is marked. */
static int
row_marked(struct app *a, int pane, size_t r)
{
	return element_marked(a->doc, pane_elements(a, pane)[r]);
}

/* How many rows of an element pane are marked (u: once made, one a URL). */
static size_t
pane_marked(const struct app *a, int pane)
{
	const struct doc *d = a->doc;
	size_t i, n = 0;

	if (!d || !d->p || pane >= K_COUNT || !d->nmark[pane])
		return 0;
	if (!a->ui.unique)
		return d->nmark[pane];
	for (i = 0; d->uniq_rows[pane] && i < d->uniq_n[pane]; i++)
		n += element_marked(d, d->uniq_rows[pane][i]);
	return n;
}

/* The element indices of a pane's marked rows, in its order, the filter
 * notwithstanding (marks are chosen, the filter only shows); the caller
 * frees them. NULL, *n 0: no page, not an element pane, or none marked. */
static size_t *
rows_marked(struct app *a, int pane, size_t *n)
{
	struct doc *d = a->doc;
	const size_t *el;
	size_t i, total, *out;

	*n = 0;
	if (!d || !d->p || pane < 0 || pane >= K_COUNT || !d->nmark[pane])
		return NULL;
	total = pane_total(a, pane);
	el = pane_elements(a, pane);
	out = xmalloc(d->nmark[pane] * sizeof *out);
	for (i = 0; i < total; i++)
		if (element_marked(d, el[i]))
			out[(*n)++] = el[i];
	if (*n == 0) {
		free(out);
		out = NULL;
	}
	return out;
}

/* What an action on one URL at a time applies to (a download): the marked
 * rows of the pane, else its selected row. Element indices, the caller's
 * to free; NULL, *n 0 when there is none. */
static size_t *
rows_marked_else_selected(struct app *a, int pane, size_t *n)
{
	size_t *out = rows_marked(a, pane, n), total, sel;

	if (out || !a->doc || !a->doc->p || pane < 0 || pane >= K_COUNT)
		return out;
	if (pane == a->ui.pane) {
		const struct element *e = selected_element(a);

		if (!e)
			return NULL;
		out = xmalloc(sizeof *out);
		out[0] = (size_t)(e - a->doc->p->el);
	} else {
		total = pane_total(a, pane); /* the filter is the shown pane's */
		if (!total)
			return NULL;
		sel = a->doc->view[pane].sel < total ? a->doc->view[pane].sel : total - 1;
		out = xmalloc(sizeof *out);
		out[0] = pane_elements(a, pane)[sel];
	}
	*n = 1;
	return out;
}

/* What an action on a list applies to (check, export, pipe): the marked
 * rows of the pane, else every row the filter shows. Element indices in
 * the pane's order, the caller's to free; NULL, *n 0 when there is none. */
static size_t *
rows_marked_else_shown(struct app *a, int pane, size_t *n)
{
	size_t *out = rows_marked(a, pane, n), total, i;
	const size_t *el;
	int filtered;

	if (out || !a->doc || !a->doc->p || pane < 0 || pane >= K_COUNT)
		return out;
	filtered = pane == a->ui.pane && a->ui.filter.on;
	total = filtered ? a->ui.filter.nrows : pane_total(a, pane);
	if (!total)
		return NULL;
	el = pane_elements(a, pane);
	out = xmalloc(total * sizeof *out);
	for (i = 0; i < total; i++)
		out[i] = el[filtered ? a->ui.filter.rows[i] : i];
	*n = total;
	return out;
}

/* What says that a page's rows are the same: their kinds and URLs. */
static uint64_t
page_rows_hash(const struct page *p)
{
	uint64_t h = str_hash("", 0);
	size_t i;

	for (i = 0; i < p->n; i++)
		h = (h ^ str_hash(p->el[i].url, strlen(p->el[i].url))) * 0x100000001b3u +
		    (uint64_t)p->el[i].rule->kind;
	return h;
}

/* A page fetched again (reload, or back to one let go) keeps the marks of
 * the one it replaces when its rows are the same; else they are lost. */
static int
marks_carry(struct doc *to, const struct doc *from)
{
	uint64_t was;

	if (!from || !from->mark || to->mark)
		return 0;
	was = from->p ? page_rows_hash(from->p) : from->mark_rows;
	if (from->mark_n != to->p->n || was != page_rows_hash(to->p))
		return -1;
	to->mark_n = from->mark_n;
	to->mark = xmalloc(to->mark_n ? to->mark_n : 1);
	memcpy(to->mark, from->mark, to->mark_n);
	memcpy(to->nmark, from->nmark, sizeof to->nmark);
	return 1;
}

/* Selects line (or row) i of the pane, counted without the filter, at
 * the top of the screen; a filter that hides it is cleared. */
static void
view_go(struct app *a, size_t i)
{
	struct filter *f = &a->ui.filter;
	size_t total = pane_total(a, a->ui.pane), k;

	i = i < total ? i : total ? total - 1 : 0;
	for (k = 0; f->on && k < f->nrows && f->rows[k] < i; k++)
		;
	if (f->on && !(k < f->nrows && f->rows[k] == i))
		filter_clear(a);
	ui_view(a)->sel = ui_view(a)->top = f->on ? k : i; /* clamped when drawn */
}

static void
pane_switch(struct app *a, int pane)
{
	a->ui.pane = (pane + P_COUNT) % P_COUNT;
	filter_clear(a); /* a filter belongs to the pane it was typed in */
}

/* ASCII-case-insensitive substring search; needle is lower case. Returns
 * where needle starts in hay, or (size_t)-1. */
static size_t
find_ci(const char *hay, size_t n, const char *needle, size_t m)
{
	size_t i, j;

	char lo, up;

	if (m == 0)
		return 0;
	lo = needle[0];
	up = (char)toupper((unsigned char)lo);
	for (i = 0; i + m <= n; i++) {
		if (hay[i] != lo && hay[i] != up) /* the cheap test first */
			continue;
		for (j = 1; j < m && tolower((unsigned char)hay[i + j]) == needle[j]; j++)
			;
		if (j == m)
			return i;
	}
	return (size_t)-1;
}

static int
contains_ci(const char *hay, size_t n, const char *needle, size_t m)
{
	return find_ci(hay, n, needle, m) != (size_t)-1;
}

/* Cuts the lower-cased filter into words at blanks: "news sport" asks
 * for both, "!127.0.0.1" for rows without it; "!" alone asks nothing. */
static void
filter_split(struct filter *f)
{
	char *p = f->lc;

	f->nwords = 0;
	while (*p) {
		struct filter_word w = {0};

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		w.not = *p == '!';
		w.s = p + w.not;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		w.n = (size_t)(p - w.s);
		if (w.n == 0)
			continue;
		if (f->nwords == f->words_cap) {
			f->words_cap = f->words_cap ? f->words_cap * 2 : 8;
			f->words = xrealloc(f->words, f->words_cap * sizeof *f->words);
		}
		f->words[f->nwords++] = w;
	}
}

/* Whether every row that passes `now` passed `was`, so that only those
 * need looking at: now adds to was, and what it adds does not let a row
 * back in (a "!word" made longer excludes fewer rows). */
static int
filter_narrows(const char *was, size_t was_len, const char *now)
{
	size_t i;

	if (was_len == 0 || strncmp(was, now, was_len))
		return 0;
	if (now[was_len] == '\0' || now[was_len] == ' ' || now[was_len] == '\t')
		return 1; /* was's last word is whole in now */
	for (i = was_len; i > 0 && was[i - 1] != ' ' && was[i - 1] != '\t'; i--)
		;
	return was[i] != '!' || was_len - i == 1;
}

/* The check status of element idx of page d, in o: -1 when it is not
 * checked, 0 while it is, 1 ok, 2 broken. */
static int
element_check(const struct doc *d, size_t idx, struct buf *o)
{
	const struct qitem *it;

	if (!d || !d->check || d->check_item[idx] == (size_t)-1)
		return -1;
	it = &d->check->it[d->check_item[idx]];
	if (it->state <= Q_ACTIVE) {
		buf_adds(o, "…");
		return 0;
	}
	return check_status(it, d->p->el[idx].url, o) ? 2 : 1;
}

/* A filter word about checks: "ok" (checked, not broken) or "status:404"
 * (a status that starts so); -1 when w is neither or nothing is checked. */
static int
status_word(const struct doc *d, size_t idx, const struct filter_word *w)
{
	struct buf st = {0};
	int got, has;

	if (!d->check || !((w->n == 2 && !memcmp(w->s, "ok", 2)) ||
			   (w->n > 7 && !memcmp(w->s, "status:", 7))))
		return -1;
	got = element_check(d, idx, &st);
	if (w->n == 2)
		has = got == 1;
	else
		has = got > 0 && st.len >= w->n - 7 && !ascii_casecmp_n(st.data, w->s + 7, w->n - 7);
	buf_free(&st);
	return has;
}

/* A Query row passes when each word is in one of its cells (a !word in none). */
static int
query_row_matches(const struct query_rows *r, size_t idx, const struct filter_word *w, size_t nw)
{
	size_t k, c;

	for (k = 0; k < nw; k++) {
		int has = 0;

		for (c = 0; c < r->ncols && !has; c++) {
			const char *s = r->cells[idx * r->ncols + c];

			has = contains_ci(s, strlen(s), w[k].s, w[k].n);
		}
		if (has == w[k].not)
			return 0;
	}
	return 1;
}

static int
row_matches(struct app *a, size_t idx, const struct filter_word *w, size_t nw, size_t *at)
{
	const char *s, *t = NULL;
	size_t n, tn = 0, k;

	*at = (size_t)-1;
	if (a->ui.pane == P_QUERY)
		return query_row_matches(a->query.rows, idx, w, nw);

	if (a->ui.pane < K_COUNT) {
		const struct element *e = &a->doc->p->el[idx];

		s = e->url;
		n = strlen(s);
		t = e->text; /* measured only when the URL does not hold a word */
	} else {
		row_line(a, idx, &s, &n);
	}
	for (k = 0; k < nw; k++) {
		int has = a->ui.pane < K_COUNT ? status_word(a->doc, idx, &w[k]) : -1;
		size_t where = has < 0 ? find_ci(s, n, w[k].s, w[k].n) : (size_t)-1;

		if (has < 0)
			has = where != (size_t)-1;

		if (!has && t) {
			tn = tn ? tn : strlen(t);
			has = contains_ci(t, tn, w[k].s, w[k].n);
		}
		if (has == w[k].not)
			return 0;
		if (!w[k].not && *at == (size_t)-1)
			*at = where; /* a line is shown from there */
	}
	return 1;
}

/* Rebuilds the rows that pass the filter: one pass over the pane, or, when
 * the filter only grew (typing), over the rows that passed before. */
static void
filter_apply(struct app *a)
{
	struct filter *fl = &a->ui.filter;
	const size_t *el = NULL;
	size_t total, i, m, k, kept = 0;
	char *f = fl->lc;
	int narrow;

	for (m = 0; fl->mb[m]; m++)
		f[m] = (char)tolower((unsigned char)fl->mb[m]);
	f[m] = '\0';
	if (m == 0) {
		filter_clear(a);
		return;
	}
	filter_split(fl);
	/* "status:4" holds rows that "status:" did not: checked rows, anew */
	narrow = fl->on && filter_narrows(fl->was, fl->was_len, f) &&
		 !(a->ui.pane < K_COUNT && a->doc && a->doc->check);
	fl->on = 0;
	total = narrow ? fl->nrows : pane_total(a, a->ui.pane);
	if (a->ui.pane < K_COUNT)
		el = pane_elements(a, a->ui.pane);
	if (!narrow) {
		fl->rows = xrealloc(fl->rows, (total ? total : 1) * sizeof *fl->rows);
		fl->at = xrealloc(fl->at, (total ? total : 1) * sizeof *fl->at);
	}
	for (k = 0; k < total; k++) {
		size_t row = narrow ? fl->rows[k] : k, at;

		i = el ? el[row] : row;
		if (row_matches(a, i, fl->words, fl->nwords, &at)) {
			fl->at[kept] = at;
			fl->rows[kept++] = row;
		}
	}
	for (k = 0, fl->at_len = 0; k < fl->nwords && !fl->at_len; k++)
		fl->at_len = fl->words[k].not ? 0 : fl->words[k].n;
	fl->nrows = kept;
	fl->on = 1;
	memcpy(fl->was, f, m + 1);
	fl->was_len = m;
	ui_view(a)->sel = ui_view(a)->top = 0;
}

/* Esc on a filter: the row selected in the filtered list stays selected. */
static void
filter_off(struct app *a)
{
	struct view *v = ui_view(a);

	if (a->ui.filter.on && v->sel < a->ui.filter.nrows) {
		v->sel = a->ui.filter.rows[v->sel];
		v->top = v->sel; /* clamped to the screen when drawn */
	}
	filter_clear(a);
}

/* Back on a page left filtered: the same filter, on the same row. */
static void
filter_restore(struct app *a)
{
	struct view *v = ui_view(a), was = *v;

	if (!a->doc->filter)
		return;
	snprintf(a->ui.filter.mb, sizeof a->ui.filter.mb, "%s", a->doc->filter);
	free(a->doc->filter);
	a->doc->filter = NULL;
	filter_apply(a);
	*v = was; /* clamped when drawn */
}

/*
 * The Transfer pane's story changes under it: a fetch starts, fails or
 * arrives (and the story shown may be freed), or the one in flight grows
 * (and its buffer moves). Before anything reads the pane, its index is made
 * anew, and a filter on it is applied again, the selected line kept.
 */
static void
story_sync(struct app *a)
{
	const struct transfer *t = ui_story(a);
	struct view *v = ui_view(a);
	size_t was_n = a->ui.story_lines.n, sel_line, i;
	int same = t && t->id == a->ui.story_id;

	if (same && a->ui.story_lines.src == t->story.data && a->ui.story_lines.len == t->story.len)
		return;
	a->ui.story_id = t ? t->id : 0;
	a->ui.story_lines.src = NULL;
	a->ui.story_lines.n = 0;
	if (t)
		lines_index(&a->ui.story_lines, t->story.data, t->story.len);
	if (a->ui.pane != P_TRANSFER || !a->ui.filter.on)
		return;
	sel_line = v->sel < a->ui.filter.nrows ? a->ui.filter.rows[v->sel] : 0;
	a->ui.filter.was_len = 0; /* not a narrowing: every line again */
	filter_apply(a);
	if (!same || sel_line >= was_n)
		return;
	for (i = 0; i < a->ui.filter.nrows && a->ui.filter.rows[i] < sel_line; i++)
		;
	v->sel = i < a->ui.filter.nrows ? i : 0;
}

/* One item of the Downloads pane: state, bytes (of the size), rate, time
 * left, name, and where it went or why not. *rate gets its bytes/s. */
static void
queue_item_line(const struct qitem *it, struct buf *o, double *rate, double *left)
{
	const struct transfer *t = it->t;
	double secs = t ? elapsed_s(&t->started) : 0, now = (double)it->have;
	double total = t && t->dl_total > 0 ? (double)(it->have + t->dl_total) : 0;
	char got[32], all[32] = "?", per[32] = "", eta[32] = "";
	char *name = it->path ? NULL : name_from_url(it->url);

	*rate = 0;
	if (t) {
		now += (double)t->received;
		*rate = secs > 0.2 ? (double)t->received / secs : 0;
	} else {
		now = (double)it->bytes;
		total = it->state == Q_DONE ? now : 0;
	}
	human_size(got, sizeof got, now);
	if (total > 0)
		human_size(all, sizeof all, total);
	if (*rate > 0) {
		human_size(per, sizeof per, *rate);
		strcat(per, "/s");
	}
	*left = total > 0 && *rate > 0 ? (total - now) / *rate : -1;
	if (*left >= 0)
		snprintf(eta, sizeof eta, "ETA %.0f s", *left);
	buf_addf(o, "%-7s  %10s/%-10s  %12s  %-10s  %s", qstate_names[it->state], got, all, per,
		 eta, it->path ? strrchr(it->path, '/') + 1 : name);
	if (it->path)
		buf_addf(o, " → %s", it->path);
	else if (it->error && it->state > Q_ACTIVE)
		buf_addf(o, " — %s", it->error);
	buf_addc(o, '\n');
	free(name);
}

/* The Downloads pane's text: a total line, then a line per item. */
static void
queue_text(const struct queue *q, struct buf *o)
{
	struct buf items = {0};
	size_t i, count[Q_SKIPPED + 1] = {0};
	double rate, left, all_rate = 0, most_left = 0;
	char r[32];

	for (i = 0; i < q->n; i++) {
		count[q->it[i].state]++;
		queue_item_line(&q->it[i], &items, &rate, &left);
		all_rate += rate;
		if (q->it[i].state == Q_ACTIVE)
			most_left = left < 0 || most_left < 0 ? -1 : left > most_left ? left : most_left;
	}
	human_size(r, sizeof r, all_rate);
	o->len = 0;
	buf_addf(o, "%zu done, %zu active, %zu queued, %zu failed, %zu skipped · %s/s", count[Q_DONE],
		 count[Q_ACTIVE], count[Q_QUEUED], count[Q_FAILED], count[Q_SKIPPED], r);
	if (count[Q_ACTIVE] && !count[Q_QUEUED] && most_left >= 0)
		buf_addf(o, " · ETA %.0f s", most_left);
	buf_adds(o, " — D adds the marked rows, Esc cancels one, X all\n");
	buf_add(o, items.data ? items.data : "", items.len);
	buf_free(&items);
}

/* The Downloads pane follows its queue: its text made anew (a filter on
 * it applied again, the selection kept). */
static void
queue_sync(struct app *a)
{
	struct view *v = ui_view(a);
	size_t sel = v->sel;

	queue_text(&a->queue, &a->ui.queue_text);
	a->ui.queue_lines.src = NULL; /* the same length may hold other lines */
	if (a->ui.pane != P_DOWNLOADS || !a->ui.filter.on)
		return;
	a->ui.filter.was_len = 0;
	filter_apply(a);
	v->sel = sel; /* clamped when drawn */
}

/* The item of the Downloads pane's selected row, or NULL (the total). */
static struct qitem *
queue_selected(struct app *a)
{
	size_t line;

	if (a->ui.pane != P_DOWNLOADS || pane_nrows(a) == 0)
		return NULL;
	line = pane_index(a, ui_view(a)->sel);
	return line > 0 && line <= a->queue.n ? &a->queue.it[line - 1] : NULL;
}

/* ---- the Query pane: the expression in force and its rows on the page shown ---- */

static void
query_rows_drop(struct query_pane *qp)
{
	if (qp->rows)
		query_rows_free(qp->rows);
	free(qp->rows);
	qp->rows = NULL;
	qp->rows_id = 0;
}

/* The expression in force becomes expr, compiled as q (NULL, NULL: none). */
static void
query_set(struct query_pane *qp, const char *expr, struct query *q)
{
	if (qp->q)
		query_free(qp->q);
	free(qp->expr);
	qp->q = q;
	qp->expr = expr ? xstrdup(expr) : NULL;
	qp->gen++;
}

static int
all_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0';
}

/* The line as typed, compiled: in force when it compiles; when it does
 * not, the one before stays, and the line says why and where. */
static void
query_typed(struct app *a)
{
	struct query_pane *qp = &a->query;
	struct query_error err = {0};
	char mb[4 * sizeof qp->edit.text / sizeof(wchar_t)];
	struct query *q;

	qp->typed = 0;
	edit_get(&qp->edit, mb, sizeof mb);
	if (qp->expr && !strcmp(mb, qp->expr) && !qp->bad)
		return;
	qp->bad = 0;
	if (all_blank(mb)) {
		query_set(qp, NULL, NULL);
		return;
	}
	if (!(q = query_compile(mb, &err))) {
		qp->bad = 1;
		qp->err_at = err.offset < strlen(mb) ? err.offset : strlen(mb);
		snprintf(qp->err, sizeof qp->err, "%s", err.msg);
		return;
	}
	query_set(qp, mb, q);
}

/* Rows made anew: the view on them starts over, a filter on them is
 * applied again. */
static void
query_rows_new(struct app *a, struct query_rows *fresh, int same_query)
{
	struct query_pane *qp = &a->query;

	query_rows_drop(qp);
	qp->rows = xmalloc(sizeof *qp->rows);
	*qp->rows = *fresh;
	qp->rows_id = a->doc->t->id;
	qp->rows_gen = qp->gen;
	qp->cols_w = 0; /* the columns measured again */
	if (!same_query)
		a->doc->view[P_QUERY].sel = a->doc->view[P_QUERY].top = 0;
	if (a->ui.pane == P_QUERY && a->ui.filter.on) {
		a->ui.filter.was_len = 0;
		filter_apply(a);
	}
}

/*
 * Before anything reads the Query pane: the line typed is compiled, and
 * the expression in force is run on the page shown when the page or the
 * expression changed since its rows were made. A run is cut after
 * QUERY_MS (the rows so far kept, and said to be cut), so a key costs a
 * bounded time on any page.
 */
static void
query_sync(struct app *a)
{
	struct query_pane *qp = &a->query;
	struct query_error err = {0};
	struct query_rows fresh;
	int same_query;

	if (qp->typed)
		query_typed(a);
	same_query = qp->rows_gen == qp->gen;
	if (!qp->q || !a->doc || a->doc->p->body != BODY_HTML) {
		query_rows_drop(qp);
		return;
	}
	if (qp->rows_id == a->doc->t->id && same_query)
		return;
	memset(&fresh, 0, sizeof fresh);
	qp->failed[0] = '\0';
	if (query_run(qp->q, a->doc->p, QUERY_MS, &fresh, &err) == 0) {
		query_rows_new(a, &fresh, same_query);
		return;
	}
	query_rows_free(&fresh);
	if (a->ui.mode == M_QUERY && qp->rows_id == a->doc->t->id) {
		/* as when it does not compile: the rows before stay */
		qp->bad = 1;
		qp->err_at = err.offset;
		snprintf(qp->err, sizeof qp->err, "%s", err.msg);
		qp->rows_gen = qp->gen;
		return;
	}
	memset(&fresh, 0, sizeof fresh);
	query_rows_new(a, &fresh, same_query);
	snprintf(qp->failed, sizeof qp->failed, "%s", err.msg);
}

/* The row of the Query pane selected, or (size_t)-1. */
static size_t
query_selected(struct app *a)
{
	if (a->ui.pane != P_QUERY || !a->doc || !a->query.rows || pane_nrows(a) == 0)
		return (size_t)-1;
	return pane_index(a, ui_view(a)->sel);
}

/* The URL of the Query row selected, or NULL. */
static const char *
query_selected_url(struct app *a)
{
	size_t i = query_selected(a);

	return i == (size_t)-1 ? NULL : a->query.rows->urls[i];
}

/* ==== ui: ncurses only — layout, drawing, the form, the help, the status line ==== */

enum color_pair { CP_TAB = 1, CP_TABSEL, CP_SENT, CP_RECV, CP_STEP, CP_STATUS,
		  CP_ERROR, CP_DIM };

static const char *const pane_names[P_COUNT] = {
	"Links", "Images", "Media", "Embeds", "Resources", "Transfer", "Source", "Query",
	"Downloads",
};

/* The same, short, for the tabs of other panes when all do not fit. */
static const char *const pane_short[P_COUNT] = {
	"Links", "Imgs", "Media", "Embeds", "Res", "Xfer", "Src", "Qry", "Dl",
};

static struct buf ui_scratch; /* sanitised text of the row being drawn */

struct layout {
	int list_y, list_h, list_w;
	int det_y, det_x, det_h, det_w;
	int status_y;
	int small;
};

static void
ui_layout(struct layout *l, int pane)
{
	memset(l, 0, sizeof *l);
	l->small = LINES < MIN_LINES || COLS < MIN_COLS;
	l->status_y = LINES - 1;
	l->list_y = 1;
	if (COLS >= WIDE_COLS && pane_lines(pane)) { /* lines of text: all the width */
		l->list_w = COLS;
		l->list_h = LINES - 2;
	} else if (COLS >= WIDE_COLS) { /* the detail beside the list */
		l->list_w = COLS * 3 / 5;
		l->list_h = LINES - 2;
		l->det_y = 1;
		l->det_x = l->list_w + 1;
		l->det_w = COLS - l->det_x;
		l->det_h = l->list_h;
	} else {                 /* the detail under it */
		l->list_w = COLS;
		l->det_h = 5;
		l->list_h = LINES - 3 - l->det_h;
		l->det_y = l->list_y + l->list_h + 1;
		l->det_w = COLS;
	}
	if (pane == P_TRANSFER && l->list_h > 4) { /* a row for the legend */
		l->list_y++;
		l->list_h--;
	}
	if (pane == P_QUERY) { /* the columns' names above the rows */
		l->list_y++;
		l->list_h--;
	}
}

/*
 * Draws network text at (y, x) in at most w columns and returns the columns
 * used. Sanitised first (nothing raw reaches the terminal), then measured
 * with wcwidth: a character it cannot measure is shown as U+FFFD, and a cut
 * is marked with '…'. Only a prefix is looked at, so a 5 MB data: URL costs
 * what a short one does.
 */
static int
ui_put(int y, int x, int w, const char *s, size_t n, attr_t attr)
{
	wchar_t wc[MAX_COLS + 2];
	int wid[MAX_COLS + 2];
	int col = 0, cut = 0, utf8 = MB_CUR_MAX > 1;
	size_t i = 0, k = 0, limit = (size_t)w * 4 + 64;

	if (w <= 0)
		return 0;
	if (w > MAX_COLS)
		w = MAX_COLS;
	ui_scratch.len = 0;
	buf_add_safe(&ui_scratch, s, n < limit ? n : limit, SAN_TEXT);
	while (i < ui_scratch.len) {
		uint32_t cp;
		int cw;

		i += utf8_decode((const unsigned char *)ui_scratch.data + i,
				 ui_scratch.len - i, &cp);
		if (cp >= 0x80 && !utf8) /* our own punctuation has ASCII stand-ins */
			cp = cp == 0xb7 ? '|' : cp == 0x2014 ? '-' : cp == 0xd7 ? 'x' : '?';
		cw = wcwidth((wchar_t)cp);
		if (cw < 0)
			cp = utf8 ? 0xfffd : '?', cw = 1;
		/* zero-width characters (5,000 combining marks) never advance
		 * col: the array bounds the count too */
		if (col + cw > w || k == MAX_COLS) {
			cut = 1;
			break;
		}
		wc[k] = (wchar_t)cp;
		wid[k++] = cw;
		col += cw;
	}
	if (cut || (n > limit && i >= ui_scratch.len && col >= w)) {
		while (k > 0 && col + 1 > w)
			col -= wid[--k];
		wc[k++] = utf8 ? 0x2026 : '>';
		col++;
	}
	attron(attr);
	mvaddnwstr(y, x, wc, (int)k);
	attroff(attr);
	return col;
}

static int
ui_puts(int y, int x, int w, const char *s, attr_t attr)
{
	return ui_put(y, x, w, s, strlen(s), attr);
}

static attr_t
ui_color(const struct app *a, int pair)
{
	return a->ui.color ? COLOR_PAIR(pair) : 0;
}

static void
ui_message(struct app *a, int error, const char *fmt, ...)
{
	va_list ap;

	a->ui.msg.len = 0;
	a->ui.msg_error = error;
	va_start(ap, fmt);
	buf_vaddf(&a->ui.msg, fmt, ap);
	va_end(ap);
}

/* A tab's label, " 1 Links 25 "; when they do not all fit, the other tabs
 * take short names, " 2 Imgs 13 ", then shrink to " 2 I13 ". The current
 * pane's count reads "matching/all" while a filter is on; a pane with
 * marks reads "*marked/all" (filtered: "matching/all *marked"). */
static void
tab_label(const struct app *a, int p, int form, char *out, size_t outsz)
{
	char count[48] = "";
	size_t marked = pane_marked(a, p), len;

	if (p < K_COUNT && a->doc && a->ui.filter.on && p == a->ui.pane)
		snprintf(count, sizeof count, " %zu/%zu", a->ui.filter.nrows, pane_count(a, p));
	else if (p < K_COUNT && marked)
		snprintf(count, sizeof count, " *%zu/%zu", marked, pane_count(a, p));
	else if (p < K_COUNT)
		snprintf(count, sizeof count, " %zu", a->doc ? pane_count(a, p) : 0);
	else if (p == P_DOWNLOADS && a->queue.n) /* over, of all */
		snprintf(count, sizeof count, " %zu/%zu", queue_over(&a->queue), a->queue.n);
	else if (p == P_QUERY && a->query.rows && a->ui.filter.on && p == a->ui.pane)
		snprintf(count, sizeof count, " %zu/%zu%s", a->ui.filter.nrows,
			 a->query.rows->nrows, a->query.rows->cut ? "+" : "");
	else if (p == P_QUERY && a->query.rows) /* +: cut, more may match */
		snprintf(count, sizeof count, " %zu%s", a->query.rows->nrows,
			 a->query.rows->cut ? "+" : "");
	len = strlen(count);
	if (marked && a->ui.filter.on && p == a->ui.pane)
		snprintf(count + len, sizeof count - len, " *%zu", marked);
	if (form == 0 || p == a->ui.pane)
		snprintf(out, outsz, " %d %s%s ", p + 1, pane_names[p], count);
	else if (form == 1)
		snprintf(out, outsz, " %d %s%s ", p + 1, pane_short[p], count);
	else
		snprintf(out, outsz, " %d %c%s ", p + 1, pane_names[p][0],
			 count + (count[0] != 0));
}

/* The Query and Downloads tabs show once they hold something (a query in
 * force, an item queued) or are the pane shown (8, 9, Tab): unused, they
 * would cost the other tabs their names at 80 columns. */
static int
tab_shown(const struct app *a, int p)
{
	if (p == a->ui.pane)
		return 1;
	if (p == P_QUERY)
		return a->query.q != NULL;
	if (p == P_DOWNLOADS)
		return a->queue.n > 0;
	return 1;
}

static void
draw_tabs(struct app *a)
{
	int x = 0, p, form, width;
	char label[80];

	for (p = 0; a->doc && p < K_COUNT; p++)
		pane_total(a, p); /* u: the counts of one row per URL made */
	move(0, 0);
	attron(ui_color(a, CP_TAB));
	hline(' ', COLS);
	attroff(ui_color(a, CP_TAB));
	for (form = 0; form < 2; form++) {
		for (width = 0, p = 0; p < P_COUNT; p++) {
			tab_label(a, p, form, label, sizeof label);
			width += tab_shown(a, p) ? (int)strlen(label) : 0;
		}
		if (width <= COLS)
			break;
	}
	for (p = 0; p < P_COUNT && x < COLS; p++) {
		attr_t at = p == a->ui.pane ? (A_BOLD | A_REVERSE | ui_color(a, CP_TABSEL))
					 : ui_color(a, CP_TAB);

		tab_label(a, p, form, label, sizeof label);
		a->ui.tab_x[p] = x;
		if (tab_shown(a, p))
			x += ui_puts(0, x, COLS - x, label, at);
		a->ui.tab_x[p + 1] = x;
	}
}

/* Columns of text known to hold only characters one column wide (our own,
 * as the help's), or near enough for a column's width: one a character. */
static size_t
own_width(const char *s, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
	return w;
}

/* A character's cell as ui_put() draws it: its width, cp mapped. */
static int
ui_cell(uint32_t *cp, int utf8)
{
	int cw;

	if (*cp >= 0x80 && !utf8)
		*cp = *cp == 0xd7 ? 'x' : '?';
	cw = wcwidth((wchar_t)*cp);
	if (cw < 0)
		*cp = utf8 ? 0xfffd : '?', cw = 1;
	return cw;
}

/* The columns network text takes as ui_put() draws it, counted to at
 * most cap: only that much of it is looked at. */
static int
ui_width(const char *s, size_t n, int cap)
{
	size_t i = 0, limit;
	int col = 0, utf8 = MB_CUR_MAX > 1;

	cap = cap < 0 ? 0 : cap > MAX_COLS ? MAX_COLS : cap;
	limit = (size_t)cap * 4 + 64;
	ui_scratch.len = 0;
	buf_add_safe(&ui_scratch, s, n < limit ? n : limit, SAN_TEXT);
	while (i < ui_scratch.len && col <= cap) {
		uint32_t cp;

		i += utf8_decode((const unsigned char *)ui_scratch.data + i, ui_scratch.len - i, &cp);
		col += ui_cell(&cp, utf8);
	}
	return n > limit && col <= cap ? cap + 1 : col;
}

/* Draws the end of network text, its last w columns at most; only its
 * last bytes are looked at. Returns the columns used. */
static int
ui_put_tail(int y, int x, int w, const char *s, size_t n, attr_t attr)
{
	enum { R = MAX_COLS + 2 };
	wchar_t ring[R], out[R];
	int wid[R], col = 0, utf8 = MB_CUR_MAX > 1;
	size_t from, i = 0, k = 0, j, m = 0;

	if (w <= 0)
		return 0;
	w = w > MAX_COLS ? MAX_COLS : w;
	from = n > (size_t)w * 4 + 16 ? n - ((size_t)w * 4 + 16) : 0;
	while (from > 0 && from < n && ((unsigned char)s[from] & 0xc0) == 0x80)
		from++; /* from a character's first byte */
	ui_scratch.len = 0;
	buf_add_safe(&ui_scratch, s + from, n - from, SAN_TEXT);
	while (i < ui_scratch.len) {
		uint32_t cp;

		i += utf8_decode((const unsigned char *)ui_scratch.data + i, ui_scratch.len - i, &cp);
		wid[k % R] = ui_cell(&cp, utf8);
		ring[k++ % R] = (wchar_t)cp;
	}
	for (j = k; j > 0 && k - j < R - 1 && col + wid[(j - 1) % R] <= w; j--)
		col += wid[(j - 1) % R];
	for (; j < k; j++)
		out[m++] = ring[j % R];
	attron(attr);
	mvaddnwstr(y, x, out, (int)m);
	attroff(attr);
	return col;
}

/* Draws a URL in w columns: whole when it fits, else cut in the middle,
 * its start and its end kept (the last path segment whole when it can
 * be): what tells two URLs of a page apart is at their end. */
static int
ui_put_url(int y, int x, int w, const char *s, size_t n, attr_t attr)
{
	const char *seg = s + n;
	int head, tail, need;

	if (w < 12 || ui_width(s, n, w) <= w)
		return ui_put(y, x, w, s, n, attr);
	while (seg > s && s + n - seg < 4 * w && seg[-1] != '/')
		seg--;
	need = seg > s && seg[-1] == '/' ? ui_width(seg - 1, (size_t)(s + n - seg) + 1, w) : w;
	tail = w * 2 / 3;
	if (need > tail && need <= w - 8)
		tail = need;
	head = w - tail; /* with the '…' */
	x += ui_put(y, x, head, s, n, attr);
	return head + ui_put_tail(y, x, tail, s, n, attr);
}

/* The columns of the element pane shown: made once a page and pane (a
 * pass over its rows), since every row is drawn to them. */
static const struct row_cols *
row_cols(struct app *a)
{
	struct row_cols *c = &a->ui.cols;
	const size_t *el;
	size_t i, n, most = 0;
	struct uri base;

	if (c->id == a->doc->t->id && c->pane == a->ui.pane && c->unique == a->ui.unique)
		return c;
	memset(c, 0, sizeof *c);
	c->id = a->doc->t->id;
	c->pane = a->ui.pane;
	c->unique = a->ui.unique;
	uri_split(a->doc->p->base, strlen(a->doc->p->base), &base);
	if (base.has_auth)
		c->origin = (size_t)(base.auth + base.auth_len - a->doc->p->base);
	n = pane_total(a, a->ui.pane);
	el = pane_elements(a, a->ui.pane);
	for (i = 0; i < n; i++) {
		const struct element *e = &a->doc->p->el[el[i]];
		const char *u = e->url + (strncmp(e->url, a->doc->p->base, c->origin) ? 0 : c->origin);
		const char *d = record_descriptor(e); /* drawn after the URL: " 480w" */
		int uw = (int)own_width(u, strnlen(u, MAX_COLS * 4)) + (d ? (int)strlen(d) + 1 : 0);

		c->url = uw > c->url ? uw : c->url;
		c->text |= *e->text != '\0';
		if (e->rule != a->doc->p->el[el[0]].rule)
			c->tag = 1;
		if (c->unique && a->doc->uniq_times[a->ui.pane][i] > most)
			most = a->doc->uniq_times[a->ui.pane][i];
	}
	for (i = 0; c->tag && i < n; i++) {
		const struct rule *r = a->doc->p->el[el[i]].rule;
		int tw = (int)(strlen(r->tag) + strlen(r->attr)) + 2;

		c->tag = tw > c->tag ? tw : c->tag;
	}
	for (c->times = most ? 2 : 0; most; most /= 10)
		c->times++;
	return c;
}

/* A URL in w columns and, after it, a srcset candidate's descriptor
 * ("2x", "480w": which image is the largest), kept when the URL is cut. */
static void
draw_url_cell(int y, int x, int w, const char *url, const char *descr, attr_t at,
	      attr_t dim)
{
	int dw = descr ? ui_width(descr, strlen(descr), w) + 1 : 0;

	if (!dw || w < dw + 12) {
		ui_put_url(y, x, w, url, strlen(url), at);
		return;
	}
	x += ui_put_url(y, x, w - dw, url, strlen(url), at) + 1;
	ui_puts(y, x, dw - 1, descr, dim);
}

/* The status of a checked row in 10 columns: words (NO_COLOR keeps
 * them), in the colour of what they say. */
static int
draw_check_cell(struct app *a, int y, int x, size_t idx, attr_t sel)
{
	struct buf st = {0};
	int got = element_check(a->doc, idx, &st);
	const char *s = st.data;
	size_t n = st.len;
	attr_t at;

	if (got > 0 && strstr(s, " missing")) {
		s = "#missing";
		n = 8;
	} else if (got > 0 && isdigit((unsigned char)s[0])) {
		n = strcspn(s, " "); /* "301→200": the final URL is in the detail */
	}
	at = sel | (sel ? 0 : ui_color(a, got == 2 ? CP_ERROR : got == 1 ? CP_RECV : CP_DIM));
	if (got >= 0)
		ui_put(y, x, 10, s, n, at);
	buf_free(&st);
	return 11;
}

/* An element's row: [*] [tag attr] [count×] URL, then its text in a column
 * of its own; the mark column is there while the pane has marks. A URL of
 * the page's own host is shown from its path. */
static void
draw_element_row(struct app *a, int y, int w, size_t row, const struct element *e, attr_t sel)
{
	const struct row_cols *c = row_cols(a);
	attr_t dim = sel | (sel ? 0 : ui_color(a, CP_DIM));
	const char *url = e->url;
	char tag[64];
	int x = 0, rest, uw;

	if (a->doc->nmark[a->ui.pane]) { /* a character, not only a colour */
		if (element_marked(a->doc, (size_t)(e - a->doc->p->el)))
			ui_puts(y, x, w - x, "*", sel | A_BOLD);
		x += 2;
	}
	if (a->doc->check && x + 12 < w)
		x += draw_check_cell(a, y, x, (size_t)(e - a->doc->p->el), sel);
	if (c->tag) {
		snprintf(tag, sizeof tag, "%s %s", e->rule->tag, e->rule->attr);
		ui_puts(y, x, w - x, tag, dim);
		x += c->tag;
	}
	if (c->times && x + c->times < w) { /* only repeated URLs: they stand out */
		if (pane_times(a, row) > 1) {
			snprintf(tag, sizeof tag, "%*zu× ", c->times - 2, pane_times(a, row));
			ui_puts(y, x, w - x, tag, dim);
		}
		x += c->times;
	}
	if (c->origin && !strncmp(url, a->doc->p->base, c->origin) &&
	    (url[c->origin] == '/' || url[c->origin] == '?' || url[c->origin] == '#'))
		url += c->origin;
	rest = w - x;
	uw = !c->text ? rest : c->url < rest * 3 / 5 ? c->url
			      : rest * 3 / 5 > rest - 40 ? rest * 3 / 5 : rest - 40;
	draw_url_cell(y, x, uw, url, record_descriptor(e), sel, dim);
	x += uw + 2;
	if (*e->text && x < w)
		ui_puts(y, x, w - x, e->text, dim);
}

/* The width w shared by columns that want want[]: those wanting at most a
 * fair share get it, the others share the rest evenly (4 columns at least:
 * what does not fit is not drawn). */
static void
cols_share(const int *want, int *got, size_t n, int w)
{
	size_t c, k = n;
	int left = w - 2 * (int)(n - 1), more = 1, share;

	for (c = 0; c < n; c++)
		got[c] = -1;
	while (more && k > 0) {
		more = 0;
		for (c = 0; c < n; c++)
			if (got[c] < 0 && want[c] <= left / (int)k) {
				got[c] = want[c];
				left -= want[c];
				k--;
				more = 1;
			}
	}
	share = k ? left / (int)k : 0;
	for (c = 0; c < n; c++)
		if (got[c] < 0)
			got[c] = share > 4 ? share : 4;
}

/* The Query pane's column widths in w columns: made once a set of rows
 * and width, from each column's widest cell (looked at up to w) and its
 * name (12 columns of it at most: the detail shows it whole). */
static const int *
query_cols(struct app *a, int w)
{
	struct query_pane *qp = &a->query;
	const struct query_rows *r = qp->rows;
	size_t i, c, n = r->ncols ? r->ncols : 1;
	int *want;

	if (qp->cols_w == w)
		return qp->colw;
	want = xmalloc(n * sizeof *want);
	qp->colw = xrealloc(qp->colw, n * sizeof *qp->colw);
	for (c = 0; c < r->ncols; c++) {
		int nw = (int)own_width(r->names[c], strlen(r->names[c]));

		want[c] = nw < 1 ? 1 : nw < 12 ? nw : 12;
	}
	for (i = 0; i < r->nrows; i++)
		for (c = 0; c < r->ncols; c++) {
			const char *s = r->cells[i * r->ncols + c];
			int cw = (int)own_width(s, strnlen(s, (size_t)w * 4));

			want[c] = cw > want[c] ? cw : want[c];
		}
	cols_share(want, qp->colw, r->ncols, w);
	free(want);
	qp->cols_w = w;
	return qp->colw;
}

/* A Query row (or the names above them): each cell in its column, cut
 * with a '…'; the last column takes what is left of the width. */
static void
draw_query_cells(struct app *a, int y, int w, char *const *cells, attr_t at)
{
	const struct query_rows *r = a->query.rows;
	const int *colw = query_cols(a, w);
	size_t c;
	int x = 0;

	for (c = 0; c < r->ncols && x < w; c++) {
		int cw = c + 1 == r->ncols || x + colw[c] > w ? w - x : colw[c];

		ui_put(y, x, cw, cells[c], strnlen(cells[c], (size_t)cw * 4 + 65), at);
		x += colw[c] + 2;
	}
}

/* Why the Query pane has no rows. */
static const char *
query_empty(const struct app *a, struct buf *b)
{
	if (!a->query.q)
		return "no query: press : and type a CSS selector or an XPath expression";
	if (!a->query.failed[0])
		return "no match on this page";
	buf_addf(b, "the query failed on this page: %s", a->query.failed);
	return b->data;
}

/* The columns cp takes as ui_put draws it (SAN_TEXT: C0 and DEL as ^X,
 * the others that need care as <U+XXXX>); -1 when wcwidth knows none. */
static int
shown_width(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f)
		return 2;
	return needs_care(cp) ? 8 : wcwidth((wchar_t)cp);
}

/* Draws text wrapped into a box (or, draw 0, only counts); returns the
 * rows used. Long text is cut after DETAIL_CAP bytes, so wrapping stays
 * cheap. */
static int
wrap_text(int y, int x, int w, int h, const char *s, size_t n, attr_t at, int draw)
{
	int rows = 0;
	size_t i = 0;

	if (n > DETAIL_CAP)
		n = DETAIL_CAP;
	while (rows < h && (i < n || rows == 0)) {
		size_t take = 0;
		int col = 0;

		/* how many bytes fill w columns, measured as ui_put will draw them */
		while (i + take < n) {
			uint32_t cp;
			size_t len = utf8_decode((const unsigned char *)s + i + take,
						 n - i - take, &cp);
			int cw = shown_width(cp);

			if (cw < 0)
				cw = 1;
			if (col + cw > w && take > 0)
				break;
			col += cw;
			take += len;
		}
		if (draw)
			ui_put(y + rows, x, w, s + i, take, at);
		i += take;
		rows++;
	}
	return rows;
}

/* A line of the Transfer pane wrapped (w) at word boundaries, the rows
 * after its first indented by two spaces: a step reads as one, its words
 * whole. Returns the rows it takes, at most h; drawn when draw. */
static int
wrap_words(int y, int x, int w, int h, const char *s, size_t n, attr_t at, int draw)
{
	int rows = 0;
	size_t i = 0;

	if (n > DETAIL_CAP)
		n = DETAIL_CAP;
	while (rows < h && (i < n || rows == 0)) {
		int ind = rows && w > 10 ? 2 : 0, col = 0;
		size_t take = 0, space = 0;

		while (i + take < n) {
			uint32_t cp;
			size_t len = utf8_decode((const unsigned char *)s + i + take,
						 n - i - take, &cp);
			int cw = shown_width(cp);

			if (col + (cw < 0 ? 1 : cw) > w - ind && take > 0)
				break;
			if (s[i + take] == ' ')
				space = take;
			col += cw < 0 ? 1 : cw;
			take += len;
		}
		if (i + take < n && s[i + take] != ' ' && space > 0)
			take = space; /* the word that does not fit starts the next row */
		if (draw)
			ui_put(y + rows, x + ind, w - ind, s + i, take, at);
		for (i += take; i < n && s[i] == ' '; i++)
			;
		rows++;
	}
	return rows;
}

static int
draw_wrapped(int y, int x, int w, int h, const char *s, size_t n, attr_t at)
{
	return wrap_text(y, x, w, h, s, n, at, 1);
}

static struct buf ui_line; /* a line of Source or Transfer, tabs expanded */

/* Where a line of Source or Transfer is shown from: its start, or, when
 * the filter found it past the screen's edge, a little before the match;
 * then moved by < and >. Looks at w columns of it at most. */
static size_t
line_from(struct app *a, size_t row, const char *s, size_t n, int w)
{
	const struct filter *f = &a->ui.filter;
	size_t at = f->on && f->at ? f->at[row] : (size_t)-1, base = 0;
	long from;

	w = w < 1 ? 1 : w;
	if (at != (size_t)-1 && at < n &&
	    (at > (size_t)w * 4 || ui_width(s, at + f->at_len, w) > w - 1))
		base = at > (size_t)w / 4 ? at - (size_t)w / 4 : 0;
	from = (long)base + a->ui.hshift;
	from = from < 0 ? 0 : from > (long)n ? (long)n : from;
	while (from > 0 && (size_t)from < n && ((unsigned char)s[from] & 0xc0) == 0x80)
		from++; /* from a character's first byte */
	return (size_t)from;
}

/* The first bytes of a line (at most limit of them out) with its tabs
 * expanded to the next tab stop (every 8 columns from where it is shown),
 * rather than shown as ^I. */
static void
line_expand(const char *s, size_t n, size_t limit, struct buf *out)
{
	size_t i, col = 0;

	out->len = 0;
	for (i = 0; i < n && out->len < limit; i++) {
		if (s[i] != '\t') {
			buf_addc(out, s[i]);
			col += ((unsigned char)s[i] & 0xc0) != 0x80;
			continue;
		}
		do
			buf_addc(out, ' ');
		while (++col % 8);
	}
}

/* The screen rows a line of Source or Transfer takes (w: wrapped), at
 * most h; drawn at y when draw. Only what the screen shows is looked at,
 * however long the line (a real page has one of 635,378 characters). */
static int
draw_line_rows(struct app *a, const struct layout *l, size_t row, int y, int h, int draw)
{
	const char *s;
	size_t n, from;
	char num[16];
	int x = 0, w = l->list_w, r, rows;
	attr_t sel = draw && row == ui_view(a)->sel ? A_REVERSE : 0, at = sel;

	row_line(a, pane_index(a, row), &s, &n);
	if (a->ui.pane == P_SOURCE)
		x = 7; /* the line number */
	from = line_from(a, row, s, n, w - x);
	x += from > 0; /* a '…' says the line starts further left */
	if (w - x < 1)
		return 1;
	line_expand(s + from, n - from, a->ui.wrap ? DETAIL_CAP : (size_t)(w - x) * 4 + 64, &ui_line);
	rows = !a->ui.wrap ? 1 : a->ui.pane == P_TRANSFER ? wrap_words(0, 0, w - x, h, ui_line.data,
								    ui_line.len, 0, 0)
		: wrap_text(0, 0, w - x, h, ui_line.data, ui_line.len, 0, 0);
	if (!draw)
		return rows;
	for (r = 0; r < rows; r++) {
		move(y + r, 0);
		attron(sel);
		hline(' ', w);
		attroff(sel);
	}
	if (a->ui.pane == P_SOURCE) {
		snprintf(num, sizeof num, "%6zu ", pane_index(a, row) + 1);
		ui_puts(y, 0, w, num, sel | (sel ? 0 : ui_color(a, CP_DIM)));
	} else if (!sel && n && a->ui.pane == P_DOWNLOADS) {
		at = ui_color(a, s[0] == 'f' ? CP_ERROR : s[0] == 'd' ? CP_RECV : CP_STATUS);
	} else if (!sel && n) {
		at = s[0] == '!' ? A_BOLD | ui_color(a, CP_ERROR) : ui_color(a, s[0] == '>' ? CP_SENT
							: s[0] == '<' ? CP_RECV : CP_STEP);
	}
	if (from > 0)
		ui_puts(y, x - 1, 1, "…", sel | (sel ? 0 : ui_color(a, CP_DIM)));
	if (a->ui.pane != P_TRANSFER)
		return wrap_text(y, x, w - x, rows, ui_line.data, ui_line.len, at, 1);
	if (a->ui.wrap)
		return wrap_words(y, x, w - x, rows, ui_line.data, ui_line.len, at, 1);
	ui_put(y, x, w - x, ui_line.data, ui_line.len, at); /* a cut is marked '…' */
	return 1;
}

/* w: the selected line's first row on screen, the lines above it wrapped
 * as they are drawn. Measures the lines from the top to it: a screenful. */
static void
view_clamp_wrapped(struct app *a, const struct layout *l)
{
	struct view *v = ui_view(a);
	int rows[MAX_COLS], used = 0, i, k;

	view_clamp(a, l->list_h);
	k = (int)(v->sel - v->top) + 1; /* view_clamp: at most list_h */
	k = k < MAX_COLS ? k : MAX_COLS;
	for (i = 0; i < k; i++)
		used += rows[i] = draw_line_rows(a, l, v->top + (size_t)i, 0, l->list_h, 0);
	for (i = 0; used > l->list_h && v->top < v->sel && i < k; i++, v->top++)
		used -= rows[i];
}

/* Lines of Source or Transfer wrapped (w): as many as fill the screen. */
static void
draw_lines_wrapped(struct app *a, const struct layout *l)
{
	struct view *v = ui_view(a);
	size_t row, n = pane_nrows(a);
	int y = l->list_y, end = l->list_y + l->list_h;

	view_clamp_wrapped(a, l);
	for (row = v->top; row < n && y < end; row++)
		y += draw_line_rows(a, l, row, y, end - y, 1);
}

/* One row of the list, cleared first, highlighted when selected. */
static void
draw_row(struct app *a, const struct layout *l, size_t row)
{
	struct view *v = ui_view(a);
	size_t idx = pane_index(a, row);
	attr_t sel = row == v->sel ? A_REVERSE : 0;
	int y = l->list_y + (int)(row - v->top);

	move(y, 0);
	attron(sel);
	hline(' ', l->list_w);
	attroff(sel);
	if (a->ui.pane < K_COUNT)
		draw_element_row(a, y, l->list_w, row, &a->doc->p->el[idx], sel);
	else if (a->ui.pane == P_QUERY)
		draw_query_cells(a, y, l->list_w, a->query.rows->cells + idx * a->query.rows->ncols,
				 sel);
	else
		draw_line_rows(a, l, row, y, 1, 1);
}

/* The Transfer pane's first row: what its lines' first characters mean
 * (in fewer words on a narrow screen). */
static void
draw_legend(struct app *a, const struct layout *l)
{
	static const struct { const char *s, *brief; int cp; attr_t bold; } part[] = {
		{"* a step of the fetch", "* step", CP_STEP, 0},
		{"> sent to the server", "> sent", CP_SENT, 0},
		{"< received from it", "< received", CP_RECV, 0},
		{"! a warning", "! warning", CP_ERROR, A_BOLD},
	};
	int x = 0, brief = l->list_w < 80; /* under the story's own first characters */
	size_t i;

	if (l->list_y < 2)
		return; /* no room */
	for (i = 0; i < sizeof part / sizeof part[0] && x < l->list_w - 1; i++) {
		const char *s = brief ? part[i].brief : part[i].s;

		ui_put(l->list_y - 1, x, 1, s, 1, part[i].bold | ui_color(a, part[i].cp));
		x += 3 + ui_puts(l->list_y - 1, x + 1, l->list_w - x - 1, s + 1, ui_color(a, CP_DIM));
	}
}

static void
draw_list(struct app *a, const struct layout *l)
{
	struct view *v = ui_view(a);
	size_t n = pane_nrows(a);
	int y;

	if (a->ui.pane == P_TRANSFER)
		draw_legend(a, l);
	view_clamp(a, l->list_h);
	if (a->ui.pane == P_QUERY && a->query.rows && a->doc)
		draw_query_cells(a, l->list_y - 1, l->list_w, a->query.rows->names,
				 A_BOLD | ui_color(a, CP_DIM));
	if (n == 0) {
		struct buf what = {0};
		const char *why = a->ui.pane == P_DOWNLOADS ? "nothing queued: D on a row queues it"
				  : !a->doc && a->ui.pane != P_TRANSFER ? "no page loaded: press o"
				  : a->ui.filter.on ? "nothing matches the filter"
				  : a->ui.pane == P_QUERY ? query_empty(a, &what) : "nothing here";

		if (a->doc && a->doc->p->body != BODY_HTML && a->ui.pane != P_TRANSFER &&
		    a->ui.pane != P_DOWNLOADS && !a->ui.filter.on) {
			doc_what(a->doc, &what);
			why = what.data;
		}
		ui_puts(l->list_y, 1, l->list_w - 1, why, ui_color(a, CP_DIM));
		buf_free(&what);
		return;
	}
	if (a->ui.wrap && pane_lines(a->ui.pane)) {
		draw_lines_wrapped(a, l);
		return;
	}
	for (y = 0; y < l->list_h && v->top + (size_t)y < n; y++)
		draw_row(a, l, v->top + (size_t)y);
}

/* A line of the detail: its label in lw columns, its value wrapped in
 * at most h rows after it. */
static int
draw_field_in(struct app *a, int y, const struct layout *l, int h, int lw, const char *label,
	      const char *value)
{
	if (h <= 0)
		return 0;
	ui_puts(y, l->det_x + 1, lw - 1, label, A_BOLD | ui_color(a, CP_DIM));
	return draw_wrapped(y, l->det_x + 1 + lw, l->det_w - 2 - lw, h, value,
			    strlen(value), 0);
}

static int
draw_field(struct app *a, int y, const struct layout *l, int h, const char *label,
	   const char *value)
{
	return draw_field_in(a, y, l, h, 7, label, value);
}

/* The detail of Query row i: which match, each field whole (one row
 * each kept for those after it), the element as written (a row without
 * fields), the node's XPath, the row's URL when no field shows it. */
static void
draw_query_detail(struct app *a, const struct layout *l, size_t i)
{
	const struct query_rows *r = a->query.rows;
	const char *path = r->paths[i], *url = r->urls[i], *node = r->nodes[i];
	int y = l->det_y, end = l->det_y + l->det_h, lw = 7, h;
	char head[96];
	size_t c;

	for (c = 0; c < r->ncols; c++) {
		int nw = (int)own_width(r->names[c], strlen(r->names[c])) + 1;

		lw = nw > lw ? nw : lw;
		if (url && !strcmp(url, r->cells[i * r->ncols + c]))
			url = NULL; /* shown already */
	}
	lw = lw < l->det_w / 3 ? lw : l->det_w / 3;
	snprintf(head, sizeof head, "%zu of %zu%s", ui_view(a)->sel + 1, pane_nrows(a),
		 r->cut ? " (cut after 0.1 s: more may match)" : "");
	y += draw_field_in(a, y, l, 1, lw, "match", head);
	for (c = 0; c < r->ncols; c++) {
		h = end - y - (int)(r->ncols - c - 1) - (node != NULL) - (path != NULL) -
		    (url != NULL);
		y += draw_field_in(a, y, l, h > 1 ? h : 1, lw, r->names[c],
				   r->cells[i * r->ncols + c]);
	}
	if (node)
		y += draw_field_in(a, y, l, 1, lw, "node", node);
	if (path)
		y += draw_field_in(a, y, l, end - y, lw, "xpath", path);
	if (url)
		draw_field_in(a, y, l, end - y, lw, "URL", url);
}

static void
draw_detail(struct app *a, const struct layout *l)
{
	struct view *v = ui_view(a);
	int y = l->det_y, end = l->det_y + l->det_h;
	char head[160];

	if (l->det_h == 0)
		return;
	if (COLS >= WIDE_COLS)
		mvvline(l->det_y, l->det_x - 1, ACS_VLINE, l->det_h);
	else
		mvhline(l->det_y - 1, 0, ACS_HLINE, COLS);
	if (pane_nrows(a) == 0)
		return;
	if (a->ui.pane < K_COUNT) {
		const struct element *e = &a->doc->p->el[pane_index(a, v->sel)];

		size_t times = pane_times(a, v->sel);

		snprintf(head, sizeof head, "%s · <%s %s> · %zu of %zu", kind_names[e->rule->kind],
			 e->rule->tag, e->rule->attr, v->sel + 1, pane_nrows(a));
		if (times) /* u: the rows are URLs */
			snprintf(head + strlen(head), sizeof head - strlen(head),
				 " URLs · %zu record%s with it", times, times == 1 ? "" : "s");
		y += draw_field(a, y, l, 1, "kind", head);
		y += draw_field(a, y, l, end - y, "URL", e->url);
		if (element_check(a->doc, (size_t)(e - a->doc->p->el), &a->ui.check_detail) >= 0)
			y += draw_field(a, y, l, end - y, "status", a->ui.check_detail.data);
		a->ui.check_detail.len = 0;
		if (strcmp(e->raw, e->url))
			y += draw_field(a, y, l, end - y, "raw", e->raw);
		if (record_descriptor(e))
			y += draw_field(a, y, l, end - y, "descr", record_descriptor(e));
		if (record_rel(e))
			y += draw_field(a, y, l, end - y, "rel", record_rel(e));
		if (*e->text)
			draw_field(a, y, l, end - y, "text", e->text);
	} else if (a->ui.pane == P_QUERY) {
		draw_query_detail(a, l, pane_index(a, v->sel));
	} else {
		const char *s;
		size_t n;

		size_t from;

		row_line(a, pane_index(a, v->sel), &s, &n);
		from = line_from(a, v->sel, s, n, l->list_w - 7); /* the match in view too */
		draw_wrapped(y, l->det_x + 1, l->det_w - 2, end - y, s + from, n - from, 0);
	}
}

/* "Loading [=====     ] 12.0 KiB of 40.0 KiB, 3.1 KiB/s — Esc cancels" */
static void
status_progress(const struct transfer *t, const char *what, struct buf *b)
{
	char now[32], total[32], rate[32];
	double secs = elapsed_s(&t->started), r = secs > 0 ? (double)t->received / secs : 0;
	int i, fill = 0;

	human_size(now, sizeof now, (double)t->received);
	human_size(rate, sizeof rate, r);
	buf_addf(b, "%s [", what);
	if (t->dl_total > 0) {
		fill = (int)(10.0 * (double)t->received / (double)t->dl_total);
		for (i = 0; i < 10; i++)
			buf_addc(b, i < fill ? '=' : ' ');
	} else { /* size unknown: a marker that moves, so it does not look stuck */
		fill = (int)(secs * 5) % 18;
		fill = fill < 9 ? fill : 17 - fill;
		for (i = 0; i < 10; i++)
			buf_addc(b, i == fill || i == fill + 1 ? '=' : ' ');
	}
	buf_addf(b, "] %s", now);
	if (t->dl_total > 0) {
		human_size(total, sizeof total, (double)t->dl_total);
		buf_addf(b, " of %s", total);
	}
	if (t->awaiting) /* the request is out: the server thinks */
		buf_addf(b, ", waiting for the server's answer, %.1f s — Esc cancels", secs);
	else
		buf_addf(b, ", %s/s, %.1f s — Esc cancels", rate, secs);
}

static void
status_parsing(const struct transfer *t, struct buf *b)
{
	char size[32];

	human_size(size, sizeof size, (double)t->received);
	buf_addf(b, "Parsing %s … %.1f s — Esc cancels", size, elapsed_s(&t->started));
}

static void
status_page(const struct app *a, struct buf *b)
{
	const struct doc *d = a->doc;
	char size[32];

	if (!d && a->failed) { /* the reason stays in sight, whatever the pane */
		buf_adds(b, "the fetch failed: ");
		net_error(a->failed, b);
		buf_adds(b, " — the Transfer pane (6) tells the story, o opens the URL form");
		return;
	}
	if (!d) {
		buf_adds(b, "no page loaded — o opens the URL form");
		return;
	}
	human_size(size, sizeof size, (double)d->t->received);
	if (d->t->base) /* a local file: no HTTP */
		buf_addf(b, "local file · %s · ", size);
	else
		buf_addf(b, "HTTP %ld · %s · %.2f s · ", d->t->status, size,
			 d->t->t_total / 1000.0);
	if (d->t->insecure && transfer_is_tls(d->t))
		buf_adds(b, "certificate not checked (-k) · ");
	if (d->p->body != BODY_HTML)
		buf_addf(b, "%s, not parsed · ", d->t->content_type ? d->t->content_type
								   : "binary data");
	else
		buf_addf(b, "%zu element%s · ", d->p->n, d->p->n == 1 ? "" : "s");
	buf_adds(b, d->t->final_url ? d->t->final_url : d->t->url);
	if (d->p->title) {
		buf_adds(b, " · ");
		buf_adds(b, d->p->title);
	}
}

/* The line being typed on the status line, if one is, and its head. */
static const struct line_edit *
status_edit(const struct app *a, const char **head)
{
	switch (a->ui.mode) {
	case M_FILTER: *head = "/"; return &a->ui.filter.edit;
	case M_GOTO: *head = "Go to line "; return &a->ui.go_line;
	case M_PROMPT: *head = a->ui.prompt.text; return &a->ui.prompt.name;
	case M_QUERY: *head = ":"; return &a->query.edit;
	default: return NULL;
	}
}

/* Above the query line: a caret under the byte where the expression
 * stops making sense and why, or how many rows it gives and the keys. */
static void
draw_query_info(struct app *a, const struct layout *l, int x0, const char *mb)
{
	const struct query_pane *qp = &a->query;
	attr_t err = A_BOLD | ui_color(a, CP_ERROR);
	int y = l->status_y - 1, at, w;
	struct buf b = {0};

	move(y, 0);
	clrtoeol();
	if (qp->bad) {
		at = x0 + ui_width(mb, qp->err_at, COLS);
		at = at < COLS - 1 ? at : COLS - 1;
		w = ui_width(qp->err, strlen(qp->err), COLS);
		ui_puts(y, at, 1, "^", err);
		if (at + 2 + w <= COLS || at < COLS / 2)
			ui_puts(y, at + 2, COLS - at - 2, qp->err, err);
		else
			ui_puts(y, at - w - 1 > 0 ? at - w - 1 : 0, at - 1, qp->err, err);
		return;
	}
	if (qp->q && qp->rows)
		buf_addf(&b, "%zu match%s%s · ", qp->rows->nrows, qp->rows->nrows == 1 ? "" : "es",
			 qp->rows->cut ? " (cut after 0.1 s)" : "");
	buf_adds(&b, "Enter keeps it · Esc: the query before · Up, Down: earlier ones");
	ui_put(y, 0, COLS, b.data, b.len, ui_color(a, CP_DIM));
	buf_free(&b);
}

static void
draw_status(struct app *a, const struct layout *l)
{
	struct buf b = {0};
	const char *hint = " ? help  q quit ", *head = "";
	const struct line_edit *e = status_edit(a, &head);
	int hw = (int)strlen(hint), x;
	attr_t at = ui_color(a, CP_STATUS);

	move(l->status_y, 0);
	attron(at | A_REVERSE);
	hline(' ', COLS);
	attroff(at | A_REVERSE);
	if (e) {
		char mb[4 * sizeof e->text / sizeof(wchar_t)];

		edit_get(e, mb, sizeof mb);
		x = ui_puts(l->status_y, 0, COLS, head, A_BOLD);
		a->ui.cursor_x = x + (int)e->cur; /* ASCII-width cursor: good enough */
		if (a->ui.mode == M_QUERY)
			draw_query_info(a, l, x, mb);
		x += ui_puts(l->status_y, x, COLS - x - 1, mb, 0);
		if (a->ui.msg.len && x + 4 < COLS) /* why the name was refused */
			ui_put(l->status_y, x + 2, COLS - x - 3, a->ui.msg.data, a->ui.msg.len,
			       A_BOLD | ui_color(a, CP_ERROR));
		return;
	}
	if (a->ui.pane == P_QUERY && a->query.rows && a->query.rows->cut && !a->ui.msg.len)
		buf_adds(&b, "query cut after 0.1 s: its first matches only · ");
	if (a->ui.msg.len)
		buf_add(&b, a->ui.msg.data, a->ui.msg.len);
	else if (a->fetch)
		status_progress(a->fetch, "Loading", &b);
	else if (a->parsing)
		status_parsing(a->parsing->t, &b);
	else if (a->download.t)
		status_progress(a->download.t, "Downloading", &b);
	else
		status_page(a, &b);
	if (a->ui.filter.on && !a->ui.msg.len) {
		buf_adds(&b, " · filter: ");
		buf_adds(&b, a->ui.filter.mb);
	}
	buf_addc(&b, ' ');
	at = a->ui.msg_error ? (A_BOLD | ui_color(a, CP_ERROR)) : (A_REVERSE | ui_color(a, CP_STATUS));
	ui_put(l->status_y, 0, COLS - hw, b.data ? b.data : "", b.len, at);
	if (COLS > hw * 2)
		ui_puts(l->status_y, COLS - hw, hw, hint, A_REVERSE | ui_color(a, CP_STATUS));
	buf_free(&b);
}

/* One help line per action of a key table: its keys (after indent),
 * then what it does. */
static void
help_lines(struct buf *out, const struct key *k, size_t n, const char *indent)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *help = k[i].help;

		if (!help)
			continue; /* an alias: listed with the entry before it */
		buf_addf(out, "%s%s", indent, k[i].name);
		while (i + 1 < n && !k[i + 1].help)
			if (k[++i].name)
				buf_addf(out, " %s", k[i].name);
		buf_addf(out, "\t%s\n", help);
	}
}

/* The help's lines "keys\ttext\n" with the text wrapped at blanks into
 * width columns: the rows after the first have no keys. */
static void
help_wrap(const struct buf *in, size_t width, struct buf *out)
{
	const char *p, *nl, *t, *end, *cut, *sp;

	for (p = in->data; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		t = strchr(p, '\t') + 1;
		buf_add(out, p, (size_t)(t - p));
		for (;;) {
			for (end = t, cut = NULL; end < nl && own_width(t, (size_t)(end - t)) < width; end++)
				if (*end == ' ')
					cut = end;
			while (end < nl && ((unsigned char)*end & 0xc0) == 0x80)
				end++; /* not inside a character */
			if (end == nl || !cut) /* the rest fits, or one word is too long */
				cut = end;
			buf_add(out, t, (size_t)(cut - t));
			buf_addc(out, '\n');
			for (sp = cut; sp < nl && *sp == ' '; sp++)
				;
			if (sp >= nl)
				break;
			t = sp;
			buf_addc(out, '\t');
		}
	}
}

static void
draw_help(struct app *a)
{
	struct buf keys_text = {0}, b = {0};
	const char *p, *nl;
	size_t row = 0;
	int y = 2;

	help_lines(&keys_text, keys, nkeys, "");
	buf_adds(&keys_text, "Transfer pane\t* a step of the fetch, > sent to the server, "
		     "< received from it, ! a warning\n");
	buf_adds(&keys_text, "Mouse\twheel scrolls; a click selects a row or a tab\n"
		     "Ctrl-C, Ctrl-Z\tquit; suspend (fg resumes)\n"
		     "In the URL form\t(o opens it)\n");
	help_lines(&keys_text, form_keys, nform_keys, "  ");
	buf_adds(&keys_text, "  URL\ta URL, or a curl command (a browser's Copy as cURL "
		 "pasted): its options are the request's\n"
		 "  Headers\tcurl's request options, as on its command line (-H 'Name: value', "
		 "-b, -u, -d, -k...): the ones in effect, to edit\n"
		 "  \\ Enter\ta line goes on, as in a shell\n");
	buf_adds(&keys_text, "In the query line\t(: opens it; Left, Right, Home, End, Backspace "
		     "and Ctrl-U edit it)\n");
	help_lines(&keys_text, query_keys, nquery_keys, "  ");
	help_wrap(&keys_text, COLS > 38 ? (size_t)COLS - 28 : 10, &b);
	buf_free(&keys_text);
	a->ui.help_rows = 0;
	for (p = b.data; *p; p++)
		a->ui.help_rows += *p == '\n';
	if (a->ui.help_top + (size_t)(LINES - 3) > a->ui.help_rows)
		a->ui.help_top = a->ui.help_rows > (size_t)(LINES - 3)
					 ? a->ui.help_rows - (size_t)(LINES - 3) : 0;
	ui_puts(1, 1, COLS - 2, "Keys (j/k scroll, q or Esc closes)", A_BOLD);
	for (p = b.data; p && *p; p = nl + 1, row++) {
		const char *tab = strchr(p, '\t');

		nl = strchr(p, '\n');
		if (row < a->ui.help_top)
			continue;
		if (y >= LINES - 1)
			break;
		ui_put(y, 2, 24, p, (size_t)(tab - p), A_BOLD);
		ui_put(y, 27, COLS - 28, tab + 1, (size_t)(nl - tab - 1), 0);
		y++;
	}
	buf_free(&b);
}

/* The command's output (|): a title that says how it stands, then its
 * lines (made safe by ui_put), the last ones while it runs unless the
 * user scrolled back. */
static void
draw_output(struct app *a)
{
	struct command *c = &a->cmd;
	size_t h = LINES > 3 ? (size_t)LINES - 3 : 1, last, i;
	struct buf title = {0};
	const char *s;
	size_t n;
	int y;

	lines_index(&c->lines, c->output.data, c->output.len);
	last = c->lines.n > h ? c->lines.n - h : 0;
	if (c->follow || c->top >= last) {
		c->top = last;
		c->follow = 1;
	}
	buf_adds(&title, "Output: ");
	if (c->pid > 0)
		buf_adds(&title, c->killing ? "the command is being ended"
					    : "the command runs (Esc ends it)");
	else if (c->runs > 1)
		buf_addf(&title, "%d runs, %d failed", c->runs, c->failed);
	else
		shell_status(&title, c->status);
	buf_adds(&title, c->pid > 0 ? "" : " (j/k scroll, q or Esc closes)");
	ui_puts(1, 1, COLS - 2, title.data, A_BOLD);
	buf_free(&title);
	for (i = c->top, y = 2; i < c->lines.n && y < LINES - 1; i++, y++) {
		line_get(&c->lines, i, &s, &n);
		ui_put(y, 1, COLS - 2, s, n, 0);
	}
}

/* The terminal handed to a command (!), as it was before the screen. */
static void
ui_suspend(void)
{
	def_prog_mode();
	endwin();
}

/* ... and taken back, drawn whole. */
static void
ui_resume(void)
{
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
}

/* Below what the command left on the terminal: how it ended, and a wait
 * for a key (one byte, not echoed; the rest of a sequence dropped). */
static void
ui_wait_key(const char *how)
{
	struct termios was, raw;
	int tty = tcgetattr(STDIN_FILENO, &was) == 0;
	char c;

	printf("\n[%s] press a key to return to scraper", how);
	fflush(stdout);
	if (tty) {
		raw = was;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	while (read(STDIN_FILENO, &c, 1) < 0 && errno == EINTR && !got_signal)
		;
	if (tty) {
		tcflush(STDIN_FILENO, TCIFLUSH);
		tcsetattr(STDIN_FILENO, TCSANOW, &was);
	}
}

static void
form_close(struct app *a)
{
	FIELD **fields;
	int i;

	if (!a->ui.form.form)
		return;
	fields = form_fields(a->ui.form.form);
	unpost_form(a->ui.form.form);
	free_form(a->ui.form.form);
	for (i = 0; fields && fields[i]; i++)
		free_field(fields[i]);
	free(fields);
	delwin(a->ui.form.sub);
	delwin(a->ui.form.win);
	a->ui.form.form = NULL;
	a->ui.form.win = a->ui.form.sub = NULL;
}

/* Builds the form centred on the screen, with the fields' texts (URL,
 * Save as, Headers). */
static void
form_build(struct app *a, char *const text[3])
{
	int w = COLS - 4 < 100 ? COLS - 4 : 100, h = 11;
	FIELD **fields;
	int i;

	form_close(a);
	if (w < 30 || LINES < h + 2)
		return; /* too small: ui_draw says so; a resize rebuilds it */
	fields = xmalloc(4 * sizeof *fields);
	fields[3] = NULL;
	for (i = 0; i < 3; i++) {
		if (!(fields[i] = new_field(1, w - 13, 1 + 2 * i, 10, 0, 0)))
			die("cannot build the URL form");
		set_field_back(fields[i], A_UNDERLINE);
		field_opts_off(fields[i], O_AUTOSKIP | O_STATIC | O_BLANK);
		set_max_field(fields[i], URL_FIELD_MAX);
		set_field_buffer(fields[i], 0, text[i] ? text[i] : "");
	}
	a->ui.form.form = new_form(fields);
	a->ui.form.win = newwin(h, w, (LINES - h) / 2, (COLS - w) / 2);
	if (!a->ui.form.form || !a->ui.form.win)
		die("cannot build the URL form");
	a->ui.form.sub = derwin(a->ui.form.win, h - 2, w - 2, 1, 1);
	if (!a->ui.form.sub)
		die("cannot build the URL form");
	keypad(a->ui.form.win, TRUE);
	set_form_win(a->ui.form.form, a->ui.form.win);
	set_form_sub(a->ui.form.form, a->ui.form.sub);
	post_form(a->ui.form.form);
	form_driver(a->ui.form.form, REQ_END_LINE);
}

/* A field's text, trailing blanks removed; the caller frees it. */
static char *
form_text(struct app *a, int i)
{
	FIELD **fields = form_fields(a->ui.form.form);
	char *s;
	size_t n;

	form_driver(a->ui.form.form, REQ_VALIDATION); /* commits what was typed */
	s = field_buffer(fields[i], 0);
	n = s ? strlen(s) : 0;
	while (n && s[n - 1] == ' ')
		n--;
	return xstrndup(s ? s : "", n);
}

static void
form_draw(struct app *a)
{
	WINDOW *w = a->ui.form.win;
	int ww, wh;

	if (!w) {
		ui_puts(LINES / 2, 0, COLS, "terminal too small for the form", A_BOLD);
		wnoutrefresh(stdscr);
		return;
	}
	getmaxyx(w, wh, ww);
	wmove(w, 7, 2);
	wclrtoeol(w); /* the error line, then the frame it cut */
	box(w, 0, 0);
	mvwaddstr(w, 0, 2, " Open a URL, or paste a curl command ");
	mvwaddstr(w, 2, 2, "URL");
	mvwaddstr(w, 4, 2, "Save as");
	mvwaddstr(w, 6, 2, "Headers");
	if (a->ui.form.error[0]) {
		wattron(w, A_BOLD | ui_color(a, CP_ERROR));
		mvwaddnstr(w, 7, 2, a->ui.form.error, ww - 4);
		wattroff(w, A_BOLD | ui_color(a, CP_ERROR));
	}
	mvwaddnstr(w, wh - 2, 2, "Enter fetch · Tab next field · Headers: curl's -H, -b, -u... "
		   "· Esc close", ww - 4);
	pos_form_cursor(a->ui.form.form);
	curs_set(1);
	touchwin(w);
	wnoutrefresh(w);
}

/* Blanks a rectangle of the screen. */
static void
ui_clear(int y, int x, int h, int w)
{
	for (; h > 0; h--, y++)
		mvhline(y, x, ' ', w);
}

/*
 * The cheap redraw after a cursor move that did not scroll: the row left,
 * the row entered, the detail and the status line. A key then costs the
 * same whatever the pane holds and however many rows the screen shows.
 * Returns 0 when more than that changed, for a full redraw.
 */
static int
ui_draw_move(struct app *a, const struct layout *l)
{
	struct drawn *d = &a->ui.drawn;
	struct view *v = ui_view(a);

	if (!a->ui.moved || a->ui.changed || a->ui.mode != M_LIST || l->small || pane_nrows(a) == 0 ||
	    (a->ui.wrap && pane_lines(a->ui.pane)) || /* rows of several lines */
	    d->pane != a->ui.pane ||
	    d->doc != a->doc || d->lines != LINES || d->cols != COLS ||
	    d->nrows != pane_nrows(a) || d->filtering != a->ui.filter.on)
		return 0;
	view_clamp(a, l->list_h);
	if (v->top == d->top + 1 || v->top + 1 == d->top) {
		/* scrolled by one row: shift the rows on screen, draw the new one */
		int up = v->top > d->top;

		setscrreg(l->list_y, l->list_y + l->list_h - 1);
		scrollok(stdscr, TRUE);
		scrl(up ? 1 : -1);
		scrollok(stdscr, FALSE);
		setscrreg(0, LINES - 1);
		if (pane_nrows(a) > v->top + (size_t)(up ? l->list_h - 1 : 0))
			draw_row(a, l, v->top + (size_t)(up ? l->list_h - 1 : 0));
	} else if (v->top != d->top) {
		return 0;
	}
	if (d->sel != v->sel && d->sel >= v->top && d->sel < v->top + (size_t)l->list_h &&
	    d->sel < d->nrows)
		draw_row(a, l, d->sel);
	draw_row(a, l, v->sel);
	if (l->det_h) {
		ui_clear(l->det_y, l->det_x, l->det_h, l->det_w);
		draw_detail(a, l);
	}
	draw_status(a, l);
	return 1;
}

static void
ui_note_drawn(struct app *a)
{
	struct drawn *d = &a->ui.drawn;
	struct view *v = ui_view(a);

	d->pane = a->ui.pane;
	d->doc = a->doc;
	d->lines = LINES;
	d->cols = COLS;
	d->nrows = pane_nrows(a);
	d->filtering = a->ui.filter.on;
	d->top = v->top;
	d->sel = v->sel;
	a->ui.moved = a->ui.changed = 0;
}

static void
ui_draw(struct app *a)
{
	struct layout l;

	ui_layout(&l, a->ui.pane);
	if (ui_draw_move(a, &l)) {
		ui_note_drawn(a);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	ui_note_drawn(a);
	erase();
	curs_set(0);
	if (l.small) {
		ui_puts(0, 0, COLS, "terminal too small (needs 40x10)", A_BOLD);
		refresh();
		return;
	}
	draw_tabs(a);
	if (a->ui.mode == M_HELP) {
		draw_help(a);
	} else if (a->ui.mode == M_OUTPUT) {
		draw_output(a);
	} else {
		draw_list(a, &l);
		draw_detail(a, &l);
	}
	draw_status(a, &l);
	ui_note_drawn(a);
	wnoutrefresh(stdscr);
	if (a->ui.mode == M_FORM) {
		form_draw(a);
	} else if (a->ui.mode == M_FILTER || a->ui.mode == M_PROMPT || a->ui.mode == M_GOTO ||
		   a->ui.mode == M_QUERY) {
		move(l.status_y, a->ui.cursor_x < COLS ? a->ui.cursor_x : COLS - 1);
		curs_set(1);
		wnoutrefresh(stdscr);
	}
	doupdate();
}

/* A screen garbled by something else writing to the terminal (a wall
 * message, a background job over ssh): cleared and painted whole. */
static void
ui_repaint(void)
{
	clearok(curscr, TRUE);
}

/* OSC 52: the terminal (or tmux) puts the text on the clipboard. Base64
 * carries it, so no byte of it is interpreted by the terminal. */
static int
ui_clipboard(const char *text, size_t n)
{
	struct buf seq = {0};
	int rc;

	buf_adds(&seq, "\033]52;c;");
	base64(&seq, (const unsigned char *)text, n);
	buf_adds(&seq, "\a");
	fflush(stdout);
	rc = write_all(STDOUT_FILENO, seq.data, seq.len);
	buf_free(&seq);
	return rc;
}

/* Bracketed paste: the terminal marks where a paste starts and ends, so
 * that its line breaks are no Enter. Said again as the form opens: a shell
 * run meanwhile (Ctrl-Z, fg) may have turned it off. */
static void
ui_paste_marks(void)
{
	fflush(stdout);
	write_all(STDOUT_FILENO, "\033[?2004h", 8);
}

static void
ui_colors(struct app *a)
{
	const char *nc = getenv("NO_COLOR");

	a->ui.color = has_colors() && !(nc && *nc);
	if (!a->ui.color)
		return;
	start_color();
	use_default_colors();
	init_pair(CP_TAB, -1, -1);
	init_pair(CP_TABSEL, COLOR_BLUE, -1);
	init_pair(CP_SENT, COLOR_CYAN, -1);
	init_pair(CP_RECV, COLOR_GREEN, -1);
	init_pair(CP_STEP, COLOR_YELLOW, -1);
	init_pair(CP_STATUS, -1, -1);
	init_pair(CP_ERROR, COLOR_RED, -1);
	init_pair(CP_DIM, COLOR_BLUE, -1);
}

static SCREEN *ui_screen;

/* cbreak() leaves IXON on: Ctrl-S would stop the terminal's output, and
 * the program would block in write() until Ctrl-Q. The keys are ours. */
static void
flow_control_off(void)
{
	struct termios tio;

	if (tcgetattr(STDIN_FILENO, &tio) < 0)
		return;
	tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0)
		def_prog_mode(); /* what ncurses restores after Ctrl-Z and fg */
}

/* Takes the terminal; on failure returns a one-line reason instead. */
static const char *
ui_start(struct app *a)
{
	const char *term = getenv("TERM");
	const char *cup;

	if (!term || !*term || !strcmp(term, "dumb"))
		return "TERM is unset or dumb: the screen cannot be drawn (use --dump)";
	ui_screen = newterm(NULL, stdout, stdin);
	if (!ui_screen)
		return "unknown terminal type in TERM (use --dump)";
	cup = tigetstr("cup");
	if (!cup || cup == (char *)-1) {
		endwin();
		delscreen(ui_screen);
		ui_screen = NULL;
		return "the terminal cannot move the cursor (use --dump)";
	}
	ui_active = 1;
	cbreak();
	noecho();
	nonl();
	flow_control_off();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	/* Home and End as tmux, screen and rxvt send them, whatever TERM says */
	define_key("\033[1~", KEY_HOME);
	define_key("\033[4~", KEY_END);
	define_key("\033[7~", KEY_HOME);
	define_key("\033[8~", KEY_END);
	define_key("\033[H", KEY_HOME);
	define_key("\033[F", KEY_END);
	define_key("\033OH", KEY_HOME);
	define_key("\033OF", KEY_END);
	define_key("\033[200~", KEY_PASTE_BEGIN);
	define_key("\033[201~", KEY_PASTE_END);
	ui_paste_marks();
	/* every event, though only some act: one outside the mask (a right
	 * click) left ncurses blocked in read() until the next key */
	mousemask(ALL_MOUSE_EVENTS, NULL);
	mouseinterval(0);
	ui_colors(a);
	return NULL;
}

static void
ui_end(void)
{
	terminal_give_back();
	if (ui_screen)
		delscreen(ui_screen);
	ui_screen = NULL;
	buf_free(&ui_scratch);
	buf_free(&ui_line);
}

/* ==== app: the transitions: fetches, parses, pages, history, saves, downloads ==== */

/* The check of page d's links ends: it is checked anew, or goes. */
static void
doc_check_end(struct doc *d)
{
	if (d->check) {
		queue_free(d->check);
		free(d->check);
	}
	free(d->check_item);
	d->check = NULL;
	d->check_item = NULL;
}

static void
doc_free(struct doc *d)
{
	int k;

	if (!d)
		return;
	for (k = 0; k < K_COUNT; k++) {
		free(d->kind_rows[k]);
		free(d->uniq_rows[k]);
		free(d->uniq_times[k]);
	}
	doc_check_end(d);
	page_free(d->p);
	transfer_free(d->t);
	free(d->saved);
	free(d->url);
	free(d->filter);
	free(d->mark);
	free(d);
}

/* What a page holds in memory. */
static size_t
doc_bytes(const struct doc *d)
{
	if (!d->t)
		return 0;
	return d->t->body.cap + d->t->story.cap + d->t->headers.cap + d->p->text.cap +
	       arena_bytes(&d->p->arena) +
	       d->p->cap * sizeof *d->p->el + d->p->n * sizeof(size_t);
}

/* Lets a page's body and records go, keeping its URL and the user's place. */
static void
doc_shrink(struct doc *d)
{
	int k;

	d->url = xstrdup(d->t->final_url ? d->t->final_url : d->t->url);
	if (d->mark) /* what tells whether they fit the page fetched again */
		d->mark_rows = page_rows_hash(d->p);
	for (k = 0; k < K_COUNT; k++) {
		free(d->kind_rows[k]);
		free(d->uniq_rows[k]);
		free(d->uniq_times[k]);
		d->kind_rows[k] = d->uniq_rows[k] = d->uniq_times[k] = NULL;
		d->uniq_n[k] = 0;
	}
	doc_check_end(d); /* its items are the rows let go */
	page_free(d->p);
	transfer_free(d->t);
	d->p = NULL;
	d->t = NULL;
}

/* A page goes: a save prompt about it is closed. */
static void
save_doc_gone(struct app *a, struct doc *d)
{
	if (d && d == a->ui.prompt.doc) {
		a->ui.prompt.doc = NULL;
		if (a->ui.mode == M_PROMPT || (a->ui.mode == M_CONFIRM &&
					       a->ui.prompt.confirm == C_SAVE_OVERWRITE)) {
			a->ui.mode = M_LIST;
			a->ui.prompt.confirm = C_NONE;
			ui_message(a, 1, a->ui.prompt.export ? "the page was replaced: not exported"
					     : "the page to save was replaced: not saved");
		}
	}
}

/* Frees a page the app let go of. */
static void
doc_drop(struct app *a, struct doc *d)
{
	save_doc_gone(a, d);
	doc_free(d);
}

static struct doc *
doc_new(struct transfer *t, struct page *p)
{
	struct doc *d = xmalloc(sizeof *d);
	size_t fill[K_COUNT] = {0}, i;
	int k;

	memset(d, 0, sizeof *d);
	d->t = t;
	d->p = p; /* resolved: page_resolve() */
	for (k = 0; k < K_COUNT; k++)
		d->kind_rows[k] = xmalloc((p->count[k] ? p->count[k] : 1) * sizeof(size_t));
	for (i = 0; i < p->n; i++) {
		k = p->el[i].rule->kind;
		d->kind_rows[k][fill[k]++] = i;
	}
	return d;
}

/* The download ends, done or not: a temp file it still writes is removed. */
static void
download_end(struct app *a)
{
	struct transfer *t = a->download.t;

	if (t && t->fd >= 0) {
		close(t->fd);
		temp_discard(TMP_DOWNLOAD);
	}
	transfer_free(t);
	a->download.t = NULL;
	free(a->download.path);
	a->download.path = NULL;
}

/* The fetch in flight failed or was cancelled: its story stays visible in
 * the Transfer pane, and r or o take its URL, until the next page. */
static void
story_keep(struct app *a, struct transfer *t, const char *why)
{
	if (why) /* NULL: the story already ends with it */
		story_step(t, "%s", why);
	transfer_end(t);
	transfer_free(a->failed);
	a->failed = t;
}

static void
fetch_failed(struct app *a, const char *why)
{
	struct transfer *t = a->fetch;

	a->fetch = NULL;
	story_keep(a, t, why);
}

static void *
parse_main(void *arg)
{
	struct parse_job *j = arg;
	const struct transfer *t = j->t;
	const char *body = t->body.data ? t->body.data : "";
	const char *url = transfer_base(t);
	enum body_kind kind = body_kind(t->content_type, body, t->body.len);

	if (kind == BODY_HTML)
		j->page = page_parse(body, t->body.len, url, j->charset, &j->cancel);
	else
		j->page = page_unparsed(body, t->body.len, url, kind, j->charset);
	page_resolve(j->page);
	atomic_store(&j->done, 1);
	/* a cancelled job is waited for, or was left running on the way out,
	 * when the multi handle may be gone: only a live one is woken */
	if (!atomic_load(&j->cancel))
		curl_multi_wakeup(j->wake);
	return NULL;
}

/* Parses the page t fetched, in a second thread when one can be had. */
static void
parse_start(struct app *a, struct transfer *t)
{
	struct parse_job *j = xmalloc(sizeof *j);

	memset(j, 0, sizeof *j);
	j->t = t;
	j->charset = http_charset(t->content_type);
	j->wake = a->multi;
	atomic_init(&j->done, 0);
	atomic_init(&j->cancel, 0);
	a->parsing = j;
	if (thread_start(&j->thread, parse_main, j) != 0) {
		parse_main(j);
		j->thread = pthread_self();
	}
}

/* Waits for the parse (told to stop if cancel); returns its transfer and
 * page (NULL when it was stopped), and forgets the job. */
static struct page *
parse_end(struct app *a, int cancel, struct transfer **t)
{
	struct parse_job *j = a->parsing;
	struct page *p;

	if (cancel)
		atomic_store(&j->cancel, 1);
	if (!pthread_equal(j->thread, pthread_self()))
		pthread_join(j->thread, NULL);
	p = j->page;
	if (cancel) {
		page_free(p);
		p = NULL;
	}
	*t = j->t;
	free(j->charset);
	free(j);
	a->parsing = NULL;
	return p;
}

/* On the way out: asks the parse to stop and waits half a second at most.
 * libxml2 hears the request only between its callbacks, and some of its
 * steps (a long attribute list) have none: quitting must not wait on one. */
static int
parse_ends_soon(struct app *a)
{
	struct timespec pause = {0, 5 * 1000 * 1000};
	int i;

	atomic_store(&a->parsing->cancel, 1);
	for (i = 0; i < 100 && !atomic_load(&a->parsing->done); i++)
		nanosleep(&pause, NULL);
	return atomic_load(&a->parsing->done);
}

/* Esc during the parse: the story stays, as for a cancelled fetch. */
static void
parse_cancel(struct app *a)
{
	struct transfer *t;

	parse_end(a, 1, &t);
	story_keep(a, t, "Cancelled while parsing");
}

/* A new fetch, back, quit: the page being fetched or parsed is dropped. */
static void
fetch_drop(struct app *a)
{
	struct transfer *t;

	transfer_free(a->fetch);
	a->fetch = NULL;
	if (a->parsing) {
		parse_end(a, 1, &t);
		transfer_free(t);
	}
}

/* A local input the user gave (a page's links never come here: act_follow
 * fetches http(s) only), read at once: it arrives as a fetch does. */
static struct transfer *
fetch_local(struct app *a, const char *input)
{
	struct buf why = {0};
	struct transfer *t = NULL;
	int fd;

	if (!strcmp(input, "-"))
		ui_message(a, 1, "- reads standard input, the terminal here: use --dump");
	else if (!(t = local_start(&a->opt, input, &fd, &why)))
		ui_message(a, 1, "%s: %s", input, why.data);
	else {
		local_read(t, fd);
		close(fd);
	}
	buf_free(&why);
	return t;
}

/* A URL typed (on the command line, in the form): its server gets the
 * credentials of the options in effect. */
static void
origin_typed(struct app *a, const char *url)
{
	const char *why;
	char *n = url_normalize(url, &why), *o = n ? url_origin(n) : NULL;

	if (o && !(a->typed = curl_slist_append(a->typed, o)))
		die("out of memory");
	free(o);
	free(n);
}

static int
origin_was_typed(const struct app *a, const char *url)
{
	char *o = url_origin(url);
	const struct curl_slist *l;
	int found = 0;

	for (l = a->typed; o && l && !found; l = l->next)
		found = !strcmp(l->data, o);
	free(o);
	return found;
}

/* The options for a URL the page gave (a link followed, an element
 * downloaded): a GET, and the credentials only for a server a typed URL
 * named, as curl -L sends them (request_for_page). */
static const struct options *
options_for_link(struct app *a, const char *url)
{
	int other = !origin_was_typed(a, url);
	struct link_request *l;

	for (l = a->links; l; l = l->next)
		if (l->of == a->req_opt && l->other_server == other)
			return &l->opt;
	l = xmalloc(sizeof *l);
	memset(l, 0, sizeof *l);
	l->of = a->req_opt;
	l->other_server = other;
	l->opt = *a->req_opt;
	request_for_page(&l->opt.req, &a->req_opt->req, other, &l->left);
	l->as_get = a->req_opt->req.has_data || a->req_opt->req.method;
	l->next = a->links;
	a->links = l;
	return &l->opt;
}

/* A reload is the same request again: the options its fetch was made
 * with (a local input has none: those in effect). */
static const struct options *
transfer_options(const struct app *a, const struct transfer *t)
{
	return t->opt ? t->opt : a->req_opt;
}

/* The story says what a link's fetch left out of the options in effect. */
static void
link_request_story(struct app *a, struct transfer *t, const struct options *o)
{
	const struct link_request *l;

	for (l = a->links; l && &l->opt != o; l = l->next)
		;
	if (!l)
		return;
	if (l->as_get)
		story_step(t, "A link is fetched with GET, as a browser does: the -d body and -X "
			   "were for the URL they were given with");
	if (l->left.len)
		story_warn(t, "Not sent to this server, as no URL you typed names it: %s",
			   l->left.data);
}

/* Queues a URL the page gave, with the options for a link to it. */
static size_t
queue_add_link(struct app *a, struct queue *q, const char *url, int want_ids)
{
	size_t i = queue_add(q, url, want_ids);

	q->it[i].o = options_for_link(a, url);
	return i;
}

static void
link_requests_free(struct link_request *l)
{
	struct link_request *next;

	for (; l; l = next) {
		next = l->next;
		curl_slist_free_all(l->opt.req.headers);
		buf_free(&l->left);
		free(l);
	}
}

/* Starts fetching a page (or reading a local one); it replaces the shown
 * page when it arrives. */
static void
fetch_start(struct app *a, const char *typed, const struct options *o, const char *save_as,
	    int reload)
{
	const char *why = NULL;
	struct transfer *local = NULL;
	char *url = NULL;

	if (input_is_local(typed)) {
		if (!(local = fetch_local(a, typed)))
			return;
	} else if (!(url = url_normalize(typed, &why))) {
		ui_message(a, 1, "%s", why);
		return;
	}
	fetch_drop(a); /* a new fetch replaces the one in flight */
	doc_free(a->restore);
	a->restore = NULL;
	a->fetch = local ? local : net_start(a->multi, o, url, -1);
	if (!local)
		link_request_story(a, a->fetch, o);
	a->fetch_reload = reload;
	free(a->ui.form.save_as);
	a->ui.form.save_as = save_as && *save_as ? xstrdup(save_as) : NULL;
	a->ui.msg.len = 0;
	a->ui.msg_error = 0;
	free(url);
}

/* A file of that name exists: the y/n question before it is replaced. */
static void
ask_overwrite(struct app *a, enum confirm what, const char *path, const char *name,
	      const char *url)
{
	struct prompt *p = &a->ui.prompt;
	char *was_name = p->pending_name, *was_url = p->pending_url;

	/* name or url may be these very strings (the download prompt's): copied first */
	p->pending_name = xstrdup(name);
	p->pending_url = url ? xstrdup(url) : NULL;
	free(was_name);
	free(was_url);
	p->confirm = what;
	a->ui.mode = M_CONFIRM;
	ui_message(a, 1, "%s exists. Overwrite? (y/n)", path);
}

/* Saves the body of page d; asks before replacing a file. */
static void
save_body(struct app *a, struct doc *d, const char *name, int force)
{
	struct buf err = {0}, path = {0};
	const char *why = name_refusal(name);

	if (why) {
		ui_message(a, 1, "%s", why);
	} else if (save_file(a->opt.dir, name, d->t->body.data ? d->t->body.data : "",
			     d->t->body.len, force, &err, &path) == 0) {
		free(d->saved);
		d->saved = xstrdup(path.data);
		story_step(d->t, "Saved the body to %s", path.data);
		ui_message(a, 0, "saved %s (%zu bytes)", path.data, d->t->body.len);
	} else if (strstr(err.data, "not overwritten")) {
		a->ui.prompt.doc = d;
		ask_overwrite(a, C_SAVE_OVERWRITE, path.data, name, NULL);
	} else {
		ui_message(a, 1, "%s", err.data);
	}
	buf_free(&err);
	buf_free(&path);
}

/* The rows an export writes, as a page of their own: the page's facts
 * and those records, which share the page's strings (el is the caller's
 * to free, and nothing else). */
static struct page
page_subset(const struct page *p, const size_t *rows, size_t n)
{
	struct page sub = *p;
	size_t i;

	sub.el = xmalloc((n ? n : 1) * sizeof *sub.el);
	memset(sub.count, 0, sizeof sub.count);
	for (i = 0; i < n; i++) {
		sub.el[i] = p->el[rows[i]];
		sub.count[sub.el[i].rule->kind]++;
	}
	sub.n = sub.cap = n;
	return sub;
}

/* Writes the rows of the prompt's pane (marked, else shown) to dir/name
 * in the format its extension names; asks before replacing a file. */
static void
export_rows(struct app *a, const char *name, int force)
{
	struct buf out = {0}, err = {0}, path = {0};
	struct doc *d = a->doc;
	size_t n, *rows;
	struct page sub;

	if (!d || d != a->ui.prompt.doc || a->ui.pane != a->ui.prompt.rows_pane) {
		ui_message(a, 1, "the page or pane changed: not exported");
		return;
	}
	rows = rows_marked_else_shown(a, a->ui.pane, &n);
	sub = page_subset(d->p, rows, n);
	out_export(&out, export_format(name), d->t, &sub, a->opt.fields, d->saved);
	if (save_file(a->opt.dir, name, out.data ? out.data : "", out.len, force, &err,
		      &path) == 0)
		ui_message(a, 0, "exported %zu row%s to %s", n, n == 1 ? "" : "s", path.data);
	else if (strstr(err.data, "not overwritten"))
		ask_overwrite(a, C_EXPORT_OVERWRITE, path.data, name, NULL);
	else
		ui_message(a, 1, "%s", err.data);
	free(sub.el);
	free(rows);
	buf_free(&out);
	buf_free(&err);
	buf_free(&path);
}

/* ---- the shell command of | and ! ---- */

/* Output kept up to CMD_OUTPUT_MAX; past it only counted, and read on, so
 * that the command never blocks on a full pipe. */
static void
cmd_keep(struct command *c, const char *data, size_t n)
{
	size_t room = c->output.len < CMD_OUTPUT_MAX ? CMD_OUTPUT_MAX - c->output.len : 0;

	buf_add(&c->output, data, n < room ? n : room);
	c->cut += n > room ? n - room : 0;
}

/* The command line of the next run: with {}, the next URL put in it;
 * NULL when no run is left. */
static char *
cmd_next_line(struct command *c)
{
	struct buf line = {0};
	const char *u = c->urls.data ? c->urls.data + c->next : "";
	const char *nl = strchr(u, '\n');

	if (!strstr(c->line, "{}"))
		return c->runs ? NULL : xstrdup(c->line);
	if (!nl)
		return NULL;
	shell_substitute(&line, c->line, u, (size_t)(nl - u));
	c->next += (size_t)(nl - u) + 1;
	return line.data;
}

/* The URLs for the command's standard input: an unnamed temp file, which
 * never blocks us as a pipe would. NULL on failure. */
static FILE *
cmd_urls_file(struct command *c)
{
	FILE *f = tmpfile();

	if (!f)
		return NULL;
	if ((c->urls.len && fwrite(c->urls.data, 1, c->urls.len, f) != c->urls.len) ||
	    fflush(f) == EOF || fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return NULL;
	}
	return f;
}

/* Starts the next run, if any is left: 1 when one runs. */
static int
cmd_run_next(struct command *c)
{
	char *line = cmd_next_line(c);
	FILE *in = NULL;

	if (!line)
		return 0;
	if (!strstr(c->line, "{}") && !(in = cmd_urls_file(c))) {
		buf_addf(&c->output, "cannot write the URLs to a temp file: %s\n", strerror(errno));
		free(line);
		return 0;
	}
	buf_addf(&c->output, "$ %s\n", line);
	c->eof = 0;
	c->pid = shell_start(line, in ? fileno(in) : -1, &c->out);
	if (c->pid < 0) {
		buf_addf(&c->output, "cannot start /bin/sh: %s\n", strerror(errno));
		c->pid = 0;
	}
	if (in)
		fclose(in);
	free(line);
	return c->pid > 0;
}

/* A run ended with wait status st: said, and the next one started (not
 * after Esc). */
static void
cmd_ended(struct command *c, int st)
{
	char chunk[65536];
	ssize_t r;
	int i;

	/* what it left in the pipe (a child it left behind may write on) */
	for (i = 0; i < 16 && (r = read(c->out, chunk, sizeof chunk)) > 0; i++)
		cmd_keep(c, chunk, (size_t)r);
	close(c->out);
	c->pid = 0;
	if (c->output.len && c->output.data[c->output.len - 1] != '\n')
		buf_addc(&c->output, '\n');
	buf_addc(&c->output, '[');
	shell_status(&c->output, st);
	if (c->cut)
		buf_addf(&c->output, "; %zu bytes of output past %d KiB not kept", c->cut,
			 CMD_OUTPUT_MAX / 1024);
	buf_adds(&c->output, "]\n");
	c->cut = 0;
	c->runs++;
	c->failed += st != 0;
	c->status = st;
	if (!c->killing)
		cmd_run_next(c);
}

/* Reads what the command wrote, reaps a run that ended, and ends one Esc
 * asked to end that did not. Returns 1 when there is more to show. */
static int
cmd_drive(struct command *c)
{
	char chunk[65536];
	ssize_t r = -1;
	int st, more = 0, i;

	if (c->pid <= 0)
		return 0;
	/* at most 1 MiB a turn: a command that writes faster does not
	 * keep the loop from the keys */
	for (i = 0; i < 16 && !c->eof && (r = read(c->out, chunk, sizeof chunk)) > 0; i++) {
		cmd_keep(c, chunk, (size_t)r);
		more = 1;
	}
	c->eof |= r == 0;
	if (c->killing && elapsed_s(&c->killed) > CMD_KILL_AFTER)
		kill(-c->pid, SIGKILL);
	/* not at EOF: a child it left behind may hold the pipe for ever */
	if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
		cmd_ended(c, st);
		more = 1;
	}
	return more;
}

/* Esc: the run's process group asked to end (SIGKILL a second later). */
static void
cmd_kill(struct command *c)
{
	if (c->pid <= 0 || c->killing)
		return;
	c->killing = 1;
	clock_gettime(CLOCK_MONOTONIC, &c->killed);
	kill(-c->pid, SIGTERM);
	kill(-c->pid, SIGCONT); /* a stopped one too */
}

static void
cmd_free(struct command *c)
{
	int st;

	if (c->pid > 0) {
		kill(-c->pid, SIGKILL);
		waitpid(c->pid, &st, 0);
		close(c->out);
	}
	free(c->line);
	buf_free(&c->urls);
	buf_free(&c->output);
	free(c->lines.start);
	memset(c, 0, sizeof *c);
}

/* !: the terminal handed to the command (to each run, with {}), taken
 * back once a key is pressed after the last. */
static void
cmd_terminal(struct app *a)
{
	struct command *c = &a->cmd;
	int per_url = strstr(c->line, "{}") != NULL, st = 0;
	FILE *in = per_url ? NULL : cmd_urls_file(c);
	char *line;

	if (!per_url && !in) {
		ui_message(a, 1, "cannot write the URLs to a temp file: %s", strerror(errno));
		return;
	}
	ui_suspend();
	while (!got_signal && (line = cmd_next_line(c))) {
		st = shell_run(line, in ? fileno(in) : -1);
		free(line);
		c->runs++;
		c->failed += st != 0;
		if (st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGINT)
			break; /* Ctrl-C: the rest too */
	}
	if (in)
		fclose(in);
	c->output.len = 0;
	if (c->runs > 1)
		buf_addf(&c->output, "%d runs, %d failed; the last: ", c->runs, c->failed);
	shell_status(&c->output, st);
	if (!got_signal) /* else the loop ends at once */
		ui_wait_key(c->output.data);
	ui_resume();
	ui_message(a, c->failed != 0, "!: %s", c->output.data);
}

/* The command with the URLs of the current pane's rows (marked, else
 * shown): its output captured and shown (|), or the terminal handed to
 * it (!). */
static void
cmd_start(struct app *a, const char *line, int terminal)
{
	struct command *c = &a->cmd;
	size_t n, *rows = rows_marked_else_shown(a, a->ui.pane, &n);
	struct page sub;

	cmd_free(c);
	c->line = xstrdup(line);
	c->follow = 1;
	if (rows) {
		sub = page_subset(a->doc->p, rows, n);
		out_urls(&c->urls, &sub);
		free(sub.el);
		free(rows);
	}
	if (terminal) {
		cmd_terminal(a);
		return;
	}
	cmd_run_next(c);
	a->ui.mode = M_OUTPUT;
}

/* Downloads url into dir/name through a temp file; force replaces. With
 * auto_name the name is decided once the response is in (name_for_body(),
 * a free one). */
static void
download_start(struct app *a, const char *url, const char *name, int force, int auto_name)
{
	struct buf err = {0}, path = {0};
	struct stat st;
	int fd;

	download_end(a);
	buf_addf(&path, "%s/%s", a->opt.dir, name);
	if (!force && !auto_name && lstat(path.data, &st) == 0) {
		ask_overwrite(a, C_DOWNLOAD_OVERWRITE, path.data, name, url);
	} else if ((fd = temp_create(a->opt.dir, TMP_DOWNLOAD, &err)) < 0) {
		ui_message(a, 1, "%s", err.data);
	} else {
		a->download.t = net_start(a->multi, options_for_link(a, url), url, fd);
		link_request_story(a, a->download.t, a->download.t->opt);
		a->download.path = xstrdup(path.data);
		a->download.force = force;
		a->download.auto_name = auto_name;
		a->ui.msg.len = 0; /* the progress bar says it all */
		a->ui.msg_error = 0;
	}
	buf_free(&err);
	buf_free(&path);
}

/* Where a new page opens: its Links pane, or the first kind it has; a
 * reload stays where the user was, and so does one watching the story. */
static void
doc_show(struct app *a, struct doc *d, const struct doc *old, int stay)
{
	int k;

	if (a->restore) { /* back to a page fetched again */
		memcpy(d->view, a->restore->view, sizeof d->view);
		marks_carry(d, a->restore);
		a->ui.pane = a->restore->pane;
		doc_free(a->restore);
		a->restore = NULL;
		return;
	}
	if (old && a->fetch_reload) {
		memcpy(d->view, old->view, sizeof d->view);
		marks_carry(d, old);
		return;
	}
	if (stay)
		return;
	if (d->p->body == BODY_TEXT) { /* nothing but the text to see */
		a->ui.pane = P_SOURCE;
		return;
	}
	a->ui.pane = K_LINK;
	for (k = 0; k < K_COUNT && !d->p->count[a->ui.pane]; k++)
		if (d->p->count[k])
			a->ui.pane = k;
}

/* Keeps the pages for back within HIST_BYTES: the oldest let go first. */
static void
history_bound(struct app *a)
{
	size_t i, total = 0;

	for (i = 0; i < a->nhist; i++)
		total += doc_bytes(a->hist[i]);
	for (i = 0; i < a->nhist && total > HIST_BYTES; i++) {
		if (!a->hist[i]->t)
			continue;
		total -= doc_bytes(a->hist[i]);
		save_doc_gone(a, a->hist[i]);
		doc_shrink(a->hist[i]);
	}
}

static void
history_push(struct app *a)
{
	page_tree_drop(a->doc->p); /* only the page shown keeps one */
	a->doc->pane = a->ui.pane;
	free(a->doc->filter);
	a->doc->filter = a->ui.filter.on ? xstrdup(a->ui.filter.mb) : NULL;
	if (a->nhist == HIST_MAX) {
		doc_drop(a, a->hist[0]);
		memmove(a->hist, a->hist + 1, (HIST_MAX - 1) * sizeof *a->hist);
		a->nhist--;
	}
	a->hist[a->nhist++] = a->doc;
	history_bound(a);
}

/* "Save as" of the form, or -s: once the page is here, unless it is an error. */
static void
save_asked(struct app *a, const struct transfer *t)
{
	char *name = a->ui.form.save_as;

	a->ui.form.save_as = NULL;
	if (!name && a->ui.save_derive)
		name = name_for_body(t);
	a->ui.save_derive = 0;
	if (name && t->status >= 400)
		ui_message(a, 1, "HTTP status %ld: the page is shown but not saved", t->status);
	else if (name)
		save_body(a, a->doc, name, 0);
	free(name);
}

/* A page arrived: parse it (the screen stays alive meanwhile). */
static void
fetch_arrived(struct app *a)
{
	struct transfer *t = a->fetch;
	struct buf err = {0};

	net_error(t, &err);
	if (err.len) {
		ui_message(a, 1, "%s — the Transfer pane tells the story", err.data);
		story_stopped(t, err.data);
		buf_free(&err);
		fetch_failed(a, NULL);
		return;
	}
	a->fetch = NULL;
	transfer_free(a->failed);
	a->failed = NULL;
	transfer_end(t);
	parse_start(a, t);
}

/* The parse is done: show the page (the old one goes to history). */
static void
parse_done(struct app *a)
{
	struct transfer *t;
	struct page *p = parse_end(a, 0, &t);
	struct doc *d;
	int watching = a->ui.pane == P_TRANSFER || (a->ui.pane == P_QUERY && a->query.q);
	int again = a->restore != NULL, unmarked;

	story_page(t, p);
	d = doc_new(t, p);
	doc_show(a, d, a->doc, watching);
	unmarked = a->doc && a->doc->mark && a->fetch_reload && !d->mark &&
		   memchr(a->doc->mark, 1, a->doc->mark_n);
	if (a->doc && !a->fetch_reload)
		history_push(a);
	else
		doc_drop(a, a->doc);
	a->doc = d;
	a->ui.story_lines.src = a->ui.src_lines.src = NULL; /* another page: index anew */
	filter_clear(a);
	a->ui.msg.len = 0;
	if (again)
		ui_message(a, 0, "fetched again: the page had been let go to bound memory");
	if (unmarked)
		ui_message(a, 0, "reloaded: its rows changed, so its marks are cleared");
	if (t->status >= 400)
		ui_message(a, 1, "HTTP status %ld", t->status);
	else if (p->partial || p->trimmed || page_guard_stopped(p))
		ui_message(a, 1, "page only partly parsed: the Transfer pane says why");
	else if (p->body != BODY_HTML) {
		a->ui.msg_error = 0;
		doc_what(d, &a->ui.msg);
	}
	save_asked(a, t);
}

/* A download whose name the user left as offered: named as the response
 * says (Content-Disposition, the type's extension), a free name. */
static void
download_named(struct app *a, const struct transfer *t)
{
	char *name = name_for_body(t), *free_name = name_free(a->opt.dir, name);
	struct buf path = {0};

	buf_addf(&path, "%s/%s", a->opt.dir, free_name);
	free(a->download.path);
	a->download.path = path.data;
	free(name);
	free(free_name);
}

static void
download_done(struct app *a)
{
	struct transfer *t = a->download.t;
	struct buf err = {0};
	int fd = t->fd;

	net_error(t, &err);
	if (!err.len && t->status >= 400)
		buf_addf(&err, "HTTP status %ld: nothing saved", t->status);
	if (err.len) {
		ui_message(a, 1, "download failed: %s", err.data);
	} else {
		t->fd = -1; /* the commit closes it, whatever it says */
		if (a->download.auto_name)
			download_named(a, t);
		if (temp_commit(fd, TMP_DOWNLOAD, a->download.path, a->download.force, &err) < 0)
			ui_message(a, 1, "%s", err.data);
		else
			ui_message(a, 0, "downloaded %s (%zu bytes)", a->download.path, t->received);
	}
	download_end(a);
	buf_free(&err);
}

static void
query_app_free(struct query_pane *qp)
{
	size_t i;

	query_set(qp, NULL, NULL);
	query_rows_drop(qp);
	free(qp->before);
	free(qp->draft);
	free(qp->colw);
	for (i = 0; i < qp->nhist; i++)
		free(qp->hist[i]);
}

static void
app_free(struct app *a)
{
	size_t i;

	form_close(a);
	if (a->parsing && !parse_ends_soon(a))
		a->parsing = NULL; /* left running: the process ends now anyway */
	fetch_drop(a);
	doc_free(a->restore);
	download_end(a);
	transfer_free(a->failed);
	doc_free(a->doc);
	for (i = 0; i < a->nhist; i++)
		doc_free(a->hist[i]);
	free(a->ui.story_lines.start);
	free(a->ui.src_lines.start);
	free(a->ui.filter.rows);
	free(a->ui.filter.words);
	free(a->ui.filter.at);
	free(a->ui.prompt.pending_name);
	free(a->ui.prompt.pending_url);
	free(a->ui.prompt.offered);
	free(a->ui.form.save_as);
	free(a->ui.form.keep[0]);
	free(a->ui.form.keep[1]);
	free(a->ui.form.keep[2]);
	free(a->ui.form.headers_was);
	buf_free(&a->ui.form.paste);
	buf_free(&a->ui.msg);
	cmd_free(&a->cmd);
	query_app_free(&a->query);
	queue_free(&a->queue);
	buf_free(&a->ui.queue_text);
	free(a->ui.queue_lines.start);
	buf_free(&a->ui.check_detail);
}

/* A filter on a checked pane is applied again as the statuses come in
 * (/!ok), the selection kept. */
static void
check_refilter(struct app *a)
{
	struct view *v = ui_view(a);
	size_t sel = v->sel;

	if (a->ui.pane >= K_COUNT || !a->ui.filter.on)
		return;
	a->ui.filter.was_len = 0;
	filter_apply(a);
	v->sel = sel; /* clamped when drawn */
}

/* One turn of the queues: D's downloads, and the check of the page shown;
 * 1 when the screen has news to show (and once more when they stop). */
static int
app_queues(struct app *a)
{
	size_t left = 0, checks = 0;

	if (a->queue.n) {
		left = queue_step(&a->queue);
		if (left || a->queues_busy || !a->ui.queue_text.len) /* idle: as it was */
			queue_sync(a);
	}
	if (a->doc && a->doc->check) {
		size_t was = a->doc->check->first;

		checks = queue_step(a->doc->check);
		if (a->doc->check->first != was)
			check_refilter(a);
	}
	if (left || checks || a->queues_busy) {
		a->queues_busy = left || checks;
		return 1;
	}
	return 0;
}

/* ==== input: the line editor, each mode's keys, the key dispatch ==== */

/* Line editing shared by the filter and the prompt; returns 1 on Enter,
 * -1 on Esc, 0 otherwise. */
static int
edit_key(struct line_edit *e, wint_t c, int fkey)
{
	if (fkey) {
		if (c == KEY_LEFT && e->cur > 0)
			e->cur--;
		else if (c == KEY_RIGHT && e->cur < e->len)
			e->cur++;
		else if (c == KEY_HOME)
			e->cur = 0;
		else if (c == KEY_END)
			e->cur = e->len;
		else if (c == KEY_BACKSPACE && e->cur > 0) {
			memmove(e->text + e->cur - 1, e->text + e->cur,
				(e->len - e->cur) * sizeof *e->text);
			e->cur--, e->len--;
		} else if (c == KEY_ENTER)
			return 1;
		return 0;
	}
	if (c == '\r' || c == '\n')
		return 1;
	if (c == ESC)
		return -1;
	if ((c == DEL || c == CTRL_H) && e->cur > 0) {
		memmove(e->text + e->cur - 1, e->text + e->cur, (e->len - e->cur) * sizeof *e->text);
		e->cur--, e->len--;
	} else if (c == CTRL_U) {
		e->len = e->cur = 0;
	} else if (c >= 0x20 && c != DEL && !is_control(c) && !is_bidi(c) &&
		   e->len + 1 < sizeof e->text / sizeof e->text[0]) {
		memmove(e->text + e->cur + 1, e->text + e->cur, (e->len - e->cur) * sizeof *e->text);
		e->text[e->cur++] = (wchar_t)c;
		e->len++;
	}
	return 0;
}

static void
filter_key(struct app *a, wint_t c, int fkey)
{
	int r = edit_key(&a->ui.filter.edit, c, fkey);

	if (r < 0) {
		filter_off(a);
		a->ui.mode = M_LIST;
		return;
	}
	edit_get(&a->ui.filter.edit, a->ui.filter.mb, sizeof a->ui.filter.mb);
	filter_apply(a);
	if (r > 0)
		a->ui.mode = M_LIST;
}

/* #: the line number typed, then Enter goes there; digits only. */
static void
goto_key(struct app *a, wint_t c, int fkey)
{
	char num[32];
	int r;

	if (!fkey && c >= 0x20 && c != DEL && !(c >= '0' && c <= '9'))
		return;
	r = edit_key(&a->ui.go_line, c, fkey);
	if (r == 0)
		return;
	a->ui.mode = M_LIST;
	edit_get(&a->ui.go_line, num, sizeof num);
	if (r < 0 || !*num)
		return;
	if (strtoull(num, NULL, 10) == 0 || strlen(num) > 18) {
		ui_message(a, 1, "no line %s", num);
		return;
	}
	view_go(a, (size_t)strtoull(num, NULL, 10) - 1);
}

/* Enter at the command prompt of | or !. */
static void
command_entered(struct app *a)
{
	char line[sizeof a->ui.prompt.name.text / sizeof(wchar_t) * MB_LEN_MAX + 1];
	char *p = line;

	edit_get(&a->ui.prompt.name, line, sizeof line);
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p) {
		ui_message(a, 0, "no command: not run");
		return;
	}
	if (a->doc != a->ui.prompt.doc || a->ui.pane != a->ui.prompt.rows_pane) {
		ui_message(a, 1, "the page or pane changed: not run");
		return;
	}
	cmd_start(a, line, a->ui.prompt.command == '!');
}

static void
prompt_key(struct app *a, wint_t c, int fkey)
{
	char name[NAME_MAX_BYTES * 4 + 1];
	int r = edit_key(&a->ui.prompt.name, c, fkey);

	a->ui.msg.len = 0;
	if (r == 0)
		return;
	a->ui.mode = M_LIST;
	if (r < 0) {
		ui_message(a, 0, a->ui.prompt.command ? "not run" : a->ui.prompt.download
				 ? "not downloaded" : a->ui.prompt.export ? "not exported" : "not saved");
		return;
	}
	if (a->ui.prompt.command) {
		command_entered(a);
		return;
	}
	edit_get(&a->ui.prompt.name, name, sizeof name);
	if (name_refusal(name)) { /* keep the prompt open to mend the name */
		a->ui.mode = M_PROMPT;
		ui_message(a, 1, "%s", name_refusal(name));
		return;
	}
	if (a->ui.prompt.export && export_format(name) == X_NONE) { /* mend it */
		a->ui.mode = M_PROMPT;
		ui_message(a, 1, "export as .tsv, .csv, .json, .jsonl or .txt: the extension "
			   "names the format");
		return;
	}
	if (a->ui.prompt.download)
		download_start(a, a->ui.prompt.pending_url, name, 0,
			       !strcmp(name, a->ui.prompt.offered));
	else if (a->ui.prompt.export)
		export_rows(a, name, 0);
	else
		save_body(a, a->ui.prompt.doc, name, 0);
}

static void
confirm_key(struct app *a, wint_t c)
{
	enum confirm what = a->ui.prompt.confirm;

	a->ui.mode = M_LIST;
	a->ui.prompt.confirm = C_NONE;
	a->ui.msg.len = 0;
	if (c != 'y' && c != 'Y') {
		ui_message(a, 0, "not overwritten");
		return;
	}
	if (what == C_SAVE_OVERWRITE && a->ui.prompt.doc)
		save_body(a, a->ui.prompt.doc, a->ui.prompt.pending_name, 1);
	else if (what == C_DOWNLOAD_OVERWRITE)
		download_start(a, a->ui.prompt.pending_url, a->ui.prompt.pending_name, 1, 0);
	else if (what == C_EXPORT_OVERWRITE)
		export_rows(a, a->ui.prompt.pending_name, 1);
}

/* The URL field holds a curl command (its first word is curl). */
static int
is_curl_command(const char *s)
{
	s += strspn(s, " \t");
	return !strncmp(s, "curl", 4) && (!s[4] || s[4] == ' ' || s[4] == '\t');
}

/* The request options the fields ask for: a curl command in the URL field
 * is the whole request (its URL into *url); else the Headers field, when
 * changed. *k: new options, or NULL for those in effect. 0, or -1 when a
 * word is refused (the status line says which). */
static int
form_options(struct app *a, const char *url_field, const char **url, struct asked **k)
{
	char *headers = form_text(a, 2);
	struct buf why = {0};
	int refused;

	*k = NULL;
	if (is_curl_command(url_field)) {
		*url = NULL;
		*k = asked_read(a->req_opt, url_field, 1, url, &why);
		if (!*url)
			*url = "";
	} else if (strcmp(headers, a->ui.form.headers_was ? a->ui.form.headers_was : "")) {
		*k = asked_read(a->req_opt, headers, 0, NULL, &why);
	}
	/* $'...' can put in the URL what no key types: the form would show it */
	if (!why.len && *k && *url &&
	    safe_run((const unsigned char *)*url, strlen(*url), SAN_TEXT) != strlen(*url))
		buf_adds(&why, "a control character or an invalid byte in the URL");
	if (why.len) {
		ui_message(a, 1, "%s: nothing fetched", why.data);
		asked_free(*k);
		*k = NULL;
		*url = ""; /* it was in the words just freed */
	}
	refused = why.len ? -1 : 0;
	free(headers);
	buf_free(&why);
	return refused;
}

/* Enter in the form: validate the fields, then fetch. */
static void
form_submit(struct app *a)
{
	char *field = form_text(a, 0), *save = form_text(a, 1);
	const char *why = NULL, *url = field;
	struct asked *k = NULL;
	int local, refused = form_options(a, field, &url, &k);
	char *norm = NULL;

	local = *url && input_is_local(url);
	if (!refused && *url)
		norm = local ? xstrdup(url) : url_normalize(url, &why);
	if (refused)
		; /* the status line says why */
	else if (!*url)
		snprintf(a->ui.form.error, sizeof a->ui.form.error, "type a URL");
	else if (!local && scheme_mistyped(url, a->ui.form.error, sizeof a->ui.form.error))
		; /* the hint is the error */
	else if (!norm)
		snprintf(a->ui.form.error, sizeof a->ui.form.error, "%s", why);
	else if (*save && name_refusal(save))
		snprintf(a->ui.form.error, sizeof a->ui.form.error, "Save as: %s",
			 name_refusal(save));
	else {
		form_close(a);
		a->ui.mode = M_LIST;
		if (k) { /* in effect from this fetch on */
			k->next = a->asked;
			a->asked = k;
			a->req_opt = &k->opt;
			k = NULL;
		}
		origin_typed(a, norm);
		fetch_start(a, norm, a->req_opt, save, 0);
	}
	asked_free(k);
	free(norm);
	free(field);
	free(save);
}

static void
form_enter(struct app *a, int arg)
{
	(void)arg;
	form_submit(a);
}

static void
form_escape(struct app *a, int arg)
{
	(void)arg;
	form_close(a);
	a->ui.mode = M_LIST;
}

/* One request of the form library. */
static void
form_request(struct app *a, int req)
{
	form_driver(a->ui.form.form, req);
}

/* To another field, at the end of its text. */
static void
form_field(struct app *a, int req)
{
	form_driver(a->ui.form.form, req);
	form_driver(a->ui.form.form, REQ_END_LINE);
}

static void
form_delete_word(struct app *a, int arg)
{
	(void)arg;
	form_driver(a->ui.form.form, REQ_PREV_WORD);
	form_driver(a->ui.form.form, REQ_DEL_WORD);
}

/* The entry of a key table for a key, or NULL. */
static const struct key *
key_find(const struct key *k, size_t n, wint_t c, int fkey)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (k[i].code == (int)c && k[i].fkey == fkey)
			return &k[i];
	return NULL;
}

/* The current field ends with a backslash of its own (not escaped by one
 * before it): a shell would read the next line as part of this one. */
static int
form_continued(struct app *a)
{
	char *text = form_text(a, field_index(current_field(a->ui.form.form)));
	size_t n = strlen(text), slashes = 0;

	while (slashes < n && text[n - 1 - slashes] == '\\')
		slashes++;
	free(text);
	return slashes % 2;
}

/* Enter after a backslash: a shell's line continuation, which goes; the
 * field is one line, the break a space. */
static void
form_line_break(struct app *a)
{
	form_driver(a->ui.form.form, REQ_END_LINE);
	form_driver(a->ui.form.form, REQ_DEL_PREV);
	form_driver_w(a->ui.form.form, OK, L' ');
	a->ui.form.fresh = 0;
}

/* The paste's text at the end of the current field (in place of a fresh
 * URL), at once: a key at a time, the form library copies the field for
 * each (30 KB took 1.2 s). Its line breaks are spaces, after a backslash
 * a continuation; a control character is dropped, and said. */
static void
form_paste_end(struct app *a)
{
	FIELD *f = current_field(a->ui.form.form);
	char *was = form_text(a, field_index(f));
	struct buf b = {0};
	const char *p = a->ui.form.paste.data, *end = p + a->ui.form.paste.len;
	size_t slashes;

	buf_adds(&b, a->ui.form.fresh && field_index(f) == 0 ? "" : was);
	for (; p < end; p++) {
		if (*p == '\r' || *p == '\n') {
			for (slashes = 0; slashes < b.len && b.data[b.len - 1 - slashes] == '\\';)
				slashes++;
			b.len -= slashes % 2;
			if (!(*p == '\n' && p > a->ui.form.paste.data && p[-1] == '\r'))
				buf_addc(&b, ' ');
		} else if (*p == '\t' || ((unsigned char)*p >= 0x20 && *p != DEL)) {
			buf_addc(&b, *p == '\t' ? ' ' : *p);
		} else {
			snprintf(a->ui.form.error, sizeof a->ui.form.error,
				 "control characters in the paste: dropped");
		}
	}
	buf_addc(&b, '\0');
	if (b.len > URL_FIELD_MAX)
		snprintf(a->ui.form.error, sizeof a->ui.form.error,
			 "the paste makes the field longer than %d bytes: not taken", URL_FIELD_MAX);
	else
		set_field_buffer(f, 0, b.data);
	form_driver(a->ui.form.form, REQ_END_LINE);
	a->ui.form.fresh = 0;
	a->ui.form.paste.len = 0;
	buf_free(&b);
	free(was);
}

/* Keys the form takes before its table: a bracketed paste (its text is
 * kept until it ends; ESC [ 201 ~ may come as keys when the terminal sent
 * it late), and Enter after a backslash. Returns 1 when it took c. */
static int
form_paste_key(struct app *a, wint_t c, int fkey)
{
	struct buf *pb = &a->ui.form.paste;

	if (fkey && (c == KEY_PASTE_BEGIN || c == KEY_PASTE_END)) {
		if (c == KEY_PASTE_END || pb->len)
			form_paste_end(a);
		a->ui.form.pasting = c == KEY_PASTE_BEGIN;
		return 1;
	}
	if (a->ui.form.pasting) {
		if (!fkey && pb->len <= 2 * URL_FIELD_MAX && !utf8_put(pb, (unsigned long)c))
			buf_adds(pb, "\xef\xbf\xbd");
		if (pb->len >= 6 && !memcmp(pb->data + pb->len - 6, "\033[201~", 6)) {
			pb->len -= 6;
			form_paste_end(a);
			a->ui.form.pasting = 0;
		}
		return 1;
	}
	if ((fkey ? c == KEY_ENTER : c == '\r' || c == '\n') && form_continued(a)) {
		form_line_break(a);
		return 1;
	}
	return 0;
}

static void
form_key(struct app *a, wint_t c, int fkey)
{
	const struct key *k = key_find(form_keys, nform_keys, c, fkey);
	int typed = !fkey && c >= 0x20 && c != DEL && !is_control(c) && !is_bidi(c);

	if (!a->ui.form.form) { /* too small to show it: only Esc means anything */
		if (!fkey && c == ESC)
			a->ui.mode = M_LIST;
		return;
	}
	a->ui.form.error[0] = '\0';
	if (form_paste_key(a, c, fkey))
		return;
	if (a->ui.form.fresh && typed && field_index(current_field(a->ui.form.form)) == 0)
		form_driver(a->ui.form.form, REQ_CLR_FIELD); /* typing replaces it, as in */
	if (fkey || !k || k->fn != form_enter)               /* a browser's address bar */
		a->ui.form.fresh = 0;
	if (k)
		k->fn(a, k->arg);
	else if (typed)
		form_driver_w(a->ui.form.form, OK, (wchar_t)c);
	else if (!fkey)
		snprintf(a->ui.form.error, sizeof a->ui.form.error,
			 "control characters are not part of a URL");
}

/* Up and Down: the queries entered before, then the line as typed. */
static void
query_recall(struct app *a, int dir)
{
	struct query_pane *qp = &a->query;
	char mb[4 * sizeof qp->edit.text / sizeof(wchar_t)];

	if (dir < 0 ? qp->hist_at == 0 : qp->hist_at >= qp->nhist)
		return;
	if (dir < 0 && qp->hist_at == qp->nhist) {
		edit_get(&qp->edit, mb, sizeof mb);
		free(qp->draft);
		qp->draft = xstrdup(mb);
	}
	qp->hist_at = dir < 0 ? qp->hist_at - 1 : qp->hist_at + 1;
	edit_set(&qp->edit, qp->hist_at < qp->nhist ? qp->hist[qp->hist_at]
			    : qp->draft ? qp->draft : "");
	qp->typed = 1;
}

/* The query entered joins the ones Up recalls (the oldest go first). */
static void
query_remember(struct query_pane *qp)
{
	if (!qp->expr || (qp->nhist && !strcmp(qp->hist[qp->nhist - 1], qp->expr)))
		return;
	if (qp->nhist == QUERY_HIST) {
		free(qp->hist[0]);
		memmove(qp->hist, qp->hist + 1, (QUERY_HIST - 1) * sizeof *qp->hist);
		qp->nhist--;
	}
	qp->hist[qp->nhist++] = xstrdup(qp->expr);
}

/* Enter: the query typed stays in force, for this page and the next. */
static void
query_enter(struct app *a, int arg)
{
	struct query_pane *qp = &a->query;

	(void)arg;
	query_sync(a);
	if (qp->bad) { /* the caret says where; the line stays open to mend it */
		ui_message(a, 1, "mend it, or Esc");
		return;
	}
	a->ui.mode = M_LIST;
	query_remember(qp);
	if (qp->expr)
		ui_message(a, 0, "query kept: each page opened from here shows its matches "
			   "(: edits it)");
	else
		ui_message(a, 0, "no query");
}

/* Esc: the line is left as in vim, undone: the query in force before :
 * comes back, and so do its rows. */
static void
query_escape(struct app *a, int arg)
{
	struct query_pane *qp = &a->query;
	struct query_error err = {0};
	int same = qp->expr && qp->before ? !strcmp(qp->expr, qp->before) : qp->expr == qp->before;
	struct query *q;

	(void)arg;
	a->ui.mode = M_LIST;
	qp->bad = qp->typed = 0;
	if (!same) {
		q = qp->before ? query_compile(qp->before, &err) : NULL;
		query_set(qp, q ? qp->before : NULL, q);
	}
	ui_message(a, 0, qp->expr ? "query line left: the query before it is back"
				  : "query line left: no query");
}

/* The query line: its own keys (query_keys[]), else an edit of the line,
 * compiled and run once the keys pending are read (query_sync). */
static void
query_key(struct app *a, wint_t c, int fkey)
{
	const struct key *k = key_find(query_keys, nquery_keys, c, fkey);
	struct line_edit was = a->query.edit;

	a->ui.msg.len = 0;
	if (k) {
		k->fn(a, k->arg);
		return;
	}
	edit_key(&a->query.edit, c, fkey);
	if (was.len != a->query.edit.len ||
	    wmemcmp(was.text, a->query.edit.text, was.len) != 0)
		a->query.typed = 1;
}

static void
help_key(struct app *a, wint_t c, int fkey)
{
	if (fkey ? c == KEY_DOWN : c == 'j')
		a->ui.help_top++;
	else if ((fkey ? c == KEY_UP : c == 'k') && a->ui.help_top > 0)
		a->ui.help_top--;
	else if (!fkey && (c == 'q' || c == ESC || c == '?'))
		a->ui.mode = M_LIST;
}

/* The command's output: scrolled; q or Esc ends the command while it
 * runs, else closes the view. */
static void
output_key(struct app *a, wint_t c, int fkey)
{
	struct command *cmd = &a->cmd;
	size_t page = LINES > 4 ? (size_t)LINES - 4 : 1;

	if (!fkey && (c == 'q' || c == ESC)) {
		if (cmd->pid > 0)
			cmd_kill(cmd);
		else
			a->ui.mode = M_LIST;
		return;
	}
	cmd->follow = 0;
	if (fkey ? c == KEY_DOWN : c == 'j')
		cmd->top++;
	else if ((fkey ? c == KEY_UP : c == 'k') && cmd->top > 0)
		cmd->top--;
	else if (fkey ? c == KEY_NPAGE : c == ' ')
		cmd->top += page;
	else if (fkey && c == KEY_PPAGE)
		cmd->top = cmd->top > page ? cmd->top - page : 0;
	else if (fkey ? c == KEY_HOME : c == 'g')
		cmd->top = 0;
	else if (fkey ? c == KEY_END : c == 'G')
		cmd->follow = 1;
}

static void
key_dispatch(struct app *a, wint_t c, int fkey)
{
	const struct key *k = key_find(keys, nkeys, c, fkey);

	if (!k) {
		if (!fkey && c >= 0x20 && c < 0x7f)
			ui_message(a, 1, "'%c' is not a key here: ? lists the keys", (int)c);
		return;
	}
	if (a->ui.msg.len && !(k->class & KEEPS_MESSAGE))
		a->ui.msg.len = 0; /* a message lasts until the next key */
	if (!(k->class & ASKS_TWICE))
		a->quit_armed = 0;
	if (k->class & CHANGES)
		a->ui.changed = 1;
	else
		a->ui.moved = 1;
	k->fn(a, k->arg);
}

/* Keeps the form's text across a resize: the form is rebuilt to fit. */
static void
on_resize(struct app *a)
{
	int i;

	if (a->ui.mode != M_FORM)
		return;
	/* too small, the form is gone but its text is kept for when it grows */
	for (i = 0; i < 3 && a->ui.form.form; i++) {
		free(a->ui.form.keep[i]);
		a->ui.form.keep[i] = form_text(a, i);
	}
	form_build(a, a->ui.form.keep);
}

static void
on_mouse(struct app *a)
{
	MEVENT ev;
	struct layout l;
	int p;

	if (getmouse(&ev) != OK)
		return;
	if (a->ui.mode == M_OUTPUT && (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED))) {
		for (p = 0; p < 3; p++) /* the wheel scrolls the command's output too */
			output_key(a, ev.bstate & BUTTON4_PRESSED ? KEY_UP : KEY_DOWN, 1);
		return;
	}
	if (a->ui.mode != M_LIST)
		return;
	ui_layout(&l, a->ui.pane);
	if (ev.bstate & BUTTON4_PRESSED) {
		view_move(a, -3);
	} else if (ev.bstate & BUTTON5_PRESSED) {
		view_move(a, 3);
	} else if (!(ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED))) {
		return; /* other buttons, releases: nothing */
	} else if (ev.y == 0) {
		for (p = 0; p < P_COUNT; p++)
			if (ev.x >= a->ui.tab_x[p] && ev.x < a->ui.tab_x[p + 1])
				pane_switch(a, p);
	} else if (ev.y >= l.list_y && ev.y < l.list_y + l.list_h && ev.x < l.list_w) {
		struct view *v = ui_view(a);
		size_t row = v->top + (size_t)(ev.y - l.list_y);

		if (row < pane_nrows(a))
			v->sel = row;
	}
}

static void
on_key(struct app *a, wint_t c, int fkey)
{
	story_sync(a);
	if (a->ui.mode != M_QUERY) /* typing: the line is run once the keys are read */
		query_sync(a);
	if (a->ui.mode != M_LIST || (fkey && (c == KEY_RESIZE || c == KEY_MOUSE)))
		a->ui.changed = 1; /* key_dispatch tells moves from changes itself */
	if (fkey && c == KEY_RESIZE) {
		on_resize(a);
		return;
	}
	if (fkey && c == KEY_MOUSE) {
		on_mouse(a);
		return;
	}
	if (!fkey && c == CTRL_L) { /* in every mode: a y/n prompt too */
		a->ui.changed = 1;
		ui_repaint();
		return;
	}
	if (LINES < MIN_LINES || COLS < MIN_COLS) { /* nothing to see: only q acts */
		if (!fkey && c == 'q')
			a->quit = 1;
		return;
	}
	switch (a->ui.mode) {
	case M_FORM: form_key(a, c, fkey); break;
	case M_FILTER: filter_key(a, c, fkey); break;
	case M_PROMPT: prompt_key(a, c, fkey); break;
	case M_CONFIRM: confirm_key(a, c); break;
	case M_HELP: help_key(a, c, fkey); break;
	case M_GOTO: goto_key(a, c, fkey); break;
	case M_OUTPUT: output_key(a, c, fkey); break;
	case M_QUERY: query_key(a, c, fkey); break;
	default: key_dispatch(a, c, fkey); break;
	}
}

/* After ESC: a key sequence the terminal description does not list (tmux
 * with TERM=xterm sends some) arrives as ESC [ ... — read it to its final
 * byte and drop it, rather than act on "[", "4", "~" as keys. Returns 1
 * when a sequence was dropped; a lone ESC stays a key. */
static int
escape_swallowed(void)
{
	wint_t c;
	int r = get_wch(&c), n = 0;
	long param = 0;

	if (r == ERR)
		return 0;
	if (r != OK || (c != '[' && c != 'O')) {
		if (r == KEY_CODE_YES) /* not a sequence: the key stays */
			ungetch((int)c);
		else
			unget_wch(c);
		return 0;
	}
	if (c == 'O') /* SS3: one more byte */
		return get_wch(&c), 1;
	if (get_wch(&c) == OK && c == 'M') { /* an X10 mouse report: 3 bytes of any value */
		while (n++ < 3 && get_wch(&c) != ERR)
			;
		return 1;
	}
	while (!(c >= 0x40 && c <= 0x7e) && n++ < 32) {
		param = c >= '0' && c <= '9' && param < 1000 ? param * 10 + (long)(c - '0') : param;
		if (get_wch(&c) != OK)
			break;
	}
	if (c == '~' && (param == 200 || param == 201)) /* a paste's start or end, */
		ungetch(param == 200 ? KEY_PASTE_BEGIN : KEY_PASTE_END); /* late */
	return 1;
}

/* Reads every pending key; returns 0 when stdin is gone. */
static int
keys_drain(struct app *a, int readable)
{
	wint_t c;
	int r, got = 0;

	while ((r = get_wch(&c)) != ERR) {
		got = 1;
		a->ui.dirty = 1;
		if (r == OK && c == ESC && escape_swallowed())
			continue;
		on_key(a, c, r == KEY_CODE_YES);
	}
	/* poll() said readable but there was no key: end of file (a terminal
	 * gone without a SIGHUP) */
	a->ui.stdin_idle = readable && !got ? a->ui.stdin_idle + 1 : 0;
	return a->ui.stdin_idle < 3;
}

/* ==== actions: one function per key-table entry ==== */

static void
act_move(struct app *a, int arg)
{
	view_move(a, arg);
}

static void
act_scroll(struct app *a, int arg)
{
	struct layout l;

	ui_layout(&l, a->ui.pane);
	act_move(a, arg * (l.list_h > 1 ? l.list_h - 1 : 1));
}

static void
act_edge(struct app *a, int arg)
{
	struct view *v = ui_view(a);
	size_t n = pane_nrows(a);

	v->sel = arg && n ? n - 1 : 0;
	if (!arg)
		v->top = 0;
}

static void
act_pane(struct app *a, int arg)
{
	pane_switch(a, a->ui.pane + arg);
}

static void
act_pane_jump(struct app *a, int arg)
{
	pane_switch(a, arg);
}

/* :, the query line: the Query pane shows what it matches as it is typed. */
static void
act_query(struct app *a, int arg)
{
	struct query_pane *qp = &a->query;

	(void)arg;
	if (a->ui.pane != P_QUERY)
		pane_switch(a, P_QUERY);
	free(qp->before);
	qp->before = qp->expr ? xstrdup(qp->expr) : NULL;
	edit_set(&qp->edit, qp->expr ? qp->expr : "");
	qp->hist_at = qp->nhist;
	free(qp->draft);
	qp->draft = NULL;
	qp->bad = 0;
	a->ui.mode = M_QUERY;
}

static void
act_open(struct app *a, int arg)
{
	/* prefilled with the URL that failed, if the last fetch did: to mend it */
	const struct transfer *t = a->failed ? a->failed : a->doc ? a->doc->t : NULL;
	struct buf words = {0};
	int i;

	a->ui.mode = M_FORM;
	a->ui.form.error[0] = '\0';
	a->ui.form.pasting = arg; /* opened by a paste, which goes on there */
	a->ui.form.paste.len = 0;
	for (i = 0; i < 3; i++)
		free(a->ui.form.keep[i]);
	free(a->ui.form.headers_was);
	a->ui.form.keep[0] = xstrdup(t ? (t->final_url ? t->final_url : t->url) : "");
	a->ui.form.keep[1] = xstrdup("");
	request_words(&words, a->req_opt, 0); /* the options in effect, to edit */
	a->ui.form.keep[2] = xstrdup(words.len ? words.data + 1 : "");
	buf_free(&words);
	form_build(a, a->ui.form.keep);
	ui_paste_marks();
	/* as the field holds it: options longer than the field stay unless edited */
	a->ui.form.headers_was = a->ui.form.form ? form_text(a, 2) : xstrdup(a->ui.form.keep[2]);
	a->ui.form.fresh = arg || *a->ui.form.keep[0] != '\0';
}

static void
act_follow(struct app *a, int arg)
{
	const struct element *e = selected_element(a);
	const char *url = e ? e->url : query_selected_url(a);
	struct uri u;

	(void)arg;
	if (!url) {
		ui_message(a, 1, query_selected(a) != (size_t)-1
			   ? "this row has no URL (a field url, or @href, gives one)"
			   : "Enter follows the selected link (Links pane, or a Query row)");
		return;
	}
	uri_split(url, strlen(url), &u);
	if (!scheme_is_http(u.scheme, u.scheme_len)) {
		ui_message(a, 1, is_file_url(url) ? "not an http(s) URL: a page's link to a "
			   "local file is not followed (o opens a file you name)"
			   : "not an http(s) URL: not fetched");
		return;
	}
	if (e && e->rule->kind != K_LINK && strcmp(e->rule->tag, "iframe") &&
	    strcmp(e->rule->tag, "frame")) {
		ui_message(a, 1, "not a page: d downloads it");
		return;
	}
	fetch_start(a, url, options_for_link(a, url), NULL, 0);
}

static void
act_back(struct app *a, int arg)
{
	(void)arg;
	if (a->nhist == 0) {
		ui_message(a, 1, "no previous page");
		return;
	}
	fetch_drop(a);
	transfer_free(a->failed); /* its story is not this page's */
	a->failed = NULL;
	doc_drop(a, a->doc);
	a->doc = a->hist[--a->nhist];
	if (!a->doc->t) { /* let go to bound memory: fetched again */
		struct doc *d = a->doc;

		a->doc = NULL;
		fetch_start(a, d->url, options_for_link(a, d->url), NULL, 1);
		a->restore = d;
		ui_message(a, 0, "that page was let go to bound memory: fetching it again");
		filter_clear(a);
		return;
	}
	a->ui.pane = a->doc->pane;
	a->ui.story_lines.src = a->ui.src_lines.src = NULL; /* another page: index anew */
	filter_clear(a);
	query_sync(a); /* the Query pane's rows of this page, before its filter */
	filter_restore(a);
}

static void
act_reload(struct app *a, int arg)
{
	(void)arg;
	if (a->failed) /* the fetch that failed: try it again */
		fetch_start(a, a->failed->url, transfer_options(a, a->failed), NULL, !a->doc);
	else if (a->doc)
		fetch_start(a, a->doc->t->url, transfer_options(a, a->doc->t), NULL, 1);
	else
		ui_message(a, 1, "no page to reload");
}

static void
act_save(struct app *a, int arg)
{
	char *name;

	(void)arg;
	if (!a->doc) {
		ui_message(a, 1, "no page to save");
		return;
	}
	name = name_for_body(a->doc->t);
	edit_set(&a->ui.prompt.name, name);
	a->ui.prompt.doc = a->doc;
	a->ui.prompt.download = 0;
	a->ui.prompt.export = 0;
	a->ui.prompt.command = 0;
	free(name);
	snprintf(a->ui.prompt.text, sizeof a->ui.prompt.text, "Save as %s/", a->opt.dir);
	a->ui.mode = M_PROMPT;
}

/* "Download as Files/NAME": the URL's name, or a free name-N.ext when it is
 * taken. Left as offered, the response may name it better (its
 * Content-Disposition, its type's extension): download_named(). */
static void
download_prompt(struct app *a, const char *url, const char *name)
{
	struct prompt *p = &a->ui.prompt;

	free(p->offered);
	p->offered = name_free(a->opt.dir, name);
	free(p->pending_url);
	p->pending_url = xstrdup(url);
	p->download = 1;
	p->export = 0;
	p->command = 0;
	p->doc = NULL; /* a page going does not close this prompt */
	edit_set(&p->name, p->offered);
	snprintf(p->text, sizeof p->text, "Download as %s/", a->opt.dir);
	a->ui.mode = M_PROMPT;
}

static void
act_download(struct app *a, int arg)
{
	const struct element *e = selected_element(a);
	const char *why = NULL, *at = e ? e->url : query_selected_url(a);
	struct uri u;
	char *name, *url;

	(void)arg;
	if (!at && a->doc && a->doc->p->body != BODY_HTML) {
		act_save(a, 0); /* not a page: d saves the body itself, already here */
		return;
	}
	if (!at) {
		ui_message(a, 1, query_selected(a) != (size_t)-1 ? "this row has no URL to download"
			   : "select an element to download");
		return;
	}
	if (a->download.t) { /* one at a time: a second d must not drop the first */
		ui_message(a, 1, "a download is running — Esc cancels it");
		return;
	}
	uri_split(at, strlen(at), &u);
	if (!scheme_is_http(u.scheme, u.scheme_len) || strlen(at) > URL_FIELD_MAX) {
		ui_message(a, 1, strlen(at) > URL_FIELD_MAX ? "this URL is too long to fetch"
			   : "not an http(s) URL: nothing to download");
		return;
	}
	url = url_normalize(at, &why);
	if (!url) {
		ui_message(a, 1, "%s", why);
		return;
	}
	/* named from the URL as fetched (percent-encoded), as --save does */
	name = name_from_url(url);
	download_prompt(a, url, name);
	free(name);
	free(url);
}

/* The name an export is offered: "HOST-links.tsv", from the page's host
 * (letters, digits, '.', '-' and '_' of it) and the pane's name. */
static char *
export_name(struct app *a)
{
	struct buf name = {0};
	const char *url = transfer_base(a->doc->t), *h, *end;
	struct uri u;

	uri_split(url, strlen(url), &u);
	h = u.has_auth ? u.auth : "";
	for (end = h + (u.has_auth ? u.auth_len : 0); end > h && end[-1] != '@'; end--)
		;
	h = end; /* past the user's name and password */
	end = u.has_auth ? u.auth + u.auth_len : h;
	for (; h < end && *h != ':' && name.len < 200; h++)
		if (isalnum((unsigned char)*h) || strchr(".-_", *h))
			buf_addc(&name, *h);
	if (!name.len || name.data[0] == '.' || name.data[0] == '-')
		buf_adds(&name, "page");
	buf_addc(&name, '-');
	for (h = pane_names[a->ui.pane]; *h; h++)
		buf_addc(&name, (char)tolower((unsigned char)*h));
	buf_adds(&name, ".tsv");
	return name.data;
}

static void
act_export(struct app *a, int arg)
{
	struct prompt *p = &a->ui.prompt;
	size_t n, *rows = NULL;
	char *name;

	(void)arg;
	if (a->doc && a->doc->p && a->ui.pane < K_COUNT)
		rows = rows_marked_else_shown(a, a->ui.pane, &n);
	if (!rows) {
		ui_message(a, 1, "export writes the rows of an element pane (1-5): none here");
		return;
	}
	free(rows);
	name = export_name(a);
	edit_set(&p->name, name);
	free(name);
	p->doc = a->doc;
	p->download = 0;
	p->export = 1;
	p->command = 0;
	p->rows_pane = a->ui.pane;
	snprintf(p->text, sizeof p->text, "Export %zu%s row%s as %s/", n,
		 a->doc->nmark[a->ui.pane] ? " marked" : "", n == 1 ? "" : "s", a->opt.dir);
	a->ui.mode = M_PROMPT;
}

/* | and !: the prompt for a command the URLs of the pane's rows (marked,
 * else shown) go to, one a line on its standard input, or with {} in it,
 * one a run in its place, quoted. */
static void
act_command(struct app *a, int arg)
{
	struct prompt *p = &a->ui.prompt;
	size_t n, *rows = NULL;

	if (a->doc && a->doc->p && a->ui.pane < K_COUNT)
		rows = rows_marked_else_shown(a, a->ui.pane, &n);
	if (!rows) {
		ui_message(a, 1, "%c gives a command the URLs of an element pane (1-5): none here",
			   arg);
		return;
	}
	free(rows);
	edit_set(&p->name, "");
	p->doc = a->doc;
	p->download = p->export = 0;
	p->command = arg;
	p->rows_pane = a->ui.pane;
	snprintf(p->text, sizeof p->text, "%s %zu%s URL%s to: ",
		 arg == '!' ? "Run with" : "Pipe", n, a->doc->nmark[a->ui.pane] ? " marked" : "",
		 n == 1 ? "" : "s");
	a->ui.mode = M_PROMPT;
}

#define CLIP_LINE_MAX (64 * 1024) /* bytes of a Transfer or Source line copied */

/* What y copies of a Query row: its cells, tab-separated and made safe
 * as in TSV; Y: its node's XPath. */
static int
yank_query(struct app *a, struct buf *out, const char **what, int xpath)
{
	const struct query_rows *r = a->query.rows;
	size_t i = query_selected(a), c;

	if (i == (size_t)-1 || (xpath && !r->paths[i]))
		return 0;
	if (xpath) {
		buf_add_safe(out, r->paths[i], strlen(r->paths[i]), SAN_TSV);
		*what = "XPath";
		return 1;
	}
	for (c = 0; c < r->ncols && out->len < CLIP_LINE_MAX; c++) {
		const char *s = r->cells[i * r->ncols + c];

		if (c)
			buf_addc(out, '\t');
		buf_add_safe(out, s, strnlen(s, CLIP_LINE_MAX), SAN_TSV);
	}
	utf8_trim_tail(out);
	*what = r->ncols > 1 ? "row (its cells, tab-separated)" : "value";
	return 1;
}

/* What y copies: the selected URL as it is fetched, or the selected line of
 * the Transfer or Source pane made safe (controls become spaces), or the
 * Query row's value. */
static int
yank_text(struct app *a, struct buf *out, const char **what)
{
	const struct element *e = selected_element(a);
	const char *s;
	size_t n;

	if (e) {
		url_for_clipboard(out, e->url);
		*what = "URL";
		return 1;
	}
	if (a->ui.pane == P_QUERY)
		return yank_query(a, out, what, 0);
	if (a->ui.pane < K_COUNT || pane_nrows(a) == 0)
		return 0;
	row_line(a, pane_index(a, ui_view(a)->sel), &s, &n);
	buf_add_safe(out, s, n < CLIP_LINE_MAX ? n : CLIP_LINE_MAX, SAN_TSV);
	utf8_trim_tail(out);
	*what = n > CLIP_LINE_MAX ? "line (its first 64 KiB)" : "line";
	return 1;
}

/* text to the clipboard (OSC 52) and tmux's buffer; the status line says
 * where what went. */
static void
yank_out(struct app *a, const struct buf *text, const char *what)
{
	const char *in_tmux = getenv("TMUX");
	int osc, tmux = -2; /* not in tmux */

	osc = ui_clipboard(text->data ? text->data : "", text->len);
	if (in_tmux && *in_tmux)
		tmux = tmux_load_buffer(text->data ? text->data : "", text->len);
	if (tmux == 1)
		ui_message(a, 0, "%s copied to tmux's buffer (prefix ] pastes), and sent by OSC 52",
			   what);
	else if (tmux == 0 && osc == 0)
		ui_message(a, 0, "%s sent by OSC 52 to tmux (set-clipboard on: prefix ] pastes)",
			   what);
	else if (osc < 0)
		ui_message(a, 1, "cannot write to the terminal");
	else
		ui_message(a, 0, "%s sent to the clipboard by OSC 52 (if the terminal allows it)%s",
			   what, tmux == -1 ? "; tmux load-buffer failed" : "");
}

static void
act_yank(struct app *a, int arg)
{
	struct buf text = {0};
	const char *what = "";

	if (arg && !yank_query(a, &text, &what, 1)) {
		ui_message(a, 1, query_selected(a) == (size_t)-1
			   ? "Y copies the XPath of a Query row (8, or : to type a query)"
			   : "this row is a value, not a node: it has no XPath");
		return;
	}
	if (!arg && !yank_text(a, &text, &what)) {
		ui_message(a, 1, "select an element (or a line) to copy");
		return;
	}
	yank_out(a, &text, what);
	buf_free(&text);
}

/* C: the fetch in flight, else the page shown (or the fetch that failed),
 * as a curl command that makes the same request. The password goes with
 * it (the command replays the request), never on the screen. */
static void
act_curl(struct app *a, int arg)
{
	const struct transfer *t = a->fetch ? a->fetch : a->doc ? a->doc->t : a->failed;
	struct buf text = {0};

	(void)arg;
	if (!t || !t->opt) {
		ui_message(a, 1, "%s", t ? "a local file: no curl command makes it"
					 : "no fetch to copy: o opens the URL form");
		return;
	}
	buf_adds(&text, "curl ");
	shell_quote(&text, t->url, strlen(t->url));
	request_words(&text, t->opt, 1);
	yank_out(a, &text, t->opt->req.userpwd ? "curl command (with the -u password)"
					       : "curl command");
	buf_free(&text);
}

static void
act_filter(struct app *a, int arg)
{
	(void)arg;
	a->ui.mode = M_FILTER;
	edit_set(&a->ui.filter.edit, a->ui.filter.mb);
}

static void
act_escape(struct app *a, int arg)
{
	(void)arg;
	if (a->fetch) {
		fetch_failed(a, "Cancelled");
		ui_message(a, 0, "transfer cancelled — r tries it again");
	} else if (a->parsing) {
		parse_cancel(a);
		ui_message(a, 0, "parse cancelled — r tries it again");
	} else if (a->download.t) {
		download_end(a);
		ui_message(a, 0, "download cancelled; nothing saved");
	} else if (queue_selected(a) && queue_selected(a)->state <= Q_ACTIVE) {
		queue_cancel(&a->queue, queue_selected(a));
		ui_message(a, 0, "download cancelled; nothing of it kept");
	} else if (a->ui.filter.on) {
		filter_off(a);
	} else {
		a->ui.msg.len = 0;
	}
}

static void
act_unique(struct app *a, int arg)
{
	const struct element *e = selected_element(a);
	const char *url = e ? e->url : NULL;

	(void)arg;
	if (a->ui.pane == P_QUERY) { /* its rows are what the query makes them */
		ui_message(a, 1, "u acts on the element panes; the Query pane shows every match");
		return;
	}
	a->ui.unique = !a->ui.unique;
	if (a->ui.unique && a->doc && a->doc->p)
		marks_unite(a->doc);
	if (a->ui.filter.on) {
		a->ui.filter.was_len = 0; /* other rows: filtered anew */
		filter_apply(a);
	}
	if (url)
		view_select_url(a, url);
	ui_message(a, 0, a->ui.unique ? "unique URLs: one row per URL, with how many there are"
				      : "every row, repeated URLs too");
}

/* The pane's marks, if it is one that can have them. */
static int
marks_here(struct app *a)
{
	if (a->doc && a->doc->p && a->ui.pane < K_COUNT)
		return 1;
	ui_message(a, 1, "marks are for the rows of the element panes (1-5)");
	return 0;
}

static void
act_mark(struct app *a, int arg)
{
	struct view *v = ui_view(a);
	size_t n = pane_nrows(a), row;

	(void)arg;
	if (!marks_here(a) || !n)
		return;
	if (v->sel >= n)
		v->sel = n - 1;
	row = a->ui.filter.on ? a->ui.filter.rows[v->sel] : v->sel;
	rows_mark(a, a->ui.pane, &row, 1, !row_marked(a, a->ui.pane, row));
	view_move(a, 1);
}

static void
act_mark_shown(struct app *a, int arg)
{
	size_t n = pane_nrows(a), i, *rows;

	(void)arg;
	if (!marks_here(a) || !n)
		return;
	rows = xmalloc(n * sizeof *rows);
	for (i = 0; i < n; i++)
		rows[i] = a->ui.filter.on ? a->ui.filter.rows[i] : i;
	rows_mark(a, a->ui.pane, rows, n, 1);
	free(rows);
	n = pane_marked(a, a->ui.pane);
	ui_message(a, 0, "%zu row%s marked", n, n == 1 ? "" : "s");
}

static void
act_marks_clear(struct app *a, int arg)
{
	struct doc *d = a->doc;
	size_t i;

	(void)arg;
	if (!marks_here(a))
		return;
	for (i = 0; d->mark && i < d->p->count[a->ui.pane]; i++)
		element_mark(d, d->kind_rows[a->ui.pane][i], 0);
	ui_message(a, 0, "marks cleared");
}

static void
act_goto(struct app *a, int arg)
{
	(void)arg;
	a->ui.mode = M_GOTO;
	a->ui.go_line.len = a->ui.go_line.cur = 0;
}

/* < and >: the lines moved by half the screen's width, counted on the
 * selected line from where it is shown (one screenful of it looked at). */
static void
act_hscroll(struct app *a, int arg)
{
	struct layout l;
	const char *s;
	size_t n, from, base, to, k;
	long keep = a->ui.hshift;
	int half;

	if (!pane_lines(a->ui.pane) || pane_nrows(a) == 0) {
		ui_message(a, 1, "< and > move the lines of Source and Transfer");
		return;
	}
	ui_layout(&l, a->ui.pane);
	half = l.list_w / 2 > 1 ? l.list_w / 2 : 1;
	row_line(a, pane_index(a, ui_view(a)->sel), &s, &n);
	from = line_from(a, ui_view(a)->sel, s, n, l.list_w);
	a->ui.hshift = 0;
	base = line_from(a, ui_view(a)->sel, s, n, l.list_w);
	for (to = from, k = 0; arg > 0 && k < (size_t)half; k++)
		for (to++; to < n && ((unsigned char)s[to] & 0xc0) == 0x80; to++)
			;
	for (k = 0; arg < 0 && to > 0 && k < (size_t)half; k++)
		for (to--; to > 0 && ((unsigned char)s[to] & 0xc0) == 0x80; to--)
			;
	a->ui.hshift = (long)to - (long)base;
	if (arg < 0 && from == 0)
		a->ui.hshift = keep < 0 ? keep : 0; /* at the start already */
}

static void
act_wrap(struct app *a, int arg)
{
	(void)arg;
	a->ui.wrap = !a->ui.wrap;
	ui_message(a, 0, a->ui.wrap ? "long lines of Source and Transfer wrapped (w: cut)"
				    : "long lines cut: < and > move them (w: wrapped)");
}

static void
act_help(struct app *a, int arg)
{
	(void)arg;
	a->ui.mode = M_HELP;
	a->ui.help_top = 0;
}

static void
act_redraw(struct app *a, int arg)
{
	(void)a;
	(void)arg;
	ui_repaint();
}

static void
act_quit(struct app *a, int arg)
{
	size_t left = queue_left(&a->queue);

	(void)arg;
	if (left && !a->quit_armed) {
		a->quit_armed = 1;
		ui_message(a, 1, "%zu download%s not done: q again quits and drops %s", left,
			   left == 1 ? "" : "s", left == 1 ? "it" : "them");
		return;
	}
	if (a->download.t && !a->quit_armed) {
		a->quit_armed = 1;
		ui_message(a, 1, "a download is running: q again quits and drops it");
		return;
	}
	a->quit = 1;
}

/* The page's element pane, for an action on its rows; else says so. */
static int
rows_here(struct app *a, const char *what)
{
	if (a->doc && a->doc->p && a->ui.pane < K_COUNT)
		return 1;
	ui_message(a, 1, "%s the rows of the element panes (1-5)", what);
	return 0;
}

/* D: the URLs of the marked rows (else the selected one) join the queue. */
static void
act_queue(struct app *a, int arg)
{
	size_t n = 0, i, *rows;

	(void)arg;
	if (!rows_here(a, "D queues"))
		return;
	if (!(rows = rows_marked_else_selected(a, a->ui.pane, &n))) {
		ui_message(a, 1, "select an element to download");
		return;
	}
	a->queue.o = a->req_opt; /* as each fetch: the form's request options too */
	for (i = 0; i < n; i++)
		queue_add_link(a, &a->queue, a->doc->p->el[rows[i]].url, 0);
	free(rows);
	a->quit_armed = 0;
	ui_message(a, 0, "%zu queued into %s — 9 shows the downloads", n, a->opt.dir);
}

/* c: the links of the marked rows (else every row shown) checked, their
 * status in a column as it comes. */
static void
act_check(struct app *a, int arg)
{
	struct doc *d = a->doc;
	struct buf frag = {0};
	size_t n = 0, i, *rows;

	(void)arg;
	if (!rows_here(a, "c checks"))
		return;
	if (!(rows = rows_marked_else_shown(a, a->ui.pane, &n))) {
		ui_message(a, 1, "no row to check");
		return;
	}
	doc_check_end(d);
	d->check = xmalloc(sizeof *d->check);
	queue_init(d->check, a->multi, a->req_opt, 1);
	if (d->p->ids.n) /* parsed since a check asked for ids: its own #fragments */
		queue_add_page(d->check, d->t->final_url, d->t->status, &d->p->ids);
	d->check_item = xmalloc(d->p->n * sizeof *d->check_item);
	memset(d->check_item, 0xff, d->p->n * sizeof *d->check_item); /* (size_t)-1 */
	for (i = 0; i < n; i++) {
		const char *url = d->p->el[rows[i]].url;

		d->check_item[rows[i]] = queue_add_link(a, d->check, url, url_fragment(url, &frag));
	}
	buf_free(&frag);
	free(rows);
	ui_message(a, 0, "checking %zu link%s — /!ok shows the broken ones, /status:404 some",
		   n, n == 1 ? "" : "s");
}

/* X: every download not done is cancelled (and the page's check). */
static void
act_cancel_all(struct app *a, int arg)
{
	size_t i, n = queue_left(&a->queue);

	(void)arg;
	for (i = 0; i < a->queue.n; i++)
		queue_cancel(&a->queue, &a->queue.it[i]);
	for (i = 0; a->doc && a->doc->check && i < a->doc->check->n; i++)
		queue_cancel(a->doc->check, &a->doc->check->it[i]);
	ui_message(a, 0, n ? "%zu download%s cancelled; nothing of them kept" : "no download to cancel",
		   n, n == 1 ? "" : "s");
}

/* ==== main: options, the two runs (run_tui, run_dump), main() ==== */

static void
usage_queue(FILE *f)
{
	fputs("  --download KINDS        then fetch the records of those kinds into DIR,\n"
	      "                          many at once (image,media,...; all); no screen\n"
	      "  --check                 check each record's URL: a status column (and\n"
	      "                          field); exit 5 when a link is broken; no screen\n"
	      "  --parallel N            transfers of --download and --check at once\n"
	      "                          (default 6, at most 64)\n"
	      "  --per-host N            ... to one host (default 4)\n", f);
}

/* --help's request options, grouped as curl groups them. */
static void
usage_request(FILE *f)
{
	fputs("Request options, as curl's (for every fetch of the run, downloads too):\n"
	      " HTTP:\n"
	      "  -H, --header \"NAME: VALUE\" an extra header (repeatable); \"NAME:\" drops\n"
	      "                          one libcurl would send\n"
	      "  -A, --user-agent STRING User-Agent header (default scraper/" VERSION ")\n"
	      "  -e, --referer URL       Referer header (URL;auto: also on redirects)\n"
	      "  -X, --request METHOD    the request method\n"
	      "  -d, --data STRING|@FILE POST this body (a file without its line breaks;\n"
	      "                          several are joined with &)\n"
	      "  --data-binary STRING|@FILE  POST this body, bytes as they are\n"
	      "  --data-raw STRING       POST this body ('@' is a character like any other)\n"
	      "  --max-redirs N          follow at most N redirects (default 10; 0: the\n"
	      "                          redirect itself is the answer)\n"
	      "  --no-compressed         do not ask for a compressed body\n"
	      "  --http1.1, --http2      the HTTP version to use\n"
	      " Authentication and cookies:\n"
	      "  -u, --user USER:PASSWORD  Basic authentication (never shown)\n"
	      "  -b, --cookie \"N=V; N2=V2\"|FILE  cookies to send, or a cookie file to\n"
	      "                          start from (cookies set by servers are kept for\n"
	      "                          the run)\n"
	      "  -c, --cookie-jar FILE   write the run's cookies to FILE at exit\n"
	      " TLS:\n"
	      "  -k, --insecure          do not verify the server's certificate\n"
	      "  --cacert FILE           CA certificates to verify with (else\n"
	      "                          CURL_CA_BUNDLE or SSL_CERT_FILE)\n"
	      "  --capath DIR            a directory of CA certificates (else SSL_CERT_DIR)\n"
	      " Connection:\n"
	      "  -x, --proxy URL         an http:// or https:// proxy\n"
	      "  --noproxy LIST          hosts reached without the proxy (comma-separated)\n"
	      "  -4, --ipv4, -6, --ipv6  IPv4 or IPv6 addresses only\n"
	      "  --resolve HOST:PORT:ADDR  HOST:PORT is at ADDR (repeatable)\n"
	      "  --limit-rate RATE       bytes per second at most (suffix k, m or g)\n"
	      "  --timeout SECONDS       limit for the whole transfer (default 30)\n",
	      f);
}

static void
usage(FILE *f)
{
	fputs("usage: scraper [OPTIONS] [INPUT...]\n"
	      "  INPUT: a URL, a local file, a file:// URL, or - (standard input)\n"
	      "  --dump                  print the extracted elements, no screen (of each\n"
	      "                          INPUT in turn)\n"
	      "  --format tsv|json|jsonl output format of --dump (default tsv; jsonl: one\n"
	      "                          JSON object per line, per input)\n"
	      "  --base URL              what a local input's links resolve against\n"
	      "  --unique                only the first record of each URL (--dump)\n"
	      "  --fields LIST           the TSV's columns, comma-separated: kind, tag, attr,\n"
	      "                          url, raw, text, descriptor, rel, page, status\n"
	      "                          (default kind,tag,attr,url,text; --check adds\n"
	      "                          status)\n"
	      "  -q, --query EXPR        print what a CSS or XPath expression matches\n"
	      "                          instead of the records, a row per match; fields\n"
	      "                          as columns: 'SELECTOR { text, @href, a::text }'\n"
	      "                          (repeatable: each query's number comes first)\n"
	      "  -v, --verbose           the transfer report on stderr\n"
	      "  -s, --save [NAME]       also save the body as DIR/NAME (when omitted: the\n"
	      "                          response's Content-Disposition name, else the URL's)\n"
	      "  --dir DIR               directory for saved files (default Files)\n"
	      "  --force                 overwrite an existing file when saving\n"
	      "  --fsync                 flush each saved or downloaded file to the disk\n"
	      "                          before it gets its name (slower; a power cut\n"
	      "                          then never leaves an empty one)\n"
	      "  --max-size BYTES        largest body accepted (default 67108864)\n", f);
	usage_queue(f);
	fputs("  -h, --help              this help\n"
	      "  -V, --version           the version\n", f);
	usage_request(f);
}


static void
usage_error(const char *fmt, const char *arg)
{
	/* one line naming the cause, as for every failure; --help has the rest */
	fputs("scraper: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (usage: scraper [OPTIONS] [INPUT...]; scraper --help lists them)\n", stderr);
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


/* --fields kind,url,...: the TSV's columns, in that order. */
static void
fields_parse(unsigned char *fields, const char *list)
{
	const char *p = list;
	char name[64];
	size_t n = 0, len, f;

	for (;; p += len + 1) {
		len = strcspn(p, ",");
		for (f = 1; f < F_COUNT; f++)
			if (strlen(field_names[f]) == len && !ascii_casecmp_n(p, field_names[f], len))
				break;
		if (f == F_COUNT) {
			snprintf(name, sizeof name, "%.*s", (int)len, p);
			usage_error("unknown field '%s' in --fields (kind, tag, attr, url, raw, "
				    "text, descriptor, rel, page, status)", name);
		}
		if (n == FIELDS_MAX) {
			snprintf(name, sizeof name, "more than %d fields in --fields", FIELDS_MAX);
			usage_error("%s", name);
		}
		fields[n++] = (unsigned char)f;
		if (!p[len])
			break;
	}
	fields[n] = F_END;
}

/* --download image,media (or all): a bit per kind. */
static unsigned
kinds_parse(const char *list)
{
	const char *p = list;
	char name[64];
	unsigned bits = 0;
	size_t len, k;

	for (;; p += len + 1) {
		len = strcspn(p, ",");
		for (k = 0; k < K_COUNT; k++)
			if (strlen(kind_names[k]) == len && !ascii_casecmp_n(p, kind_names[k], len))
				break;
		if (len == 3 && !ascii_casecmp_n(p, "all", 3))
			bits = (1u << K_COUNT) - 1;
		else if (k < K_COUNT)
			bits |= 1u << k;
		else {
			snprintf(name, sizeof name, "%.*s", (int)len, p);
			usage_error("unknown kind '%s' in --download (link, image, media, embed, "
				    "resource or all)", name);
		}
		if (!p[len])
			break;
	}
	return bits;
}

/* The options of the queue: --download, --check, --parallel, --per-host;
 * 0 when c is none of them. Either action means a run without the screen. */
static int
options_queue(struct options *o, int c, const char *arg)
{
	switch (c) {
	case OPT_DOWNLOAD: o->download = kinds_parse(arg); o->dump = 1; return 1;
	case OPT_CHECK: o->check = 1; o->dump = 1; return 1;
	case OPT_PARALLEL:
		o->parallel = (int)parse_number(arg, "--parallel", 1);
		break;
	case OPT_PER_HOST:
		o->per_host = (int)parse_number(arg, "--per-host", 1);
		break;
	default:
		return 0;
	}
	if (o->parallel > PARALLEL_MAX || o->per_host > PARALLEL_MAX)
		usage_error("at most %s transfers at once", "64"); /* PARALLEL_MAX */
	return 1;
}

/* The words left after the options: the inputs, or the name --save took. */
static void
options_inputs(struct options *o, int argc, char **argv)
{
	static char *save_word[1];

	o->inputs = argv + optind;
	o->ninputs = argc - optind;
	if (!o->ninputs && o->save_name) {
		save_word[0] = (char *)o->save_name; /* "--save URL": the word was the URL */
		o->inputs = save_word;
		o->ninputs = 1;
		o->save_name = NULL;
	}
	if (o->save_name && name_refusal(o->save_name)) {
		fprintf(stderr, "scraper: --save %s: %s\n", o->save_name,
			name_refusal(o->save_name));
		exit(EXIT_USAGE);
	}
	if (o->save_name && o->ninputs > 1)
		usage_error("--save %s names one file: not for several inputs", o->save_name);
}

/* --base: an absolute URL (scheme and authority: http(s) or file). */
static const char *
options_base(const char *s)
{
	struct uri u;

	uri_split(s, strlen(s), &u);
	if (!u.scheme_len || !u.has_auth)
		usage_error("--base %s: not an absolute URL", s);
	return s;
}

/* -q EXPR: compiled at once, so that a mistake is told before any fetch. */
static void
options_query(struct options *o, const char *expr)
{
	struct query_error err;
	struct query *q = query_compile(expr, &err);
	struct buf b = {0};

	if (!q) {
		buf_adds(&b, "scraper: --query '");
		buf_add_safe(&b, expr, strlen(expr), SAN_TEXT);
		buf_addf(&b, "': at byte %zu: ", err.offset);
		buf_add_safe(&b, err.msg, strlen(err.msg), SAN_TEXT);
		fprintf(stderr, "%s\n", b.data);
		buf_free(&b);
		exit(EXIT_USAGE);
	}
	o->queries = xrealloc(o->queries, (size_t)(o->nqueries + 1) * sizeof *o->queries);
	o->query = xrealloc(o->query, (size_t)(o->nqueries + 1) * sizeof *o->query);
	q->cells_only = 1; /* what --dump prints */
	o->queries[o->nqueries] = expr;
	o->query[o->nqueries++] = q;
}

static void
options_free(struct options *o)
{
	int i;

	for (i = 0; i < o->nqueries; i++)
		query_free(o->query[i]);
	free(o->query);
	free(o->queries);
}

/* Options that do not go together are a usage error; --check's column. */
static void
options_agree(struct options *o)
{
	if (o->json && o->fields[0])
		usage_error("%s", "--fields picks the columns of --format tsv, not json");
	if (o->nqueries && o->fields[0])
		usage_error("%s", "--fields picks the records' columns: --query has its fields");
	if (o->nqueries && (o->check || o->download))
		usage_error("%s", "--check and --download act on the records: not with --query");
	if (o->check && !o->fields[0])
		memcpy(o->fields, check_fields, sizeof check_fields);
}

static void
options_parse(struct options *o, int argc, char **argv)
{
	struct buf why = {0}; /* a refusal ends the run: not freed */
	int c, taken;

	o->dir = DEFAULT_DIR;
	o->max_size = DEFAULT_MAX_SIZE;
	o->timeout = DEFAULT_TIMEOUT;
	o->user_agent = "scraper/" VERSION;
	opterr = 0;
	o->req.max_redirs = MAX_REDIRECTS;
	o->parallel = 6;
	o->per_host = 4;
	while ((c = getopt_long(argc, argv, SHORT_OPTIONS, longopts, NULL)) != -1) {
		if ((taken = options_request(o, c, optarg, &why)) < 0)
			usage_error("%s", why.data);
		if (taken || options_queue(o, c, optarg))
			continue;
		switch (c) {
		case OPT_DUMP: o->dump = 1; break;
		case OPT_FORMAT:
			if (strcmp(optarg, "tsv") && strcmp(optarg, "json") && strcmp(optarg, "jsonl"))
				usage_error("unknown format '%s' (tsv, json or jsonl)", optarg);
			o->json = strcmp(optarg, "tsv") != 0;
			o->jsonl = !strcmp(optarg, "jsonl");
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
		case OPT_FSYNC: o->fsync = 1; break;
		case OPT_UNIQUE: o->unique = 1; break;
		case OPT_MAX: o->max_size = parse_number(optarg, "--max-size", 1); break;
		case OPT_TIMEOUT: o->timeout = parse_number(optarg, "--timeout", 1); break;
		case OPT_BASE: o->base = options_base(optarg); break;
		case OPT_FIELDS: fields_parse(o->fields, optarg); break;
		case 'q': options_query(o, optarg); break;
		case 'h': usage(stdout); exit(EXIT_OK);
		case 'V': puts("scraper " VERSION); exit(EXIT_OK);
		case ':': usage_error("missing argument for %s", argv[optind - 1]); break;
		default: usage_error("unknown option %s", argv[optind - 1]); break;
		}
	}
	options_agree(o);
	options_ca_env(&o->req);
	options_inputs(o, argc, argv);
}

/* The interactive loop: engine, keys, screen, then wait on both. */
/* The screen's first fetch: the first input (the others are --dump's),
 * else the URL form. */
static void
tui_first(struct app *a)
{
	if (!a->opt.ninputs) {
		act_open(a, 0);
		return;
	}
	origin_typed(a, a->opt.inputs[0]);
	fetch_start(a, a->opt.inputs[0], a->req_opt, a->opt.save_name, 0);
}

static int
run_tui(struct app *a)
{
	const char *why = ui_start(a);
	struct curl_waitfd in[3] = {{.fd = STDIN_FILENO, .events = CURL_WAIT_POLLIN}};
	int alive = 1, nfd;

	if (why) {
		print_err(NULL, why);
		return EXIT_USAGE;
	}
	a->ui.save_derive = a->opt.save && !a->opt.save_name;
	queue_init(&a->queue, a->multi, &a->opt, 0);
	tui_first(a);
	a->ui.dirty = 1;
	while (!a->quit && !got_signal && alive) {
		net_drive(a->multi);
		if (a->fetch && a->fetch->done) {
			fetch_arrived(a);
			a->ui.dirty = a->ui.changed = 1;
		}
		if (a->parsing && atomic_load(&a->parsing->done)) {
			parse_done(a);
			a->ui.dirty = a->ui.changed = 1;
		}
		if (a->download.t && a->download.t->done) {
			download_done(a);
			a->ui.dirty = a->ui.changed = 1;
		}
		if (app_queues(a))
			a->ui.dirty = a->ui.changed = 1;
		if (cmd_drive(&a->cmd))
			a->ui.dirty = a->ui.changed = 1;
		alive = keys_drain(a, in[0].revents != 0);
		if (a->quit || got_signal || !alive)
			break; /* no last wait: q exits at once */
		if (a->ui.dirty || a->fetch || a->parsing || a->download.t) {
			story_sync(a);
			query_sync(a);
			ui_draw(a);
			a->ui.dirty = 0;
		}
		in[0].revents = 0;
		in[1] = signal_waitfd();
		nfd = signal_pipe[0] >= 0 ? 2 : 1;
		if (a->cmd.pid > 0 && !a->cmd.eof) /* its output as it comes; its end within 100 ms */
			in[nfd++] = (struct curl_waitfd){.fd = a->cmd.out, .events = CURL_WAIT_POLLIN};
		curl_multi_poll(a->multi, in, (unsigned)nfd,
				a->fetch || a->parsing || a->download.t || a->cmd.pid > 0 || a->queues_busy
				? 100 : 250,
				NULL);
	}
	app_free(a);
	ui_end();
	if (!got_signal)
		return EXIT_OK;
	print_err(NULL, got_signal == SIGINT ? "interrupted" : "terminated by a signal");
	return signal_status();
}

/* --save after a complete transfer; returns an exit status. */
static int
dump_save(const struct options *o, struct transfer *t, const struct page_input *in,
	  struct buf *saved)
{
	struct buf err = {0};
	char *name = o->save_name ? xstrdup(o->save_name) : name_for_body(t);
	size_t len;
	const char *body = page_input_bytes(in, &len);
	int rc = EXIT_OK;

	if (save_file(o->dir, name, body, len, o->force, &err, saved) < 0) {
		if (strstr(err.data, "not overwritten"))
			buf_adds(&err, " (use --force)");
		print_err(NULL, err.data);
		rc = EXIT_LOCAL;
	} else {
		story_step(t, "Saved the body to %s", saved->data);
	}
	buf_free(&err);
	free(name);
	return rc;
}

/* What one --dump run holds. */
struct dump {
	struct page_input in;
	struct feed feed;
	struct writer w;
	struct records_sink sink;
	const struct records_sink *records; /* &sink, or NULL: printed after the parse */
	struct transfer *t;
	struct page *p;
	struct buf saved;                   /* where --save put the body */
};

/* --format json: a failed fetch still prints its object, with why. */
static void
dump_json_failed(const struct transfer *t, const char *why, int oneline)
{
	struct buf out = {0};

	out_json(&out, t, NULL, NULL, why, oneline, NULL);
	fputs(out.data, stdout);
	fflush(stdout);
	buf_free(&out);
}

/* An input that could not even be started (a refused URL, a file that
 * cannot be read): with --format json, its object too, with why. */
static void
dump_input_failed(const struct options *o, const char *input, const char *why)
{
	struct transfer none = {.url = (char *)input, .content_length = -1};

	if (o->json)
		dump_json_failed(&none, why, o->jsonl);
	print_err(input, why);
}

/* A local input, read at once into the body (no early parse: it is all
 * there); 0, or the exit status, its line printed. */
static int
dump_local(struct dump *d, const struct options *o, const char *input)
{
	struct buf why = {0};
	int fd;

	if (!(d->t = local_start(o, input, &fd, &why))) {
		dump_input_failed(o, input, why.data);
		buf_free(&why);
		return EXIT_TRANSFER;
	}
	d->t->sink = page_input_push;
	d->t->sink_ctx = &d->in;
	local_read(d->t, fd);
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
}

/* Starts the fetch of input: the body goes to the early parse, or kept
 * whole for --save (which writes it after the transfer: no parse beside it
 * then). 0, or the exit status of an input that cannot be fetched. */
static int
dump_start(struct dump *d, const struct options *o, CURLM *multi, const char *input)
{
	const char *why = NULL;
	char *url;

	memset(d, 0, sizeof *d);
	pthread_mutex_init(&d->w.lock, NULL);
	pthread_cond_init(&d->w.more, NULL);
	pthread_cond_init(&d->w.ended_cv, NULL);
	d->w.f = stdout;
	d->w.fields = o->fields;
	d->sink = (struct records_sink){writer_start, writer_final, writer_go, writer_moving, &d->w};
	/* -v prints the story before the records, --unique drops some after
	 * the parse: no writer then */
	d->records = o->json || o->verbose || o->unique || o->check || o->nqueries ? NULL : &d->sink;
	page_input_init(&d->in, o->max_size);
	feed_init(&d->feed, &d->in, d->records);
	if (input_is_local(input))
		return dump_local(d, o, input);
	if (!(url = url_normalize(input, &why)) && !strstr(why, "refused")) {
		print_err(input, why);
		return EXIT_USAGE;
	}
	if (!url) {
		dump_input_failed(o, input, why);
		return EXIT_TRANSFER;
	}
	d->t = net_start(multi, o, url, -1);
	free(url);
	d->feed.easy = d->t->easy;
	/* --query builds a tree of the whole body: no early parse for it */
	d->t->sink = o->save || o->nqueries ? page_input_push : feed_push;
	d->t->sink_ctx = o->save || o->nqueries ? (void *)&d->in : (void *)&d->feed;
	return 0;
}

static void
dump_free(struct dump *d)
{
	feed_free(&d->feed);
	page_free(d->p);
	page_input_free(&d->in);
	transfer_free(d->t);
	buf_free(&d->saved);
	pthread_mutex_destroy(&d->w.lock);
	pthread_cond_destroy(&d->w.more);
	pthread_cond_destroy(&d->w.ended_cv);
}

/* The transfer is over: -1 when it went well, else the exit status. */
static int
dump_fetched(struct dump *d, const struct options *o)
{
	struct buf err = {0}, story = {0};

	if (got_signal) {
		print_err(d->t->url, "interrupted");
		return signal_status();
	}
	net_error(d->t, &err);
	if (!err.len)
		return -1;
	story_stopped(d->t, err.data);
	if (o->verbose)
		out_story(&story, d->t);
	fputs(story.data ? story.data : "", stderr);
	if (o->json)
		dump_json_failed(d->t, err.data, o->jsonl);
	print_err(d->t->url, err.data);
	buf_free(&err);
	buf_free(&story);
	return EXIT_TRANSFER;
}

/* The page for --query: its tree, of what the expressions read. */
static struct page *
dump_tree(struct dump *d, const struct options *o, const char *charset)
{
	struct tree_needs needs = {0};
	struct page *p;
	int i;

	for (i = 0; i < o->nqueries; i++)
		needs_merge(&needs, &o->query[i]->needs);
	p = page_tree_input(&d->in, d->w.base, charset, &needs);
	buf_free(&needs.names);
	return p;
}

/* Saves (--save) and parses the body; returns the exit status so far. */
static int
dump_parse(struct dump *d, const struct options *o)
{
	struct transfer *t = d->t;
	struct buf story = {0};
	char *charset = http_charset(t->content_type);
	const char *body;
	size_t len;
	enum body_kind kind;
	int rc = EXIT_OK;

	if (t->status >= 400)
		rc = EXIT_HTTP;
	else if (o->save)
		rc = dump_save(o, t, &d->in, &d->saved);
	d->w.base = transfer_base(t);
	body = page_input_bytes(&d->in, &len);
	if ((kind = body_kind(t->content_type, body, len)) != BODY_HTML)
		d->p = page_unparsed(NULL, 0, d->w.base, kind, NULL); /* no records */
	else if (o->nqueries)
		d->p = dump_tree(d, o, charset);
	else if (!(d->p = feed_finish(&d->feed, d->w.base)))
		d->p = page_parse_input(&d->in, d->w.base, charset, d->records);
	free(charset);
	story_page(t, d->p);
	if (o->verbose) {
		out_story(&story, t);
		fputs(story.data, stderr);
	}
	buf_free(&story);
	if (o->unique)
		page_unique(d->p);
	return rc;
}

/* The time --query may take, in ms: what is left of --timeout. */
static unsigned long
dump_query_bound(const struct dump *d, const struct options *o)
{
	double left = (double)o->timeout - elapsed_s(&d->t->started);

	return left * 1000 < 1 ? 1 : (unsigned long)(left * 1000);
}

/* A query that failed on the page (an unknown XPath function, say). */
static void
dump_query_failed(const char *url, const char *expr, const struct query_error *err)
{
	struct buf b = {0};

	buf_adds(&b, "--query '");
	buf_add_safe(&b, expr, strlen(expr), SAN_TEXT);
	buf_addf(&b, "': at byte %zu: ", err->offset);
	buf_add_safe(&b, err->msg, strlen(err->msg), SAN_TEXT);
	print_err(url, b.data);
	buf_free(&b);
}

/* Runs and prints --query's expressions; -1 when the output could not be
 * written. *rc: made worse by a query that failed or ran out of time. */
static int
dump_queries(struct dump *d, const struct options *o, const char *error, int *rc)
{
	struct query_rows *rows = xmalloc((size_t)o->nqueries * sizeof *rows);
	struct query_error err;
	struct buf out = {0};
	int i, n, wrote = 0, cut = 0;

	for (n = 0; n < o->nqueries; n++) {
		if (query_run(o->query[n], d->p, dump_query_bound(d, o), &rows[n], &err) < 0) {
			dump_query_failed(d->t->url, o->queries[n], &err);
			if (*rc != EXIT_LOCAL)
				*rc = EXIT_USAGE;
		}
		cut |= rows[n].cut;
	}
	if (o->json)
		wrote = out_json_query(&out, d->t, d->p, d->saved.len ? d->saved.data : NULL,
				       error, o->jsonl, o->queries, rows, n, stdout);
	for (i = 0; !o->json && i < n && wrote >= 0; i++)
		wrote = out_query_tsv(&out, &rows[i], n > 1 ? i + 1 : 0, stdout);
	for (i = 0; i < n; i++)
		query_rows_free(&rows[i]);
	free(rows);
	buf_free(&out);
	if (d->p->tree_cut)
		print_err(d->t->url, "the page's tree was cut short (nested too deep, or a guard "
			  "stopped its parse): matches past that point are missing");
	if (cut && !got_signal) { /* a signal says so itself */
		print_err(d->t->url, "the query ran out of time (--timeout): its rows so far");
		if (*rc == EXIT_OK || *rc == EXIT_HTTP)
			*rc = EXIT_TRANSFER;
	}
	return wrote;
}

/* Prints the records (unless the writer has); returns the exit status. */
static int
dump_print(struct dump *d, const struct options *o, int rc)
{
	struct buf out = {0};
	char msg[64];
	int wrote;

	snprintf(msg, sizeof msg, "HTTP status %ld", d->t->status);
	wrote = d->w.go > 0 ? writer_finish(&d->w, d->p)
		: got_signal ? 0 /* the parse was stopped by it: nothing to print */
		: o->nqueries ? dump_queries(d, o, rc == EXIT_HTTP ? msg : NULL, &rc)
		: o->json ? out_json(&out, d->t, d->p, d->saved.len ? d->saved.data : NULL,
				     rc == EXIT_HTTP ? msg : NULL, o->jsonl, stdout)
			  : out_tsv(&out, d->p, o->fields, d->w.base, stdout);
	buf_free(&out);
	if (got_signal) { /* a write blocked on stdout was interrupted */
		print_err(d->t->url, "interrupted");
		return signal_status();
	}
	if (wrote < 0 || fflush(stdout) == EOF) {
		if (errno == EPIPE) /* the reader has seen enough: not an error */
			return rc;
		print_err(NULL, "cannot write the output");
		rc = EXIT_LOCAL;
	}
	if (rc == EXIT_HTTP)
		print_err(d->t->url, msg);
	return rc;
}

/* The last input's tree, left to the end of the process: freeing a large
 * page's nodes one by one was a fifth of a --query run (400,000 nodes of
 * the 10 MB page). Reachable: not a leak to valgrind or LeakSanitizer. */
static xmlDocPtr volatile tree_at_exit; /* volatile: a store no read follows */

/* The worse of two exit statuses, for several inputs: a signal, then a
 * local file not written (the output may be short), a usage error (a
 * malformed input), a failed transfer (no document), an HTTP error status
 * (a document all the same), success. */
static int
status_worst(int a, int b)
{
	static const int order[] = {EXIT_OK, EXIT_BROKEN, EXIT_HTTP, EXIT_TRANSFER, EXIT_USAGE,
				    EXIT_LOCAL};
	int ra = 6, rb = 6, i;

	for (i = 0; i < 6; i++) {
		if (order[i] == a)
			ra = i;
		if (order[i] == b)
			rb = i;
	}
	return rb > ra ? b : a;
}

/* --check: each record's URL checked (each URL once, HEAD where it
 * will do), its status set; EXIT_BROKEN when a link is broken. */
static int
dump_check(struct app *a, const struct transfer *t, struct page *p)
{
	struct queue q;
	struct resolver r;
	struct buf st = {0}, line = {0};
	size_t i, *at = xmalloc((p->n ? p->n : 1) * sizeof *at), broken = 0;

	queue_init(&q, a->multi, &a->opt, 1);
	queue_add_page(&q, t->final_url, t->status, &p->ids);
	resolver_init(&r, p->base);
	for (i = 0; i < p->n; i++) {
		const char *url = p->el[i].url ? p->el[i].url : resolver_url(&r, p->el[i].raw);

		at[i] = queue_add_link(a, &q, url, url_fragment(url, &st));
	}
	queue_run(&q, NULL, NULL);
	p->status = xmalloc((p->n ? p->n : 1) * sizeof *p->status);
	for (i = 0; i < p->n; i++) {
		const char *url = p->el[i].url ? p->el[i].url : resolver_url(&r, p->el[i].raw);

		st.len = 0;
		if (check_status(&q.it[at[i]], url, &st)) {
			broken++;
			line.len = 0;
			buf_add_safe(&line, st.data, st.len, SAN_TEXT);
			print_err(url, line.data);
		}
		p->status[i] = arena_strndup(&p->arena, st.data, st.len);
	}
	if (broken) {
		line.len = 0;
		buf_addf(&line, "%zu of %zu links broken", broken, p->n);
		print_err(NULL, line.data);
	}
	resolver_free(&r);
	queue_free(&q);
	buf_free(&st);
	buf_free(&line);
	free(at);
	return got_signal ? signal_status() : broken ? EXIT_BROKEN : EXIT_OK;
}

/* What --download has done so far, for its summary. */
struct download_sum {
	size_t saved, failed, skipped, bytes;
};

/* One line on stderr as each download ends. */
static void
download_told(const struct qitem *it, void *ctx)
{
	struct download_sum *sum = ctx;
	struct buf b = {0};

	if (it->state == Q_DONE) {
		sum->saved++;
		sum->bytes += it->bytes;
		buf_adds(&b, "saved ");
		buf_add_safe(&b, it->path, strlen(it->path), SAN_TEXT);
		buf_addf(&b, " (%zu bytes)", it->bytes);
		print_err(NULL, b.data);
	} else {
		it->state == Q_FAILED ? sum->failed++ : sum->skipped++;
		buf_addf(&b, "%s: %s", qstate_names[it->state], it->error ? it->error : "");
		print_err(it->url, b.data);
	}
	buf_free(&b);
}

/* Runs a queue of downloads to its end (or a signal), a line each on
 * stderr and a summary; frees it. EXIT_TRANSFER when one failed. */
static int
download_run(struct queue *q)
{
	struct download_sum sum = {0};
	struct buf b = {0};
	size_t over;

	queue_run(q, download_told, &sum);
	over = sum.saved + sum.failed + sum.skipped;
	buf_addf(&b, "downloads: %zu saved (%zu bytes), %zu failed, %zu skipped",
		 sum.saved, sum.bytes, sum.failed, sum.skipped);
	if (over < q->n) /* a signal came first */
		buf_addf(&b, ", %zu not done", q->n - over);
	buf_addf(&b, " in %.1f s", queue_now(q));
	print_err(NULL, b.data);
	queue_free(q);
	buf_free(&b);
	return got_signal ? signal_status() : sum.failed ? EXIT_TRANSFER : EXIT_OK;
}

/* --download KINDS: the records of those kinds fetched into --dir (each
 * URL once), after the extraction. */
static int
dump_download(struct app *a, const struct page *p)
{
	struct queue q;
	struct resolver r;
	size_t i;

	queue_init(&q, a->multi, &a->opt, 0);
	resolver_init(&r, p->base);
	for (i = 0; i < p->n; i++)
		if (a->opt.download & (1u << p->el[i].rule->kind))
			queue_add_link(a, &q, p->el[i].url ? p->el[i].url
						: resolver_url(&r, p->el[i].raw), 0);
	resolver_free(&r);
	return download_run(&q);
}

/* --dump of one input: fetch, parse, (check,) print, (download); returns
 * the exit status. */
static int
dump_one(struct app *a, const char *input)
{
	struct dump d;
	int rc = dump_start(&d, &a->opt, a->multi, input), checked = EXIT_OK;

	origin_typed(a, input); /* the credentials go to its server */
	if (rc == 0) {
		loop_until_done(d.t);
		rc = dump_fetched(&d, &a->opt);
		if (rc < 0) {
			rc = dump_parse(&d, &a->opt);
			if (a->opt.check && !got_signal)
				checked = dump_check(a, d.t, d.p);
			rc = status_worst(dump_print(&d, &a->opt, rc), checked);
			if (a->opt.download && !got_signal && rc != EXIT_LOCAL)
				rc = status_worst(rc, dump_download(a, d.p));
		}
	}
	if (d.p && input == a->opt.inputs[a->opt.ninputs - 1]) {
		tree_at_exit = d.p->tree;
		d.p->tree = NULL;
	}
	dump_free(&d);
	return rc;
}

/* --dump: each input in turn; the worst exit status. A signal, or output
 * that can no longer be written, ends the run there. */
static int
run_dump(struct app *a)
{
	int rc = EXIT_OK, i;

	for (i = 0; i < a->opt.ninputs && !got_signal && !ferror(stdout); i++)
		rc = status_worst(rc, dump_one(a, a->opt.inputs[i]));
	return rc;
}

/* The end of the run's requests: -c's jar written (unless a signal ended
 * the run), the cookie engine and the options' lists freed. */
static int
request_end(struct request *r, int rc)
{
	struct buf err = {0};

	if (r->cookie_jar && !got_signal && cookie_jar_write(r->cookie_jar, &err) < 0) {
		print_err(NULL, err.data);
		rc = status_worst(rc, EXIT_LOCAL);
	}
	buf_free(&err);
	net_cookies_end();
	request_free(r);
	return rc;
}

#ifndef SCRAPER_NO_MAIN
int
main(int argc, char **argv)
{
	struct app a;
	const char *why = NULL, *first;
	char *url = NULL;
	int rc;

	memset(&a, 0, sizeof a);
	setlocale(LC_ALL, "");
	options_parse(&a.opt, argc, argv);
	temp_fsync = a.opt.fsync;
	if (!a.opt.dump && !(isatty(0) && isatty(1)))
		a.opt.dump = 1;
	if (!a.opt.ninputs && a.opt.dump)
		usage_error("%s", "no URL given (needed when not on a terminal)");
	first = a.opt.ninputs ? a.opt.inputs[0] : NULL;
	if (!a.opt.dump && first && !strcmp(first, "-"))
		usage_error("%s", "- reads standard input: with --dump (or a pipe) only");
	/* the screen's input is checked here; --dump's, each in its turn */
	if (!a.opt.dump && first && !input_is_local(first) && !(url = url_normalize(first, &why))) {
		print_err(first, why);
		return strstr(why, "refused") ? EXIT_TRANSFER : EXIT_USAGE;
	}
	signals_install();
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		die("cannot initialise libcurl");
	xmlInitParser();
	a.multi = curl_multi_init();
	if (!a.multi)
		die("out of memory");
	if (a.opt.req.http_version == CURL_HTTP_VERSION_2_0 &&
	    !(curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_HTTP2))
		usage_error("%s", "--http2: this libcurl has no HTTP/2");
	if (a.opt.req.cookie_file)
		net_cookies_load(a.opt.req.cookie_file);
	if (a.opt.check) /* a page's own #fragments: its parse keeps its ids */
		atomic_store(&parse_ids, 1);
	a.req_opt = &a.opt;
	rc = a.opt.dump ? run_dump(&a) : run_tui(&a);
	a.opt.req.cookie_jar = a.req_opt->req.cookie_jar; /* -c in the form too */
	rc = request_end(&a.opt.req, rc);
	asked_free(a.asked);
	curl_slist_free_all(a.typed); /* after every transfer: they used the links' */
	link_requests_free(a.links);
	options_free(&a.opt);
	curl_multi_cleanup(a.multi);
	curl_global_cleanup();
	xmlCleanupParser();
	free(url);
	return rc;
}
#endif
