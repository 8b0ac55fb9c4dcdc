#!/bin/sh
# A server without session files: screen lock does not apply.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check screenlock-headless)
expect_status "$out" screen_lock.effective not_applicable
expect_status "$out" screen_lock.enforced not_applicable
expect_jq "$out" '.results[] | select(.check == "screen_lock.effective") | .message | contains("no graphical desktop")'
