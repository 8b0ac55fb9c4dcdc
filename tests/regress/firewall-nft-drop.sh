#!/bin/sh
# nftables enabled, inet input chain with policy drop and an included set file: passes
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check firewall-nft-drop)
expect_status "$out" firewall.enabled pass
