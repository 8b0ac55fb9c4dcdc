#!/bin/sh
# No os-release: the operating system is unknown, so the check is an error
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check inventory-no-os-release)
expect_status "$out" inventory.identified error
