#!/bin/sh
# An empty /etc/machine-id (cloud image before first boot) is not an identity
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check inventory-empty-machine-id)
expect_status "$out" inventory.identified error
