#!/bin/sh
# GNOME with nothing configured: the 300 s schema default locks in time.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check screenlock-gnome-default)
expect_status "$out" screen_lock.effective pass
expect_status "$out" screen_lock.enforced fail
expect_jq "$out" '[.results[] | select(.check == "screen_lock.effective") | .evidence.observed | tostring | contains("300")] | all'
