#!/bin/sh
# `make run`: serves the demo site of tests/server.py on 127.0.0.1 and opens
# scraper on it; with a URL argument, opens scraper on that URL instead.
# The server stops when scraper exits.
cd "$(dirname "$0")/.." || exit 1
if [ -n "$1" ]; then
	exec ./scraper "$1"
fi
dir=$(mktemp -d) || exit 1
python3 tests/server.py --port-file "$dir/port" --lifetime 3600 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -s "$dir/port" ] || { echo "demo server did not start" >&2; exit 1; }
url="http://127.0.0.1:$(cat "$dir/port")/"
if [ -t 0 ] && [ -t 1 ] && [ -z "$SCRAPER_DUMP" ]; then
	./scraper "$url"
else
	./scraper --dump -v "$url"
fi
