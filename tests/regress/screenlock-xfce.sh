#!/bin/sh
# XFCE with xfce4-screensaver: a locked system channel (10 min) wins over
# alice's 45 min.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check screenlock-xfce)
expect_status "$out" screen_lock.effective pass
expect_status "$out" screen_lock.enforced pass
