#!/bin/sh
# chrony enabled with the Debian pool and sources.d servers: sync passes; the clock is not measured under --root
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check time-chrony)
expect_status "$out" time.sync_enabled pass
expect_status "$out" time.synchronised not_applicable
expect_jq "$out" '.results[] | select(.check == "time.sync_enabled") | .evidence.observed["time.enabled_count"] == 1'
