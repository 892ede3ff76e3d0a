#!/usr/bin/env python3
"""The layout of scraper.c, checked: its sections (the "/* ==== name: ... ==== */"
banners) in an order where each function calls only what is defined in its own
section or one above; and no function longer than 60 lines. Prints TAP."""
import re
import sys

MAX_LINES = 60


def strip(text):
    """Comments, strings and character constants blanked, lines kept: one
    pass from the left, so that "//*" in a string starts no comment."""
    def blank(m):
        t = m.group(0)
        if t.startswith("/*"):
            return re.sub(r'[^\n]', ' ', t)
        return t[0] * 2
    return re.sub(r'/\*.*?\*/|"(\\.|[^"\\\n])*"|\'(\\.|[^\'\\\n])*\'', blank, text, flags=re.S)


def functions(lines):
    """(name, first line, last line) of each definition: "name(" at column 0
    (the return type on the line before), its body from "{" to "}" at column 0."""
    out, i = [], 0
    while i < len(lines):
        m = re.match(r'^([A-Za-z_]\w*)\(', lines[i])
        if m:
            j = i
            while j < len(lines) and not lines[j].startswith('{') and not lines[j].rstrip().endswith(';'):
                j += 1
            if j < len(lines) and lines[j].startswith('{'):
                k = j
                while not lines[k].startswith('}'):
                    k += 1
                out.append((m.group(1), i, k))
                i = k
        i += 1
    return out


def references(body, names):
    """Names of functions the body calls or takes the address of; a word
    after a type ("size_t error_flood;"), "struct", "->" or "." is not one."""
    found = set()
    for m in re.finditer(r'(?<![\w.>])([A-Za-z_]\w*)\b(?=\s*[(,;)}=|&!?:])', body):
        name = m.group(1)
        if name not in names:
            continue
        before = re.search(r'(\w+)\s*\**\s*$', body[max(0, m.start() - 40):m.start()])
        if before and before.group(1) not in ('return', 'case', 'else', 'sizeof'):
            continue
        found.add(name)
    return found


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else 'scraper.c'
    lines = strip(open(path, encoding='utf-8').read()).split('\n')
    raw = open(path, encoding='utf-8').read().split('\n')
    banners = [(i, re.match(r'/\* ==== ([^:]+?)(:.*)? ==== \*/', l).group(1))
               for i, l in enumerate(raw) if l.startswith('/* ==== ')]
    section_at = lambda line: max(k for k, (i, _) in enumerate(banners) if i <= line)
    fns = functions(lines)
    where = {name: section_at(a) for name, a, _ in fns}
    tests = []
    tests.append((len(banners) >= 10, '%d sections' % len(banners), []))
    names = [n for _, n in banners]
    tests.append((len(set(names)) == len(names), 'each section named once', []))
    below = []
    for name, a, b in fns:
        mine = where[name]
        for callee in sorted(references('\n'.join(lines[a + 1:b + 1]), where)):
            if where[callee] > mine:
                below.append('%s (%s) calls %s (%s)' % (name, banners[mine][1], callee,
                                                          banners[where[callee]][1]))
    tests.append((not below, 'no function calls into a section below its own', below))
    long = ['%s: %d lines' % (n, b - a + 1) for n, a, b in fns if b - a + 1 > MAX_LINES]
    tests.append((not long, 'no function over %d lines (%d functions)' % (MAX_LINES, len(fns)), long))
    print('1..%d' % len(tests))
    for k, (ok, what, why) in enumerate(tests, 1):
        print('%s %d - %s' % ('ok' if ok else 'not ok', k, what))
        for w in why:
            print('#   ' + w)
    return 0 if all(t[0] for t in tests) else 1


if __name__ == '__main__':
    sys.exit(main())
