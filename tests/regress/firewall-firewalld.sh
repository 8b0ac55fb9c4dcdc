#!/bin/sh
# firewalld enabled, default zone public (default target rejects): passes
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check firewall-firewalld)
expect_status "$out" firewall.enabled pass
