#!/bin/sh
# The unit tests (tests/unit.c, built by make) speak TAP themselves.
exec ./tests/unit
