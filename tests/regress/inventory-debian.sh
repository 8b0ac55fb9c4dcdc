#!/bin/sh
# A bookworm tree with machine-id, hostname and DMI: identified
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check inventory-debian)
expect_status "$out" inventory.identified pass
expect_jq "$out" '.results[] | select(.check == "inventory.identified") | .evidence.observed["inventory.machine.id"] == "3d1219c7c4c5404aaa1f6d2a48adfda4"'
