#!/bin/sh
# The query engine against parsel (cssselect on lxml: the same libxml2
# parser) on the real pages of ../shared/corpus/pages: see
# tests/query-oracle.py. Skips when the corpus or parsel is absent.
cd "$(dirname "$0")/.." || exit 1
corpus=${CORPUS_DIR:-../shared/corpus/pages}
if [ ! -d "$corpus" ]; then
    echo "1..0 # SKIP corpus directory $corpus not found"
    exit 0
fi
if [ ! -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import parsel' 2>/dev/null; then
    echo "1..0 # SKIP parsel missing (apt-get install python3-parsel)"
    exit 0
fi
SCRAPER=${SCRAPER:-./scraper}
case $SCRAPER in /*) ;; *) SCRAPER=$PWD/${SCRAPER#./} ;; esac
export SCRAPER
exec /usr/bin/python3 tests/query-oracle.py "$corpus"
