#!/bin/sh
# iptables-persistent: rules.v4 INPUT DROP but rules.v6 INPUT ACCEPT: fails
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check firewall-iptables-v6-open)
expect_status "$out" firewall.enabled fail
