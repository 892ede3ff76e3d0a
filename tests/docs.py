#!/usr/bin/env python3
"""The documentation against the program: the man page renders cleanly, its
table of (tag, attribute) -> kind is the program's extraction table (as the
source declares it and as --dump behaves), every option of --help is in the
man page and the README, and the README and man page have what a user looks
for first. Prints TAP."""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
SCRAPER = os.environ.get('SCRAPER', os.path.join(ROOT, 'scraper'))
KINDS = {'K_LINK': 'link', 'K_IMAGE': 'image', 'K_MEDIA': 'media', 'K_EMBED': 'embed',
         'K_RESOURCE': 'resource'}
results = []


def check(ok, what, why=()):
    results.append((bool(ok), what, list(why)))


def read(name):
    with open(os.path.join(ROOT, name), encoding='utf-8') as f:
        return f.read()


def man_table(man):
    """(tag, attr, kind) rows between .TS and .TE, the header row aside."""
    body = man[man.index('.TS'):man.index('.TE')].split('\n')
    rows = [l.replace('\\-', '-').split(';') for l in body if l.count(';') == 2]
    return {tuple(r) for r in rows if r[0] != 'TAG' and not r[0].startswith('tab(')}


def source_table(src):
    return {(t, a, KINDS[k]) for t, a, k in
            re.findall(r'\{"([a-z]+)", "([a-z-]+)", (K_[A-Z]+), [01]\}', src)}


def dumped(rows):
    """What --dump makes of a page holding one element per row."""
    page = ''.join('<%s %s="x%d.png">t</%s>\n' % (t, a, i, t)
                   for i, (t, a, _) in enumerate(sorted(rows)))
    with tempfile.NamedTemporaryFile('w', suffix='.html', delete=False) as f:
        f.write('<!doctype html><title>all</title><body>' + page)
    try:
        out = subprocess.run([SCRAPER, '--dump', '--fields', 'tag,attr,kind', f.name],
                             capture_output=True, text=True, timeout=60, check=False)
    finally:
        os.unlink(f.name)
    return {tuple(l.split('\t')) for l in out.stdout.splitlines()}


def main():
    man, readme, src = read('scraper.1'), read('README.md'), read('scraper.c')
    groff = subprocess.run(['groff', '-man', '-t', '-ww', '-z', os.path.join(ROOT, 'scraper.1')],
                           capture_output=True, text=True, check=False)
    check(groff.returncode == 0 and not groff.stderr, 'the man page renders without warnings',
          groff.stderr.splitlines())
    table, declared = man_table(man), source_table(src)
    check(len(declared) >= 28 and table == declared,
          "the man page's table is the source's extraction table (%d pairs)" % len(declared),
          ['only in the man page: %s' % sorted(table - declared),
           'only in scraper.c: %s' % sorted(declared - table)])
    got = dumped(table)
    check(got == table, 'each pair of the table, in a page, is a record of that kind',
          ['not as documented: %s' % sorted(table ^ got)])
    helptext = subprocess.run([SCRAPER, '--help'], capture_output=True, text=True,
                              check=False).stdout
    opts = sorted(set(re.findall(r'(?<![\w-])(--[a-z][a-z0-9-]*)', helptext)))
    check(len(opts) >= 10 and all(o.replace('-', '\\-') in man for o in opts),
          'every option of --help is in the man page (%d)' % len(opts),
          [o for o in opts if o.replace('-', '\\-') not in man])
    check(all('`%s' % o in readme for o in opts), 'every option of --help is in the README',
          [o for o in opts if '`%s' % o not in readme])
    check('.SH EXAMPLES' in man, 'the man page has EXAMPLES')
    check(all(s in readme for s in ('make install PREFIX=', 'make uninstall', 'HACKING.md')),
          'the README says how to install and uninstall, and links the maintainers\' notes')
    check(readme.split('\n')[5].endswith('# install, build, open the demo site') and
          readme.split('\n')[6].endswith('# install, build, run every test'),
          "the README's first two commands run and test it")
    print('1..%d' % len(results))
    for n, (ok, what, why) in enumerate(results, 1):
        print('%s %d - %s' % ('ok' if ok else 'not ok', n, what))
        if not ok:
            for w in why:
                print('#   %s' % w)
    return 0 if all(r[0] for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
