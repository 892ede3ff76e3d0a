#!/bin/bash
# The download queue in batch: `--download KINDS` fetches the records of
# those kinds after the extraction, many at once within --parallel and
# --per-host; a 429 waits its Retry-After and is tried again, a broken
# download goes on with a Range request, a file is never overwritten, and
# nothing half-written is left.
#
# Run from the repository root:  prove -v tests/queue.t

. "$(dirname "$0")/lib.sh"
require_scraper
start_server

# requests NAME: how many requests the server has logged whose line has NAME.
requests() {
    grep -c -- "$1" "$SERVER_LOG"
}

# bodies FILE...: the files' contents, sorted, on one line.
bodies() {
    for f; do cat "$f"; echo; done | sort | tr '\n' ' '
}

# no_temp DIR NAME: nothing of a temp file is left in DIR.
no_temp() {
    is "$(find "$1" -name '.scraper-*' | wc -l)" 0 "$2"
}

# ==== a gallery: saved, failed, retried, resumed, skipped ===================

workdir gallery
run_scraper --dump --download image,media "$BASE/q/gallery?k=1"
is "$RC" 2 "a failed download: exit 2"
is "$(grep -c . "$OUT")" 9 "the records are printed as ever"
# two of one name, in the order they end: one is a.png, the other a-1.png
is "$(bodies Files/a.png Files/a-1.png)" "PNG /q/img/a.png PNG /q/img2/a.png " \
    "an image saved under its URL's name, a second one of that name as name-1.ext"
is "$(cat Files/photo.jpg)" "JPEG" "a name from Content-Disposition"
is "$(cat Files/clip.webm)" "WEBM" "media too, with image,media"
is "$(cat Files/busy.png)" "PNG busy" "a 429 is tried again and saved"
is "$(requests 'GET /q/busy.png?k=1')" 2 "... after one more request"
fetch /q/whole.bin "$SCRATCH/whole.bin"
cmp_file "$SCRATCH/whole.bin" Files/broken.bin "a download broken halfway is resumed whole"
is "$(requests 'GET /q/broken.bin?k=1')" 2 "... by a second request (the server sends the rest only for a Range)"
ok '[ ! -e Files/missing.png ]' "a 404 saves nothing"
ok '[ ! -e Files/link.png ]' "a link is not an image: not fetched"
is "$(ls Files | wc -l)" 6 "six files and nothing else"
no_temp Files "no temp file left"
like "$(cat "$ERR")" "missing.png: failed: HTTP status 404" "the failure has its line on stderr"
like "$(cat "$ERR")" "data:image/png.*: skipped: not an http" "a data: URL is skipped, said so"
is "$(grep -Ec '^scraper: saved Files/(a|a-1|busy|broken|photo|clip)\.[a-z]+ \([0-9]+ bytes\)$' "$ERR")" 6 \
    "each saved file has its line"
like "$(tail -1 "$ERR")" "downloads: 6 saved \\(100049 bytes\\), 1 failed, 1 skipped" "a summary closes"
ok 'terminal_safe "$ERR"' "stderr is terminal-safe"

# ---- a broken download from a server that offers no ranges: from the start -
workdir norange
run_scraper --dump --download link "$BASE/q/norange-page?k=1"
is "$RC" 0 "a download broken where ranges are not offered: tried again, exit 0"
cmp_file "$SCRATCH/whole.bin" Files/norange.bin "... from the start, whole (no Range asked: it would get 416)"
is "$(grep -c 'GET /q/norange.bin?k=1' "$SERVER_LOG")" 2 "... in two requests"

# ---- a Content-Length that lies: the download fails, nothing is saved -------
# (a queued download reads its headers without libcurl's verbose mode)
workdir badlength
printf '<a href="/fault/cl-double">d</a> <a href="/fault/cl-garbage">g</a>\n' >p.html
run_scraper --dump --download link --dir out --base "$BASE/" p.html
is "$RC" 2 "two Content-Lengths, or one not a number: exit 2"
is "$(grep -c 'failed: the response has a malformed or conflicting Content-Length' "$ERR")" 2 \
    "... each download says why"
is "$(find out -type f 2>/dev/null | wc -l)" 0 "... and nothing is left, not even a temp file"

