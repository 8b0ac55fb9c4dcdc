#!/bin/sh
# A debootstrap image that never booted has no /etc/machine-id: error, not pass
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check inventory-no-machine-id)
expect_status "$out" inventory.identified error
expect_jq "$out" '.results[] | select(.check == "inventory.identified") | .message | contains("/etc/machine-id")'
