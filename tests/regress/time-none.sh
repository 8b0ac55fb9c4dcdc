#!/bin/sh
# systemd-timesyncd masked (its wants link left behind): no sync service, fails
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check time-none)
expect_status "$out" time.sync_enabled fail
expect_jq "$out" '.results[] | select(.check == "time.sync_enabled") | .evidence.observed["time.enabled_count"] == 0'
