#!/bin/bash
# The records on the screen: a lazy-loading attribute is a row of its pane,
# a srcset candidate's descriptor (2x, 480w) shows in its row and in the
# detail area, a link's rel in the detail area.
#
# Run from the repository root:  prove -v tests/rows-tui.t
# (SCRAPER=./scraper-asan prove -v tests/rows-tui.t for the sanitizer build.)

. "$(dirname "$0")/lib.sh"
require_scraper
. "$(dirname "$0")/tmux-lib.sh"
SCENARIO_ONLY=${TUI_ONLY:-.}
start_server

# --- the lazy page: rows, descriptors, rel ------------------------------------
t_lazy() {
    tui_start "$BASE/rows/lazy"
    wait_screen 'Images 13( |$)' || return
    pass "$TNAME: the Images tab counts the 8 lazy-loading records too (13)"
    keys 2
    wait_screen "$(nth_of 1 13)" || return
    screen_ok 'grep -Eq "img +data-src +$(re_quote "$(shown_url "$BASE/img/lazy.jpg")")" <<<"$SCREEN"' \
              "a data-src is a row of the Images pane"
    screen_ok 'grep -Eq "$(re_quote "/img/lazy-480.jpg") 480w +Lazy" <<<"$SCREEN"' \
              "a srcset candidate's row shows its descriptor (480w) after the URL"
    screen_ok 'grep -Eq "$(re_quote "/img/sharp@2x.png") 2x +Sharp" <<<"$SCREEN"' \
              "... and 2x"
    keys j j
    wait_screen "$(nth_of 3 13)" || return
    screen_ok 'grep -Eq "descr +480w" <<<"$SCREEN"' "the detail area names the selected candidate's descriptor"
    keys k
    wait_screen "$(nth_of 2 13)" || return
    screen_ok '! grep -Eq "descr " <<<"$SCREEN"' "no descriptor in the detail of a record without one"
    keys 4
    wait_screen "iframe +data-src +$(re_quote "$(shown_url "$BASE/page2.html?frame")")" || return
    pass "$TNAME: an iframe's data-src is a row of the Embeds pane"
    keys 5
    wait_screen "$(nth_of 1 4)" || return
    screen_ok 'grep -Eq "rel +stylesheet" <<<"$SCREEN"' "the detail area names a link's rel"
    keys j j
    wait_screen "$(nth_of 3 4)" || return
    screen_ok 'grep -Eq "rel +alternate icon" <<<"$SCREEN"' "... its keywords in lower case"
    keys 1
    wait_screen "$(nth_of 1 3)" || return
    screen_ok 'grep -Eq "rel +nofollow noopener" <<<"$SCREEN"' "... of an a too"
    keys j
    wait_screen "$(nth_of 2 3)" || return
    screen_ok '! grep -Eq "rel " <<<"$SCREEN"' "no rel in the detail of a link without one"
    quit_clean
}

scenario "lazy page" t_lazy
done_testing
