#!/bin/sh
# Corpus agreement of `scraper --dump --format json` with html5lib's view of
# real pages (see tests/corpus.py).  Skips when the corpus or html5lib is absent.
cd "$(dirname "$0")/.." || exit 1
corpus=${CORPUS_DIR:-../shared/corpus/pages}
if [ ! -d "$corpus" ]; then
    echo "1..0 # SKIP corpus directory $corpus not found"
    exit 0
fi
if [ ! -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import html5lib' 2>/dev/null; then
    echo "1..0 # SKIP html5lib missing (apt-get install python3-html5lib)"
    exit 0
fi
exec /usr/bin/python3 tests/corpus.py "$corpus"
