#!/bin/sh
# KDE Plasma: alice's kscreenlockerrc Timeout=30 (minutes) fails.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check screenlock-kde)
expect_status "$out" screen_lock.effective fail
expect_jq "$out" '.results[] | select(.check == "screen_lock.effective") | .message | contains("alice")'
