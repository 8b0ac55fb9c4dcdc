#!/bin/sh
# chrony and ntpsec both enabled: two daemons fight over the clock, fails
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check time-conflict)
expect_status "$out" time.sync_enabled fail
expect_jq "$out" '.results[] | select(.check == "time.sync_enabled") | .message | contains("2")'
