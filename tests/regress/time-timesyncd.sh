#!/bin/sh
# systemd-timesyncd enabled with NTP= from a drop-in: passes
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check time-timesyncd)
expect_status "$out" time.sync_enabled pass
expect_status "$out" time.synchronised not_applicable
