#!/bin/sh
# alice set idle-delay 0 in her own dconf db on an unlocked key: fail.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check screenlock-gnome-user-override)
expect_status "$out" screen_lock.effective fail
expect_jq "$out" '.results[] | select(.check == "screen_lock.effective") | .message | contains("alice")'
