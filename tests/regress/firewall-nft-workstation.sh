#!/bin/sh
# Debian's workstation.nft example: policy accept but a final counter drop: passes
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check firewall-nft-workstation)
expect_status "$out" firewall.enabled pass
