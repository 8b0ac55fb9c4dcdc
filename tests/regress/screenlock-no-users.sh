#!/bin/sh
# A desktop with no interactive account: nobody to evaluate, so the
# checks are not applicable (not passed: nothing was verified).
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check screenlock-no-users)
expect_status "$out" screen_lock.effective not_applicable
expect_status "$out" screen_lock.enforced not_applicable
