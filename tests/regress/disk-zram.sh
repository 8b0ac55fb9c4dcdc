#!/bin/sh
# zram swap only passes; a plain USB stick fails only the removable check
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check disk-zram)
expect_status "$out" disk.encryption.root pass
expect_status "$out" disk.encryption.home pass
expect_status "$out" disk.encryption.swap pass
expect_status "$out" disk.encryption.data pass
expect_status "$out" disk.encryption.removable fail
