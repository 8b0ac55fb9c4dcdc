#!/bin/sh
# Site keyfiles never compiled by `dconf update`: read from the keyfiles
# (1800 s, locked there), reported as such, and failing the 15 min limit.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check screenlock-gnome-uncompiled)
expect_status "$out" screen_lock.effective fail
expect_jq "$out" '.results[] | select(.check == "screen_lock.effective") | .message | contains("30m")'