# trailers (header fields after a chunked body) are no headers: they neither
# fail a download nor name its file
printf '<a href="/fault/trailers/t.txt">t</a>\n' >t.html
run_scraper --dump --download link --dir tout --base "$BASE/" t.html
is "$RC" 0 "trailers after a chunked body: exit 0"
is "$(cat tout/t.txt 2>/dev/null)" "hello" "... saved whole, under the URL's name"
cd "$SCRATCH/w-gallery" || exit 1

# ---- again into the same directory: nothing is overwritten ----------------
printf 'mine\n' >Files/a.png
run_scraper --dump --download image "$BASE/q/gallery?k=2"
is "$(cat Files/a.png)" "mine" "an existing file is never overwritten"
is "$(bodies Files/a-2.png Files/a-3.png)" "PNG /q/img/a.png PNG /q/img2/a.png " \
    "... the new ones take the next free names"
is "$(cat Files/photo-1.jpg)" "JPEG" "... a Content-Disposition name too"

# ---- kinds ------------------------------------------------------------------
workdir kinds
run_scraper --dump --download link --dir out "$BASE/q/gallery?k=3"
is "$RC" 0 "--download link: exit 0"
is "$(ls out)" "link.png" "only the link's target, under --dir"
run_scraper --dump --download image,bogus "$BASE/q/gallery?k=4"
is "$RC" 1 "an unknown kind: a usage error"
like "$(cat "$ERR")" "unknown kind 'bogus'" "... that names it"
ok '[ ! -e Files ]' "... before anything is fetched"
run_scraper --dump --download all --parallel 0 "$BASE/q/gallery?k=4"
is "$RC" 1 "--parallel 0: a usage error"
run_scraper --dump --download all --per-host 65 "$BASE/q/gallery?k=4"
is "$RC" 1 "--per-host over 64: a usage error"

# ==== the limits ============================================================
# /q/polite/N answers 429 while 2 requests are in flight: within the limits
# the server never says so; past them it does, and the queue slows down.

workdir limits
: >"$SERVER_LOG"
run_scraper --dump --download link --parallel 2 "$BASE/q/polite-page?n=10"
is "$RC" 0 "--parallel 2: all ten saved"
is "$(requests 'GET /q/polite/')" 10 "... no request refused: never more than 2 at once"
is "$(ls Files | wc -l)" 10 "... ten files"
workdir perhost
: >"$SERVER_LOG"
run_scraper --dump --download link --parallel 6 --per-host 2 "$BASE/q/polite-page?n=10"
is "$RC" 0 "--per-host 2: all ten saved"
is "$(requests 'GET /q/polite/')" 10 "... never more than 2 at once to the host"
workdir busy
: >"$SERVER_LOG"
run_scraper -t 30 --dump --download link --parallel 6 --per-host 6 "$BASE/q/polite-page?n=12"
is "$RC" 0 "6 at once against a server that takes 2: all saved in the end"
is "$(ls Files | wc -l)" 12 "... twelve files"
ok '[ "$(requests "GET /q/polite/")" -gt 12 ]' "... after 429s, each tried again"
ok '[ "$(requests "GET /q/polite/")" -lt 24 ]' "... the host slowed down: few refused"

# ==== what cannot be written; a signal ======================================

workdir nodir
printf 'x' >afile
run_scraper --dump --download image --dir afile "$BASE/q/gallery?k=5"
is "$RC" 2 "a --dir that is a file: exit 2"
like "$(cat "$ERR")" "not a directory" "... each download says why"

workdir full
mkdir full
if tmpfs_mount "$PWD/full" size=64k; then
    run_scraper --dump --download image --dir full "$BASE/q/gallery?k=6"
    is "$RC" 2 "a disk that fills up: exit 2"
    like "$(cat "$ERR")" "broken.bin.*: failed: .*No space left" "... the file that did not fit says why"
    ok '[ ! -e full/broken.bin ]' "... and is not there, not even in part"
    is "$(cat full/photo.jpg)" "JPEG" "... the others are saved"
    no_temp full "... and no temp file is left"
    tmpfs_umount "$PWD/full"
else
    skip "$MOUNT_WHY"
