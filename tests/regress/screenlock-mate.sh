#!/bin/sh
# MATE counts minutes: idle 10 min + lock delay 1 min = 660 s, passes.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check screenlock-mate)
expect_status "$out" screen_lock.effective pass
