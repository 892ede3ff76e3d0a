#!/bin/sh
# Runs scraper under valgrind's memcheck: any error or leak of the program's
# own makes it exit 99 (tests then fail on the exit status).
exec valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	"$(dirname "$0")/../scraper" "$@"
