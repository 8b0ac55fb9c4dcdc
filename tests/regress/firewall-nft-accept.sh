#!/bin/sh
# Debian's shipped nftables.conf (policy accept) with nftables.service enabled: fails
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check firewall-nft-accept)
expect_status "$out" firewall.enabled fail
expect_jq "$out" '.results[] | select(.check == "firewall.enabled") | .evidence.observed["firewall.enabled_count"] == 1'
