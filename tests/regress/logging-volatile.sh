#!/bin/sh
# Storage=volatile drop-in over a vendor persistent one, no syslog daemon: fails
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check logging-volatile)
expect_status "$out" logging.persistent fail
expect_jq "$out" '.results[] | select(.check == "logging.persistent") | .evidence.observed["logging.journald.persistent"] == false'
