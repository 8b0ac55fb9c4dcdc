#!/bin/sh
# A truncated ~/.config/dconf/user is an error for that user, never a pass.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check screenlock-corrupt-gvdb)
expect_status "$out" screen_lock.effective error
expect_jq "$out" '.results[] | select(.check == "screen_lock.effective") | .message | contains("corrupt GVDB")'
