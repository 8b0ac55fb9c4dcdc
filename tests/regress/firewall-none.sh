#!/bin/sh
# ufw installed as shipped (ENABLED=no), nftables installed but not enabled: fails
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check firewall-none)
expect_status "$out" firewall.enabled fail
expect_jq "$out" '.results[] | select(.check == "firewall.enabled") | .evidence.observed["firewall.enabled_count"] == 0'
