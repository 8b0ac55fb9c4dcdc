#!/bin/sh
# ufw enabled with the shipped DEFAULT_INPUT_POLICY=DROP and IPV6=yes: passes
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check firewall-ufw)
expect_status "$out" firewall.enabled pass
