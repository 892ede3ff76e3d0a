# scraper — build, run, test. `make help` lists the targets.
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKGS = ncursesw formw libcurl libxml-2.0
# Debian packages: what building and running needs (make run; its demo
# server, tests/server.py, is python3), then what make test adds.
RUN_DEBS = build-essential pkg-config libcurl4-openssl-dev libxml2-dev libncurses-dev python3
TEST_DEBS = $(RUN_DEBS) perl python3-html5lib python3-parsel tmux libxml2-utils valgrind openssl \
	    clang libclang-rt-14-dev procps groff-base curl
DEBS = $(RUN_DEBS)
# Warnings are errors in the developers' and CI's builds only: make test
# passes WERROR=-Werror (so can you); a plain make just shows them.
WERROR ?=
WARN = -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wno-missing-field-initializers $(WERROR)
CFLAGS ?= -O2 -g
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -pthread
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

URL ?=

.PHONY: all run test install uninstall clean deps test-deps help bench bench-keys fuzz FORCE

all: scraper

# The builds depend on the warning flags too: a -Werror build (make test)
# after a plain one compiles again, and the other way round.
.build-flags: FORCE
	@[ "$$(cat $@ 2>/dev/null)" = '$(WARN)' ] || echo '$(WARN)' >$@

scraper: scraper.c .build-flags
	$(CC) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -o $@ scraper.c $(PKG_LIBS) $(LDFLAGS)

scraper-asan: scraper.c .build-flags
	$(CC) $(WARN) -O1 -g $(SAN) $(PKG_CFLAGS) -o $@ scraper.c $(PKG_LIBS)

# The program's own allocations fail one by one in tests/alloc.t.
scraper-allocfail: scraper.c .build-flags
	$(CC) $(WARN) -O1 -g $(SAN) -DSCRAPER_ALLOC_FAIL $(PKG_CFLAGS) -o $@ scraper.c $(PKG_LIBS)

# Keeps 800 KB of pages for back, so tests/tui-hostile.t sees older ones let go.
scraper-smallhist: scraper.c .build-flags
	$(CC) $(WARN) -O0 -g -DHIST_BYTES=800000 $(PKG_CFLAGS) -o $@ scraper.c $(PKG_LIBS)

# The screen's queries evaluated in the process itself, with no time bound
# (no child process): what make bench-keys counts a query's keystroke with.
scraper-inproc: scraper.c .build-flags
	$(CC) $(WARN) $(CFLAGS) -DQUERY_MS=0 $(PKG_CFLAGS) -o $@ scraper.c $(PKG_LIBS)

tests/unit: tests/unit.c scraper.c .build-flags
	$(CC) $(WARN) -Wno-unused-function -O1 -g $(SAN) $(PKG_CFLAGS) -o $@ tests/unit.c $(PKG_LIBS)

# Installs the Debian packages in DEBS when missing: by default those that
# building and running need; test-deps, those and the tests' (TEST_DEBS).
deps:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
		echo "missing packages; run: sudo apt-get install -y $$missing" >&2; exit 1; \
	fi

test-deps:
	@$(MAKE) -s deps DEBS="$(TEST_DEBS)"

run: deps
	@$(MAKE) -s scraper
	@sh tests/demo.sh "$(URL)"

# The key matrix and the monkey look for memory errors: the sanitizer build
# only. Timing ratios, odd files and output bytes: the release build only.
RELEASE_TESTS = $(filter-out tests/states.t tests/monkey.t,$(wildcard tests/*.t))
ASAN_TESTS = $(filter-out tests/unit.t tests/alloc.t tests/fuzz.t tests/worst.t tests/layout.t \
	     tests/fsodd.t tests/outputs.t,$(wildcard tests/*.t))

test: test-deps
	@$(MAKE) -s WERROR=-Werror scraper scraper-asan scraper-allocfail scraper-smallhist tests/unit
	@# every pass runs, whatever the one before said; the status is the worst
	@st=0; \
	echo "== the release build"; prove -f $(RELEASE_TESTS) || st=1; \
	echo "== the batch tests under valgrind"; \
	SCRAPER=tests/valgrind.sh TEST_TIMEOUT=60 TIME_SCALE=10 prove -f tests/dump.t tests/faults.t tests/query.t || st=1; \
	echo "== the AddressSanitizer + UBSan build"; \
	SCRAPER=./scraper-asan TIME_SCALE=$${TIME_SCALE:-3} \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	prove -f $(ASAN_TESTS) || st=1; \
	exit $$st

# Each libFuzzer target for a minute (tests/fuzz.t runs them 5 s in make test).
fuzz:
	sh tests/fuzz/run.sh 60

# Speed and memory against xmllint, pup, lxml and BeautifulSoup (a few minutes);
# then the download queue and the link check against aria2c, wget2, curl, wget
# and linkchecker (tests/bench/queue.py: those it finds installed).
bench: scraper
	sh tests/bench/run.sh
	python3 tests/bench/queue.py

# What 1,000 key presses cost in a pane of 20 rows and of 200,000, and a
# keystroke of the query line on the corpus's largest page (callgrind).
bench-keys: scraper scraper-inproc
	sh tests/bench/keys.sh

install: scraper
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 scraper $(DESTDIR)$(PREFIX)/bin/scraper
	install -m 644 scraper.1 $(DESTDIR)$(PREFIX)/share/man/man1/scraper.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/scraper $(DESTDIR)$(PREFIX)/share/man/man1/scraper.1

clean:
	rm -f scraper scraper-asan scraper-allocfail scraper-smallhist scraper-inproc tests/unit .build-flags

help:
	@echo "targets: all run test fuzz bench bench-keys install uninstall clean deps test-deps (make run URL=...)"

# The monkey test (tests/monkey.py) on the sanitizer build for SECONDS
# (default 60) with a random seed, which it prints; MONKEY_SEED=N replays it.
SECONDS ?= 60
.PHONY: monkey
monkey: scraper-asan
	SCRAPER=./scraper-asan LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 python3 tests/monkey.py --seconds $(SECONDS)
