#!/bin/sh
# Encrypted root but swap on a plain partition: swap fails
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check disk-swap-plain)
expect_status "$out" disk.encryption.root pass
expect_status "$out" disk.encryption.swap fail
expect_jq "$out" '.results[] | select(.check == "disk.encryption.swap") | .evidence | tostring | contains("/dev/sda4")'