fi

workdir signal
"$SCRAPER" --dump --download link --parallel 2 --dir out "$BASE/q/slow-page?n=400000&c=6" \
    >"$OUT" 2>"$ERR" &
pid=$!
for _ in $(seq "$(scaled 100)"); do
    [ -n "$(find out -name '.scraper-*' 2>/dev/null)" ] && break
    sleep 0.05
done
ok '[ -n "$(find out -name ".scraper-*" 2>/dev/null)" ]' "a download in progress writes a temp file"
kill -TERM "$pid"
wait "$pid"
is "$?" 143 "SIGTERM during downloads: exit 143"
no_temp out "... and the temp file is removed"
is "$(grep -o 'downloads: .*' "$ERR" | awk '{ for (i = 2; i <= NF; i++)
        if ($i ~ /^(saved|failed,?|skipped,?|not)$/) n += $(i - 1); print n + 0 }')" 6 \
   "... the summary counts every download, those not done too"

# ==== --fsync: each file on the disk before it has its name ==================
# A shim preloaded into the binary logs its fsync(2) and link(2) calls with
# the paths they touch: with --fsync each download's temp file is flushed,
# then linked to its name; without, no file is flushed (as curl and wget).
fsync_shim() {
    cat >"$SCRATCH/fsync-log.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void say(const char *what, const char *a, const char *b)
{
	char line[8300];
	const char *log = getenv("FSYNC_LOG");
	int fd, n = snprintf(line, sizeof line, "%s %s %s\n", what, a, b);

	if (log && (fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0600)) >= 0) {
		if (write(fd, line, (size_t)n) < 0)
			abort();
		close(fd);
	}
}

int fsync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	char proc[64], name[4096];
	ssize_t n;

	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	n = readlink(proc, name, sizeof name - 1);
	name[n > 0 ? n : 0] = '\0';
	say("fsync", strrchr(name, '/') ? strrchr(name, '/') + 1 : name, "-");
	return real(fd);
}

int link(const char *from, const char *to)
{
	int (*real)(const char *, const char *) =
		(int (*)(const char *, const char *))dlsym(RTLD_NEXT, "link");
	int rc = real(from, to);

	if (rc == 0)
		say("link", strrchr(from, '/') ? strrchr(from, '/') + 1 : from, to);
	return rc;
}
C
    cc -shared -fPIC -o "$SCRATCH/fsync-log.so" "$SCRATCH/fsync-log.c" -ldl
}

# flushed_first LOG: every link's temp file was flushed before it (awk
# prints the names that were not), and how many links there were
flushed_first() {
    awk '$1 == "fsync" { f[$2] = 1 } $1 == "link" { n++; if (!f[$2]) print "unflushed", $3 }
         END { print n + 0, "linked" }' "$1"
}

case $SCRAPER in
*valgrind*) skip "--fsync: a preloaded shim cannot reach the binary under valgrind" 4 ;;
*)
    if ! fsync_shim 2>"$SCRATCH/cc.err"; then
        skip "--fsync: the shim did not build: $(head -c 200 "$SCRATCH/cc.err")" 4
    else
        export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
        workdir fsync
        FSYNC_LOG=$PWD/log LD_PRELOAD=$SCRATCH/fsync-log.so \
            run_scraper --fsync --dump --download image,media "$BASE/q/gallery?k=7"
        is "$(flushed_first log)" "6 linked" \
            "--fsync: each of the 6 downloads is flushed before it is linked to its name"
        FSYNC_LOG=$PWD/log2 LD_PRELOAD=$SCRATCH/fsync-log.so \
            run_scraper --fsync --dump --save saved.html "$BASE/q/gallery?k=8"
        is "$(flushed_first log2)" "1 linked" "--fsync: a --save too"
        FSYNC_LOG=$PWD/log3 LD_PRELOAD=$SCRATCH/fsync-log.so \
            run_scraper --dump --download image,media --dir plain "$BASE/q/gallery?k=9"
        is "$(ls plain | wc -l)" 6 "without --fsync: the same 6 files"
        is "$(grep -c '^fsync' log3)" 0 "... and none flushed (the kernel writes them back)"
    fi
    ;;
esac

done_testing
